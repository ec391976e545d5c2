package io.offstate.propertytests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
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
import io.offstate.engine.ValueView;
import io.offstate.engine.time.SessionCursor;
import io.offstate.engine.time.SessionExpiredException;
import io.offstate.engine.time.SessionStore;

/**
 * The session store against a model: random sequences of {@link Cmd}s — puts of sessions whose end
 * is drawn around stream time (late ones before the horizon included), removes and exact fetches of
 * live, expired and absent sessions, finds by key and by key range forward and backward, a
 * session-window merge through find/remove/put, commits and aborts, reopen (close of a file-backed
 * store or of a state manager), crash of a state manager, revoke and assign, and bad input — over
 * keys that are prefixes of each other (one is a key followed by a big-endian end time, which sorts
 * inside the shorter key's range).
 *
 * <p>The model: a TreeMap of (key, start, end) → aggregate and the stream time, committed and as the
 * open transaction sees them. After every command: stream time, a full fetch and its backward
 * variant (in the layout's order: segment, then the stored bytes key ‖ end ‖ start), both committed and through the open
 * transaction, equal the model's live sessions; every physical entry of the backing store is either
 * a live session of the model with its aggregate or expired (a swept entry never reappears, an
 * unswept one is never shown); the sweep never stepped onto an entry it did not delete. Retention,
 * segment interval and sweep limit vary per example.
 *
 * <p>Default {@value #MEMORY_EXAMPLES} examples in memory, {@value #DURABLE_EXAMPLES} file-backed
 * and managed, of up to {@value #MAX_COMMANDS} commands, scaled by {@link Settings#scaled}.
 */
class SessionStoreModelTest {
    static final int MEMORY_EXAMPLES = 250;
    static final int DURABLE_EXAMPLES = 25;
    static final int MAX_COMMANDS = 40;
    static final int MINIMIZER_RUNS = 300;
    static final List<Bytes> KEYS = List.of(key(""), key("k"), key("k\u0000"),
        Bytes.wrap(ByteBuffer.allocate(9).put((byte) 'k').putLong(3).array()), key("ka"), key("\u00ff"));

    enum Mode { MEMORY, FILE, MANAGED }

    @TempDir
    Path root;

    static Bytes key(String s) {
        return Bytes.wrap(s.getBytes(StandardCharsets.ISO_8859_1));
    }

    @Test
    void inMemoryStoreMatchesTheModel() {
        property("session-model/memory", Mode.MEMORY, Settings.scaled(MEMORY_EXAMPLES));
    }

    @Test
    void fileBackedStoreMatchesTheModelOverReopens() {
        property("session-model/file", Mode.FILE, Settings.scaled(DURABLE_EXAMPLES));
    }

    @Test
    void managedStoreMatchesTheModelOverReassignCloseAndCrash() {
        property("session-model/managed", Mode.MANAGED, Settings.scaled(DURABLE_EXAMPLES));
    }

    /** A fixed example: sessions of a key and of the key that extends it, expired by a far put in the same transaction, then a crash. */
    @Test
    void expiryInsideOneTransaction() {
        run(root, Mode.MANAGED, List.of(new Setup(10, 3, 1), new Put(1, 5, 5, 1), new Put(3, 2, 0, 2),
            new Put(1, 40, 2, 3), new Find(1, new Times(-100, 100), false), new Commit(), new Crash()));
    }

    private void property(String name, Mode mode, int examples) {
        SequenceMinimizer<Cmd> minimizer = new SequenceMinimizer<>(commands -> run(root, mode, commands), MINIMIZER_RUNS);
        try {
            qt().withFixedSeed(Settings.seed(name))
                .withExamples(examples)
                .withShrinkCycles(0)
                .forAll(example(mode))
                .checkAssert(minimizer::check);
        } catch (AssertionError e) {
            throw minimizer.explain(e);
        }
    }

    // ---------------------------------------------------------------- commands

    sealed interface Cmd permits Setup, Put, Remove, FetchSession, Find, FindRange, Merge, Commit, Abort, Reopen, Crash,
        Reassign, Bad {
    }

    /** The parameters of the example (always first; a sequence without one uses defaults). */
    record Setup(long retention, long interval, int sweepLimit) implements Cmd {
    }

