package io.offstate.engine;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import io.offstate.offheap.StoreClosedException;

/**
 * A bulk restore of a {@link StatePartition}'s stores from a replay of their change log (a Kafka
 * changelog read in order, from {@link StatePartition#beginRestore}): each put or delete goes
 * straight into its store, with no transaction staging and no write-ahead-log record, and the
 * input positions the replay reached become durable only together with a flush of the data they
 * cover.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Replay only.</b> The records must be a replay in order of changes already committed
 *       elsewhere: a put or delete is applied at once and is not atomic with its neighbours. A crash
 *       keeps each store as of its last flush, which may hold records beyond the positions recorded
 *       with it; replaying from those positions again re-applies them, which is harmless for blind
 *       puts and deletes (last writer wins per key).</li>
 *   <li><b>Positions never ahead of data.</b> {@link #positions(byte[])} says which input positions
 *       the records applied <em>so far</em> cover; they reach disk only at a {@link #flush()}, which
 *       first flushes every store changed since the last one with the positions already durable,
 *       then every store with the new ones. After a crash at any instant the partition's
 *       {@link StatePartition#committedPositions()} name positions whose records every store
 *       holds.</li>
 *   <li><b>Flush schedule.</b> {@link #flushIfDue()} flushes once {@code flushEveryRecords} records
 *       were applied since the restore began, then after twice as many each time (a doubling
 *       schedule: a restore of n records flushes O(log n) times, and a crash loses at most about
 *       half of what was read). {@link #close()} flushes what is left.</li>
 *   <li><b>Exclusive.</b> While the restore is open the partition refuses {@link StatePartition#begin()},
 *       {@link StatePartition#flush()}, images and hand-over with {@link IllegalStateException}.
 *       Revoking the partition closes the restore (flushing it, unless the manager crashes).</li>
 *   <li><b>Bad input</b> — a {@code null} store, key, value or positions, a store of another
 *       partition, a key or value over the store's limits, positions over the partition's limit —
 *       throws {@link NullPointerException} or {@link IllegalArgumentException} and changes nothing.
 *       Any call after {@link #close()} throws {@link IllegalStateException}; after the partition was
 *       revoked, {@link StoreClosedException}. A write that exceeds the store's budget throws
 *       {@link io.offstate.offheap.StoreFullException} with that store unchanged by it (earlier
 *       records stay applied).</li>
 * </ol>
 *
 * <h2>Threading and memory</h2>
 * Confined to the partition's owner thread (others get {@link WrongThreadException} from the store).
 * Keys and values are read in place from the caller's buffers and copied into the store; nothing is
 * staged, so the restore holds no memory of its own besides the last positions.
 */
public final class BulkRestore implements AutoCloseable {
    private final StatePartition partition;
    private final KeyValueStore[] stores;
    /** Stores changed since the last flush. */
    private final boolean[] changed;
    private byte[] positions;
    private boolean positionsChanged;
    private long records;
    private long recordsAtLastFlush;
    private long nextFlushAt;
    private long step;
    private long flushes;
    private boolean closed;

    BulkRestore(StatePartition partition, KeyValueStore[] stores, long flushEveryRecords) {
        this.partition = partition;
        this.stores = stores;
        this.changed = new boolean[stores.length];
        this.step = flushEveryRecords;
        this.nextFlushAt = flushEveryRecords;
    }

    /**
     * Sizes {@code store}'s hash index for {@code records} keys up front if the store is empty (a
     * restore from scratch whose record count is known), instead of growing it step by step; best
     * effort: a store with entries, or whose budget would not hold the table, is left as it is.
     * Returns whether it grew the index.
     *
     * @throws NullPointerException     if {@code store} is null
     * @throws IllegalArgumentException if {@code store} is not a store of this partition, or {@code records} is negative
     */
    public boolean expect(KeyValueStore store, long records) {
        int i = indexOf(store);
        if (records < 0) {
            throw new IllegalArgumentException("records to expect must be >= 0, was " + records);
        }
        return stores[i].reserveForRestore(records);
    }

    /** Applies a put of {@code key} → {@code value} to {@code store}. */
    public void put(KeyValueStore store, byte[] key, byte[] value) {
        int i = indexOf(store);
        changed[i] = true; // before: a write that fails half-way on damage must still count
        stores[i].restorePut(key, value);
        records++;
    }

    /** Applies a put of a key and value given as segment ranges to {@code store}. */
    public void put(KeyValueStore store, MemorySegment key, long keyOffset, int keyLength, MemorySegment value,
                    long valueOffset, int valueLength) {
        int i = indexOf(store);
        changed[i] = true; // before: a write that fails half-way on damage must still count
        stores[i].restorePut(key, keyOffset, keyLength, value, valueOffset, valueLength);
        records++;
    }

