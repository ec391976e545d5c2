package io.offstate.engine;

import java.time.Duration;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

import io.offstate.engine.log.WriteAheadLog;
import io.offstate.offheap.StoreClosedException;

/**
 * One assigned partition of a {@link StateManager}: an instance of every defined store, written
 * only through the partition's {@link #begin() transactions}, whose commits are logged to the
 * manager's write-ahead log before they are applied.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Durable commits.</b> {@link Transaction#commit(byte[])} of a transaction from
 *       {@link #begin()} encodes the whole commit (change records and input positions) as one batch
 *       of the log and returns once the log's durability policy is met (fsync every commit: on the
 *       device); only then are the stores changed. After a crash, {@link StateManager#assign} brings
 *       back every commit the log holds, whole: the stores as of their last {@link #flush()}, then
 *       the log replayed from the position that flush recorded.</li>
 *   <li><b>Input positions</b> of the last commit that carried some are {@link #committedPositions()
 *       readable} after a reopen or a crash, exactly matching the data (Kafka Streams'
 *       {@code committedOffset}).</li>
 *   <li><b>Checkpoints.</b> {@link #flush()} writes every store's files with the log position it
 *       covers, which lets the manager delete log segments no partition needs any more. Commits also
 *       flush on their own once the partition's unflushed log passes
 *       {@link StateManagerOptions#flushWhenLogExceeds()} or {@link StateManagerOptions#flushInterval()}
 *       has passed since the last flush.</li>
 *   <li><b>Managed stores.</b> Its {@link #store(String) stores} read as usual, but refuse
 *       {@code put}, {@code delete}, {@code clear}, {@code restore}, {@code flush} and {@code close}
 *       with {@link IllegalStateException}: the partition owns their life cycle.</li>
 *   <li><b>One transaction at a time</b>: {@link #begin()} while an earlier one is still open throws
 *       {@link IllegalStateException}.</li>
 * </ol>
 *
 * <h2>Threading</h2>
 * Like its stores: confined to the thread that assigned it (or was {@link #handOverTo handed} it);
 * others get {@link WrongThreadException}. Different partitions may commit concurrently from
 * different threads: they share the log, and commits that wait for the same fsync share it (group
 * commit). {@link #stats()} and {@link #id()} may be called from any thread.
 *
 * <h2>Memory</h2>
 * The stores' memory is charged to the manager's shared budget; transactions stage their writes
 * off-heap (see {@link Transaction}); the commit encoding buffer is off-heap, reused, freed at revoke.
 */
public final class StatePartition {
    private final StateManager manager;
    private final int id;
    private final KeyValueStore[] stores;
    private final List<KeyValueStore> storeList;
    private final WriteAheadLog log;
    private final CommitLogSink sink;
    private final Transaction.CommitListener listener = this::committed;
    private final long flushWhenLogExceeds;
    private final long flushIntervalNanos;
    private final PartitionRecovery recovery;

    /** Log position of the oldest commit not covered by a flush (Long.MAX_VALUE: none); read by the manager's trim. */
    private volatile long dirtySince;
    private Transaction current;
    /** The open bulk restore, or null. */
    private BulkRestore restoring;
    /** Staging of this partition's transactions, reused from one to the next (made on first begin). */
    private PendingWrites[] pool;
    private byte[] committedPositions;
    private long lastFlushNanos;
    private volatile boolean revoked;

    // Published for stats() from the owner thread.
    private volatile long commits;
    private volatile long flushes;
    private volatile long flushedPosition;
    private volatile long entries;
    private volatile long memoryUsed;

    StatePartition(StateManager manager, int id, KeyValueStore[] stores, WriteAheadLog log, StateManagerOptions options,
                   long flushedPosition, byte[] committedPositions, PartitionRecovery recovery) {
        this.manager = manager;
        this.id = id;
        this.stores = stores;
        this.storeList = Collections.unmodifiableList(Arrays.asList(stores));
        this.log = log;
        this.flushWhenLogExceeds = options.flushWhenLogExceeds();
        this.flushIntervalNanos = options.flushInterval().toNanos();
        this.recovery = recovery;
        this.committedPositions = committedPositions;
        this.flushedPosition = flushedPosition;
        this.dirtySince = Long.MAX_VALUE;
        this.lastFlushNanos = System.nanoTime();
        this.sink = new CommitLogSink(this, log, stores);
        publish();
    }

