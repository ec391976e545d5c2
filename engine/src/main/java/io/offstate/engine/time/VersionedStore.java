package io.offstate.engine.time;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

/**
 * A versioned key-value store (Kafka Streams' {@code VersionedKeyValueStore}, KIP-889) over one
 * sorted {@link KeyValueStore}: every put of a key adds a <em>version</em> valid from its timestamp
 * until the next version's, and reads ask for the latest value or the value as of a past moment
 * (as-of joins). Versions older than the history retention are invisible and then removed.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Stream time</b> is the largest timestamp put or deleted so far (-1 before the first),
 *       committed with the data. The <b>history horizon</b> is stream time − history retention.</li>
 *   <li>{@link #put put(tx, key, value, ts)} adds the version {@code (ts, value)} in timestamp order,
 *       also out of order: the version before it becomes valid until {@code ts}, and the new one
 *       until the next version's timestamp. A put at the timestamp of an existing version replaces
 *       it. It returns the new version's {@code validTo}: the next version's timestamp, or
 *       {@link #PUT_RETURN_CODE_VALID_TO_UNDEFINED} (-1) if it is the latest. A timestamp below the
 *       horizon is not put (nothing staged, stream time unchanged) and returns
 *       {@link #PUT_RETURN_CODE_NOT_PUT} ({@code Long.MIN_VALUE}). Both codes are Kafka's.</li>
 *   <li>{@link #delete delete(tx, key, ts)} puts a tombstone version at {@code ts} (with the same
 *       rules) and returns the timestamp of the record that was valid at {@code ts} — the one Kafka's
 *       {@code delete} returns — or {@link #NO_RECORD} if none was (or the tombstone was not put).
 *       Read that record first with {@link #get(Transaction, byte[], long, VersionedRecord)} if
 *       its value is needed: the tombstone's writes end the validity of views into the
 *       transaction's memory.</li>
 *   <li>{@link #get(Transaction, byte[], VersionedRecord) get(tx, key)} returns the latest version
 *       unless it is a tombstone, whatever its age.
 *       {@link #get(Transaction, byte[], long, VersionedRecord) get(tx, key, asOf)} returns the
 *       version with the largest timestamp ≤ {@code asOf} unless it is a tombstone. For an
 *       {@code asOf} below the horizon the history is gone: it returns only the latest version, if
 *       it is a value put at or before {@code asOf} (the latest version never expires; Kafka's
 *       {@code RocksDBVersionedStore} answers the same), else nothing. A read never shows a
 *       version the horizon hid, whether or not the sweep has removed it yet.</li>
 *   <li><b>Expiry.</b> A version superseded at or before the horizon, and a latest tombstone at or
 *       before it, can no longer be read; each write removes up to {@code sweepPerWrite} of them in
 *       expiry order (so no write pays for a large backlog), and {@link #sweep} removes more on
 *       demand. The latest live version of a key is kept whatever its age.</li>
 *   <li>Reads take the transaction ({@code null} for the committed state); writes go through it,
 *       so they are changelogged, recovered and all-or-nothing with the transaction's other writes.</li>
 *   <li><b>Bad input</b> — a {@code null} transaction, key or value ({@link NullPointerException}),
 *       a negative timestamp, a key or value too long for the layout ({@link IllegalArgumentException})
 *       — is refused before anything is staged.</li>
 *   <li><b>No allocation</b> on put, delete, get and the sweep, beyond growing scratch buffers to
 *       the largest key and value met.</li>
 * </ol>
 *
 * <h2>Layout and cost</h2>
 * See {@link VersionedLayout}: one entry per version ({@code [0x01][len][key][ts]}), found by one
 * reverse range positioning, plus an expiry-ordered index of versions that can expire. A put stages
 * the new version, rewrites the previous version's {@code validTo} (a copy of its value) and moves
 * its expiry entry: about four staged writes, two positionings for an out-of-order put.
 *
 * <h2>Memory and threading</h2>
 * Owns no memory beyond reused heap scratch; results are zero-copy views (see
 * {@link VersionedRecord}). Not thread-safe: use it on the thread that owns the backing store.
 *
 * <pre>{@code
 * VersionedStore prices = VersionedStore.on(store, Duration.ofHours(1).toMillis());
 * try (Transaction tx = Transaction.begin(store)) {
 *     prices.put(tx, sku, price, 1_000);
 *     prices.put(tx, sku, oldPrice, 500);          // out of order: valid on [500, 1000)
 *     tx.commit();
 * }
 * VersionedRecord r = new VersionedRecord();
 * if (prices.get(null, sku, 700, r)) { ... r.value() is oldPrice, r.validTo() == 1000 ... }
 * }</pre>
 */