    /** A session ending {@code deltaEnd} after stream time (clamped at 0), {@code length} long. */
    record Put(int key, long deltaEnd, long length, int value) implements Cmd {
    }

    /** Removes a live session of the key ({@code pick} of them) or, if {@code !existing} or none, an arbitrary one. */
    record Remove(int key, int pick, boolean existing) implements Cmd {
    }

    record FetchSession(int key, int pick, boolean existing) implements Cmd {
    }

    record Times(long earliestEndDelta, long latestStartDelta) {
    }

    record Find(int key, Times times, boolean reverse) implements Cmd {
    }

    /** Keys {@code [KEYS sorted][lo], [hi]}, -1 = open; swapped if inverted. */
    record FindRange(int lo, int hi, Times times, boolean reverse) implements Cmd {
    }

    /** A record at {@code delta} after stream time merged into the sessions within {@code gap}. */
    record Merge(int key, long delta, long gap) implements Cmd {
    }

    record Commit() implements Cmd {
    }

    record Abort() implements Cmd {
    }

    record Reopen() implements Cmd {
    }

    record Crash() implements Cmd {
    }

    record Reassign() implements Cmd {
    }

    enum BadKind { NEGATIVE_START, START_AFTER_END, NULL_KEY, INVERTED_KEYS, NEGATIVE_EARLIEST_END, NEGATIVE_REMOVE }

    record Bad(BadKind kind) implements Cmd {
    }

    static Gen<List<Cmd>> example(Mode mode) {
        Gen<Cmd> setup = Generate.pick(List.of(5L, 20L, 60L)).zip(Generate.pick(List.of(1L, 3L, 10L, 25L)),
            Generate.pick(List.of(1, 2, 64)), Setup::new);
        return setup.zip(lists().of(command(mode)).ofSizeBetween(1, MAX_COMMANDS), (s, l) -> {
            List<Cmd> all = new ArrayList<>(l.size() + 1);
            all.add(s);
            all.addAll(l);
            return all;
        });
    }

    static Gen<Cmd> command(Mode mode) {
        Gen<Integer> key = Generate.range(0, KEYS.size() - 1);
        Gen<Long> delta = longs().between(-80, 25);
        Gen<Times> times = longs().between(-90, 30).zip(longs().between(-90, 30), Times::new);
        Gen<Cmd> put = key.zip(delta, longs().between(0, 15), Generate.range(0, 255), Put::new);
        Gen<Cmd> remove = key.zip(Generate.range(0, 50), booleans().all(), Remove::new);
        Gen<Cmd> fetch = key.zip(Generate.range(0, 50), booleans().all(), FetchSession::new);
        Gen<Cmd> find = key.zip(times, booleans().all(), Find::new);
        Gen<Integer> bound = Generate.range(-1, KEYS.size() - 1);
        Gen<Cmd> findRange = bound.zip(bound, times, booleans().all(), FindRange::new);
        Gen<Cmd> merge = key.zip(longs().between(-30, 20), longs().between(0, 8), Merge::new);
        List<Pair<Integer, Gen<Cmd>>> weighted = new ArrayList<>(List.of(
            Pair.of(14, put), Pair.of(3, remove), Pair.of(3, fetch), Pair.of(4, find), Pair.of(3, findRange),
            Pair.of(4, merge), Pair.of(6, Generate.constant(new Commit())), Pair.of(2, Generate.constant(new Abort())),
            Pair.of(2, Generate.enumValues(BadKind.class).map(Bad::new))));
        if (mode != Mode.MEMORY) {
            weighted.add(Pair.of(2, Generate.constant(new Reopen())));
        }
        if (mode == Mode.MANAGED) {
            weighted.add(Pair.of(2, Generate.constant(new Crash())));
            weighted.add(Pair.of(1, Generate.constant(new Reassign())));
        }
        return Generate.frequency(weighted);
    }

    // ---------------------------------------------------------------- the model

    record Session(Bytes key, long start, long end) {
    }

    /** Sessions (live or expired but not known to be swept) and stream time. */
    static final class Model {
        final TreeMap<Session, Bytes> sessions;
        long streamTime;

