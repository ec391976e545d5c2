package io.offstate.kafka.streams;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.internals.TimeWindow;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.BatchingStateRestoreCallback;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.processor.internals.metrics.StreamsMetricsImpl;
import org.apache.kafka.streams.processor.internals.metrics.TaskMetrics;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.internals.StoreQueryUtils;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;
import io.offstate.engine.time.TimestampExpiredException;
import io.offstate.engine.time.WindowCursor;
import io.offstate.engine.time.WindowStoreOptions;

/**
 * A Kafka Streams window bytes store kept in an offstate {@link io.offstate.engine.time.WindowStore}:
 * values per (key, window start), with retention, segments and (for stream-stream joins) retained
 * duplicates. Get one from {@link OffstateWindowBytesStoreSupplier}.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Time</b>: stream time is the largest window start put; a window is live while its start
 *       is after {@code streamTime - retention}. A put behind that is dropped (as Kafka's stores
 *       drop it), reads never return an expired window. Time bounds of fetches are inclusive;
 *       negative or inverted bounds give an empty result.</li>
 *   <li><b>Order</b>: one key — by window start; several keys — segment by segment, by key bytes
 *       then start within one (RocksDB's order); backward variants are the exact reverse.</li>
 *   <li><b>Writes</b>: a null value deletes the window (ignored with retained duplicates); with
 *       retained duplicates each put adds an entry. Null keys throw {@link NullPointerException}.</li>
 *   <li><b>Lifecycle and threading</b> as {@link OffstateKeyValueStore}: file-backed under
 *       {@code context.stateDir()/<name>} or in memory, a batching restore callback, every call
 *       under the store's lock (interactive queries from other threads are safe).</li>
 *   <li><b>Iterators</b> copy their whole result when created (a snapshot, bounded by the time
 *       range), never throw {@link java.util.ConcurrentModificationException}, and end when the
 *       store closes.</li>
 * </ol>
 */
public sealed class OffstateWindowStore implements WindowStore<Bytes, byte[]> permits OffstateTimestampedWindowStore {
    private static final Logger LOG = LoggerFactory.getLogger(OffstateWindowStore.class);
    /** Bytes after the record key in a window changelog key: window start (8) and sequence number (4). */
    private static final int CHANGELOG_SUFFIX = 12;

    private final String name;
    private final boolean persistent;
    private final WindowStoreOptions windowOptions;
    private final long memoryBudget;
    private final long windowSize;
    private final SharedAccess access = new SharedAccess();
    /** The write rounds' reusable transaction (stream thread, under the access lock). */
    private final WriteRounds rounds = new WriteRounds();
    private final PositionTracker position = new PositionTracker();
    private final Set<BatchedWindowIterator<?>> openIterators = ConcurrentHashMap.newKeySet();
    private final ValueView view = new ValueView();
    private io.offstate.engine.time.WindowStore windows;
    private WindowCursor cursor;
    private volatile boolean open;
    private long expiredDropped;
    private Sensor expiredSensor;
    private StoreOptions storeOptions;
    private CommittedOffsets offsets;
    private Path directory;