public final class VersionedStore {
    /** What {@link #put} returns for a put that became the latest version (Kafka's code). */
    public static final long PUT_RETURN_CODE_VALID_TO_UNDEFINED = -1L;
    /** What {@link #put} returns for a timestamp below the history horizon (Kafka's code). */
    public static final long PUT_RETURN_CODE_NOT_PUT = Long.MIN_VALUE;
    /** What {@link #delete} returns when no record was valid at the tombstone's timestamp. */
    public static final long NO_RECORD = -1L;
    /** Default expired versions a write removes. */
    public static final int DEFAULT_SWEEP_PER_WRITE = 8;
    /** Largest user key: the layout adds {@value VersionedLayout#EXPIRY_OVERHEAD} bytes to it. */
    public static final int MAX_KEY_LENGTH = KeyValueStore.MAX_KEY_LENGTH - VersionedLayout.EXPIRY_OVERHEAD;
    /** Largest user value: a version entry adds a {@value VersionedLayout#HEADER_LENGTH}-byte header. */
    public static final int MAX_VALUE_LENGTH = Transaction.MAX_VALUE_LENGTH - VersionedLayout.HEADER_LENGTH;

    private static final int STREAM_TIME = 0;
    /** State slot: no expiry entry is earlier than this (a lower bound; lets writes skip the sweep). */
    private static final int EARLIEST_EXPIRY = 1;
    private static final byte[] EMPTY = new byte[0];
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private final KeyValueStore store;
    private final long historyRetention;
    private final int sweepPerWrite;
    private final TimeMeta meta;
    private final TimeScan scan;
    private final Scratch from = new Scratch(64);
    private final Scratch to = new Scratch(64);
    private final Scratch versionKey = new Scratch(64);
    private final Scratch expiryKey = new Scratch(64);
    private final Scratch entry = new Scratch(256);
    private final Scratch previousEntry = new Scratch(256);
    private byte[] sweepKeys = new byte[256];
    private MemorySegment sweepSegment = MemorySegment.ofArray(sweepKeys);
    private int[] sweepLengths = new int[16];

    // the version found by the last floor(): fields, not an object, so lookups allocate nothing
    private long foundTs;
    private long foundValidTo;
    private boolean foundTombstone;

    private VersionedStore(KeyValueStore store, long historyRetention, int sweepPerWrite) {
        this.store = store;
        this.historyRetention = historyRetention;
        this.sweepPerWrite = sweepPerWrite;
        this.meta = new TimeMeta(store, TimeMeta.VERSIONED, "versioned key-value",
            new String[] {"historyRetention"}, new long[] {historyRetention}, new long[] {-1, Long.MAX_VALUE});
        this.scan = new TimeScan(store);
    }

    /**
     * A versioned store over {@code store} keeping {@code historyRetentionMs} of history, removing
     * up to {@link #DEFAULT_SWEEP_PER_WRITE} expired versions per write.
     *
     * @throws NullPointerException     if {@code store} is null
     * @throws IllegalArgumentException if the store has no sorted index, the retention is not
     *                                  positive, or the store holds another kind of time store or
     *                                  a versioned store with another history retention
     */
    public static VersionedStore on(KeyValueStore store, long historyRetentionMs) {
        return on(store, historyRetentionMs, DEFAULT_SWEEP_PER_WRITE);
    }

    /**
     * As {@link #on(KeyValueStore, long)}, removing up to {@code sweepPerWrite} expired versions per
     * write (0: only through {@link #sweep}). {@code sweepPerWrite} is not stored: it may change
     * between opens.
     *
     * @throws IllegalArgumentException also if {@code sweepPerWrite} is negative
     */
    public static VersionedStore on(KeyValueStore store, long historyRetentionMs, int sweepPerWrite) {
        Objects.requireNonNull(store, "store");
        if (!store.options().sortedIndex()) {
            throw new IllegalArgumentException("store '" + store.name()
                + "' has no sorted index; a versioned store needs one (StoreOptions.builder().sortedIndex(true))");
        }
        TimeKeys.checkPositive(historyRetentionMs, "historyRetentionMs");
        if (sweepPerWrite < 0) {
            throw new IllegalArgumentException("sweepPerWrite must not be negative: " + sweepPerWrite);
        }
        return new VersionedStore(store, historyRetentionMs, sweepPerWrite);
    }

