package io.offstate.engine;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.KeyBatch;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.StoreFileException;
import io.offstate.offheap.Varint;
import io.offstate.offheap.index.EntryDescriptor;
import io.offstate.offheap.index.EntryMap;
import io.offstate.offheap.index.SortedIndex;

/**
 * The one write path of a store: locating a key (through the dictionary when keys are encoded),
 * putting, deleting and replacing the whole state, across the hash index, the sorted index and the
 * dictionary, with the budget planned before anything changes. The facade ({@link KeyValueStore}),
 * restore and clear, and every later layer that changes a store (transactions, change-log replay)
 * come through here, so a {@link WriteObserver} sees each change exactly once.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>Plan, check, then mutate: a write that would exceed the budget throws
 *       {@link io.offstate.offheap.StoreFullException} before any structure changed.</li>
 *   <li>Every applied change bumps {@link #version()}, which invalidates views and cursors.</li>
 *   <li>Keys and values are passed as {@link ByteSource}s already validated by the caller (lengths
 *       within the store's limits); a dictionary-encoded key's source is narrowed and coded in place.</li>
 *   <li>Damage found in the store's memory or files — an offstate corruption exception, or a JDK
 *       exception (index out of bounds, null, negative size) that only a damaged layout can cause —
 *       goes through {@link #failure}: it is reported as a specific offstate exception naming the
 *       store, and from then on the core refuses every change ({@link #ensureWritable()}) so that
 *       nothing damaged is written back by a flush. {@link #replace} (restore, clear) makes the
 *       store trustworthy again.</li>
 * </ol>
 *
 * <p>Single writer: owned by one store and used on its thread. Owns its {@link StoreState} (closes
 * it when replaced or on {@link #close()}).
 */
final class StoreCore {
    private final String name;
    private final Persistence persistence;
    private final ByteSource component = new ByteSource();
    private final ByteSource original = new ByteSource();
    /** The key of a dictionary-encoded store's batched lookup, coded in place. */
    private final ByteSource batchKey = new ByteSource();
    private StoreState state;
    private long version;
    private WriteObserver observer;
    /** What damage was found, or null while the store is trusted. */
    private String damage;

    StoreCore(String name, StoreState state, Persistence persistence) {
        this.name = name;
        this.state = state;
        this.persistence = persistence;
    }

    StoreState state() {
        return state;
    }

    /** Bumped by every change and by anything that moves memory (flush remaps, close). */
    long version() {
        return version;
    }

    /** Makes every view and cursor position stale without a change (a flush remapped the memory). */
    void invalidate() {
        version++;
    }

    /** Installs {@code observer} (null: none). */
    void observer(WriteObserver observer) {
        this.observer = observer;
    }

    /** Address of the entry for the caller key {@code k}, or 0; encodes {@code k} in place if needed. */
    long locate(ByteSource k) {
        try {
            final StoreState s = state;
            if (s.dictionary != null && !encodeExisting(s, k)) {
                return 0;
            }
            return s.map.find(k, s.map.hash(k));
        } catch (RuntimeException e) {
            throw failure(e);
        }
    }

    /**
     * Batched {@link #locate} of keys {@code start .. start + count)} of {@code keys}
     * ({@code count <=} {@link EntryMap#MAX_BATCH}): {@code out[j]} becomes the address of the
     * entry for key {@code start + j}, or 0, and {@code spans[j]} its value span
     * ({@link EntryDescriptor#valueSpan}). A dictionary-encoded store looks its keys up one by one
     * (each key's component is coded first); the others in {@link EntryMap#findAll}'s stages.
     */
    void locateAll(KeyBatch keys, int start, int count, long[] out, long[] spans) {
        try {
            final StoreState s = state;
            if (s.dictionary == null) {
                s.map.findAll(keys, start, count, out, spans);
                return;
            }
            for (int j = 0; j < count; j++) {
                final ByteSource k = keys.wrapKey(start + j, batchKey);
                final long address = encodeExisting(s, k) ? s.map.find(k, s.map.hash(k)) : 0;
                out[j] = address;
                if (address != 0) {
                    spans[j] = EntryDescriptor.valueSpan(s.memory.page(address), s.memory.offset(address));
                }
            }
        } catch (RuntimeException e) {
            throw failure(e);
        }
    }

    /**
     * What to throw for {@code e}, raised while reading or changing the store: {@code e} itself
     * unless it reveals damage; for damage, the store is marked untrusted (further changes are
     * refused) and the exception names the store (see {@link Persistence#corruption}).
     */
    RuntimeException failure(RuntimeException e) {
        if (!(e instanceof CorruptStateException || e instanceof StoreFileException || e instanceof IndexOutOfBoundsException
            || e instanceof NullPointerException || e instanceof NegativeArraySizeException || e instanceof ArithmeticException)) {
            return e;
        }
        RuntimeException reported = persistence.corruption(name, e);
        if (damage == null) {
            damage = reported.getMessage();
        }
        return reported;
    }

    /** Whether damage was found since the state was last replaced. */
    boolean isDamaged() {
        return damage != null;
    }

    /**
     * Throws unless the store is trusted: a store in which damage was found must not change (a
     * flush would write the damage back).
     *
     * @throws CorruptStateException (in memory) or {@link io.offstate.offheap.CorruptStoreFileException}
     *         (file-backed) saying what was found and how to recover
     */
    void ensureWritable() {
        if (damage != null) {
            throw persistence.refusal("store '" + name + "' refuses changes and flushes: damage was found in it earlier ("
                + damage + "). Recover it: close it (without flushing) and reopen the directory to check the files again, "
                + "restore a snapshot, or clear() it and rebuild it from its source (a checkpoint or change log)");
        }
    }

