package io.offstate.kafka.streams;

import org.apache.kafka.streams.state.TimestampedBytesStore;

/**
 * An {@link OffstateKeyValueStore} marked {@link TimestampedBytesStore}: its values are Kafka's
 * {@code ValueAndTimestamp} bytes (8-byte timestamp, then the value), stored as given. The marker
 * tells Kafka Streams' timestamped builders (every DSL table and aggregation) to use the store as
 * it is, instead of wrapping it in an adapter that drops the timestamps.
 *
 * <p>Contract, threading and memory as {@link OffstateKeyValueStore}. A directory written by a plain
 * store holds values without timestamps: do not reopen it as a timestamped store (nothing converts
 * it; RocksDB's timestamped store upgrades such data, this one does not).
 */
public final class OffstateTimestampedKeyValueStore extends OffstateKeyValueStore implements TimestampedBytesStore {
    OffstateTimestampedKeyValueStore(String name, boolean persistent, long memoryBudget) {
        super(name, persistent, memoryBudget);
    }
}
