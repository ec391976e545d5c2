package io.offstate.checkpoint;

import java.time.Duration;
import java.util.Objects;

/**
 * Which checkpoints of a series {@link Checkpoints#applyRetention()} keeps. A checkpoint is dropped
 * when it breaks any rule set: it is not among the newest {@link #keepLast()} (if set), or it is
 * older than {@link #maxAge()} (if set). Two exceptions keep more: the newest checkpoint is never
 * dropped, and a kept incremental checkpoint keeps every checkpoint its chain reads (at most
 * {@code maxChain - 1} more, see {@link Checkpoints.Builder#maxChain}).
 *
 * <p>Immutable.
 *
 * @param keepLast how many of the newest to keep; 0: no count limit
 * @param maxAge   how old a kept checkpoint may be; null: no age limit
 */
public record Retention(int keepLast, Duration maxAge) {
    /** Keeps everything. */
    public static final Retention KEEP_ALL = new Retention(0, null);

    public Retention {
        if (keepLast < 0) {
            throw new IllegalArgumentException("keepLast " + keepLast + " is negative");
        }
        if (maxAge != null && (maxAge.isNegative() || maxAge.isZero())) {
            throw new IllegalArgumentException("maxAge " + maxAge + " must be positive");
        }
    }

    /** Keeps the newest {@code n} (n ≥ 1). */
    public static Retention keepLast(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("keepLast " + n + " must be at least 1");
        }
        return new Retention(n, null);
    }

    /** Keeps those younger than {@code age}. */
    public static Retention youngerThan(Duration age) {
        return new Retention(0, Objects.requireNonNull(age, "age"));
    }

    /** This rule and: younger than {@code age}. */
    public Retention andYoungerThan(Duration age) {
        return new Retention(keepLast, Objects.requireNonNull(age, "age"));
    }
}
