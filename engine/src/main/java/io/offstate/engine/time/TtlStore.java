package io.offstate.engine.time;

import java.util.Arrays;
import java.util.Objects;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

/**
 * A key-value store whose entries expire by <b>event time</b>: each put carries a record timestamp
 * and a time-to-live, the entry expires at {@code timestamp + ttl}, and stream time — the largest
 * timestamp the store has seen — decides what is expired. Never the wall clock. A view over one
 * {@link KeyValueStore} with a sorted index (standalone or a {@link io.offstate.engine.StatePartition}'s),
 * written through {@link Transaction}s, so it is changelogged, recovered and flushed like any store.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Expiry.</b> An entry put with timestamp {@code t} and ttl {@code d} expires at
 *       {@code t + d} (saturated at {@link Long#MAX_VALUE}). It is <em>expired</em> once
 *       {@code expiry <= streamTime}. Stream time starts at {@code -1} and is the largest timestamp
 *       of every {@link #put put}, {@link #delete delete} and {@link #advance advance} so far (it
 *       never goes back); it is kept in the store, committed (or aborted) with the data.</li>
 *   <li><b>Reads never return an expired entry</b>: {@link #get}, {@link #contains}, {@link #expiry}
 *       and {@link TtlCursor cursors}, through a transaction (its own writes and stream time) or on
 *       the committed state ({@code tx == null}), from the moment stream time reaches the expiry,
 *       whether or not the entry was swept yet.</li>
 *   <li><b>Late records.</b> A put whose entry is already expired when it arrives (its
 *       {@code t + d <= streamTime} after the put's own timestamp is counted) is <em>not stored</em>,
 *       as Kafka Streams drops records too late for a window: it returns {@code false}, and a value
 *       the key held before is removed (the put overwrote it, and what it wrote is gone).</li>
 *   <li><b>Re-put</b> of a key replaces its value and expiry; its index entry moves with it.</li>
 *   <li><b>Sweep.</b> Expired entries are removed physically by reading an expiry-ordered index
 *       from the oldest: {@link #sweep(Transaction, int)} explicitly, and after every put, delete
 *       and advance up to {@code maxSweepPerCall} entries, so no single write pays for a large
 *       expiry (bounded work per write; {@code 0} turns the automatic sweep off). Within one
 *       transaction, a sweep continues where the previous one stopped. {@link #stats()} counts the
 *       work.</li>
 *   <li><b>Parameters are kept in the store</b>: opening it with another {@code defaultTtlMillis},
 *       or opening a store that holds another kind of data, throws {@link IllegalArgumentException}.
 *       {@code maxSweepPerCall} is a tuning of this object, not of the data, and may change.</li>
 *   <li><b>Bad input</b> — a {@code null} transaction, key, value or view, a negative timestamp or
 *       stream time, a ttl or default ttl {@code <= 0}, a negative sweep limit, a key over
 *       {@link #MAX_KEY_LENGTH}, a value over {@link #MAX_VALUE_LENGTH}, a store that is not part of
 *       the transaction — throws {@link NullPointerException} or {@link IllegalArgumentException}
 *       naming the value, before anything is staged.</li>
 *   <li><b>No allocation</b> on put, get, delete, advance, sweep or cursor steps, beyond scratch
 *       buffers that grow to the largest key and value met, and one transaction cursor per
 *       transaction that sweeps or scans.</li>
 * </ol>
 *
 * <h2>Memory</h2>
 * Owns nothing off-heap; the entries live in the backing store (layout: {@link TtlLayout}). Views
 * filled by {@link #get} point into the store's or the transaction's memory (zero-copy) and are
 * valid until the next write to the store or in the transaction.
 *
 * <h2>Threading</h2>
 * Not thread-safe: use it on the thread that owns the backing store.
 *
 * <pre>{@code
 * TtlStore sessions = TtlStore.on(store, 30_000, 16);        // 30 s by default, sweep <= 16 per write
 * try (Transaction tx = Transaction.begin(store)) {
 *     sessions.put(tx, user, token, recordTimestamp);         // expires at recordTimestamp + 30 s
 *     sessions.put(tx, other, token, recordTimestamp, 5_000); // or with its own ttl
 *     tx.commit();
 * }
 * if (sessions.get(null, user, view)) { ... }                 // never an expired token
 * }</pre>
 */
