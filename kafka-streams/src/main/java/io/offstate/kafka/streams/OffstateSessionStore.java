package io.offstate.kafka.streams;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.metrics.Sensor;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.kstream.internals.SessionWindow;
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
import org.apache.kafka.streams.state.SessionStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;
import io.offstate.engine.time.SessionCursor;
import io.offstate.engine.time.SessionExpiredException;

/**
 * A Kafka Streams session bytes store kept in an offstate {@link io.offstate.engine.time.SessionStore}:
 * per key, sessions {@code [start, end]} holding an aggregate (the state of session windows). Get
 * one from {@link OffstateSessionBytesStoreSupplier}.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Time</b>: stream time is the largest session end put; a session is expired once its end
 *       is {@code retention} or more behind it. A put of an expired session is dropped and counted in
 *       Kafka's {@code dropped-records} task metric; reads never return one.</li>
 *   <li><b>Finds</b>: {@code findSessions(key, earliestEnd, latestStart)} returns the sessions with
 *       {@code end >= earliestEnd} and {@code start <= latestStart}, one key by (end, start); several
 *       keys by segment, then key bytes, end, start (RocksDB's order); backward is the reverse. An
 *       inverted key range is empty and logs a warning, as Kafka's stores do.</li>
 *   <li><b>Writes</b>: a null aggregate removes the session; null keys throw {@link NullPointerException}.</li>
 *   <li><b>Lifecycle and threading</b> as {@link OffstateWindowStore} (files opened at first use,
 *       every call under the store's lock, safe for interactive queries).</li>
 *   <li>After {@link #close()} finds return nothing; {@link #init}, or a restore through the
 *       registered callback, opens the store again.</li>
 *   <li><b>Iterators</b> copy their whole result when created: a snapshot, never a
 *       {@link java.util.ConcurrentModificationException}; they end when the store closes.</li>
 * </ol>
 */
public final class OffstateSessionStore implements SessionStore<Bytes, byte[]> {
    private static final Logger LOG = LoggerFactory.getLogger(OffstateSessionStore.class);
    /** Bytes after the record key in a session changelog key: end (8) and start (8). */
    private static final int CHANGELOG_SUFFIX = 16;

    private final String name;
    private final boolean persistent;
    private final long retention;
    private final long segmentInterval;
    private final long memoryBudget;
    private final SharedAccess access = new SharedAccess();
    /** The write rounds' reusable transaction (stream thread, under the access lock). */
    private final WriteRounds rounds = new WriteRounds();
    private final PositionTracker position = new PositionTracker();
    private final Set<SnapshotIterator> openIterators = ConcurrentHashMap.newKeySet();
    private final ValueView view = new ValueView();
    private io.offstate.engine.time.SessionStore sessions;
    private SessionCursor cursor;
    private StoreOptions storeOptions;
    private CommittedOffsets offsets;
    private Path directory;
    private Sensor expiredSensor;
    private volatile boolean open;

