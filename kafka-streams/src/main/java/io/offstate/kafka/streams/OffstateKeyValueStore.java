package io.offstate.kafka.streams;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.BatchingStateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.internals.StoreQueryUtils;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.offstate.engine.StoreOptions;
import io.offstate.engine.ValueView;

/**
 * A Kafka Streams key-value bytes store kept in an offstate {@link io.offstate.engine.KeyValueStore}
 * with a sorted index: the innermost layer under Kafka's metering, caching and change-logging
 * wrappers, as {@code RocksDBStore} is. Get one from {@link OffstateKeyValueBytesStoreSupplier}.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Order</b>: ranges, prefix scans and {@code all()} return keys in unsigned lexicographic
 *       order of their bytes (Kafka's {@link Bytes} order, as RocksDB); both range bounds are
 *       inclusive; a range with {@code from > to} is empty and logs a warning, as Kafka's stores do.</li>
 *   <li><b>Writes</b>: a null value deletes; {@code putIfAbsent} and {@code delete} return the old
 *       value; null keys throw {@link NullPointerException}.</li>
 *   <li><b>Lifecycle</b>: {@link #init} opens the store — file-backed under
 *       {@code context.stateDir()/<name>} when {@link #persistent()}, else in memory — and
 *       registers a batching restore callback; {@link #close()} flushes and is idempotent. Calls
 *       before {@code init} or after {@code close} throw {@link InvalidStateStoreException}.</li>
 *   <li><b>Offsets</b> (KIP-1035): the store manages its changelog offsets
 *       ({@link #managesOffsets()}); {@link #commit(Map)} records them and makes them durable
 *       together with the data only now and then (see {@link CommittedOffsets}); a crash reopens the
 *       last durable flush with exactly its offsets, and {@link #committedOffset} tells Kafka Streams
 *       where to restore from.</li>
 *   <li><b>Threading</b>: safe for the stream thread and interactive-query threads at once. Every
 *       call runs under the store's lock (see {@link SharedAccess}); a read never sees half a
 *       write. Iterators copy entries out in batches and never throw
 *       {@link java.util.ConcurrentModificationException} (see {@link BatchedRangeIterator});
 *       close them.</li>
 *   <li><b>Memory</b>: entries live off-heap in the offstate store; every {@code byte[]} returned is
 *       a copy owned by the caller. A write beyond the memory budget throws
 *       {@link io.offstate.offheap.StoreFullException} and changes nothing.</li>
 * </ol>
 */
