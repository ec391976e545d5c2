package io.offstate.propertytests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.api.function.Executable;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StatePartition;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.TestManagers;
import io.offstate.engine.Transaction;
import io.offstate.engine.TransactionCursor;
import io.offstate.engine.log.Durability;
import io.offstate.engine.log.WalOptions;
import io.offstate.propertytests.ManagerCommand.BadKind;
import io.offstate.propertytests.ManagerCommand.EndedUse;

/**
 * The state manager against a model: random sequences of {@link ManagerCommand}s over two
 * partitions (0 and 1), each with a hash store {@code a} and a sorted store {@code b}, keys from a
 * fixed space of seven (empty, prefixes of each other, bytes around the signed/unsigned boundary),
 * so that overwrites and deletes of committed and pending keys are frequent.
 *
 * <p>Commands: begin; transactional put, delete (its result), get and contains; full cursor reads
 * of {@code b} through the transaction, forward and reverse; commit with or without input
 * positions (empty, short, and now and then {@code MAX_POSITIONS} bytes), also of an empty
 * transaction; abort; close without commit; flush; revoke and assign again; close and reopen of the
 * manager; crash ({@code crashForTests}) and reopen; reads outside transactions; bad input and
 * calls in a bad state ({@link BadKind}: the specific exception, nothing changed, an open
 * transaction still usable); calls on ended transactions and their cursors (IllegalStateException).
 *
 * <p>The model: per partition and store a TreeMap of the committed state, the pending overlay of
 * the partition's open transaction (a null value: a pending delete), and the last committed input
 * positions. After every command: every store, read outside transactions (getCopy and contains of
 * each key, size(), and on {@code b} a full cursor in key order), equals its committed state; each
 * partition's {@code committedPositions()} equals the model's; and through an open transaction
 * getCopy, contains and a full cursor of {@code b} equal committed-overlaid-with-pending. Every
 * example ends with a close and reopen, checked the same way.
 *
 * <ul>
 *   <li>{@link #everyCommitSurvivesRevokeCloseAndCrash}: fsync every commit (the default): a crash
 *       loses nothing committed.</li>
 *   <li>{@link #withoutFsyncEveryCommitSurvivesClose}: {@link Durability#NEVER}; no crash
 *       commands (a crash may lose unforced batches), close and reopen must keep every commit.</li>
 * </ul>
 * Each example runs in a directory of its own under the test's temporary directory, deleted
 * after it; the manager is always closed. Default {@value #DEFAULT_EXAMPLES} examples of up to
 * {@value #MAX_COMMANDS} commands per property; {@code -Doffstate.model.examples=N} for more (and
 * {@code -Doffstate.pt.seed} for other examples, see {@link Settings}).
 */
class StateManagerModelTest {
    static final int DEFAULT_EXAMPLES = 40;
    /** Most runs spent dropping commands from a failing sequence (QuickTheories' own shrinking is off by default). */
    static final int MINIMIZER_RUNS = 300;
    static final int MAX_COMMANDS = 40;
    static final int PARTITIONS = 2;
    static final String[] STORES = {"a", "b"};
    /** Index of the sorted store. */
    static final int SORTED = 1;
    static final List<Bytes> KEYS = List.of(key(""), key("k"), key("k\u0000"), key("ka"), key("\u007f"), key("\u0080"),
        key("\u00ff\u00ff"));
    /** Positions as large as a partition's commit may carry. */
    static final Bytes MAX_POSITIONS = Bytes.wrap(filled(TestManagers.MAX_POSITIONS, (byte) 0x5A));

    @TempDir
    Path root;

    static int examples() {
        return Integer.getInteger("offstate.model.examples", DEFAULT_EXAMPLES);
    }

    @Test
    void everyCommitSurvivesRevokeCloseAndCrash() {
        property("state-manager-model/every-commit", WalOptions.defaults(), true);
    }