        Model(TreeMap<Session, Bytes> sessions, long streamTime) {
            this.sessions = sessions;
            this.streamTime = streamTime;
        }

        Model copy() {
            return new Model(new TreeMap<>(sessions), streamTime);
        }

        long horizon(long retention) {
            return streamTime < 0 ? 0 : Math.max(0, streamTime - retention + 1);
        }
    }

    static final Comparator<Session> BY_KEY_END_START = Comparator.comparing(Session::key)
        .thenComparingLong(Session::end).thenComparingLong(Session::start);

    // ---------------------------------------------------------------- running an example

    static void run(Path root, Mode mode, List<Cmd> commands) {
        Path directory = StoreDirectory.newExampleDirectory(root);
        Setup setup = !commands.isEmpty() && commands.get(0) instanceof Setup s ? s : new Setup(20, 3, 2);
        Run run = new Run(directory, mode, setup);
        try {
            try {
                run.open();
                run.check("after the first open");
                for (int step = 0; step < commands.size(); step++) {
                    Cmd c = commands.get(step);
                    String where = "step " + step + " " + c;
                    run.step(c, where);
                    run.check(where);
                }
                if (mode != Mode.MEMORY) {
                    run.reopen(false);
                    run.check("after the final reopen");
                }
            } finally {
                run.close();
            }
        } finally {
            StoreDirectory.deleteRecursively(directory);
        }
    }

    static final class Run {
        final Path directory;
        final Mode mode;
        final Setup setup;
        StateManager manager;
        StatePartition partition;
        KeyValueStore store;
        SessionStore sessions;
        Transaction tx;
        Model committed = new Model(new TreeMap<>(BY_KEY_END_START), -1);
        Model pending;

        Run(Path directory, Mode mode, Setup setup) {
            this.directory = directory;
            this.mode = mode;
            this.setup = setup;
        }

        StoreOptions storeOptions() {
            return StoreOptions.builder().name("sessions").sortedIndex(true).build();
        }

        void open() {
            switch (mode) {
                case MEMORY -> store = KeyValueStore.create(storeOptions());
                case FILE -> store = KeyValueStore.open(directory, storeOptions());
                case MANAGED -> {
                    manager = StateManager.open(StateManagerOptions.builder(directory).build());
                    manager.define(storeOptions());
                    manager.assign(0);
                    partition = manager.partition(0);
                    store = partition.store("sessions");
                }
            }
            bind();
        }

        void bind() {
            sessions = SessionStore.on(store, setup.retention(), setup.interval(), setup.sweepLimit());
        }

        void endTx() {
            if (tx != null && !tx.isDone()) {
                tx.abort();
            }
            tx = null;
            pending = null;
        }

        void reopen(boolean crash) {
            endTx();
            if (mode == Mode.MANAGED) {
                if (crash) {
                    TestManagers.crash(manager);
                } else {
                    manager.close();
                }
            } else if (mode == Mode.FILE) {
                store.close();
            }
            open();
        }

        void close() {
            if (tx != null && !tx.isDone()) {
                tx.abort();
            }
            if (manager != null && !manager.isClosed()) {
                manager.close();
            } else if (mode != Mode.MANAGED && store != null && !store.isClosed()) {
                store.close();
            }
        }

        Transaction tx() {
            if (tx == null) {
                tx = mode == Mode.MANAGED ? partition.begin() : Transaction.begin(store);
                pending = committed.copy();
            }
            return tx;
        }

        Model view() {
            return pending != null ? pending : committed;
        }

        long base() {
            return Math.max(0, view().streamTime);
        }

        /** The live sessions of {@code key} in {@code model}, by (end, start). */
        List<Session> live(Model model, Bytes key) {
            long horizon = model.horizon(setup.retention());
            List<Session> out = new ArrayList<>();
            for (Session s : model.sessions.keySet()) {
                if (s.key().equals(key) && s.end() >= horizon) {
                    out.add(s);
                }
            }
            out.sort(Comparator.comparingLong(Session::end).thenComparingLong(Session::start));
            return out;
        }

