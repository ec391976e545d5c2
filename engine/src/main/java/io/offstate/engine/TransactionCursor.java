package io.offstate.engine;

import java.lang.foreign.MemorySegment;

/**
 * An ordered read of one sorted store <em>through</em> a {@link Transaction}: the store's committed
 * entries merged with the transaction's pending writes, in unsigned lexicographic key order,
 * forward or reverse. A pending put shows its new value (also for a key the store has); a pending
 * delete hides the key. Get one from {@link Transaction#cursor(KeyValueStore)} and reuse it.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>Positioning ({@link #range}, {@link #rangeReverse}, {@link #prefix}, {@link #prefixReverse})
 *       follows {@link Cursor}: before the first result, {@link #next()} steps onto it; ranges
 *       include {@code from} and exclude {@code to}, {@code null} is open.</li>
 *   <li>{@link #key()} and {@link #value()} are this cursor's two views, re-pointed at the current
 *       entry: zero-copy into the store's or the pending memory, valid until the next step or write.</li>
 *   <li>A write to the store or inside the transaction after positioning makes the next step throw
 *       {@link java.util.ConcurrentModificationException}; position again. After the transaction
 *       ended, every call throws {@link IllegalStateException}.</li>
 *   <li>Positioning and stepping allocate nothing beyond what {@link Cursor} does (bounds are copied).</li>
 * </ol>
 *
 * <p>Threading: confined to the transaction's thread.
 */
public final class TransactionCursor {
    private final Transaction transaction;
    private final Cursor committed;
    private final Cursor pending;
    private final KeyValueStore staging;
    private final KeyValueStore store;
    private final ValueView key = new ValueView();
    private final ValueView value = new ValueView();
    private boolean reverse;
    private boolean positioned;
    private boolean stepCommitted;
    private boolean stepPending;
    private boolean hasCommitted;
    private boolean hasPending;
    private boolean onEntry;
    private long stagingVersion;
    private long storeVersion;

    TransactionCursor(Transaction transaction, KeyValueStore store, PendingWrites writes) {
        this.transaction = transaction;
        this.committed = store.cursor();
        this.pending = writes.cursor();
        this.staging = writes.staging;
        this.store = store;
    }

    /** Keys in {@code [fromInclusive, toExclusive)}, ascending. */
    public TransactionCursor range(byte[] fromInclusive, byte[] toExclusive) {
        transaction.ensureActive();
        committed.range(fromInclusive, toExclusive);
        pending.range(fromInclusive, toExclusive);
        return start(false);
    }

    /** Keys in {@code [fromInclusive, toExclusive)}, descending. */
    public TransactionCursor rangeReverse(byte[] fromInclusive, byte[] toExclusive) {
        transaction.ensureActive();
        committed.rangeReverse(fromInclusive, toExclusive);
        pending.rangeReverse(fromInclusive, toExclusive);
        return start(true);
    }

    /** As {@link Cursor#range(byte[], int, byte[], int)}: bounds are array prefixes, copied. */
    public TransactionCursor range(byte[] from, int fromLength, byte[] to, int toLength) {
        transaction.ensureActive();
        committed.range(from, fromLength, to, toLength);
        pending.range(from, fromLength, to, toLength);
        return start(false);
    }

    /** As {@link Cursor#rangeReverse(byte[], int, byte[], int)}: bounds are array prefixes, copied. */
    public TransactionCursor rangeReverse(byte[] from, int fromLength, byte[] to, int toLength) {
        transaction.ensureActive();
        committed.rangeReverse(from, fromLength, to, toLength);
        pending.rangeReverse(from, fromLength, to, toLength);
        return start(true);
    }

    /** Keys starting with {@code prefix}, ascending. */
    public TransactionCursor prefix(byte[] prefix) {
        transaction.ensureActive();
        committed.prefix(prefix);
        pending.prefix(prefix);
        return start(false);
    }

