package io.offstate.propertytests;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

/**
 * An immutable byte string with value equality, unsigned lexicographic order and a short readable
 * {@code toString()} ({@code [length]"printable prefix"}), used for keys and values in models.
 */
public final class Bytes implements Comparable<Bytes> {
    static final Bytes EMPTY = new Bytes(new byte[0]);
    private static final int SHOWN = 12;

    private final byte[] bytes;
    private final int hash;

    private Bytes(byte[] bytes) {
        this.bytes = bytes;
        this.hash = Arrays.hashCode(bytes);
    }

    /** Wraps {@code bytes}, which the caller must not modify afterwards. */
    static Bytes wrap(byte[] bytes) {
        return new Bytes(bytes);
    }

    /** A copy of the whole of {@code segment}. */
    static Bytes copyOf(MemorySegment segment) {
        return new Bytes(segment.toArray(ValueLayout.JAVA_BYTE));
    }

    /** The bytes themselves: do not modify. */
    byte[] array() {
        return bytes;
    }

    int length() {
        return bytes.length;
    }

    /** Whether these bytes begin with all of {@code prefix}'s (every byte string begins with the empty one). */
    boolean startsWith(Bytes prefix) {
        int n = prefix.bytes.length;
        return n <= bytes.length && Arrays.equals(bytes, 0, n, prefix.bytes, 0, n);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Bytes b && b.hash == hash && Arrays.equals(b.bytes, bytes);
    }

    @Override
    public int hashCode() {
        return hash;
    }

    @Override
    public int compareTo(Bytes o) {
        return Arrays.compareUnsigned(bytes, o.bytes);
    }

    @Override
    public String toString() {
        return describe(bytes);
    }

    /** {@code [length]"prefix"}: printable ASCII as is, other bytes as \xHH, at most 12 bytes shown. */
    static String describe(byte[] b) {
        StringBuilder sb = new StringBuilder().append('[').append(b.length).append("]\"");
        int n = Math.min(b.length, SHOWN);
        for (int i = 0; i < n; i++) {
            int c = b[i] & 0xFF;
            if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {
                sb.append((char) c);
            } else {
                sb.append("\\x").append(Character.forDigit(c >> 4, 16)).append(Character.forDigit(c & 15, 16));
            }
        }
        sb.append('"');
        if (b.length > SHOWN) {
            sb.append("..#").append(Integer.toHexString(Arrays.hashCode(b)));
        }
        return sb.toString();
    }
}
