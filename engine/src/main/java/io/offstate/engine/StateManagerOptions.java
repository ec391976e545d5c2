package io.offstate.engine;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

import io.offstate.engine.log.WalOptions;

/**
 * How a {@link StateManager} is opened: its state directory, the one memory budget shared by all
 * its stores, its write-ahead log's options, and when partitions checkpoint (flush their stores so
 * the log can be trimmed).
 *
 * <p>Immutable and thread-safe; built with {@link #builder(Path)}.
 *
 * @param directory          the state directory: {@code <directory>/<store>/<partition>} per store
 *                           instance, {@code <directory>/.log} for the write-ahead log
 * @param memoryBudget       bytes all stores of the manager (and their transactions' pending
 *                           writes) may hold together; {@link Long#MAX_VALUE} for no limit
 * @param log                the write-ahead log's durability, segment size, largest batch (largest
 *                           commit) and damage policy
 * @param flushWhenLogExceeds a partition flushes at the end of a commit once this many log bytes
 *                           were appended since its oldest unflushed commit
 * @param flushInterval      a partition flushes at the end of a commit once this long has passed
 *                           since its last flush ({@link Duration#ZERO}: never by time)
 */
public record StateManagerOptions(Path directory, long memoryBudget, WalOptions log, long flushWhenLogExceeds,
                                  Duration flushInterval) {
    /** Default of {@link #flushWhenLogExceeds()}: 256 MiB. */
    public static final long DEFAULT_FLUSH_WHEN_LOG_EXCEEDS = 256L << 20;

    /**
     * Validates the options.
     *
     * @throws NullPointerException     if a reference is null
     * @throws IllegalArgumentException if a number is not positive or the interval is negative
     */
    public StateManagerOptions {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(log, "log");
        Objects.requireNonNull(flushInterval, "flushInterval");
        if (memoryBudget <= 0) {
            throw new IllegalArgumentException("memory budget must be positive, was " + memoryBudget);
        }
        if (flushWhenLogExceeds <= 0) {
            throw new IllegalArgumentException("flushWhenLogExceeds must be positive, was " + flushWhenLogExceeds);
        }
        if (flushInterval.isNegative()) {
            throw new IllegalArgumentException("flushInterval must not be negative, was " + flushInterval);
        }
    }

    /** A builder for a manager of {@code directory}, with every default: no budget limit, fsync every commit, 256 MiB, no timed flush. */
    public static Builder builder(Path directory) {
        return new Builder(Objects.requireNonNull(directory, "directory"));
    }

    /** Builds {@link StateManagerOptions}; not thread-safe. */
    public static final class Builder {
        private final Path directory;
        private long memoryBudget = Long.MAX_VALUE;
        private WalOptions log = WalOptions.defaults();
        private long flushWhenLogExceeds = DEFAULT_FLUSH_WHEN_LOG_EXCEEDS;
        private Duration flushInterval = Duration.ZERO;

        private Builder(Path directory) {
            this.directory = directory;
        }

        /** The one budget of all stores; see {@link StateManagerOptions#memoryBudget()}. */
        public Builder memoryBudget(long bytes) {
            this.memoryBudget = bytes;
            return this;
        }

        /** The write-ahead log's options (default {@link WalOptions#defaults()}: fsync every commit). */
        public Builder log(WalOptions options) {
            this.log = Objects.requireNonNull(options, "log");
            return this;
        }

        /** See {@link StateManagerOptions#flushWhenLogExceeds()}. */
        public Builder flushWhenLogExceeds(long bytes) {
            this.flushWhenLogExceeds = bytes;
            return this;
        }

        /** See {@link StateManagerOptions#flushInterval()}. */
        public Builder flushInterval(Duration interval) {
            this.flushInterval = Objects.requireNonNull(interval, "flushInterval");
            return this;
        }

        /** @throws IllegalArgumentException as the record's constructor */
        public StateManagerOptions build() {
            return new StateManagerOptions(directory, memoryBudget, log, flushWhenLogExceeds, flushInterval);
        }
    }
}