    @Test
    void withoutFsyncEveryCommitSurvivesClose() {
        property("state-manager-model/never", WalOptions.defaults().withDurability(Durability.NEVER), false);
    }

    /**
     * Regression, the minimized counterexample of {@link #everyCommitSurvivesRevokeCloseAndCrash}:
     * a committed put of the empty key (an ordinary key for the stores and transactions) is logged,
     * but after a crash the replay's batch validation rejects every record of key length 0, so the
     * partition cannot be assigned again (CorruptStoreFileException "a record of kind 1, key length
     * 0"). A close (which flushes) hides it: nothing is replayed.
     */
    @Test
    void emptyKeyCommitIsRecoveredAfterCrash() {
        run(root, WalOptions.defaults(), List.of(
            new ManagerCommand.Put(0, SORTED, 0, Bytes.wrap(new byte[] {1})),
            new ManagerCommand.Commit(0, null),
            new ManagerCommand.Crash()));
    }

    /**
     * Regression, the minimized counterexample of {@link #everyCommitSurvivesRevokeCloseAndCrash}
     * (with a put added so that data is lost too, not only positions): a commit refused for input
     * positions over {@code MAX_POSITIONS} logs a cancellation of the partition's <em>previous</em>,
     * applied commit. CommitLogSink.begin throws before it resets {@code appended}, which still
     * holds the previous batch's position, and the transaction's abortSinks calls aborted(), which
     * appends a CANCEL of that position; after a crash the replay skips the cancelled commit (its
     * put and its positions are gone).
     */
    @Test
    void refusedPositionsDoNotCancelThePreviousCommit() {
        run(root, WalOptions.defaults(), List.of(
            new ManagerCommand.Put(0, 0, 1, Bytes.wrap(new byte[] {1})),
            new ManagerCommand.Commit(0, Bytes.wrap(new byte[] {7})),
            new ManagerCommand.Bad(0, BadKind.POSITIONS_OVER_PARTITION_LIMIT),
            new ManagerCommand.Crash()));
    }

    private void property(String name, WalOptions wal, boolean crashes) {
        SequenceMinimizer<ManagerCommand> minimizer = new SequenceMinimizer<>(commands -> run(root, wal, commands), MINIMIZER_RUNS);
        try {
            qt().withFixedSeed(Settings.seed(name))
                .withExamples(examples())
                .withShrinkCycles(Integer.getInteger("offstate.model.shrinkCycles", 0))
                .forAll(commands(crashes))
                .checkAssert(minimizer::check);
        } catch (AssertionError e) {
            throw minimizer.explain(e);
        }
    }

    // ---------------------------------------------------------------- generators

    static Gen<List<ManagerCommand>> commands(boolean crashes) {
        return lists().of(command(crashes)).ofSizeBetween(1, MAX_COMMANDS);
    }

