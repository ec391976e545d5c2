package io.offstate.engine;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import org.agrona.DirectBuffer;

import io.offstate.offheap.ByteSource;

/**
 * Checks the keys and values callers pass to a store and wraps them, without copying, in the
 * store's two reusable {@link ByteSource}s: a {@code null} throws {@link NullPointerException}
 * naming the parameter; an oversize length, a range outside its buffer, or a closed or foreign
 * segment throws {@link IllegalArgumentException} naming the limit and the store. Nothing is
 * changed before these checks pass.
 *
 * <p>Not thread-safe: one per store, used on its thread. A wrapped source is valid until the next
 * wrap of the same kind.
 */
final class CallerBytes {
    private final String storeName;
    private final ByteSource key = new ByteSource();
    private final ByteSource value = new ByteSource();

    CallerBytes(String storeName) {
        this.storeName = storeName;
    }

    ByteSource key(byte[] k) {
        return whole(key, k, "key", KeyValueStore.MAX_KEY_LENGTH);
    }

    ByteSource key(MemorySegment k) {
        return whole(key, k, "key", KeyValueStore.MAX_KEY_LENGTH);
    }

    ByteSource key(MemorySegment k, long offset, int length) {
        return range(key, k, offset, length, "key", KeyValueStore.MAX_KEY_LENGTH);
    }

    ByteSource key(DirectBuffer k, int offset, int length) {
        return range(key, k, offset, length, "key", KeyValueStore.MAX_KEY_LENGTH);
    }

    ByteSource value(byte[] v) {
        return whole(value, v, "value", KeyValueStore.MAX_VALUE_LENGTH);
    }

    ByteSource value(MemorySegment v) {
        return whole(value, v, "value", KeyValueStore.MAX_VALUE_LENGTH);
    }

    ByteSource value(MemorySegment v, long offset, int length) {
        return range(value, v, offset, length, "value", KeyValueStore.MAX_VALUE_LENGTH);
    }

    ByteSource value(DirectBuffer v, int offset, int length) {
        return range(value, v, offset, length, "value", KeyValueStore.MAX_VALUE_LENGTH);
    }

    // ------------------------------------------------------------ batches: checked whole, before any view changes