public final class TtlStore {
    /** Longest user key: {@link KeyValueStore#MAX_KEY_LENGTH} less the layout's 9 bytes. */
    public static final int MAX_KEY_LENGTH = TtlLayout.MAX_KEY_LENGTH;
    /** Longest user value: {@link Transaction#MAX_VALUE_LENGTH} less the 8-byte expiry. */
    public static final int MAX_VALUE_LENGTH = TtlLayout.MAX_VALUE_LENGTH;

    private static final String KIND_NAME = TimeMeta.kindName(TimeMeta.TTL);
    private static final String[] PARAM_NAMES = {"defaultTtlMillis"};
    private static final int STREAM_TIME = 0;
    private static final long NO_STREAM_TIME = -1;

    private final KeyValueStore store;
    private final long defaultTtl;
    private final int maxSweepPerCall;
    private final TimeMeta meta;
    private final TimeScan sweepScan;
    private final TtlStats stats = new TtlStats();
    private final Scratch dataKey = new Scratch(64);
    private final Scratch indexKey = new Scratch(64);
    private final Scratch dataValue = new Scratch(64);
    private final Scratch sweepTo = new Scratch(TtlLayout.INDEX_USER_KEY_OFFSET);
    private final ValueView raw = new ValueView();
    /** Index keys a sweep found, back to back, deleted after the scan (a write would end the scan). */
    private byte[] sweptKeys = new byte[256];
    private int[] sweptLengths = new int[16];
    /** The last index key swept in {@link #resumeTx}: the next sweep in it starts there. */
    private byte[] resumeKey = new byte[64];
    private int resumeLength;
    private Transaction resumeTx;
    /** {@link Transaction#generation()} of {@link #resumeTx}: an aborted round of a reusable transaction must not resume. */
    private long resumeGeneration;
    /**
     * Writes staged through this object: a cursor positioned through a transaction checks it,
     * because a transaction cursor whose pending side is exhausted does not see later writes.
     */
    long writes;

    private TtlStore(KeyValueStore store, long defaultTtl, int maxSweepPerCall) {
        this.store = store;
        this.defaultTtl = defaultTtl;
        this.maxSweepPerCall = maxSweepPerCall;
        this.meta = new TimeMeta(store, TimeMeta.TTL, KIND_NAME, PARAM_NAMES, new long[] {defaultTtl},
            new long[] {NO_STREAM_TIME});
        this.sweepScan = new TimeScan(store);
    }

    /**
     * A TTL view over {@code store}.
     *
     * @param store            the backing store; must have a sorted index, and be empty or hold a
     *                         TTL store of the same {@code defaultTtlMillis}
     * @param defaultTtlMillis the ttl of {@link #put(Transaction, byte[], byte[], long)}, {@code > 0}
     * @param maxSweepPerCall  most expired entries each put, delete and advance removes, {@code >= 0}
     * @throws NullPointerException     if {@code store} is null
     * @throws IllegalArgumentException if a parameter is out of range, the store has no sorted index,
     *                                  or it holds other data or other parameters
     */
    public static TtlStore on(KeyValueStore store, long defaultTtlMillis, int maxSweepPerCall) {
        Objects.requireNonNull(store, "store");
        TimeKeys.checkPositive(defaultTtlMillis, "defaultTtlMillis");
        checkSweepLimit(maxSweepPerCall, "maxSweepPerCall");
        if (!store.options().sortedIndex()) {
            throw new IllegalArgumentException("store '" + store.name() + "' has no sorted index; a " + KIND_NAME
                + " store sweeps by an expiry-ordered index and needs StoreOptions.builder().sortedIndex(true)");
        }
        return new TtlStore(store, defaultTtlMillis, maxSweepPerCall);
    }

    /** The backing store. */
    public KeyValueStore store() {
        return store;
    }

    /** The ttl of puts that give none. */
    public long defaultTtlMillis() {
        return defaultTtl;
    }

