package io.offstate.offheap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A reusable flyweight over a batch of caller keys — an array of {@code byte[]}, an array of
 * {@link MemorySegment}s, or ranges of one segment — for batched lookups
 * ({@link io.offstate.offheap.index.EntryMap#findAll}).
 *
 * <p>Unlike an array of {@link ByteSource}s it is wrapped once per batch, not once per key: a key
 * is named by its index, so a lookup of many keys stores no reference per key (every reference
 * store into a long-lived object costs a GC write barrier). It hashes and compares exactly as
 * {@link ByteSource} does (the same {@link Hashing} function over the same little-endian words), so
 * a key found through a batch is the key a single lookup finds.
 *
 * <p>Not thread-safe; the caller checks the keys (non-null, live, within their buffers) before
 * wrapping, and the bytes must not change while a lookup runs. Holds references only.
 */
public final class KeyBatch {
    private static final int MODE_NONE = 0;
    private static final int MODE_ARRAYS = 1;
    private static final int MODE_SEGMENTS = 2;
    private static final int MODE_RANGES = 3;
    private static final VarHandle ARRAY_LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_LE = ByteSource.LONG_LE;

    private int mode;
    private byte[][] arrays;
    private MemorySegment[] segments;
    private MemorySegment ranged;
    private long[] offsets;
    private int[] lengths;

    /** Creates an unwrapped batch. */
    public KeyBatch() {
    }

    /** Key {@code i} is all of {@code keys[i]}. */
    public KeyBatch wrap(byte[][] keys) {
        clear();
        mode = MODE_ARRAYS;
        arrays = keys;
        return this;
    }

    /** Key {@code i} is all of {@code keys[i]}. */
    public KeyBatch wrap(MemorySegment[] keys) {
        clear();
        mode = MODE_SEGMENTS;
        segments = keys;
        return this;
    }

    /** Key {@code i} is {@code lengths[i]} bytes of {@code keys} at {@code offsets[i]}. */
    public KeyBatch wrap(MemorySegment keys, long[] offsets, int[] lengths) {
        clear();
        mode = MODE_RANGES;
        ranged = keys;
        this.offsets = offsets;
        this.lengths = lengths;
        return this;
    }

    /** Drops the references, so a pooled batch keeps no caller memory reachable. */
    public void clear() {
        mode = MODE_NONE;
        arrays = null;
        segments = null;
        ranged = null;
        offsets = null;
        lengths = null;
    }

    /** Length of key {@code i} in bytes. */
    public int length(int i) {
        return switch (mode) {
            case MODE_ARRAYS -> arrays[i].length;
            case MODE_SEGMENTS -> (int) segments[i].byteSize();
            case MODE_RANGES -> lengths[i];
            default -> throw notWrapped();
        };
    }

    /** Points {@code target} at key {@code i} (for the paths that take one {@link ByteSource}). */
    public ByteSource wrapKey(int i, ByteSource target) {
        return switch (mode) {
            case MODE_ARRAYS -> target.wrap(arrays[i]);
            case MODE_SEGMENTS -> target.wrap(segments[i], 0, (int) segments[i].byteSize());
            case MODE_RANGES -> target.wrap(ranged, offsets[i], lengths[i]);
            default -> throw notWrapped();
        };
    }

    /** {@link ByteSource#hash} of key {@code i} (no dictionary code). */
    public long hash(int i, long seed) {
        return switch (mode) {
            case MODE_ARRAYS -> hash(arrays[i], seed);
            case MODE_SEGMENTS -> hash(segments[i], 0, (int) segments[i].byteSize(), seed);
            case MODE_RANGES -> hash(ranged, offsets[i], lengths[i], seed);
            default -> throw notWrapped();
        };
    }

    /** Whether the bytes of key {@code i} equal the {@link #length(int)} bytes at {@code target[targetOffset ..]}. */
    public boolean bytesEqual(int i, MemorySegment target, long targetOffset) {
        return switch (mode) {
            case MODE_ARRAYS -> equal(arrays[i], target, targetOffset);
            case MODE_SEGMENTS -> equal(segments[i], 0, (int) segments[i].byteSize(), target, targetOffset);
            case MODE_RANGES -> equal(ranged, offsets[i], lengths[i], target, targetOffset);
            default -> throw notWrapped();
        };
    }

    // The two hashes below are Hashing.hash unrolled over a byte[] and a segment: keep all three in step.

    private static long hash(byte[] a, long seed) {
        final int len = a.length;
        long h = seed ^ Hashing.mum(seed ^ Hashing.P0, len ^ Hashing.P1);
        int i = 0;
        for (; i + 16 <= len; i += 16) {
            h = Hashing.mum((long) ARRAY_LONG_LE.get(a, i) ^ Hashing.P1 ^ h, (long) ARRAY_LONG_LE.get(a, i + 8) ^ Hashing.P2);
        }
        int rest = len - i;
        if (rest >= 8) {
            h = Hashing.mum((long) ARRAY_LONG_LE.get(a, i) ^ Hashing.P1 ^ h, Hashing.P3 ^ rest);
            i += 8;
            rest -= 8;
        }
        if (rest > 0) {
            long word = 0;
            for (int k = rest - 1; k >= 0; k--) {
                word = (word << 8) | (a[i + k] & 0xFF);
            }
            h = Hashing.mum(word ^ Hashing.P2 ^ h, Hashing.P0 ^ rest);
        }
        return Hashing.mum(h ^ Hashing.P3, len ^ Hashing.P0);
    }

    private static long hash(MemorySegment s, long offset, int len, long seed) {
        long h = seed ^ Hashing.mum(seed ^ Hashing.P0, len ^ Hashing.P1);
        int i = 0;
        for (; i + 16 <= len; i += 16) {
            h = Hashing.mum(s.get(LONG_LE, offset + i) ^ Hashing.P1 ^ h, s.get(LONG_LE, offset + i + 8) ^ Hashing.P2);
        }
        int rest = len - i;
        if (rest >= 8) {
            h = Hashing.mum(s.get(LONG_LE, offset + i) ^ Hashing.P1 ^ h, Hashing.P3 ^ rest);
            i += 8;
            rest -= 8;
        }
        if (rest > 0) {
            long word = 0;
            for (int k = rest - 1; k >= 0; k--) {
                word = (word << 8) | (s.get(ValueLayout.JAVA_BYTE, offset + i + k) & 0xFF);
            }
            h = Hashing.mum(word ^ Hashing.P2 ^ h, Hashing.P0 ^ rest);
        }
        return Hashing.mum(h ^ Hashing.P3, len ^ Hashing.P0);
    }

    private static boolean equal(byte[] a, MemorySegment target, long targetOffset) {
        final int len = a.length;
        int i = 0;
        for (; i + Long.BYTES <= len; i += Long.BYTES) {
            if ((long) ARRAY_LONG_LE.get(a, i) != target.get(LONG_LE, targetOffset + i)) {
                return false;
            }
        }
        for (; i < len; i++) {
            if (a[i] != target.get(ValueLayout.JAVA_BYTE, targetOffset + i)) {
                return false;
            }
        }
        return true;
    }

    private static boolean equal(MemorySegment s, long offset, int len, MemorySegment target, long targetOffset) {
        int i = 0;
        for (; i + Long.BYTES <= len; i += Long.BYTES) {
            if (s.get(LONG_LE, offset + i) != target.get(LONG_LE, targetOffset + i)) {
                return false;
            }
        }
        for (; i < len; i++) {
            if (s.get(ValueLayout.JAVA_BYTE, offset + i) != target.get(ValueLayout.JAVA_BYTE, targetOffset + i)) {
                return false;
            }
        }
        return true;
    }

    private static IllegalStateException notWrapped() {
        return new IllegalStateException("KeyBatch is not wrapped");
    }
}
