package io.offstate.engine;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.StoreClosedException;

/**
 * An all-or-nothing batch of writes to one store or to several stores together (the stores of one
 * partition), with reads that see the batch's own writes.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Read your writes.</b> Inside the transaction, {@link #get}, {@link #contains} and
 *       {@link #cursor(KeyValueStore) cursors} see the committed state of the store overlaid with
 *       the transaction's pending writes: a pending put shows its value, a pending delete hides the
 *       key. Outside it, the stores show committed state only: nothing pending reaches a store
 *       before {@link #commit(byte[]) commit}.</li>
 *   <li><b>Commit</b> applies every pending write to every store, or none. In order: the stores
 *       are checked open and writable; the worst-case memory each store needs for its part of the
 *       batch is checked against its budget (an upper bound: every put counted as a new entry,
 *       every put of an absent key as an insert into each index, hash growths whole, deletes as
 *       freeing nothing — so a batch close to the budget may be refused although it would just
 *       fit); every registered {@link ChangeSink} receives the change records; only then are they
 *       applied through the store's one write path. A {@link io.offstate.offheap.StoreFullException}
 *       from the plan, a refusing sink or a closed store make the commit throw with every store
 *       exactly as before, and the transaction stays open (retry, or {@link #abort()}). Known limit: a
 *       failure <em>while applying</em> — only damage found in a store's memory or files can cause
 *       one once the plan passed, and such a store then refuses every change until restored — is
 *       not rolled back: earlier stores or keys may be applied; the transaction is then failed
 *       ({@link #isDone()}), every sink is told {@link ChangeSink#aborted()}, and the exception
 *       propagates.</li>
 *   <li><b>Change records</b> of a commit are ordered by store (in the order given to
 *       {@link #begin}), then by key (unsigned lexicographic); one record per key written (the last
 *       write to a key within the transaction wins and keeps one pending entry). A delete of a key
 *       that was not visible records nothing. Each record carries the record timestamp given with
 *       the write ({@link #put(KeyValueStore, byte[], byte[], long)}) or the transaction's
 *       {@link #recordTimestamp(long) default}.</li>
 *   <li><b>Input positions.</b> {@link #commit(byte[]) commit(positions)} carries the caller's
 *       opaque bytes (e.g. encoded topic-partition → offset pairs); after the commit they are
 *       {@link #committedPositions(KeyValueStore) readable from every store} of the transaction.
 *       For a transaction of one's own stores they live in memory only (pass them to
 *       {@link KeyValueStore#flush(byte[])} to keep them); a {@link StatePartition}'s transactions
 *       log them with the data, and {@link StatePartition#committedPositions()} reads them back after
 *       a reopen or a crash.</li>
 *   <li><b>Used once</b>, unless {@link #reusable reusable}. After {@link #commit}, {@link #abort()}
 *       or {@link #close()}, every method but {@code close}, {@link #isDone()} and (for a reusable
 *       one) {@link #restart()} throws {@link IllegalStateException} saying which happened.
 *       {@code close()} without a commit aborts.</li>
 *   <li><b>Reusable transactions</b> ({@link #reusable}) keep their staging memory, cursors and
 *       registered sinks from one {@link #restart()} to the next, so a loop of begin/write/commit
 *       allocates nothing per round; {@link #close()} frees the staging memory, after which
 *       {@code restart} throws.</li>
 *   <li><b>Managed stores</b> — those of a {@link StatePartition} — take part only in the
 *       partition's own, logged transactions ({@link StatePartition#begin()}); {@code begin} with
 *       one throws {@link IllegalStateException}.</li>
 *   <li><b>Bad input</b> — a {@code null} key, value or store, a key over
 *       {@link KeyValueStore#MAX_KEY_LENGTH}, a value over {@link #MAX_VALUE_LENGTH}, a store not
 *       part of the transaction — throws {@link NullPointerException} or
 *       {@link IllegalArgumentException}; a closed store {@link StoreClosedException}. Nothing
 *       changes.</li>
 *   <li><b>No allocation</b> on get, contains, put and delete with {@code byte[]} or segment keys
 *       (beyond growing the scratch buffer to the largest key plus value met).</li>
 * </ol>
 *
 * <h2>Memory</h2>
 * Pending writes are off-heap, in one staging store with a sorted index per store of the
 * transaction (see {@link PendingWrites}), each with its own budget equal to its store's budget:
 * pending writes are <em>not</em> charged to the store's budget, but they are charged to its
 * {@link StoreOptions#sharedBudget() shared budget} if it has one. They are freed at commit, abort
 * or close; a {@link StatePartition}'s transactions and {@link #reusable reusable} ones instead empty
 * and reuse one staging store per store from one transaction to the next (building one costs more
 * than a small commit: about 17 KB of heap and a fresh off-heap page). A get of
 * a key the transaction never wrote skips the staging lookup through a small filter of staged keys. Views returned for pending values are valid until the next write in the transaction.
 *
 * <h2>Threading</h2>
 * Confined to the thread that began it, which must own every store (stores throw
 * {@link WrongThreadException} from other threads, and so does the transaction).
 *
 * <pre>{@code
 * try (Transaction tx = Transaction.begin(counts, totals)) {
 *     tx.put(counts, key, value);
 *     tx.delete(totals, otherKey);
 *     tx.commit(positions);                    // all or nothing
 * }
 * }</pre>
 */