    static Gen<ManagerCommand> command(boolean crashes) {
        Gen<Integer> partition = Generate.range(0, PARTITIONS - 1);
        Gen<Integer> store = Generate.range(0, STORES.length - 1);
        Gen<Integer> key = Generate.range(0, KEYS.size() - 1);
        Gen<ManagerCommand> begin = partition.map(ManagerCommand.Begin::new);
        Gen<ManagerCommand> put = partition.zip(store, key, Gens.value(), ManagerCommand.Put::new);
        Gen<ManagerCommand> delete = partition.zip(store, key, ManagerCommand.Delete::new);
        Gen<ManagerCommand> get = partition.zip(store, key, ManagerCommand.Get::new);
        Gen<ManagerCommand> scan = partition.zip(booleans().all(), ManagerCommand.Scan::new);
        Gen<ManagerCommand> commit = partition.zip(positions(), ManagerCommand.Commit::new);
        Gen<ManagerCommand> abort = partition.map(ManagerCommand.Abort::new);
        Gen<ManagerCommand> closeTx = partition.map(ManagerCommand.CloseTx::new);
        Gen<ManagerCommand> flush = partition.map(ManagerCommand.Flush::new);
        Gen<ManagerCommand> reassign = partition.map(ManagerCommand.Reassign::new);
        Gen<ManagerCommand> reopen = Generate.constant(new ManagerCommand.Reopen());
        Gen<ManagerCommand> crash = Generate.constant(new ManagerCommand.Crash());
        Gen<ManagerCommand> outside = partition.zip(store, key, ManagerCommand.ReadOutside::new);
        Gen<ManagerCommand> bad = partition.zip(Generate.enumValues(BadKind.class), ManagerCommand.Bad::new);
        Gen<ManagerCommand> ended = partition.zip(Generate.enumValues(EndedUse.class), ManagerCommand.UseAfterEnd::new);
        List<Pair<Integer, Gen<ManagerCommand>>> weighted = new ArrayList<>(List.of(
            Pair.of(12, put), Pair.of(5, delete), Pair.of(4, get), Pair.of(3, scan), Pair.of(6, commit),
            Pair.of(2, begin), Pair.of(1, abort), Pair.of(1, closeTx), Pair.of(2, flush), Pair.of(1, reassign),
            Pair.of(1, reopen), Pair.of(2, outside), Pair.of(3, bad), Pair.of(1, ended)));
        if (crashes) {
            weighted.add(Pair.of(1, crash));
        }
        return Generate.frequency(weighted);
    }

    /** Input positions of a commit: none, empty, a few bytes, or now and then the largest allowed. */
    static Gen<Bytes> positions() {
        Gen<Bytes> small = Generate.range(1, 24).zip(longs().all(), (n, seed) -> Bytes.wrap(Gens.randomBytes(n, seed)));
        return Generate.frequency(Pair.of(12, Generate.constant((Bytes) null)), Pair.of(4, Generate.constant(Bytes.EMPTY)),
            Pair.of(23, small), Pair.of(1, Generate.constant(MAX_POSITIONS)));
    }

    // ---------------------------------------------------------------- running an example

    /** Runs {@code commands} in a new directory under {@code root}; always closes the manager and deletes the directory. */
    static void run(Path root, WalOptions wal, List<ManagerCommand> commands) {
        Path directory = StoreDirectory.newExampleDirectory(root);
        Run run = new Run(directory, wal);
        try {
            try {
                run.open();
                run.check("after the first open");
                for (int step = 0; step < commands.size(); step++) {
                    ManagerCommand c = commands.get(step);
                    String where = "step " + step + " " + c;
                    run.step(c, where);
                    run.check(where);
                }
                run.reopen(false);
                run.check("after the final close and reopen");
            } catch (Throwable t) {
                try {
                    run.closeManager();
                } catch (Throwable again) {
                    t.addSuppressed(again);
                }
                throw t;
            }
            run.closeManager();
        } finally {
            StoreDirectory.deleteRecursively(directory);
        }
    }

    /** The manager under test, its open and ended transactions, and the model. */
    static final class Run {
        final Path directory;
        final WalOptions wal;
        StateManager manager;
        final StatePartition[] partitions = new StatePartition[PARTITIONS];
        /** Committed state per partition and store. */
        @SuppressWarnings("unchecked")
        final TreeMap<Bytes, Bytes>[][] committed = new TreeMap[PARTITIONS][STORES.length];
        /** Pending writes of the open transaction per partition and store (null value: a delete); null: none open. */
        @SuppressWarnings("unchecked")
        final Map<Bytes, Bytes>[][] pending = new Map[PARTITIONS][];
        /** The positions of the last commit that carried some, per partition. */
        final Bytes[] positions = new Bytes[PARTITIONS];
        final Transaction[] open = new Transaction[PARTITIONS];
        final TransactionCursor[] openCursor = new TransactionCursor[PARTITIONS];
        final Transaction[] ended = new Transaction[PARTITIONS];
        final TransactionCursor[] endedCursor = new TransactionCursor[PARTITIONS];

