package io.offstate.engine;

import java.util.ConcurrentModificationException;
import java.util.Objects;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.index.SortedIndex;

/**
 * A reusable cursor over a {@link KeyValueStore} with a sorted index, in <b>unsigned lexicographic
 * order of the key bytes</b> (as RocksDB's default comparator and Kafka Streams' {@code Bytes}
 * order them: {@code 0x00 < 0x7F < 0x80 < 0xFF}, and a key sorts before every longer key it is a
 * prefix of). Get one from {@link KeyValueStore#cursor()}.
 *
 * <h2>Use</h2>
 * <pre>{@code
 * Cursor cursor = store.cursor();                  // once; reuse it for every scan
 * cursor.prefix("user:".getBytes(UTF_8));           // or range(from, to), rangeReverse, prefixReverse
 * while (cursor.next()) {
 *     ValueView key = cursor.key();                 // zero-copy views, valid until the next write
 *     ValueView value = cursor.value();
 * }
 * if (cursor.seek(k)) { ... }                       // on the first key >= k; next() goes on ascending
 * }</pre>
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Positioning</b> ({@link #range}, {@link #rangeReverse}, {@link #prefix},
 *       {@link #prefixReverse}) places the cursor <em>before</em> the first result;
 *       {@link #next()} steps onto it. {@link #first()}, {@link #last()}, {@link #seek} and
 *       {@link #seekForPrev} place it <em>on</em> a result and return whether there is one; after
 *       them {@code next()} goes on, unbounded, in their direction. Bounds are copied: the caller
 *       may reuse its arrays at once.</li>
 *   <li><b>Ranges</b> include {@code fromInclusive} and exclude {@code toExclusive}; {@code null}
 *       leaves that end open. A range with {@code from >= to} is empty (as in Kafka Streams), not an
 *       error. The reverse variants return the same keys, largest first.</li>
 *   <li><b>Cost</b>: positioning is O(log n), each step O(1) amortized; a prefix scan touches only
 *       the keys it returns. Positioning and stepping allocate nothing, except a scratch buffer that
 *       grows for the longest key met in a dictionary-encoded store.</li>
 *   <li><b>Views</b>: {@link #key()} and {@link #value()} return this cursor's two {@link ValueView}s,
 *       re-pointed at the current entry (the same objects every time). They are zero-copy, except
 *       keys of dictionary-encoded stores, which are decoded into the cursor's own buffer.</li>
 *   <li><b>Writes fail fast.</b> Any write to the store (a put, a delete that removes, a restore)
 *       after positioning makes the next {@code next()}, {@code key()} or {@code value()} throw
 *       {@link ConcurrentModificationException}, never return a wrong or stale entry. Positioning
 *       again makes the cursor usable: to delete while scanning, copy the key, delete it, and
 *       {@link #seek} past it.</li>
 *   <li><b>Dictionary-encoded stores</b> scan in the same order of the original key bytes: the
 *       dictionary changes how keys are stored, never the order they are read in.</li>
 *   <li>A {@code null} prefix or seek key throws {@link NullPointerException}; a bound, prefix or key
 *       over {@link KeyValueStore#MAX_KEY_LENGTH} throws {@link IllegalArgumentException}; any call
 *       after the store is closed throws {@link io.offstate.offheap.StoreClosedException}; reading
 *       a cursor that is not on an entry throws {@link IllegalStateException}. None changes the
 *       store.</li>
 * </ol>
 *
 * <p>Threading: confined to the store's thread, like the store.
 */
public final class Cursor {
    private static final int UNPOSITIONED = 0;
    private static final int BEFORE = 1;
    private static final int ON = 2;
    private static final int DONE = 3;
    /** Entries whose first cache line is loaded ahead of the scan (see {@link SortedIndex#prefetch}). */
    private static final int PREFETCH = 16;