public final class Transaction implements AutoCloseable {
    /** Largest value a transaction can stage: {@link KeyValueStore#MAX_VALUE_LENGTH} less the pending record header. */
    public static final int MAX_VALUE_LENGTH = KeyValueStore.MAX_VALUE_LENGTH - PendingDescriptor.HEADER_LENGTH;

    private enum State { ACTIVE, COMMITTED, ABORTED, FAILED }

    private volatile Thread owner;
    private final KeyValueStore[] stores;
    private final PendingWrites[] pending;
    private final List<ChangeSink> sinks = new ArrayList<>();
    private final ChangeRecord record = new ChangeRecord();
    private final ByteSource keySource = new ByteSource();
    private final ByteSource valueSource = new ByteSource();
    private final int[][] sizes = {new int[64]};
    private Cursor[] planCursors;
    private final CommitListener listener;
    /** Whether {@link #pending} is emptied at the end, not closed: a partition's pool, or {@link #reusable}. */
    private final boolean pooled;
    /** Whether this transaction owns {@link #pending} and may {@link #restart()}: {@link #reusable}. */
    private final boolean reusable;
    /** A reusable transaction's staging memory was freed by {@link #close()}. */
    private boolean closed;
    /** Rounds begun: 0 at begin, +1 per {@link #restart()}. */
    private long generation;
    /** The positions of the commit, kept for the listener. */
    private byte[] committedCopy;
    private long recordTimestamp;
    private State state = State.ACTIVE;

    /** A partition's transaction over its reused pending writes (emptied, not closed, at the end). */
    private Transaction(KeyValueStore[] stores, CommitListener listener, PendingWrites[] pooled) {
        this.owner = Thread.currentThread();
        this.stores = stores;
        this.listener = listener;
        this.pending = pooled;
        this.pooled = true;
        this.reusable = false;
    }

    private Transaction(KeyValueStore[] stores, boolean reusable) {
        this.owner = Thread.currentThread();
        this.stores = stores;
        this.listener = null;
        this.pooled = reusable;
        this.reusable = reusable;
        this.pending = newPendingPool(stores);
    }

    /**
     * Begins a transaction over {@code stores} (at least one, distinct, open, owned by this thread).
     *
     * @throws NullPointerException     if {@code stores} or one of them is null
     * @throws IllegalArgumentException if none is given or one is given twice
     * @throws StoreClosedException     if one is closed
     * @throws WrongThreadException     if this thread does not own one
     * @throws IllegalStateException    if one belongs to a {@link StatePartition} (use {@link StatePartition#begin()})
     */
    public static Transaction begin(KeyValueStore... stores) {
        return new Transaction(unmanaged(checkedStores(stores)), false);
    }

