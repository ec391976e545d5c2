package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StatePartition;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.TestManagers;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

final class WindowStoreTest {
    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private KeyValueStore sorted() {
        KeyValueStore s = KeyValueStore.create(StoreOptions.builder().name("w").sortedIndex(true).build());
        open.add(s);
        return s;
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String s(ValueView v) {
        return new String(v.toByteArray(), StandardCharsets.UTF_8);
    }

    private static WindowStoreOptions opts(long size, long retention, long segment) {
        return WindowStoreOptions.builder().windowSize(size).retention(retention).segmentInterval(segment).build();
    }

    private static List<String> drain(WindowCursor c) {
        List<String> out = new ArrayList<>();
        while (c.next()) {
            out.add(s(c.key()) + "@" + c.windowStart() + "=" + s(c.value()));
        }
        return out;
    }

    private static void put(WindowStore w, String key, String value, long start) {
        try (Transaction tx = Transaction.begin(w.store())) {
            w.put(tx, b(key), value == null ? null : b(value), start);
            tx.commit();
        }
    }

    @Test
    void fetchesOneKeyByTimeForwardAndBackward() {
        WindowStore w = WindowStore.on(sorted(), opts(10, 1000, 100));
        put(w, "a", "a0", 0);
        put(w, "a", "a250", 250);
        put(w, "a", "a120", 120);
        put(w, "ab", "ab130", 130); // a longer key sharing the prefix must never show up for "a"
        put(w, "b", "b130", 130);
        WindowCursor c = w.cursor();
        assertEquals(List.of("a@0=a0", "a@120=a120", "a@250=a250"), drain(c.fetch(null, b("a"), 0, 1000)));
        assertEquals(List.of("a@250=a250", "a@120=a120"), drain(c.backwardFetch(null, b("a"), 100, 300)));
        assertEquals(List.of("a@120=a120"), drain(c.fetch(null, b("a"), 120, 120)));
        assertEquals(List.of(), drain(c.fetch(null, b("a"), 121, 249)));
        ValueView v = new ValueView();
        assertTrue(w.fetch(null, b("ab"), 130, v));
        assertEquals("ab130", s(v));
        assertFalse(w.fetch(null, b("ab"), 131, v));
    }

    @Test
    void rangeAndAllComeSegmentByThenKeyThenTime() {
        WindowStore w = WindowStore.on(sorted(), opts(10, 1000, 100));
        put(w, "b", "1", 150);
        put(w, "a", "2", 160);
        put(w, "c", "3", 10);
        put(w, "a", "4", 20);
        put(w, "b", "5", 30);
        WindowCursor c = w.cursor();
        assertEquals(List.of("a@20=4", "b@30=5", "a@160=2", "b@150=1"), drain(c.fetch(null, b("a"), b("b"), 0, 1000)));
        assertEquals(List.of("b@150=1", "a@160=2", "b@30=5", "a@20=4"), drain(c.backwardFetch(null, b("a"), b("b"), 0, 1000)));
        assertEquals(List.of("b@30=5", "c@10=3", "b@150=1"), drain(c.fetch(null, b("b"), null, 0, 1000)));
        assertEquals(List.of("a@20=4", "b@30=5", "a@160=2"), drain(c.fetch(null, null, b("a\0"), 0, 1000).fetch(null, null, b("b"), 0, 1000)).subList(0, 3));
        assertEquals(List.of("a@20=4", "b@30=5", "a@160=2", "b@150=1"), drain(c.fetchAll(null, 15, 1000)));
        assertEquals(List.of("b@150=1", "a@160=2", "c@10=3", "b@30=5", "a@20=4"), drain(c.backwardAll(null)));
    }

    @Test
    void putReplacesDeleteAndNullValueRemove() {
        WindowStore w = WindowStore.on(sorted(), opts(10, 1000, 100));
        put(w, "a", "1", 5);
        put(w, "a", "2", 5);
        WindowCursor c = w.cursor();
        assertEquals(List.of("a@5=2"), drain(c.all(null)));
        put(w, "a", null, 5);
        assertEquals(List.of(), drain(c.all(null)));
        put(w, "a", "3", 5);
        try (Transaction tx = Transaction.begin(w.store())) {
            assertTrue(w.delete(tx, b("a"), 5));
            assertFalse(w.delete(tx, b("a"), 5));
            assertEquals(List.of(), drain(c.all(tx)));
            assertEquals(List.of("a@5=3"), drain(c.all(null)), "committed state unchanged until commit");
            tx.commit();
        }
        assertEquals(List.of(), drain(c.all(null)));
    }

    @Test
    void retainedDuplicatesKeepEveryPutInOrder() {
        WindowStore w = WindowStore.on(sorted(), WindowStoreOptions.builder().windowSize(10).retention(100)
            .retainDuplicates(true).build());
        put(w, "k", "x", 7);
        put(w, "k", "y", 7);
        put(w, "k", null, 7); // ignored with duplicates, as in Kafka Streams
        put(w, "k", "z", 3);
        WindowCursor c = w.cursor();
        assertEquals(List.of("k@3=z", "k@7=x", "k@7=y"), drain(c.fetch(null, b("k"), 0, 10)));
        assertEquals(List.of("k@7=y", "k@7=x", "k@3=z"), drain(c.backwardFetch(null, b("k"), 0, 10)));
        ValueView v = new ValueView();
        assertTrue(w.fetch(null, b("k"), 7, v));
        assertEquals("x", s(v));
        try (Transaction tx = Transaction.begin(w.store())) {
            assertTrue(w.delete(tx, b("k"), 7));
            tx.commit();
        }
        assertEquals(List.of("k@3=z"), drain(c.all(null)));
    }

    @Test
    void readsSeePendingWritesOfTheirTransaction() {
        WindowStore w = WindowStore.on(sorted(), opts(10, 1000, 100));
        put(w, "a", "committed", 10);
        WindowCursor c = w.cursor();
        try (Transaction tx = Transaction.begin(w.store())) {
            w.put(tx, b("a"), b("pending"), 20);
            w.put(tx, b("a"), b("over"), 10);
            assertEquals(List.of("a@10=over", "a@20=pending"), drain(c.fetch(tx, b("a"), 0, 100)));
            assertEquals(20, w.streamTime(tx));
            assertEquals(10, w.streamTime(null));
            tx.abort();
        }
        assertEquals(List.of("a@10=committed"), drain(c.fetch(null, b("a"), 0, 100)));
        assertEquals(10, w.streamTime(null));
    }

    @Test
    void expiredWindowsVanishAtOnceAndTheirSegmentsAreSwept() {
        WindowStore w = WindowStore.on(sorted(), WindowStoreOptions.builder().windowSize(10).retention(100)
            .segmentInterval(50).sweepLimit(0).build());
        for (int t = 0; t < 100; t += 10) {
            put(w, "k", "v" + t, t);
        }
        long before = w.store().size();
        put(w, "k", "late", 160); // horizon 61: 0..60 expired; segment 0 (0..49) whole, segment 1 (50..99) partly
        assertEquals(61, w.horizon(null));
        WindowCursor c = w.cursor();
        assertEquals(List.of("k@70=v70", "k@80=v80", "k@90=v90", "k@160=late"), drain(c.fetch(null, b("k"), 0, 1000)));
        assertEquals(before + 1, w.store().size(), "sweep limit 0: nothing removed yet");
        try (Transaction tx = Transaction.begin(w.store())) {
            assertEquals(3, w.sweep(tx, 3));
            assertEquals(2, w.sweep(tx, 100)); // the rest of segment 0 (0..40); segment 1 is partly live
            assertEquals(0, w.sweep(tx, 100));
            tx.commit();
        }
        assertEquals(5, w.expiredEntriesRemoved());
        assertEquals(5, w.sweepEntriesVisited(), "the sweep reads only what it removes");
        assertEquals(before + 1 - 5, w.store().size());
        TimestampExpiredException e = assertThrows(TimestampExpiredException.class, () -> put(w, "k", "x", 60));
        assertEquals(60, e.timestamp());
        assertEquals(61, e.horizon());
        assertEquals(List.of("k@70=v70", "k@80=v80", "k@90=v90", "k@160=late"), drain(c.fetch(null, b("k"), 0, 1000)));
    }

    @Test
    void putsSweepABoundedNumberOfExpiredEntries() {
        WindowStore w = WindowStore.on(sorted(), WindowStoreOptions.builder().windowSize(10).retention(100)
            .segmentInterval(10).sweepLimit(4).build());
        try (Transaction tx = Transaction.begin(w.store())) {
            for (int i = 0; i < 20; i++) {
                w.put(tx, b("k" + i), b("v"), 5);
            }
            tx.commit();
        }
        long entries = w.store().size();
        put(w, "n", "v", 500);
        assertEquals(entries + 1 - 4, w.store().size(), "one put removed at most 4 expired entries");
        for (int i = 0; i < 10; i++) {
            put(w, "n", "v", 501 + i);
        }
        assertEquals(1 + 11, w.store().size(), "meta entry + 11 live windows; all 20 expired ones gone");
    }

    @Test
    void segmentExpiryWorkDoesNotDependOnLiveData() {
        assertEquals(expiryWork(1_000), expiryWork(100_000));
    }

    /** Entries read to expire a segment of 500 windows while {@code live} windows stay in later segments. */
    private long expiryWork(int live) {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("w").sortedIndex(true).build())) {
            WindowStore w = WindowStore.on(store, WindowStoreOptions.builder().windowSize(10).retention(1_000)
                .segmentInterval(100).sweepLimit(0).build());
            try (Transaction tx = Transaction.begin(store)) {
                for (int i = 0; i < 500; i++) {
                    w.put(tx, b("old" + i), b("v"), i % 100);
                }
                for (int i = 0; i < live; i++) {
                    w.put(tx, b("live" + i), b("v"), 1_000 + i % 900);
                }
                tx.commit();
            }
            try (Transaction tx = Transaction.begin(store)) {
                w.put(tx, b("tick"), b("v"), 1_150); // horizon 151: segment 0 (0..99) expired, the live ones not
                int removed = 0;
                int n;
                while ((n = w.sweep(tx, 64)) > 0) {
                    removed += n;
                }
                tx.commit();
                assertEquals(500, removed);
            }
            assertEquals(1 + live + 1, store.size());
            return w.sweepEntriesVisited() * 1_000_000 + w.sweepScans();
        }
    }

    @Test
    void badInputIsRefusedAndNothingStaged() {
        KeyValueStore store = sorted();
        WindowStore w = WindowStore.on(store, opts(10, 100, 50));
        WindowCursor c = w.cursor();
        try (Transaction tx = Transaction.begin(store)) {
            assertThrows(NullPointerException.class, () -> w.put(tx, null, b("v"), 1));
            assertThrows(NullPointerException.class, () -> w.put(null, b("k"), b("v"), 1));
            IllegalArgumentException neg = assertThrows(IllegalArgumentException.class, () -> w.put(tx, b("k"), b("v"), -1));
            assertTrue(neg.getMessage().contains("-1"), neg.getMessage());
            assertThrows(IllegalArgumentException.class, () -> w.put(tx, new byte[KeyValueStore.MAX_KEY_LENGTH], b("v"), 1));
            IllegalArgumentException inv = assertThrows(IllegalArgumentException.class, () -> c.fetch(tx, b("k"), 5, 4));
            assertTrue(inv.getMessage().contains("inverted"), inv.getMessage());
            assertThrows(IllegalArgumentException.class, () -> c.fetch(tx, b("k"), -5, 4));
            assertThrows(IllegalArgumentException.class, () -> c.fetch(tx, b("z"), b("a"), 0, 4));
            assertThrows(IllegalArgumentException.class, () -> w.sweep(tx, -1));
            assertEquals(0, tx.pendingWrites(store));
            tx.commit();
        }
        assertEquals(0, store.size());
        assertThrows(IllegalStateException.class, c::windowStart);
        assertThrows(IllegalArgumentException.class, () -> WindowStoreOptions.builder().windowSize(0));
        assertThrows(IllegalArgumentException.class, () -> WindowStoreOptions.builder().retention(-1));
        assertThrows(IllegalArgumentException.class, () -> WindowStoreOptions.builder().segmentInterval(0));
        IllegalArgumentException shortRetention = assertThrows(IllegalArgumentException.class,
            () -> WindowStoreOptions.builder().windowSize(100).retention(99).build());
        assertTrue(shortRetention.getMessage().contains("99"), shortRetention.getMessage());
        assertThrows(IllegalArgumentException.class, () -> WindowStoreOptions.builder().windowSize(1).build());
        try (KeyValueStore hashOnly = KeyValueStore.create(StoreOptions.builder().name("h").build())) {
            assertThrows(IllegalArgumentException.class, () -> WindowStore.on(hashOnly, opts(10, 100, 50)));
        }
    }

    @Test
    void reopenKeepsDataAndStreamTimeAndChecksOptions() {
        Path path = dir.resolve("ws");
        StoreOptions so = StoreOptions.builder().name("w").sortedIndex(true).build();
        try (KeyValueStore store = KeyValueStore.open(path, so)) {
            WindowStore w = WindowStore.on(store, opts(10, 100, 50));
            put(w, "a", "1", 40);
            put(w, "a", "2", 150);
            store.flush();
        }
        try (KeyValueStore store = KeyValueStore.open(path, so)) {
            WindowStore w = WindowStore.on(store, opts(10, 100, 50));
            assertEquals(150, w.streamTime(null));
            assertEquals(List.of("a@150=2"), drain(w.cursor().fetch(null, b("a"), 0, 200)));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WindowStore.on(store, opts(20, 100, 50)));
            assertTrue(e.getMessage().contains("windowSize=10") && e.getMessage().contains("windowSize=20"), e.getMessage());
        }
        try (KeyValueStore store = KeyValueStore.open(path, so)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> TimeMetaProbe.openAsSession(store));
            assertTrue(e.getMessage().contains("window"), e.getMessage());
        }
    }

    @Test
    void managedWindowStoreSurvivesACrash() {
        StateManagerOptions mo = StateManagerOptions.builder(dir.resolve("state")).build();
        StoreOptions so = StoreOptions.builder().name("windows").sortedIndex(true).build();
        try (StateManager m = StateManager.open(mo)) {
            m.define(so);
            m.assign(0);
            StatePartition p = m.partition(0);
            WindowStore w = WindowStore.on(p.store("windows"), opts(10, 1000, 100));
            for (int t = 0; t < 5; t++) {
                try (Transaction tx = p.begin()) {
                    w.put(tx, b("k"), b("v" + t), t * 100L);
                    tx.commit();
                }
            }
            try (Transaction tx = p.begin()) {
                w.put(tx, b("k"), b("uncommitted"), 900);
                // never committed: a crash must not bring it back
                TestManagers.crash(m);
            }
        } catch (IllegalStateException expectedAfterCrash) {
            // closing the transaction of a crashed manager may refuse; the crash itself is what matters
        }
        try (StateManager m = StateManager.open(mo)) {
            m.define(so);
            m.assign(0);
            WindowStore w = WindowStore.on(m.partition(0).store("windows"), opts(10, 1000, 100));
            assertEquals(400, w.streamTime(null));
            assertEquals(List.of("k@0=v0", "k@100=v1", "k@200=v2", "k@300=v3", "k@400=v4"),
                drain(w.cursor().fetch(null, b("k"), 0, 1000)));
        }
    }
}