        Run(Path directory, WalOptions wal) {
            this.directory = directory;
            this.wal = wal;
            for (TreeMap<Bytes, Bytes>[] perStore : committed) {
                for (int s = 0; s < perStore.length; s++) {
                    perStore[s] = new TreeMap<>();
                }
            }
        }

        void open() {
            manager = StateManager.open(StateManagerOptions.builder(directory).log(wal).build());
            manager.define(StoreOptions.builder().name(STORES[0]).build());
            manager.define(StoreOptions.builder().name(STORES[1]).sortedIndex(true).build());
            manager.assign(0, 1);
            for (int p = 0; p < PARTITIONS; p++) {
                partitions[p] = manager.partition(p);
            }
        }

        void closeManager() {
            if (manager != null && !manager.isClosed()) {
                manager.close();
            }
        }

        /** Close (or crash) and open again: every open transaction ends, nothing committed is lost. */
        void reopen(boolean crash) {
            if (crash) {
                TestManagers.crash(manager);
            } else {
                manager.close();
            }
            assertTrue(manager.isClosed());
            for (int p = 0; p < PARTITIONS; p++) {
                assertTrue(partitions[p].isRevoked(), "partition " + p + " of a closed manager");
                ended(p);
            }
            manager = null;
            open();
        }

        KeyValueStore store(int p, int s) {
            return partitions[p].store(STORES[s]);
        }

        /** The open transaction of {@code p}, begun (and modelled) if there is none. */
        Transaction tx(int p) {
            if (open[p] == null) {
                open[p] = partitions[p].begin();
                openCursor[p] = null;
                Map<Bytes, Bytes>[] overlay = newOverlay();
                pending[p] = overlay;
            }
            return open[p];
        }

        @SuppressWarnings("unchecked")
        private static Map<Bytes, Bytes>[] newOverlay() {
            Map<Bytes, Bytes>[] overlay = new Map[STORES.length];
            for (int s = 0; s < overlay.length; s++) {
                overlay[s] = new HashMap<>();
            }
            return overlay;
        }

        /** The open transaction of {@code p} ended (committed, aborted, closed, or by revoke or close). */
        void ended(int p) {
            if (open[p] != null) {
                assertTrue(open[p].isDone(), "transaction of partition " + p + " ended");
                ended[p] = open[p];
                if (openCursor[p] != null) {
                    endedCursor[p] = openCursor[p];
                }
            }
            open[p] = null;
            openCursor[p] = null;
            pending[p] = null;
        }

        TreeMap<Bytes, Bytes> visible(int p, int s) {
            TreeMap<Bytes, Bytes> v = new TreeMap<>(committed[p][s]);
            if (pending[p] != null) {
                for (Map.Entry<Bytes, Bytes> e : pending[p][s].entrySet()) {
                    if (e.getValue() == null) {
                        v.remove(e.getKey());
                    } else {
                        v.put(e.getKey(), e.getValue());
                    }
                }
            }
            return v;
        }

