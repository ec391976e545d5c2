package org.apache.kafka.streams.state.internals;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.state.Stores;
import org.apache.kafka.streams.state.WindowStore;

import io.offstate.kafka.streams.OffstateWindowBytesStoreSupplier;

/**
 * Kafka's own window store conformance suite ({@link AbstractWindowBytesStoreTest}; its hook is
 * package-private, hence this package) against a file-backed offstate window store behind Kafka's
 * metering and change-logging layers, built as {@code RocksDBWindowStoreTest} builds Kafka's store.
 */
public class OffstateWindowStoreConformanceTest extends AbstractWindowBytesStoreTest {
    @Override
    <K, V> WindowStore<K, V> buildWindowStore(long retentionPeriod, long windowSize, boolean retainDuplicates,
                                             Serde<K> keySerde, Serde<V> valueSerde) {
        return Stores.windowStoreBuilder(
            OffstateWindowBytesStoreSupplier.persistent("window-store", retentionPeriod, windowSize, retainDuplicates),
            keySerde, valueSerde).build();
    }
}
