package io.offstate.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/** {@link ByteSource#compareTo} and {@link ByteSource#orderPrefix()} agree with {@link Arrays#compareUnsigned}. */
class ByteSourceOrderTest {
    private static byte[] randomBytes(SplittableRandom r, int length) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            int pick = r.nextInt(4);
            b[i] = pick == 0 ? 0 : pick == 1 ? (byte) 0xFF : pick == 2 ? (byte) 0x80 : (byte) r.nextInt(256);
        }
        return b;
    }

    @Test
    void compareToMatchesUnsignedArrayComparisonForEverySourceKind() {
        SplittableRandom r = new SplittableRandom(11);
        try (Arena arena = Arena.ofConfined()) {
            for (int round = 0; round < 3000; round++) {
                int n = r.nextInt(40);
                byte[] a = randomBytes(r, n + 5);
                byte[] b = Arrays.copyOf(a, n + 5);
                if (n > 0 && r.nextBoolean()) {
                    b[2 + r.nextInt(n)] = (byte) r.nextInt(256); // usually differ somewhere in the compared run
                }
                MemorySegment target = arena.allocate(b.length);
                MemorySegment.copy(b, 0, target, ValueLayout.JAVA_BYTE, 0, b.length);
                int expected = Integer.signum(Arrays.compareUnsigned(a, 2, 2 + n, b, 2, 2 + n));
                MemorySegment native_ = arena.allocate(a.length);
                MemorySegment.copy(a, 0, native_, ValueLayout.JAVA_BYTE, 0, a.length);
                ByteSource[] sources = {
                    new ByteSource().wrap(a, 1, a.length - 1),
                    new ByteSource().wrap(native_, 1, a.length - 1),
                    new ByteSource().wrap(new UnsafeBuffer(a), 1, a.length - 1),
                };
                for (ByteSource s : sources) {
                    assertEquals(expected, Integer.signum(s.compareTo(1, target, 2, n)),
                        s + " over " + Arrays.toString(a) + " vs " + Arrays.toString(b) + ", n=" + n);
                }
            }
        }
    }

    @Test
    void orderPrefixOrdersLikeTheFirstEightBytes() {
        SplittableRandom r = new SplittableRandom(12);
        for (int round = 0; round < 5000; round++) {
            byte[] a = randomBytes(r, r.nextInt(12));
            byte[] b = randomBytes(r, r.nextInt(12));
            long pa = new ByteSource().wrap(a).orderPrefix();
            long pb = new ByteSource().wrap(b).orderPrefix();
            byte[] a8 = Arrays.copyOf(a, 8);
            byte[] b8 = Arrays.copyOf(b, 8); // zero-padded, as the prefix is
            assertEquals(Integer.signum(Arrays.compareUnsigned(a8, b8)), Integer.signum(Long.compareUnsigned(pa, pb)),
                Arrays.toString(a) + " vs " + Arrays.toString(b));
            if (Long.compareUnsigned(pa, pb) < 0) {
                assertEquals(-1, Integer.signum(Arrays.compareUnsigned(a, b)), "a smaller prefix means a smaller key");
            }
        }
        assertEquals(0x8000000000000000L, new ByteSource().wrap(new byte[] {(byte) 0x80}).orderPrefix());
        assertEquals(0, new ByteSource().wrap(new byte[0]).orderPrefix());
    }
}
