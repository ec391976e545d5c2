package io.offstate.engine.time;

import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.Objects;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

/**
 * A session store over one sorted {@link KeyValueStore}: per key, sessions {@code [start, end]}
 * (inclusive, event time) each holding an aggregate, the state of session windows — Kafka Streams'
 * {@code SessionStore}. Merging overlapping sessions is the caller's: find the sessions a record
 * touches with {@link #findSessions(Transaction, SessionCursor, byte[], long, long) findSessions},
 * {@link #remove} them and {@link #put} the merged one, all in one transaction.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Sessions</b> are identified by (key, start, end), {@code 0 <= start <= end}; a put replaces
 *       the aggregate of the same session, sessions of one key may overlap (the store does not merge).</li>
 *   <li><b>Stream time</b> is the largest end of any session put (initially -1), committed with the
 *       data. The <b>horizon</b> is {@code streamTime - retention + 1}: a session with
 *       {@code end < horizon} is expired — as in Kafka Streams, a session ending exactly
 *       {@code retention} before stream time is gone. Expired sessions are invisible to every read at
 *       once and a put of one throws {@link SessionExpiredException} (nothing staged).</li>
 *   <li><b>Expiry</b> is physical by whole time segments ({@code segmentId = end / segmentInterval},
 *       see {@link SessionKeyDescriptor}): a segment all of whose ends are below the horizon is
 *       deleted by a sweep that each put continues for at most {@code sweepLimit} entries, and that
 *       steps over nothing but expired entries ({@link #sweepScanned()}, {@link #sweepRemoved()}).</li>
 *   <li><b>Finds</b>: {@code findSessions(key, earliestEnd, latestStart)} returns the live sessions
 *       of {@code key} with {@code end >= earliestEnd} and {@code start <= latestStart}, ascending by
 *       (end, start); {@code earliestEnd > latestStart} is allowed (sessions spanning that interval),
 *       as in Kafka Streams. The key-range variant returns the sessions of keys in
 *       {@code [keyFrom, keyTo]} (unsigned byte order, {@code null} = open) in the order of the
 *       layout: by segment, then by the stored bytes {@code key ‖ end ‖ start} — that is by key, end,
 *       start, except that the sessions of a key and of a longer key it is a prefix of may
 *       interleave (Kafka's RocksDB session store orders them the same way). The backward variants
 *       return exactly the reverse order.</li>
 *   <li><b>Reads</b> take a transaction (its pending writes and stream time included) or {@code null}
 *       for the committed state. Results come through a reusable {@link SessionCursor} whose views
 *       point into store memory, valid until its next step or a write (a write invalidates open
 *       cursors: collect, then write).</li>
 *   <li><b>Bad input</b> — a null transaction, key, cursor or aggregate ({@link NullPointerException}),
 *       a negative time, {@code start > end}, {@code keyFrom > keyTo}, a key longer than
 *       {@link KeyValueStore#MAX_KEY_LENGTH} less {@value SessionKeyDescriptor#OVERHEAD} bytes, an aggregate over
 *       {@link Transaction#MAX_VALUE_LENGTH}, another store's cursor ({@link IllegalArgumentException}),
 *       an aggregate slice outside its segment ({@link IndexOutOfBoundsException}) — throws naming
 *       the value, before anything is staged. Unlike Kafka Streams (which logs and returns nothing),
 *       an inverted key range is an error.</li>
 *   <li><b>No allocation</b> on put, remove, fetchSession and cursor steps (beyond growing scratch
 *       buffers to the largest key met, and the transaction cursor the first scan of a transaction gets).</li>
 * </ol>
 *
 * <p>Threading: not thread-safe; used by the thread that owns the backing store. Memory: the store
 * object holds only small reused buffers; all data lives in the backing store.
 *
 * <pre>{@code
 * SessionStore sessions = SessionStore.on(store, Duration.ofDays(1).toMillis(), Duration.ofHours(6).toMillis());
 * SessionCursor c = sessions.cursor();
 * sessions.findSessions(tx, c, key, t - gap, t + gap);   // sessions the record at t joins
 * while (c.next()) { ... collect start, end, aggregate ... }
 * // remove the collected sessions, then put the merged one
 * }</pre>
 */
