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
import io.offstate.engine.ValueView;
import io.offstate.offheap.KeyComponent;

/**
 * The system under test: a store, the snapshots taken of it so far, a reused value view, and for
 * sorted stores a shared cursor. Counts the writes that changed the store (so that cursor commands
 * know whether a positioned cursor must fail fast) and keeps the keys observed after the last
 * command (scan commands derive bounds from them). A file-backed one ({@link #open}) can be
 * closed and reopened from its directory ({@link #reopen}); its snapshots are in memory of their
 * own and survive that.
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
    private TrackedCursor shared;
    private Cursor observer;

    /** An in-memory store of {@code setup}. */
    StoreUnderTest(StoreSetup setup) {
        this(setup, null);
    }

    private StoreUnderTest(StoreSetup setup, Path directory) {
        this.setup = setup;
        this.directory = directory;
        this.store = directory == null ? setup.create() : setup.open(directory);
        this.component = setup.config().keyComponent();
        this.sorted = setup.config().sorted();
        try {
            checkOpened();
        } catch (RuntimeException | AssertionError e) {
            store.closeWithoutFlush(); // nobody else can close it: a file-backed store would stay locked
            throw e;
        }
        flushed();
    }

    /** A file-backed store of {@code setup}, opened (created, if new) in {@code directory}. */
    static StoreUnderTest open(StoreSetup setup, Path directory) {
        return new StoreUnderTest(setup, directory);
    }

    /** Records the store's state as the durable one (after a flush, or an open). */
    void flushed() {
        memoryUsedAtFlush = store.memoryUsed();
        dictionarySizeAtFlush = store.dictionarySize();
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
        shared = null;
        observer = null;
        writes++;
        writeAttempts++;
        store = setup.open(directory); // only assigned once open: a failed open leaves the closed store
        checkOpened();
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
     * The SUT as a model: contents via forEach, size(), snapshot sizes; checks budget and dictionary
     * invariants, and (after every command that tried to write: reads cannot change the index)
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
        List<Long> sizes = new ArrayList<>(snapshots.size());
        for (StoreSnapshot s : snapshots) {
            sizes.add(s.size());
        }
        return Model.observed(entries, store.size(), sizes, store.flushGeneration());
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