    /** The partition number. Any thread. */
    public int id() {
        return id;
    }

    /**
     * The instance of store {@code name} in this partition.
     *
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if no store of that name is defined
     * @throws StoreClosedException     if the partition was revoked
     */
    public KeyValueStore store(String name) {
        Objects.requireNonNull(name, "name");
        checkAssigned();
        for (KeyValueStore s : stores) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no store '" + name + "' is defined in the state manager (partition " + id
            + " has " + names() + ")");
    }

    /** Every store of the partition, in definition order (unmodifiable). */
    public List<KeyValueStore> stores() {
        checkAssigned();
        return storeList;
    }

    /**
     * Begins a transaction over all stores of the partition, logged at commit.
     *
     * @throws IllegalStateException if a transaction of this partition is still open
     * @throws StoreClosedException  if the partition was revoked
     * @throws WrongThreadException  if the calling thread does not own the partition
     */
    public Transaction begin() {
        checkAssigned();
        checkNotRestoring("begin a transaction");
        if (current != null && !current.isDone()) {
            throw new IllegalStateException("partition " + id + " already has an open transaction: commit or abort it first");
        }
        if (pool == null || pool[0].isClosed()) {
            pool = Transaction.newPendingPool(stores);
        }
        Transaction tx = Transaction.beginManaged(stores, listener, pool);
        tx.addSink(sink);
        current = tx;
        return tx;
    }

    /**
     * Begins a bulk restore of the partition's stores from a replay of their change log: records
     * go straight into the stores, and the replay's positions become durable only with a flush of
     * the data they cover (see {@link BulkRestore}). Until it is closed the partition takes no
     * transaction.
     *
     * @param flushEveryRecords records after which {@link BulkRestore#flushIfDue()} first flushes
     *                          (then after twice as many each time)
     * @throws IllegalArgumentException if {@code flushEveryRecords} is not positive
     * @throws IllegalStateException    if a transaction or another bulk restore is open
     * @throws StoreClosedException     if the partition was revoked
     * @throws WrongThreadException     if the calling thread does not own the partition
     */
    public BulkRestore beginRestore(long flushEveryRecords) {
        checkAssigned();
        if (flushEveryRecords <= 0) {
            throw new IllegalArgumentException("flushEveryRecords must be positive, was " + flushEveryRecords);
        }
        stores[0].ensureOpen(); // the owner thread
        checkNotRestoring("begin another bulk restore");
        if (current != null && !current.isDone()) {
            throw new IllegalStateException("partition " + id + " has an open transaction: commit or abort it before a bulk restore");
        }
        restoring = new BulkRestore(this, stores, flushEveryRecords);
        return restoring;
    }

    /** The open bulk restore, or null. */
    public BulkRestore openRestore() {
        checkAssigned();
        return restoring;
    }

    /**
     * The input positions of the last commit of this partition that carried some (a copy), or null
     * if none ever did; survives revoke, reopen and crash with the data they belong to.
     *
     * @throws StoreClosedException if the partition was revoked
     */
    public byte[] committedPositions() {
        checkAssigned();
        return committedPositions == null ? null : committedPositions.clone();
    }

    /**
     * Checkpoints the partition: forces the log, then flushes every store with the log position
     * covered, so that the log before it may be deleted. Atomic per store; after a crash between
     * stores each store replays from its own position.
     *
     * @throws IllegalStateException if a transaction is open
     * @throws StoreClosedException  if the partition was revoked
     * @throws WrongThreadException  if the calling thread does not own the partition
     * @throws java.io.UncheckedIOException if the log or a store file fails (the last flush stays valid)
     */
    public void flush() {
        checkAssigned();
        checkNotRestoring("flush");
        if (current != null && !current.isDone()) {
            throw new IllegalStateException("partition " + id + " has an open transaction: commit or abort it before flush");
        }
        flushNow();
    }

