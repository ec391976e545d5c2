package io.offstate.propertytests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StatePartition;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.TestManagers;
import io.offstate.engine.Transaction;
import io.offstate.engine.time.Aggregator;
import io.offstate.engine.time.Aggregators;
import io.offstate.engine.time.CountWindows;
import io.offstate.engine.time.TimeWindows;
import io.offstate.engine.time.WindowedAggregation;
import io.offstate.engine.time.WindowedAggregationOptions;
import io.offstate.engine.time.WindowedAggregationOptions.Closing;
import io.offstate.engine.time.WindowedAggregationOptions.Emit;
import io.offstate.engine.time.WindowedResult;
import io.offstate.engine.time.WindowedValues;

/**
 * Windowed aggregation against a brute-force evaluator: random event-time streams over three keys
 * (out-of-order and late records, stream time advanced by punctuation), commits, aborts, and
 * close/reopen of a file-backed store or crash/reopen of a managed one. The evaluator keeps every
 * window as the list of its records and every accepted record per key, and computes each window's
 * aggregates from its list; it decides which windows a record joins, which are late, which close
 * (in due, key, end order, at most the close limit per call) and what is emitted. After every
 * step: the return value, the emitted results (aggregates and collected values), the late records,
 * the stream time and the full set of open windows with their aggregates and values.
 */
class WindowedAggregationModelTest {
    static final String[] KEYS = {"a", "bb", "c"};
    static final Aggregator[] AGGREGATORS = {Aggregators.count(), Aggregators.sum(), Aggregators.min(), Aggregators.max(),
        Aggregators.mean(), Aggregators.stdDevPopulation(), Aggregators.stdDevSample(), Aggregators.first(),
        Aggregators.last(), Aggregators.earliest(), Aggregators.latest()};

    /** One configuration: the windows in the store's terms and the evaluator's. */
    record Config(String name, TimeWindows time, CountWindows count, Closing closing, Emit emit, boolean collect, int limit) {
        boolean byKey() {
            return closing == Closing.KEY;
        }

        boolean onUpdate() {
            return emit == Emit.ON_UPDATE;
        }

        long size() {
            return time != null ? time.size() : count.size();
        }

        long advance() {
            return time != null ? time.advance() : count.step();
        }

        long grace() {
            return time != null ? time.grace() : 0;
        }

        boolean sliding() {
            return time != null ? time.kind() == TimeWindows.Kind.SLIDING : count.kind() == CountWindows.Kind.SLIDING;
        }
    }

    static final Config[] CONFIGS = {
        new Config("tumbling/partition/close/collect", TimeWindows.tumbling(10).grace(3), null, Closing.PARTITION, Emit.ON_CLOSE, true, 10_000),
        new Config("hopping/key/close", TimeWindows.hopping(10, 4).grace(2), null, Closing.KEY, Emit.ON_CLOSE, false, 10_000),
        new Config("hopping/partition/update/limit1", TimeWindows.hopping(12, 5), null, Closing.PARTITION, Emit.ON_UPDATE, false, 1),
        new Config("hopping/partition/close/limit2/collect", TimeWindows.hopping(9, 3).grace(4), null, Closing.PARTITION, Emit.ON_CLOSE, true, 2),
        new Config("sliding/partition/update/limit2", TimeWindows.sliding(8).grace(4), null, Closing.PARTITION, Emit.ON_UPDATE, false, 2),
        new Config("sliding/key/close/collect", TimeWindows.sliding(8), null, Closing.KEY, Emit.ON_CLOSE, true, 10_000),
        new Config("sliding/partition/close/collect", TimeWindows.sliding(6).grace(6), null, Closing.PARTITION, Emit.ON_CLOSE, true, 10_000),
        new Config("count-tumbling/close/collect", null, CountWindows.tumbling(3), Closing.PARTITION, Emit.ON_CLOSE, true, 10_000),
        new Config("count-hopping/update", null, CountWindows.hopping(4, 2), Closing.PARTITION, Emit.ON_UPDATE, false, 10_000),
        new Config("count-sliding/close/collect", null, CountWindows.sliding(3), Closing.KEY, Emit.ON_CLOSE, true, 10_000),
    };