    /** @param windowSize Kafka's window size (may be 0, where the engine's options hold at least 1) */
    OffstateWindowStore(String name, boolean persistent, WindowStoreOptions windowOptions, long windowSize,
                        long memoryBudget) {
        this.name = Objects.requireNonNull(name, "name");
        this.windowSize = windowSize;
        this.persistent = persistent;
        this.windowOptions = windowOptions;
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

    /** Puts dropped because their window had expired (Kafka counts these in its drop metrics). */
    public long expiredRecordsDropped() {
        access.enter();
        try {
            return expiredDropped;
        } finally {
            access.exit();
        }
    }

    @Override
    public void init(StateStoreContext context, StateStore root) {
        if (open) {
            throw new IllegalStateException("store '" + name + "' is already open");
        }
        StoreOptions options = OffstateStreamsConfig.storeOptions(context, name, memoryBudget);
        storeOptions = options;
        directory = persistent ? OffstateKeyValueStore.directoryOf(context, name) : null;
        if (context.metrics() instanceof StreamsMetricsImpl metrics && context.taskId() != null) {
            expiredSensor = TaskMetrics.droppedRecordsSensor(Thread.currentThread().getName(),
                context.taskId().toString(), metrics);
        }
        offsets = CommittedOffsets.of(context);
        position.init(context);
        open = true;
        context.register(root, (BatchingStateRestoreCallback) records -> {
            KeyValueStore s = enter();
            try {
                for (var r : records) {
                    // changelog keys are Kafka's window key binary: key ‖ window start: 8 ‖ sequence: 4
                    int keyLength = r.key.length - CHANGELOG_SUFFIX;
                    long start = ByteBuffer.wrap(r.key, keyLength, 8).getLong();
                    putLocked(s, Arrays.copyOf(r.key, keyLength), r.value, start);
                }
            } finally {
                access.exit();
            }
        });
    }

    @Override
    public void put(Bytes key, byte[] value, long windowStartTimestamp) {
        Objects.requireNonNull(key, "key cannot be null");
        KeyValueStore s = enter();
        try {
            putLocked(s, key.get(), value, windowStartTimestamp);
            position.update();
        } finally {
            access.exit();
        }
    }

    private void putLocked(KeyValueStore s, byte[] key, byte[] value, long windowStart) {
        if (windowStart < 0) {
            dropExpired();
            return;
        }
        try (WriteRounds round = rounds.begin(s)) {
            Transaction tx = round.tx();
            windows.put(tx, key, value, windowStart);
            tx.commit();
        } catch (TimestampExpiredException e) {
            dropExpired();
            LOG.debug("Skipping record for expired segment: {}", e.getMessage());
        }
    }

    private void dropExpired() {
        expiredDropped++;
        if (expiredSensor != null) {
            expiredSensor.record(1.0d, System.currentTimeMillis());
        }
    }

    @Override
    public byte[] fetch(Bytes key, long timestamp) {
        Objects.requireNonNull(key, "key cannot be null");
        KeyValueStore s = enter();
        try {
            if (timestamp < 0) {
                return null;
            }
            return windows.fetch(null, key.get(), timestamp, view) ? view.toByteArray() : null;
        } finally {
            access.exit();
        }
    }

    @Override
    public WindowStoreIterator<byte[]> fetch(Bytes key, long timeFrom, long timeTo) {
        return fetchOne(key, timeFrom, timeTo, false);
    }

    @Override
    public WindowStoreIterator<byte[]> backwardFetch(Bytes key, long timeFrom, long timeTo) {
        return fetchOne(key, timeFrom, timeTo, true);
    }

    private WindowStoreIterator<byte[]> fetchOne(Bytes key, long timeFrom, long timeTo, boolean backward) {
        Objects.requireNonNull(key, "key cannot be null");
        checkOpen();
        byte[] k = key.get();
        return new SingleKeyIterator(this, openIterators, (c, lo, hi, back) -> {
            if (back) {
                c.backwardFetch(null, k, lo, hi);
            } else {
                c.fetch(null, k, lo, hi);
            }
        }, Math.max(0, timeFrom), timeTo, backward, windowOptions.segmentInterval());
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> fetch(Bytes keyFrom, Bytes keyTo, long timeFrom, long timeTo) {
        return fetchRange(keyFrom, keyTo, timeFrom, timeTo, false);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetch(Bytes keyFrom, Bytes keyTo, long timeFrom, long timeTo) {
        return fetchRange(keyFrom, keyTo, timeFrom, timeTo, true);
    }

    private KeyValueIterator<Windowed<Bytes>, byte[]> fetchRange(Bytes keyFrom, Bytes keyTo, long timeFrom, long timeTo,
                                                                 boolean backward) {
        checkOpen();
        long from = Math.max(0, timeFrom);
        long to = timeTo;
        if (keyFrom != null && keyTo != null && keyFrom.compareTo(keyTo) > 0) {
            LOG.warn(OffstateKeyValueStore.INVALID_RANGE_WARNING);
            to = -1; // empty
        }
        byte[] lo = keyFrom == null ? null : keyFrom.get();
        byte[] hi = keyTo == null ? null : keyTo.get();
        long size = windowSize;
        return new BatchedWindowIterator<>(this, openIterators, (c, tFrom, tTo, back) -> {
            if (lo == null && hi == null) {
                if (back) {
                    c.backwardFetchAll(null, tFrom, tTo);
                } else {
                    c.fetchAll(null, tFrom, tTo);
                }
            } else if (back) {
                c.backwardFetch(null, lo, hi, tFrom, tTo);
            } else {
                c.fetch(null, lo, hi, tFrom, tTo);
            }
        }, (key, start) -> new Windowed<>(Bytes.wrap(key),
            new TimeWindow(start, start + size < start ? Long.MAX_VALUE : start + size)), // saturate as Kafka does
            from, to, backward, windowOptions.segmentInterval());
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> fetchAll(long timeFrom, long timeTo) {
        return fetchRange(null, null, timeFrom, timeTo, false);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetchAll(long timeFrom, long timeTo) {
        return fetchRange(null, null, timeFrom, timeTo, true);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> all() {
        return fetchRange(null, null, 0, Long.MAX_VALUE, false);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardAll() {
        return fetchRange(null, null, 0, Long.MAX_VALUE, true);
    }

    /** For iterators: locks and returns the open store, or null (unlocked) if the store is closed. */
    KeyValueStore enterForIterator() {
        if (!open) {
            return null;
        }
        KeyValueStore s;
        try {
            s = enter();
        } catch (InvalidStateStoreException e) {
            return null;
        }
        if (!open || s == null || s.isClosed()) {
            access.exit();
            return null;
        }
        return s;
    }

    void exitForIterator() {
        access.exit();
    }

    /** The store's cursor; only between {@link #enterForIterator()} and {@link #exitForIterator()}. */
    WindowCursor cursor() {
        return cursor;
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

    @Override
    public Position getPosition() {
        return position.position();
    }

    /**
     * Records the changelog offsets Kafka Streams committed (KIP-1035) and, when
     * {@link CommittedOffsets} says so, flushes a file-backed store durably with them: data and offsets
     * in one atomic flush. Nothing is written for an in-memory store.
     *
     * @throws java.io.UncheckedIOException if the durable flush fails
     */
    @Override
    public void commit(Map<TopicPartition, Long> changelogOffsets) {
        if (!open) {
            return;
        }
        KeyValueStore s = access.enter();
        try {
            boolean due = offsets.commit(changelogOffsets, s == null ? 0 : s.version());
            if (s == null && !offsets.isEmpty()) {
                s = enter(); // a logged store never used yet: its files keep the offsets from now on
                access.exit();
            }
            if (due && persistent && s != null && !s.isClosed()) { // a store never used has no files to flush
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
        if (!open) {
            return;
        }
        KeyValueStore s = access.enter();
        try {
            if (s != null && !s.isClosed() && persistent) {
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
     * opened, that of its last durable flush (the store's files are opened for it if they exist).
     * Null for an in-memory store, or if none was committed.
     */
    @Override
    public Long committedOffset(TopicPartition partition) {
        if (!persistent || !open) {
            return null;
        }
        KeyValueStore s = access.enter();
        try {
            if (s == null && java.nio.file.Files.isDirectory(directory)) {
                enter(); // opens the files and loads their offsets
                access.exit();
            }
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
            for (BatchedWindowIterator<?> it : openIterators) {
                it.closeByStore();
            }
            openIterators.clear();
            if (s != null) {
                OffstateKeyValueStore.closeDurably(s, persistent, offsets, position.position(), name);
            }
            access.install(null); // a later init opens the store again
        } finally {
            access.exit();
        }
    }

    private KeyValueStore enter() {
        checkOpen();
        KeyValueStore s = access.enter();
        if (s == null && open) {
            try {
                s = openStore();
            } catch (RuntimeException e) {
                access.exit();
                throw e;
            }
        }
        if (s == null || s.isClosed()) {
            access.exit();
            throw new InvalidStateStoreException("store '" + name + "' is closed");
        }
        return s;
    }

    /**
     * Opens the engine store at its first use, under the lock (as RocksDB's window stores open
     * their segments at the first put): an initialized store that is never used holds no files.
     */
    private KeyValueStore openStore() {
        KeyValueStore store;
        try {
            store = directory != null ? KeyValueStore.open(directory, storeOptions) : KeyValueStore.create(storeOptions);
        } catch (RuntimeException e) {
            throw new ProcessorStateException("store '" + name + "' could not be opened: " + e.getMessage(), e);
        }
        try {
            windows = io.offstate.engine.time.WindowStore.on(store, windowOptions);
            cursor = windows.cursor();
            offsets.load(store.lastFlushMetadata(), store.version(), position.position());
        } catch (RuntimeException e) {
            store.closeWithoutFlush();
            throw new ProcessorStateException("store '" + name + "' could not be opened: " + e.getMessage(), e);
        }
        access.install(store);
        return store;
    }

    private void checkOpen() {
        if (!open) {
            throw new InvalidStateStoreException("store '" + name + "' is not open");
        }
    }

    @Override
    public String toString() {
        return getClass().getSimpleName() + "[" + name + ", " + windowOptions + (persistent ? ", persistent" : ", in memory") + "]";
    }
}
