package io.offstate.offheap;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

import org.agrona.DirectBuffer;

/**
 * A reusable flyweight naming a run of bytes that lives in a {@code byte[]}, a {@link MemorySegment}
 * or an Agrona {@link DirectBuffer}, optionally preceded by a dictionary code.
 *
 * <p>It lets one hashing and comparison path serve every kind of caller key without copying or
 * wrapping the caller's bytes (wrapping a {@code byte[]} in a heap segment would allocate on the
 * hot path). Words are always read little-endian so hashes do not depend on the platform.
 *
 * <p><b>Dictionary code.</b> When {@link #code()} is {@code >= 0} the source stands for the
 * <em>stored</em> key {@code varint(code) ++ bytes}: the code replaced a key component that a
 * {@link KeyComponent} cut off the front of the caller's key.
 *
 * <p><b>Threading and ownership:</b> not thread-safe; one instance per thread (stores keep one per
 * store). It holds references only: the bytes stay owned by the caller and must not change while
 * an operation that was handed this source runs.
 */
public final class ByteSource {
    private static final int MODE_NONE = 0;
    private static final int MODE_ARRAY = 1;
    private static final int MODE_SEGMENT = 2;
    private static final int MODE_BUFFER = 3;

    /** Little-endian unaligned long, the word every hash and comparison is built from. */
    public static final ValueLayout.OfLong LONG_LE =
        ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle ARRAY_LONG_LE =
        MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private int mode;
    private byte[] array;
    private MemorySegment segment;
    private DirectBuffer buffer;
    private long offset;
    private int length;
    private int code = -1;

    /** Creates an unwrapped source; call one of the {@code wrap} methods before use. */
    public ByteSource() {
    }

    /** Points this source at {@code array[0 .. array.length)}; clears any dictionary code. */
    public ByteSource wrap(byte[] array) {
        return wrap(array, 0, array.length);
    }