    sealed interface Cmd {
        record Process(int key, int value, int delta) implements Cmd { }
        record Advance(int delta) implements Cmd { }
        record Commit() implements Cmd { }
        record Abort() implements Cmd { }
        record Reopen() implements Cmd { }
        record Bad() implements Cmd { }
    }

    static Gen<List<Cmd>> commands() {
        Gen<Cmd> process = Generate.range(0, KEYS.length - 1).zip(Generate.range(-5, 5), Generate.range(-25, 12),
            (k, v, d) -> (Cmd) new Cmd.Process(k, v, d));
        Gen<Cmd> advance = Generate.range(0, 20).map(d -> (Cmd) new Cmd.Advance(d));
        return lists().of(Generate.frequency(Pair.of(14, process), Pair.of(2, advance),
            Pair.of(3, Generate.constant((Cmd) new Cmd.Commit())), Pair.of(1, Generate.constant((Cmd) new Cmd.Abort())),
            Pair.of(1, Generate.constant((Cmd) new Cmd.Reopen())), Pair.of(1, Generate.constant((Cmd) new Cmd.Bad()))))
            .ofSizeBetween(1, 50);
    }

    @TempDir
    Path root;

    /** In memory; a reopen makes a new aggregation object over the same store (no state lives in the object). */
    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9})
    void inMemoryStoreMatchesTheEvaluator(int config) {
        Config c = CONFIGS[config];
        qt().withFixedSeed(Settings.seed("windowed-aggregation-model/" + c.name()))
            .withExamples(Settings.scaled(60))
            .withShrinkCycles(Settings.shrinkCycles())
            .forAll(commands())
            .checkAssert(cmds -> new Run(c, null, Mode.MEMORY).run(cmds));
    }

    /** File-backed; a reopen closes the store and opens its directory again. */
    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {0, 4, 9})
    void fileBackedStoreSurvivesCloseAndReopen(int config) {
        Config c = CONFIGS[config];
        int[] example = {0};
        qt().withFixedSeed(Settings.seed("windowed-aggregation-model/file/" + c.name()))
            .withExamples(Settings.scaled(8))
            .withShrinkCycles(Settings.shrinkCycles())
            .forAll(commands())
            .checkAssert(cmds -> new Run(c, root.resolve("f" + example[0]++), Mode.FILE).run(cmds));
    }

    @ParameterizedTest(name = "{0}")
    @ValueSource(ints = {0, 5, 9})
    void managedStoreSurvivesCrashes(int config) {
        Config c = CONFIGS[config];
        int[] example = {0};
        qt().withFixedSeed(Settings.seed("windowed-aggregation-model/crash/" + c.name()))
            .withExamples(Settings.scaled(8))
            .withShrinkCycles(Settings.shrinkCycles())
            .forAll(commands())
            .checkAssert(cmds -> new Run(c, root.resolve("m" + example[0]++), Mode.MANAGED).run(cmds));
    }

    // ------------------------------------------------------------------ the store under test

    enum Mode { MEMORY, FILE, MANAGED }

    static final class Run {
        final Config c;
        final Path dir;
        final Mode mode;
        final boolean managed;
        final List<String> emitted = new ArrayList<>();
        final List<String> late = new ArrayList<>();
        KeyValueStore store;
        StateManager manager;
        StatePartition partition;
        WindowedAggregation agg;
        Transaction tx;
        Model committed;
        Model working;

        Run(Config c, Path dir, Mode mode) {
            this.c = c;
            this.dir = dir;
            this.mode = mode;
            this.managed = mode == Mode.MANAGED;
            this.committed = new Model(c);
            this.working = committed.copy();
        }

        void open() {
            if (managed) {
                manager = StateManager.open(StateManagerOptions.builder(dir).build());
                manager.define(StoreOptions.builder().name("agg").sortedIndex(true).build());
                manager.assign(0);
                partition = manager.partition(0);
                store = partition.store("agg");
            } else if (mode == Mode.FILE) {
                store = KeyValueStore.open(dir, StoreOptions.builder().name("agg").sortedIndex(true).build());
            } else if (store == null) {
                store = KeyValueStore.create(StoreOptions.builder().name("agg").sortedIndex(true).build());
            }
            WindowedAggregationOptions.Builder b = c.time != null ? WindowedAggregationOptions.builder(c.time)
                : WindowedAggregationOptions.builder(c.count);
            agg = WindowedAggregation.on(store, b.aggregators(AGGREGATORS).closing(c.closing).emit(c.emit).collect(c.collect)
                .maxClosesPerCall(c.limit)
                .valueExtractor(v -> Double.parseDouble(new String(v, StandardCharsets.UTF_8)))
                .onResult(r -> emitted.add(describe(r, c.collect)))
                .onLate((k, v, n, ts, ct) -> late.add(new String(k, StandardCharsets.UTF_8) + "@" + ts + "=" + (long) n + " close " + ct))
                .build());
        }

        void close() {
            if (tx != null) {
                tx.abort();
                tx = null;
            }
            if (managed) {
                manager.close();
            } else if (mode == Mode.FILE) {
                store.close();
            }
        }

        Transaction tx() {
            if (tx == null) {
                tx = managed ? partition.begin() : Transaction.begin(store);
            }
            return tx;
        }

        void run(List<Cmd> cmds) {
            if (dir != null) {
                try {
                    Files.createDirectories(dir);
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            open();
            try {
                int step = 0;
                for (Cmd cmd : cmds) {
                    step(cmd);
                    String where = "step " + step++ + " " + cmd + " of " + cmds;
                    assertEquals(working.expectedEmitted, emitted, "emitted at " + where);
                    assertEquals(working.expectedLate, late, "late records at " + where);
                    working.expectedEmitted.clear();
                    working.expectedLate.clear();
                    emitted.clear();
                    late.clear();
                    Transaction t = tx;
                    assertEquals(working.streamTime, agg.streamTime(t), "stream time at " + where);
                    List<String> actual = new ArrayList<>();
                    agg.forEachWindow(t, r -> actual.add(describe(r, c.collect)));
                    assertEquals(working.windows(), actual, "open windows at " + where);
                    if (t == null) {
                        List<String> committedView = new ArrayList<>();
                        agg.forEachWindow(null, r -> committedView.add(describe(r, c.collect)));
                        assertEquals(committed.windows(), committedView, "committed windows at " + where);
                    }
                }
            } finally {
                close();
                if (mode == Mode.MEMORY) {
                    store.close();
                }
            }
        }

        void step(Cmd cmd) {
            switch (cmd) {
                case Cmd.Process p -> {
                    long ts = Math.max(0, Math.max(0, working.streamTime) + p.delta());
                    byte[] key = KEYS[p.key()].getBytes(StandardCharsets.UTF_8);
                    boolean expected = working.process(KEYS[p.key()], p.value(), ts);
                    boolean actual = c.collect
                        ? agg.process(tx(), key, Integer.toString(p.value()).getBytes(StandardCharsets.UTF_8), ts)
                        : agg.process(tx(), key, (double) p.value(), ts);
                    assertEquals(expected, actual, "accepted " + cmd + " at " + ts);
                }
                case Cmd.Advance a -> {
                    long to = Math.max(0, working.streamTime) + a.delta();
                    assertEquals(working.advance(to), agg.advance(tx(), to), "closed by advance to " + to);
                }
                case Cmd.Commit x -> {
                    tx().commit();
                    tx = null;
                    committed = working.copy();
                }
                case Cmd.Abort x -> {
                    tx().abort();
                    tx = null;
                    working = committed.copy();
                }
                case Cmd.Reopen x -> {
                    if (managed) {
                        if (tx != null) {
                            tx.abort(); // a crash loses it anyway; abort keeps the thread's state clean
                            tx = null;
                        }
                        TestManagers.crash(manager);
                    } else {
                        close();
                    }
                    working = committed.copy();
                    open();
                }
                case Cmd.Bad x -> {
                    Transaction t = tx();
                    long before = t.pendingWrites(store);
                    assertThrows(IllegalArgumentException.class, () -> agg.process(t, KEYS[0].getBytes(StandardCharsets.UTF_8), 1.0, -1));
                    assertThrows(NullPointerException.class, () -> agg.process(t, null, 1.0, 1));
                    assertThrows(IllegalArgumentException.class, () -> agg.advance(t, -3));
                    assertEquals(before, t.pendingWrites(store), "bad input staged something");
                }
            }
        }
    }

    static String describe(WindowedResult r, boolean collect) {
        StringBuilder s = new StringBuilder(new String(r.copyKey(), StandardCharsets.UTF_8))
            .append(" [").append(r.windowStart()).append(',').append(r.windowEnd()).append(')');
        if (r.isFinal()) {
            s.append(" final");
        }
        for (int i = 0; i < r.aggregators(); i++) {
            s.append(' ').append(r.value(i));
        }
        if (collect) {
            s.append(':');
            WindowedValues v = r.collected();
            while (v.next()) {
                s.append(' ').append(new String(v.value().toByteArray(), StandardCharsets.UTF_8));
            }
        }
        return s.toString();
    }

    // ------------------------------------------------------------------ the brute-force evaluator

    record Rec(double value, long ts, long seq) { }

    /** A window: its key and end; ordered as the store orders them (key length, key, end). */
    record Win(String key, long end) { }

    static final Comparator<String> KEY_ORDER = Comparator.comparingInt(String::length).thenComparing(Function.identity());
    static final Comparator<Win> WIN_ORDER = Comparator.comparing(Win::key, KEY_ORDER).thenComparingLong(Win::end);

    static final class Model {
        final Config c;
        long streamTime = -1;
        long seq;
        final Map<String, Long> keyTime = new HashMap<>();
        final Map<String, Long> keyRecords = new HashMap<>();
        final TreeMap<Win, List<Rec>> open = new TreeMap<>(WIN_ORDER);
        /** Every accepted record per key, in arrival order (never dropped: dropping must not matter). */
        final Map<String, List<Rec>> accepted = new HashMap<>();
        final List<String> expectedEmitted = new ArrayList<>();
        final List<String> expectedLate = new ArrayList<>();

        Model(Config c) {
            this.c = c;
        }

        Model copy() {
            Model m = new Model(c);
            m.streamTime = streamTime;
            m.seq = seq;
            m.keyTime.putAll(keyTime);
            m.keyRecords.putAll(keyRecords);
            open.forEach((w, l) -> m.open.put(w, new ArrayList<>(l)));
            accepted.forEach((k, l) -> m.accepted.put(k, new ArrayList<>(l)));
            return m;
        }

        List<String> windows() {
            List<String> l = new ArrayList<>();
            open.forEach((w, recs) -> l.add(describe(w.key(), start(w.end()), w.end(), false, recs)));
            return l;
        }

        long start(long end) {
            return Math.max(0, end - c.size());
        }

        String describe(String key, long start, long end, boolean isFinal, List<Rec> recs) {
            StringBuilder s = new StringBuilder(key).append(" [").append(start).append(',').append(end).append(')');
            if (isFinal) {
                s.append(" final");
            }
            long n = recs.size();
            double sum = 0;
            double sumSq = 0;
            double min = Double.POSITIVE_INFINITY;
            double max = Double.NEGATIVE_INFINITY;
            Rec earliest = null;
            Rec latest = null;
            for (Rec r : recs) {
                sum += r.value();
                sumSq += r.value() * r.value();
                min = Math.min(min, r.value());
                max = Math.max(max, r.value());
                if (earliest == null || r.ts() < earliest.ts()) {
                    earliest = r;
                }
                if (latest == null || r.ts() >= latest.ts()) {
                    latest = r;
                }
            }
            double[] results = {n, sum, min, max, sum / n, stdDev(n, sum, sumSq, false), stdDev(n, sum, sumSq, true),
                recs.get(0).value(), recs.get(recs.size() - 1).value(), earliest.value(), latest.value()};
            for (double d : results) {
                s.append(' ').append(d);
            }
            if (c.collect) {
                s.append(':');
                for (Rec r : recs) {
                    s.append(' ').append((long) r.value());
                }
            }
            return s.toString();
        }

        static double stdDev(long n, double sum, double sumSq, boolean sample) {
            long d = sample ? n - 1 : n;
            return d <= 0 ? Double.NaN : Math.sqrt(Math.max(0.0, (sumSq - sum * sum / n) / d));
        }

        void emit(Win w, boolean isFinal) {
            expectedEmitted.add(describe(w.key(), start(w.end()), w.end(), isFinal, open.get(w)));
        }

        boolean process(String key, int value, long ts) {
            Rec rec = new Rec(value, ts, seq);
            boolean ok = c.time != null ? processTime(key, rec) : processCount(key, rec);
            if (ok) {
                streamTime = Math.max(streamTime, ts);
                seq++;
            }
            return ok;
        }

        boolean processTime(String key, Rec rec) {
            long ts = rec.ts();
            long ct;
            if (c.byKey()) {
                ct = Math.max(keyTime.getOrDefault(key, -1L), ts);
                keyTime.put(key, ct);
            } else {
                ct = Math.max(streamTime, ts);
            }
            closeDue(ct, c.byKey() ? key : null);
            boolean any = false;
            if (!c.sliding()) {
                for (long start = 0; start <= ts; start += c.advance()) {
                    long end = start + c.size();
                    if (ts < end && end + c.grace() > ct) {
                        add(new Win(key, end), rec);
                        any = true;
                    }
                }
            } else {
                boolean own = false;
                for (long end = ts + 1; end <= ts + c.size(); end++) {
                    Win w = new Win(key, end);
                    if (open.containsKey(w) && end + c.grace() > ct) {
                        add(w, rec);
                        any = true;
                        own |= end == ts + 1;
                    }
                }
                long end = ts + 1;
                if (!own && end + c.grace() > ct) {
                    List<Rec> recs = new ArrayList<>();
                    for (Rec r : accepted.getOrDefault(key, List.of())) { // arrival order
                        if (r.ts() >= start(end) && r.ts() < end) {
                            recs.add(r);
                        }
                    }
                    recs.add(rec);
                    Win w = new Win(key, end);
                    open.put(w, recs);
                    if (c.onUpdate()) {
                        emit(w, false);
                    }
                    any = true;
                }
            }
            if (any) {
                accepted.computeIfAbsent(key, k -> new ArrayList<>()).add(rec);
            } else {
                expectedLate.add(key + "@" + ts + "=" + (long) rec.value() + " close " + ct);
            }
            return any;
        }

        void add(Win w, Rec rec) {
            open.computeIfAbsent(w, x -> new ArrayList<>()).add(rec);
            if (c.onUpdate()) {
                emit(w, false);
            }
        }

        boolean processCount(String key, Rec rec) {
            long n = keyRecords.getOrDefault(key, 0L);
            keyRecords.put(key, n + 1);
            List<Rec> all = accepted.computeIfAbsent(key, k -> new ArrayList<>());
            all.add(rec);
            if (c.sliding()) {
                long start = Math.max(0, n + 1 - c.size());
                expectedEmitted.add(describe(key, start, n + 1, true, all.subList((int) start, (int) n + 1)));
                return true;
            }
            for (long start = 0; start <= n; start += c.advance()) {
                long end = start + c.size();
                if (n < end) {
                    Win w = new Win(key, end);
                    open.computeIfAbsent(w, x -> new ArrayList<>()).add(rec);
                    if (n + 1 == end) {
                        emit(w, true);
                        open.remove(w);
                    } else if (c.onUpdate()) {
                        emit(w, false);
                    }
                }
            }
            return true;
        }

        int advance(long to) {
            streamTime = Math.max(streamTime, to);
            if (c.byKey() || c.time == null) {
                return 0;
            }
            return closeDue(streamTime, null);
        }

        /** Closes due windows (of {@code key} only, when closing by key) in the store's order, at most the limit. */
        int closeDue(long ct, String key) {
            List<Win> due = new ArrayList<>();
            for (Win w : open.keySet()) {
                if ((key == null || w.key().equals(key)) && w.end() + c.grace() <= ct) {
                    due.add(w);
                }
            }
            due.sort(Comparator.comparingLong((Win w) -> w.end() + c.grace()).thenComparing(WIN_ORDER));
            int closed = 0;
            for (Win w : due) {
                if (closed == c.limit()) {
                    break;
                }
                if (!c.onUpdate()) {
                    emit(w, true);
                }
                open.remove(w);
                closed++;
            }
            return closed;
        }
    }
}