    /** The backing store. */
    public KeyValueStore store() {
        return store;
    }

    /** The history retention in milliseconds. */
    public long historyRetention() {
        return historyRetention;
    }

    /** Stream time as {@code tx} sees it ({@code null}: committed), -1 before the first write. */
    public long streamTime(Transaction tx) {
        return meta.get(tx, STREAM_TIME);
    }

    /** The history horizon as {@code tx} sees it: puts below it are refused, as-of reads below it see only the latest version. */
    public long historyHorizon(Transaction tx) {
        return horizon(meta.get(tx, STREAM_TIME));
    }

    private long horizon(long streamTime) {
        return streamTime - historyRetention; // streamTime >= -1 and retention > 0: no overflow
    }

    // ---------------------------------------------------------------- writes

    /**
     * Puts {@code value} as the version of {@code key} at {@code timestamp} (see the class contract).
     *
     * @return the new version's validTo, {@link #PUT_RETURN_CODE_VALID_TO_UNDEFINED} if it is the
     *         latest, or {@link #PUT_RETURN_CODE_NOT_PUT} if {@code timestamp} is below the horizon
     * @throws NullPointerException     if {@code tx}, {@code key} or {@code value} is null
     * @throws IllegalArgumentException if {@code timestamp} is negative or the key or value too long
     */
    public long put(Transaction tx, byte[] key, byte[] value, long timestamp) {
        Objects.requireNonNull(tx, "tx");
        checkKey(key);
        Objects.requireNonNull(value, "value");
        if (value.length > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("value of " + value.length + " bytes exceeds the limit of "
                + MAX_VALUE_LENGTH + " bytes of versioned store '" + store.name() + "'");
        }
        TimeKeys.checkTimestamp(timestamp, "timestamp");
        return write(tx, key, value, timestamp);
    }

    /**
     * Puts a tombstone version of {@code key} at {@code timestamp} (see the class contract).
     *
     * @return the timestamp of the record that was valid at {@code timestamp}, or {@link #NO_RECORD}
     *         if there was none or {@code timestamp} is below the horizon (then nothing is staged)
     * @throws NullPointerException     if {@code tx} or {@code key} is null
     * @throws IllegalArgumentException if {@code timestamp} is negative or the key too long
     */
    public long delete(Transaction tx, byte[] key, long timestamp) {
        Objects.requireNonNull(tx, "tx");
        checkKey(key);
        TimeKeys.checkTimestamp(timestamp, "timestamp");
        long previous = NO_RECORD;
        if (timestamp >= horizon(meta.get(tx, STREAM_TIME)) && floor(tx, key, timestamp)
            && !foundTombstone && validAt(foundValidTo, timestamp)) {
            previous = foundTs;
        }
        long code = write(tx, key, null, timestamp);
        return code == PUT_RETURN_CODE_NOT_PUT ? NO_RECORD : previous;
    }