    private final KeyValueStore store;
    private final ValueView keyView = new ValueView();
    private final ValueView valueView = new ValueView();
    private final ByteSource from = new ByteSource();
    private final ByteSource to = new ByteSource();
    private final EntryReader reader = new EntryReader();
    private byte[] fromBytes = new byte[32];
    private byte[] toBytes = new byte[32];
    private long fromPrefix;
    private long toPrefix;
    private boolean hasFrom;
    private boolean hasTo;
    private boolean reverse;

    private StoreState state;
    private long version;
    private int status = UNPOSITIONED;
    private long start;
    private long position;
    private long prefetchLeaf;
    private int prefetchLimit;
    private long prefetchSink;

    Cursor(KeyValueStore store) {
        this.store = store;
    }

    // ------------------------------------------------------------------ positioning

    /**
     * Positions before the first key in {@code [fromInclusive, toExclusive)}, ascending.
     *
     * @param fromInclusive lower bound, or {@code null} for none
     * @param toExclusive   upper bound, or {@code null} for none
     * @return this cursor
     */
    public Cursor range(byte[] fromInclusive, byte[] toExclusive) {
        begin();
        setFrom(fromInclusive);
        setTo(toExclusive);
        reverse = false;
        try {
            start = hasFrom ? index().ceiling(from) : index().first();
        } catch (RuntimeException e) {
            throw store.failure(e);
        }
        return this;
    }

    /**
     * As {@link #range(byte[], byte[])} with the bounds being the first {@code fromLength} bytes of
     * {@code from} and the first {@code toLength} bytes of {@code to} (copied); a null array is no
     * bound. Lets a caller build bounds in reused arrays.
     */
    public Cursor range(byte[] from, int fromLength, byte[] to, int toLength) {
        begin();
        setFrom(from, fromLength);
        setTo(to, toLength);
        reverse = false;
        try {
            start = hasFrom ? index().ceiling(this.from) : index().first();
        } catch (RuntimeException e) {
            throw store.failure(e);
        }
        return this;
    }

    /** As {@link #rangeReverse(byte[], byte[])} with bounds given as array prefixes (see {@link #range(byte[], int, byte[], int)}). */
    public Cursor rangeReverse(byte[] from, int fromLength, byte[] to, int toLength) {
        begin();
        setFrom(from, fromLength);
        setTo(to, toLength);
        reverse = true;
        try {
            start = hasTo ? index().lower(this.to) : index().last();
        } catch (RuntimeException e) {
            throw store.failure(e);
        }
        return this;
    }

    /**
     * Positions after the last key in {@code [fromInclusive, toExclusive)}, for a descending scan of
     * the same keys {@link #range} returns.
     *
     * @return this cursor
     */
    public Cursor rangeReverse(byte[] fromInclusive, byte[] toExclusive) {
        begin();
        setFrom(fromInclusive);
        setTo(toExclusive);
        reverse = true;
        try {
            start = hasTo ? index().lower(to) : index().last();
        } catch (RuntimeException e) {
            throw store.failure(e);
        }
        return this;
    }

    /**
     * Positions before the first key that starts with {@code prefix}, ascending; the empty prefix
     * matches every key.
     *
     * @return this cursor
     */
    public Cursor prefix(byte[] prefix) {
        Objects.requireNonNull(prefix, "prefix");
        begin();
        setPrefixBounds(prefix);
        reverse = false;
        try {
            start = index().ceiling(from);
        } catch (RuntimeException e) {
            throw store.failure(e);
        }
        return this;
    }

    /**
     * Positions after the last key that starts with {@code prefix}, for a descending scan.
     *
     * @return this cursor
     */
    public Cursor prefixReverse(byte[] prefix) {
        Objects.requireNonNull(prefix, "prefix");
        begin();
        setPrefixBounds(prefix);
        reverse = true;
        try {
            start = hasTo ? index().lower(to) : index().last();
        } catch (RuntimeException e) {
            throw store.failure(e);
        }
        return this;
    }

