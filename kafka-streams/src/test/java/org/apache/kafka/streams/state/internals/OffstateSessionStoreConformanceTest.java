package org.apache.kafka.streams.state.internals;

import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.streams.state.SessionStore;
import org.apache.kafka.streams.state.Stores;

import io.offstate.kafka.streams.OffstateSessionBytesStoreSupplier;

/**
 * Kafka's own session store conformance suite ({@link AbstractSessionBytesStoreTest}; its hooks are
 * package-private, hence this package) against a file-backed offstate session store behind Kafka's
 * metering and change-logging layers. It declares itself a {@code RocksDBSessionStore}: the suite
 * uses the type to pick the expected order of key-range results, and the offstate store orders
 * them as RocksDB's does (segment, then key bytes, end, start).
 */
public class OffstateSessionStoreConformanceTest extends AbstractSessionBytesStoreTest {
    @Override
    StoreType storeType() {
        return StoreType.RocksDBSessionStore;
    }

    @Override
    <K, V> SessionStore<K, V> buildSessionStore(long retentionPeriod, Serde<K> keySerde, Serde<V> valueSerde) {
        return Stores.sessionStoreBuilder(
            OffstateSessionBytesStoreSupplier.persistent("session-store", retentionPeriod),
            keySerde, valueSerde).build();
    }
}
