package io.offstate.engine.time;

import java.lang.foreign.MemorySegment;

/**
 * A growable heap byte buffer with a memory-segment view, reused to build composite keys and values
 * without allocating on the hot path. Not thread-safe: one per store object and purpose.
 */
final class Scratch {
    byte[] array;
    MemorySegment segment;
    int length;

    Scratch(int capacity) {
        array = new byte[capacity];
        segment = MemorySegment.ofArray(array);
    }

    /** Empties the buffer and makes room for {@code capacity} bytes. */
    Scratch reset(int capacity) {
        if (array.length < capacity) {
            array = new byte[Math.max(capacity, array.length * 2)];
            segment = MemorySegment.ofArray(array);
        }
        length = 0;
        return this;
    }

    /** Makes room for {@code capacity} bytes in all, keeping the contents. */
    Scratch grow(int capacity) {
        if (array.length < capacity) {
            array = java.util.Arrays.copyOf(array, Math.max(capacity, array.length * 2));
            segment = MemorySegment.ofArray(array);
        }
        return this;
    }

    /** Writes the first {@code n} bytes of this buffer into {@code out} (emptied first); returns {@code out}. */
    Scratch copyPrefixTo(Scratch out, int n) {
        out.reset(n);
        System.arraycopy(array, 0, out.array, 0, n);
        out.length = n;
        return out;
    }

    Scratch putByte(int b) {
        array[length++] = (byte) b;
        return this;
    }

    Scratch putBytes(byte[] bytes) {
        System.arraycopy(bytes, 0, array, length, bytes.length);
        length += bytes.length;
        return this;
    }

    Scratch putLong(long v) {
        TimeKeys.putLong(array, length, v);
        length += 8;
        return this;
    }

    Scratch putInt(int v) {
        TimeKeys.putInt(array, length, v);
        length += 4;
        return this;
    }

    /** Overwrites the long at {@code offset}. */
    Scratch setLong(int offset, long v) {
        TimeKeys.putLong(array, offset, v);
        return this;
    }

    /** A copy of the current contents (allocates; for cold paths). */
    byte[] copy() {
        return java.util.Arrays.copyOf(array, length);
    }

    /**
     * Writes into {@code out} the smallest key greater than every key that starts with
     * {@code prefix}: trailing 0xFF bytes dropped, the last remaining byte plus one. The prefix
     * must hold a byte below 0xFF (every time-store key starts with a prefix byte that does).
     */
    static Scratch successorOf(Scratch prefix, Scratch out) {
        int n = prefix.length;
        while (n > 0 && prefix.array[n - 1] == (byte) 0xFF) {
            n--;
        }
        if (n == 0) {
            throw new IllegalArgumentException("internal: a prefix of 0xFF bytes only has no successor");
        }
        out.reset(n);
        System.arraycopy(prefix.array, 0, out.array, 0, n);
        out.length = n;
        out.array[n - 1]++;
        return out;
    }
}
