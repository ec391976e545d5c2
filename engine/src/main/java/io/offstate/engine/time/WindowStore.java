package io.offstate.engine.time;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

import java.util.Objects;

/**
 * A window store: values per (key, window start), as Kafka Streams' {@code WindowStore}, kept in one
 * sorted {@link KeyValueStore} and written through {@link Transaction}s (so every put is logged,
 * changelogged and recovered like any other write).
 *
 * <h2>Time, retention and segments</h2>
 * Stream time is the largest window start put so far (committed with the data). A window is live
 * while its start is after {@code streamTime - retention}; a put behind that horizon throws
 * {@link TimestampExpiredException}, and reads never return an expired window. Time is cut into
 * segments of {@link WindowStoreOptions#segmentInterval()}; a segment whose every start is behind
 * the horizon is removed by a sweep that reads only that segment's entries: its cost is the
 * segment's size, whatever else the store holds. Each put sweeps at most
 * {@link WindowStoreOptions#sweepLimit()} entries; {@link #sweep} does more on request.
 *
 * <h2>Layout</h2>
 * Data keys are {@code [0x01][segment id: 8, BE][key][window start: 8, BE]}, plus
 * {@code [sequence: 4, BE]} when duplicates are retained (each put a new entry, as for
 * stream-stream joins); the value is the caller's bytes. Ranges over several keys come back
 * segment by segment, in stored-byte order within one (see {@link WindowCursor}) — as Kafka
 * Streams' RocksDB window stores.
 * Keys are variable length, so every entry's decoded key is checked before it is returned.
 *
 * <h2>Contract</h2>
 * A put or delete stages its writes (and the store's metadata) in the given transaction; nothing is
 * staged when it throws. Reads take a transaction (its pending writes are visible) or {@code null}
 * (committed state only). Puts and cursor steps allocate nothing once buffers have grown.
 * Not thread-safe: use it on the thread that owns the backing store.
 *
 * @see WindowCursor
 */
public final class WindowStore {
    static final int SEGMENT_OFFSET = 1;
    static final int KEY_OFFSET = 9;
    static final int STREAM_TIME = 0;
    static final int LOW_SEGMENT = 1;
    static final int SEQUENCE = 2;
    private static final long NO_DATA = Long.MAX_VALUE;

    private final KeyValueStore store;
    private final WindowStoreOptions options;
    private final TimeMeta meta;
    private final long interval;
    private final long retention;
    private final boolean duplicates;
    final int overhead;
    private final Scratch key = new Scratch(64);
    private final Scratch value = new Scratch(256);
    private final Scratch lo = new Scratch(32);
    private final Scratch hi = new Scratch(32);
    private final ValueView found = new ValueView();
    private final TimeScan scan;
    private final Scratch doomed = new Scratch(4096);
    private int[] doomedEnds = new int[64];
    private long removed;
    private long visited;
    private long sweeps;
    private WindowCursor point;

    private WindowStore(KeyValueStore store, WindowStoreOptions options) {
        this.store = store;
        this.options = options;
        this.interval = options.segmentInterval();
        this.retention = options.retention();
        this.duplicates = options.retainDuplicates();
        this.overhead = KEY_OFFSET + 8 + (duplicates ? 4 : 0);
        this.meta = new TimeMeta(store, TimeMeta.WINDOW, "window",
            new String[] {"windowSize", "retention", "segmentInterval", "retainDuplicates"},
            new long[] {options.windowSize(), retention, interval, duplicates ? 1 : 0},
            new long[] {-1, NO_DATA, 0});
        this.scan = new TimeScan(store);
    }