    /** Most expired entries each put, delete and advance removes. */
    public int maxSweepPerCall() {
        return maxSweepPerCall;
    }

    /** This object's work counters (a live view). */
    public TtlStats stats() {
        return stats;
    }

    /** Stream time as {@code tx} sees it ({@code null}: committed), {@code -1} before any timestamp. */
    public long streamTime(Transaction tx) {
        return meta.get(tx, STREAM_TIME);
    }

    // ---------------------------------------------------------------- writes

    /** As {@link #put(Transaction, byte[], byte[], long, long)} with the {@link #defaultTtlMillis() default ttl}. */
    public boolean put(Transaction tx, byte[] key, byte[] value, long timestamp) {
        return put(tx, key, value, timestamp, defaultTtl);
    }

    /**
     * Stages {@code key → value} expiring at {@code timestamp + ttlMillis}, advances stream time to
     * {@code timestamp} if it is later, then sweeps up to {@code maxSweepPerCall} expired entries.
     *
     * @return true if stored; false if the entry was already expired (not stored, and the key's
     *         previous value, if any, removed)
     * @throws NullPointerException     if {@code tx}, {@code key} or {@code value} is null
     * @throws IllegalArgumentException if {@code timestamp < 0}, {@code ttlMillis <= 0}, the key or
     *                                  value is too long, or the store is not part of {@code tx}
     */
    public boolean put(Transaction tx, byte[] key, byte[] value, long timestamp, long ttlMillis) {
        Objects.requireNonNull(tx, "tx");
        TimeKeys.checkKey(key, TtlLayout.KEY_OVERHEAD, "key");
        Objects.requireNonNull(value, "value");
        if (value.length > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("value of " + value.length + " bytes exceeds the limit of "
                + MAX_VALUE_LENGTH + " bytes of a " + KIND_NAME + " store");
        }
        TimeKeys.checkTimestamp(timestamp, "timestamp");
        TimeKeys.checkPositive(ttlMillis, "ttlMillis");
        long now = Math.max(meta.get(tx, STREAM_TIME), timestamp); // also refuses a store outside tx
        long expiry = TtlLayout.expiry(timestamp, ttlMillis);
        boolean live = expiry > now;
        buildDataKey(key);
        long previous = storedExpiry(tx);
        if (previous >= 0 && (!live || previous != expiry)) {
            buildIndexKey(previous, key);
            tx.delete(store, indexKey.segment, 0, indexKey.length, timestamp);
        }
        if (live) {
            if (previous != expiry) {
                buildIndexKey(expiry, key);
                tx.put(store, indexKey.segment, 0, indexKey.length, indexKey.segment, 0, 0, timestamp);
            }
            Scratch v = dataValue.reset(TtlLayout.VALUE_OFFSET + value.length).putLong(expiry).putBytes(value);
            tx.put(store, dataKey.segment, 0, dataKey.length, v.segment, 0, v.length, timestamp);
        } else {
            stats.expiredOnPut++;
            if (previous >= 0) {
                tx.delete(store, dataKey.segment, 0, dataKey.length, timestamp);
            }
        }
        meta.set(tx, STREAM_TIME, now);
        writes++;
        sweepUpTo(tx, maxSweepPerCall);
        return live;
    }

    /**
     * Stages the removal of {@code key} (record timestamp {@code timestamp}, which advances stream
     * time like a put's), then sweeps up to {@code maxSweepPerCall} expired entries.
     *
     * @return whether {@code key} held a live (not expired) entry
     * @throws NullPointerException     if {@code tx} or {@code key} is null
     * @throws IllegalArgumentException if {@code timestamp < 0}, the key is too long, or the store
     *                                  is not part of {@code tx}
     */
    public boolean delete(Transaction tx, byte[] key, long timestamp) {
        Objects.requireNonNull(tx, "tx");
        TimeKeys.checkKey(key, TtlLayout.KEY_OVERHEAD, "key");
        TimeKeys.checkTimestamp(timestamp, "timestamp");
        long now = Math.max(meta.get(tx, STREAM_TIME), timestamp);
        buildDataKey(key);
        long previous = storedExpiry(tx);
        if (previous >= 0) {
            buildIndexKey(previous, key);
            tx.delete(store, indexKey.segment, 0, indexKey.length, timestamp);
            tx.delete(store, dataKey.segment, 0, dataKey.length, timestamp);
        }
        meta.set(tx, STREAM_TIME, now);
        writes++;
        sweepUpTo(tx, maxSweepPerCall);
        return previous > now;
    }

