package io.offstate.propertytests;

/**
 * Seeds and example counts of the properties. In CI the seeds are fixed (each property mixes the
 * base seed with its own name), so runs are reproducible. Outside CI:
 * <ul>
 *   <li>{@code -Doffstate.pt.seed=<long>} changes the base seed (explore new examples);</li>
 *   <li>{@code -Doffstate.pt.examples=<n>} sets the examples per configuration of the stateful model
 *       property; the other properties scale their counts by the same factor.</li>
 * </ul>
 * A failing property prints its seed; re-run it with the same {@code offstate.pt.seed}.
 */
final class Settings {
    static final long DEFAULT_BASE_SEED = 0x0FF5_7A7E_2025L;
    /** Default examples per configuration of {@link StatefulModelTest}. */
    static final int STATEFUL_EXAMPLES = 500;
    /**
     * Default examples per sorted configuration of {@link StatefulModelTest}'s main property (their
     * commands cost more: scans, and full index scans after writes); they also get the many-keys
     * and cursor properties.
     */
    static final int SORTED_STATEFUL_EXAMPLES = 350;
    /**
     * Default examples per configuration of each {@link FileBackedModelTest} property: its
     * sequences flush and reopen a store directory several times, and each flush forces files to
     * disk, so an example costs far more than an in-memory one.
     */
    static final int FILE_EXAMPLES = 15;

    private Settings() {
    }

    static long baseSeed() {
        return Long.getLong("offstate.pt.seed", DEFAULT_BASE_SEED);
    }

    /** The seed of the property named {@code name} (a fixed function of the base seed and the name). */
    static long seed(String name) {
        long h = baseSeed() ^ (name.hashCode() * 0x9E3779B97F4A7C15L);
        h = (h ^ (h >>> 33)) * 0xFF51AFD7ED558CCDL;
        return h ^ (h >>> 33);
    }

    /** Examples per configuration of the stateful model property. */
    static int statefulExamples() {
        return Integer.getInteger("offstate.pt.examples", STATEFUL_EXAMPLES);
    }

    /** Examples of the stateful model property for {@code config}. */
    static int statefulExamples(StoreConfig config) {
        return config.sorted() ? scaled(SORTED_STATEFUL_EXAMPLES) : statefulExamples();
    }

    /** Examples per configuration of each file-backed property. */
    static int fileExamples() {
        return scaled(FILE_EXAMPLES);
    }

    /** {@code ciDefault} scaled like the stateful examples (at least 1). */
    static int scaled(int ciDefault) {
        return (int) Math.max(1, Math.round((double) ciDefault * statefulExamples() / STATEFUL_EXAMPLES));
    }

    /** Shrink attempts after a failure: enough for short sequences, bounded so failures report fast. */
    static int shrinkCycles() {
        return Integer.getInteger("offstate.pt.shrinkCycles", 3000);
    }
}
