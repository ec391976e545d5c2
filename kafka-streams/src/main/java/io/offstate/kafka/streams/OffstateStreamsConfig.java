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
 * <p>Thread-safe; holds one {@link SharedMemoryBudget} per application id.
 */
public final class OffstateStreamsConfig {
    /** All offstate stores of the application together: off-heap byte limit (a number; absent: none). */
    public static final String MEMORY_BUDGET_CONFIG = "offstate.memory.budget.bytes";

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
