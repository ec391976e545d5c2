package io.offstate.engine;

/**
 * The test-only settings of {@link StoreOptions.Builder}, which are package-private so that they
 * are no part of the public API, made reachable for the property tests. This class lives in the
 * engine's package but only in the property tests' sources: the tests run on the class path, where
 * a package may span two jars. Not for production use.
 */
public final class TestOptions {
    private TestOptions() {
    }

    /** Keeps only {@code bits} (0..12) fingerprint bits in index slots, so that every probe compares key bytes. */
    public static StoreOptions.Builder fingerprintBits(StoreOptions.Builder builder, int bits) {
        return builder.fingerprintBitsForTesting(bits);
    }

    /** Sorted index nodes of {@code bytes} (128..65536, at most a quarter page), for deep trees in small stores. */
    public static StoreOptions.Builder sortedIndexNodeSize(StoreOptions.Builder builder, int bytes) {
        return builder.sortedIndexNodeSizeForTesting(bytes);
    }
}
