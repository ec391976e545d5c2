package io.offstate.propertytests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
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
import io.offstate.engine.ValueView;
import io.offstate.engine.time.TtlCursor;
import io.offstate.engine.time.TtlStore;

/**
 * {@link TtlStore} against a model: random sequences of puts (random and default ttls, timestamps
 * out of order, late records already expired on arrival), deletes, advances of stream time,
 * explicit sweeps and full drains, reads and scans (range, prefix, forward and reverse, through the
 * transaction and on committed state), commits and aborts, and — for a store managed by a
 * {@link StateManager} with the default (fsync) durability — close and reopen, revoke and assign,
 * and crash ({@link TestManagers#crash}) and reopen.
 *
 * <p>The model: per key the value and expiry of the last put that was stored, and stream time (the
 * largest timestamp seen), committed and as the open transaction sees them. A put stores its entry
 * iff {@code timestamp + ttl > max(streamTime, timestamp)}, else removes the key. Checked after every
 * command, committed and through the open transaction: get, contains and expiry of every key, stream
 * time; on the committed backing store, by a raw cursor: every data entry has exactly one index
 * entry of its expiry and no index entry is stale, and the live data entries are exactly the model's.
 * Each put, delete and advance may read and remove at most {@code maxSweepPerCall} index entries
 * (counted by {@link TtlStore#stats()}); after a drain the transaction sees no expired entry in
 * the backing store at all.
 *
 * <p>Default {@value #MANAGED_EXAMPLES} managed examples and {@value #MEMORY_EXAMPLES} in-memory
 * examples per sweep limit (0, 1 and 3); {@code -Doffstate.model.examples=N} sets the managed count
 * (the in-memory one scales with it).
 */
class TtlStoreModelTest {
    static final int MANAGED_EXAMPLES = 12;
    static final int MEMORY_EXAMPLES = 60;
    static final int MAX_COMMANDS = 50;
    static final int MINIMIZER_RUNS = 300;
    static final long DEFAULT_TTL = 30;
    static final int[] SWEEP_LIMITS = {0, 1, 3};
    static final String STORE = "ttl";
    static final List<Bytes> KEYS = List.of(key(""), key("k"), key("k\u0000"), key("ka"), key("\u007f"), key("\u0080"),
        key("\u00ff\u00ff"));

    @TempDir
    Path root;