public final class SessionStore {
    /** Entries the sweep deletes per put unless told otherwise. */
    public static final int DEFAULT_SWEEP_LIMIT = 64;
    /** Most segments a find visits one by one before it looks for the next non-empty one instead. */
    static final int PROBE_SPAN = 4;

    static final int STREAM_TIME = 0;
    /** Every segment below this one is known to be empty (swept). */
    static final int SWEPT_BELOW = 1;

    private final KeyValueStore store;
    private final long retention;
    private final long segmentInterval;
    private final int sweepLimit;
    final TimeMeta meta;
    private final Scratch entryKey = new Scratch(64);
    private final Scratch aggregateCopy = new Scratch(64);
    private final TimeScan sweepScan;
    private final Scratch sweepFrom = new Scratch(64);
    private final Scratch sweepTo = new Scratch(16);
    private final Scratch sweepKeys = new Scratch(1024);
    private final int[] sweepOffsets;
    private final int[] sweepLengths;
    /** The transaction whose sweep stopped at the limit, and the last key it deleted (where it goes on). */
    private Transaction sweepTx;
    private long sweepRemoved;
    private long sweepScanned;

    private SessionStore(KeyValueStore store, long retention, long segmentInterval, int sweepLimit) {
        this.store = store;
        this.retention = retention;
        this.segmentInterval = segmentInterval;
        this.sweepLimit = sweepLimit;
        this.sweepOffsets = new int[sweepLimit];
        this.sweepLengths = new int[sweepLimit];
        this.meta = new TimeMeta(store, TimeMeta.SESSION, "session", new String[] {"retention", "segmentInterval"},
            new long[] {retention, segmentInterval}, new long[] {-1, 0});
        this.sweepScan = new TimeScan(store);
    }

    /**
     * A session store over {@code store} keeping sessions {@code retention} ms past stream time, in
     * segments of {@code max(retention / 2, 60000)} ms (Kafka Streams' default).
     *
     * @see #on(KeyValueStore, long, long, int)
     */
    public static SessionStore on(KeyValueStore store, long retention) {
        TimeKeys.checkPositive(retention, "retention");
        return on(store, retention, Math.max(retention / 2, 60_000L), DEFAULT_SWEEP_LIMIT);
    }

    /** As {@link #on(KeyValueStore, long, long, int)} with {@link #DEFAULT_SWEEP_LIMIT}. */
    public static SessionStore on(KeyValueStore store, long retention, long segmentInterval) {
        return on(store, retention, segmentInterval, DEFAULT_SWEEP_LIMIT);
    }

    /**
     * A session store over {@code store}. Retention and segment interval are kept in the store and
     * checked when it is opened again; the sweep limit is not (it changes no data).
     *
     * @param retention       ms a session stays after stream time passed its end (> 0)
     * @param segmentInterval ms of end time per segment, the unit of physical expiry (> 0)
     * @param sweepLimit      most expired entries deleted per put (> 0)
     * @throws NullPointerException     if {@code store} is null
     * @throws IllegalArgumentException if a number is not positive, the store has no sorted index,
     *                                  or it holds another kind of store or other parameters
     */
    public static SessionStore on(KeyValueStore store, long retention, long segmentInterval, int sweepLimit) {
        Objects.requireNonNull(store, "store");
        TimeKeys.checkPositive(retention, "retention");
        TimeKeys.checkPositive(segmentInterval, "segmentInterval");
        TimeKeys.checkPositive(sweepLimit, "sweepLimit");
        if (!store.options().sortedIndex()) {
            throw new IllegalArgumentException("session store needs a sorted index: store '" + store.name()
                + "' has none (StoreOptions.builder().sortedIndex(true))");
        }
        return new SessionStore(store, retention, segmentInterval, sweepLimit);
    }

    /** The backing store. */
    public KeyValueStore store() {
        return store;
    }

    public long retention() {
        return retention;
    }

    public long segmentInterval() {
        return segmentInterval;
    }

    /** The largest session end put, as {@code tx} sees it ({@code null}: committed); -1 if none. */
    public long streamTime(Transaction tx) {
        return meta.get(tx, STREAM_TIME);
    }

    /** The earliest end time still live as {@code tx} sees it ({@code null}: committed); a put must end at or after it. */
    public long horizon(Transaction tx) {
        return horizonOf(meta.get(tx, STREAM_TIME));
    }

