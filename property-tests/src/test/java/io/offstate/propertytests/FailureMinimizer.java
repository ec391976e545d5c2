package io.offstate.propertytests;

import java.util.ArrayList;
import java.util.List;

/**
 * Drops commands from a failing sequence while it still fails the same way (same exception class),
 * to report a minimal sequence of calls. QuickTheories shrinks the elements of a command list
 * (keys, values, counts) but seldom removes elements, so its "smallest" sequence often keeps
 * commands that play no part in the failure.
 *
 * <p>Use one per property run: {@link #check} is the property (records the failing input with the
 * fewest commands that QuickTheories tried, among failures like the first); {@link #explain} turns
 * QuickTheories' report into one that ends with the minimized sequence and its failure, and any
 * failure of another kind met while shrinking. The model check run is {@link StatefulModelTest}'s
 * unless another {@link Property} is given.
 */
final class FailureMinimizer {
    /** Most sequence runs spent minimizing (each run is one model check). */
    static final int MAX_RUNS = 3000;

    /** A model check of a command sequence on a store of a setup: returns, or throws the failure. */
    @FunctionalInterface
    interface Property {
        void check(StoreSetup setup, List<StoreCommand> commands);
    }

    private final Property property;

    private Class<?> firstFailure;
    private StoreSetup failingSetup;
    private List<StoreCommand> failingCommands;
    /** Failures of another class met while shrinking (possibly other bugs), first of each class. */
    private final java.util.Map<Class<?>, String> otherFailures = new java.util.LinkedHashMap<>();

    /** Minimizes failures of {@link StatefulModelTest#check}. */
    FailureMinimizer() {
        this(StatefulModelTest::check);
    }

    FailureMinimizer(Property property) {
        this.property = property;
    }

    /**
     * Runs the model check; remembers, among the failures of the same class as the first
     * one, the input with the fewest commands (shrinking can wander into other failures).
     */
    void check(StoreSetup setup, List<StoreCommand> commands) {
        try {
            property.check(setup, commands);
        } catch (RuntimeException | AssertionError e) {
            if (firstFailure == null) {
                firstFailure = e.getClass();
            }
            if (e.getClass() != firstFailure) {
                otherFailures.putIfAbsent(e.getClass(), e + " after " + setup + ", " + commands);
            } else if (failingCommands == null || commands.size() <= failingCommands.size()) {
                failingSetup = setup;
                failingCommands = List.copyOf(commands);
            }
            throw e;
        }
    }

    /** QuickTheories' report followed by the minimized sequence and its failure. */
    AssertionError explain(AssertionError report) {
        if (failingCommands == null) {
            return report;
        }
        Throwable original = failureOf(failingSetup, failingCommands);
        if (original == null) {
            return report;
        }
        List<StoreCommand> commands = new ArrayList<>(failingCommands);
        int runs = 0;
        for (int chunk = Math.max(1, commands.size() / 2); chunk >= 1 && runs < MAX_RUNS; chunk /= 2) {
            boolean dropped = true;
            while (dropped && runs < MAX_RUNS) {
                dropped = false;
                for (int from = commands.size() - chunk; from >= 0 && runs < MAX_RUNS; from -= chunk) {
                    List<StoreCommand> candidate = new ArrayList<>(commands.subList(0, from));
                    candidate.addAll(commands.subList(from + chunk, commands.size()));
                    runs++;
                    Throwable t = failureOf(failingSetup, candidate);
                    if (t != null && t.getClass() == original.getClass()) {
                        commands = candidate;
                        dropped = true;
                    }
                }
            }
        }
        Throwable last = failureOf(failingSetup, commands); // re-run: commands print what this run saw
        StringBuilder others = new StringBuilder();
        otherFailures.forEach((type, where) -> others.append("\nAlso seen while shrinking (another failure): ").append(where));
        AssertionError e = new AssertionError(report.getMessage() + "\nMinimized by dropping commands (" + failingCommands.size()
            + " -> " + commands.size() + ", " + runs + " runs): " + failingSetup + ", " + commands + "\nwhich fails with: " + last
            + others, last);
        e.addSuppressed(report);
        return e;
    }

    private Throwable failureOf(StoreSetup setup, List<StoreCommand> commands) {
        try {
            property.check(setup, commands);
            return null;
        } catch (RuntimeException | AssertionError e) {
            return e;
        }
    }
}
