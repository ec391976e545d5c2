package io.offstate.engine.serde;

/** The built-in serdes. Thread-safe singletons. */
public final class Serdes {
    /** {@code long}, 8 bytes, order-preserving. */
    public static final LongSerde LONG = new LongSerde();
    /** {@code int}, 4 bytes, order-preserving. */
    public static final IntSerde INT = new IntSerde();
    /** {@code String} as UTF-8. */
    public static final Utf8Serde UTF8 = new Utf8Serde();
    /** {@code byte[]} as is. */
    public static final BytesSerde BYTES = new BytesSerde();

    private Serdes() {
    }

    static void expectLength(int actual, int expected, String type) {
        if (actual != expected) {
            throw new IllegalArgumentException("a " + type + " is encoded in " + expected + " bytes, found " + actual);
        }
    }
}
