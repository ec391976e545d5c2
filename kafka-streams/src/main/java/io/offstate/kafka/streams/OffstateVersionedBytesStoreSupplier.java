package io.offstate.kafka.streams;

import java.util.Objects;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.VersionedBytesStoreSupplier;
import org.apache.kafka.streams.state.internals.VersionedKeyValueToBytesStoreAdapter;

/**
 * Supplies offstate versioned key-value stores ({@link OffstateVersionedStore}, behind Kafka's own
 * {@code VersionedKeyValueToBytesStoreAdapter}) to Kafka Streams, in place of
 * {@code Stores.persistentVersionedKeyValueStore}:
 *
 * <pre>{@code
 * builder.table("prices", Materialized.as(OffstateVersionedBytesStoreSupplier.persistent("prices",
 *     Duration.ofHours(1).toMillis())));
 * }</pre>
 *
 * <p>Each {@link #get()} returns a new, unopened store. Immutable and thread-safe.
 */
public final class OffstateVersionedBytesStoreSupplier implements VersionedBytesStoreSupplier {
    private final String name;
    private final boolean persistent;
    private final long historyRetention;

    private OffstateVersionedBytesStoreSupplier(String name, boolean persistent, long historyRetention) {
        this.name = Objects.requireNonNull(name, "name cannot be null");
        if (historyRetention <= 0) {
            throw new IllegalArgumentException("versioned store '" + name + "': history retention must be > 0 ms, was "
                + historyRetention);
        }
        this.persistent = persistent;
        this.historyRetention = historyRetention;
    }

    /** File-backed versioned stores keeping history for {@code historyRetentionMs} of stream time. */
    public static OffstateVersionedBytesStoreSupplier persistent(String name, long historyRetentionMs) {
        return new OffstateVersionedBytesStoreSupplier(name, true, historyRetentionMs);
    }

    /** In-memory versioned stores (restored from the changelog after a restart). */
    public static OffstateVersionedBytesStoreSupplier inMemory(String name, long historyRetentionMs) {
        return new OffstateVersionedBytesStoreSupplier(name, false, historyRetentionMs);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public long historyRetentionMs() {
        return historyRetention;
    }

    @Override
    public KeyValueStore<Bytes, byte[]> get() {
        return new VersionedKeyValueToBytesStoreAdapter(new OffstateVersionedStore(name, persistent, historyRetention, 0));
    }

    @Override
    public String metricsScope() {
        return OffstateKeyValueBytesStoreSupplier.METRICS_SCOPE + "-versioned";
    }

    @Override
    public String toString() {
        return "OffstateVersionedBytesStoreSupplier[" + name + ", history " + historyRetention + " ms"
            + (persistent ? ", persistent" : ", in memory") + "]";
    }
}