        void step(ManagerCommand command, String where) {
            switch (command) {
                case ManagerCommand.Begin b -> {
                    if (open[b.partition()] != null) {
                        assertThrows(IllegalStateException.class, () -> partitions[b.partition()].begin(), where);
                    } else {
                        tx(b.partition());
                    }
                }
                case ManagerCommand.Put c -> {
                    tx(c.partition()).put(store(c.partition(), c.store()), KEYS.get(c.key()).array(), c.value().array());
                    pending[c.partition()][c.store()].put(KEYS.get(c.key()), c.value());
                }
                case ManagerCommand.Delete c -> {
                    Transaction tx = tx(c.partition());
                    Bytes k = KEYS.get(c.key());
                    boolean visible = visible(c.partition(), c.store()).containsKey(k);
                    assertEquals(visible, tx.delete(store(c.partition(), c.store()), k.array()), where);
                    pending[c.partition()][c.store()].put(k, null);
                }
                case ManagerCommand.Get c -> {
                    Transaction tx = tx(c.partition());
                    Bytes k = KEYS.get(c.key());
                    KeyValueStore store = store(c.partition(), c.store());
                    Bytes expected = visible(c.partition(), c.store()).get(k);
                    assertEquals(expected, wrap(tx.getCopy(store, k.array())), where);
                    assertEquals(expected != null, tx.contains(store, k.array()), where);
                    assertEquals(committed[c.partition()][c.store()].get(k), wrap(store.getCopy(k.array())), "outside, " + where);
                }
                case ManagerCommand.Scan c -> {
                    Transaction tx = tx(c.partition());
                    TransactionCursor cursor = tx.cursor(store(c.partition(), SORTED));
                    openCursor[c.partition()] = cursor;
                    List<Map.Entry<Bytes, Bytes>> expected = new ArrayList<>(visible(c.partition(), SORTED).entrySet());
                    if (c.reverse()) {
                        java.util.Collections.reverse(expected);
                        cursor.rangeReverse(null, null);
                    } else {
                        cursor.range(null, null);
                    }
                    assertEquals(expected, read(cursor), where);
                }
                case ManagerCommand.Commit c -> {
                    int p = c.partition();
                    tx(p).commit(c.positions() == null ? null : c.positions().array());
                    for (int s = 0; s < STORES.length; s++) {
                        committed[p][s] = visible(p, s);
                    }
                    if (c.positions() != null) {
                        positions[p] = c.positions();
                    }
                    ended(p);
                }
                case ManagerCommand.Abort c -> {
                    if (open[c.partition()] != null) {
                        open[c.partition()].abort();
                        ended(c.partition());
                    }
                }
                case ManagerCommand.CloseTx c -> {
                    int p = c.partition();
                    if (open[p] != null) {
                        open[p].close();
                        ended(p);
                    } else if (ended[p] != null) {
                        ended[p].close(); // idempotent
                        assertTrue(ended[p].isDone(), where);
                    }
                }
                case ManagerCommand.Flush c -> {
                    if (open[c.partition()] != null) {
                        assertThrows(IllegalStateException.class, () -> partitions[c.partition()].flush(), where);
                    } else {
                        partitions[c.partition()].flush();
                    }
                }
                case ManagerCommand.Reassign c -> {
                    int p = c.partition();
                    StatePartition old = partitions[p];
                    manager.revoke(p);
                    assertTrue(old.isRevoked(), where);
                    ended(p);
                    manager.assign(p);
                    partitions[p] = manager.partition(p);
                }
                case ManagerCommand.Reopen c -> reopen(false);
                case ManagerCommand.Crash c -> reopen(true);
                case ManagerCommand.ReadOutside c -> {
                    KeyValueStore store = store(c.partition(), c.store());
                    Bytes k = KEYS.get(c.key());
                    TreeMap<Bytes, Bytes> state = committed[c.partition()][c.store()];
                    assertEquals(state.get(k), wrap(store.getCopy(k.array())), where);
                    assertEquals(state.containsKey(k), store.contains(k.array()), where);
                    assertEquals(state.size(), store.size(), where);
                }
                case ManagerCommand.Bad c -> bad(c.partition(), c.kind(), where);
                case ManagerCommand.UseAfterEnd c -> useAfterEnd(c.partition(), c.use(), where);
            }
        }

