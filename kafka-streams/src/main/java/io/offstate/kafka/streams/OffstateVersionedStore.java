package io.offstate.kafka.streams;

import java.util.Collection;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.RecordBatchingStateRestoreCallback;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.VersionedKeyValueStore;
import org.apache.kafka.streams.state.VersionedRecord;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;
import io.offstate.engine.time.VersionedStore;

/**
 * A Kafka Streams versioned key-value store (KIP-889) kept in an offstate
 * {@link io.offstate.engine.time.VersionedStore}: every version of a key with its validity
 * interval, history kept for {@code historyRetention} of stream time, out-of-order puts placed
 * between the versions around them. Kafka Streams uses it through its
 * {@code VersionedKeyValueToBytesStoreAdapter}; get it from {@link OffstateVersionedBytesStoreSupplier}.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>{@link #put} returns the new version's validTo, {@link #PUT_RETURN_CODE_VALID_TO_UNDEFINED} if
 *       it is the latest, or {@link #PUT_RETURN_CODE_NOT_PUT} if its timestamp is behind the history
 *       horizon. A null value puts a tombstone; its return is then {@code NOT_PUT} behind the horizon
 *       and {@code VALID_TO_UNDEFINED} otherwise (the validTo of a tombstone is not computed).</li>
 *   <li>{@link #get(Bytes, long) get(key, asOf)} returns the version valid at {@code asOf} with its
 *       validTo, null if none (or a tombstone); {@link #delete} returns the version valid at the
 *       delete's timestamp before it.</li>
 *   <li>Restore is record-level ({@link RecordBatchingStateRestoreCallback}): each changelog
 *       record is applied at its record timestamp.</li>
 *   <li>Lifecycle, threading and memory as {@link OffstateKeyValueStore}: file-backed under
 *       {@code context.stateDir()/<name>} or in memory; every call under the store's lock; returned
 *       values are heap copies.</li>
 * </ol>
 */
public final class OffstateVersionedStore implements VersionedKeyValueStore<Bytes, byte[]> {
    private final String name;
    private final boolean persistent;
    private final long historyRetention;
    private final long memoryBudget;
    private final SharedAccess access = new SharedAccess();
    /** The write rounds' reusable transaction (stream thread, under the access lock). */
    private final WriteRounds rounds = new WriteRounds();
    private final PositionTracker position = new PositionTracker();
    private CommittedOffsets offsets;
    private final io.offstate.engine.time.VersionedRecord found = new io.offstate.engine.time.VersionedRecord();
    private VersionedStore versions;
    private volatile boolean open;