public sealed class OffstateKeyValueStore implements KeyValueStore<Bytes, byte[]>
        permits OffstateTimestampedKeyValueStore {
    private static final Logger LOG = LoggerFactory.getLogger(OffstateKeyValueStore.class);
    static final String INVALID_RANGE_WARNING = "Returning empty iterator for fetch with invalid key range: from > to. "
        + "This may be due to range arguments set in the wrong order, or serdes that don't preserve ordering when "
        + "lexicographically comparing the serialized bytes. Note that the built-in numerical serdes do not follow "
        + "this for negative numbers";

    private final String name;
    private final boolean persistent;
    private final long memoryBudget;
    private final SharedAccess access = new SharedAccess();
    private final ValueView view = new ValueView();
    private final PositionTracker position = new PositionTracker();
    private CommittedOffsets offsets;
    private volatile boolean open;

    /** @param memoryBudget off-heap byte limit of this store, or 0 for none */
    OffstateKeyValueStore(String name, boolean persistent, long memoryBudget) {
        this.name = Objects.requireNonNull(name, "name");
        this.persistent = persistent;
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

    /** The directory of a persistent store in {@code context}: {@code stateDir/<name>}. */
    static Path directoryOf(StateStoreContext context, String name) {
        return context.stateDir().toPath().resolve(name);
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        if (open) {
            throw new IllegalStateException("store '" + name + "' is already open");
        }
        StoreOptions options = OffstateStreamsConfig.storeOptions(context, name, memoryBudget);
        StoreOptions o = options;
        io.offstate.engine.KeyValueStore store;
        try {
            store = persistent ? io.offstate.engine.KeyValueStore.open(directoryOf(context, name), o)
                : io.offstate.engine.KeyValueStore.create(o);
        } catch (RuntimeException e) {
            throw new ProcessorStateException("store '" + name + "' could not be opened: " + e.getMessage(), e);
        }
        offsets = CommittedOffsets.of(context);
        try {
            offsets.load(store.lastFlushMetadata(), store.version(), position.position());
        } catch (RuntimeException e) {
            store.close();
            throw e;
        }
        access.adopt(store);
        position.init(context);
        open = true;
        context.register(root, (BatchingStateRestoreCallback) this::restoreAll);
    }

    /** Applies a batch of changelog records (null value: delete) under one lock. */
    void restoreAll(Collection<KeyValue<byte[], byte[]>> records) {
        io.offstate.engine.KeyValueStore store = enter();
        try {
            for (KeyValue<byte[], byte[]> r : records) {
                if (r.value == null) {
                    store.delete(r.key);
                } else {
                    store.put(r.key, r.value);
                }
            }
        } finally {
            access.exit();
        }
    }

    @Override
    public void put(Bytes key, byte[] value) {
        Objects.requireNonNull(key, "key cannot be null");
        io.offstate.engine.KeyValueStore store = enter();
        try {
            if (value == null) {
                store.delete(key.get());
            } else {
                store.put(key.get(), value);
            }
            position.update();
        } finally {
            access.exit();
        }
    }

    @Override
    public byte[] putIfAbsent(Bytes key, byte[] value) {
        Objects.requireNonNull(key, "key cannot be null");
        io.offstate.engine.KeyValueStore store = enter();
        try {
            byte[] old = store.getCopy(key.get());
            if (old == null && value != null) {
                store.put(key.get(), value);
            }
            position.update();
            return old;
        } finally {
            access.exit();
        }
    }

    @Override
    public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
        for (KeyValue<Bytes, byte[]> e : entries) {
            Objects.requireNonNull(e.key, "key cannot be null");
        }
        io.offstate.engine.KeyValueStore store = enter();
        try {
            for (KeyValue<Bytes, byte[]> e : entries) {
                if (e.value == null) {
                    store.delete(e.key.get());
                } else {
                    store.put(e.key.get(), e.value);
                }
            }
            position.update();
        } finally {
            access.exit();
        }
    }

    @Override
    public byte[] delete(Bytes key) {
        Objects.requireNonNull(key, "key cannot be null");
        io.offstate.engine.KeyValueStore store = enter();
        try {
            byte[] old = store.getCopy(key.get());
            if (old != null) {
                store.delete(key.get());
            }
            position.update();
            return old;
        } finally {
            access.exit();
        }
    }

    @Override
    public byte[] get(Bytes key) {
        Objects.requireNonNull(key, "key cannot be null");
        io.offstate.engine.KeyValueStore store = enter();
        try {
            return store.get(key.get(), view) ? view.toByteArray() : null;
        } finally {
            access.exit();
        }
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
        return range(from, to, false);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
        return range(from, to, true);
    }

    private KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to, boolean reverse) {
        checkOpen();
        if (from != null && to != null && from.compareTo(to) > 0) {
            LOG.warn(INVALID_RANGE_WARNING);
            return BatchedRangeIterator.empty(access, name);
        }
        byte[] upper = to == null ? null : Arrays.copyOf(to.get(), to.get().length + 1); // to ‖ 0x00: just above to
        return new BatchedRangeIterator(access, name, from == null ? null : from.get(), upper, reverse);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> all() {
        checkOpen();
        return new BatchedRangeIterator(access, name, null, null, false);
    }

    @Override
    public KeyValueIterator<Bytes, byte[]> reverseAll() {
        checkOpen();
        return new BatchedRangeIterator(access, name, null, null, true);
    }

    @Override
    public <PS extends Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(P prefix, PS prefixKeySerializer) {
        Objects.requireNonNull(prefix, "prefix cannot be null");
        Objects.requireNonNull(prefixKeySerializer, "prefixKeySerializer cannot be null");
        checkOpen();
        byte[] from = prefixKeySerializer.serialize(null, prefix);
        return new BatchedRangeIterator(access, name, from, successor(from), false);
    }

    /** The smallest key greater than every key starting with {@code prefix}, or null if none is. */
    static byte[] successor(byte[] prefix) {
        for (int i = prefix.length - 1; i >= 0; i--) {
            if (prefix[i] != (byte) 0xFF) {
                byte[] s = Arrays.copyOf(prefix, i + 1);
                s[i]++;
                return s;
            }
        }
        return null;
    }

    /**
     * Interactive queries v2: Kafka's basic queries for this kind of store ({@code KeyQuery} and
     * {@code RangeQuery} for key-value stores, {@code WindowKeyQuery} and {@code WindowRangeQuery} for
     * window and session stores), answered through this store's thread-safe reads, with the
     * position bound checked against {@link #getPosition()}. Other queries fail as unknown.
     */
    @Override
    public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
        return StoreQueryUtils.handleBasicQueries(query, positionBound, config, this, position.position(),
            position.context());
    }

    /** The input offsets of the last writes (thread-safe; see {@link PositionTracker}). */
    @Override
    public Position getPosition() {
        return position.position();
    }

    @Override
    public long approximateNumEntries() {
        io.offstate.engine.KeyValueStore store = enter();
        try {
            return store.size();
        } finally {
            access.exit();
        }
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
        io.offstate.engine.KeyValueStore store = enter();
        try {
            if (offsets.commit(changelogOffsets, store.version()) && persistent) {
                durableFlush(store);
            }
        } finally {
            access.exit();
        }
    }

    /** Flushes a file-backed store durably now, with the offsets last committed. */
    @Override
    @Deprecated
    public void flush() {
        io.offstate.engine.KeyValueStore store = enter();
        try {
            if (persistent) {
                durableFlush(store);
            }
        } finally {
            access.exit();
        }
    }

    private void durableFlush(io.offstate.engine.KeyValueStore store) {
        store.flush(offsets.encode(position.position()));
        offsets.durable(store.version());
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

    /** Flushes durably with the committed offsets (a file-backed store), then releases the store; idempotent. */
    @Override
    public void close() {
        if (!open) {
            return;
        }
        io.offstate.engine.KeyValueStore store = access.enter();
        try {
            open = false;
            if (store != null) {
                closeDurably(store, persistent, offsets, position.position(), name);
            }
        } finally {
            access.exit();
        }
    }

    /**
     * Closes {@code store}, a file-backed one after a last durable flush with {@code offsets}; if that
     * flush fails it is logged and the store is closed all the same (its own close then reports).
     */
    static void closeDurably(io.offstate.engine.KeyValueStore store, boolean persistent, CommittedOffsets offsets,
                             Position position, String name) {
        if (store.isClosed()) {
            return;
        }
        if (persistent && offsets != null) {
            try {
                store.flush(offsets.encode(position));
            } catch (RuntimeException e) {
                LOG.warn("store '{}': the flush before close failed: {}", name, e.toString());
            }
        }
        store.close();
    }

    /** Locks and returns the open store; the caller must {@code access.exit()} in a finally. */
    private io.offstate.engine.KeyValueStore enter() {
        checkOpen();
        io.offstate.engine.KeyValueStore store = access.enter();
        if (store == null || store.isClosed()) {
            access.exit();
            throw new InvalidStateStoreException("store '" + name + "' is closed");
        }
        return store;
    }

    private void checkOpen() {
        if (!open) {
            throw new InvalidStateStoreException("store '" + name + "' is not open");
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + (persistent ? ", persistent" : ", in memory") + "]";
    }

}