    /** Keys starting with {@code prefix}, descending. */
    public TransactionCursor prefixReverse(byte[] prefix) {
        transaction.ensureActive();
        committed.prefixReverse(prefix);
        pending.prefixReverse(prefix);
        return start(true);
    }

    private TransactionCursor start(boolean reverse) {
        this.reverse = reverse;
        stagingVersion = staging.version();
        storeVersion = store.version();
        positioned = true;
        stepCommitted = true;
        stepPending = true;
        onEntry = false;
        return this;
    }

    /** Steps to the next visible entry; false at the end. */
    public boolean next() {
        transaction.ensureActive();
        if (!positioned) {
            throw new IllegalStateException("transaction cursor is not positioned: call range, rangeReverse, prefix or prefixReverse first");
        }
        // each side checks its own store only while it still steps; an exhausted side would miss a write
        if (staging.version() != stagingVersion || store.version() != storeVersion) {
            positioned = false;
            onEntry = false;
            throw new java.util.ConcurrentModificationException("store '" + store.name()
                + "' or the transaction's pending writes changed since the cursor was positioned: position it again");
        }
        while (true) {
            if (stepCommitted) {
                hasCommitted = committed.next();
                stepCommitted = false;
            }
            if (stepPending) {
                hasPending = pending.next();
                stepPending = false;
            }
            if (!hasCommitted && !hasPending) {
                onEntry = false;
                positioned = false;
                return false;
            }
            int order;
            if (!hasCommitted) {
                order = 1;
            } else if (!hasPending) {
                order = -1;
            } else {
                order = compare(committed.key(), pending.key());
                if (reverse) {
                    order = -order;
                }
            }
            if (order < 0) {
                stepCommitted = true;
                ValueView k = committed.key();
                ValueView v = committed.value();
                key.set(store, store.version(), k.memory(), k.offset(), k.length());
                value.set(store, store.version(), v.memory(), v.offset(), v.length());
                onEntry = true;
                return true;
            }
            stepPending = true;
            if (order == 0) {
                stepCommitted = true; // the pending write shadows the committed entry
            }
            ValueView record = pending.value();
            if (record.getByte(PendingDescriptor.KIND_OFFSET) == PendingDescriptor.DELETE) {
                continue;
            }
            ValueView k = pending.key();
            key.set(staging, staging.version(), k.memory(), k.offset(), k.length());
            value.set(staging, staging.version(), record.memory(), record.offset() + PendingDescriptor.HEADER_LENGTH,
                record.length() - PendingDescriptor.HEADER_LENGTH);
            onEntry = true;
            return true;
        }
    }

    /** Whether the cursor is on an entry. */
    public boolean isOnEntry() {
        return onEntry && !transaction.isDone();
    }

    /** The current key (valid until the next step or write). */
    public ValueView key() {
        requireEntry();
        return key;
    }

    /** The current value (valid until the next step or write). */
    public ValueView value() {
        requireEntry();
        return value;
    }

    private void requireEntry() {
        transaction.ensureActive();
        if (!onEntry) {
            throw new IllegalStateException("transaction cursor is not on an entry");
        }
    }

    /** Unsigned lexicographic comparison of two views, a shorter prefix first. */
    static int compare(ValueView a, ValueView b) {
        MemorySegment am = a.memory();
        MemorySegment bm = b.memory();
        long ao = a.offset();
        long bo = b.offset();
        int al = a.length();
        int bl = b.length();
        long m = MemorySegment.mismatch(am, ao, ao + al, bm, bo, bo + bl);
        if (m < 0) {
            return 0;
        }
        if (m == al) {
            return -1;
        }
        if (m == bl) {
            return 1;
        }
        return Integer.compare(am.get(java.lang.foreign.ValueLayout.JAVA_BYTE, ao + m) & 0xFF,
            bm.get(java.lang.foreign.ValueLayout.JAVA_BYTE, bo + m) & 0xFF);
    }
}