    long horizonOf(long streamTime) {
        return TimeKeys.retentionHorizon(streamTime, retention);
    }

    /** Expired entries the sweep has deleted through this object (staged; an abort drops them again). */
    public long sweepRemoved() {
        return sweepRemoved;
    }

    /** Entries the sweep has stepped onto through this object: never more than it removed. */
    public long sweepScanned() {
        return sweepScanned;
    }

    /** A new reusable cursor over this store. */
    public SessionCursor cursor() {
        return new SessionCursor(this);
    }

    // ---------------------------------------------------------------- writes

    /** Puts {@code aggregate} as the session ({@code key}, {@code start}, {@code end}); see the segment overload. */
    public void put(Transaction tx, byte[] key, long start, long end, byte[] aggregate) {
        Objects.requireNonNull(aggregate, "aggregate");
        // copied into a reused buffer: a heap segment over the caller's array would be one allocation per put
        Scratch v = aggregateCopy.reset(aggregate.length).putBytes(aggregate);
        put(tx, key, start, end, v.segment, 0, aggregate.length);
    }

    /**
     * Stages the session ({@code key}, {@code start}, {@code end}) with the aggregate's bytes,
     * replacing that session's aggregate if present; raises stream time to {@code end}; continues
     * the expiry sweep.
     *
     * @throws SessionExpiredException  if {@code end} is before the {@link #horizon horizon}
     * @throws IllegalArgumentException if a time is negative, {@code start > end}, or the key or
     *                                  aggregate is too long
     * @throws IndexOutOfBoundsException if {@code [offset, offset + length)} is not inside {@code aggregate}
     * @throws NullPointerException     if {@code tx}, {@code key} or {@code aggregate} is null
     */
    public void put(Transaction tx, byte[] key, long start, long end, MemorySegment aggregate, long offset, int length) {
        Objects.requireNonNull(tx, "tx");
        checkSession(key, start, end);
        Objects.requireNonNull(aggregate, "aggregate");
        Objects.checkFromIndexSize(offset, length, aggregate.byteSize());
        if (length > Transaction.MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("aggregate of " + length + " bytes exceeds the limit of "
                + Transaction.MAX_VALUE_LENGTH + " bytes");
        }
        long streamTime = meta.get(tx, STREAM_TIME);
        long horizon = horizonOf(streamTime);
        if (end < horizon) {
            throw new SessionExpiredException(store.name(), end, horizon, streamTime, retention);
        }
        long now = Math.max(streamTime, end);
        meta.set(tx, STREAM_TIME, now);
        Scratch k = SessionKeyDescriptor.encode(entryKey, segmentInterval, key, start, end);
        tx.put(store, k.segment, 0, k.length, aggregate, offset, length, end);
        sweep(tx, now);
    }

    /**
     * Stages the removal of the session ({@code key}, {@code start}, {@code end}).
     *
     * @return whether the session was live (visible to {@code tx}); an expired one is left to the sweep
     * @throws IllegalArgumentException if a time is negative, {@code start > end}, or the key is too long
     * @throws NullPointerException     if {@code tx} or {@code key} is null
     */
    public boolean remove(Transaction tx, byte[] key, long start, long end) {
        Objects.requireNonNull(tx, "tx");
        checkSession(key, start, end);
        long streamTime = meta.get(tx, STREAM_TIME);
        if (end < horizonOf(streamTime)) {
            return false;
        }
        Scratch k = SessionKeyDescriptor.encode(entryKey, segmentInterval, key, start, end);
        return tx.delete(store, k.segment, 0, k.length, Math.max(0, streamTime));
    }