    /**
     * Begins a transaction over {@code stores} (as {@link #begin(KeyValueStore...)}) that can be
     * {@link #restart() begun again} once it has ended, keeping its staging memory, cursors and
     * sinks: the form for a loop that commits often (a poll batch at a time), where it makes begin
     * and commit allocate nothing. {@link #close()} frees it for good.
     *
     * <pre>{@code
     * try (Transaction tx = Transaction.reusable(store)) {
     *     while (running) {
     *         for (Record r : poll()) tx.put(store, r.key(), r.value());
     *         tx.commit(positions);
     *         tx.restart();
     *     }
     * }
     * }</pre>
     *
     * @throws NullPointerException     if {@code stores} or one of them is null
     * @throws IllegalArgumentException if none is given or one is given twice
     * @throws StoreClosedException     if one is closed
     * @throws WrongThreadException     if this thread does not own one
     * @throws IllegalStateException    if one belongs to a {@link StatePartition}
     */
    public static Transaction reusable(KeyValueStore... stores) {
        return new Transaction(unmanaged(checkedStores(stores)), true);
    }

    private static KeyValueStore[] unmanaged(KeyValueStore[] stores) {
        for (KeyValueStore s : stores) {
            if (s.isManaged()) {
                throw new IllegalStateException("store '" + s.name() + "' belongs to partition " + s.partition()
                    + " of a state manager: begin its transactions with StatePartition.begin(), which logs them");
            }
        }
        return stores;
    }

    /**
     * Begins a {@link #reusable} transaction again after it was committed or aborted: empty, over
     * the same stores, with the same sinks, on the same staging memory. Returns this transaction.
     *
     * @throws IllegalStateException if the transaction is not reusable, still active, or closed
     * @throws StoreClosedException  if one of its stores was closed (the transaction stays ended)
     * @throws WrongThreadException  if called from another thread than the one that created it
     */
    public Transaction restart() {
        ensureOwner();
        if (!reusable) {
            throw new IllegalStateException("transaction is not reusable (Transaction.begin); begin a new one, "
                + "or create it with Transaction.reusable to restart it");
        }
        if (closed) {
            throw new IllegalStateException("reusable transaction was closed, its staging memory freed; create a new one");
        }
        if (state == State.ACTIVE) {
            throw new IllegalStateException("transaction is still active: commit or abort it before restart()");
        }
        for (KeyValueStore s : stores) {
            s.ensureOpen();
        }
        committedCopy = null;
        recordTimestamp = 0;
        generation++;
        state = State.ACTIVE;
        return this;
    }

    /**
     * Which round of this transaction is running: 0 after begin, one more after each
     * {@link #restart()}. Together with the transaction's identity it tells one round of a reusable
     * transaction from the next, for a caller that caches what it read through the transaction (an
     * aborted round's writes are gone in the next). Any thread; never throws.
     */
    public long generation() {
        return generation;
    }

    /**
     * A transaction over managed stores (a partition's), with {@code listener} told of each
     * successful commit, staging into {@code pool} (one empty {@link #newPendingPool pending set}
     * per store, in order), which it empties when it ends and never closes.
     */
    static Transaction beginManaged(KeyValueStore[] stores, CommitListener listener, PendingWrites[] pool) {
        return new Transaction(checkedStores(stores), listener, pool);
    }

    /** A set of pending writes for {@link #beginManaged}: one per store; the caller closes them. */
    static PendingWrites[] newPendingPool(KeyValueStore[] stores) {
        PendingWrites[] pool = new PendingWrites[stores.length];
        try {
            for (int i = 0; i < stores.length; i++) {
                pool[i] = new PendingWrites(stores[i]);
            }
        } catch (RuntimeException e) {
            for (PendingWrites p : pool) {
                if (p != null) {
                    p.close();
                }
            }
            throw e;
        }
        return pool;
    }

