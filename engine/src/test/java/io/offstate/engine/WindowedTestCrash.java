package io.offstate.engine;

/** Lets the time-package tests simulate a process death of a {@link StateManager} (package-private hook). */
public final class WindowedTestCrash {
    private WindowedTestCrash() {
    }

    public static void crash(StateManager manager) {
        manager.crashForTests();
    }
}
