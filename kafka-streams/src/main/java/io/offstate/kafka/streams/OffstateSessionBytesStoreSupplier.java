package io.offstate.kafka.streams;

import java.util.Objects;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.state.SessionBytesStoreSupplier;
import org.apache.kafka.streams.state.SessionStore;

/**
 * Supplies offstate session stores ({@link OffstateSessionStore}) to Kafka Streams, in place of
 * {@code Stores.persistentSessionStore} / {@code Stores.inMemorySessionStore}:
 *
 * <pre>{@code
 * Materialized.as(OffstateSessionBytesStoreSupplier.persistent("sessions", Duration.ofHours(1).toMillis()))
 * }</pre>
 *
 * <p>The segment interval is Kafka's: {@code max(retention / 2, 60 000 ms)}. Each {@link #get()}
 * returns a new, unopened store. Immutable and thread-safe.
 */
public final class OffstateSessionBytesStoreSupplier implements SessionBytesStoreSupplier {
    private final String name;
    private final boolean persistent;
    private final long retention;
    private final long memoryBudget;

    private OffstateSessionBytesStoreSupplier(String name, boolean persistent, long retention, long memoryBudget) {
        this.name = Objects.requireNonNull(name, "name cannot be null");
        if (retention < 0) {
            throw new IllegalArgumentException("session store '" + name + "': retention must be >= 0, was " + retention);
        }
        if (memoryBudget < 0) {
            throw new IllegalArgumentException("session store '" + name + "': memory budget must be >= 0 (0: none), was "
                + memoryBudget);
        }
        this.persistent = persistent;
        this.retention = retention;
        this.memoryBudget = memoryBudget;
    }

    /** File-backed session stores keeping sessions for {@code retentionMs} of stream time. */
    public static OffstateSessionBytesStoreSupplier persistent(String name, long retentionMs) {
        return new OffstateSessionBytesStoreSupplier(name, true, retentionMs, 0);
    }

    /** In-memory session stores (restored from the changelog after a restart). */
    public static OffstateSessionBytesStoreSupplier inMemory(String name, long retentionMs) {
        return new OffstateSessionBytesStoreSupplier(name, false, retentionMs, 0);
    }

    /** The same stores, each limited to {@code bytes} of off-heap memory (0: none). */
    public OffstateSessionBytesStoreSupplier memoryBudget(long bytes) {
        return new OffstateSessionBytesStoreSupplier(name, persistent, retention, bytes);
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public SessionStore<Bytes, byte[]> get() {
        return new OffstateSessionStore(name, persistent, Math.max(1, retention), segmentIntervalMs(), memoryBudget);
    }

    @Override
    public String metricsScope() {
        return OffstateKeyValueBytesStoreSupplier.METRICS_SCOPE + "-session";
    }

    @Override
    public long segmentIntervalMs() {
        return Math.max(retention / 2, 60_000L);
    }

    @Override
    public long retentionPeriod() {
        return retention;
    }

    @Override
    public String toString() {
        return "OffstateSessionBytesStoreSupplier[" + name + ", retention " + retention + " ms"
            + (persistent ? ", persistent" : ", in memory") + "]";
    }
}