    private static KeyValueStore[] checkedStores(KeyValueStore[] stores) {
        Objects.requireNonNull(stores, "stores");
        if (stores.length == 0) {
            throw new IllegalArgumentException("a transaction needs at least one store");
        }
        KeyValueStore[] copy = stores.clone();
        for (int i = 0; i < copy.length; i++) {
            Objects.requireNonNull(copy[i], "stores[" + i + "]");
            copy[i].ensureOpen();
            for (int j = 0; j < i; j++) {
                if (copy[j] == copy[i]) {
                    throw new IllegalArgumentException("store '" + copy[i].name() + "' is given twice");
                }
            }
        }
        return copy;
    }

    /** Told after a commit was applied to every store (the partition's bookkeeping). */
    interface CommitListener {
        /** {@code positions} is the transaction's own copy (null: none), which the listener may keep. */
        void committed(byte[] positions);
    }

    /** As {@link #begin(KeyValueStore...)} with a list. */
    public static Transaction begin(List<KeyValueStore> stores) {
        Objects.requireNonNull(stores, "stores");
        return begin(stores.toArray(new KeyValueStore[0]));
    }

    /**
     * The input positions the last transaction committed to {@code store} carried (a copy), or
     * null if none did since the store was opened (in memory only; see
     * {@link StatePartition#committedPositions()} for positions that survive a reopen).
     *
     * @throws StoreClosedException if the store is closed
     */
    public static byte[] committedPositions(KeyValueStore store) {
        Objects.requireNonNull(store, "store");
        store.ensureOpen();
        byte[] p = store.committedPositions();
        return p == null ? null : p.clone();
    }

    /** Registers {@code sink} to receive this transaction's change records at commit (before they are applied). */
    public Transaction addSink(ChangeSink sink) {
        ensureActive();
        sinks.add(Objects.requireNonNull(sink, "sink"));
        return this;
    }

    /** Sets the record timestamp of writes that give none (initially 0). */
    public Transaction recordTimestamp(long timestamp) {
        ensureActive();
        this.recordTimestamp = timestamp;
        return this;
    }

    /** The stores of this transaction, in the order given. */
    public List<KeyValueStore> stores() {
        return List.of(stores);
    }

    // ---------------------------------------------------------------- reads

    /** Looks {@code key} up as this transaction sees it; points {@code view} at the value (no copy). */
    public boolean get(KeyValueStore store, byte[] key, ValueView view) {
        PendingWrites p = pendingOf(store);
        checkKey(store, key);
        Objects.requireNonNull(view, "view");
        byte kind = p.lookup(key, view);
        if (kind == PendingDescriptor.ABSENT) {
            return store.get(key, view);
        }
        if (kind == PendingDescriptor.DELETE) {
            view.clear();
            return false;
        }
        return true;
    }

    /** As {@link #get(KeyValueStore, byte[], ValueView)} with the key being all of {@code key}. */
    public boolean get(KeyValueStore store, MemorySegment key, ValueView view) {
        PendingWrites p = pendingOf(store);
        checkKey(store, key);
        Objects.requireNonNull(view, "view");
        byte kind = p.lookup(key, view);
        if (kind == PendingDescriptor.ABSENT) {
            return store.get(key, view);
        }
        if (kind == PendingDescriptor.DELETE) {
            view.clear();
            return false;
        }
        return true;
    }

    /**
     * As {@link #get(KeyValueStore, byte[], ValueView)} with the key being {@code length} bytes of
     * {@code key} at {@code offset}: lets a caller build composite keys in its own scratch memory.
     */
    public boolean get(KeyValueStore store, MemorySegment key, long offset, int length, ValueView view) {
        PendingWrites p = pendingOf(store);
        checkKey(store, key, offset, length);
        Objects.requireNonNull(view, "view");
        byte kind = p.lookup(key, offset, length, view);
        if (kind == PendingDescriptor.ABSENT) {
            return store.get(key, offset, length, view);
        }
        if (kind == PendingDescriptor.DELETE) {
            view.clear();
            return false;
        }
        return true;
    }

