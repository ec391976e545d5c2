package io.offstate.kafka.streams;

import org.apache.kafka.streams.state.TimestampedBytesStore;

import io.offstate.engine.time.WindowStoreOptions;

/**
 * An {@link OffstateWindowStore} marked {@link TimestampedBytesStore}: its values are Kafka's
 * {@code ValueAndTimestamp} bytes, stored as given, so Kafka's timestamped window builders (every
 * DSL windowed aggregation) keep record timestamps instead of wrapping the store in an adapter.
 * Contract, threading and memory as {@link OffstateWindowStore}.
 */
public final class OffstateTimestampedWindowStore extends OffstateWindowStore implements TimestampedBytesStore {
    OffstateTimestampedWindowStore(String name, boolean persistent, WindowStoreOptions options, long windowSize,
                                   long memoryBudget) {
        super(name, persistent, options, windowSize, memoryBudget);
    }
}
