package org.apache.kafka.streams.state.internals;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import io.offstate.kafka.streams.OffstateKeyValueBytesStoreSupplier;

/**
 * Kafka's own key-value store conformance suite ({@link AbstractKeyValueStoreTest}, kafka-streams
 * test jar) run against a file-backed offstate store behind Kafka's metering, caching-off and
 * change-logging layers, built as {@code InMemoryKeyValueStoreTest} builds Kafka's store.
 */
public class OffstateKeyValueStoreConformanceTest extends AbstractKeyValueStoreTest {
    @SuppressWarnings("unchecked")
    @Override
    protected <K, V> KeyValueStore<K, V> createKeyValueStore(StateStoreContext context) {
        StoreBuilder<KeyValueStore<K, V>> builder = Stores.keyValueStoreBuilder(
            OffstateKeyValueBytesStoreSupplier.persistent("my-store").timestamped(false),
            (Serde<K>) context.keySerde(),
            (Serde<V>) context.valueSerde());
        KeyValueStore<K, V> store = builder.build();
        store.init(context, store);
        return store;
    }
}
