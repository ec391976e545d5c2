package io.offstate.offheap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Unsigned LEB128 varints (7 bits per byte, low group first, high bit = more) for the lengths and
 * dictionary codes in entry headers: small entries, the common case, pay one byte per field.
 *
 * <p>Stateless and thread-safe.
 */
public final class Varint {
    /** Largest encoding of a non-negative int. */
    public static final int MAX_SIZE = 5;

    private Varint() {
    }

    /** Bytes needed to encode {@code value} (non-negative). */
    public static int size(int value) {
        // 1 + floor(bitLength / 7), with 0 taking one byte
        return 1 + (31 - Integer.numberOfLeadingZeros(value | 1)) / 7;
    }

    /** Writes {@code value} at {@code offset}; returns the number of bytes written. */
    public static int write(MemorySegment segment, long offset, int value) {
        int n = 0;
        while ((value & ~0x7F) != 0) {
            segment.set(ValueLayout.JAVA_BYTE, offset + n++, (byte) ((value & 0x7F) | 0x80));
            value >>>= 7;
        }
        segment.set(ValueLayout.JAVA_BYTE, offset + n++, (byte) value);
        return n;
    }

    /**
     * Reads a varint at {@code offset}. Returns {@code value | (long) size << 32}, so one call yields
     * both without allocating; use {@link #value(long)} and {@link #sizeOf(long)} to split it.
     */
    public static long read(MemorySegment segment, long offset) {
        int b = segment.get(ValueLayout.JAVA_BYTE, offset);
        if (b >= 0) {
            return b | (1L << 32);
        }
        int value = b & 0x7F;
        int shift = 7;
        int n = 1;
        while (true) {
            b = segment.get(ValueLayout.JAVA_BYTE, offset + n++);
            value |= (b & 0x7F) << shift;
            if (b >= 0) {
                return (value & 0xFFFFFFFFL) | ((long) n << 32);
            }
            shift += 7;
            if (n == MAX_SIZE) {
                throw new CorruptStateException("varint longer than " + MAX_SIZE + " bytes at offset " + offset);
            }
        }
    }

    /** The value half of a {@link #read} result. */
    public static int value(long packed) {
        return (int) packed;
    }

    /** The size half of a {@link #read} result. */
    public static int sizeOf(long packed) {
        return (int) (packed >>> 32);
    }
}
