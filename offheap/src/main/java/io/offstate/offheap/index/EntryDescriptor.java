package io.offstate.offheap.index;

import java.lang.foreign.MemorySegment;

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
 * <p>Stateless and thread-safe.
 */
public final class EntryDescriptor {
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

    /** Key length of the entry at {@code offset}. */
    public static int keyLength(MemorySegment page, long offset) {
        return Varint.value(Varint.read(page, offset));
    }

    /** Offset of the key of the entry at {@code offset}. */
    public static long keyOffset(MemorySegment page, long offset) {
        long o = offset + Varint.sizeOf(Varint.read(page, offset));
        return o + Varint.sizeOf(Varint.read(page, o));
    }

    /**
     * Where the value of the entry at {@code offset} lies, packed as
     * {@code valueLength << 32 | (valueOffset - offset)}; split with {@link #spanLength} and
     * {@link #spanOffset}. One call, no allocation.
     */
    public static long valueSpan(MemorySegment page, long offset) {
        long k = Varint.read(page, offset);
        long v = Varint.read(page, offset + Varint.sizeOf(k));
        long relative = Varint.sizeOf(k) + Varint.sizeOf(v) + (long) Varint.value(k);
        return ((long) Varint.value(v) << 32) | relative;
    }

    /** Length half of a {@link #valueSpan}. */
    public static int spanLength(long span) {
        return (int) (span >>> 32);
    }

    /** Relative-offset half of a {@link #valueSpan}. */
    public static int spanOffset(long span) {
        return (int) span;
    }

    /** Size in bytes of the whole entry at {@code offset}. */
    public static int sizeAt(MemorySegment page, long offset) {
        long span = valueSpan(page, offset);
        return spanOffset(span) + spanLength(span);
    }
}
