package io.offstate.propertytests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.TreeMap;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;
import io.offstate.engine.time.TimestampExpiredException;
import io.offstate.engine.time.WindowCursor;
import io.offstate.engine.time.WindowStore;
import io.offstate.engine.time.WindowStoreOptions;

/**
 * The window store against a naive model: a sorted map of (key, window start, put sequence) →
 * value plus stream time, over random out-of-order event-time streams with puts (some behind the
 * retention horizon, which must be refused), null-value puts, deletes, point fetches, key, key-range
 * and all fetches forward and backward, sweeps, commits, aborts, and close/reopen or crash/reopen
 * of a file-backed store (a crash loses what was not flushed). Every read is checked against the
 * model; after a full sweep no entry of an expired segment is left in the backing store.
 */
class WindowStoreModelTest {
    private static final long SIZE = 10;
    private static final long RETENTION = 100;
    private static final long SEGMENT = 30;
    private static final String[] KEYS = {"a", "ab", "a\0", "b", "ba", "c", ""};

    sealed interface Cmd {
        record Put(int key, int value, long start) implements Cmd { }
        record Delete(int key, long start) implements Cmd { }
        record Fetch(int key, long from, long to, boolean reverse) implements Cmd { }
        record Range(int from, int to, long tFrom, long tTo, boolean reverse) implements Cmd { }
        record Point(int key, long start) implements Cmd { }
        record Sweep(int max) implements Cmd { }
        record Commit() implements Cmd { }
        record Abort() implements Cmd { }
        record Flush() implements Cmd { }
        record Reopen(boolean crash) implements Cmd { }
    }

    record Entry(String key, long start, long seq) { }

    /** The store's documented order: segment, then the stored bytes {@code key ‖ start ‖ seq} (as Kafka's RocksDB layout). */
    private static final Comparator<Entry> ORDER = Comparator.<Entry>comparingLong(e -> e.start / SEGMENT)
        .thenComparing((a, b) -> Arrays.compareUnsigned(composite(a), composite(b)));

    static byte[] composite(Entry e) {
        byte[] k = bytes(e.key);
        return java.nio.ByteBuffer.allocate(k.length + 16).put(k).putLong(e.start).putLong(e.seq).array();
    }

    static final class State {
        TreeMap<Entry, String> data = new TreeMap<>(ORDER);
        long streamTime = -1;
        long seq;

        State copy() {
            State s = new State();
            s.data = new TreeMap<>(data);
            s.streamTime = streamTime;
            s.seq = seq;
            return s;
        }

        long horizon() {
            return Math.max(0, streamTime - RETENTION + 1);
        }
    }

    static Gen<Long> time() {
        return integers().between(0, 400).map(Integer::longValue);
    }

    static Gen<Cmd> command() {
        Gen<Integer> key = integers().between(0, KEYS.length - 1);
        Gen<Integer> keyOrOpen = integers().between(-1, KEYS.length - 1);
        Gen<Cmd> put = key.zip(integers().between(-1, 99), time(), (k, v, t) -> new Cmd.Put(k, v, t));
        Gen<Cmd> delete = key.zip(time(), Cmd.Delete::new);
        Gen<Cmd> fetch = key.zip(time(), time(), booleans().all(), (k, a, b, r) -> new Cmd.Fetch(k, Math.min(a, b), Math.max(a, b), r));
        Gen<Cmd> range = keyOrOpen.zip(keyOrOpen, time(), time(), (f, t, a, b) -> new Cmd.Range(f, t, Math.min(a, b), Math.max(a, b), (a + b) % 2 == 0));
        Gen<Cmd> point = key.zip(time(), Cmd.Point::new);
        Gen<Cmd> sweep = integers().between(0, 8).map(n -> n == 8 ? new Cmd.Sweep(1_000_000) : new Cmd.Sweep(n));
        return Generate.frequency(
            org.quicktheories.api.Pair.of(10, put), org.quicktheories.api.Pair.of(2, delete),
            org.quicktheories.api.Pair.of(3, fetch), org.quicktheories.api.Pair.of(3, range),
            org.quicktheories.api.Pair.of(2, point), org.quicktheories.api.Pair.of(1, sweep),
            org.quicktheories.api.Pair.of(3, Generate.constant(new Cmd.Commit())),
            org.quicktheories.api.Pair.of(1, Generate.constant(new Cmd.Abort())),
            org.quicktheories.api.Pair.of(1, Generate.constant(new Cmd.Flush())),
            org.quicktheories.api.Pair.of(1, booleans().all().map(Cmd.Reopen::new)));
    }