    /** Applies a delete of {@code key} (a tombstone) to {@code store}. */
    public void delete(KeyValueStore store, byte[] key) {
        int i = indexOf(store);
        changed[i] = true; // before: a write that fails half-way on damage must still count
        stores[i].restoreDelete(key);
        records++;
    }

    /** Applies a delete of the key given as a segment range to {@code store}. */
    public void delete(KeyValueStore store, MemorySegment key, long offset, int length) {
        int i = indexOf(store);
        changed[i] = true; // before: a write that fails half-way on damage must still count
        stores[i].restoreDelete(key, offset, length);
        records++;
    }

    /**
     * Records the input positions the records applied so far cover (copied); durable at the next
     * {@link #flush()}. Call it only after applying every record they cover.
     *
     * @throws NullPointerException     if {@code positions} is null
     * @throws IllegalArgumentException if it exceeds the partition's limit for input positions
     */
    public void positions(byte[] positions) {
        checkOpen();
        Objects.requireNonNull(positions, "positions");
        if (positions.length > PartitionMetadata.MAX_POSITIONS) {
            throw new IllegalArgumentException("input positions of " + positions.length + " bytes exceed the maximum of "
                + PartitionMetadata.MAX_POSITIONS + " bytes (partition " + partition.id() + ")");
        }
        this.positions = positions.clone();
        positionsChanged = true;
    }

    /** Whether {@link #flushIfDue()} would flush now (set the {@link #positions(byte[]) positions} first). */
    public boolean isFlushDue() {
        checkOpen();
        return records >= nextFlushAt;
    }

    /** Flushes ({@link #flush()}) if the schedule says so, and moves the schedule on; returns whether it flushed. */
    public boolean flushIfDue() {
        if (!isFlushDue()) {
            return false;
        }
        flush();
        step = step > Long.MAX_VALUE / 2 ? Long.MAX_VALUE / 2 : step * 2;
        nextFlushAt = records + step;
        return true;
    }

    /**
     * Makes the records applied so far and the last {@link #positions(byte[]) positions} durable:
     * the changed stores with the positions already durable, then every store with the new ones
     * (for one store, one flush). Nothing to do if nothing changed since the last flush.
     *
     * @throws java.io.UncheckedIOException if the log or a store file fails (the last flush stays
     *         valid; the store then refuses further flushes)
     */
    public void flush() {
        checkOpen();
        if (!positionsChanged && records == recordsAtLastFlush) {
            return;
        }
        partition.restoreFlush(changed, positionsChanged ? positions : null);
        java.util.Arrays.fill(changed, false);
        positionsChanged = false;
        recordsAtLastFlush = records;
        flushes++;
    }

    /** Records applied (puts and deletes) since the restore began. */
    public long records() {
        return records;
    }

    /** Flushes this restore did. */
    public long flushes() {
        return flushes;
    }

    /** Whether {@link #close()} was called (or the partition revoked). */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Flushes what is not yet durable ({@link #flush()}) and ends the restore: the partition takes
     * transactions again. Idempotent; the restore ends even if the flush fails (the failure is
     * thrown; the partition keeps its last durable flush).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        partition.checkRestoreCloser();
        try {
            flush();
        } finally {
            closed = true;
            partition.restoreEnded(this);
        }
    }

    /** The partition's revoke: flush unless {@code flush} is false (a crash), then end. */
    void closeForRevoke(boolean flush) {
        if (closed) {
            return;
        }
        try {
            if (flush) {
                flush();
            }
        } finally {
            closed = true;
            partition.restoreEnded(this);
        }
    }

    private int indexOf(KeyValueStore store) {
        checkOpen();
        Objects.requireNonNull(store, "store");
        for (int i = 0; i < stores.length; i++) {
            if (stores[i] == store) {
                return i;
            }
        }
        throw new IllegalArgumentException("store '" + store.name() + "' is not a store of partition " + partition.id()
            + " (restoring " + partition + ")");
    }

    private void checkOpen() {
        if (partition.isRevoked()) {
            throw new StoreClosedException("partition " + partition.id() + " (revoked)");
        }
        if (closed) {
            throw new IllegalStateException("the bulk restore of partition " + partition.id() + " is closed");
        }
    }

    @Override
    public String toString() {
        return "BulkRestore[partition " + partition.id() + ", " + records + " records, " + flushes + " flushes"
            + (closed ? ", closed]" : "]");
    }
}
