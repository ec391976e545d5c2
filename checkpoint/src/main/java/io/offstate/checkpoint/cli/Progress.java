package io.offstate.checkpoint.cli;

import java.io.PrintStream;

/**
 * Progress lines of a long operation on the error stream: at most one a second (the first after a
 * second), so short runs print none and logs of long ones stay readable. Not thread-safe: one
 * operation, one thread.
 */
final class Progress {
    private static final long INTERVAL_NANOS = 1_000_000_000L;

    private final PrintStream err;
    private final String what;
    private final long start = System.nanoTime();
    private long last = start;

    Progress(PrintStream err, String what) {
        this.err = err;
        this.what = what;
    }

    /** {@code done} of {@code total} bytes (total 0: unknown), plus a free-form {@code detail} (may be empty). */
    void update(long done, long total, String detail) {
        long now = System.nanoTime();
        if (now - last < INTERVAL_NANOS) {
            return;
        }
        last = now;
        StringBuilder line = new StringBuilder(what).append(": ").append(Format.bytes(done));
        if (total > 0) {
            line.append(" of ").append(Format.bytes(total)).append(" (").append(Math.min(100, done * 100 / total)).append("%)");
        }
        double seconds = (now - start) / 1e9;
        line.append(", ").append(Format.bytes((long) (done / seconds))).append("/s");
        if (!detail.isEmpty()) {
            line.append(", ").append(detail);
        }
        err.println(line);
    }
}
