package io.offstate.engine;

/**
 * The test-only parts of {@link StateManager} and its partitions, which are package-private, made
 * reachable for tests in other packages (the time stores' tests). The property tests keep a copy of
 * this class in their own sources. Not for production use.
 */
public final class TestManagers {
    /** Largest input positions a partition's commit may carry ({@code PartitionMetadata.MAX_POSITIONS}). */
    public static final int MAX_POSITIONS = PartitionMetadata.MAX_POSITIONS;

    private TestManagers() {
    }

    /** What a process death leaves: stores closed without a flush, then everything released ({@code crashForTests}). */
    public static void crash(StateManager manager) {
        manager.crashForTests();
    }
}