    /**
     * A window store over {@code store}, which must have a sorted index and hold nothing but this
     * window store's entries (an empty store becomes one at its first put).
     *
     * @throws IllegalArgumentException if the store has no sorted index, or holds another kind of
     *                                  time store or a window store with other options
     */
    public static WindowStore on(KeyValueStore store, WindowStoreOptions options) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(options, "options");
        if (!store.options().sortedIndex()) {
            throw new IllegalArgumentException("store '" + store.name() + "' has no sorted index: a window store scans"
                + " by key and time (StoreOptions.builder().sortedIndex(true))");
        }
        return new WindowStore(store, options);
    }

    /** The backing store. */
    public KeyValueStore store() {
        return store;
    }

    /** This store's options. */
    public WindowStoreOptions options() {
        return options;
    }

    /** The largest window start put so far as {@code tx} sees it ({@code null}: committed), or -1. */
    public long streamTime(Transaction tx) {
        return meta.get(tx, STREAM_TIME);
    }

    /** The oldest live window start as {@code tx} sees it: {@code max(0, streamTime - retention + 1)}. */
    public long horizon(Transaction tx) {
        return horizonOf(meta.get(tx, STREAM_TIME));
    }

    long horizonOf(long streamTime) {
        return TimeKeys.retentionHorizon(streamTime, retention);
    }

    long segmentOf(long timestamp) {
        return timestamp / interval;
    }

    // ---------------------------------------------------------------- writes

    /**
     * Stages {@code key} → {@code value} for the window starting at {@code windowStart}; replaces the
     * value of that key and window, or adds an entry when duplicates are retained. A null value
     * deletes (and is ignored when duplicates are retained, as in Kafka Streams). Advances stream
     * time and sweeps up to {@link WindowStoreOptions#sweepLimit()} expired entries.
     *
     * @throws NullPointerException       if {@code tx} or {@code key} is null
     * @throws IllegalArgumentException   if {@code windowStart} is negative or the key too long
     * @throws TimestampExpiredException  if the window is already behind the retention horizon
     */
    public void put(Transaction tx, byte[] key, byte[] value, long windowStart) {
        Objects.requireNonNull(tx, "tx");
        TimeKeys.checkKey(key, overhead, "key");
        TimeKeys.checkTimestamp(windowStart, "window start");
        if (value == null) {
            if (!duplicates) {
                delete(tx, key, windowStart);
            }
            return;
        }
        long streamTime = meta.get(tx, STREAM_TIME);
        long horizon = horizonOf(streamTime);
        if (windowStart < horizon) {
            throw new TimestampExpiredException(store.name(), "window start", windowStart, horizon, streamTime);
        }
        long segment = segmentOf(windowStart);
        long sequence = meta.get(tx, SEQUENCE);
        if (duplicates) {
            sequence = (sequence + 1) & 0xFFFF_FFFFL;
        }
        Scratch k = dataKey(segment, key, windowStart, (int) sequence);
        Scratch v = this.value.reset(value.length).putBytes(value);
        tx.put(store, k.segment, 0, k.length, v.segment, 0, v.length, windowStart);
        long newStreamTime = Math.max(streamTime, windowStart);
        long low = Math.min(meta.get(tx, LOW_SEGMENT), segment);
        meta.set(tx, STREAM_TIME, newStreamTime, LOW_SEGMENT, low, SEQUENCE, sequence);
        if (options.sweepLimit() > 0 && low < segmentOf(horizonOf(newStreamTime))) {
            sweep(tx, options.sweepLimit());
        }
    }

    /**
     * Stages the removal of {@code key}'s window at {@code windowStart} (every duplicate of it when
     * duplicates are retained). Returns whether there was one, as {@code tx} saw it.
     *
     * @throws NullPointerException     if {@code tx} or {@code key} is null
     * @throws IllegalArgumentException if {@code windowStart} is negative or the key too long
     */
    public boolean delete(Transaction tx, byte[] key, long windowStart) {
        Objects.requireNonNull(tx, "tx");
        TimeKeys.checkKey(key, overhead, "key");
        TimeKeys.checkTimestamp(windowStart, "window start");
        if (windowStart < horizon(tx)) {
            return false; // expired: invisible already, the sweep removes it
        }
        long segment = segmentOf(windowStart);
        if (!duplicates) {
            Scratch k = dataKey(segment, key, windowStart, 0);
            return tx.delete(store, k.segment, 0, k.length, windowStart);
        }
        int n = collect(tx, dataKey(segment, key, windowStart, 0).copyPrefixTo(lo, KEY_OFFSET + key.length + 8),
            Scratch.successorOf(lo, hi), Integer.MAX_VALUE, KEY_OFFSET + key.length + 12);
        deleteCollected(tx, n, windowStart);
        return n > 0;
    }

    /**
     * Removes expired entries, oldest segment first, at most {@code maxEntries}; returns how many.
     * Reads nothing but the entries it removes (plus one seek per call).
     *
     * @throws IllegalArgumentException if {@code maxEntries} is negative
     */
    public int sweep(Transaction tx, int maxEntries) {
        Objects.requireNonNull(tx, "tx");
        if (maxEntries < 0) {
            throw new IllegalArgumentException("max entries must not be negative: " + maxEntries);
        }
        long low = meta.get(tx, LOW_SEGMENT);
        long limit = segmentOf(horizonOf(meta.get(tx, STREAM_TIME)));
        if (low >= limit || maxEntries == 0) {
            return 0;
        }
        lo.reset(KEY_OFFSET).putByte(TimeKeys.DATA_PREFIX).putLong(low);
        hi.reset(KEY_OFFSET).putByte(TimeKeys.DATA_PREFIX).putLong(limit);
        sweeps++;
        int n = collect(tx, lo, hi, maxEntries, -1);
        long next = n < maxEntries ? limit : TimeKeys.getLong(doomed.array, doomedStart(n - 1) + SEGMENT_OFFSET);
        deleteCollected(tx, n, meta.get(tx, STREAM_TIME));
        meta.set(tx, LOW_SEGMENT, next);
        removed += n;
        return n;
    }

    /** Expired entries removed by sweeps of this object so far. */
    public long expiredEntriesRemoved() {
        return removed;
    }

    /** Entries the sweeps of this object have read so far (each one it then removed). */
    public long sweepEntriesVisited() {
        return visited;
    }

    /** Sweep scans (seeks) of this object so far. */
    public long sweepScans() {
        return sweeps;
    }

    // ---------------------------------------------------------------- reads

    /**
     * Points {@code into} at the value of {@code key}'s window at {@code windowStart} (the oldest
     * duplicate when duplicates are retained). False if there is none or it has expired.
     */
    public boolean fetch(Transaction tx, byte[] key, long windowStart, ValueView into) {
        TimeKeys.checkKey(key, overhead, "key");
        TimeKeys.checkTimestamp(windowStart, "window start");
        Objects.requireNonNull(into, "into");
        if (windowStart < horizon(tx)) {
            return false;
        }
        if (!duplicates) {
            Scratch k = dataKey(segmentOf(windowStart), key, windowStart, 0);
            return tx == null ? store.get(k.segment, 0, k.length, into) : tx.get(store, k.segment, 0, k.length, into);
        }
        WindowCursor c = pointCursor();
        c.fetch(tx, key, windowStart, windowStart);
        if (!c.next()) {
            return false;
        }
        into.wrapSlice(c.value(), 0, c.value().length());
        return true;
    }

    private WindowCursor pointCursor() {
        if (point == null) {
            point = new WindowCursor(this);
        }
        return point;
    }

    /** A new reusable cursor over this store's windows (see {@link WindowCursor}). */
    public WindowCursor cursor() {
        return new WindowCursor(this);
    }

    TimeScan newScan() {
        return new TimeScan(store);
    }

    // ---------------------------------------------------------------- layout

    Scratch dataKey(long segment, byte[] key, long windowStart, int sequence) {
        Scratch k = this.key.reset(overhead + key.length);
        k.putByte(TimeKeys.DATA_PREFIX).putLong(segment).putBytes(key).putLong(windowStart);
        if (duplicates) {
            k.putInt(sequence);
        }
        return k;
    }

    /** Copies the keys in [from, to) (of exactly {@code length} bytes, or any when -1) aside, at most {@code max}. */
    private int collect(Transaction tx, Scratch from, Scratch to, int max, int length) {
        scan.bind(tx).range(from, to, false);
        doomed.reset(0);
        int n = 0;
        while (n < max && scan.next()) {
            ValueView k = scan.key();
            if (length >= 0 && k.length() != length) {
                continue;
            }
            int len = k.length();
            doomed.grow(doomed.length + len);
            k.copyTo(doomed.array, doomed.length);
            doomed.length += len;
            if (n == doomedEnds.length) {
                doomedEnds = java.util.Arrays.copyOf(doomedEnds, n * 2);
            }
            doomedEnds[n++] = doomed.length;
        }
        visited += n;
        return n;
    }

    private int doomedStart(int i) {
        return i == 0 ? 0 : doomedEnds[i - 1];
    }

    private void deleteCollected(Transaction tx, int n, long timestamp) {
        for (int i = 0; i < n; i++) {
            int start = doomedStart(i);
            tx.delete(store, doomed.segment, start, doomedEnds[i] - start, Math.max(0, timestamp));
        }
    }
}