    /**
     * Deletes up to {@code sweepLimit} entries of segments wholly below the horizon of
     * {@code streamTime}. Their keys are collected first (a write would invalidate the scan), and a
     * sweep that stops at the limit goes on, in the same transaction, after the last key it deleted
     * rather than stepping again over the hidden ones.
     */
    private void sweep(Transaction tx, long streamTime) {
        long firstLive = horizonOf(streamTime) / segmentInterval;
        long sweptBelow = meta.get(tx, SWEPT_BELOW);
        if (sweptBelow >= firstLive) {
            return;
        }
        if (tx != sweepTx) {
            SessionKeyDescriptor.segmentStart(sweepFrom, sweptBelow);
        }
        SessionKeyDescriptor.segmentStart(sweepTo, firstLive);
        sweepScan.bind(tx).range(sweepFrom, sweepTo, false);
        Scratch keys = sweepKeys.reset(0);
        int n = 0;
        while (n < sweepLimit && sweepScan.next()) {
            ValueView k = sweepScan.key();
            int len = k.length();
            if (keys.array.length - keys.length < len) {
                keys.array = Arrays.copyOf(keys.array, Math.max(keys.array.length * 2, keys.length + len));
                keys.segment = MemorySegment.ofArray(keys.array);
            }
            k.copyTo(keys.array, keys.length);
            sweepOffsets[n] = keys.length;
            sweepLengths[n] = len;
            keys.length += len;
            n++;
        }
        sweepScanned += n;
        for (int i = 0; i < n; i++) {
            tx.delete(store, keys.segment, sweepOffsets[i], sweepLengths[i], streamTime);
        }
        sweepRemoved += n;
        if (n < sweepLimit) {
            meta.set(tx, SWEPT_BELOW, firstLive);
            sweepTx = null;
            sweepScan.release();
        } else {
            int last = sweepLengths[n - 1];
            Scratch from = sweepFrom.reset(last);
            System.arraycopy(keys.array, sweepOffsets[n - 1], from.array, 0, last);
            from.length = last;
            sweepTx = tx;
        }
    }

    // ---------------------------------------------------------------- reads

    /**
     * Reads the aggregate of the live session ({@code key}, {@code start}, {@code end}) into
     * {@code view}, as {@code tx} sees it ({@code null}: committed).
     *
     * @return whether such a live session exists
     * @throws IllegalArgumentException if a time is negative, {@code start > end}, or the key is too long
     * @throws NullPointerException     if {@code key} or {@code view} is null
     */
    public boolean fetchSession(Transaction tx, byte[] key, long start, long end, ValueView view) {
        checkSession(key, start, end);
        Objects.requireNonNull(view, "view");
        if (end < horizonOf(meta.get(tx, STREAM_TIME))) {
            return false;
        }
        Scratch k = SessionKeyDescriptor.encode(entryKey, segmentInterval, key, start, end);
        return tx == null ? store.get(k.segment, 0, k.length, view) : tx.get(store, k.segment, 0, k.length, view);
    }

    /**
     * Positions {@code cursor} on the live sessions of {@code key} with {@code end >= earliestSessionEnd}
     * and {@code start <= latestSessionStart}, ascending by (end, start).
     *
     * @return {@code cursor}, before its first result
     * @throws IllegalArgumentException if a time is negative, the key is too long, or the cursor is another store's
     * @throws NullPointerException     if {@code cursor} or {@code key} is null
     */
    public SessionCursor findSessions(Transaction tx, SessionCursor cursor, byte[] key, long earliestSessionEnd,
                                      long latestSessionStart) {
        return find(tx, cursor, key, earliestSessionEnd, latestSessionStart, false);
    }

    /** As {@link #findSessions(Transaction, SessionCursor, byte[], long, long)}, descending by (end, start). */
    public SessionCursor backwardFindSessions(Transaction tx, SessionCursor cursor, byte[] key, long earliestSessionEnd,
                                              long latestSessionStart) {
        return find(tx, cursor, key, earliestSessionEnd, latestSessionStart, true);
    }

    /**
     * Positions {@code cursor} on the live sessions of the keys in {@code [keyFrom, keyTo]}
     * ({@code null}: open) with {@code end >= earliestSessionEnd} and {@code start <= latestSessionStart},
     * by segment, then by the stored bytes {@code key ‖ end ‖ start} (see the class contract, 4).
     *
     * @throws IllegalArgumentException if a time is negative, {@code keyFrom > keyTo}, a key is too
     *                                  long, or the cursor is another store's
     * @throws NullPointerException     if {@code cursor} is null
     */
    public SessionCursor findSessions(Transaction tx, SessionCursor cursor, byte[] keyFrom, byte[] keyTo,
                                      long earliestSessionEnd, long latestSessionStart) {
        return find(tx, cursor, keyFrom, keyTo, earliestSessionEnd, latestSessionStart, false);
    }