    @ParameterizedTest(name = "duplicates {0}")
    @ValueSource(booleans = {false, true})
    void windowStoreMatchesTheModel(boolean duplicates) {
        qt().withFixedSeed(Settings.seed("window-model/" + duplicates))
            .withExamples(Settings.scaled(60))
            .withShrinkCycles(Settings.shrinkCycles())
            .forAll(lists().of(command()).ofSizeBetween(1, 80), integers().between(0, 3))
            .checkAssert((cmds, sweepLimit) -> run(duplicates, sweepLimit, cmds));
    }

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void run(boolean duplicates, int sweepLimit, List<Cmd> cmds) {
        Path dir;
        try {
            dir = Files.createTempDirectory("window-model");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        StoreOptions so = StoreOptions.builder().name("w").sortedIndex(true).build();
        WindowStoreOptions wo = WindowStoreOptions.builder().windowSize(SIZE).retention(RETENTION)
            .segmentInterval(SEGMENT).retainDuplicates(duplicates).sweepLimit(sweepLimit).build();
        KeyValueStore store = KeyValueStore.open(dir.resolve("s"), so);
        WindowStore w = WindowStore.on(store, wo);
        WindowCursor cursor = w.cursor();
        ValueView view = new ValueView();
        State committed = new State();
        State flushed = new State();
        State work = null;
        Transaction tx = null;
        try {
            for (int step = 0; step < cmds.size(); step++) {
                Cmd c = cmds.get(step);
                String where = "step " + step + " " + c + " of " + cmds;
                boolean needsTx = !(c instanceof Cmd.Commit || c instanceof Cmd.Abort || c instanceof Cmd.Flush
                    || c instanceof Cmd.Reopen);
                if (needsTx && tx == null) {
                    tx = Transaction.begin(store);
                    work = committed.copy();
                }
                switch (c) {
                    case Cmd.Put p -> {
                        byte[] key = bytes(KEYS[p.key()]);
                        byte[] value = p.value() < 0 ? null : bytes("v" + p.value());
                        if (value == null) {
                            w.put(tx, key, null, p.start());
                            if (!duplicates && p.start() >= work.horizon()) {
                                removeAll(work, KEYS[p.key()], p.start());
                            }
                        } else if (p.start() < work.horizon()) {
                            final Transaction t = tx;
                            final WindowStore fw = w;
                            long pending = t.pendingWrites(store);
                            assertThrows(TimestampExpiredException.class, () -> fw.put(t, key, value, p.start()), where);
                            assertEquals(pending, t.pendingWrites(store), "nothing staged, " + where);
                        } else {
                            w.put(tx, key, value, p.start());
                            if (duplicates) {
                                work.seq++;
                            } else {
                                removeAll(work, KEYS[p.key()], p.start());
                            }
                            work.data.put(new Entry(KEYS[p.key()], p.start(), duplicates ? work.seq : 0), "v" + p.value());
                            work.streamTime = Math.max(work.streamTime, p.start());
                        }
                    }
                    case Cmd.Delete d -> {
                        boolean expected = d.start() >= work.horizon() && removeAll(work, KEYS[d.key()], d.start());
                        assertEquals(expected, w.delete(tx, bytes(KEYS[d.key()]), d.start()), where);
                    }
                    case Cmd.Fetch f -> {
                        List<String> expected = new ArrayList<>();
                        for (var e : work.data.entrySet()) {
                            Entry k = e.getKey();
                            if (k.key.equals(KEYS[f.key()]) && k.start >= Math.max(f.from(), work.horizon()) && k.start <= f.to()) {
                                expected.add(k.key + "@" + k.start + "=" + e.getValue());
                            }
                        }
                        expected.sort(Comparator.comparing(s -> Long.parseLong(s.substring(s.indexOf('@') + 1, s.indexOf('=')))));
                        if (f.reverse()) {
                            java.util.Collections.reverse(expected);
                            cursor.backwardFetch(tx, bytes(KEYS[f.key()]), f.from(), f.to());
                        } else {
                            cursor.fetch(tx, bytes(KEYS[f.key()]), f.from(), f.to());
                        }
                        assertEquals(expected, drain(cursor), where);
                    }
                    case Cmd.Range r -> {
                        byte[] from = r.from() < 0 ? null : bytes(KEYS[r.from()]);
                        byte[] to = r.to() < 0 ? null : bytes(KEYS[r.to()]);
                        if (from != null && to != null && Arrays.compareUnsigned(from, to) > 0) {
                            final Transaction t = tx;
                            final WindowCursor fc = cursor;
                            assertThrows(IllegalArgumentException.class, () -> fc.fetch(t, from, to, r.tFrom(), r.tTo()), where);
                            break;
                        }
                        List<String> expected = new ArrayList<>();
                        for (var e : work.data.entrySet()) {
                            Entry k = e.getKey();
                            byte[] kb = bytes(k.key);
                            if ((from == null || Arrays.compareUnsigned(kb, from) >= 0) && (to == null || Arrays.compareUnsigned(kb, to) <= 0)
                                && k.start >= Math.max(r.tFrom(), work.horizon()) && k.start <= r.tTo()) {
                                expected.add(k.key + "@" + k.start + "=" + e.getValue());
                            }
                        }
                        if (r.reverse()) {
                            java.util.Collections.reverse(expected);
                            if (from == null && to == null) {
                                cursor.backwardFetchAll(tx, r.tFrom(), r.tTo());
                            } else {
                                cursor.backwardFetch(tx, from, to, r.tFrom(), r.tTo());
                            }
                        } else if (from == null && to == null) {
                            cursor.fetchAll(tx, r.tFrom(), r.tTo());
                        } else {
                            cursor.fetch(tx, from, to, r.tFrom(), r.tTo());
                        }
                        assertEquals(expected, drain(cursor), where);
                    }
                    case Cmd.Point p -> {
                        String expected = null;
                        for (var e : work.data.entrySet()) {
                            if (e.getKey().key.equals(KEYS[p.key()]) && e.getKey().start == p.start() && p.start() >= work.horizon()) {
                                expected = e.getValue();
                                break;
                            }
                        }
                        boolean found = w.fetch(tx, bytes(KEYS[p.key()]), p.start(), view);
                        assertEquals(expected != null, found, where);
                        if (expected != null) {
                            assertArrayEquals(bytes(expected), view.toByteArray(), where);
                        }
                    }
                    case Cmd.Sweep s -> {
                        w.sweep(tx, s.max());
                        if (s.max() == 1_000_000) {
                            assertEquals(0, entriesBelow(store, tx, w.horizon(tx) / SEGMENT), "full sweep leaves nothing expired, " + where);
                        }
                    }
                    case Cmd.Commit ignored -> {
                        if (tx != null) {
                            tx.commit();
                            committed = work;
                            tx = null;
                        }
                    }
                    case Cmd.Abort ignored -> {
                        if (tx != null) {
                            tx.abort();
                            tx = null;
                        }
                    }
                    case Cmd.Flush ignored -> {
                        if (tx == null) {
                            store.flush();
                            flushed = committed.copy();
                        }
                    }
                    case Cmd.Reopen r -> {
                        if (tx != null) {
                            tx.abort();
                            tx = null;
                        }
                        if (r.crash()) {
                            store.closeWithoutFlush();
                            committed = flushed.copy();
                        } else {
                            store.close();
                            flushed = committed.copy();
                        }
                        store = KeyValueStore.open(dir.resolve("s"), so);
                        w = WindowStore.on(store, wo);
                        cursor = w.cursor();
                        assertEquals(committed.streamTime, w.streamTime(null), "stream time after reopen, " + where);
                    }
                }
                if (tx == null) {
                    // committed reads equal the committed model
                    List<String> expected = new ArrayList<>();
                    for (var e : committed.data.entrySet()) {
                        if (e.getKey().start >= committed.horizon()) {
                            expected.add(e.getKey().key + "@" + e.getKey().start + "=" + e.getValue());
                        }
                    }
                    assertEquals(expected, drain(cursor.all(null)), "committed state, " + where);
                }
            }
        } finally {
            if (tx != null) {
                tx.abort();
            }
            store.close();
            deleteTree(dir);
        }
    }

    private static boolean removeAll(State s, String key, long start) {
        return s.data.keySet().removeIf(e -> e.key.equals(key) && e.start == start);
    }

    private static long entriesBelow(KeyValueStore store, Transaction tx, long segment) {
        byte[] lo = {0x01};
        byte[] hi = new byte[9];
        hi[0] = 0x01;
        for (int i = 0; i < 8; i++) {
            hi[1 + i] = (byte) (segment >>> (56 - 8 * i));
        }
        var c = tx.cursor(store).range(lo, hi);
        long n = 0;
        while (c.next()) {
            n++;
        }
        return n;
    }

    private static List<String> drain(WindowCursor c) {
        List<String> out = new ArrayList<>();
        while (c.next()) {
            out.add(new String(c.key().toByteArray(), StandardCharsets.UTF_8) + "@" + c.windowStart() + "="
                + new String(c.value().toByteArray(), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (java.io.IOException e) {
            // temp files; the OS cleans up
        }
    }
}