    /**
     * Advances stream time to {@code streamTime} (no-op if it is not later: stream time never goes
     * back), for a processor that sees time move without writing to this store, then sweeps up to
     * {@code maxSweepPerCall} expired entries.
     *
     * @throws NullPointerException     if {@code tx} is null
     * @throws IllegalArgumentException if {@code streamTime < 0} or the store is not part of {@code tx}
     */
    public void advance(Transaction tx, long streamTime) {
        Objects.requireNonNull(tx, "tx");
        TimeKeys.checkTimestamp(streamTime, "streamTime");
        long now = Math.max(meta.get(tx, STREAM_TIME), streamTime);
        meta.set(tx, STREAM_TIME, now);
        writes++;
        sweepUpTo(tx, maxSweepPerCall);
    }

    /**
     * Removes up to {@code maxEntries} expired entries, oldest expiry first.
     *
     * @return the number removed; less than {@code maxEntries} means none is left (as {@code tx} sees it)
     * @throws NullPointerException     if {@code tx} is null
     * @throws IllegalArgumentException if {@code maxEntries < 0} or the store is not part of {@code tx}
     */
    public int sweep(Transaction tx, int maxEntries) {
        Objects.requireNonNull(tx, "tx");
        checkSweepLimit(maxEntries, "maxEntries");
        return sweepUpTo(tx, maxEntries);
    }

    // ---------------------------------------------------------------- reads

    /**
     * Points {@code view} at the value of {@code key} if it has a live entry as {@code tx} sees it
     * ({@code null}: the committed state); zero-copy, valid until the next write. On a miss the
     * view's content is unspecified.
     *
     * @throws NullPointerException     if {@code key} or {@code view} is null
     * @throws IllegalArgumentException if the key is too long or the store is not part of {@code tx}
     */
    public boolean get(Transaction tx, byte[] key, ValueView view) {
        Objects.requireNonNull(view, "view");
        if (liveExpiry(tx, key) < 0) {
            return false;
        }
        view.wrapSlice(raw, TtlLayout.VALUE_OFFSET, raw.length() - TtlLayout.VALUE_OFFSET);
        return true;
    }

    /** Whether {@code key} has a live entry as {@code tx} sees it ({@code null}: committed); throws as {@link #get}. */
    public boolean contains(Transaction tx, byte[] key) {
        return liveExpiry(tx, key) >= 0;
    }

    /** When the live entry of {@code key} expires as {@code tx} sees it, or {@code -1} if it has none; throws as {@link #get}. */
    public long expiry(Transaction tx, byte[] key) {
        return liveExpiry(tx, key);
    }

    /** A new reusable cursor over the live entries in key order (see {@link TtlCursor}); allocates. */
    public TtlCursor cursor() {
        return new TtlCursor(this, new TimeScan(store));
    }

    // ---------------------------------------------------------------- internals

    private long liveExpiry(Transaction tx, byte[] key) {
        TimeKeys.checkKey(key, TtlLayout.KEY_OVERHEAD, "key");
        long now = meta.get(tx, STREAM_TIME);
        buildDataKey(key);
        long expiry = storedExpiry(tx);
        if (expiry < 0) {
            return -1;
        }
        if (expiry <= now) {
            stats.expiredSkipped++;
            return -1;
        }
        return expiry;
    }

    /** The expiry of the data entry at {@link #dataKey} (live or not), or -1; leaves {@link #raw} on it. */
    private long storedExpiry(Transaction tx) {
        boolean found = tx == null
            ? store.get(dataKey.segment, 0, dataKey.length, raw)
            : tx.get(store, dataKey.segment, 0, dataKey.length, raw);
        return found ? TtlLayout.getLong(raw, TtlLayout.VALUE_EXPIRY_OFFSET) : -1;
    }

