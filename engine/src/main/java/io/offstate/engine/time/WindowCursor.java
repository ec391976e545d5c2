package io.offstate.engine.time;

import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

import java.util.Objects;

/**
 * A reusable, zero-copy cursor over the live windows of one {@link WindowStore}: position it with
 * one of the fetch methods, then step with {@link #next()} and read {@link #key()},
 * {@link #windowStart()} and {@link #value()}.
 *
 * <h2>Contract</h2>
 * <ul>
 *   <li>Time bounds are inclusive window starts, {@code 0 <= from <= to}; key bounds are inclusive,
 *       {@code null} is open. The fetched range is clipped to the live windows (after the retention
 *       horizon), so it visits at most retention / segment interval + 1 segments.</li>
 *   <li>Order: one key — by window start (then put order for duplicates); forward or backward.
 *       Several keys — segment by segment, within one by key then window start (as Kafka Streams'
 *       RocksDB window stores); backward is the exact reverse.</li>
 *   <li>The views point into store (or pending) memory, valid until the next step or any write to
 *       the store or the transaction; a write after positioning makes the next step throw
 *       {@link java.util.ConcurrentModificationException}.</li>
 *   <li>Positioning copies the bounds into buffers of the cursor: nothing the caller passes is kept;
 *       positioning and stepping allocate nothing once buffers have grown.</li>
 * </ul>
 * Not thread-safe.
 */
public final class WindowCursor {
    private static final int ONE = 0;
    private static final int RANGE = 1;
    private static final int ALL = 2;

    private final WindowStore windows;
    private final TimeScan scan;
    private final Scratch keyFrom = new Scratch(32);
    private final Scratch keyTo = new Scratch(32);
    private final Scratch lo = new Scratch(64);
    private final Scratch hi = new Scratch(64);
    private final ValueView keyView = new ValueView();
    private Transaction tx;
    private int mode;
    private boolean hasFrom;
    private boolean hasTo;
    private boolean reverse;
    private long from;
    private long to;
    private long firstSegment;
    private long lastSegment;
    private long segment;
    private boolean inSegment;
    private boolean positioned;
    private boolean onEntry;
    private long windowStart;

    WindowCursor(WindowStore windows) {
        this.windows = windows;
        this.scan = windows.newScan();
    }

    /** Windows of {@code key} starting in {@code [from, to]}, oldest first. */
    public WindowCursor fetch(Transaction tx, byte[] key, long from, long to) {
        TimeKeys.checkKey(key, windows.overhead, "key");
        keyFrom.reset(key.length).putBytes(key);
        return position(tx, ONE, true, false, from, to, false);
    }

    /** Windows of {@code key} starting in {@code [from, to]}, newest first. */
    public WindowCursor backwardFetch(Transaction tx, byte[] key, long from, long to) {
        TimeKeys.checkKey(key, windows.overhead, "key");
        keyFrom.reset(key.length).putBytes(key);
        return position(tx, ONE, true, false, from, to, true);
    }

    /**
     * Windows of keys in {@code [keyFrom, keyTo]} (null: open) starting in {@code [from, to]}.
     *
     * @throws IllegalArgumentException if {@code keyFrom > keyTo} or the time range is inverted
     */
    public WindowCursor fetch(Transaction tx, byte[] keyFrom, byte[] keyTo, long from, long to) {
        setKeys(keyFrom, keyTo);
        return position(tx, RANGE, keyFrom != null, keyTo != null, from, to, false);
    }

    /** As {@link #fetch(Transaction, byte[], byte[], long, long)}, in reverse order. */
    public WindowCursor backwardFetch(Transaction tx, byte[] keyFrom, byte[] keyTo, long from, long to) {
        setKeys(keyFrom, keyTo);
        return position(tx, RANGE, keyFrom != null, keyTo != null, from, to, true);
    }

    /** Windows of every key starting in {@code [from, to]}. */
    public WindowCursor fetchAll(Transaction tx, long from, long to) {
        return position(tx, ALL, false, false, from, to, false);
    }

    /** As {@link #fetchAll}, in reverse order. */
    public WindowCursor backwardFetchAll(Transaction tx, long from, long to) {
        return position(tx, ALL, false, false, from, to, true);
    }

    /** Every live window. */
    public WindowCursor all(Transaction tx) {
        return position(tx, ALL, false, false, 0, Long.MAX_VALUE, false);
    }

    /** Every live window, in reverse order. */
    public WindowCursor backwardAll(Transaction tx) {
        return position(tx, ALL, false, false, 0, Long.MAX_VALUE, true);
    }

    private void setKeys(byte[] from, byte[] to) {
        if (from != null) {
            TimeKeys.checkKey(from, windows.overhead, "key from");
        }
        if (to != null) {
            TimeKeys.checkKey(to, windows.overhead, "key to");
        }
        if (from != null && to != null && TimeKeys.compare(from, to) > 0) {
            throw new IllegalArgumentException("inverted key range: key from sorts after key to");
        }
        if (from != null) {
            keyFrom.reset(from.length).putBytes(from);
        }
        if (to != null) {
            keyTo.reset(to.length).putBytes(to);
        }
    }