    /** Stages the version {@code (ts, value)}, a tombstone if {@code value} is null; input checked. */
    private long write(Transaction tx, byte[] key, byte[] value, long ts) {
        long streamTime = meta.get(tx, STREAM_TIME);
        if (ts < horizon(streamTime)) {
            return PUT_RETURN_CODE_NOT_PUT;
        }
        long earliestExpiry = meta.get(tx, EARLIEST_EXPIRY);
        boolean tombstone = value == null;

        // Plan from reads only: a write would make the scan's views stale.
        boolean hasPrevious = floor(tx, key, ts);
        boolean replace = hasPrevious && foundTs == ts;
        boolean cutPrevious = hasPrevious && !replace && validAt(foundValidTo, ts);
        long previousTs = foundTs;
        long previousExpiry = hasPrevious ? VersionedLayout.expiry(foundTombstone, foundTs, foundValidTo) : VersionedLayout.NEVER;
        long validTo;
        if (replace || cutPrevious) {
            // a live previous version's validTo is the next version's timestamp (or OPEN)
            validTo = foundValidTo;
        } else {
            validTo = ceiling(tx, key, ts);
        }
        if (cutPrevious) {
            ValueView v = scan.value();
            int length = v.length();
            previousEntry.reset(length);
            v.copyTo(previousEntry.array, 0);
            previousEntry.length = length;
            previousEntry.setLong(VersionedLayout.VALID_TO_OFFSET, ts);
        }
        long expiry = VersionedLayout.expiry(tombstone, ts, validTo);
        long recordTs = ts;

        // Apply.
        byte[] bytes = tombstone ? EMPTY : value;
        entry.reset(VersionedLayout.HEADER_LENGTH + bytes.length)
            .putByte(tombstone ? VersionedLayout.TOMBSTONE : 0).putLong(validTo).putBytes(bytes);
        versionKey(key, ts);
        tx.put(store, versionKey.segment, 0, versionKey.length, entry.segment, 0, entry.length, recordTs);
        if (replace) {
            if (previousExpiry != expiry) {
                deleteExpiry(tx, previousExpiry, key, ts, recordTs);
                putExpiry(tx, expiry, key, ts, recordTs);
            }
        } else {
            putExpiry(tx, expiry, key, ts, recordTs);
            if (cutPrevious) {
                versionKey(key, previousTs);
                tx.put(store, versionKey.segment, 0, versionKey.length, previousEntry.segment, 0, previousEntry.length, recordTs);
                deleteExpiry(tx, previousExpiry, key, previousTs, recordTs);
                putExpiry(tx, ts, key, previousTs, recordTs);
                earliestExpiry = Math.min(earliestExpiry, ts);
            }
        }
        earliestExpiry = Math.min(earliestExpiry, expiry);
        long newStreamTime = Math.max(streamTime, ts);
        meta.set(tx, STREAM_TIME, newStreamTime, EARLIEST_EXPIRY, earliestExpiry);
        if (sweepPerWrite > 0 && earliestExpiry <= horizon(newStreamTime)) {
            sweep(tx, sweepPerWrite);
        }
        return validTo == VersionedLayout.OPEN ? PUT_RETURN_CODE_VALID_TO_UNDEFINED : validTo;
    }

    /**
     * Removes up to {@code maxVersions} versions that the horizon hides, earliest expiry first, in
     * {@code tx}. Reads do not depend on it: it only frees memory.
     *
     * @return how many versions it removed (fewer than {@code maxVersions}: none is left due)
     * @throws NullPointerException     if {@code tx} is null
     * @throws IllegalArgumentException if {@code maxVersions} is negative
     */
    public int sweep(Transaction tx, int maxVersions) {
        Objects.requireNonNull(tx, "tx");
        if (maxVersions < 0) {
            throw new IllegalArgumentException("maxVersions must not be negative: " + maxVersions);
        }
        long streamTime = meta.get(tx, STREAM_TIME);
        long horizon = horizon(streamTime);
        if (maxVersions == 0 || meta.get(tx, EARLIEST_EXPIRY) > horizon) {
            return 0;
        }
        from.reset(1).putByte(VersionedLayout.EXPIRY_PREFIX);
        to.reset(1 + 8).putByte(VersionedLayout.EXPIRY_PREFIX).putLong(horizon + 1);
        scan.bind(tx).range(from, to, false);
        // Collect first: a cursor must not be stepped across writes.
        if (sweepLengths.length < maxVersions) {
            sweepLengths = new int[maxVersions];
        }
        int count = 0;
        int used = 0;
        long nextExpiry = horizon + 1; // when the range runs out, every remaining entry is later
        while (scan.next()) {
            ValueView k = scan.key();
            int length = k.length();
            if (length < VersionedLayout.EXPIRY_OVERHEAD) {
                throw new IllegalStateException("store '" + store.name() + "' holds a " + length
                    + "-byte key among its expiry entries: it is not a versioned store's");
            }
            if (count == maxVersions) {
                nextExpiry = longAt(k, VersionedLayout.EXPIRY_TIME_OFFSET);
                break;
            }
            if (sweepKeys.length < used + length) {
                growSweepKeys(used + length);
            }
            k.copyTo(sweepKeys, used);
            sweepLengths[count++] = length;
            used += length;
        }
        long recordTs = Math.max(0, streamTime);
        int offset = 0;
        for (int i = 0; i < count; i++) {
            int length = sweepLengths[i];
            tx.delete(store, sweepSegment, offset, length, recordTs);
            int tail = length - VersionedLayout.EXPIRY_TAIL_OFFSET;
            versionKey.reset(1 + tail).putByte(VersionedLayout.VERSION_PREFIX);
            System.arraycopy(sweepKeys, offset + VersionedLayout.EXPIRY_TAIL_OFFSET, versionKey.array, 1, tail);
            versionKey.length = 1 + tail;
            tx.delete(store, versionKey.segment, 0, versionKey.length, recordTs);
            offset += length;
        }
        meta.set(tx, EARLIEST_EXPIRY, nextExpiry);
        return count;
    }

