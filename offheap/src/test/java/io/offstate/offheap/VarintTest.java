package io.offstate.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class VarintTest {

    @ParameterizedTest(name = "{0} takes {1} bytes")
    @CsvSource({
        "0, 1",
        "1, 1",
        "127, 1",
        "128, 2",
        "16383, 2",
        "16384, 3",
        "2097151, 3",
        "2097152, 4",
        "268435455, 4",
        "268435456, 5",
        "2147483647, 5",
    })
    void sizeMatchesBytesWrittenAndReadRoundTrips(int value, int expectedSize) {
        assertEquals(expectedSize, Varint.size(value));
        MemorySegment segment = MemorySegment.ofArray(new byte[16]);
        long offset = 3; // unaligned on purpose
        assertEquals(expectedSize, Varint.write(segment, offset, value));
        long packed = Varint.read(segment, offset);
        assertEquals(value, Varint.value(packed));
        assertEquals(expectedSize, Varint.sizeOf(packed));
        // nothing written beyond the encoding
        assertEquals(0, segment.get(ValueLayout.JAVA_BYTE, offset + expectedSize));
        assertEquals(0, segment.get(ValueLayout.JAVA_BYTE, offset - 1));
    }

    @Test
    void encodingIsLittleEndianLeb128() {
        MemorySegment segment = MemorySegment.ofArray(new byte[8]);
        Varint.write(segment, 0, 128);
        assertArrayEquals(new byte[] {(byte) 0x80, 0x01}, segment.asSlice(0, 2).toArray(ValueLayout.JAVA_BYTE));
        Varint.write(segment, 0, 300);
        assertArrayEquals(new byte[] {(byte) 0xAC, 0x02}, segment.asSlice(0, 2).toArray(ValueLayout.JAVA_BYTE));
        Varint.write(segment, 0, Integer.MAX_VALUE);
        assertArrayEquals(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x07},
            segment.asSlice(0, 5).toArray(ValueLayout.JAVA_BYTE));
    }

    @Test
    void randomNonNegativeIntsRoundTripBackToBack() {
        SplittableRandom random = new SplittableRandom(42);
        int[] values = new int[10_000];
        for (int i = 0; i < values.length; i++) {
            // spread over all bit lengths
            values[i] = random.nextInt() >>> (1 + random.nextInt(31)); // non-negative, as every stored length and code is
        }
        MemorySegment segment = MemorySegment.ofArray(new byte[values.length * Varint.MAX_SIZE]);
        long offset = 0;
        for (int v : values) {
            int n = Varint.write(segment, offset, v);
            assertEquals(Varint.size(v), n);
            offset += n;
        }
        long read = 0;
        for (int v : values) {
            long packed = Varint.read(segment, read);
            assertEquals(v, Varint.value(packed));
            read += Varint.sizeOf(packed);
        }
        assertEquals(offset, read);
    }

    @Test
    void readOfFiveContinuationBytesThrowsCorruptState() {
        MemorySegment segment = MemorySegment.ofArray(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0});
        CorruptStateException e = assertThrows(CorruptStateException.class, () -> Varint.read(segment, 0));
        assertEquals(true, e.getMessage().contains(String.valueOf(Varint.MAX_SIZE)), e.getMessage());
    }

    @Test
    void readStartingAtOrPastTheEndThrowsCorruptStateNamingTheOffset() {
        MemorySegment segment = MemorySegment.ofArray(new byte[4]);
        for (long offset : new long[] {4, 5, 1L << 40, -1}) {
            CorruptStateException e = assertThrows(CorruptStateException.class, () -> Varint.read(segment, offset));
            assertTrue(e.getMessage().contains("offset " + offset), e.getMessage());
        }
    }

    @Test
    void readRunningPastTheEndThrowsCorruptState() {
        // continuation bits up to the last byte of the segment: a damaged length at the end of a page
        MemorySegment segment = MemorySegment.ofArray(new byte[] {0, 0, (byte) 0x81, (byte) 0x82});
        CorruptStateException e = assertThrows(CorruptStateException.class, () -> Varint.read(segment, 2));
        assertTrue(e.getMessage().contains("offset 2") && e.getMessage().contains("past the end"), e.getMessage());
        assertEquals(0, Varint.value(Varint.read(segment, 1)), "the bytes before still read");
    }

    @Test
    void readAboveIntMaxThrowsCorruptStateInsteadOfANegativeLength() {
        MemorySegment segment = MemorySegment.ofArray(new byte[] {(byte) 0xFF, (byte) 0xFF, (byte) 0xFF, (byte) 0xFF, 0x08});
        CorruptStateException e = assertThrows(CorruptStateException.class, () -> Varint.read(segment, 0));
        assertTrue(e.getMessage().contains(String.valueOf(Integer.MAX_VALUE)), e.getMessage());
        segment.set(ValueLayout.JAVA_BYTE, 4, (byte) 0x0F);
        assertThrows(CorruptStateException.class, () -> Varint.read(segment, 0));
        segment.set(ValueLayout.JAVA_BYTE, 4, (byte) 0x07);
        assertEquals(Integer.MAX_VALUE, Varint.value(Varint.read(segment, 0)));
    }

    @Test
    void readOfANonCanonicalEncodingThrowsCorruptState() {
        // 0x80 0x00 would be a two-byte zero; offstate never writes it, so it is damage
        MemorySegment segment = MemorySegment.ofArray(new byte[] {(byte) 0x80, 0x00, 0});
        CorruptStateException e = assertThrows(CorruptStateException.class, () -> Varint.read(segment, 0));
        assertTrue(e.getMessage().contains("canonical"), e.getMessage());
    }

    @Test
    void everySingleBitFlipOfEncodedValuesReadsAValueOrThrowsCorruptState() {
        SplittableRandom random = new SplittableRandom(7);
        MemorySegment segment = MemorySegment.ofArray(new byte[Varint.MAX_SIZE]);
        for (int round = 0; round < 2_000; round++) {
            int v = random.nextInt() >>> random.nextInt(32);
            segment.fill((byte) 0);
            int n = Varint.write(segment, 0, v);
            int bit = random.nextInt(n * 8);
            segment.set(ValueLayout.JAVA_BYTE, bit >>> 3, (byte) (segment.get(ValueLayout.JAVA_BYTE, bit >>> 3) ^ (1 << (bit & 7))));
            try {
                long packed = Varint.read(segment, 0);
                assertTrue(Varint.value(packed) >= 0, "a value read is never negative");
                assertTrue(Varint.sizeOf(packed) >= 1 && Varint.sizeOf(packed) <= Varint.MAX_SIZE);
            } catch (CorruptStateException expected) {
                assertTrue(expected.getMessage().contains("varint at offset 0"), expected.getMessage());
            }
        }
    }
}