    /** Positions on the smallest key; {@link #next()} then ascends. Returns false if the store is empty. */
    public boolean first() {
        range(null, null);
        return next();
    }

    /** Positions on the largest key; {@link #next()} then descends. Returns false if the store is empty. */
    public boolean last() {
        rangeReverse(null, null);
        return next();
    }

    /** Positions on the smallest key {@code >= key}; {@link #next()} then ascends. Returns whether there is one. */
    public boolean seek(byte[] key) {
        Objects.requireNonNull(key, "key");
        range(key, null);
        return next();
    }

    /** Positions on the largest key {@code <= key}; {@link #next()} then descends. Returns whether there is one. */
    public boolean seekForPrev(byte[] key) {
        Objects.requireNonNull(key, "key");
        begin();
        checkLength(key, "key");
        hasFrom = false;
        hasTo = false;
        reverse = true;
        try {
            start = index().floor(from.wrap(key));
        } catch (RuntimeException e) {
            throw store.failure(e);
        }
        from.clear(); // the caller's array must not be kept
        return next();
    }

    // ------------------------------------------------------------------ stepping and reading

    /**
     * Moves to the next entry in this cursor's direction.
     *
     * @return whether the cursor is now on an entry (false at the end, and on every call after)
     * @throws ConcurrentModificationException if the store was written since positioning
     * @throws IllegalStateException            if the cursor was never positioned
     */
    public boolean next() {
        check();
        if (status == DONE) {
            return false;
        }
        try {
            return step();
        } catch (RuntimeException e) {
            throw store.failure(e);
        }
    }

    private boolean step() {
        final SortedIndex index = state.sorted;
        long p = status == BEFORE ? start : (reverse ? index.previous(position) : index.next(position));
        if (p != SortedIndex.NONE && !inBounds(index, p)) {
            p = SortedIndex.NONE;
        }
        position = p;
        if (p == SortedIndex.NONE) {
            status = DONE;
            return false;
        }
        status = ON;
        final long leaf = SortedIndex.leafOf(p);
        final int i = SortedIndex.indexOf(p);
        if (leaf != prefetchLeaf || (reverse ? i <= prefetchLimit : i >= prefetchLimit)) {
            prefetchLeaf = leaf;
            prefetchLimit = reverse ? i - PREFETCH : i + PREFETCH;
            prefetchSink += index.prefetch(p, reverse, PREFETCH);
        }
        return true;
    }

    /** Whether the cursor is on an entry (positioned, not at the end, no write since). */
    public boolean isOnEntry() {
        return status == ON && !store.isClosed() && store.version() == version;
    }

    /**
     * A view of the current key: zero-copy into the store's memory (into the cursor's buffer for a
     * dictionary-encoded store), valid until the cursor moves or the store is written.
     *
     * @throws IllegalStateException            if the cursor is not on an entry
     * @throws ConcurrentModificationException if the store was written since positioning
     */
    public ValueView key() {
        final long address = entry();
        try {
            reader.key(store, version, state, address, keyView);
        } catch (RuntimeException e) {
            throw store.failure(e);
        }
        return keyView;
    }

    /**
     * A zero-copy view of the current value, valid until the cursor moves or the store is written.
     *
     * @throws IllegalStateException            if the cursor is not on an entry
     * @throws ConcurrentModificationException if the store was written since positioning
     */
    public ValueView value() {
        final long address = entry();
        try {
            EntryReader.value(store, version, state.memory, address, valueView);
        } catch (RuntimeException e) {
            throw store.failure(e);
        }
        return valueView;
    }

    @Override
    public String toString() {
        return "Cursor[store=" + store.name() + ", " + switch (status) {
            case UNPOSITIONED -> "unpositioned";
            case BEFORE -> "before first";
            case ON -> "on an entry";
            default -> "at end";
        } + (reverse ? ", descending" : ", ascending") + "]";
    }

    // ------------------------------------------------------------------ internals