    private void growSweepKeys(int needed) {
        byte[] grown = new byte[Math.max(needed, sweepKeys.length * 2)];
        System.arraycopy(sweepKeys, 0, grown, 0, sweepKeys.length);
        sweepKeys = grown;
        sweepSegment = MemorySegment.ofArray(grown);
    }

    // ---------------------------------------------------------------- reads

    /**
     * Points {@code value} at the latest value of {@code key} as {@code tx} sees it ({@code null}:
     * committed state); false if the key has no version or its latest is a tombstone.
     *
     * @throws NullPointerException     if {@code key} or {@code value} is null
     * @throws IllegalArgumentException if the key is too long
     */
    public boolean get(Transaction tx, byte[] key, ValueView value) {
        checkKey(key);
        Objects.requireNonNull(value, "value");
        if (!latest(tx, key)) {
            return false;
        }
        ValueView v = scan.value();
        value.wrapSlice(v, VersionedLayout.VALUE_OFFSET, v.length() - VersionedLayout.VALUE_OFFSET);
        return true;
    }

    /**
     * Fills {@code result} with the latest version of {@code key} (its timestamp; validTo is
     * always open); false if the key has no version or its latest is a tombstone.
     *
     * @throws NullPointerException     if {@code key} or {@code result} is null
     * @throws IllegalArgumentException if the key is too long
     */
    public boolean get(Transaction tx, byte[] key, VersionedRecord result) {
        checkKey(key);
        Objects.requireNonNull(result, "result");
        if (!latest(tx, key)) {
            return false;
        }
        result.set(scan.value(), foundTs, foundValidTo);
        return true;
    }

    /**
     * Fills {@code result} with the version of {@code key} valid at {@code asOf}: the one with the
     * largest timestamp ≤ {@code asOf}. False if there is none or it is a tombstone. Below the
     * history horizon only the latest version can be found (if it is a value put at or before
     * {@code asOf}): the history before the horizon is gone.
     *
     * @throws NullPointerException     if {@code key} or {@code result} is null
     * @throws IllegalArgumentException if {@code asOf} is negative or the key too long
     */
    public boolean get(Transaction tx, byte[] key, long asOf, VersionedRecord result) {
        checkKey(key);
        TimeKeys.checkTimestamp(asOf, "asOf");
        Objects.requireNonNull(result, "result");
        if (asOf < horizon(meta.get(tx, STREAM_TIME))) {
            // the history is gone, but the latest version never expires (Kafka 3.5+ does the same)
            if (!latest(tx, key) || foundTs > asOf) {
                return false;
            }
            result.set(scan.value(), foundTs, foundValidTo);
            return true;
        }
        // foundValidTo <= asOf: the next version was removed by the sweep (see latest())
        if (!floor(tx, key, asOf) || foundTombstone || !validAt(foundValidTo, asOf)) {
            return false;
        }
        result.set(scan.value(), foundTs, foundValidTo);
        return true;
    }

    /** Whether a version found at or before {@code t} with this validTo is still valid at {@code t}. */
    private static boolean validAt(long validTo, long t) {
        return validTo == VersionedLayout.OPEN || validTo > t;
    }

    /** Whether {@code key}'s latest version is a live value; leaves the scan on it. */
    private boolean latest(Transaction tx, byte[] key) {
        versionPrefix(from, key, 0);
        versionPrefix(to, key, 1).putByte(0x80); // above [key][ts] for every ts >= 0
        scan.bind(tx).range(from, to, true);
        if (!scan.next()) {
            return false;
        }
        readFound(key.length);
        // a latest version with a validTo lost its successor, a tombstone, to the sweep: cannot
        // happen while the sweep goes in expiry order (a version expires no later than its
        // successor), but reads must never depend on how far the sweep got
        return !foundTombstone && foundValidTo == VersionedLayout.OPEN;
    }