    /** As {@link #findSessions(Transaction, SessionCursor, byte[], byte[], long, long)}, in exactly the reverse order. */
    public SessionCursor backwardFindSessions(Transaction tx, SessionCursor cursor, byte[] keyFrom, byte[] keyTo,
                                              long earliestSessionEnd, long latestSessionStart) {
        return find(tx, cursor, keyFrom, keyTo, earliestSessionEnd, latestSessionStart, true);
    }

    /** Every live session of {@code key}, ascending by (end, start). */
    public SessionCursor fetch(Transaction tx, SessionCursor cursor, byte[] key) {
        return find(tx, cursor, key, 0, Long.MAX_VALUE, false);
    }

    /** Every live session of {@code key}, descending by (end, start). */
    public SessionCursor backwardFetch(Transaction tx, SessionCursor cursor, byte[] key) {
        return find(tx, cursor, key, 0, Long.MAX_VALUE, true);
    }

    /** Every live session of the keys in {@code [keyFrom, keyTo]} ({@code null}: open), in the key-range order. */
    public SessionCursor fetch(Transaction tx, SessionCursor cursor, byte[] keyFrom, byte[] keyTo) {
        return find(tx, cursor, keyFrom, keyTo, 0, Long.MAX_VALUE, false);
    }

    /** As {@link #fetch(Transaction, SessionCursor, byte[], byte[])}, in exactly the reverse order. */
    public SessionCursor backwardFetch(Transaction tx, SessionCursor cursor, byte[] keyFrom, byte[] keyTo) {
        return find(tx, cursor, keyFrom, keyTo, 0, Long.MAX_VALUE, true);
    }

    private SessionCursor find(Transaction tx, SessionCursor cursor, byte[] key, long earliestEnd, long latestStart,
                               boolean reverse) {
        checkCursor(cursor);
        TimeKeys.checkKey(key, SessionKeyDescriptor.OVERHEAD, "key");
        TimeKeys.checkTimestamp(earliestEnd, "earliestSessionEnd");
        TimeKeys.checkTimestamp(latestStart, "latestSessionStart");
        long streamTime = meta.get(tx, STREAM_TIME);
        return cursor.position(tx, key, null, true, Math.max(earliestEnd, horizonOf(streamTime)), streamTime, latestStart,
            reverse);
    }

    private SessionCursor find(Transaction tx, SessionCursor cursor, byte[] keyFrom, byte[] keyTo, long earliestEnd,
                               long latestStart, boolean reverse) {
        checkCursor(cursor);
        if (keyFrom != null) {
            TimeKeys.checkKey(keyFrom, SessionKeyDescriptor.OVERHEAD, "keyFrom");
        }
        if (keyTo != null) {
            TimeKeys.checkKey(keyTo, SessionKeyDescriptor.OVERHEAD, "keyTo");
        }
        if (keyFrom != null && keyTo != null && Arrays.compareUnsigned(keyFrom, keyTo) > 0) {
            throw new IllegalArgumentException("inverted key range: keyFrom " + Arrays.toString(keyFrom) + " > keyTo "
                + Arrays.toString(keyTo));
        }
        TimeKeys.checkTimestamp(earliestEnd, "earliestSessionEnd");
        TimeKeys.checkTimestamp(latestStart, "latestSessionStart");
        long streamTime = meta.get(tx, STREAM_TIME);
        return cursor.position(tx, keyFrom, keyTo, false, Math.max(earliestEnd, horizonOf(streamTime)), streamTime,
            latestStart, reverse);
    }

    private void checkCursor(SessionCursor cursor) {
        Objects.requireNonNull(cursor, "cursor");
        if (cursor.owner() != this) {
            throw new IllegalArgumentException("cursor belongs to another session store (of store '"
                + cursor.owner().store.name() + "'); use this store's cursor()");
        }
    }

    private static void checkSession(byte[] key, long start, long end) {
        TimeKeys.checkKey(key, SessionKeyDescriptor.OVERHEAD, "key");
        TimeKeys.checkTimestamp(start, "session start");
        TimeKeys.checkTimestamp(end, "session end");
        if (start > end) {
            throw new IllegalArgumentException("session start " + start + " is after its end " + end);
        }
    }

    long segmentOf(long end) {
        return end / segmentInterval;
    }

    @Override
    public String toString() {
        return "SessionStore[" + store.name() + ", retention=" + retention + ", segmentInterval=" + segmentInterval + "]";
    }
}