    OffstateSessionStore(String name, boolean persistent, long retention, long segmentInterval, long memoryBudget) {
        this.name = Objects.requireNonNull(name, "name");
        this.persistent = persistent;
        this.retention = retention;
        this.segmentInterval = segmentInterval;
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
            // restoring a closed store reopens it, as Kafka's session stores reopen their segments
            open = true;
            KeyValueStore s = enter();
            try {
                for (KeyValue<byte[], byte[]> r : records) {
                    // changelog keys are Kafka's session key binary: key ‖ end: 8 ‖ start: 8
                    int keyLength = r.key.length - CHANGELOG_SUFFIX;
                    ByteBuffer times = ByteBuffer.wrap(r.key, keyLength, CHANGELOG_SUFFIX);
                    long end = times.getLong();
                    long start = times.getLong();
                    putLocked(s, Arrays.copyOf(r.key, keyLength), start, end, r.value);
                }
            } finally {
                access.exit();
            }
        });
    }

    @Override
    public void put(Windowed<Bytes> sessionKey, byte[] aggregate) {
        Objects.requireNonNull(sessionKey, "sessionKey cannot be null");
        Objects.requireNonNull(sessionKey.key(), "key cannot be null");
        KeyValueStore s = enter();
        try {
            putLocked(s, sessionKey.key().get(), sessionKey.window().start(), sessionKey.window().end(), aggregate);
            position.update();
        } finally {
            access.exit();
        }
    }

    private void putLocked(KeyValueStore s, byte[] key, long start, long end, byte[] aggregate) {
        if (start < 0 || end < start) {
            dropExpired();
            return;
        }
        try (WriteRounds round = rounds.begin(s)) {
            Transaction tx = round.tx();
            if (aggregate == null) {
                sessions.remove(tx, key, start, end);
            } else {
                sessions.put(tx, key, start, end, aggregate);
            }
            tx.commit();
        } catch (SessionExpiredException e) {
            dropExpired();
            LOG.debug("Skipping record for expired segment: {}", e.getMessage());
        }
    }

    private void dropExpired() {
        if (expiredSensor != null) {
            expiredSensor.record(1.0d, System.currentTimeMillis());
        }
    }

    @Override
    public void remove(Windowed<Bytes> sessionKey) {
        Objects.requireNonNull(sessionKey, "sessionKey cannot be null");
        Objects.requireNonNull(sessionKey.key(), "key cannot be null");
        put(sessionKey, null);
    }

    @Override
    public byte[] fetchSession(Bytes key, long sessionStartTime, long sessionEndTime) {
        Objects.requireNonNull(key, "key cannot be null");
        KeyValueStore s = enter();
        try {
            if (sessionStartTime < 0 || sessionEndTime < sessionStartTime) {
                return null;
            }
            return sessions.fetchSession(null, key.get(), sessionStartTime, sessionEndTime, view)
                ? view.toByteArray() : null;
        } finally {
            access.exit();
        }
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> findSessions(Bytes key, long earliestSessionEndTime,
                                                                  long latestSessionStartTime) {
        Objects.requireNonNull(key, "key cannot be null");
        return find(key.get(), key.get(), true, earliestSessionEndTime, latestSessionStartTime, false);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFindSessions(Bytes key, long earliestSessionEndTime,
                                                                          long latestSessionStartTime) {
        Objects.requireNonNull(key, "key cannot be null");
        return find(key.get(), key.get(), true, earliestSessionEndTime, latestSessionStartTime, true);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> findSessions(Bytes keyFrom, Bytes keyTo, long earliestSessionEndTime,
                                                                  long latestSessionStartTime) {
        return findRange(keyFrom, keyTo, earliestSessionEndTime, latestSessionStartTime, false);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFindSessions(Bytes keyFrom, Bytes keyTo,
                                                                          long earliestSessionEndTime,
                                                                          long latestSessionStartTime) {
        return findRange(keyFrom, keyTo, earliestSessionEndTime, latestSessionStartTime, true);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> fetch(Bytes key) {
        Objects.requireNonNull(key, "key cannot be null");
        return find(key.get(), key.get(), true, 0, Long.MAX_VALUE, false);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetch(Bytes key) {
        Objects.requireNonNull(key, "key cannot be null");
        return find(key.get(), key.get(), true, 0, Long.MAX_VALUE, true);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> fetch(Bytes keyFrom, Bytes keyTo) {
        return findRange(keyFrom, keyTo, 0, Long.MAX_VALUE, false);
    }

    @Override
    public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetch(Bytes keyFrom, Bytes keyTo) {
        return findRange(keyFrom, keyTo, 0, Long.MAX_VALUE, true);
    }

    private KeyValueIterator<Windowed<Bytes>, byte[]> findRange(Bytes keyFrom, Bytes keyTo, long earliestEnd,
                                                                long latestStart, boolean backward) {
        if (keyFrom != null && keyTo != null && keyFrom.compareTo(keyTo) > 0) {
            LOG.warn(OffstateKeyValueStore.INVALID_RANGE_WARNING);
            checkOpen();
            return new SnapshotIterator(openIterators);
        }
        return find(keyFrom == null ? null : keyFrom.get(), keyTo == null ? null : keyTo.get(), false, earliestEnd,
            latestStart, backward);
    }

    private KeyValueIterator<Windowed<Bytes>, byte[]> find(byte[] keyFrom, byte[] keyTo, boolean single,
                                                           long earliestEnd, long latestStart, boolean backward) {
        SnapshotIterator it = new SnapshotIterator(openIterators);
        if (!open) {
            it.close();
            return it; // a closed store finds nothing (as Kafka's segmented stores), it does not throw
        }
        KeyValueStore s = enter();
        try {
            if (latestStart < 0) {
                return it;
            }
            long end = Math.max(0, earliestEnd);
            if (single) {
                if (backward) {
                    sessions.backwardFindSessions(null, cursor, keyFrom, end, latestStart);
                } else {
                    sessions.findSessions(null, cursor, keyFrom, end, latestStart);
                }
            } else if (backward) {
                sessions.backwardFindSessions(null, cursor, keyFrom, keyTo, end, latestStart);
            } else {
                sessions.findSessions(null, cursor, keyFrom, keyTo, end, latestStart);
            }
            while (cursor.next()) {
                it.add(new Windowed<>(Bytes.wrap(cursor.key().toByteArray()), new SessionWindow(cursor.start(), cursor.end())),
                    cursor.value().toByteArray());
            }
        } finally {
            access.exit();
        }
        return it;
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
            for (SnapshotIterator it : openIterators) {
                it.closed = true;
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

    /** Locks and returns the open store, opening its files at the first use. */
    private KeyValueStore enter() {
        checkOpen();
        KeyValueStore s = access.enter();
        try {
            if (s == null && open) {
                try {
                    s = directory != null ? KeyValueStore.open(directory, storeOptions) : KeyValueStore.create(storeOptions);
                } catch (RuntimeException e) {
                    throw new ProcessorStateException("store '" + name + "' could not be opened: " + e.getMessage(), e);
                }
                try {
                    sessions = io.offstate.engine.time.SessionStore.on(s, retention, segmentInterval);
                    cursor = sessions.cursor();
                    offsets.load(s.lastFlushMetadata(), s.version(), position.position());
                } catch (RuntimeException e) {
                    s.closeWithoutFlush();
                    throw new ProcessorStateException("store '" + name + "' could not be opened: " + e.getMessage(), e);
                }
                access.install(s);
            }
            if (s == null || s.isClosed()) {
                throw new InvalidStateStoreException("store '" + name + "' is closed");
            }
            return s;
        } catch (RuntimeException e) {
            access.exit();
            throw e;
        }
    }

    private void checkOpen() {
        if (!open) {
            throw new InvalidStateStoreException("store '" + name + "' is not open");
        }
    }

    @Override
    public String toString() {
        return "OffstateSessionStore[" + name + ", retention " + retention + " ms"
            + (persistent ? ", persistent" : ", in memory") + "]";
    }

    /** A snapshot of sessions copied at creation; closed by the store when it closes. */
    private static final class SnapshotIterator implements KeyValueIterator<Windowed<Bytes>, byte[]> {
        private final List<Windowed<Bytes>> keys = new ArrayList<>();
        private final List<byte[]> values = new ArrayList<>();
        private final Set<SnapshotIterator> openSet;
        private int index;
        volatile boolean closed;

        SnapshotIterator(Set<SnapshotIterator> openSet) {
            this.openSet = openSet;
            openSet.add(this);
        }

        void add(Windowed<Bytes> key, byte[] value) {
            keys.add(key);
            values.add(value);
        }

        @Override
        public boolean hasNext() {
            return !closed && index < keys.size();
        }

        @Override
        public KeyValue<Windowed<Bytes>, byte[]> next() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            KeyValue<Windowed<Bytes>, byte[]> kv = KeyValue.pair(keys.get(index), values.get(index));
            index++;
            return kv;
        }

        @Override
        public Windowed<Bytes> peekNextKey() {
            if (!hasNext()) {
                throw new NoSuchElementException();
            }
            return keys.get(index);
        }

        @Override
        public void close() {
            closed = true;
            openSet.remove(this);
        }
    }
}
