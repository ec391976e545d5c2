package io.offstate.kafka.streams;

import java.util.Objects;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueStore;

/**
 * Supplies offstate key-value stores to Kafka Streams: pass it wherever Kafka takes a
 * {@link KeyValueBytesStoreSupplier} ({@code Materialized.as(supplier)},
 * {@code Stores.keyValueStoreBuilder(supplier, ...)}), in place of {@code Stores.persistentKeyValueStore}.
 *
 * <pre>{@code
 * builder.table("users", Materialized.as(OffstateKeyValueBytesStoreSupplier.persistent("users-store")));
 * }</pre>
 *
 * <p>Each {@link #get()} returns a new, unopened store ({@link OffstateTimestampedKeyValueStore}
 * when {@link #timestamped()}, else {@link OffstateKeyValueStore}); Kafka Streams calls it once per
 * task. Immutable and thread-safe.
 */
public final class OffstateKeyValueBytesStoreSupplier implements KeyValueBytesStoreSupplier {
    /** The metrics scope Kafka Streams reports these stores under. */
    public static final String METRICS_SCOPE = "offstate";

    private final String name;
    private final boolean persistent;
    private final boolean timestamped;
    private final long memoryBudget;

    private OffstateKeyValueBytesStoreSupplier(String name, boolean persistent, boolean timestamped, long memoryBudget) {
        this.name = Objects.requireNonNull(name, "name cannot be null");
        if (memoryBudget < 0) {
            throw new IllegalArgumentException("memory budget of store '" + name + "' must be >= 0 (0: none), was "
                + memoryBudget);
        }
        this.persistent = persistent;
        this.timestamped = timestamped;
        this.memoryBudget = memoryBudget;
    }

    /**
     * File-backed timestamped stores under {@code stateDir/<task>/<name>}: what the DSL uses for
     * tables and aggregations (keeps record timestamps).
     */
    public static OffstateKeyValueBytesStoreSupplier persistent(String name) {
        return new OffstateKeyValueBytesStoreSupplier(name, true, true, 0);
    }

    /** In-memory timestamped stores (restored from the changelog after every restart). */
    public static OffstateKeyValueBytesStoreSupplier inMemory(String name) {
        return new OffstateKeyValueBytesStoreSupplier(name, false, true, 0);
    }

    /** The same stores, {@code timestamped} or plain (values without Kafka's timestamp prefix). */
    public OffstateKeyValueBytesStoreSupplier timestamped(boolean timestamped) {
        return new OffstateKeyValueBytesStoreSupplier(name, persistent, timestamped, memoryBudget);
    }

    /**
     * The same stores, each limited to {@code bytes} of off-heap memory (0: no limit); a write beyond
     * it throws {@link io.offstate.offheap.StoreFullException} and changes nothing.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public OffstateKeyValueBytesStoreSupplier memoryBudget(long bytes) {
        return new OffstateKeyValueBytesStoreSupplier(name, persistent, timestamped, bytes);
    }

    /** Whether the stores are file-backed. */
    public boolean isPersistent() {
        return persistent;
    }

    /** Whether the stores are marked {@link org.apache.kafka.streams.state.TimestampedBytesStore}. */
    public boolean timestamped() {
        return timestamped;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public KeyValueStore<Bytes, byte[]> get() {
        return timestamped ? new OffstateTimestampedKeyValueStore(name, persistent, memoryBudget)
            : new OffstateKeyValueStore(name, persistent, memoryBudget);
    }

    @Override
    public String metricsScope() {
        return METRICS_SCOPE;
    }

    @Override
    public String toString() {
        return "OffstateKeyValueBytesStoreSupplier[" + name + (persistent ? ", persistent" : ", in memory")
            + (timestamped ? ", timestamped" : "") + (memoryBudget > 0 ? ", budget " + memoryBudget : "") + "]";
    }
}
