package org.apache.kafka.streams.state.internals;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import io.offstate.kafka.streams.OffstateKeyValueBytesStoreSupplier;

/** {@link AbstractKeyValueStoreTest} against an in-memory offstate store, with Kafka's caching layer on. */
public class OffstateInMemoryKeyValueStoreConformanceTest extends AbstractKeyValueStoreTest {
    @SuppressWarnings("unchecked")
    @Override
    protected <K, V> KeyValueStore<K, V> createKeyValueStore(StateStoreContext context) {
        StoreBuilder<KeyValueStore<K, V>> builder = Stores.keyValueStoreBuilder(
            OffstateKeyValueBytesStoreSupplier.inMemory("my-store").timestamped(false),
            (Serde<K>) context.keySerde(),
            (Serde<V>) context.valueSerde()).withCachingEnabled();
        KeyValueStore<K, V> store = builder.build();
        store.init(context, store);
        return store;
    }
}