    /** A copy of the value of {@code key} as this transaction sees it, or null. Allocates. */
    public byte[] getCopy(KeyValueStore store, byte[] key) {
        ValueView v = new ValueView();
        return get(store, key, v) ? v.toByteArray() : null;
    }

    /** Whether {@code key} is present as this transaction sees it. */
    public boolean contains(KeyValueStore store, byte[] key) {
        PendingWrites p = pendingOf(store);
        checkKey(store, key);
        byte kind = p.lookup(key, null);
        return kind == PendingDescriptor.ABSENT ? store.contains(key) : kind == PendingDescriptor.PUT;
    }

    /** Whether {@code key} is present as this transaction sees it. */
    public boolean contains(KeyValueStore store, MemorySegment key) {
        PendingWrites p = pendingOf(store);
        checkKey(store, key);
        byte kind = p.lookup(key, null);
        return kind == PendingDescriptor.ABSENT ? store.contains(key) : kind == PendingDescriptor.PUT;
    }

    /**
     * A new cursor over {@code store} as this transaction sees it (see {@link TransactionCursor}).
     *
     * @throws UnsupportedOperationException if the store has no sorted index
     */
    public TransactionCursor cursor(KeyValueStore store) {
        PendingWrites p = pendingOf(store);
        return new TransactionCursor(this, store, p);
    }

    /** Number of pending entries (puts and deletes, one per key) for {@code store}. */
    public long pendingWrites(KeyValueStore store) {
        return pendingOf(store).size();
    }

    // ---------------------------------------------------------------- writes

    /** Stages {@code key} → {@code value} with the default record timestamp. */
    public void put(KeyValueStore store, byte[] key, byte[] value) {
        put(store, key, value, recordTimestamp);
    }

    /** Stages {@code key} → {@code value} with record timestamp {@code timestamp}. */
    public void put(KeyValueStore store, byte[] key, byte[] value, long timestamp) {
        PendingWrites p = pendingOf(store);
        checkKey(store, key);
        checkValue(store, Objects.requireNonNull(value, "value").length);
        p.stage(key, PendingDescriptor.PUT, timestamp, value);
    }

    /** Stages {@code key} → {@code value} (whole segments) with the default record timestamp. */
    public void put(KeyValueStore store, MemorySegment key, MemorySegment value) {
        put(store, key, value, recordTimestamp);
    }

    /** Stages {@code key} → {@code value} (whole segments) with record timestamp {@code timestamp}. */
    public void put(KeyValueStore store, MemorySegment key, MemorySegment value, long timestamp) {
        PendingWrites p = pendingOf(store);
        checkKey(store, key);
        checkValue(store, Objects.requireNonNull(value, "value").byteSize());
        p.stage(key, 0, (int) key.byteSize(), PendingDescriptor.PUT, timestamp, value, 0, (int) value.byteSize());
    }

    /**
     * Stages {@code length} bytes of {@code key} at {@code keyOffset} → {@code valueLength} bytes of
     * {@code value} at {@code valueOffset}, with record timestamp {@code timestamp}. Both are copied.
     */
    public void put(KeyValueStore store, MemorySegment key, long keyOffset, int keyLength,
                    MemorySegment value, long valueOffset, int valueLength, long timestamp) {
        PendingWrites p = pendingOf(store);
        checkKey(store, key, keyOffset, keyLength);
        Objects.requireNonNull(value, "value");
        if (valueLength < 0 || valueOffset < 0 || valueOffset + valueLength > value.byteSize()) {
            throw new IndexOutOfBoundsException("value range [" + valueOffset + ", " + valueOffset + " + " + valueLength
                + ") is outside a segment of " + value.byteSize() + " bytes");
        }
        checkValue(store, valueLength);
        p.stage(key, keyOffset, keyLength, PendingDescriptor.PUT, timestamp, value, valueOffset, valueLength);
    }

