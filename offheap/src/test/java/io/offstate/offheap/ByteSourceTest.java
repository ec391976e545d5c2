package io.offstate.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.util.SplittableRandom;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

class ByteSourceTest {

    @Test
    void copyToAndBytesEqualAgreeForArraysAndSegments() {
        checkAllSources(false);
    }

    /** Needs {@code --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED} for Agrona's UnsafeBuffer on JDK 25. */
    @Test
    void copyToAndBytesEqualAgreeForAgronaBuffersOnHeapAndOffHeap() {
        checkAllSources(true);
    }

    private static void checkAllSources(boolean agrona) {
        SplittableRandom random = new SplittableRandom(3);
        for (int length = 0; length <= 40; length++) {
            byte[] bytes = new byte[length + 6];
            random.nextBytes(bytes);
            byte[] expected = java.util.Arrays.copyOfRange(bytes, 3, 3 + length);
            ByteSource[] sources;
            if (agrona) {
                ByteBuffer direct = ByteBuffer.allocateDirect(bytes.length);
                direct.put(0, bytes);
                sources = new ByteSource[] {
                    new ByteSource().wrap(new UnsafeBuffer(bytes), 3, length),
                    new ByteSource().wrap(new UnsafeBuffer(bytes, 2, bytes.length - 2), 1, length),
                    new ByteSource().wrap(new UnsafeBuffer(direct), 3, length),
                };
            } else {
                sources = new ByteSource[] {
                    new ByteSource().wrap(bytes, 3, length),
                    new ByteSource().wrap(MemorySegment.ofArray(bytes), 3, length),
                };
            }
            for (ByteSource s : sources) {
                assertEquals(length, s.length());
                assertArrayEquals(expected, s.toByteArray(), s + " length " + length);
                assertTrue(s.bytesEqual(MemorySegment.ofArray(expected), 0));
                if (length > 0) {
                    byte[] other = expected.clone();
                    other[length - 1] ^= 1;
                    assertFalse(s.bytesEqual(MemorySegment.ofArray(other), 0));
                }
            }
        }
    }

    @Test
    void narrowAndCodeDescribeTheStoredKey() {
        ByteSource s = new ByteSource().wrap("acme|order".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
        s.narrow(4, 6).code(200);
        assertEquals(6, s.length());
        assertEquals(200, s.code());
        assertEquals(Varint.size(200) + 6, s.storedLength());
        assertArrayEquals("|order".getBytes(java.nio.charset.StandardCharsets.US_ASCII), s.toByteArray());
        ByteSource copy = new ByteSource().wrap(s);
        assertEquals(200, copy.code());
        assertEquals(s.hash(1), copy.hash(1));
    }

    @Test
    void unwrappedOrClearedSourceThrowsInsteadOfReading() {
        ByteSource s = new ByteSource();
        assertThrows(IllegalStateException.class, () -> s.byteAt(0));
        s.wrap(new byte[] {1, 2, 3});
        s.clear();
        assertEquals(0, s.length());
        assertThrows(IllegalStateException.class, () -> s.longAt(0));
    }
}
