package io.offstate.kafka.streams;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.streams.processor.StateStoreContext;

import io.offstate.engine.StoreOptions;
import io.offstate.offheap.SharedMemoryBudget;

/**
 * The Kafka Streams config keys offstate's stores read from the application's properties, and the
 * memory cap they share.
 *
 * <p>{@value #MEMORY_BUDGET_CONFIG}: one hard limit, in bytes, on the off-heap memory of all offstate
 * stores of the application in this JVM (every task, thread and store type, whichever supplier made
 * them) — what RocksDB in Kafka Streams cannot honour. A write that would pass it throws
 * {@link io.offstate.offheap.StoreFullException} and changes nothing (Kafka Streams then fails the
 * task, as for any store exception); a store that cannot even open within it fails its
 * {@code init}. The cap is per {@code application.id}: the first store of an application to open
 * fixes it for the life of the JVM.
 *
 * <pre>{@code
 * props.put(OffstateStreamsConfig.MEMORY_BUDGET_CONFIG, 512L << 20);   // all offstate stores: 512 MiB
 * }</pre>
 *
 * <p>{@value #COMMIT_DURABLE_OFFSET_DELTA_CONFIG} and {@value #COMMIT_DURABLE_INTERVAL_MS_CONFIG}:
 * which of Kafka Streams' commits make a file-backed store durable (see {@link CommittedOffsets}).
 * offstate stores manage their own changelog offsets (KIP-1035) and flush them atomically with the
 * data, so a commit only has to be durable now and then: when the changelog offsets moved by the
 * delta (default {@value #DEFAULT_COMMIT_DURABLE_OFFSET_DELTA}, Kafka's own checkpoint threshold),
 * or the store changed and the interval (default {@value #DEFAULT_COMMIT_DURABLE_INTERVAL_MS} ms)
 * passed since its last durable flush; always on close. A delta of 0 makes every commit durable.
 * After a crash a store reopens as of its last durable flush, with that flush's offsets, and Kafka
 * Streams restores the rest from the changelog.
 *
 * <p>Thread-safe; holds one {@link SharedMemoryBudget} per application id.
 */
public final class OffstateStreamsConfig {
    /** All offstate stores of the application together: off-heap byte limit (a number; absent: none). */
    public static final String MEMORY_BUDGET_CONFIG = "offstate.memory.budget.bytes";

    /** Changelog offset movement (summed over the store's partitions) that makes a commit durable; 0: every commit. */
    public static final String COMMIT_DURABLE_OFFSET_DELTA_CONFIG = "offstate.commit.durable.offset.delta";
    /** Default of {@link #COMMIT_DURABLE_OFFSET_DELTA_CONFIG}: Kafka Streams' own checkpoint threshold. */
    public static final long DEFAULT_COMMIT_DURABLE_OFFSET_DELTA = 10_000L;
    /** Age (ms) of a store's last durable flush that makes a commit durable if the store changed since. */
    public static final String COMMIT_DURABLE_INTERVAL_MS_CONFIG = "offstate.commit.durable.interval.ms";
    /** Default of {@link #COMMIT_DURABLE_INTERVAL_MS_CONFIG}. */
    public static final long DEFAULT_COMMIT_DURABLE_INTERVAL_MS = 10_000L;

    private static final Map<String, SharedMemoryBudget> BUDGETS = new ConcurrentHashMap<>();

    private OffstateStreamsConfig() {
    }

    /**
     * The shared budget of {@code applicationId}, or null if {@code configs} sets none.
     *
     * @throws IllegalArgumentException if the value is not a positive number of bytes
     */
    static SharedMemoryBudget budgetOf(String applicationId, Map<String, Object> configs) {
        Object value = configs == null ? null : configs.get(MEMORY_BUDGET_CONFIG);
        if (value == null) {
            return null;
        }
        long limit = parseBytes(MEMORY_BUDGET_CONFIG, value);
        if (limit <= 0) {
            throw new IllegalArgumentException(MEMORY_BUDGET_CONFIG + " must be > 0 bytes, was " + limit);
        }
        return BUDGETS.computeIfAbsent(applicationId, id -> new SharedMemoryBudget("offstate stores of " + id, limit));
    }

    /**
     * A non-negative number from {@code configs}, or {@code defaultValue} if absent.
     *
     * @throws IllegalArgumentException if the value is not a number >= 0
     */
    static long longConfig(Map<String, Object> configs, String key, long defaultValue) {
        Object value = configs == null ? null : configs.get(key);
        if (value == null) {
            return defaultValue;
        }
        long v;
        try {
            v = value instanceof Number n ? n.longValue() : Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number, was '" + value + "'", e);
        }
        if (v < 0) {
            throw new IllegalArgumentException(key + " must be >= 0, was " + v);
        }
        return v;
    }

    static long parseBytes(String key, Object value) {
        try {
            return value instanceof Number n ? n.longValue() : Long.parseLong(value.toString().trim());
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException(key + " must be a number of bytes, was '" + value + "'", e);
        }
    }

    /** Options of a sorted store named {@code name} in {@code context}: its own budget (0: none) and the application's. */
    static StoreOptions storeOptions(StateStoreContext context, String name, long memoryBudget) {
        StoreOptions.Builder b = StoreOptions.builder().name(name).sortedIndex(true);
        if (memoryBudget > 0) {
            b.memoryBudget(memoryBudget);
        }
        SharedMemoryBudget shared = budgetOf(context.applicationId(), context.appConfigs());
        if (shared != null) {
            b.sharedBudget(shared);
        }
        return b.build();
    }
}
