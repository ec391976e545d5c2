package io.offstate.propertytests;

import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Drops elements from a failing command sequence while it still fails with the same exception
 * class, for properties whose examples are too costly for QuickTheories' shrinking (which seldom
 * removes list elements anyway; see {@link FailureMinimizer} for the store properties' version).
 *
 * <p>Use one per property run: {@link #check} wraps the property and remembers the first failing
 * sequence; {@link #explain} minimizes it and returns QuickTheories' report extended with the
 * minimized sequence and its failure (as the cause).
 *
 * @param <T> the command type
 */
final class SequenceMinimizer<T> {
    private final Consumer<List<T>> property;
    private final int maxRuns;
    private List<T> failing;
    private Class<?> failure;

    SequenceMinimizer(Consumer<List<T>> property, int maxRuns) {
        this.property = property;
        this.maxRuns = maxRuns;
    }

    /** Runs the property; remembers the first failing sequence. */
    void check(List<T> commands) {
        try {
            property.accept(commands);
        } catch (RuntimeException | AssertionError e) {
            if (failing == null) {
                failing = List.copyOf(commands);
                failure = e.getClass();
            }
            throw e;
        }
    }

    /** {@code report} followed by the minimized sequence and its failure. */
    AssertionError explain(AssertionError report) {
        if (failing == null) {
            return report;
        }
        List<T> commands = new ArrayList<>(failing);
        int runs = 0;
        for (int chunk = Math.max(1, commands.size() / 2); chunk >= 1 && runs < maxRuns; chunk /= 2) {
            boolean dropped = true;
            while (dropped && runs < maxRuns) {
                dropped = false;
                for (int from = commands.size() - chunk; from >= 0 && runs < maxRuns; from -= chunk) {
                    List<T> candidate = new ArrayList<>(commands.subList(0, from));
                    candidate.addAll(commands.subList(from + chunk, commands.size()));
                    runs++;
                    Throwable t = failureOf(candidate);
                    if (t != null && t.getClass() == failure) {
                        commands = candidate;
                        dropped = true;
                    }
                }
            }
        }
        Throwable last = failureOf(commands);
        AssertionError e = new AssertionError(report.getMessage() + "\nMinimized by dropping commands (" + failing.size()
            + " -> " + commands.size() + ", " + runs + " runs): " + commands + "\nwhich fails with: " + last, last);
        e.addSuppressed(report);
        return e;
    }

    private Throwable failureOf(List<T> commands) {
        try {
            property.accept(commands);
            return null;
        } catch (RuntimeException | AssertionError e) {
            return e;
        }
    }
}