    /**
     * Flushes the partition ({@link #flush()}) and takes an image of each of its stores at that one
     * commit, for a checkpoint: full, or (if {@code incremental}) of the chunks changed since each
     * store's last image. See {@link PartitionImage}.
     *
     * @throws IllegalStateException if a transaction is open
     * @throws StoreClosedException  if the partition was revoked
     * @throws WrongThreadException  if the calling thread does not own the partition
     */
    public PartitionImage image(boolean incremental) {
        flush();
        java.util.List<StoreImage> images = new java.util.ArrayList<>();
        try {
            for (KeyValueStore s : stores) {
                images.add(incremental ? s.incrementalImage() : s.image());
            }
        } catch (RuntimeException | Error e) {
            for (StoreImage i : images) {
                i.close();
            }
            throw e;
        }
        return new PartitionImage(id, flushedPosition, manager.epoch(), committedPositions, images);
    }

    /** Flushes if a threshold of {@link StateManagerOptions} is passed; returns whether it flushed. */
    public boolean flushIfDue() {
        checkAssigned();
        if (restoring != null || (current != null && !current.isDone())) {
            return false;
        }
        if (isFlushDue()) {
            flushNow();
            return true;
        }
        return false;
    }

    /**
     * Makes {@code thread} the owner of the partition and its stores (see {@link KeyValueStore#handOverTo}).
     *
     * @throws IllegalStateException if a transaction is open
     * @throws WrongThreadException  if called by another thread while the owner is alive
     */
    public void handOverTo(Thread thread) {
        Objects.requireNonNull(thread, "thread");
        checkAssigned();
        checkNotRestoring("hand the partition over");
        if (current != null && !current.isDone()) {
            throw new IllegalStateException("partition " + id + " has an open transaction: finish it before handing over");
        }
        checkOwnerOrDead();
        for (KeyValueStore s : stores) {
            s.handOverTo(thread); // same owner for all: none refuses after the check
        }
        if (pool != null) {
            for (PendingWrites p : pool) {
                if (!p.isClosed()) {
                    p.handOverTo(thread);
                }
            }
        }
    }

    /** Counters as of the last commit, flush or assign. Any thread. */
    public PartitionStats stats() {
        return new PartitionStats(id, stores.length, entries, memoryUsed, commits, flushes, flushedPosition,
            recovery.took());
    }

    /** What assigning the partition recovered. Any thread. */
    public PartitionRecovery recovery() {
        return recovery;
    }

    /** Whether the partition was revoked (or its manager closed). Any thread. */
    public boolean isRevoked() {
        return revoked;
    }

    @Override
    public String toString() {
        return "StatePartition[" + id + ", stores " + names() + (revoked ? ", revoked]" : "]");
    }

    // ---------------------------------------------------------------- manager and sink side

    /** Called by the sink right before it appends this partition's commit. */
    void beforeAppend() {
        if (dirtySince == Long.MAX_VALUE) {
            // A lower bound of the batch's position: the trim reads the log end before this field.
            dirtySince = log.endPosition();
        }
    }

    long dirtySince() {
        return dirtySince;
    }

    private void committed(byte[] positions) {
        if (positions != null) {
            committedPositions = positions;
        }
        commits++;
        if (isFlushDue()) {
            try {
                flushNow();
            } catch (RuntimeException e) {
                // The commit is durable in the log: a checkpoint that failed must not make it look
                // failed. The next commit tries again, an explicit flush() throws.
                publish();
            }
        } else {
            publish();
        }
    }

    private boolean isFlushDue() {
        long since = dirtySince;
        if (since == Long.MAX_VALUE) {
            return false;
        }
        if (log.endPosition() - since >= flushWhenLogExceeds) {
            return true;
        }
        return flushIntervalNanos > 0 && System.nanoTime() - lastFlushNanos >= flushIntervalNanos;
    }

    private void flushNow() {
        // The durable end, not the written end: a store must never record a position the log
        // could lose in a crash (it would then look ahead of the log).
        long position = log.force();
        byte[] metadata = new PartitionMetadata(position, manager.epoch(), committedPositions).encode();
        for (KeyValueStore s : stores) {
            s.flushManaged(metadata);
        }
        dirtySince = Long.MAX_VALUE;
        flushedPosition = position;
        flushes++;
        lastFlushNanos = System.nanoTime();
        manager.flushed(this, position);
        publish();
    }

