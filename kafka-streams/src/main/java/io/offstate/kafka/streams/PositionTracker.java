package io.offstate.kafka.streams;

import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.api.RecordMetadata;
import org.apache.kafka.streams.query.Position;

/**
 * The {@link Position} of a store: for each input topic partition, the offset of the last record
 * whose processing wrote to the store, taken from the record metadata of the store's context (as
 * Kafka's own stores track it, for change-logging and IQv2 consistency bounds).
 *
 * <p>Threading: {@link #update()} on the writing thread; {@link #position()} from any thread
 * ({@link Position} is thread-safe). Writes without record metadata (restore, punctuation) leave
 * the position unchanged.
 */
final class PositionTracker {
    private final Position position = Position.emptyPosition();
    private volatile StateStoreContext context;

    void init(StateStoreContext context) {
        this.context = context;
    }

    /** Records the current record's topic, partition and offset, if it has them. */
    void update() {
        StateStoreContext c = context;
        if (c == null) {
            return;
        }
        RecordMetadata m = c.recordMetadata().orElse(null);
        if (m != null && m.topic() != null && m.offset() >= 0) {
            position.withComponent(m.topic(), m.partition(), m.offset());
        }
    }

    Position position() {
        return position;
    }

    /** The context given to {@link #init}, or null before. */
    StateStoreContext context() {
        return context;
    }
}