        void step(Cmd c, String where) {
            switch (c) {
                case Setup s -> { }
                case Put p -> put(p, where);
                case Remove r -> remove(r, where);
                case FetchSession f -> fetchSession(f, where);
                case Find f -> find(f, where);
                case FindRange f -> findRange(f, where);
                case Merge m -> merge(m, where);
                case Commit ignored -> {
                    tx().commit();
                    committed = pending;
                    tx = null;
                    pending = null;
                }
                case Abort ignored -> {
                    if (tx != null) {
                        tx.abort();
                    }
                    tx = null;
                    pending = null;
                }
                case Reopen ignored -> reopen(false);
                case Crash ignored -> reopen(true);
                case Reassign ignored -> {
                    endTx();
                    manager.revoke(0);
                    manager.assign(0);
                    partition = manager.partition(0);
                    store = partition.store("sessions");
                    bind();
                }
                case Bad b -> bad(b, where);
            }
        }

        void put(Put p, String where) {
            Transaction t = tx();
            Model m = pending;
            long end = Math.max(0, base() + p.deltaEnd());
            long start = Math.max(0, end - p.length());
            Bytes key = KEYS.get(p.key());
            byte[] value = value(p.value());
            long horizon = m.horizon(setup.retention());
            long staged = t.pendingWrites(store);
            if (end < horizon) {
                SessionExpiredException e = assertThrows(SessionExpiredException.class,
                    () -> sessions.put(t, key.array(), start, end, value), where);
                assertEquals(end, e.end(), where);
                assertEquals(horizon, e.horizon(), where);
                assertEquals(staged, t.pendingWrites(store), where + ": nothing staged");
                return;
            }
            sessions.put(t, key.array(), start, end, value);
            m.sessions.put(new Session(key, start, end), Bytes.wrap(value));
            m.streamTime = Math.max(m.streamTime, end);
        }

        static byte[] value(int v) {
            byte[] b = new byte[1 + v % 3];
            Arrays.fill(b, (byte) v);
            return b;
        }

        Session choose(Model m, int key, int pick, boolean existing) {
            List<Session> live = live(m, KEYS.get(key));
            if (existing && !live.isEmpty()) {
                return live.get(pick % live.size());
            }
            long start = pick % 60;
            return new Session(KEYS.get(key), start, start + pick % 7);
        }

        void remove(Remove r, String where) {
            Transaction t = tx();
            Model m = pending;
            Session s = choose(m, r.key(), r.pick(), r.existing());
            boolean live = m.sessions.containsKey(s) && s.end() >= m.horizon(setup.retention());
            assertEquals(live, sessions.remove(t, s.key().array(), s.start(), s.end()), where);
            if (live) {
                m.sessions.remove(s);
            }
        }

        void fetchSession(FetchSession f, String where) {
            Model m = view();
            Session s = choose(m, f.key(), f.pick(), f.existing());
            Bytes expected = s.end() >= m.horizon(setup.retention()) ? m.sessions.get(s) : null;
            ValueView v = new ValueView();
            boolean found = sessions.fetchSession(tx, s.key().array(), s.start(), s.end(), v);
            assertEquals(expected != null, found, where);
            if (found) {
                assertEquals(expected, Bytes.wrap(v.toByteArray()), where);
            }
        }

        void find(Find f, String where) {
            Model m = view();
            Bytes key = KEYS.get(f.key());
            long earliest = Math.max(0, base() + f.times().earliestEndDelta());
            long latest = Math.max(0, base() + f.times().latestStartDelta());
            List<String> expected = new ArrayList<>();
            for (Session s : live(m, key)) {
                if (s.end() >= earliest && s.start() <= latest) {
                    expected.add(describe(s, m.sessions.get(s)));
                }
            }
            if (f.reverse()) {
                Collections.reverse(expected);
            }
            SessionCursor c = f.reverse()
                ? sessions.backwardFindSessions(tx, sessions.cursor(), key.array(), earliest, latest)
                : sessions.findSessions(tx, sessions.cursor(), key.array(), earliest, latest);
            assertEquals(expected, drain(c), where);
        }

