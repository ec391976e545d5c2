package io.offstate.propertytests;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreSnapshot;
import io.offstate.engine.StoreStats;
import io.offstate.engine.ValueView;
import io.offstate.offheap.KeyComponent;

/**
 * The system under test: a store, the snapshots taken of it so far, a reused value view, and for
 * sorted stores a shared cursor. Counts the writes that changed the store (so that cursor commands
 * know whether a positioned cursor must fail fast) and keeps the keys observed after the last
 * command (scan commands derive bounds from them). A file-backed one ({@link #open}) can be
 * closed and reopened from its directory ({@link #reopen}); its snapshots are in memory of their
 * own and survive that. An observed one has a recording write observer ({@link ObservedWrites}),
 * installed again on each reopened store.
 */
final class StoreUnderTest implements AutoCloseable {
    final StoreSetup setup;
    /** The directory of a file-backed store, null for an in-memory one. */
    final Path directory;
    /** The store; replaced by {@link #reopen}. */
    KeyValueStore store;
    final List<StoreSnapshot> snapshots = new ArrayList<>();
    final ValueView view = new ValueView();
    private final KeyComponent component;
    private final boolean sorted;
    /** Writes that changed the store: a put that stored, a delete that removed, a restore. */
    long writes;
    /** Calls that may change the store (put, delete, restore), refused or not. */
    long writeAttempts;
    private long writeAttemptsAtLastFullScan = -1;
    /** The store's keys in ascending order, as observed after the previous command. */
    List<Bytes> observedKeys = List.of();
    /** memoryUsed() and dictionarySize() as of the last flush (or open) of a file-backed store. */
    long memoryUsedAtFlush;
    int dictionarySizeAtFlush;
    /** {@link #writeAttempts} as of the last flush (or open). */
    private long writeAttemptsAtFlush;
    /** {@link #writeAttempts} as of the last observation (a command that attempted no write must not be observed writing). */
    private long writeAttemptsAtLastObservation;
    /** Flushes of the store since it was opened (close()'s not included: they belong to the closed store). */
    long flushesSinceOpen;
    /** memoryUsed() of the store when it was new and empty: what a clear() must leave. */
    final long memoryUsedWhenEmpty;
    /** The recording write observer, or null if the store is not observed. */
    final ObservedWrites observedWrites;
    private TrackedCursor shared;
    private Cursor observer;

    /** A new in-memory store of {@code setup}, with a recording write observer if {@code observed}. */
    StoreUnderTest(StoreSetup setup, boolean observed) {
        this(setup, null, observed);
    }

    private StoreUnderTest(StoreSetup setup, Path directory, boolean observed) {
        this.setup = setup;
        this.directory = directory;
        this.store = directory == null ? setup.create() : setup.open(directory);
        this.component = setup.config().keyComponent();
        this.sorted = setup.config().sorted();
        this.observedWrites = observed ? new ObservedWrites() : null;
        try {
            checkOpened();
            if (store.size() != 0) {
                throw new AssertionError(setup + ": a new store holds " + store.size() + " entries");
            }
        } catch (RuntimeException | AssertionError e) {
            store.closeWithoutFlush(); // nobody else can close it: a file-backed store would stay locked
            throw e;
        }
        memoryUsedWhenEmpty = store.memoryUsed();
        if (observedWrites != null) {
            observedWrites.attach(store, Map.of());
        }
        flushed();
    }

    /**
     * A file-backed store of {@code setup}, created in the empty directory {@code directory}, with
     * a recording write observer if {@code observed}.
     */
    static StoreUnderTest open(StoreSetup setup, Path directory, boolean observed) {
        return new StoreUnderTest(setup, directory, observed);
    }

    /** Records the store's state as the durable one (after a flush, or an open). */
    void flushed() {
        memoryUsedAtFlush = store.memoryUsed();
        dictionarySizeAtFlush = store.dictionarySize();
        writeAttemptsAtFlush = writeAttempts;
    }

    /** Asserts that a file-backed store has some dirty chunk after {@code command} changed an entry. */
    void assertDirtied(Object command) {
        if (directory != null && store.stats().dirtyChunks() <= 0) {
            throw new AssertionError(command + ": changed an entry, but stats().dirtyChunks() is "
                + store.stats().dirtyChunks() + " (would the next flush write nothing?)");
        }
    }

    /** Asserts that the write observer (if any) saw exactly {@code events} during {@code command} so far. */
    void expectObserved(Object command, List<ObservedWrites.Event> events) {
        if (observedWrites != null) {
            observedWrites.expect(command, events);
        }
    }

    /** Asserts that the write observer (if any) saw nothing during {@code command} so far. */
    void expectNothingObserved(Object command) {
        expectObserved(command, List.of());
    }

    private void checkOpened() {
        if (store.options().sortedIndex() != sorted) {
            throw new AssertionError(setup + ": options().sortedIndex() is " + store.options().sortedIndex());
        }
        if (store.isPersistent() != (directory != null)) {
            throw new AssertionError(setup + ": isPersistent() is " + store.isPersistent());
        }
    }