    /**
     * A bulk restore's flush: forces the log (for the durable position), flushes the stores that
     * changed with the positions already durable, then every store with {@code newPositions}
     * (null: unchanged), so that a crash between stores never leaves one store's positions ahead
     * of another store's data. With one store, one flush.
     */
    void restoreFlush(boolean[] changed, byte[] newPositions) {
        long position = log.force();
        byte[] next = newPositions != null ? newPositions : committedPositions;
        if (stores.length > 1 && newPositions != null) {
            byte[] before = new PartitionMetadata(position, manager.epoch(), committedPositions).encode();
            for (int i = 0; i < stores.length; i++) {
                if (changed[i]) {
                    stores[i].flushManaged(before);
                }
            }
        }
        byte[] metadata = new PartitionMetadata(position, manager.epoch(), next).encode();
        for (KeyValueStore s : stores) {
            s.flushManaged(metadata);
        }
        committedPositions = next;
        dirtySince = Long.MAX_VALUE;
        flushedPosition = position;
        flushes++;
        lastFlushNanos = System.nanoTime();
        manager.flushed(this, position);
        publish();
    }

    void restoreEnded(BulkRestore r) {
        if (restoring == r) {
            restoring = null;
        }
        publish();
    }

    void checkRestoreCloser() {
        if (!revoked) {
            stores[0].ensureOpen();
        }
    }

    private void checkNotRestoring(String what) {
        if (restoring != null) {
            throw new IllegalStateException("partition " + id + " has an open bulk restore: close it before you " + what);
        }
    }

    private void publish() {
        long e = 0;
        long m = 0;
        for (KeyValueStore s : stores) {
            e += s.size();
            m += s.memoryUsed();
        }
        entries = e;
        memoryUsed = m;
    }

    /**
     * Revoke: aborts an open transaction, flushes (unless {@code flush} is false), closes the
     * stores and frees the sink. Closes everything even when something fails; rethrows the first
     * failure with the others suppressed.
     */
    void closeForManager(boolean flush) {
        if (revoked) {
            return;
        }
        RuntimeException failure = null;
        if (restoring != null) {
            try {
                restoring.closeForRevoke(flush); // its positions become durable with its data
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        revoked = true;
        if (current != null && !current.isDone()) {
            try {
                current.abort();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        byte[] metadata = null;
        if (flush && failure == null) {
            try {
                long position = log.force();
                metadata = new PartitionMetadata(position, manager.epoch(), committedPositions).encode();
                flushedPosition = position;
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        for (KeyValueStore s : stores) {
            try {
                if (metadata != null) {
                    s.closeManaged(metadata);
                } else {
                    s.closeManagedWithoutFlush();
                }
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
                try {
                    s.closeManagedWithoutFlush();
                } catch (RuntimeException again) {
                    failure.addSuppressed(again);
                }
            }
        }
        if (pool != null) {
            for (PendingWrites p : pool) {
                try {
                    p.close();
                } catch (RuntimeException e) {
                    failure = add(failure, e);
                }
            }
            pool = null;
        }
        sink.close();
        if (failure != null) {
            throw failure;
        }
    }

    /** Checks, before anything changes, that the calling thread may close this partition. */
    void checkClosableByCurrentThread() {
        checkOwnerOrDead();
    }

    private void checkOwnerOrDead() {
        Thread owner = stores[0].owner();
        if (owner != Thread.currentThread() && owner.isAlive()) {
            throw new WrongThreadException("partition " + id + " is owned by thread '" + owner.getName()
                + "': use it, revoke it or close its manager from that thread, or hand it over first (handOverTo)");
        }
    }

    Duration took() {
        return recovery.took();
    }

    long commitsForStats() {
        return commits;
    }

    private static RuntimeException add(RuntimeException failure, RuntimeException e) {
        if (failure == null) {
            return e;
        }
        failure.addSuppressed(e);
        return failure;
    }

    private void checkAssigned() {
        if (revoked) {
            throw new StoreClosedException("partition " + id + " (revoked)");
        }
    }

    private String names() {
        StringBuilder b = new StringBuilder("[");
        for (int i = 0; i < stores.length; i++) {
            b.append(i == 0 ? "" : ", ").append(stores[i].name());
        }
        return b.append(']').toString();
    }
}