        void findRange(FindRange f, String where) {
            List<Bytes> sorted = new ArrayList<>(KEYS);
            Collections.sort(sorted);
            int lo = Math.min(f.lo(), f.hi());
            int hi = Math.max(f.lo(), f.hi());
            Bytes from = f.lo() < 0 || f.hi() < 0 ? (f.lo() < 0 ? null : sorted.get(f.lo())) : sorted.get(lo);
            Bytes to = f.lo() < 0 || f.hi() < 0 ? (f.hi() < 0 ? null : sorted.get(f.hi())) : sorted.get(hi);
            long earliest = Math.max(0, base() + f.times().earliestEndDelta());
            long latest = Math.max(0, base() + f.times().latestStartDelta());
            List<String> expected = rangeExpected(view(), from, to, earliest, latest, f.reverse());
            byte[] a = from == null ? null : from.array();
            byte[] b = to == null ? null : to.array();
            SessionCursor c = f.reverse()
                ? sessions.backwardFindSessions(tx, sessions.cursor(), a, b, earliest, latest)
                : sessions.findSessions(tx, sessions.cursor(), a, b, earliest, latest);
            assertEquals(expected, drain(c), where);
        }

        List<String> rangeExpected(Model m, Bytes from, Bytes to, long earliest, long latest, boolean reverse) {
            long horizon = m.horizon(setup.retention());
            long interval = setup.interval();
            List<Session> hits = new ArrayList<>();
            for (Session s : m.sessions.keySet()) {
                if (s.end() >= horizon && s.end() >= earliest && s.start() <= latest
                    && (from == null || s.key().compareTo(from) >= 0) && (to == null || s.key().compareTo(to) <= 0)) {
                    hits.add(s);
                }
            }
            hits.sort(Comparator.comparingLong((Session s) -> s.end() / interval).thenComparing(Run::stored));
            List<String> out = new ArrayList<>();
            for (Session s : hits) {
                out.add(describe(s, m.sessions.get(s)));
            }
            if (reverse) {
                Collections.reverse(out);
            }
            return out;
        }

        /** Kafka Streams' session-window merge: find the sessions within the gap, remove them, put the merged one. */
        void merge(Merge g, String where) {
            Transaction t = tx();
            Model m = pending;
            Bytes key = KEYS.get(g.key());
            long time = Math.max(0, base() + g.delta());
            if (time < m.horizon(setup.retention())) {
                assertTrue(time < sessions.horizon(t), where + ": late record");
                return;
            }
            long earliest = Math.max(0, time - g.gap());
            long latest = time + g.gap();
            SessionCursor c = sessions.findSessions(t, sessions.cursor(), key.array(), earliest, latest);
            List<long[]> found = new ArrayList<>();
            StringBuilder agg = new StringBuilder();
            long start = time;
            long end = time;
            while (c.next()) {
                found.add(new long[] {c.start(), c.end()});
                start = Math.min(start, c.start());
                end = Math.max(end, c.end());
                agg.append(new String(c.value().toByteArray(), StandardCharsets.ISO_8859_1));
            }
            List<Session> modelFound = new ArrayList<>();
            StringBuilder modelAgg = new StringBuilder();
            for (Session s : live(m, key)) {
                if (s.end() >= earliest && s.start() <= latest) {
                    modelFound.add(s);
                    modelAgg.append(new String(m.sessions.get(s).array(), StandardCharsets.ISO_8859_1));
                }
            }
            assertEquals(modelFound.size(), found.size(), where + ": sessions merged");
            assertEquals(modelAgg.toString(), agg.toString(), where + ": their aggregates, by (end, start)");
            agg.append('+');
            String merged = agg.length() > 12 ? agg.substring(agg.length() - 12) : agg.toString();
            for (long[] f : found) {
                assertTrue(sessions.remove(t, key.array(), f[0], f[1]), where);
            }
            byte[] value = merged.getBytes(StandardCharsets.ISO_8859_1);
            sessions.put(t, key.array(), start, end, value);
            for (Session s : modelFound) {
                m.sessions.remove(s);
            }
            m.sessions.put(new Session(key, start, end), Bytes.wrap(value));
            m.streamTime = Math.max(m.streamTime, end);
        }

