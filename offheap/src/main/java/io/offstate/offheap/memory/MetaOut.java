package io.offstate.offheap.memory;

import java.util.Arrays;

/**
 * A growable little-endian byte buffer that the store's components write their metadata into
 * (allocator state, index roots, table ids) for a flush. Not for hot paths: it allocates.
 *
 * <p>Not thread-safe.
 */
public final class MetaOut {
    private byte[] bytes = new byte[256];
    private int length;

    private void ensure(int more) {
        if (length + more > bytes.length) {
            bytes = Arrays.copyOf(bytes, Math.max(bytes.length * 2, length + more));
        }
    }

    /** Appends a 4-byte int. */
    public MetaOut putInt(int v) {
        ensure(4);
        for (int i = 0; i < 4; i++) {
            bytes[length++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    /** Appends an 8-byte long. */
    public MetaOut putLong(long v) {
        ensure(8);
        for (int i = 0; i < 8; i++) {
            bytes[length++] = (byte) (v >>> (8 * i));
        }
        return this;
    }

    /** Appends a length-prefixed byte string. */
    public MetaOut putBytes(byte[] v) {
        putInt(v.length);
        ensure(v.length);
        System.arraycopy(v, 0, bytes, length, v.length);
        length += v.length;
        return this;
    }

    /** Bytes written so far. */
    public int length() {
        return length;
    }

    /** A copy of the bytes written. */
    public byte[] toByteArray() {
        return Arrays.copyOf(bytes, length);
    }
}
