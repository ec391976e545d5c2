package io.offstate.kafka.streams;

import java.util.Objects;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;
import org.apache.kafka.streams.state.WindowStore;

import io.offstate.engine.time.WindowStoreOptions;

/**
 * Supplies offstate window stores ({@link OffstateWindowStore}) to Kafka Streams, in place of
 * {@code Stores.persistentWindowStore} / {@code Stores.inMemoryWindowStore}:
 *
 * <pre>{@code
 * Materialized.as(OffstateWindowBytesStoreSupplier.persistent("clicks-per-minute",
 *     Duration.ofHours(1).toMillis(), Duration.ofMinutes(1).toMillis(), false))
 * }</pre>
 *
 * <p>The segment interval defaults to Kafka's: {@code max(retention / 2, 60 000 ms)}. Each
 * {@link #get()} returns a new, unopened store ({@link OffstateTimestampedWindowStore} when
 * {@link #timestamped(boolean) timestamped}). Immutable and thread-safe.
 */
public final class OffstateWindowBytesStoreSupplier implements WindowBytesStoreSupplier {
    private final String name;
    private final boolean persistent;
    private final long retention;
    private final long windowSize;
    private final long segmentInterval;
    private final boolean retainDuplicates;
    private final long memoryBudget;
    private final boolean timestamped;

    private OffstateWindowBytesStoreSupplier(String name, boolean persistent, long retention, long windowSize,
                                             long segmentInterval, boolean retainDuplicates, long memoryBudget,
                                             boolean timestamped) {
        this.name = Objects.requireNonNull(name, "name cannot be null");
        if (retention < 0 || windowSize < 0 || windowSize > retention) {
            throw new IllegalArgumentException("window store '" + name + "': need 0 <= window size <= retention, was size "
                + windowSize + " ms and retention " + retention + " ms");
        }
        if (segmentInterval < 1) {
            throw new IllegalArgumentException("window store '" + name + "': segment interval must be >= 1 ms, was "
                + segmentInterval);
        }
        if (memoryBudget < 0) {
            throw new IllegalArgumentException("window store '" + name + "': memory budget must be >= 0 (0: none), was "
                + memoryBudget);
        }
        this.persistent = persistent;
        this.retention = retention;
        this.windowSize = windowSize;
        this.segmentInterval = segmentInterval;
        this.retainDuplicates = retainDuplicates;
        this.memoryBudget = memoryBudget;
        this.timestamped = timestamped;
    }

    /**
     * File-backed window stores.
     *
     * @throws IllegalArgumentException if the window size is negative or exceeds the retention
     */
    public static OffstateWindowBytesStoreSupplier persistent(String name, long retentionMs, long windowSizeMs,
                                                              boolean retainDuplicates) {
        return new OffstateWindowBytesStoreSupplier(name, true, retentionMs, windowSizeMs,
            Math.max(retentionMs / 2, 60_000L), retainDuplicates, 0, false);
    }

    /** In-memory window stores (restored from the changelog after a restart). */
    public static OffstateWindowBytesStoreSupplier inMemory(String name, long retentionMs, long windowSizeMs,
                                                            boolean retainDuplicates) {
        return new OffstateWindowBytesStoreSupplier(name, false, retentionMs, windowSizeMs,
            Math.max(retentionMs / 2, 60_000L), retainDuplicates, 0, false);
    }

    /** The same stores with segments of {@code millis} (expiry drops a whole segment at a time). */
    public OffstateWindowBytesStoreSupplier segmentInterval(long millis) {
        return new OffstateWindowBytesStoreSupplier(name, persistent, retention, windowSize, millis, retainDuplicates,
            memoryBudget, timestamped);
    }

    /** The same stores, each limited to {@code bytes} of off-heap memory (0: none). */
    public OffstateWindowBytesStoreSupplier memoryBudget(long bytes) {
        return new OffstateWindowBytesStoreSupplier(name, persistent, retention, windowSize, segmentInterval,
            retainDuplicates, bytes, timestamped);
    }

    /**
     * The same stores, marked {@link org.apache.kafka.streams.state.TimestampedBytesStore} or not
     * (default not). Kafka's timestamped window builders (the DSL's windowed aggregations) wrap an
     * unmarked persistent store in an adapter that drops record timestamps; a marked one stores
     * Kafka's {@code ValueAndTimestamp} bytes as given.
     */
    public OffstateWindowBytesStoreSupplier timestamped(boolean timestamped) {
        return new OffstateWindowBytesStoreSupplier(name, persistent, retention, windowSize, segmentInterval,
            retainDuplicates, memoryBudget, timestamped);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public WindowStore<Bytes, byte[]> get() {
        // the engine needs a window size >= 1 and retention >= size; Kafka allows size 0 (joins of equal timestamps)
        long size = Math.max(1, windowSize);
        WindowStoreOptions options = WindowStoreOptions.builder()
            .windowSize(size)
            .retention(Math.max(retention, size))
            .segmentInterval(segmentInterval)
            .retainDuplicates(retainDuplicates)
            .build();
        return timestamped ? new OffstateTimestampedWindowStore(name, persistent, options, windowSize, memoryBudget)
            : new OffstateWindowStore(name, persistent, options, windowSize, memoryBudget);
    }

    @Override
    public String metricsScope() {
        return OffstateKeyValueBytesStoreSupplier.METRICS_SCOPE + "-window";
    }

    @Override
    public long segmentIntervalMs() {
        return segmentInterval;
    }

    @Override
    public long windowSize() {
        return windowSize;
    }

    @Override
    public boolean retainDuplicates() {
        return retainDuplicates;
    }

    @Override
    public long retentionPeriod() {
        return retention;
    }

    @Override
    public String toString() {
        return "OffstateWindowBytesStoreSupplier[" + name + ", retention " + retention + " ms, size " + windowSize
            + " ms, segments " + segmentInterval + " ms" + (retainDuplicates ? ", duplicates" : "")
            + (persistent ? ", persistent" : ", in memory") + "]";
    }
}