    private void buildDataKey(byte[] key) {
        dataKey.reset(TtlLayout.dataKeyLength(key.length)).putByte(TtlLayout.DATA_PREFIX).putBytes(key);
    }

    private void buildIndexKey(long expiry, byte[] key) {
        indexKey.reset(TtlLayout.indexKeyLength(key.length)).putByte(TtlLayout.INDEX_PREFIX).putLong(expiry).putBytes(key);
    }

    /**
     * Reads up to {@code max} index entries with expiry {@code <= streamTime} from the oldest (or
     * from where the last sweep of this transaction stopped: everything before it is already gone
     * as {@code tx} sees it, and no live entry can be put there since its expiry would be past
     * stream time), then deletes them and their data entries.
     */
    private int sweepUpTo(Transaction tx, int max) {
        long now = meta.get(tx, STREAM_TIME);
        if (max == 0 || now < 0) {
            return 0;
        }
        Scratch to = sweepTo.reset(TtlLayout.INDEX_USER_KEY_OFFSET);
        if (now == Long.MAX_VALUE) {
            to.putByte(TtlLayout.END_PREFIX);
        } else {
            to.putByte(TtlLayout.INDEX_PREFIX).putLong(now + 1);
        }
        if (tx != resumeTx || tx.generation() != resumeGeneration) {
            resumeTx = tx;
            resumeGeneration = tx.generation();
            resumeKey[0] = TtlLayout.INDEX_PREFIX;
            resumeLength = 1;
        }
        sweepScan.bind(tx).range(resumeKey, resumeLength, to.array, to.length, false);
        int found = 0;
        int used = 0;
        while (found < max && sweepScan.next()) {
            stats.indexEntriesRead++;
            ValueView k = sweepScan.key();
            int length = k.length();
            if (sweptKeys.length < used + length) {
                sweptKeys = Arrays.copyOf(sweptKeys, Math.max(used + length, sweptKeys.length * 2));
            }
            if (sweptLengths.length == found) {
                sweptLengths = Arrays.copyOf(sweptLengths, found * 2);
            }
            k.copyTo(sweptKeys, used);
            sweptLengths[found++] = length;
            used += length;
        }
        if (found > 0) {
            writes++;
        }
        int offset = 0;
        for (int i = 0; i < found; i++) {
            removeExpired(tx, offset, sweptLengths[i], now);
            offset += sweptLengths[i];
        }
        if (found > 0) {
            int last = sweptLengths[found - 1];
            if (resumeKey.length < last) {
                resumeKey = new byte[Math.max(last, resumeKey.length * 2)];
            }
            System.arraycopy(sweptKeys, offset - last, resumeKey, 0, last);
            resumeLength = last;
        }
        return found;
    }

    /** Deletes the index key at {@code sweptKeys[offset, offset + length)} and the data entry it points at. */
    private void removeExpired(Transaction tx, int offset, int length, long now) {
        long expiry = TimeKeys.getLong(sweptKeys, offset + TtlLayout.INDEX_EXPIRY_OFFSET);
        int userKeyLength = TtlLayout.userKeyLengthOfIndexKey(length);
        Scratch d = dataKey.reset(TtlLayout.dataKeyLength(userKeyLength)).putByte(TtlLayout.DATA_PREFIX);
        System.arraycopy(sweptKeys, offset + TtlLayout.INDEX_USER_KEY_OFFSET, d.array, d.length, userKeyLength);
        d.length += userKeyLength;
        // a re-put moves the index entry, so the data entry carries this expiry; checked all the
        // same, so that a stale index entry can never take a live value with it
        if (storedExpiry(tx) == expiry) {
            tx.delete(store, d.segment, 0, d.length, Math.max(0, now));
            stats.entriesSwept++;
        }
        Scratch ik = indexKey.reset(length);
        System.arraycopy(sweptKeys, offset, ik.array, 0, length);
        ik.length = length;
        tx.delete(store, ik.segment, 0, ik.length, Math.max(0, now));
    }

    private static void checkSweepLimit(int limit, String what) {
        if (limit < 0) {
            throw new IllegalArgumentException(what + " must not be negative: " + limit);
        }
    }
}
