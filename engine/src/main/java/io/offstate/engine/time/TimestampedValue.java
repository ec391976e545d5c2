package io.offstate.engine.time;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.ValueView;

/**
 * A reusable flyweight over one stored value-and-timestamp: {@link #timestamp()}, the
 * {@link #value()} after it, and the {@link #raw()} stored bytes (Kafka Streams' format). The
 * views point into store memory and are valid until the store (or the transaction) is written.
 * Not thread-safe.
 */
public final class TimestampedValue {
    private final ValueView raw = new ValueView();
    private final ValueView value = new ValueView();
    private boolean present;

    /** An empty flyweight, filled by {@link TimestampedStore#get}. */
    public TimestampedValue() {
    }

    void wrap(KeyValueStore store, ValueView stored) {
        if (stored.length() < TimestampedStore.TIMESTAMP_LENGTH) {
            present = false;
            throw new IllegalStateException("store '" + store.name() + "' holds a value of " + stored.length()
                + " bytes, too short for a value-and-timestamp (8-byte timestamp first): not a timestamped store");
        }
        raw.wrapSlice(stored, 0, stored.length());
        value.wrapSlice(stored, TimestampedStore.TIMESTAMP_LENGTH, stored.length() - TimestampedStore.TIMESTAMP_LENGTH);
        present = true;
    }

    void clear() {
        present = false;
    }

    /** Whether the last lookup found a value. */
    public boolean isPresent() {
        return present;
    }

    /** The record timestamp. @throws IllegalStateException if empty or stale */
    public long timestamp() {
        check();
        return raw.getLongBigEndian(0);
    }

    /** The value after the timestamp. @throws IllegalStateException if empty */
    public ValueView value() {
        check();
        return value;
    }

    /** The stored bytes: timestamp then value. @throws IllegalStateException if empty */
    public ValueView raw() {
        check();
        return raw;
    }

    private void check() {
        if (!present) {
            throw new IllegalStateException("timestamped value is empty: the last lookup missed or none was made");
        }
    }

    @Override
    public String toString() {
        return present ? "TimestampedValue{timestamp=" + timestamp() + ", value=" + value + '}' : "TimestampedValue{empty}";
    }
}
