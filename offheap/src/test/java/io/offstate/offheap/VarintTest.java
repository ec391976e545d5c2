package io.offstate.offheap;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

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
            values[i] = random.nextInt() >>> random.nextInt(32);
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
}
