package io.offstate.engine.time;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.TransactionCursor;
import io.offstate.engine.ValueView;

import java.util.Objects;

/**
 * A timestamped key-value store: each value carries the timestamp of the record that wrote it,
 * stored exactly as Kafka Streams' {@code ValueAndTimestamp} bytes — an 8-byte big-endian timestamp,
 * then the value — under the caller's key as is, so a Kafka Streams adapter hands the stored bytes
 * over without a copy or a conversion.
 *
 * <p>Because keys are the caller's bytes, this store keeps no metadata entry and can view any store
 * whose values are in that format (a value shorter than 8 bytes is reported as corrupt with
 * {@link IllegalStateException}). Writes go through a {@link Transaction}; reads take one or
 * {@code null} for committed state. Results come through a reused {@link TimestampedValue}
 * flyweight; nothing is allocated per call. Not thread-safe: the backing store's owner thread.
 */
public final class TimestampedStore {
    /** Bytes before the value: the timestamp. */
    public static final int TIMESTAMP_LENGTH = 8;

    private final KeyValueStore store;
    private final Scratch value = new Scratch(256);
    private final ValueView raw = new ValueView();
    private final TimestampedValue previous = new TimestampedValue();

    private TimestampedStore(KeyValueStore store) {
        this.store = store;
    }

    /** A timestamped view of {@code store}. */
    public static TimestampedStore on(KeyValueStore store) {
        return new TimestampedStore(Objects.requireNonNull(store, "store"));
    }

    /** The backing store. */
    public KeyValueStore store() {
        return store;
    }

    /**
     * Stages {@code key} → ({@code timestamp}, {@code value}); the record timestamp of the change is
     * {@code timestamp} too.
     *
     * @throws NullPointerException     if an argument is null
     * @throws IllegalArgumentException if {@code timestamp} is negative or a length exceeds the limits
     */
    public void put(Transaction tx, byte[] key, byte[] value, long timestamp) {
        Objects.requireNonNull(tx, "tx");
        TimeKeys.checkKey(key, 0, "key");
        Objects.requireNonNull(value, "value");
        TimeKeys.checkTimestamp(timestamp, "timestamp");
        Scratch v = this.value.reset(TIMESTAMP_LENGTH + value.length).putLong(timestamp).putBytes(value);
        Scratch k = keyScratch(key);
        tx.put(store, k.segment, 0, k.length, v.segment, 0, v.length, timestamp);
    }

    /**
     * Stages {@code key} → {@code valueAndTimestamp}, already in the stored format (Kafka Streams'
     * serialized {@code ValueAndTimestamp}).
     *
     * @throws IllegalArgumentException if it is shorter than 8 bytes or its timestamp is negative
     */
    public void putRaw(Transaction tx, byte[] key, byte[] valueAndTimestamp) {
        Objects.requireNonNull(tx, "tx");
        TimeKeys.checkKey(key, 0, "key");
        Objects.requireNonNull(valueAndTimestamp, "valueAndTimestamp");
        if (valueAndTimestamp.length < TIMESTAMP_LENGTH) {
            throw new IllegalArgumentException("a value-and-timestamp needs at least 8 bytes, got " + valueAndTimestamp.length);
        }
        long ts = TimeKeys.getLong(valueAndTimestamp, 0);
        TimeKeys.checkTimestamp(ts, "timestamp");
        Scratch v = this.value.reset(valueAndTimestamp.length).putBytes(valueAndTimestamp);
        Scratch k = keyScratch(key);
        tx.put(store, k.segment, 0, k.length, v.segment, 0, v.length, ts);
    }

    /**
     * Stages {@code key} → ({@code timestamp}, {@code value}) only if the key holds nothing newer:
     * an out-of-order record older than the stored one is ignored. Returns whether it was staged.
     */
    public boolean putIfNewer(Transaction tx, byte[] key, byte[] value, long timestamp) {
        Objects.requireNonNull(tx, "tx");
        TimeKeys.checkKey(key, 0, "key");
        Objects.requireNonNull(value, "value");
        TimeKeys.checkTimestamp(timestamp, "timestamp");
        if (get(tx, key, previous) && previous.timestamp() > timestamp) {
            return false;
        }
        put(tx, key, value, timestamp);
        return true;
    }

    /** Stages the removal of {@code key} with record timestamp {@code timestamp}; returns whether it was visible. */
    public boolean delete(Transaction tx, byte[] key, long timestamp) {
        Objects.requireNonNull(tx, "tx");
        TimeKeys.checkKey(key, 0, "key");
        TimeKeys.checkTimestamp(timestamp, "timestamp");
        return tx.delete(store, key, timestamp);
    }

    /**
     * Points {@code into} at {@code key}'s value and timestamp as {@code tx} sees it ({@code null}:
     * committed). Returns false if absent.
     */
    public boolean get(Transaction tx, byte[] key, TimestampedValue into) {
        TimeKeys.checkKey(key, 0, "key");
        Objects.requireNonNull(into, "into");
        boolean found = tx == null ? store.get(key, raw) : tx.get(store, key, raw);
        if (!found) {
            into.clear();
            return false;
        }
        into.wrap(store, raw);
        return true;
    }

    /**
     * Positions {@code into} on the current entry of a committed-state cursor of the backing store.
     * For scans: {@code while (cursor.next()) { ts.from(cursor, into); ... }}.
     */
    public TimestampedValue from(Cursor cursor, TimestampedValue into) {
        into.wrap(store, cursor.value());
        return into;
    }

    /** As {@link #from(Cursor, TimestampedValue)} for a transaction's cursor. */
    public TimestampedValue from(TransactionCursor cursor, TimestampedValue into) {
        into.wrap(store, cursor.value());
        return into;
    }

    private final Scratch key = new Scratch(64);

    private Scratch keyScratch(byte[] k) {
        return key.reset(k.length).putBytes(k);
    }
}
