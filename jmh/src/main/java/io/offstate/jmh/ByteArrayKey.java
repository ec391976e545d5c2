package io.offstate.jmh;

import java.util.Arrays;

/**
 * The fair on-heap peer's key: a {@code byte[]} with a cached {@link Arrays#hashCode(byte[])} and
 * {@link Arrays#equals(byte[], byte[])} equality, as a careful {@code HashMap} user would write it.
 */
public final class ByteArrayKey {
    final byte[] bytes;
    private final int hash;

    public ByteArrayKey(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof ByteArrayKey other && other.hash == hash && Arrays.equals(other.bytes, bytes);
    }
}