    /** Finds the newest version of {@code key} with timestamp ≤ {@code t}; leaves the scan on it. */
    private boolean floor(Transaction tx, byte[] key, long t) {
        versionPrefix(from, key, 0);
        // t + 1 wraps to 0x80.. at Long.MAX_VALUE, which is above every non-negative timestamp
        versionPrefix(to, key, 8).putLong(t + 1);
        scan.bind(tx).range(from, to, true);
        if (!scan.next()) {
            return false;
        }
        readFound(key.length);
        return true;
    }

    /** The timestamp of the oldest version of {@code key} after {@code t}, or OPEN. */
    private long ceiling(Transaction tx, byte[] key, long t) {
        if (t == Long.MAX_VALUE) {
            return VersionedLayout.OPEN;
        }
        versionPrefix(from, key, 8).putLong(t + 1);
        versionPrefix(to, key, 1).putByte(0x80);
        scan.bind(tx).range(from, to, false);
        if (!scan.next()) {
            return VersionedLayout.OPEN;
        }
        ValueView k = scan.key();
        if (k.length() != VersionedLayout.versionKeyLength(key.length)) {
            throw new IllegalStateException("store '" + store.name() + "' holds a " + k.length()
                + "-byte key among the versions of a " + key.length + "-byte key: it is not a versioned store's");
        }
        return longAt(k, VersionedLayout.versionTsOffset(key.length));
    }

    private void readFound(int keyLength) {
        ValueView k = scan.key();
        ValueView v = scan.value();
        if (k.length() != VersionedLayout.versionKeyLength(keyLength) || v.length() < VersionedLayout.HEADER_LENGTH) {
            throw new IllegalStateException("store '" + store.name() + "' holds an entry of " + k.length() + " key bytes and "
                + v.length() + " value bytes among the versions of a " + keyLength + "-byte key: it is not a versioned store's");
        }
        foundTs = longAt(k, VersionedLayout.versionTsOffset(keyLength));
        foundTombstone = (v.getByte(VersionedLayout.FLAGS_OFFSET) & VersionedLayout.TOMBSTONE) != 0;
        foundValidTo = longAt(v, VersionedLayout.VALID_TO_OFFSET);
    }

    /**
     * The big-endian long at {@code index} of {@code v}, whose length the caller checked (which
     * also checked that the view is current). Not {@link ValueView#getLongBigEndian}: that builds
     * its layout on every call, and allocating on every lookup is what this store avoids.
     */
    private static long longAt(ValueView v, int index) {
        return v.memory().get(LONG_BE, v.offset() + index);
    }

    // ---------------------------------------------------------------- keys

    private static void checkKey(byte[] key) {
        TimeKeys.checkKey(key, VersionedLayout.EXPIRY_OVERHEAD, "key");
    }

    /** {@code [0x01][len][key]} into {@code s}, with room for {@code extra} more bytes. */
    private static Scratch versionPrefix(Scratch s, byte[] key, int extra) {
        return s.reset(VersionedLayout.VERSION_KEY_OFFSET + key.length + extra)
            .putByte(VersionedLayout.VERSION_PREFIX).putByte(key.length >>> 8).putByte(key.length).putBytes(key);
    }

    private void versionKey(byte[] key, long ts) {
        versionPrefix(versionKey, key, 8).putLong(ts);
    }

    private void putExpiry(Transaction tx, long expiry, byte[] key, long ts, long recordTs) {
        if (expiry == VersionedLayout.NEVER) {
            return;
        }
        expiryKey(expiry, key, ts);
        tx.put(store, expiryKey.segment, 0, expiryKey.length, expiryKey.segment, 0, 0, recordTs);
    }

    private void deleteExpiry(Transaction tx, long expiry, byte[] key, long ts, long recordTs) {
        if (expiry == VersionedLayout.NEVER) {
            return;
        }
        expiryKey(expiry, key, ts);
        tx.delete(store, expiryKey.segment, 0, expiryKey.length, recordTs);
    }

    private void expiryKey(long expiry, byte[] key, long ts) {
        expiryKey.reset(VersionedLayout.EXPIRY_OVERHEAD + key.length)
            .putByte(VersionedLayout.EXPIRY_PREFIX).putLong(expiry)
            .putByte(key.length >>> 8).putByte(key.length).putBytes(key).putLong(ts);
    }
}
