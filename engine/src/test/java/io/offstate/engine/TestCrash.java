package io.offstate.engine;

/**
 * Test-only access to {@link StateManager#crashForTests()} for tests outside this package (the time
 * stores' tests): what a process death leaves — stores closed without a flush, locks released.
 */
public final class TestCrash {
    private TestCrash() {
    }

    /** Simulates a process death of {@code manager}. */
    public static void crash(StateManager manager) {
        manager.crashForTests();
    }
}