        private void bad(int p, BadKind kind, String where) {
            byte[] k = KEYS.get(1).array();
            byte[] v = {1, 2, 3};
            switch (kind) {
                case NULL_KEY_PUT -> {
                    Transaction tx = tx(p);
                    expect(NullPointerException.class, () -> tx.put(store(p, 0), null, v), where);
                    expect(NullPointerException.class, () -> tx.put(store(p, SORTED), null, v), where);
                }
                case NULL_KEY_GET -> {
                    Transaction tx = tx(p);
                    expect(NullPointerException.class, () -> tx.getCopy(store(p, 0), null), where);
                    expect(NullPointerException.class, () -> tx.getCopy(store(p, SORTED), null), where);
                }
                case NULL_KEY_CONTAINS -> {
                    Transaction tx = tx(p);
                    expect(NullPointerException.class, () -> tx.contains(store(p, 0), (byte[]) null), where);
                    expect(NullPointerException.class, () -> tx.contains(store(p, SORTED), (byte[]) null), where);
                }
                case NULL_KEY_DELETE -> {
                    Transaction tx = tx(p);
                    expect(NullPointerException.class, () -> tx.delete(store(p, 0), (byte[]) null), where);
                    expect(NullPointerException.class, () -> tx.delete(store(p, SORTED), (byte[]) null), where);
                }
                case NULL_VALUE_PUT -> {
                    Transaction tx = tx(p);
                    expect(NullPointerException.class, () -> tx.put(store(p, 0), k, (byte[]) null), where);
                    expect(NullPointerException.class, () -> tx.put(store(p, SORTED), k, (byte[]) null), where);
                }
                case NULL_KEY_OUTSIDE -> {
                    expect(NullPointerException.class, () -> store(p, 0).getCopy((byte[]) null), where);
                    expect(NullPointerException.class, () -> store(p, SORTED).contains((byte[]) null), where);
                }
                case POSITIONS_OVER_PARTITION_LIMIT -> {
                    Transaction tx = tx(p);
                    expect(IllegalArgumentException.class, () -> tx.commit(new byte[TestManagers.MAX_POSITIONS + 1]), where);
                    assertFalse(tx.isDone(), "a refused commit leaves the transaction open, " + where);
                }
                case POSITIONS_OVER_STORE_LIMIT -> {
                    Transaction tx = tx(p);
                    expect(IllegalArgumentException.class, () -> tx.commit(new byte[KeyValueStore.MAX_FLUSH_METADATA + 1]), where);
                    assertFalse(tx.isDone(), "a refused commit leaves the transaction open, " + where);
                }
                case BEGIN_WHILE_OPEN -> {
                    tx(p);
                    expect(IllegalStateException.class, () -> partitions[p].begin(), where);
                }
                case FLUSH_WHILE_OPEN -> {
                    tx(p);
                    expect(IllegalStateException.class, () -> partitions[p].flush(), where);
                }
                case CURSOR_ON_HASH_STORE -> {
                    Transaction tx = tx(p);
                    expect(UnsupportedOperationException.class, () -> tx.cursor(store(p, 0)), where);
                }
                case FOREIGN_STORE -> {
                    Transaction tx = tx(p);
                    KeyValueStore foreign = store(1 - p, 0);
                    expect(IllegalArgumentException.class, () -> tx.put(foreign, k, v), where);
                    expect(IllegalArgumentException.class, () -> tx.getCopy(foreign, k), where);
                }
                case DIRECT_WRITE -> {
                    expect(IllegalStateException.class, () -> store(p, 0).put(k, v), where);
                    expect(IllegalStateException.class, () -> store(p, SORTED).delete(k), where);
                }
                case ASSIGN_ASSIGNED -> expect(IllegalStateException.class, () -> manager.assign(p), where);
                case REVOKE_UNASSIGNED -> expect(IllegalStateException.class, () -> manager.revoke(PARTITIONS), where);
                case UNKNOWN_STORE -> expect(IllegalArgumentException.class, () -> partitions[p].store("c"), where);
            }
        }

