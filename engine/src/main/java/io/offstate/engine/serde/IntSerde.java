package io.offstate.engine.serde;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code int} as 4 bytes, big-endian with the sign bit flipped (byte order = numeric order).
 * Primitive {@link #writeInt}/{@link #readInt} box nothing. Stateless and thread-safe; use
 * {@link Serdes#INT}.
 */
public final class IntSerde implements Serde<Integer> {
    /** Encoded size. */
    public static final int SIZE = Integer.BYTES;
    private static final ValueLayout.OfInt INT_BE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    IntSerde() {
    }

    /** Writes {@code value} at {@code target[offset ..]} (4 bytes). */
    public static void writeInt(int value, MemorySegment target, long offset) {
        target.set(INT_BE, offset, value ^ Integer.MIN_VALUE);
    }

    /** Reads the int at {@code source[offset ..]} (4 bytes). */
    public static int readInt(MemorySegment source, long offset) {
        return source.get(INT_BE, offset) ^ Integer.MIN_VALUE;
    }

    @Override
    public int sizeOf(Integer value) {
        return SIZE;
    }

    @Override
    public void write(Integer value, MemorySegment target, long offset) {
        writeInt(value, target, offset);
    }

    @Override
    public Integer read(MemorySegment source, long offset, int length) {
        Serdes.expectLength(length, SIZE, "int");
        return readInt(source, offset);
    }
}