        void bad(Bad b, String where) {
            Transaction t = tx();
            long staged = t.pendingWrites(store);
            byte[] k = KEYS.get(1).array();
            Class<? extends Exception> expected = switch (b.kind()) {
                case NULL_KEY -> NullPointerException.class;
                default -> IllegalArgumentException.class;
            };
            assertThrows(expected, () -> {
                switch (b.kind()) {
                    case NEGATIVE_START -> sessions.put(t, k, -1, 5, new byte[1]);
                    case START_AFTER_END -> sessions.put(t, k, base() + 2, base() + 1, new byte[1]);
                    case NULL_KEY -> sessions.put(t, null, 0, base(), new byte[1]);
                    case INVERTED_KEYS -> sessions.findSessions(t, sessions.cursor(), KEYS.get(2).array(), k, 0, 9);
                    case NEGATIVE_EARLIEST_END -> sessions.findSessions(t, sessions.cursor(), k, -3, 9);
                    case NEGATIVE_REMOVE -> sessions.remove(t, k, 0, -1);
                }
            }, where);
            assertEquals(staged, t.pendingWrites(store), where + ": nothing staged");
        }

        /** The stored bytes key ‖ BE(end) ‖ BE(start), whose order a key-range find follows within a segment. */
        static Bytes stored(Session s) {
            return Bytes.wrap(ByteBuffer.allocate(s.key().length() + 16).put(s.key().array()).putLong(s.end())
                .putLong(s.start()).array());
        }

        static String describe(Session s, Bytes value) {
            return s.key() + "@" + s.start() + "-" + s.end() + "=" + value;
        }

        static List<String> drain(SessionCursor c) {
            List<String> out = new ArrayList<>();
            while (c.next()) {
                out.add(Bytes.wrap(c.key().toByteArray()) + "@" + c.start() + "-" + c.end() + "="
                    + Bytes.wrap(c.value().toByteArray()));
            }
            return out;
        }

        void check(String where) {
            assertEquals(committed.streamTime, sessions.streamTime(null), where + ": committed stream time");
            assertEquals(rangeExpected(committed, null, null, 0, Long.MAX_VALUE, false),
                drain(sessions.fetch(null, sessions.cursor(), null, null)), where + ": committed sessions");
            assertEquals(rangeExpected(committed, null, null, 0, Long.MAX_VALUE, true),
                drain(sessions.backwardFetch(null, sessions.cursor(), null, null)), where + ": committed sessions backward");
            if (tx != null) {
                assertEquals(pending.streamTime, sessions.streamTime(tx), where + ": stream time in the transaction");
                assertEquals(rangeExpected(pending, null, null, 0, Long.MAX_VALUE, false),
                    drain(sessions.fetch(tx, sessions.cursor(), null, null)), where + ": sessions in the transaction");
                assertEquals(rangeExpected(pending, null, null, 0, Long.MAX_VALUE, true),
                    drain(sessions.backwardFetch(tx, sessions.cursor(), null, null)),
                    where + ": sessions in the transaction, backward");
            }
            assertEquals(sessions.sweepRemoved(), sessions.sweepScanned(), where + ": the sweep only steps onto expired entries");
            checkPhysical(where);
        }

        /** Every physical entry is a live session of the model with its aggregate, or expired. */
        void checkPhysical(String where) {
            long horizon = committed.horizon(setup.retention());
            Cursor c = store.cursor();
            c.range(new byte[] {1}, null);
            while (c.next()) {
                byte[] k = c.key().toByteArray();
                ByteBuffer bb = ByteBuffer.wrap(k);
                long segment = bb.getLong(1);
                long end = bb.getLong(k.length - 16);
                long start = bb.getLong(k.length - 8);
                assertEquals(end / setup.interval(), segment, where + ": segment of " + Bytes.wrap(k));
                Session s = new Session(Bytes.wrap(Arrays.copyOfRange(k, 9, k.length - 16)), start, end);
                if (end >= horizon) {
                    assertEquals(committed.sessions.get(s), Bytes.wrap(c.value().toByteArray()), where + ": entry " + s);
                }
            }
            // expired sessions are dropped from the model once the store no longer needs them
            for (Map.Entry<Session, Bytes> e : List.copyOf(committed.sessions.entrySet())) {
                if (e.getKey().end() < horizon) {
                    committed.sessions.remove(e.getKey());
                }
            }
            assertFalse(store.cursor().range(new byte[] {2}, null).next(), where + ": nothing above the data prefix");
        }
    }
}
