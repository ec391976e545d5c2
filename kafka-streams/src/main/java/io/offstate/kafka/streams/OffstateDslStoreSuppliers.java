package io.offstate.kafka.streams;

import java.util.Map;

import org.apache.kafka.streams.DslStoreFormat;
import org.apache.kafka.streams.state.DslKeyValueParams;
import org.apache.kafka.streams.state.DslSessionParams;
import org.apache.kafka.streams.state.DslStoreSuppliers;
import org.apache.kafka.streams.state.DslWindowParams;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.SessionBytesStoreSupplier;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;

/**
 * Switches every store of a Kafka Streams DSL application to offstate with one config line:
 *
 * <pre>{@code
 * props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, OffstateDslStoreSuppliers.class);
 * }</pre>
 *
 * <p>Tables, aggregations and joins get file-backed {@link OffstateKeyValueBytesStoreSupplier}
 * stores (timestamped when the DSL asks for it), windowed operations and stream-stream joins
 * {@link OffstateWindowBytesStoreSupplier} stores (retention, size and retained duplicates as the
 * DSL asks; timestamped likewise), session windows {@link OffstateSessionBytesStoreSupplier}
 * stores. Stores the application names itself with {@code Materialized.as(supplier)} keep that
 * supplier.
 *
 * <p>Config (optional, from the application's properties): {@value #STORE_MEMORY_BUDGET_CONFIG},
 * an off-heap byte limit for each store (default: none). The cap on all stores of the application
 * together is {@link OffstateStreamsConfig#MEMORY_BUDGET_CONFIG}, which every offstate store reads. Kafka Streams creates one instance per
 * application and calls it from its threads; it is immutable after {@link #configure}.
 */
public final class OffstateDslStoreSuppliers implements DslStoreSuppliers {
    /** Per-store off-heap memory limit in bytes (a number; 0 or absent: none). */
    public static final String STORE_MEMORY_BUDGET_CONFIG = "offstate.store.memory.budget.bytes";

    private long storeBudget;

    /** Reads {@value #STORE_MEMORY_BUDGET_CONFIG}. @throws IllegalArgumentException if it is not a number >= 0 */
    @Override
    public void configure(Map<String, ?> configs) {
        Object budget = configs.get(STORE_MEMORY_BUDGET_CONFIG);
        if (budget != null) {
            long b = OffstateStreamsConfig.parseBytes(STORE_MEMORY_BUDGET_CONFIG, budget);
            if (b < 0) {
                throw new IllegalArgumentException(STORE_MEMORY_BUDGET_CONFIG + " must be >= 0, was " + b);
            }
            storeBudget = b;
        }
    }

    @Override
    public KeyValueBytesStoreSupplier keyValueStore(DslKeyValueParams params) {
        return OffstateKeyValueBytesStoreSupplier.persistent(params.name())
            .timestamped(timestamped(params.dslStoreFormat(), params.name()))
            .memoryBudget(storeBudget);
    }

    /**
     * Whether the DSL wants Kafka's timestamped values. {@code HEADERS} (values with record headers)
     * is refused: offstate's stores are not {@code HeadersBytesStore}s yet.
     */
    private static boolean timestamped(DslStoreFormat format, String store) {
        if (format == DslStoreFormat.HEADERS) {
            throw new UnsupportedOperationException("store '" + store + "': offstate stores do not support "
                + "the HEADERS DSL store format yet; use the TIMESTAMPED format (the default) with "
                + "OffstateDslStoreSuppliers");
        }
        return format != DslStoreFormat.PLAIN;
    }

    @Override
    public WindowBytesStoreSupplier windowStore(DslWindowParams params) {
        return OffstateWindowBytesStoreSupplier.persistent(params.name(), params.retentionPeriod().toMillis(),
                params.windowSize().toMillis(), params.retainDuplicates())
            .timestamped(timestamped(params.dslStoreFormat(), params.name()))
            .memoryBudget(storeBudget);
    }

    @Override
    public SessionBytesStoreSupplier sessionStore(DslSessionParams params) {
        return OffstateSessionBytesStoreSupplier.persistent(params.name(), params.retentionPeriod().toMillis())
            .memoryBudget(storeBudget);
    }
}
