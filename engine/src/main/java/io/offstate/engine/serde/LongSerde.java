package io.offstate.engine.serde;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code long} as 8 bytes, big-endian with the sign bit flipped, so that unsigned byte order (the
 * order of sorted stores) equals numeric order. Offers primitive {@link #writeLong}/{@link #readLong}
 * that box nothing. Stateless and thread-safe; use {@link Serdes#LONG}.
 */
public final class LongSerde implements Serde<Long> {
    /** Encoded size. */
    public static final int SIZE = Long.BYTES;
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    LongSerde() {
    }

    /** Writes {@code value} at {@code target[offset ..]} (8 bytes). */
    public static void writeLong(long value, MemorySegment target, long offset) {
        target.set(LONG_BE, offset, value ^ Long.MIN_VALUE);
    }

    /** Reads the long at {@code source[offset ..]} (8 bytes). */
    public static long readLong(MemorySegment source, long offset) {
        return source.get(LONG_BE, offset) ^ Long.MIN_VALUE;
    }

    @Override
    public int sizeOf(Long value) {
        return SIZE;
    }

    @Override
    public void write(Long value, MemorySegment target, long offset) {
        writeLong(value, target, offset);
    }

    @Override
    public Long read(MemorySegment source, long offset, int length) {
        Serdes.expectLength(length, SIZE, "long");
        return readLong(source, offset);
    }
}