    /** Points this source at {@code array[offset .. offset + length)}; clears any dictionary code. */
    public ByteSource wrap(byte[] array, int offset, int length) {
        clearRefs();
        this.mode = MODE_ARRAY;
        this.array = array;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Points this source at {@code segment[offset .. offset + length)}; clears any dictionary code. */
    public ByteSource wrap(MemorySegment segment, long offset, int length) {
        clearRefs();
        this.mode = MODE_SEGMENT;
        this.segment = segment;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Points this source at {@code buffer[offset .. offset + length)}; clears any dictionary code. */
    public ByteSource wrap(DirectBuffer buffer, int offset, int length) {
        clearRefs();
        this.mode = MODE_BUFFER;
        this.buffer = buffer;
        this.offset = offset;
        this.length = length;
        return this;
    }

    /** Makes this source name the same bytes as {@code other}, code included. */
    public ByteSource wrap(ByteSource other) {
        this.mode = other.mode;
        this.array = other.array;
        this.segment = other.segment;
        this.buffer = other.buffer;
        this.offset = other.offset;
        this.length = other.length;
        this.code = other.code;
        return this;
    }

    /** Narrows this source to {@code length} bytes starting {@code skip} bytes in. */
    public ByteSource narrow(int skip, int length) {
        this.offset += skip;
        this.length = length;
        return this;
    }

    /** Sets the dictionary code that precedes the bytes ({@code -1} for none). */
    public ByteSource code(int code) {
        this.code = code;
        return this;
    }

    /** The dictionary code that precedes the bytes, or {@code -1}. */
    public int code() {
        return code;
    }

    /** Number of bytes named, not counting any dictionary code. */
    public int length() {
        return length;
    }

    /** Length of the key as stored: the bytes plus the varint of the dictionary code, if any. */
    public int storedLength() {
        return code < 0 ? length : Varint.size(code) + length;
    }

    /** Drops the references so a pooled flyweight does not keep caller memory reachable. */
    public void clear() {
        clearRefs();
        mode = MODE_NONE;
        offset = 0;
        length = 0;
    }

    private void clearRefs() {
        array = null;
        segment = null;
        buffer = null;
        code = -1;
    }

    /** Unsigned byte at {@code index} (0-based, within {@link #length()}). */
    public int byteAt(int index) {
        return switch (mode) {
            case MODE_ARRAY -> array[(int) offset + index] & 0xFF;
            case MODE_SEGMENT -> segment.get(ValueLayout.JAVA_BYTE, offset + index) & 0xFF;
            case MODE_BUFFER -> buffer.getByte((int) offset + index) & 0xFF;
            default -> throw new IllegalStateException("ByteSource is not wrapped");
        };
    }

    /** Little-endian long made of the 8 bytes starting at {@code index}. */
    public long longAt(int index) {
        return switch (mode) {
            case MODE_ARRAY -> (long) ARRAY_LONG_LE.get(array, (int) offset + index);
            case MODE_SEGMENT -> segment.get(LONG_LE, offset + index);
            case MODE_BUFFER -> buffer.getLong((int) offset + index, ByteOrder.LITTLE_ENDIAN);
            default -> throw new IllegalStateException("ByteSource is not wrapped");
        };
    }

    /** Little-endian long of the {@code count} (0..7) bytes at {@code index}, high bytes zero. */
    public long tailAt(int index, int count) {
        long word = 0;
        for (int i = count - 1; i >= 0; i--) {
            word = (word << 8) | byteAt(index + i);
        }
        return word;
    }

    /** Seeded 64-bit hash of the stored form of this key (code included). */
    public long hash(long seed) {
        long s = code < 0 ? seed : Hashing.mixCode(seed, code);
        return Hashing.hash(this, s);
    }

    /**
     * Whether the {@code length} bytes at {@code target[targetOffset ..]} equal this source's bytes
     * (code excluded). Lengths must already be known to be equal.
     */
    public boolean bytesEqual(MemorySegment target, long targetOffset) {
        final int len = length;
        if (mode == MODE_SEGMENT) {
            return MemorySegment.mismatch(segment, offset, offset + len, target, targetOffset, targetOffset + len) < 0;
        }
        int i = 0;
        for (; i + Long.BYTES <= len; i += Long.BYTES) {
            if (longAt(i) != target.get(LONG_LE, targetOffset + i)) {
                return false;
            }
        }
        for (; i < len; i++) {
            if ((byte) byteAt(i) != target.get(ValueLayout.JAVA_BYTE, targetOffset + i)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The first 8 bytes of this source (code excluded) as an unsigned big-endian number, zero-padded
     * when shorter: comparing two such numbers unsigned orders keys as unsigned lexicographic byte
     * comparison does, up to their first 8 bytes.
     */
    public long orderPrefix() {
        final int len = length;
        if (len >= Long.BYTES) {
            return Long.reverseBytes(longAt(0));
        }
        long word = 0;
        for (int i = 0; i < len; i++) {
            word |= (long) byteAt(i) << (56 - (i << 3));
        }
        return word;
    }

    /**
     * Compares, as unsigned bytes, {@code n} bytes of this source starting at {@code index} (code
     * excluded) with the {@code n} bytes at {@code target[targetOffset ..]}: negative, zero or
     * positive as this source's run is less than, equal to or greater than the target's.
     */
    public int compareTo(int index, MemorySegment target, long targetOffset, int n) {
        if (mode == MODE_SEGMENT) {
            long m = MemorySegment.mismatch(segment, offset + index, offset + index + n, target, targetOffset, targetOffset + n);
            if (m < 0) {
                return 0;
            }
            return (segment.get(ValueLayout.JAVA_BYTE, offset + index + m) & 0xFF)
                - (target.get(ValueLayout.JAVA_BYTE, targetOffset + m) & 0xFF);
        }
        int i = 0;
        for (; i + Long.BYTES <= n; i += Long.BYTES) {
            long a = longAt(index + i);
            long b = target.get(LONG_LE, targetOffset + i);
            if (a != b) {
                // little-endian words: the lowest differing byte is the first differing byte
                int shift = Long.numberOfTrailingZeros(a ^ b) & ~7;
                return (int) ((a >>> shift) & 0xFF) - (int) ((b >>> shift) & 0xFF);
            }
        }
        for (; i < n; i++) {
            int d = byteAt(index + i) - (target.get(ValueLayout.JAVA_BYTE, targetOffset + i) & 0xFF);
            if (d != 0) {
                return d;
            }
        }
        return 0;
    }

    /** Copies this source's bytes (code excluded) to {@code target[targetOffset ..]}. */
    public void copyTo(MemorySegment target, long targetOffset) {
        final int len = length;
        switch (mode) {
            case MODE_ARRAY -> MemorySegment.copy(array, (int) offset, target, ValueLayout.JAVA_BYTE, targetOffset, len);
            case MODE_SEGMENT -> MemorySegment.copy(segment, offset, target, targetOffset, len);
            case MODE_BUFFER -> {
                byte[] backing = buffer.byteArray();
                if (backing != null) {
                    // heap-backed buffers: copy straight from the array, no per-byte calls
                    MemorySegment.copy(backing, (int) (buffer.wrapAdjustment() + offset), target,
                        ValueLayout.JAVA_BYTE, targetOffset, len);
                } else {
                    int i = 0;
                    for (; i + Long.BYTES <= len; i += Long.BYTES) {
                        target.set(LONG_LE, targetOffset + i, longAt(i));
                    }
                    for (; i < len; i++) {
                        target.set(ValueLayout.JAVA_BYTE, targetOffset + i, (byte) byteAt(i));
                    }
                }
            }
            default -> throw new IllegalStateException("ByteSource is not wrapped");
        }
    }

    /** Copies this source's bytes (code excluded) into a new array. */
    public byte[] toByteArray() {
        byte[] out = new byte[length];
        copyTo(MemorySegment.ofArray(out), 0);
        return out;
    }

    @Override
    public String toString() {
        return "ByteSource[length=" + length + ", code=" + code + "]";
    }
}