    /**
     * Checks a batch's arrays: keys and views non-null, {@code count} non-negative and within
     * {@code keysLength} (the keys array's length, or the shorter of the offsets and lengths arrays,
     * named by {@code keysName}) and the views, every view of the batch non-null.
     */
    void checkBatch(Object keys, ValueView[] views, int keysLength, String keysName, int count) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(views, "views");
        if (count < 0 || count > keysLength || count > views.length) {
            throw new IllegalArgumentException("a batch of " + count + " keys does not fit its arrays: " + keysLength
                + " " + keysName + ", " + views.length + " views (store '" + storeName + "')");
        }
        for (int i = 0; i < count; i++) {
            if (views[i] == null) {
                throw new NullPointerException("views[" + i + "]");
            }
        }
    }

    /** Checks {@code keys[0 .. count)}: non-null, each at most the maximum key length. */
    void checkKeys(byte[][] keys, int count) {
        for (int i = 0; i < count; i++) {
            byte[] k = keys[i];
            if (k == null) {
                throw new NullPointerException("keys[" + i + "]");
            }
            if (k.length > KeyValueStore.MAX_KEY_LENGTH) {
                throw tooLong("keys[" + i + "]", k.length, KeyValueStore.MAX_KEY_LENGTH);
            }
        }
    }

    /** Checks {@code keys[0 .. count)}: non-null, alive, accessible, each at most the maximum key length. */
    void checkKeys(MemorySegment[] keys, int count) {
        final Thread thread = Thread.currentThread();
        for (int i = 0; i < count; i++) {
            MemorySegment k = keys[i];
            if (k == null) {
                throw new NullPointerException("keys[" + i + "]");
            }
            if (!k.scope().isAlive() || !k.isAccessibleBy(thread)) {
                checkAlive(k, "keys[" + i + "]"); // throws, naming the key
            }
            if (k.byteSize() > KeyValueStore.MAX_KEY_LENGTH) {
                throw tooLong("keys[" + i + "]", k.byteSize(), KeyValueStore.MAX_KEY_LENGTH);
            }
        }
    }

    /** Checks the ranges {@code [offsets[i], offsets[i] + lengths[i])} of {@code keys}, {@code i < count} (arrays checked by {@link #checkBatch}). */
    void checkKeyRanges(MemorySegment keys, long[] offsets, int[] lengths, int count) {
        checkAlive(keys, "keys");
        final long size = keys.byteSize();
        for (int i = 0; i < count; i++) {
            final long offset = offsets[i];
            final int length = lengths[i];
            if (length < 0 || length > KeyValueStore.MAX_KEY_LENGTH || offset < 0 || offset > size - length) {
                checkBounds(keys, offset, length, "keys[" + i + "]", KeyValueStore.MAX_KEY_LENGTH); // throws, naming the key
            }
        }
    }

    private ByteSource whole(ByteSource target, byte[] bytes, String what, int max) {
        Objects.requireNonNull(bytes, what);
        if (bytes.length > max) {
            throw tooLong(what, bytes.length, max);
        }
        return target.wrap(bytes);
    }

    private ByteSource whole(ByteSource target, MemorySegment segment, String what, int max) {
        return target.wrap(segment, 0, checkedLength(segment, what, max));
    }

    private ByteSource range(ByteSource target, MemorySegment segment, long offset, int length, String what, int max) {
        Objects.requireNonNull(segment, what);
        checkRange(segment, offset, length, what, max);
        return target.wrap(segment, offset, length);
    }

    private ByteSource range(ByteSource target, DirectBuffer buffer, int offset, int length, String what, int max) {
        Objects.requireNonNull(buffer, what);
        checkRange(buffer.capacity(), offset, length, what, max);
        return target.wrap(buffer, offset, length);
    }

    private int checkedLength(MemorySegment segment, String what, int max) {
        Objects.requireNonNull(segment, what);
        checkAlive(segment, what);
        long size = segment.byteSize();
        if (size > max) {
            throw tooLong(what, size, max);
        }
        return (int) size;
    }

    private void checkRange(MemorySegment segment, long offset, int length, String what, int max) {
        checkAlive(segment, what);
        checkBounds(segment, offset, length, what, max);
    }

    private void checkBounds(MemorySegment segment, long offset, int length, String what, int max) {
        if (length < 0 || offset < 0 || offset > segment.byteSize() - length) {
            throw new IllegalArgumentException(what + " range [offset " + offset + ", length " + length
                + ") is outside its segment of " + segment.byteSize() + " bytes (store '" + storeName + "')");
        }
        if (length > max) {
            throw tooLong(what, length, max);
        }
    }

    private void checkRange(int capacity, int offset, int length, String what, int max) {
        if (length < 0 || offset < 0 || offset > capacity - length) {
            throw new IllegalArgumentException(what + " range [offset " + offset + ", length " + length
                + ") is outside its buffer of " + capacity + " bytes (store '" + storeName + "')");
        }
        if (length > max) {
            throw tooLong(what, length, max);
        }
    }

    private static void checkAlive(MemorySegment segment, String what) {
        if (!segment.scope().isAlive()) {
            throw new IllegalArgumentException(what + " segment is already closed");
        }
        if (!segment.isAccessibleBy(Thread.currentThread())) {
            throw new IllegalArgumentException(what + " segment is confined to another thread");
        }
    }

    private IllegalArgumentException tooLong(String what, long length, int max) {
        return new IllegalArgumentException(what + " of " + length + " bytes exceeds the maximum " + what
            + " length of " + max + " bytes (store '" + storeName + "')");
    }
}