    private WindowCursor position(Transaction tx, int mode, boolean hasFrom, boolean hasTo, long from, long to, boolean reverse) {
        TimeKeys.checkRange(from, to, "from", "to");
        this.tx = tx;
        this.mode = mode;
        this.hasFrom = hasFrom;
        this.hasTo = hasTo;
        this.reverse = reverse;
        long streamTime = windows.streamTime(tx);
        this.from = Math.max(from, windows.horizonOf(streamTime));
        this.to = Math.min(to, Math.max(streamTime, 0));
        this.firstSegment = windows.segmentOf(this.from);
        this.lastSegment = windows.segmentOf(this.to);
        this.segment = reverse ? lastSegment : firstSegment;
        this.inSegment = false;
        this.onEntry = false;
        this.positioned = streamTime >= 0 && this.from <= this.to;
        scan.bind(tx);
        return this;
    }

    /**
     * Steps to the next live window in range.
     *
     * @return whether the cursor is on a window (false at the end, and on every call after)
     * @throws IllegalStateException                       if the cursor was never positioned
     * @throws java.util.ConcurrentModificationException if the store was written since positioning
     */
    public boolean next() {
        if (!positioned) {
            onEntry = false;
            return false;
        }
        final int overhead = windows.overhead;
        final int userKey = keyFrom.length;
        while (true) {
            if (!inSegment) {
                if (reverse ? segment < firstSegment : segment > lastSegment) {
                    positioned = false;
                    onEntry = false;
                    return false;
                }
                positionSegment();
                inSegment = true;
            }
            if (!scan.next()) {
                inSegment = false;
                segment += reverse ? -1 : 1;
                continue;
            }
            ValueView k = scan.key();
            int keyLength = k.length() - overhead;
            if (keyLength < 0 || mode == ONE && keyLength != userKey) {
                continue;
            }
            long start = k.getLongBigEndian(WindowStore.KEY_OFFSET + keyLength);
            if (start < from || start > to) {
                continue;
            }
            if (mode == RANGE && !inKeyRange(k, keyLength)) {
                continue;
            }
            keyView.wrapSlice(k, WindowStore.KEY_OFFSET, keyLength);
            windowStart = start;
            onEntry = true;
            return true;
        }
    }

    private void positionSegment() {
        lo.reset(WindowStore.KEY_OFFSET + 64).putByte(TimeKeys.DATA_PREFIX).putLong(segment);
        hi.reset(WindowStore.KEY_OFFSET + 64).putByte(TimeKeys.DATA_PREFIX).putLong(segment);
        switch (mode) {
            case ONE -> {
                lo.grow(lo.length + keyFrom.length + 8);
                System.arraycopy(keyFrom.array, 0, lo.array, lo.length, keyFrom.length);
                lo.length += keyFrom.length;
                lo.copyPrefixTo(hi, lo.length);
                lo.putLong(from);
                if (to == Long.MAX_VALUE) {
                    WindowStore.successorOf(hi.copyPrefixTo(tmp(), hi.length), hi);
                } else {
                    hi.grow(hi.length + 8).putLong(to + 1);
                }
            }
            case RANGE -> {
                if (hasFrom) {
                    lo.grow(lo.length + keyFrom.length);
                    System.arraycopy(keyFrom.array, 0, lo.array, lo.length, keyFrom.length);
                    lo.length += keyFrom.length;
                }
                if (hasTo) {
                    hi.grow(hi.length + keyTo.length);
                    System.arraycopy(keyTo.array, 0, hi.array, hi.length, keyTo.length);
                    hi.length += keyTo.length;
                }
                WindowStore.successorOf(hi.copyPrefixTo(tmp(), hi.length), hi);
            }
            default -> WindowStore.successorOf(hi.copyPrefixTo(tmp(), hi.length), hi);
        }
        scan.range(lo, hi, reverse);
    }

    private Scratch tmp;

    private Scratch tmp() {
        if (tmp == null) {
            tmp = new Scratch(64);
        }
        return tmp;
    }

    private boolean inKeyRange(ValueView k, int keyLength) {
        if (hasFrom && compare(k, keyLength, keyFrom) < 0) {
            return false;
        }
        return !hasTo || compare(k, keyLength, keyTo) <= 0;
    }

    private static int compare(ValueView k, int keyLength, Scratch bound) {
        int n = Math.min(keyLength, bound.length);
        for (int i = 0; i < n; i++) {
            int a = k.getByte(WindowStore.KEY_OFFSET + i) & 0xFF;
            int b = bound.array[i] & 0xFF;
            if (a != b) {
                return a - b;
            }
        }
        return Integer.compare(keyLength, bound.length);
    }

    /** Whether the cursor is on a window. */
    public boolean isOnEntry() {
        return onEntry;
    }

    /** The current window's key (a view into the store's key; valid until the next step or write). */
    public ValueView key() {
        requireEntry();
        return keyView;
    }

    /** The current window's value (valid until the next step or write). */
    public ValueView value() {
        requireEntry();
        return scan.value();
    }

    /** The current window's start. */
    public long windowStart() {
        requireEntry();
        return windowStart;
    }

    /** The current window's end (exclusive): start + window size. */
    public long windowEnd() {
        requireEntry();
        return windowStart + windows.options().windowSize();
    }

    private void requireEntry() {
        if (!onEntry) {
            throw new IllegalStateException("window cursor is not on a window: position it and call next()");
        }
    }

    /** The transaction the cursor reads through, or null. */
    Transaction transaction() {
        return tx;
    }

    @Override
    public String toString() {
        return onEntry ? "WindowCursor{windowStart=" + windowStart + ", key=" + keyView + '}' : "WindowCursor{not on a window}";
    }
}
