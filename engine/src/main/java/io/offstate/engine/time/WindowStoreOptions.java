package io.offstate.engine.time;

/**
 * The shape of a {@link WindowStore}: window size, retention, segment interval, whether duplicates
 * are retained, and how much expired data one write may sweep. Immutable and thread-safe; build
 * with {@link #builder()}. Size, retention, segment interval and duplicates are recorded in the
 * store and checked when it is opened again; the sweep limit is not.
 */
public final class WindowStoreOptions {
    /** Expired entries one put removes at most, by default. */
    public static final int DEFAULT_SWEEP_LIMIT = 64;

    private final long windowSize;
    private final long retention;
    private final long segmentInterval;
    private final boolean retainDuplicates;
    private final int sweepLimit;

    private WindowStoreOptions(Builder b) {
        this.windowSize = b.windowSize;
        this.retention = b.retention;
        this.segmentInterval = b.segmentInterval > 0 ? b.segmentInterval : Math.max(b.retention / 2, 1);
        this.retainDuplicates = b.retainDuplicates;
        this.sweepLimit = b.sweepLimit;
    }

    /** A builder; window size and retention are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Length of each window in milliseconds (windows are {@code [start, start + size)}). */
    public long windowSize() {
        return windowSize;
    }

    /** How long a window is kept after stream time passed its start, in milliseconds. */
    public long retention() {
        return retention;
    }

    /** Width of one time segment in milliseconds: expiry removes whole segments. */
    public long segmentInterval() {
        return segmentInterval;
    }

    /** Whether every put is kept (stream-stream joins) instead of replacing the same key and window. */
    public boolean retainDuplicates() {
        return retainDuplicates;
    }

    /** Expired entries one put removes at most (0: only {@link WindowStore#sweep} removes them). */
    public int sweepLimit() {
        return sweepLimit;
    }

    @Override
    public String toString() {
        return "WindowStoreOptions{windowSize=" + windowSize + ", retention=" + retention + ", segmentInterval="
            + segmentInterval + ", retainDuplicates=" + retainDuplicates + ", sweepLimit=" + sweepLimit + '}';
    }

    /** Builds {@link WindowStoreOptions}; not thread-safe. */
    public static final class Builder {
        private long windowSize = -1;
        private long retention = -1;
        private long segmentInterval;
        private boolean retainDuplicates;
        private int sweepLimit = DEFAULT_SWEEP_LIMIT;

        private Builder() {
        }

        /** @throws IllegalArgumentException if {@code millis <= 0} */
        public Builder windowSize(long millis) {
            this.windowSize = TimeKeys.checkPositive(millis, "window size");
            return this;
        }

        /** @throws IllegalArgumentException if {@code millis <= 0} */
        public Builder retention(long millis) {
            this.retention = TimeKeys.checkPositive(millis, "retention");
            return this;
        }

        /** Segment width (default: half the retention). @throws IllegalArgumentException if {@code millis <= 0} */
        public Builder segmentInterval(long millis) {
            this.segmentInterval = TimeKeys.checkPositive(millis, "segment interval");
            return this;
        }

        /** Keep every put (default false). */
        public Builder retainDuplicates(boolean retain) {
            this.retainDuplicates = retain;
            return this;
        }

        /** @throws IllegalArgumentException if {@code entries < 0} */
        public Builder sweepLimit(int entries) {
            if (entries < 0) {
                throw new IllegalArgumentException("sweep limit must not be negative: " + entries);
            }
            this.sweepLimit = entries;
            return this;
        }

        /**
         * @throws IllegalArgumentException if window size or retention is missing, or the retention
         *                                  is shorter than the window size (a window would expire
         *                                  before it ended)
         */
        public WindowStoreOptions build() {
            if (windowSize <= 0) {
                throw new IllegalArgumentException("window size is required (call windowSize)");
            }
            if (retention <= 0) {
                throw new IllegalArgumentException("retention is required (call retention)");
            }
            if (retention < windowSize) {
                throw new IllegalArgumentException("retention " + retention + " is shorter than the window size "
                    + windowSize + ": a window would expire before it ended (retention must be >= window size + grace)");
            }
            return new WindowStoreOptions(this);
        }
    }
}
