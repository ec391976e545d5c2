package io.offstate.engine;

/**
 * Test-only reach into {@link StateManager#crashForTests()} for the versioned-store tests, which
 * live in {@code io.offstate.engine.time} (the method is package-private).
 */
public final class VersionedStoreCrash {
    private VersionedStoreCrash() {
    }

    /** What a process death leaves: stores closed without a flush, then everything released. */
    public static void crash(StateManager manager) {
        manager.crashForTests();
    }
}
