package io.offstate.engine.time;

import java.util.ConcurrentModificationException;

import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

/**
 * A reusable cursor over the <b>live</b> entries of a {@link TtlStore} in unsigned lexicographic
 * order of the user keys, forward or reverse, through a transaction or on the committed state.
 * Entries that are expired (expiry {@code <=} stream time as the scan's transaction sees it at
 * positioning) but not swept yet are stepped over, never returned. Get one from
 * {@link TtlStore#cursor()} and reuse it.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>Positioning ({@link #range}, {@link #rangeReverse}, {@link #prefix}, {@link #prefixReverse})
 *       places the cursor before the first result; {@link #next()} steps onto it. Ranges include
 *       {@code from} and exclude {@code to}; {@code null} leaves that end open; bounds are copied.</li>
 *   <li>{@link #key()} and {@link #value()} are this cursor's two views, re-pointed at the current
 *       entry's user key and user value: zero-copy slices of the backing entry, valid until the next
 *       step or write. {@link #expiry()} is the entry's expiry.</li>
 *   <li>A write after positioning — to the store, or through the {@link TtlStore} in any
 *       transaction for a cursor positioned through one (a put, delete, advance or sweep, which may
 *       remove entries) — makes the next step or read throw
 *       {@link java.util.ConcurrentModificationException}; position again. A cursor positioned
 *       through a transaction throws {@link IllegalStateException} once it ended.</li>
 *   <li>Positioning and stepping allocate nothing, beyond one transaction cursor for each new
 *       transaction and bound buffers that grow to the longest bound met.</li>
 *   <li>A {@code null} prefix throws {@link NullPointerException}; a bound or prefix over
 *       {@link TtlStore#MAX_KEY_LENGTH} bytes {@link IllegalArgumentException}.</li>
 * </ol>
 *
 * <p>Threading: not thread-safe; confined to the store's thread.
 */
public final class TtlCursor {
    private final TtlStore owner;
    private final TimeScan scan;
    private final Scratch from = new Scratch(64);
    private final Scratch to = new Scratch(64);
    private final ValueView key = new ValueView();
    private final ValueView value = new ValueView();
    private long streamTime;
    private long expiry = -1;
    private boolean onEntry;
    /** The owner's write count at positioning, or -1 for a scan of committed state (its own cursor fails fast). */
    private long writesAtStart = -1;

    TtlCursor(TtlStore owner, TimeScan scan) {
        this.owner = owner;
        this.scan = scan;
    }

    /** Live entries with user keys in {@code [fromInclusive, toExclusive)}, ascending, as {@code tx} sees them ({@code null}: committed). */
    public TtlCursor range(Transaction tx, byte[] fromInclusive, byte[] toExclusive) {
        return position(tx, fromInclusive, toExclusive, false);
    }

    /** As {@link #range}, descending. */
    public TtlCursor rangeReverse(Transaction tx, byte[] fromInclusive, byte[] toExclusive) {
        return position(tx, fromInclusive, toExclusive, true);
    }

    /** Live entries whose user key starts with {@code prefix}, ascending. */
    public TtlCursor prefix(Transaction tx, byte[] prefix) {
        return positionPrefix(tx, prefix, false);
    }

    /** As {@link #prefix}, descending. */
    public TtlCursor prefixReverse(Transaction tx, byte[] prefix) {
        return positionPrefix(tx, prefix, true);
    }

    /** Steps to the next live entry; false at the end. */
    public boolean next() {
        checkNoWrite();
        while (scan.next()) {
            ValueView v = scan.value();
            long e = TtlLayout.getLong(v, TtlLayout.VALUE_EXPIRY_OFFSET);
            if (e > streamTime) {
                ValueView k = scan.key();
                key.wrapSlice(k, TtlLayout.DATA_USER_KEY_OFFSET, k.length() - TtlLayout.DATA_USER_KEY_OFFSET);
                value.wrapSlice(v, TtlLayout.VALUE_OFFSET, v.length() - TtlLayout.VALUE_OFFSET);
                expiry = e;
                onEntry = true;
                return true;
            }
            owner.stats().expiredSkipped++;
        }
        onEntry = false;
        expiry = -1;
        return false;
    }

    /** The user key of the current entry. */
    public ValueView key() {
        checkOnEntry();
        return key;
    }

    /** The user value of the current entry. */
    public ValueView value() {
        checkOnEntry();
        return value;
    }

    /** The expiry of the current entry. */
    public long expiry() {
        checkOnEntry();
        return expiry;
    }

    private void checkNoWrite() {
        if (writesAtStart >= 0 && owner.writes != writesAtStart) {
            onEntry = false;
            throw new ConcurrentModificationException("TTL store '" + owner.store().name()
                + "' was written after this cursor was positioned; position it again");
        }
    }

    private void checkOnEntry() {
        checkNoWrite();
        if (!onEntry) {
            throw new IllegalStateException("TTL cursor is not on an entry: position it and call next() first");
        }
    }

    private TtlCursor position(Transaction tx, byte[] fromKey, byte[] toKey, boolean reverse) {
        if (fromKey != null) {
            TimeKeys.checkKey(fromKey, TtlLayout.PREFIX_LENGTH, "from");
        }
        if (toKey != null) {
            TimeKeys.checkKey(toKey, TtlLayout.PREFIX_LENGTH, "to");
        }
        from.reset(TtlLayout.PREFIX_LENGTH + (fromKey == null ? 0 : fromKey.length)).putByte(TtlLayout.DATA_PREFIX);
        if (fromKey != null) {
            from.putBytes(fromKey);
        }
        if (toKey == null) {
            to.reset(TtlLayout.PREFIX_LENGTH).putByte(TtlLayout.INDEX_PREFIX);
        } else {
            to.reset(TtlLayout.PREFIX_LENGTH + toKey.length).putByte(TtlLayout.DATA_PREFIX).putBytes(toKey);
        }
        return start(tx, reverse);
    }

    private TtlCursor positionPrefix(Transaction tx, byte[] prefix, boolean reverse) {
        TimeKeys.checkKey(prefix, TtlLayout.PREFIX_LENGTH, "prefix");
        from.reset(TtlLayout.PREFIX_LENGTH + prefix.length).putByte(TtlLayout.DATA_PREFIX).putBytes(prefix);
        Scratch.successorOf(from, to); // the data prefix byte is never 0xFF: ends at or before the index prefix
        return start(tx, reverse);
    }

    private TtlCursor start(Transaction tx, boolean reverse) {
        streamTime = owner.streamTime(tx);
        writesAtStart = tx == null ? -1 : owner.writes;
        scan.bind(tx).range(from, to, reverse);
        onEntry = false;
        expiry = -1;
        return this;
    }
}
