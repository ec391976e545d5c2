package io.offstate.engine;

import java.util.Objects;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import io.offstate.offheap.StoreFileException;

/**
 * A background thread that re-reads a file-backed store's committed files at a bounded rate and
 * checks every chunk against its stored CRC32C, so that damage on disk (a bad sector, a stray write,
 * a file replaced behind the store's back) is found while the store runs rather than the next time
 * the damaged bytes are read. Started by {@link KeyValueStore#scrubInBackground(long, Consumer)}.
 *
 * <p>What it reads is the files, never the store's memory, so it does not touch the store's
 * thread-confined state: the store's owner keeps reading, writing and flushing while it runs (a
 * flush and a scrub batch exclude each other for at most one batch of {@value #MAX_BATCH} bytes,
 * and a chunk rewritten by a concurrent flush is never reported). It reports damage to the
 * listener given at start, on the scrub thread, one report per bad chunk per pass; the store itself
 * is not changed by a report: a read that touches the damaged bytes later still throws, and the
 * application decides what to do (for example restore the store from a checkpoint or changelog).
 *
 * <p>Thread-safety: all methods may be called from any thread. {@link #stop()} ends the thread;
 * {@link KeyValueStore#close()} stops it before the files are released. Owns one platform daemon
 * thread and one read buffer of the file layer; no off-heap memory of the store.
 */
public final class BackgroundScrub implements AutoCloseable {
    /** Largest number of bytes checked in one batch (between two checks of the stop flag and the rate). */
    public static final long MAX_BATCH = 1L << 20;

    private static final long NANOS_PER_SECOND = 1_000_000_000L;
    private static final long IDLE_NANOS = 50_000_000L;

    private final Persistence persistence;
    private final String storeName;
    private final long bytesPerSecond;
    private final long batch;
    private final Consumer<? super StoreFileException> listener;
    private final Thread thread;

    private volatile boolean stopping;
    private volatile long bytesChecked;
    private volatile long damageReports;
    private volatile long listenerFailures;
    private volatile RuntimeException failure;

    BackgroundScrub(Persistence persistence, String storeName, long bytesPerSecond, Consumer<? super StoreFileException> listener) {
        this.persistence = persistence;
        this.storeName = storeName;
        this.bytesPerSecond = bytesPerSecond;
        this.batch = Math.max(4096, Math.min(MAX_BATCH, bytesPerSecond / 10));
        this.listener = Objects.requireNonNull(listener, "listener");
        this.thread = Thread.ofPlatform().daemon().name("offstate-scrub-" + storeName).unstarted(this::run);
    }

    void start() {
        thread.start();
    }

    private void run() {
        long start = System.nanoTime();
        long budgetUsed = 0;
        while (!stopping) {
            long checked;
            try {
                checked = persistence.scrub(batch);
            } catch (StoreFileException e) {
                damageReports++;
                report(e);
                checked = batch; // paced like a batch, so damage that stays cannot spin the thread
            } catch (RuntimeException e) {
                if (!stopping) {
                    failure = e; // e.g. the file system failing: the scrub ends and says why
                }
                return;
            }
            bytesChecked += checked;
            budgetUsed += checked;
            // Pace against the wall clock since start: bytes checked may not run ahead of rate * elapsed.
            long due = start + (long) ((double) budgetUsed / bytesPerSecond * NANOS_PER_SECOND);
            long wait = due - System.nanoTime();
            if (checked == 0) {
                wait = Math.max(wait, IDLE_NANOS); // nothing committed yet: look again later
            }
            if (wait > 0) {
                LockSupport.parkNanos(this, wait);
            } else if (wait < -NANOS_PER_SECOND) {
                start = System.nanoTime(); // fell behind (long flushes): do not burst to catch up
                budgetUsed = 0;
            }
        }
    }

    private void report(StoreFileException e) {
        try {
            listener.accept(e);
        } catch (RuntimeException | Error ignored) {
            listenerFailures++; // a failing listener must not end the scrub; counted so tests and operators see it
        }
    }

    /** Bytes checked so far. */
    public long bytesChecked() {
        return bytesChecked;
    }

    /** Complete passes over all committed chunks of the store's files so far (counted by the file layer). */
    public long passes() {
        return persistence.scrubPasses();
    }

    /** Damage reports handed to the listener so far. */
    public long damageReports() {
        return damageReports;
    }

    /** Times the listener threw (the scrub went on). */
    public long listenerFailures() {
        return listenerFailures;
    }

    /** The scrub's rate in bytes per second. */
    public long bytesPerSecond() {
        return bytesPerSecond;
    }

    /** Whether the scrub thread is still running. */
    public boolean isRunning() {
        return thread.isAlive();
    }

    /**
     * The failure that ended the scrub thread, other than damage (for example the file system
     * failing, or the store's files closed), or null while it runs or if it was stopped.
     */
    public RuntimeException failure() {
        return failure;
    }

    /**
     * Stops the scrub and waits for its thread to end (at most one batch); idempotent. The store
     * stays open.
     */
    public void stop() {
        stopping = true;
        LockSupport.unpark(thread);
        boolean interrupted = false;
        while (thread.isAlive() && thread != Thread.currentThread()) {
            try {
                thread.join();
            } catch (InterruptedException e) {
                interrupted = true; // finish the join: the files are released right after this returns
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
    }

    /** Same as {@link #stop()}. */
    @Override
    public void close() {
        stop();
    }

    @Override
    public String toString() {
        return "BackgroundScrub[store=" + storeName + ", bytesPerSecond=" + bytesPerSecond + ", checked=" + bytesChecked
            + ", reports=" + damageReports + (failure != null ? ", failed=" + failure : "") + "]";
    }
}