    private void begin() {
        store.ensureOpen();
        state = store.state();
        version = store.version();
        status = BEFORE;
        position = SortedIndex.NONE;
        prefetchLeaf = SortedIndex.NONE;
    }

    private SortedIndex index() {
        return state.sorted;
    }

    private long entry() {
        check();
        if (status != ON) {
            throw new IllegalStateException("cursor over store '" + store.name() + "' is not on an entry"
                + (status == DONE ? ": the scan has ended" : ": call next() first"));
        }
        return state.sorted.entryAt(position);
    }

    private void check() {
        store.ensureOpen();
        if (status == UNPOSITIONED) {
            throw new IllegalStateException("cursor over store '" + store.name()
                + "' is not positioned: call range, rangeReverse, prefix, prefixReverse, first, last, seek or seekForPrev");
        }
        if (store.version() != version) {
            throw new ConcurrentModificationException("store '" + store.name()
                + "' was written after the cursor was positioned; position it again (e.g. seek) to go on");
        }
    }

    private boolean inBounds(SortedIndex index, long p) {
        if (reverse) {
            return !hasFrom || index.compareAt(from, fromPrefix, p) <= 0;
        }
        return !hasTo || index.compareAt(to, toPrefix, p) > 0;
    }

    private void setFrom(byte[] bound) {
        setFrom(bound, bound == null ? 0 : bound.length);
    }

    private void setTo(byte[] bound) {
        setTo(bound, bound == null ? 0 : bound.length);
    }

    private void setFrom(byte[] bound, int length) {
        hasFrom = bound != null;
        if (hasFrom) {
            checkPrefix(bound, length, "from bound");
            if (fromBytes.length < length) {
                fromBytes = new byte[Math.max(length, fromBytes.length * 2)];
            }
            System.arraycopy(bound, 0, fromBytes, 0, length);
            fromPrefix = from.wrap(fromBytes, 0, length).orderPrefix();
        }
    }

    private void setTo(byte[] bound, int length) {
        hasTo = bound != null;
        if (hasTo) {
            checkPrefix(bound, length, "to bound");
            if (toBytes.length < length) {
                toBytes = new byte[Math.max(length, toBytes.length * 2)];
            }
            System.arraycopy(bound, 0, toBytes, 0, length);
            toPrefix = to.wrap(toBytes, 0, length).orderPrefix();
        }
    }

    /** Keys with {@code prefix} are exactly {@code [prefix, successor)}, the successor being open if none exists. */
    private void setPrefixBounds(byte[] prefix) {
        setFrom(prefix);
        setTo(prefix);
        int n = prefix.length;
        while (n > 0 && toBytes[n - 1] == (byte) 0xFF) {
            n--;
        }
        if (n == 0) {
            hasTo = false; // empty or all-0xFF prefix: nothing above it bounds the keys that start with it
        } else {
            toBytes[n - 1]++;
            toPrefix = to.wrap(toBytes, 0, n).orderPrefix();
        }
    }

    private void checkPrefix(byte[] bytes, int length, String what) {
        if (length < 0 || length > bytes.length) {
            status = UNPOSITIONED;
            throw new IndexOutOfBoundsException(what + " length " + length + " is outside an array of " + bytes.length + " bytes");
        }
        if (length > KeyValueStore.MAX_KEY_LENGTH) {
            status = UNPOSITIONED;
            throw new IllegalArgumentException(what + " of " + length + " bytes exceeds the maximum key length of "
                + KeyValueStore.MAX_KEY_LENGTH + " bytes (store '" + store.name() + "')");
        }
    }

    private void checkLength(byte[] bytes, String what) {
        if (bytes.length > KeyValueStore.MAX_KEY_LENGTH) {
            status = UNPOSITIONED;
            throw new IllegalArgumentException(what + " of " + bytes.length + " bytes exceeds the maximum key length of "
                + KeyValueStore.MAX_KEY_LENGTH + " bytes (store '" + store.name() + "')");
        }
    }
}
