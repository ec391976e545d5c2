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
        Objects.requireNonNull(k, "key");
        if (k.length > KeyValueStore.MAX_KEY_LENGTH) {
            throw tooLong("key", k.length, KeyValueStore.MAX_KEY_LENGTH);
        }
        return key.wrap(k);
    }

    ByteSource key(MemorySegment k) {
        int length = checkedLength(k, "key", KeyValueStore.MAX_KEY_LENGTH);
        return key.wrap(k, 0, length);
    }

    ByteSource key(MemorySegment k, long offset, int length) {
        Objects.requireNonNull(k, "key");
        checkRange(k, offset, length, "key", KeyValueStore.MAX_KEY_LENGTH);
        return key.wrap(k, offset, length);
    }

    ByteSource key(DirectBuffer k, int offset, int length) {
        Objects.requireNonNull(k, "key");
        checkRange(k.capacity(), offset, length, "key", KeyValueStore.MAX_KEY_LENGTH);
        return key.wrap(k, offset, length);
    }

    ByteSource value(byte[] v) {
        Objects.requireNonNull(v, "value");
        if (v.length > KeyValueStore.MAX_VALUE_LENGTH) {
            throw tooLong("value", v.length, KeyValueStore.MAX_VALUE_LENGTH);
        }
        return value.wrap(v);
    }

    ByteSource value(MemorySegment v) {
        return value.wrap(v, 0, checkedLength(v, "value", KeyValueStore.MAX_VALUE_LENGTH));
    }

    ByteSource value(MemorySegment v, long offset, int length) {
        Objects.requireNonNull(v, "value");
        checkRange(v, offset, length, "value", KeyValueStore.MAX_VALUE_LENGTH);
        return value.wrap(v, offset, length);
    }

    ByteSource value(DirectBuffer v, int offset, int length) {
        Objects.requireNonNull(v, "value");
        checkRange(v.capacity(), offset, length, "value", KeyValueStore.MAX_VALUE_LENGTH);
        return value.wrap(v, offset, length);
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