    /**
     * Stages the removal of {@code length} bytes of {@code key} at {@code offset}, with record
     * timestamp {@code timestamp}; returns whether the key was visible to this transaction.
     */
    public boolean delete(KeyValueStore store, MemorySegment key, long offset, int length, long timestamp) {
        PendingWrites p = pendingOf(store);
        checkKey(store, key, offset, length);
        byte kind = p.lookup(key, offset, length, null);
        boolean committed = store.contains(key, offset, length);
        boolean visible = kind == PendingDescriptor.ABSENT ? committed : kind == PendingDescriptor.PUT;
        if (!committed) {
            if (kind == PendingDescriptor.PUT) {
                p.unstage(key, offset, length);
            }
            return visible;
        }
        if (kind != PendingDescriptor.DELETE) {
            p.stage(key, offset, length, PendingDescriptor.DELETE, timestamp, key, 0, 0);
        }
        return visible;
    }

    /** Stages the removal of {@code key} (default record timestamp); returns whether it was present as this transaction saw it. */
    public boolean delete(KeyValueStore store, byte[] key) {
        return delete(store, key, recordTimestamp);
    }

    /** Stages the removal of {@code key} with record timestamp {@code timestamp}; returns whether it was visible. */
    public boolean delete(KeyValueStore store, byte[] key, long timestamp) {
        PendingWrites p = pendingOf(store);
        checkKey(store, key);
        byte kind = p.lookup(key, null);
        boolean committed = store.contains(key);
        boolean visible = kind == PendingDescriptor.ABSENT ? committed : kind == PendingDescriptor.PUT;
        if (!committed) {
            if (kind == PendingDescriptor.PUT) {
                p.unstage(key); // nothing to delete in the store: forget the pending put
            }
            return visible;
        }
        if (kind != PendingDescriptor.DELETE) {
            p.stage(key, PendingDescriptor.DELETE, timestamp, null);
        }
        return visible;
    }

    /** As {@link #delete(KeyValueStore, byte[])} with the key being all of {@code key}. */
    public boolean delete(KeyValueStore store, MemorySegment key) {
        PendingWrites p = pendingOf(store);
        checkKey(store, key);
        byte kind = p.lookup(key, null);
        boolean committed = store.contains(key);
        boolean visible = kind == PendingDescriptor.ABSENT ? committed : kind == PendingDescriptor.PUT;
        if (!committed) {
            if (kind == PendingDescriptor.PUT) {
                p.unstage(key);
            }
            return visible;
        }
        if (kind != PendingDescriptor.DELETE) {
            p.stage(key, 0, (int) key.byteSize(), PendingDescriptor.DELETE, recordTimestamp, key, 0, 0);
        }
        return visible;
    }

    // ---------------------------------------------------------------- end

    /** Commits without input positions: {@link #commit(byte[]) commit(null)}. */
    public void commit() {
        commit(null);
    }

    /**
     * Applies every pending write to every store, or none (see the class contract), and records
     * {@code positions} (copied; null for none) as each store's {@link #committedPositions}.
     *
     * @throws io.offstate.offheap.StoreFullException if a store's budget cannot hold the worst case of its part (nothing changed, still open)
     * @throws StoreClosedException                   if a store is closed (nothing changed, still open)
     * @throws IllegalArgumentException               if {@code positions} exceed {@link KeyValueStore#MAX_FLUSH_METADATA}
     * @throws RuntimeException                       whatever a refusing {@link ChangeSink} threw (nothing changed, still open)
     * @throws IllegalStateException                  if the transaction already ended
     */
    public void commit(byte[] positions) {
        ensureActive();
        try {
            commitOrThrow(positions);
        } finally {
            // Give a shared budget back what the plan drew for the worst case (also when refused).
            for (KeyValueStore st : stores) {
                if (!st.isClosed()) {
                    st.state().budget.settle();
                }
            }
        }
        if (listener != null && state == State.COMMITTED) {
            listener.committed(committedCopy);
        }
    }