    OffstateVersionedStore(String name, boolean persistent, long historyRetention, long memoryBudget) {
        this.name = Objects.requireNonNull(name, "name");
        this.persistent = persistent;
        this.historyRetention = historyRetention;
        this.memoryBudget = memoryBudget;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public boolean persistent() {
        return persistent;
    }

    @Override
    public boolean isOpen() {
        return open;
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        if (open) {
            throw new IllegalStateException("store '" + name + "' is already open");
        }
        StoreOptions options = OffstateStreamsConfig.storeOptions(context, name, memoryBudget);
        KeyValueStore store;
        try {
            store = persistent ? KeyValueStore.open(OffstateKeyValueStore.directoryOf(context, name), options)
                : KeyValueStore.create(options);
        } catch (RuntimeException e) {
            throw new ProcessorStateException("store '" + name + "' could not be opened: " + e.getMessage(), e);
        }
        offsets = CommittedOffsets.of(context);
        try {
            versions = VersionedStore.on(store, historyRetention);
            offsets.load(store.lastFlushMetadata(), store.version(), position.position());
        } catch (RuntimeException e) {
            store.closeWithoutFlush();
            throw new ProcessorStateException("store '" + name + "' could not be opened: " + e.getMessage(), e);
        }
        access.adopt(store);
        position.init(context);
        open = true;
        context.register(root, (RecordBatchingStateRestoreCallback) this::restoreBatch);
    }

    private void restoreBatch(Collection<ConsumerRecord<byte[], byte[]>> records) {
        KeyValueStore s = enter();
        try (WriteRounds round = rounds.begin(s)) {
            Transaction tx = round.tx();
            for (ConsumerRecord<byte[], byte[]> r : records) {
                if (r.value() == null) {
                    versions.delete(tx, r.key(), r.timestamp());
                } else {
                    versions.put(tx, r.key(), r.value(), r.timestamp());
                }
            }
            tx.commit();
        } finally {
            access.exit();
        }
    }

    @Override
    public long put(Bytes key, byte[] value, long timestamp) {
        Objects.requireNonNull(key, "key cannot be null");
        KeyValueStore s = enter();
        try (WriteRounds round = rounds.begin(s)) {
            Transaction tx = round.tx();
            if (timestamp < 0) {
                return PUT_RETURN_CODE_NOT_PUT; // no record has a negative timestamp; the engine refuses it
            }
            long code;
            if (value == null) {
                code = timestamp < versions.historyHorizon(tx) ? PUT_RETURN_CODE_NOT_PUT
                    : PUT_RETURN_CODE_VALID_TO_UNDEFINED;
                versions.delete(tx, key.get(), timestamp);
            } else {
                code = versions.put(tx, key.get(), value, timestamp);
            }
            tx.commit();
            position.update();
            return code;
        } finally {
            access.exit();
        }
    }

    @Override
    public VersionedRecord<byte[]> delete(Bytes key, long timestamp) {
        Objects.requireNonNull(key, "key cannot be null");
        KeyValueStore s = enter();
        try (WriteRounds round = rounds.begin(s)) {
            Transaction tx = round.tx();
            VersionedRecord<byte[]> previous = toKafka(versions.get(null, key.get(), timestamp, found));
            versions.delete(tx, key.get(), timestamp);
            tx.commit();
            position.update();
            return previous;
        } finally {
            access.exit();
        }
    }

    @Override
    public VersionedRecord<byte[]> get(Bytes key) {
        Objects.requireNonNull(key, "key cannot be null");
        enter();
        try {
            return toKafka(versions.get(null, key.get(), found));
        } finally {
            access.exit();
        }
    }

    @Override
    public VersionedRecord<byte[]> get(Bytes key, long asOfTimestamp) {
        Objects.requireNonNull(key, "key cannot be null");
        enter();
        try {
            return asOfTimestamp < 0 ? null : toKafka(versions.get(null, key.get(), asOfTimestamp, found));
        } finally {
            access.exit();
        }
    }

    private VersionedRecord<byte[]> toKafka(boolean present) {
        if (!present) {
            return null;
        }
        byte[] value = found.value().toByteArray();
        return found.hasValidTo() ? new VersionedRecord<>(value, found.timestamp(), found.validTo())
            : new VersionedRecord<>(value, found.timestamp());
    }

    @Override
    public Position getPosition() {
        return position.position();
    }

    /**
     * Records the changelog offsets Kafka Streams committed (KIP-1035) and, when
     * {@link CommittedOffsets} says so, flushes a file-backed store durably with them: data and offsets
     * in one atomic flush. Nothing is written for an in-memory store.
     *
     * @throws InvalidStateStoreException if the store is not open
     * @throws java.io.UncheckedIOException if the durable flush fails
     */
    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        KeyValueStore s = enter();
        try {
            if (offsets.commit(changelogOffsets, s.version()) && persistent) {
                durableFlush(s);
            }
        } finally {
            access.exit();
        }
    }

    /** Flushes a file-backed store durably now, with the offsets last committed. */
    @Override
    @Deprecated
    public void flush() {
        KeyValueStore s = enter();
        try {
            if (persistent) {
                durableFlush(s);
            }
        } finally {
            access.exit();
        }
    }

    private void durableFlush(KeyValueStore s) {
        s.flush(offsets.encode(position.position()));
        offsets.durable(s.version());
    }

    /** True: offstate stores keep their changelog offsets in their own flushes (KIP-1035). */
    @Override
    @Deprecated
    public boolean managesOffsets() {
        return true;
    }

    /**
     * The offset last {@link #commit committed} for {@code partition}: when the store has just been
     * opened, that of its last durable flush. Null for an in-memory store, or if none was committed.
     */
    @Override
    public Long committedOffset(TopicPartition partition) {
        if (!persistent) {
            return null;
        }
        enter();
        try {
            return offsets.get(partition);
        } finally {
            access.exit();
        }
    }

    @Override
    public void close() {
        if (!open) {
            return;
        }
        KeyValueStore s = access.enter();
        try {
            open = false;
            rounds.release();
            if (s != null) {
                OffstateKeyValueStore.closeDurably(s, persistent, offsets, position.position(), name);
            }
        } finally {
            access.exit();
        }
    }

    private KeyValueStore enter() {
        if (!open) {
            throw new InvalidStateStoreException("store '" + name + "' is not open");
        }
        KeyValueStore s = access.enter();
        if (s == null || s.isClosed()) {
            access.exit();
            throw new InvalidStateStoreException("store '" + name + "' is closed");
        }
        return s;
    }

    @Override
    public String toString() {
        return "OffstateVersionedStore[" + name + ", history " + historyRetention + " ms"
            + (persistent ? ", persistent" : ", in memory") + "]";
    }
}
