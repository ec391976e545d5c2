package io.offstate.engine;

/**
 * One change of a committed {@link Transaction}, as seen by a {@link ChangeSink}: the store, put or
 * delete, the original key bytes, the value bytes (puts) and the record timestamp the caller gave.
 *
 * <p><b>A flyweight</b>: one instance per transaction, re-pointed at each record; {@link #key()}
 * and {@link #value()} are zero-copy views into the transaction's pending memory, valid only during
 * the {@link ChangeSink#record} call that received them. Copy ({@link ValueView#toByteArray()})
 * what must outlive the call. Confined to the transaction's thread.
 */
public final class ChangeRecord {
    private final ValueView key = new ValueView();
    private final ValueView value = new ValueView();
    private KeyValueStore store;
    private boolean delete;
    private long timestamp;
    private int sequence;

    ChangeRecord() {
    }

    void set(KeyValueStore store, KeyValueStore staging, int sequence, ValueView pendingKey, ValueView record) {
        this.store = store;
        this.sequence = sequence;
        this.delete = record.getByte(PendingDescriptor.KIND_OFFSET) == PendingDescriptor.DELETE;
        this.timestamp = record.getLong(PendingDescriptor.TIMESTAMP_OFFSET);
        key.set(staging, staging.version(), pendingKey.memory(), pendingKey.offset(), pendingKey.length());
        if (delete) {
            value.set(staging, staging.version(), record.memory(), record.offset() + PendingDescriptor.HEADER_LENGTH, 0);
        } else {
            value.set(staging, staging.version(), record.memory(), record.offset() + PendingDescriptor.HEADER_LENGTH,
                record.length() - PendingDescriptor.HEADER_LENGTH);
        }
    }

    /** The store changed. */
    public KeyValueStore store() {
        return store;
    }

    /** The store's name ({@link StoreOptions#name()}). */
    public String storeName() {
        return store.name();
    }

    /** The {@link StatePartition partition} of the store, or -1 for a store outside a {@link StateManager}. */
    public int partition() {
        return store.partition();
    }

    /** Whether the change deletes the key (else it puts {@link #value()}). */
    public boolean isDelete() {
        return delete;
    }

    /** Position of this record in its commit, from 0. */
    public int sequence() {
        return sequence;
    }

    /** The record timestamp given with the write (or the transaction's default). */
    public long timestamp() {
        return timestamp;
    }

    /** The key's original bytes (never dictionary-encoded); valid during the callback. */
    public ValueView key() {
        return key;
    }

    /** The value written; empty for a delete; valid during the callback. */
    public ValueView value() {
        return value;
    }

    @Override
    public String toString() {
        return "ChangeRecord[" + store.name() + " #" + sequence + (delete ? " delete " : " put ") + key + "]";
    }
}