    /**
     * Closes the file-backed store, with {@code close()} (which flushes) or, if {@code !flush},
     * with {@code closeWithoutFlush()} (as if the process died), and opens its directory again.
     * The cursors of the closed store are dropped; the next observation scans the whole index.
     */
    void reopen(boolean flush) {
        if (directory == null) {
            throw new IllegalStateException("an in-memory store cannot be reopened");
        }
        if (flush) {
            store.close();
        } else {
            store.closeWithoutFlush();
        }
        expectNothingObserved(flush ? "close()" : "closeWithoutFlush()");
        shared = null;
        observer = null;
        writes++;
        writeAttempts++;
        flushesSinceOpen = 0;
        store = setup.open(directory); // only assigned once open: a failed open leaves the closed store
        checkOpened();
        if (observedWrites != null) {
            observedWrites.attach(store, contents(store));
        }
    }

    boolean limited() {
        return setup.config().limited;
    }

    boolean sorted() {
        return sorted;
    }

    /** Records a write that changed the store. */
    void wrote() {
        writes++;
    }

    /** Records a call that may change the store (so the next observation re-scans the whole index). */
    void attemptingWrite() {
        writeAttempts++;
    }

    /** The cursor shared by the scan commands (created on first use; sorted stores only). */
    TrackedCursor shared() {
        if (shared == null) {
            shared = new TrackedCursor(store.cursor());
        }
        return shared;
    }

    /** The store's entries, read with forEach (segments copied during the call); checks forEach's contract. */
    static TreeMap<Bytes, Bytes> contents(KeyValueStore store) {
        TreeMap<Bytes, Bytes> out = new TreeMap<>();
        store.forEach((k, v) -> {
            if (!k.isReadOnly() || !v.isReadOnly()) {
                throw new AssertionError("forEach passed a writable segment (key " + k.isReadOnly() + ", value " + v.isReadOnly() + ")");
            }
            Bytes key = Bytes.copyOf(k);
            Bytes previous = out.put(key, Bytes.copyOf(v));
            if (previous != null) {
                throw new AssertionError("forEach visited key " + key + " twice");
            }
        });
        return out;
    }

    /**
     * The SUT as a model: contents via forEach, size(), snapshot sizes, flushGeneration(),
     * lastFlushMetadata(); checks budget and dictionary invariants, stats() against the other
     * accessors ({@link #checkStats}), that the replay of the write observer's events (if any)
     * equals the contents, and (after every command that tried to write: reads cannot change the index)
     * that full scans of the sorted index, forward and reverse, with a cursor of its own yield
     * exactly the forEach contents in key order (the reverse scan checks the links and the end a
     * forward scan never follows).
     */
    Model observe() {
        TreeMap<Bytes, Bytes> entries = contents(store);
        observedKeys = new ArrayList<>(entries.keySet());
        if (sorted && writeAttempts != writeAttemptsAtLastFullScan) {
            writeAttemptsAtLastFullScan = writeAttempts;
            store.verify(); // the index's own invariants (order, separators, links, head and tail, counts)
            if (observer == null) {
                observer = store.cursor();
            }
            List<Map.Entry<Bytes, Bytes>> ascending = new ArrayList<>(entries.entrySet());
            ScanQuery all = new ScanQuery(ScanQuery.Kind.RANGE, null, null);
            CursorReader.assertAnswer("full scan of the sorted index vs forEach contents", ascending, Long.MAX_VALUE,
                CursorReader.scan(observer, all, Long.MAX_VALUE, "full scan after the command"));
            ScanQuery allReverse = new ScanQuery(ScanQuery.Kind.RANGE_REVERSE, null, null);
            CursorReader.assertAnswer("full reverse scan of the sorted index vs forEach contents", ascending.reversed(),
                Long.MAX_VALUE, CursorReader.scan(observer, allReverse, Long.MAX_VALUE, "full reverse scan after the command"));
        }
        long used = store.memoryUsed();
        if (used > store.memoryBudget() || used < 0) {
            throw new AssertionError("memoryUsed " + used + " outside [0, budget " + store.memoryBudget() + "]");
        }
        if (component == null) {
            if (store.dictionarySize() != 0) {
                throw new AssertionError("dictionarySize " + store.dictionarySize() + " without a dictionary");
            }
        } else {
            Set<Bytes> components = new HashSet<>();
            for (Bytes k : entries.keySet()) {
                components.add(StoreConfig.componentOf(component, k.array()));
            }
            if (store.dictionarySize() < components.size()) {
                throw new AssertionError("dictionarySize " + store.dictionarySize() + " < " + components.size()
                    + " distinct components of live keys");
            }
        }
        checkStats(entries);
        if (observedWrites != null) {
            observedWrites.replay(writeAttempts == writeAttemptsAtLastObservation, entries);
        }
        writeAttemptsAtLastObservation = writeAttempts;
        List<Long> sizes = new ArrayList<>(snapshots.size());
        for (StoreSnapshot s : snapshots) {
            sizes.add(s.size());
        }
        return Model.observed(entries, store.size(), sizes, store.flushGeneration(), Bytes.wrap(store.lastFlushMetadata()));
    }