    static Bytes key(String s) {
        return Bytes.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    static int managedExamples() {
        return Integer.getInteger("offstate.model.examples", MANAGED_EXAMPLES);
    }

    @Test
    void managedStoreMatchesTheModelThroughReopenRevokeAndCrash() {
        for (int limit : SWEEP_LIMITS) {
            property("ttl-model/managed/" + limit, true, limit, managedExamples());
        }
    }

    @Test
    void inMemoryStoreMatchesTheModel() {
        for (int limit : SWEEP_LIMITS) {
            property("ttl-model/memory/" + limit, false, limit, managedExamples() * MEMORY_EXAMPLES / MANAGED_EXAMPLES);
        }
    }

    /** Regression: a late put expired on arrival must remove the key's older value and its index entry. */
    @Test
    void lateExpiredPutRemovesThePreviousValue() {
        run(root, true, 1, List.of(new Put(1, 1, 10, 50), new Advance(40), new Put(1, 2, 5, 20), new Commit(), new Crash()));
    }

    private void property(String name, boolean managed, int maxSweep, int examples) {
        SequenceMinimizer<Command> minimizer = new SequenceMinimizer<>(c -> run(root, managed, maxSweep, c), MINIMIZER_RUNS);
        try {
            qt().withFixedSeed(Settings.seed(name))
                .withExamples(examples)
                .withShrinkCycles(Integer.getInteger("offstate.model.shrinkCycles", 0))
                .forAll(commands(managed))
                .checkAssert(minimizer::check);
        } catch (AssertionError e) {
            throw minimizer.explain(e);
        }
    }

    // ---------------------------------------------------------------- commands

    sealed interface Command permits Put, Delete, Advance, Sweep, Drain, Scan, Commit, Abort, Reopen, Crash, Reassign, Bad {
    }

    /** A put; {@code ttl == 0}: with the default ttl. */
    record Put(int key, int value, long timestamp, long ttl) implements Command {
    }

    record Delete(int key, long timestamp) implements Command {
    }

    record Advance(long streamTime) implements Command {
    }

    record Sweep(int max) implements Command {
    }

    /** Sweeps until nothing expired is left, then counts the backing store's entries through the transaction. */
    record Drain() implements Command {
    }

    /** kind 0: everything, 1: range [from, to), 2: prefix of key {@code from}. */
    record Scan(int kind, int from, int to, boolean reverse, boolean viaTx) implements Command {
    }

    record Commit() implements Command {
    }

    record Abort() implements Command {
    }

    record Reopen() implements Command {
    }

    record Crash() implements Command {
    }

    record Reassign() implements Command {
    }

    /** Bad input of kind {@code kind}: the specific exception, nothing staged. */
    record Bad(int kind) implements Command {
    }

    static Gen<List<Command>> commands(boolean managed) {
        return lists().of(command(managed)).ofSizeBetween(1, MAX_COMMANDS);
    }

    static Gen<Command> command(boolean managed) {
        Gen<Integer> key = Generate.range(0, KEYS.size() - 1);
        Gen<Long> ts = longs().between(0, 120);
        Gen<Long> ttl = Generate.frequency(Pair.of(1, Generate.constant(0L)), Pair.of(4, longs().between(1, 50)));
        Gen<Command> put = key.zip(Generate.range(0, 255), ts, ttl, Put::new);
        Gen<Command> delete = key.zip(ts, Delete::new);
        Gen<Command> advance = longs().between(0, 160).map(Advance::new);
        Gen<Command> sweep = Generate.range(0, 5).map(Sweep::new);
        Gen<Command> scan = Generate.range(0, 2).zip(key, key, Generate.range(0, 3),
            (kind, from, to, flags) -> new Scan(kind, from, to, (flags & 1) != 0, (flags & 2) != 0));
        List<Pair<Integer, Gen<Command>>> weighted = new ArrayList<>(List.of(
            Pair.of(14, put), Pair.of(3, delete), Pair.of(4, advance), Pair.of(2, sweep),
            Pair.of(1, Generate.constant(new Drain())), Pair.of(3, scan), Pair.of(5, Generate.constant(new Commit())),
            Pair.of(1, Generate.constant(new Abort())), Pair.of(2, Generate.range(0, 7).map(Bad::new))));
        if (managed) {
            weighted.add(Pair.of(1, Generate.constant(new Reopen())));
            weighted.add(Pair.of(1, Generate.constant(new Crash())));
            weighted.add(Pair.of(1, Generate.constant(new Reassign())));
        }
        return Generate.frequency(weighted);
    }

    // ---------------------------------------------------------------- running an example

    static void run(Path root, boolean managed, int maxSweep, List<Command> commands) {
        Path directory = StoreDirectory.newExampleDirectory(root);
        Run run = new Run(directory, managed, maxSweep);
        try {
            try {
                run.open();
                run.check("after the first open");
                for (int step = 0; step < commands.size(); step++) {
                    Command c = commands.get(step);
                    String where = "step " + step + " " + c;
                    run.step(c, where);
                    run.check(where);
                }
                if (managed) {
                    run.reopen(false);
                    run.check("after the final close and reopen");
                }
            } catch (Throwable t) {
                try {
                    run.close();
                } catch (Throwable again) {
                    t.addSuppressed(again);
                }
                throw t;
            }
            run.close();
        } finally {
            StoreDirectory.deleteRecursively(directory);
        }
    }

    /** A key's entry in the model. */
    record Entry(Bytes value, long expiry) {
    }

    /** Stream time and entries, committed or as a transaction sees them; entries may be expired (never read). */
    static final class State {
        final TreeMap<Bytes, Entry> entries;
        long streamTime;

        State(TreeMap<Bytes, Entry> entries, long streamTime) {
            this.entries = entries;
            this.streamTime = streamTime;
        }

        State copy() {
            return new State(new TreeMap<>(entries), streamTime);
        }

        /** The live entries. */
        TreeMap<Bytes, Entry> live() {
            TreeMap<Bytes, Entry> live = new TreeMap<>();
            entries.forEach((k, e) -> {
                if (e.expiry > streamTime) {
                    live.put(k, e);
                }
            });
            return live;
        }

        boolean put(Bytes key, Bytes value, long timestamp, long ttl) {
            streamTime = Math.max(streamTime, timestamp);
            long sum = timestamp + ttl;
            long expiry = sum < timestamp ? Long.MAX_VALUE : sum;
            if (expiry <= streamTime) {
                entries.remove(key);
                return false;
            }
            entries.put(key, new Entry(value, expiry));
            return true;
        }

        boolean delete(Bytes key, long timestamp) {
            streamTime = Math.max(streamTime, timestamp);
            Entry e = entries.remove(key);
            return e != null && e.expiry > streamTime;
        }
    }

    static final class Run {
        final Path directory;
        final boolean managed;
        final int maxSweep;
        final ValueView view = new ValueView();
        StateManager manager;
        StatePartition partition;
        KeyValueStore store;
        TtlStore ttl;
        TtlCursor cursor;
        Transaction tx;
        State committed = new State(new TreeMap<>(), -1);
        State working;

        Run(Path directory, boolean managed, int maxSweep) {
            this.directory = directory;
            this.managed = managed;
            this.maxSweep = maxSweep;
        }

        void open() {
            if (managed) {
                manager = StateManager.open(StateManagerOptions.builder(directory).build());
                manager.define(StoreOptions.builder().name(STORE).sortedIndex(true).build());
                manager.assign(0);
                bind();
            } else {
                store = KeyValueStore.create(StoreOptions.builder().name(STORE).sortedIndex(true).build());
                ttl = TtlStore.on(store, DEFAULT_TTL, maxSweep);
                cursor = ttl.cursor();
            }
        }

        private void bind() {
            partition = manager.partition(0);
            store = partition.store(STORE);
            ttl = TtlStore.on(store, DEFAULT_TTL, maxSweep);
            cursor = ttl.cursor();
        }

        void close() {
            if (managed) {
                if (manager != null && !manager.isClosed()) {
                    manager.close();
                }
            } else {
                if (tx != null) {
                    tx.close();
                }
                store.close();
            }
        }

        void reopen(boolean crash) {
            if (crash) {
                TestManagers.crash(manager);
            } else {
                manager.close();
            }
            txEnded();
            open();
        }

        Transaction tx() {
            if (tx == null) {
                tx = managed ? partition.begin() : Transaction.begin(store);
                working = committed.copy();
            }
            return tx;
        }

        void txEnded() {
            tx = null;
            working = null;
        }

        void step(Command command, String where) {
            switch (command) {
                case Put p -> {
                    Transaction t = tx();
                    Bytes k = KEYS.get(p.key());
                    Bytes v = Bytes.wrap(new byte[] {(byte) p.value(), 7});
                    long ttlMillis = p.ttl() == 0 ? DEFAULT_TTL : p.ttl();
                    boolean expected = working.put(k, v, p.timestamp(), ttlMillis);
                    long[] before = work();
                    boolean actual = p.ttl() == 0
                        ? ttl.put(t, k.array(), v.array(), p.timestamp())
                        : ttl.put(t, k.array(), v.array(), p.timestamp(), ttlMillis);
                    assertEquals(expected, actual, where + ": put result");
                    checkBounded(before, where);
                }
                case Delete d -> {
                    Transaction t = tx();
                    Bytes k = KEYS.get(d.key());
                    boolean expected = working.delete(k, d.timestamp());
                    long[] before = work();
                    assertEquals(expected, ttl.delete(t, k.array(), d.timestamp()), where + ": delete result");
                    checkBounded(before, where);
                }
                case Advance a -> {
                    Transaction t = tx();
                    working.streamTime = Math.max(working.streamTime, a.streamTime());
                    long[] before = work();
                    ttl.advance(t, a.streamTime());
                    checkBounded(before, where);
                }
                case Sweep s -> {
                    int n = ttl.sweep(tx(), s.max());
                    assertTrue(n >= 0 && n <= s.max(), where + ": swept " + n);
                }
                case Drain d -> drain(where);
                case Scan s -> scan(s, where);
                case Commit c -> {
                    if (tx == null) {
                        tx();
                    }
                    tx.commit();
                    committed = working;
                    txEnded();
                }
                case Abort a -> {
                    if (tx != null) {
                        tx.abort();
                        txEnded();
                    }
                }
                case Reopen r -> reopen(false);
                case Crash c -> reopen(true);
                case Reassign r -> {
                    manager.revoke(0);
                    txEnded();
                    manager.assign(0);
                    bind();
                }
                case Bad b -> bad(b.kind(), where);
            }
        }

        private long[] work() {
            return new long[] {ttl.stats().indexEntriesRead(), ttl.stats().entriesSwept()};
        }

        private void checkBounded(long[] before, String where) {
            long read = ttl.stats().indexEntriesRead() - before[0];
            long swept = ttl.stats().entriesSwept() - before[1];
            assertTrue(read <= maxSweep && swept <= read, where + ": a write read " + read + " index entries and swept "
                + swept + " with maxSweepPerCall " + maxSweep);
        }

        private void drain(String where) {
            Transaction t = tx();
            int rounds = 0;
            while (ttl.sweep(t, 4) == 4) {
                assertTrue(++rounds < 10_000, where + ": drain does not end");
            }
            TreeMap<Bytes, Entry> live = working.live();
            TransactionCursor raw = t.cursor(store).prefix(new byte[] {0x01});
            int data = 0;
            while (raw.next()) {
                data++;
            }
            raw.prefix(new byte[] {0x02});
            int index = 0;
            while (raw.next()) {
                index++;
            }
            assertEquals(live.size(), data, where + ": data entries after a drain (no expired one may be left)");
            assertEquals(live.size(), index, where + ": index entries after a drain");
        }

        private void scan(Scan s, String where) {
            Transaction t = s.viaTx() ? tx() : null;
            State state = t == null ? committed : working;
            NavigableMap<Bytes, Entry> expected = state.live();
            byte[] from = KEYS.get(s.from()).array();
            byte[] to = KEYS.get(s.to()).array();
            switch (s.kind()) {
                case 0 -> {
                    if (s.reverse()) {
                        cursor.rangeReverse(t, null, null);
                    } else {
                        cursor.range(t, null, null);
                    }
                }
                case 1 -> {
                    Bytes f = KEYS.get(s.from());
                    Bytes e = KEYS.get(s.to());
                    expected = f.compareTo(e) < 0 ? expected.subMap(f, true, e, false) : new TreeMap<>();
                    if (s.reverse()) {
                        cursor.rangeReverse(t, from, to);
                    } else {
                        cursor.range(t, from, to);
                    }
                }
                default -> {
                    Bytes prefix = KEYS.get(s.from());
                    TreeMap<Bytes, Entry> m = new TreeMap<>();
                    expected.forEach((k, e) -> {
                        if (k.startsWith(prefix)) {
                            m.put(k, e);
                        }
                    });
                    expected = m;
                    if (s.reverse()) {
                        cursor.prefixReverse(t, from);
                    } else {
                        cursor.prefix(t, from);
                    }
                }
            }
            List<String> want = new ArrayList<>();
            (s.reverse() ? expected.descendingMap() : expected).forEach((k, e) -> want.add(k + "=" + e.value + "@" + e.expiry));
            List<String> got = new ArrayList<>();
            while (cursor.next()) {
                got.add(Bytes.wrap(cursor.key().toByteArray()) + "=" + Bytes.wrap(cursor.value().toByteArray()) + "@"
                    + cursor.expiry());
            }
            assertEquals(want, got, where + ": scan");
        }

        private void bad(int kind, String where) {
            Transaction t = tx();
            long pending = t.pendingWrites(store);
            byte[] k = KEYS.get(1).array();
            byte[] v = {1};
            Class<? extends Throwable> type = switch (kind) {
                case 0 -> assertThrows(NullPointerException.class, () -> ttl.put(t, null, v, 1)).getClass();
                case 1 -> assertThrows(NullPointerException.class, () -> ttl.put(t, k, null, 1)).getClass();
                case 2 -> assertThrows(IllegalArgumentException.class, () -> ttl.put(t, k, v, -1)).getClass();
                case 3 -> assertThrows(IllegalArgumentException.class, () -> ttl.put(t, k, v, 1, 0)).getClass();
                case 4 -> assertThrows(IllegalArgumentException.class, () -> ttl.delete(t, k, -3)).getClass();
                case 5 -> assertThrows(IllegalArgumentException.class, () -> ttl.advance(t, -1)).getClass();
                case 6 -> assertThrows(IllegalArgumentException.class, () -> ttl.sweep(t, -1)).getClass();
                default -> assertThrows(IllegalArgumentException.class,
                    () -> ttl.put(t, new byte[TtlStore.MAX_KEY_LENGTH + 1], v, 1)).getClass();
            };
            assertNotNull(type);
            assertEquals(pending, t.pendingWrites(store), where + ": bad input staged something");
        }

        void check(String where) {
            checkReads(null, committed, where + " (committed)");
            if (tx != null) {
                checkReads(tx, working, where + " (through the transaction)");
            }
            checkBackingStore(where);
        }

        private void checkReads(Transaction t, State state, String where) {
            assertEquals(state.streamTime, ttl.streamTime(t), where + ": stream time");
            for (Bytes k : KEYS) {
                Entry e = state.entries.get(k);
                boolean live = e != null && e.expiry > state.streamTime;
                assertEquals(live, ttl.contains(t, k.array()), where + ": contains " + k);
                assertEquals(live ? e.expiry : -1, ttl.expiry(t, k.array()), where + ": expiry of " + k);
                boolean found = ttl.get(t, k.array(), view);
                assertEquals(live, found, where + ": get " + k);
                if (found) {
                    assertEquals(e.value, Bytes.wrap(view.toByteArray()), where + ": value of " + k);
                }
            }
        }

        /** The committed backing store, read raw: data and index agree, and the live data is the model's. */
        private void checkBackingStore(String where) {
            Map<Bytes, Long> dataExpiry = new HashMap<>();
            TreeMap<Bytes, Entry> liveData = new TreeMap<>();
            List<String> index = new ArrayList<>();
            Cursor raw = store.cursor().range(new byte[] {0x01}, null);
            while (raw.next()) {
                byte[] key = raw.key().toByteArray();
                byte[] value = raw.value().toByteArray();
                if (key[0] == 0x01) {
                    Bytes user = Bytes.wrap(java.util.Arrays.copyOfRange(key, 1, key.length));
                    long expiry = raw.value().getLongBigEndian(0);
                    dataExpiry.put(user, expiry);
                    if (expiry > committed.streamTime) {
                        liveData.put(user, new Entry(Bytes.wrap(java.util.Arrays.copyOfRange(value, 8, value.length)), expiry));
                    }
                } else {
                    assertEquals(0x02, key[0], where + ": an entry outside the layout: " + Bytes.wrap(key));
                    assertEquals(0, value.length, where + ": index entries are empty");
                    long expiry = raw.key().getLongBigEndian(1);
                    Bytes user = Bytes.wrap(java.util.Arrays.copyOfRange(key, 9, key.length));
                    // data keys (0x01) sort before index keys (0x02): every data entry is known here
                    assertEquals(Long.valueOf(expiry), dataExpiry.get(user), where + ": index entry " + user + "@" + expiry + " without its data entry");
                    index.add(user + "@" + expiry);
                }
            }
            List<String> wantIndex = new ArrayList<>();
            dataExpiry.entrySet().stream()
                .sorted((a, b) -> a.getValue().equals(b.getValue()) ? a.getKey().compareTo(b.getKey()) : Long.compare(a.getValue(), b.getValue()))
                .forEach(e -> wantIndex.add(e.getKey() + "@" + e.getValue()));
            assertEquals(wantIndex, index, where + ": one index entry per data entry, in expiry order");
            assertEquals(committed.live(), liveData, where + ": live data entries of the backing store");
            assertFalse(store.isClosed());
        }

    }
}