    private void commitOrThrow(byte[] positions) {
        if (positions != null && positions.length > KeyValueStore.MAX_FLUSH_METADATA) {
            throw new IllegalArgumentException("input positions of " + positions.length + " bytes exceed the limit of "
                + KeyValueStore.MAX_FLUSH_METADATA + " bytes");
        }
        final byte[] kept = positions == null ? null : positions.clone();
        if (planCursors == null) {
            planCursors = new Cursor[stores.length];
            for (int i = 0; i < stores.length; i++) {
                planCursors[i] = pending[i].cursor();
            }
        }
        for (KeyValueStore s : stores) {
            s.ensureOpen();
            s.core().ensureWritable();
        }
        for (int i = 0; i < stores.length; i++) {
            long needed = pending[i].bytesNeededToApply(planCursors[i], keySource, sizes);
            stores[i].state().budget.check(needed);
        }
        int begun = 0;
        try {
            // indexed loops: an ArrayList iterator per record escapes here (32 B per record seen)
            int sinkCount = sinks.size();
            for (int j = 0; j < sinkCount; j++) {
                begun++;
                sinks.get(j).begin(kept);
            }
            int sequence = 0;
            for (int i = 0; i < stores.length; i++) {
                Cursor c = planCursors[i];
                c.range(null, null);
                while (c.next()) {
                    record.set(stores[i], pending[i].staging, sequence++, c.key(), c.value());
                    for (int j = 0; j < sinkCount; j++) {
                        sinks.get(j).record(record);
                    }
                }
            }
            for (int j = 0; j < sinkCount; j++) {
                sinks.get(j).end();
            }
        } catch (RuntimeException e) {
            abortSinks(begun, e);
            throw e;
        }
        try {
            for (int i = 0; i < stores.length; i++) {
                apply(stores[i].core(), planCursors[i]);
            }
        } catch (RuntimeException e) {
            state = State.FAILED;
            abortSinks(sinks.size(), e);
            release();
            throw e;
        }
        for (KeyValueStore s : stores) {
            s.committedPositions(kept);
        }
        state = State.COMMITTED;
        committedCopy = kept;
        release();
    }

    private void apply(StoreCore core, Cursor c) {
        c.range(null, null);
        while (c.next()) {
            ValueView k = c.key();
            ValueView r = c.value();
            keySource.wrap(k.memory(), k.offset(), k.length());
            if (r.getByte(PendingDescriptor.KIND_OFFSET) == PendingDescriptor.DELETE) {
                core.delete(keySource);
            } else {
                valueSource.wrap(r.memory(), r.offset() + PendingDescriptor.HEADER_LENGTH,
                    r.length() - PendingDescriptor.HEADER_LENGTH);
                core.put(keySource, valueSource);
            }
        }
    }

    private void abortSinks(int begun, RuntimeException cause) {
        for (int i = 0; i < begun; i++) {
            try {
                sinks.get(i).aborted();
            } catch (RuntimeException e) {
                cause.addSuppressed(e);
            }
        }
    }

    /** Discards every pending write; the stores are untouched. */
    public void abort() {
        ensureActive();
        state = State.ABORTED;
        release();
    }

    /**
     * Aborts if still open; a {@link #reusable} transaction also frees its staging memory (then
     * {@link #restart()} throws). Otherwise does nothing. Idempotent.
     */
    @Override
    public void close() {
        if (state == State.ACTIVE) {
            abort();
        }
        if (reusable && !closed) {
            closed = true;
            for (PendingWrites p : pending) {
                p.close();
            }
        }
    }

    /** Whether the transaction was committed, aborted or closed (or failed while applying). */
    public boolean isDone() {
        return state != State.ACTIVE;
    }

    private void release() {
        RuntimeException first = null;
        for (PendingWrites p : pending) {
            try {
                if (pooled) {
                    p.reset();
                } else {
                    p.close();
                }
            } catch (RuntimeException e) {
                if (first == null) {
                    first = e;
                }
            }
        }
        if (first != null) {
            throw first;
        }
    }

