package io.offstate.offheap.index;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.Varint;

/**
 * Layout of one key-value entry in a data block.
 *
 * <pre>
 *  +----------------+----------------+----------------------+--------------------+
 *  | key length     | value length   | key (stored form)    | value              |
 *  | varint, 1..3 B | varint, 1..4 B | key length bytes     | value length bytes |
 *  +----------------+----------------+----------------------+--------------------+
 * </pre>
 * A 16-byte key with a 64-byte value takes 82 bytes. The stored key of a dictionary-encoded store
 * is {@code varint(code) ++ rest of the key}. An entry never crosses a block, and a block never
 * crosses a page, so one segment and one offset locate all of it.
 *
 * <p>The readers check what they decode (varints, and that the whole entry ends within its page)
 * and throw {@link CorruptStateException} for damage, so no out-of-bounds access can follow.
 * Stateless and thread-safe.
 */
public final class EntryDescriptor {
    /** The two one-byte length varints of a short entry, read as one little-endian short. */
    private static final ValueLayout.OfShort HEADER_LE = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private EntryDescriptor() {
    }

    /** Bytes an entry with these lengths occupies. */
    public static int entrySize(int keyLength, int valueLength) {
        return Varint.size(keyLength) + Varint.size(valueLength) + keyLength + valueLength;
    }

    /** Writes the header at {@code offset}; returns the offset of the key. */
    public static long writeHeader(MemorySegment page, long offset, int keyLength, int valueLength) {
        long o = offset + Varint.write(page, offset, keyLength);
        return o + Varint.write(page, o, valueLength);
    }

    /**
     * Key length of the entry at {@code offset}.
     *
     * @throws CorruptStateException if the entry does not decode within {@code page} (see {@link #valueSpan})
     */
    public static int keyLength(MemorySegment page, long offset) {
        return spanLength(keySpan(page, offset));
    }

    /**
     * Offset of the key of the entry at {@code offset}.
     *
     * @throws CorruptStateException if the entry does not decode within {@code page} (see {@link #valueSpan})
     */
    public static long keyOffset(MemorySegment page, long offset) {
        return offset + spanOffset(keySpan(page, offset));
    }

    /**
     * Where the key of the entry at {@code offset} lies, packed as
     * {@code keyLength << 32 | (keyOffset - offset)}, split like a {@link #valueSpan}. Checks the
     * whole entry as {@link #valueSpan} does.
     *
     * @throws CorruptStateException if the entry does not decode within {@code page}
     */
    public static long keySpan(MemorySegment page, long offset) {
        final long k = Varint.read(page, offset);
        final long v = Varint.read(page, offset + Varint.sizeOf(k));
        final int header = Varint.sizeOf(k) + Varint.sizeOf(v);
        checkWithin(page, offset, header, Varint.value(k), Varint.value(v));
        return ((long) Varint.value(k) << 32) | header;
    }

    /**
     * Where the value of the entry at {@code offset} lies, packed as
     * {@code valueLength << 32 | (valueOffset - offset)}; split with {@link #spanLength} and
     * {@link #spanOffset}. One call, no allocation.
     *
     * <p>The lengths come from store memory, so they are checked: both varints decode, and header,
     * key and value all end within {@code page} (the entry's page, or its large block). An entry
     * that passes can be read without any out-of-bounds access.
     *
     * @throws CorruptStateException naming the offset and the lengths if the entry does not fit
     */
    public static long valueSpan(MemorySegment page, long offset) {
        final long k = Varint.read(page, offset);
        final long v = Varint.read(page, offset + Varint.sizeOf(k));
        final long relative = Varint.sizeOf(k) + Varint.sizeOf(v) + (long) Varint.value(k);
        checkWithin(page, offset, Varint.sizeOf(k) + Varint.sizeOf(v), Varint.value(k), Varint.value(v));
        return ((long) Varint.value(v) << 32) | relative;
    }

    /**
     * The {@link #valueSpan} of the entry at {@code offset} if both of its lengths are below 128
     * (one-byte varints, a 2-byte header: every short entry), else -1 (then decode it with
     * {@link #valueSpan}). The key is then {@code spanOffset - 2} bytes at {@code offset + 2}. One
     * 2-byte read instead of two varint decodes; checks, as {@link #valueSpan} does, that the entry
     * ends within {@code page}.
     *
     * @throws CorruptStateException if the entry runs past the end of {@code page}
     */
    public static long shortValueSpan(MemorySegment page, long offset) {
        final int header = page.get(HEADER_LE, offset);
        if ((header & 0x8080) != 0) {
            return -1;
        }
        final int keyLength = header & 0x7F;
        final int valueLength = header >>> 8;
        checkWithin(page, offset, 2, keyLength, valueLength);
        return ((long) valueLength << 32) | (2 + keyLength);
    }

    private static void checkWithin(MemorySegment page, long offset, int header, int keyLength, int valueLength) {
        // lengths are non-negative ints (Varint guarantees it), so the sum cannot overflow a long
        if (offset + header + (long) keyLength + valueLength > page.byteSize()) {
            throw outOfPage(page.byteSize(), offset, keyLength, valueLength);
        }
    }

    // cold: only damage gets here
    private static CorruptStateException outOfPage(long pageSize, long offset, int keyLength, int valueLength) {
        return new CorruptStateException("entry at offset " + offset + " claims key length " + keyLength + " and value length "
            + valueLength + ", which run past the end of its " + pageSize + "-byte page");
    }

    /** Length half of a {@link #valueSpan}. */
    public static int spanLength(long span) {
        return (int) (span >>> 32);
    }

    /** Relative-offset half of a {@link #valueSpan}. */
    public static int spanOffset(long span) {
        return (int) span;
    }

    /**
     * Size in bytes of the whole entry at {@code offset}.
     *
     * @throws CorruptStateException if the entry does not decode within {@code page}
     */
    public static int sizeAt(MemorySegment page, long offset) {
        long span = valueSpan(page, offset);
        return spanOffset(span) + spanLength(span);
    }
}