    /**
     * Checks stats() against the store's other accessors and its {@code entries}: entries,
     * memoryUsed, budget, page size, dictionarySize and flushGeneration equal theirs; a hash table
     * of some capacity, loaded 0..1; sorted-index nodes exactly when the store is sorted and not empty;
     * pages and large values within memoryUsed. In memory every file figure is 0. File-backed: the
     * flushes since open are counted (the last flush's figures are 0 before the first), and no
     * chunk is dirty if nothing was tried since the last flush (or open). (A clear() may leave no
     * chunk dirty: an empty state is all zero bytes; puts and deletes check {@link #assertDirtied}.)
     */
    void checkStats(Map<Bytes, Bytes> entries) {
        StoreStats st = store.stats();
        List<String> wrong = new ArrayList<>();
        if (st.entries() != entries.size() || st.entries() != store.size()) {
            wrong.add("entries " + st.entries() + " but forEach yields " + entries.size() + " and size() is " + store.size());
        }
        if (st.memoryUsed() != store.memoryUsed()) {
            wrong.add("memoryUsed " + st.memoryUsed() + " but memoryUsed() is " + store.memoryUsed());
        }
        if (st.memoryBudget() != store.memoryBudget()) {
            wrong.add("memoryBudget " + st.memoryBudget() + " but memoryBudget() is " + store.memoryBudget());
        }
        if (st.pageSize() != store.options().pageSize()) {
            wrong.add("pageSize " + st.pageSize() + " but the options' is " + store.options().pageSize());
        }
        if (st.dictionarySize() != store.dictionarySize()) {
            wrong.add("dictionarySize " + st.dictionarySize() + " but dictionarySize() is " + store.dictionarySize());
        }
        if (st.flushGeneration() != store.flushGeneration()) {
            wrong.add("flushGeneration " + st.flushGeneration() + " but flushGeneration() is " + store.flushGeneration());
        }
        if (st.hashCapacity() <= 0 || !(st.hashLoad() >= 0 && st.hashLoad() <= 1)) {
            wrong.add("hashCapacity " + st.hashCapacity() + ", hashLoad " + st.hashLoad() + " (must be in [0, 1])");
        }
        boolean nodesExpected = sorted && !entries.isEmpty();
        if ((st.sortedIndexNodes() > 0) != nodesExpected || st.sortedIndexNodes() < 0) {
            wrong.add("sortedIndexNodes " + st.sortedIndexNodes() + " for a " + (sorted ? "sorted" : "hash-only") + " store of "
                + entries.size() + " entries");
        }
        if (st.pages() < 0 || st.largeValueBytes() < 0
            || st.pages() * st.pageSize() + st.largeValueBytes() > st.memoryUsed()) {
            wrong.add("pages " + st.pages() + " of " + st.pageSize() + " bytes and largeValueBytes " + st.largeValueBytes()
                + " exceed memoryUsed " + st.memoryUsed());
        }
        if (directory == null) {
            if (st.flushes() != 0 || st.lastFlushBytes() != 0 || st.lastFlushNanos() != 0 || st.dirtyChunks() != 0
                || st.mappings() != 0) {
                wrong.add("file figures of an in-memory store not 0: flushes " + st.flushes() + ", lastFlushBytes "
                    + st.lastFlushBytes() + ", lastFlushNanos " + st.lastFlushNanos() + ", dirtyChunks " + st.dirtyChunks()
                    + ", mappings " + st.mappings());
            }
        } else {
            if (st.mappings() < 1 + (st.pages() > 0 ? 1 : 0)) {
                wrong.add("mappings " + st.mappings() + ": a file-backed store maps its hash table, and its pages once it has any");
            }
            if (st.flushes() != flushesSinceOpen) {
                wrong.add("flushes " + st.flushes() + " but " + flushesSinceOpen + " since the store was opened");
            }
            boolean beforeFirst = flushesSinceOpen == 0;
            if (st.lastFlushBytes() < 0 || st.lastFlushNanos() < 0
                || beforeFirst && (st.lastFlushBytes() != 0 || st.lastFlushNanos() != 0)) {
                wrong.add("lastFlushBytes " + st.lastFlushBytes() + ", lastFlushNanos " + st.lastFlushNanos() + " after "
                    + flushesSinceOpen + " flushes since open");
            }
            if (writeAttempts == writeAttemptsAtFlush && st.dirtyChunks() != 0) {
                wrong.add("dirtyChunks " + st.dirtyChunks() + " although nothing was written since the last flush or open");
            }
        }
        if (!wrong.isEmpty()) {
            throw new AssertionError("stats() inconsistent: " + String.join("; ", wrong) + " (" + st + ")");
        }
    }

    /**
     * Closes the snapshots and the store. A file-backed one is closed without a flush: the example
     * is over, a flush would only cost time, and a failing one must not hide the failure reported.
     */
    @Override
    public void close() {
        for (StoreSnapshot s : snapshots) {
            s.close();
        }
        snapshots.clear();
        if (directory != null) {
            store.closeWithoutFlush();
        } else {
            store.close();
        }
    }
}