        private void useAfterEnd(int p, EndedUse use, String where) {
            Transaction tx = ended[p];
            if (tx == null) {
                return;
            }
            assertTrue(tx.isDone(), where);
            byte[] k = KEYS.get(0).array();
            KeyValueStore a = store(p, 0);
            KeyValueStore b = store(p, SORTED);
            switch (use) {
                case PUT -> expect(IllegalStateException.class, () -> tx.put(a, k, k), where);
                case GET -> expect(IllegalStateException.class, () -> tx.getCopy(b, k), where);
                case CONTAINS -> expect(IllegalStateException.class, () -> tx.contains(a, k), where);
                case DELETE -> expect(IllegalStateException.class, () -> tx.delete(b, k), where);
                case CURSOR -> expect(IllegalStateException.class, () -> tx.cursor(b), where);
                case COMMIT -> expect(IllegalStateException.class, () -> tx.commit(new byte[] {9}), where);
                case ABORT -> expect(IllegalStateException.class, tx::abort, where);
                case STALE_CURSOR_RANGE -> {
                    TransactionCursor cursor = endedCursor[p];
                    if (cursor != null) {
                        expect(IllegalStateException.class, () -> cursor.range(null, null), where);
                        expect(IllegalStateException.class, cursor::next, where);
                        assertFalse(cursor.isOnEntry(), where);
                    }
                }
            }
            tx.close(); // still a no-op
        }

        /** Checks everything observable against the model. */
        void check(String where) {
            for (int p = 0; p < PARTITIONS; p++) {
                StatePartition partition = partitions[p];
                assertEquals(positions[p], wrap(partition.committedPositions()), "committed positions of partition " + p + ", " + where);
                for (int s = 0; s < STORES.length; s++) {
                    String what = "partition " + p + " store " + STORES[s] + " outside transactions, " + where;
                    KeyValueStore store = partition.store(STORES[s]);
                    TreeMap<Bytes, Bytes> state = committed[p][s];
                    assertEquals(state.size(), store.size(), "size of " + what);
                    for (Bytes k : KEYS) {
                        assertEquals(state.get(k), wrap(store.getCopy(k.array())), "get " + k + " of " + what);
                        assertEquals(state.containsKey(k), store.contains(k.array()), "contains " + k + " of " + what);
                    }
                    if (s == SORTED) {
                        assertEquals(new ArrayList<>(state.entrySet()), read(store.cursor().range(null, null)), "cursor of " + what);
                    }
                }
                Transaction tx = open[p];
                if (tx != null) {
                    assertFalse(tx.isDone(), where);
                    for (int s = 0; s < STORES.length; s++) {
                        String what = "partition " + p + " store " + STORES[s] + " through its transaction, " + where;
                        KeyValueStore store = partition.store(STORES[s]);
                        TreeMap<Bytes, Bytes> visible = visible(p, s);
                        for (Bytes k : KEYS) {
                            assertEquals(visible.get(k), wrap(tx.getCopy(store, k.array())), "get " + k + " of " + what);
                            assertEquals(visible.containsKey(k), tx.contains(store, k.array()), "contains " + k + " of " + what);
                        }
                        if (s == SORTED) {
                            assertEquals(new ArrayList<>(visible.entrySet()), read(tx.cursor(store).range(null, null)),
                                "cursor of " + what);
                        }
                    }
                }
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    static List<Map.Entry<Bytes, Bytes>> read(TransactionCursor cursor) {
        List<Map.Entry<Bytes, Bytes>> out = new ArrayList<>();
        while (cursor.next()) {
            out.add(Map.entry(Bytes.wrap(cursor.key().toByteArray()), Bytes.wrap(cursor.value().toByteArray())));
        }
        return out;
    }

    static List<Map.Entry<Bytes, Bytes>> read(Cursor cursor) {
        List<Map.Entry<Bytes, Bytes>> out = new ArrayList<>();
        while (cursor.next()) {
            out.add(Map.entry(Bytes.wrap(cursor.key().toByteArray()), Bytes.wrap(cursor.value().toByteArray())));
        }
        return out;
    }

    static <T extends Throwable> void expect(Class<T> type, Executable call, String where) {
        assertThrows(type, call, type.getSimpleName() + " expected, " + where);
    }

    static Bytes wrap(byte[] b) {
        return b == null ? null : Bytes.wrap(b);
    }

    static Bytes key(String s) {
        return Bytes.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    static byte[] filled(int n, byte b) {
        byte[] a = new byte[n];
        Arrays.fill(a, b);
        return a;
    }
}
