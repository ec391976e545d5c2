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
