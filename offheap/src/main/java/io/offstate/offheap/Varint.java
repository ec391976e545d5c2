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
     *
     * <p>Every varint offstate writes is canonical and encodes a non-negative int, so anything else
     * is damage: an encoding that runs past the end of {@code segment}, longer than
     * {@value #MAX_SIZE} bytes, above {@link Integer#MAX_VALUE}, or padded with a zero last byte.
     *
     * @throws CorruptStateException naming the offset if the bytes are not such a varint
     */
    public static long read(MemorySegment segment, long offset) {
        final long limit = segment.byteSize();
        if (offset < 0 || offset >= limit) {
            throw corrupt("starts outside its segment of " + limit + " bytes", offset);
        }
        int b = segment.get(ValueLayout.JAVA_BYTE, offset);
        if (b >= 0) {
            return b | (1L << 32);
        }
        int value = b & 0x7F;
        int shift = 7;
        int n = 1;
        while (true) {
            if (offset + n >= limit) {
                throw corrupt("runs past the end of its segment of " + limit + " bytes", offset);
            }
            b = segment.get(ValueLayout.JAVA_BYTE, offset + n++);
            value |= (b & 0x7F) << shift;
            if (b >= 0) {
                if (b == 0 || (n == MAX_SIZE && b > LAST_BYTE_MAX)) {
                    throw corrupt(b == 0 ? "is not canonical (zero last byte)" : "exceeds " + Integer.MAX_VALUE, offset);
                }
                return value | ((long) n << 32);
            }
            shift += 7;
            if (n == MAX_SIZE) {
                throw corrupt("is longer than " + MAX_SIZE + " bytes", offset);
            }
        }
    }

    /** Largest last byte of a {@value #MAX_SIZE}-byte varint of a non-negative int: bits 28..30. */
    private static final int LAST_BYTE_MAX = 0x07;

    // cold: keeps the message building out of the inlined read path
    private static CorruptStateException corrupt(String what, long offset) {
        return new CorruptStateException("varint at offset " + offset + " " + what);
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