    /**
     * Makes {@code newOwner} the only thread allowed to use this ended {@link #reusable} transaction
     * (and its staging memory) from now on: for a transaction that moves between threads with its
     * stores, as {@link KeyValueStore#handOverTo}. Called by the owner; or by any thread once the owner
     * has terminated. The caller publishes the transaction to {@code newOwner} with a happens-before
     * edge (a lock, a queue).
     *
     * @throws NullPointerException  if {@code newOwner} is null
     * @throws IllegalStateException if the transaction is not reusable, still active, or closed (nothing changed)
     * @throws WrongThreadException  if called by another thread while the owner is alive (nothing changed)
     */
    public void handOverTo(Thread newOwner) {
        Objects.requireNonNull(newOwner, "newOwner");
        Thread o = owner;
        if (Thread.currentThread() != o && o.isAlive()) {
            throw new WrongThreadException("transaction belongs to thread '" + o.getName() + "' (id " + o.threadId()
                + "), which is alive; only it can hand the transaction over");
        }
        if (!reusable) {
            throw new IllegalStateException("only a reusable transaction (Transaction.reusable) can be handed over");
        }
        if (closed) {
            throw new IllegalStateException("reusable transaction was closed, its staging memory freed; create a new one");
        }
        if (state == State.ACTIVE) {
            throw new IllegalStateException("transaction is still active: commit or abort it before handing it over");
        }
        for (PendingWrites p : pending) {
            if (p != null) {
                p.handOverTo(newOwner);
            }
        }
        owner = newOwner;
    }

    // ---------------------------------------------------------------- checks

    void ensureActive() {
        ensureOwner();
        switch (state) {
            case ACTIVE -> { }
            case COMMITTED -> throw new IllegalStateException("transaction was already committed; begin a new one");
            case ABORTED -> throw new IllegalStateException("transaction was aborted (or closed); begin a new one");
            case FAILED -> throw new IllegalStateException("transaction failed while applying its commit; begin a new one");
        }
    }

    private void ensureOwner() {
        if (Thread.currentThread() != owner) {
            throw new WrongThreadException("transaction belongs to thread '" + owner.getName() + "' (id " + owner.threadId()
                + "), but was called from thread '" + Thread.currentThread().getName() + "'");
        }
    }

    private PendingWrites pendingOf(KeyValueStore store) {
        ensureActive();
        Objects.requireNonNull(store, "store");
        for (int i = 0; i < stores.length; i++) {
            if (stores[i] == store) {
                store.ensureOpen();
                return pending[i];
            }
        }
        throw new IllegalArgumentException("store '" + store.name() + "' is not part of this transaction");
    }

    private static void checkKey(KeyValueStore store, byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length > KeyValueStore.MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key of " + key.length + " bytes exceeds the limit of "
                + KeyValueStore.MAX_KEY_LENGTH + " bytes (store '" + store.name() + "')");
        }
    }

    private static void checkKey(KeyValueStore store, MemorySegment key) {
        Objects.requireNonNull(key, "key");
        if (key.byteSize() > KeyValueStore.MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key of " + key.byteSize() + " bytes exceeds the limit of "
                + KeyValueStore.MAX_KEY_LENGTH + " bytes (store '" + store.name() + "')");
        }
    }

    private static void checkKey(KeyValueStore store, MemorySegment key, long offset, int length) {
        Objects.requireNonNull(key, "key");
        if (length < 0 || offset < 0 || offset + length > key.byteSize()) {
            throw new IndexOutOfBoundsException("key range [" + offset + ", " + offset + " + " + length
                + ") is outside a segment of " + key.byteSize() + " bytes");
        }
        if (length > KeyValueStore.MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key of " + length + " bytes exceeds the limit of "
                + KeyValueStore.MAX_KEY_LENGTH + " bytes (store '" + store.name() + "')");
        }
    }

    private static void checkValue(KeyValueStore store, long length) {
        if (length > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("value of " + length + " bytes exceeds a transaction's limit of "
                + MAX_VALUE_LENGTH + " bytes (store '" + store.name() + "')");
        }
    }
}
