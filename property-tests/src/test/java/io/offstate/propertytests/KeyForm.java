package io.offstate.propertytests;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import org.agrona.concurrent.UnsafeBuffer;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.ValueView;

/**
 * How a command hands keys (and, for puts, values) to the store: each form goes through a different
 * overload. Range forms embed the bytes at an offset inside a larger buffer padded with junk
 * (including '|' bytes), so reading outside the range changes the key.
 */
enum KeyForm {
    /** {@code byte[]} overloads. */
    ARRAY,
    /** Whole-{@link MemorySegment} overloads, with a slice at an offset of a padded heap array. */
    HEAP_SLICE,
    /** Whole-{@link MemorySegment} overloads, with native memory (the slice of a padded native segment). */
    NATIVE_SEGMENT,
    /** {@code (MemorySegment, offset, length)} overloads over a padded heap segment. */
    SEGMENT_RANGE,
    /** {@code (DirectBuffer, offset, length)} overloads over an array-backed Agrona UnsafeBuffer. */
    AGRONA_RANGE;

    /** The form used for getCopy, which has only byte[] and whole-segment overloads. */
    KeyForm forCopy() {
        return switch (this) {
            case ARRAY, HEAP_SLICE, NATIVE_SEGMENT -> this;
            case SEGMENT_RANGE, AGRONA_RANGE -> HEAP_SLICE;
        };
    }

    /** {@code bytes} with {@code pad} junk bytes before and {@code pad + 1} after. */
    static byte[] padded(byte[] bytes, int pad) {
        byte[] out = new byte[pad + bytes.length + pad + 1];
        for (int i = 0; i < out.length; i++) {
            out[i] = (i & 1) == 0 ? (byte) '|' : (byte) 0xEE;
        }
        System.arraycopy(bytes, 0, out, pad, bytes.length);
        return out;
    }

    private static MemorySegment nativeSlice(Arena arena, byte[] bytes, int pad) {
        byte[] p = padded(bytes, pad);
        MemorySegment seg = arena.allocate(p.length);
        MemorySegment.copy(p, 0, seg, ValueLayout.JAVA_BYTE, 0, p.length);
        return seg.asSlice(pad, bytes.length);
    }

    private static MemorySegment heapSlice(byte[] bytes, int pad) {
        return MemorySegment.ofArray(padded(bytes, pad)).asSlice(pad, bytes.length);
    }

    void put(KeyValueStore store, byte[] key, byte[] value, int pad) {
        switch (this) {
            case ARRAY -> store.put(key, value);
            case HEAP_SLICE -> store.put(heapSlice(key, pad), heapSlice(value, pad + 1));
            case NATIVE_SEGMENT -> {
                try (Arena arena = Arena.ofConfined()) {
                    store.put(nativeSlice(arena, key, pad), nativeSlice(arena, value, pad));
                }
            }
            case SEGMENT_RANGE -> store.put(MemorySegment.ofArray(padded(key, pad)), pad, key.length,
                MemorySegment.ofArray(padded(value, pad + 2)), pad + 2, value.length);
            case AGRONA_RANGE -> store.put(new UnsafeBuffer(padded(key, pad)), pad, key.length,
                new UnsafeBuffer(padded(value, pad + 3)), pad + 3, value.length);
        }
    }

    boolean get(KeyValueStore store, byte[] key, int pad, ValueView view) {
        return switch (this) {
            case ARRAY -> store.get(key, view);
            case HEAP_SLICE -> store.get(heapSlice(key, pad), view);
            case NATIVE_SEGMENT -> {
                try (Arena arena = Arena.ofConfined()) {
                    yield store.get(nativeSlice(arena, key, pad), view);
                }
            }
            case SEGMENT_RANGE -> store.get(MemorySegment.ofArray(padded(key, pad)), pad, key.length, view);
            case AGRONA_RANGE -> store.get(new UnsafeBuffer(padded(key, pad)), pad, key.length, view);
        };
    }

    byte[] getCopy(KeyValueStore store, byte[] key, int pad) {
        return switch (forCopy()) {
            case ARRAY -> store.getCopy(key);
            case NATIVE_SEGMENT -> {
                try (Arena arena = Arena.ofConfined()) {
                    yield store.getCopy(nativeSlice(arena, key, pad));
                }
            }
            default -> store.getCopy(heapSlice(key, pad));
        };
    }

    boolean delete(KeyValueStore store, byte[] key, int pad) {
        return switch (this) {
            case ARRAY -> store.delete(key);
            case HEAP_SLICE -> store.delete(heapSlice(key, pad));
            case NATIVE_SEGMENT -> {
                try (Arena arena = Arena.ofConfined()) {
                    yield store.delete(nativeSlice(arena, key, pad));
                }
            }
            case SEGMENT_RANGE -> store.delete(MemorySegment.ofArray(padded(key, pad)), pad, key.length);
            case AGRONA_RANGE -> store.delete(new UnsafeBuffer(padded(key, pad)), pad, key.length);
        };
    }

    boolean contains(KeyValueStore store, byte[] key, int pad) {
        return switch (this) {
            case ARRAY -> store.contains(key);
            case HEAP_SLICE -> store.contains(heapSlice(key, pad));
            case NATIVE_SEGMENT -> {
                try (Arena arena = Arena.ofConfined()) {
                    yield store.contains(nativeSlice(arena, key, pad));
                }
            }
            case SEGMENT_RANGE -> store.contains(MemorySegment.ofArray(padded(key, pad)), pad, key.length);
            case AGRONA_RANGE -> store.contains(new UnsafeBuffer(padded(key, pad)), pad, key.length);
        };
    }

    /** Short name for command descriptions. */
    String label(int pad) {
        return switch (this) {
            case ARRAY -> "byte[]";
            case HEAP_SLICE -> "heapSlice@" + pad;
            case NATIVE_SEGMENT -> "nativeSegment";
            case SEGMENT_RANGE -> "segmentRange@" + pad;
            case AGRONA_RANGE -> "agrona@" + pad;
        };
    }
}
