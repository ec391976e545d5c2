package io.offstate.offheap;

/**
 * Names the leading component of a key that a dictionary-encoded store replaces by a dense int
 * code: a tenant, a symbol, a group-by key — anything with few distinct values repeated across many
 * keys.
 *
 * <p>Every key splits uniquely into {@code component ++ rest}, so encoding is lossless and two
 * different keys never encode alike:
 * <ul>
 *   <li>{@link #fixedPrefix(int) fixedPrefix(n)}: the first {@code n} bytes (the whole key if it is
 *       shorter);</li>
 *   <li>{@link #untilDelimiter(byte) untilDelimiter(d)}: the bytes before the first {@code d}; the
 *       rest starts with {@code d} (the whole key if it holds no {@code d}).</li>
 * </ul>
 * Example: with {@code untilDelimiter((byte) '|')}, {@code "acme|order-17"} stores as
 * {@code code("acme") ++ "|order-17"}.
 *
 * <p>Immutable and thread-safe.
 */
public final class KeyComponent {
    private final int prefixLength;
    private final int delimiter;

    private KeyComponent(int prefixLength, int delimiter) {
        this.prefixLength = prefixLength;
        this.delimiter = delimiter;
    }

    /**
     * The first {@code length} bytes of each key.
     *
     * @throws IllegalArgumentException if {@code length} is not in {@code 1..65536}
     */
    public static KeyComponent fixedPrefix(int length) {
        if (length < 1 || length > 65536) {
            throw new IllegalArgumentException("fixed prefix length must be in 1..65536, was " + length);
        }
        return new KeyComponent(length, -1);
    }

    /** The bytes before the first occurrence of {@code delimiter} in each key. */
    public static KeyComponent untilDelimiter(byte delimiter) {
        return new KeyComponent(-1, delimiter & 0xFF);
    }

    /** The length of a {@link #fixedPrefix} component, or -1 for a delimited one. */
    public int fixedPrefixLength() {
        return prefixLength;
    }

    /** The delimiter (0..255) of an {@link #untilDelimiter} component, or -1 for a fixed prefix. */
    public int delimiter() {
        return delimiter;
    }

    /** Length of the component at the front of {@code key}. */
    public int componentLength(ByteSource key) {
        final int len = key.length();
        if (prefixLength > 0) {
            return Math.min(prefixLength, len);
        }
        for (int i = 0; i < len; i++) {
            if (key.byteAt(i) == delimiter) {
                return i;
            }
        }
        return len;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeyComponent k && k.prefixLength == prefixLength && k.delimiter == delimiter;
    }

    @Override
    public int hashCode() {
        return prefixLength * 31 + delimiter;
    }

    @Override
    public String toString() {
        return prefixLength > 0 ? "fixedPrefix(" + prefixLength + ")" : "untilDelimiter(0x" + Integer.toHexString(delimiter) + ")";
    }
}