    /** Inserts or replaces {@code k} → {@code v}. */
    void put(ByteSource k, ByteSource v) {
        ensureWritable();
        try {
            apply(k, v);
        } catch (RuntimeException e) {
            throw failure(e);
        }
        final WriteObserver o = observer;
        if (o != null) {
            o.put(state.dictionary == null ? k : original, v);
        }
    }

    private void apply(ByteSource k, ByteSource v) {
        final StoreState s = state;
        final SortedIndex sorted = s.sorted;
        // the sorted index and observers see the caller's bytes, not the dictionary-encoded form
        final ByteSource originalKey = s.dictionary == null ? k : original.wrap(k);
        final boolean prepared = s.dictionary != null && encodeForWrite(s, sorted, k, v, originalKey);
        if (sorted == null) {
            s.map.put(k, s.map.hash(k), v);
        } else {
            putSorted(s, sorted, k, v, originalKey, prepared);
        }
        version++;
    }

    /** Removes {@code k}; returns whether it was present. */
    boolean delete(ByteSource k) {
        ensureWritable();
        final boolean removed;
        try {
            removed = remove(k);
        } catch (RuntimeException e) {
            throw failure(e);
        }
        final WriteObserver o = observer;
        if (removed && o != null) {
            o.delete(state.dictionary == null ? k : original);
        }
        return removed;
    }

    private boolean remove(ByteSource k) {
        final StoreState s = state;
        final ByteSource originalKey = s.dictionary == null ? k : original.wrap(k);
        if (s.dictionary != null && !encodeExisting(s, k)) {
            return false;
        }
        final long hash = s.map.hash(k);
        final long found = s.map.find(k, hash);
        if (found == 0) {
            return false;
        }
        if (s.sorted != null) {
            s.sorted.delete(originalKey); // before the entry is freed: the index reads it to find the key
        }
        s.map.removeAfterFind(found);
        version++;
        return true;
    }

    /**
     * Makes {@code fresh} the state (closing the old one): a restore from a snapshot if
     * {@code restored}, else a clear.
     */
    void replace(StoreState fresh, boolean restored) {
        final StoreState old = state;
        state = fresh;
        version++;
        damage = null; // nothing of the damaged state is left
        old.close();
        final WriteObserver o = observer;
        if (o != null) {
            if (restored) {
                o.restored();
            } else {
                o.cleared();
            }
        }
    }

    /** Releases the state's memory; the core must not be used afterwards. */
    void close() {
        version++;
        state.close();
    }

    /** Replaces the dictionary component of {@code k} by its code; false if the component is unknown. */
    private boolean encodeExisting(StoreState s, ByteSource k) {
        final int total = k.length();
        final int componentLength = s.keyComponent.componentLength(k);
        int code = s.dictionary.find(component.wrap(k).narrow(0, componentLength));
        if (code < 0) {
            return false;
        }
        k.narrow(componentLength, total - componentLength).code(code);
        return true;
    }

    /**
     * Replaces the dictionary component of {@code k} by its code. A new component means a new key:
     * everything the put could allocate (dictionary entry, entry, hash growth, sorted index nodes)
     * is checked against the budget before the component is added, with one page of headroom for
     * their sharing pages. Returns whether it prepared the sorted index insert.
     */
    private boolean encodeForWrite(StoreState s, SortedIndex sorted, ByteSource k, ByteSource v, ByteSource originalKey) {
        final int total = k.length();
        final int componentLength = s.keyComponent.componentLength(k);
        component.wrap(k).narrow(0, componentLength);
        int code = s.dictionary.find(component);
        boolean prepared = false;
        if (code < 0) {
            int entrySize = EntryDescriptor.entrySize(Varint.size(s.dictionary.size()) + total - componentLength, v.length());
            long needed = s.dictionary.bytesNeededToAdd(componentLength);
            if (sorted == null) {
                needed += s.map.bytesNeededForInsert(entrySize) + (entrySize <= s.memory.largeThreshold() ? s.memory.pageSize() : 0);
            } else {
                sorted.prepareInsert(originalKey);
                prepared = true;
                needed += sorted.bytesNeededForInsert(entrySize) + s.map.index().bytesNeededForInsert() + s.memory.pageSize();
            }
            s.budget.check(needed);
            code = s.dictionary.add(component);
        }
        k.narrow(componentLength, total - componentLength).code(code);
        return prepared;
    }

    /**
     * The map and sorted index part of a write to a store with a sorted index: an insert is planned
     * and budget-checked whole before anything changes; an entry that moves is re-pointed.
     */
    private static void putSorted(StoreState s, SortedIndex sorted, ByteSource k, ByteSource v, ByteSource originalKey,
                                  boolean prepared) {
        final long hash = s.map.hash(k);
        final long found = s.map.find(k, hash);
        if (found == 0) {
            if (!prepared) {
                sorted.prepareInsert(originalKey);
            }
            int entrySize = EntryDescriptor.entrySize(k.storedLength(), v.length());
            s.budget.check(sorted.bytesNeededForInsert(entrySize) + s.map.index().bytesNeededForInsert());
            sorted.insertPrepared(s.map.putAfterFind(0, k, hash, v));
        } else if (s.map.updateMoves(found, k, v)) {
            // locate the index element before the entry moves: finding it compares against the old entry
            long position = sorted.positionOf(originalKey);
            sorted.setAddress(position, s.map.putAfterFind(found, k, hash, v));
        } else {
            s.map.putAfterFind(found, k, hash, v);
        }
    }
}
