package io.offstate.engine.time;

import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * What a {@link WindowedAggregation} computes and how it reports: the windows (time or count), the
 * aggregators laid out one after another in each window's slot, when results are emitted, how
 * windows close, the listeners, the value extractor for {@code byte[]} values, and whether the
 * values of each window are collected. Immutable once built; thread-safe.
 *
 * @throws IllegalArgumentException from the builder for a non-positive close limit
 * @throws NullPointerException     from the builder for a null argument
 */
public final class WindowedAggregationOptions {
    /** When results reach the {@link WindowedResultListener}. */
    public enum Emit {
        /** After every update of a window, with the aggregate so far; closed windows are dropped silently. */
        ON_UPDATE,
        /** Once per window, with its final aggregate, when it closes; its entries are then removed. */
        ON_CLOSE
    }

    /** Which stream time closes time windows (Quix Streams' closing strategies). */
    public enum Closing {
        /** A key's windows close when that key's own newest timestamp passes end + grace. */
        KEY,
        /** Every window closes when the partition's stream time passes end + grace. */
        PARTITION
    }

    final TimeWindows timeWindows;
    final CountWindows countWindows;
    final Aggregator[] aggregators;
    final Emit emit;
    final Closing closing;
    final WindowedResultListener resultListener;
    final WindowedLateListener lateListener;
    final ToDoubleFunction<byte[]> extractor;
    final boolean collect;
    final int maxClosesPerCall;

    private WindowedAggregationOptions(Builder b) {
        this.timeWindows = b.timeWindows;
        this.countWindows = b.countWindows;
        this.aggregators = b.aggregators.clone();
        this.emit = b.emit;
        this.closing = b.closing;
        this.resultListener = b.resultListener;
        this.lateListener = b.lateListener;
        this.extractor = b.extractor;
        this.collect = b.collect;
        this.maxClosesPerCall = b.maxClosesPerCall;
    }

    /** Options over time windows; defaults: no aggregators, {@link Emit#ON_CLOSE}, {@link Closing#PARTITION}. */
    public static Builder builder(TimeWindows windows) {
        return new Builder(Objects.requireNonNull(windows, "windows"), null);
    }

    /** Options over count windows; defaults as {@link #builder(TimeWindows)}. */
    public static Builder builder(CountWindows windows) {
        return new Builder(null, Objects.requireNonNull(windows, "windows"));
    }

    /** The time windows, or null for count windows. */
    public TimeWindows timeWindows() {
        return timeWindows;
    }

    /** The count windows, or null for time windows. */
    public CountWindows countWindows() {
        return countWindows;
    }

    public Emit emit() {
        return emit;
    }

    public Closing closing() {
        return closing;
    }

    public boolean collect() {
        return collect;
    }

    /** Builds {@link WindowedAggregationOptions}. Not thread-safe. */
    public static final class Builder {
        private final TimeWindows timeWindows;
        private final CountWindows countWindows;
        private Aggregator[] aggregators = new Aggregator[0];
        private Emit emit = Emit.ON_CLOSE;
        private Closing closing = Closing.PARTITION;
        private WindowedResultListener resultListener = r -> { };
        private WindowedLateListener lateListener = (k, v, n, t, c) -> { };
        private ToDoubleFunction<byte[]> extractor;
        private boolean collect;
        private int maxClosesPerCall = 10_000;

        private Builder(TimeWindows timeWindows, CountWindows countWindows) {
            this.timeWindows = timeWindows;
            this.countWindows = countWindows;
        }

        /** The aggregators of each window, in this order (result index = position). */
        public Builder aggregators(Aggregator... aggregators) {
            Objects.requireNonNull(aggregators, "aggregators");
            for (int i = 0; i < aggregators.length; i++) {
                Objects.requireNonNull(aggregators[i], "aggregator " + i);
                if (aggregators[i].width() < 0) {
                    throw new IllegalArgumentException("aggregator " + aggregators[i].name() + " has a negative width: "
                        + aggregators[i].width());
                }
            }
            this.aggregators = aggregators.clone();
            return this;
        }

        public Builder emit(Emit emit) {
            this.emit = Objects.requireNonNull(emit, "emit");
            return this;
        }

        public Builder closing(Closing closing) {
            this.closing = Objects.requireNonNull(closing, "closing");
            return this;
        }

        public Builder onResult(WindowedResultListener listener) {
            this.resultListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public Builder onLate(WindowedLateListener listener) {
            this.lateListener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        /** How {@code process(tx, key, byte[] value, ts)} turns a value into the number the aggregators add. */
        public Builder valueExtractor(ToDoubleFunction<byte[]> extractor) {
            this.extractor = Objects.requireNonNull(extractor, "extractor");
            return this;
        }

        /** Keep every value of each window ({@link WindowedResult#collected()}); costs an entry per record and window. */
        public Builder collect(boolean collect) {
            this.collect = collect;
            return this;
        }

        /**
         * At most this many windows closed (and, for sliding time windows, as many held records
         * dropped) per {@code process} or {@code advance} call when closing by partition; the rest
         * close on later calls (they take no records meanwhile). Default 10 000.
         */
        public Builder maxClosesPerCall(int limit) {
            if (limit <= 0) {
                throw new IllegalArgumentException("maxClosesPerCall must be positive: " + limit);
            }
            this.maxClosesPerCall = limit;
            return this;
        }

        public WindowedAggregationOptions build() {
            return new WindowedAggregationOptions(this);
        }
    }
}
