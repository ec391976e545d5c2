package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import io.offstate.engine.Transaction;
import io.offstate.engine.TestManagers;
import io.offstate.engine.time.WindowedAggregationOptions.Closing;
import io.offstate.engine.time.WindowedAggregationOptions.Emit;

final class WindowedAggregationTest {
    @TempDir
    Path dir;

    private KeyValueStore store;
    private StateManager manager;
    private final List<String> out = new ArrayList<>();
    private final List<String> late = new ArrayList<>();

    @AfterEach
    void tearDown() {
        if (store != null && !store.isClosed() && !store.isManaged()) {
            store.close();
        }
        if (manager != null && !manager.isClosed()) {
            manager.close();
        }
    }

    static byte[] k(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** "key [start,end) [final] v0 v1 ..." with integral values printed without ".0". */
    static String line(WindowedResult r) {
        StringBuilder s = new StringBuilder(new String(r.copyKey(), StandardCharsets.UTF_8))
            .append(" [").append(r.windowStart()).append(',').append(r.windowEnd()).append(')');
        if (r.isFinal()) {
            s.append(" final");
        }
        for (int i = 0; i < r.aggregators(); i++) {
            double v = r.value(i);
            s.append(' ').append(v == Math.rint(v) && !Double.isInfinite(v) ? String.valueOf((long) v) : String.valueOf(v));
        }
        return s.toString();
    }

    private WindowedAggregationOptions.Builder options(TimeWindows w, Aggregator... aggs) {
        return WindowedAggregationOptions.builder(w).aggregators(aggs).onResult(r -> out.add(line(r)))
            .onLate((key, value, number, ts, closeTime) -> late.add(new String(key, StandardCharsets.UTF_8) + "@" + ts
                + " close " + closeTime));
    }

    private WindowedAggregation agg(WindowedAggregationOptions o) {
        if (store == null) {
            store = KeyValueStore.create(StoreOptions.builder().name("agg").sortedIndex(true).build());
        }
        return WindowedAggregation.on(store, o);
    }

    private boolean process(WindowedAggregation a, String key, double v, long ts) {
        try (Transaction tx = Transaction.begin(store)) {
            boolean r = a.process(tx, k(key), v, ts);
            tx.commit();
            return r;
        }
    }

    private int advance(WindowedAggregation a, long st) {
        try (Transaction tx = Transaction.begin(store)) {
            int n = a.advance(tx, st);
            tx.commit();
            return n;
        }
    }

    private List<String> windows(WindowedAggregation a) {
        List<String> l = new ArrayList<>();
        a.forEachWindow(null, r -> l.add(line(r)));
        return l;
    }

    @Test
    void tumblingSumEmitsFinalWhenStreamTimePassesEnd() {
        WindowedAggregation a = agg(options(TimeWindows.tumbling(10), Aggregators.sum(), Aggregators.count()).build());
        assertTrue(process(a, "a", 1, 0));
        assertTrue(process(a, "a", 2, 9));
        assertTrue(process(a, "b", 5, 3));
        assertEquals(List.of(), out);
        assertEquals(List.of("a [0,10) 3 2", "b [0,10) 5 1"), windows(a));
        assertTrue(process(a, "a", 4, 10)); // stream time 10 closes [0,10) of every key (by partition)
        assertEquals(List.of("a [0,10) final 3 2", "b [0,10) final 5 1"), out);
        assertEquals(List.of("a [10,20) 4 1"), windows(a));
        assertEquals(10, a.streamTime(null));
    }

    @Test
    void lateRecordGoesToTheCallbackAndChangesNoWindow() {
        WindowedAggregation a = agg(options(TimeWindows.tumbling(10).grace(5), Aggregators.sum()).build());
        process(a, "a", 1, 12);
        assertTrue(process(a, "a", 7, 9)); // [0,10) closes at 15: still open
        process(a, "a", 1, 15);
        assertEquals(List.of("a [0,10) final 7"), out);
        assertFalse(process(a, "a", 100, 3));
        assertEquals(List.of("a@3 close 15"), late);
        assertEquals(1, a.lateRecords());
        assertEquals(List.of("a [10,20) 2"), windows(a));
        assertEquals(List.of("a [0,10) final 7"), out);
    }

    @Test
    void hoppingRecordJoinsEveryWindowHoldingIt() {
        WindowedAggregation a = agg(options(TimeWindows.hopping(10, 5).grace(5), Aggregators.count(), Aggregators.max()).build());
        process(a, "a", 3, 7);   // [0,10), [5,15)
        process(a, "a", 9, 12);  // [5,15), [10,20)
        process(a, "a", 1, 2);   // [0,10): due at 10 + 5
        assertEquals(List.of("a [0,10) 2 3", "a [5,15) 2 9", "a [10,20) 1 9"), windows(a));
        assertEquals(1, advance(a, 15));
        assertEquals(List.of("a [0,10) final 2 3"), out);
        assertEquals(1, advance(a, 24));
        assertEquals(List.of("a [0,10) final 2 3", "a [5,15) final 2 9"), out);
    }

    @Test
    void hoppingRecordWithSomeWindowsClosedGoesIntoTheOpenOnes() {
        WindowedAggregation a = agg(options(TimeWindows.hopping(10, 5), Aggregators.sum()).build());
        process(a, "a", 1, 11); // [5,15), [10,20)
        process(a, "a", 1, 10); // [5,15), [10,20); [0,10) closed at 10 already
        assertTrue(process(a, "a", 5, 8)); // [0,10) closed, [5,15) open: partly late, no callback
        assertEquals(List.of(), late);
        assertEquals(List.of("a [5,15) 7", "a [10,20) 2"), windows(a));
    }

    @Test
    void onUpdateEmitsEveryUpdateAndDropsClosedWindowsSilently() {
        WindowedAggregation a = agg(options(TimeWindows.tumbling(10), Aggregators.sum()).emit(Emit.ON_UPDATE).build());
        process(a, "a", 1, 1);
        process(a, "a", 2, 5);
        process(a, "a", 3, 11);
        assertEquals(List.of("a [0,10) 1", "a [0,10) 3", "a [10,20) 3"), out);
        assertEquals(List.of("a [10,20) 3"), windows(a));
    }

    @Test
    void closingByKeyFollowsEachKeysOwnTime() {
        WindowedAggregation a = agg(options(TimeWindows.tumbling(10), Aggregators.sum()).closing(Closing.KEY).build());
        process(a, "a", 1, 1);
        process(a, "b", 2, 2);
        process(a, "a", 3, 30); // a's time 30: a's [0,10) closes; b's stays
        assertEquals(List.of("a [0,10) final 1"), out);
        assertTrue(process(a, "b", 4, 5)); // b's time is 5: not late though the partition is at 30
        assertEquals(0, advance(a, 100)); // closing by key: advance moves only stream time
        assertEquals(List.of("a [30,40) 3", "b [0,10) 6"), windows(a));
        process(a, "b", 1, 10);
        assertEquals(List.of("a [0,10) final 1", "b [0,10) final 6"), out);
        assertFalse(process(a, "b", 1, 9));
        assertEquals(List.of("b@9 close 10"), late);
    }

    @Test
    void closingByPartitionClosesOtherKeysAndAdvanceCloses() {
        WindowedAggregation a = agg(options(TimeWindows.tumbling(10).grace(2), Aggregators.count()).build());
        process(a, "a", 1, 1);
        process(a, "b", 1, 2);
        process(a, "c", 1, 11);
        assertEquals(List.of(), out);
        assertEquals(2, advance(a, 12));
        assertEquals(List.of("a [0,10) final 1", "b [0,10) final 1"), out);
        assertEquals(0, advance(a, 5)); // never backwards
        assertEquals(12, a.streamTime(null));
        assertEquals(1, advance(a, 22));
        assertEquals(List.of(), windows(a));
    }

    @Test
    void closingIsBoundedPerCallAndCatchesUpLater() {
        WindowedAggregation a = agg(options(TimeWindows.tumbling(10), Aggregators.count()).maxClosesPerCall(2).build());
        for (int i = 0; i < 5; i++) {
            process(a, "k" + i, 1, i);
        }
        assertEquals(2, advance(a, 10));
        assertEquals(3, windows(a).size());
        assertFalse(process(a, "k4", 1, 4)); // closes two more; k4's window is due, not yet closed: takes no record
        assertEquals(List.of("k4 [0,10) 1"), windows(a));
        assertEquals(1, advance(a, 10));
        assertEquals(5, out.size());
    }

    @Test
    void slidingWindowPerRecordCoversTheLastSizeMilliseconds() {
        WindowedAggregation a = agg(options(TimeWindows.sliding(10).grace(100), Aggregators.sum(), Aggregators.count())
            .emit(Emit.ON_UPDATE).build());
        process(a, "a", 1, 5);   // creates (.., 5] = [0,6)
        process(a, "a", 2, 12);  // [3,13): 5 and 12
        process(a, "a", 4, 8);   // out of order: [0,9) from held 5 + 8; and joins [3,13)
        assertEquals(List.of("a [0,6) 1 1", "a [3,13) 3 2", "a [3,13) 7 3", "a [0,9) 5 2"), out);
        assertEquals(List.of("a [0,6) 1 1", "a [0,9) 5 2", "a [3,13) 7 3"), windows(a));
        process(a, "a", 8, 20);  // [11,21): 12 and 20
        assertEquals("a [11,21) 10 2", out.get(out.size() - 1));
    }

    @Test
    void slidingWindowsCloseAndDropHeldRecords() {
        WindowedAggregation a = agg(options(TimeWindows.sliding(10).grace(5), Aggregators.sum()).build());
        process(a, "a", 1, 5);
        process(a, "a", 2, 7);
        process(a, "a", 3, 30);
        assertEquals(List.of("a [0,6) final 1", "a [0,8) final 3"), out);
        assertFalse(process(a, "a", 9, 6));
        // held records 5 and 7 are dropped (ts + size + grace <= 30): left are the metadata, the window
        // of 30, its close entry, the record 30 and its drop entry
        assertEquals(5, store.size());
        assertTrue(process(a, "a", 4, 26)); // its own window (due 32) and 30's
        assertEquals(List.of("a [17,27) 4", "a [21,31) 7"), windows(a));
    }

    @Test
    void collectDeliversAllValuesOfAWindowOnClose() {
        List<String> collected = new ArrayList<>();
        WindowedAggregation a = agg(WindowedAggregationOptions.builder(TimeWindows.hopping(10, 5))
            .collect(true).valueExtractor(v -> v.length)
            .aggregators(Aggregators.sum())
            .onResult(r -> {
                StringBuilder s = new StringBuilder(line(r)).append(':');
                WindowedValues vs = r.collected();
                while (vs.next()) {
                    s.append(' ').append(new String(vs.value().toByteArray(), StandardCharsets.UTF_8));
                }
                collected.add(s.toString());
            }).build());
        try (Transaction tx = Transaction.begin(store)) {
            a.process(tx, k("a"), k("xx"), 7);
            a.process(tx, k("a"), k("yyy"), 3);
            a.process(tx, k("a"), k("z"), 12);
            tx.commit();
        }
        advance(a, 20);
        assertEquals(List.of("a [0,10) final 5: xx yyy", "a [5,15) final 3: xx z", "a [10,20) final 1: z"), collected);
        assertEquals(0, store.size() - 1, "only the metadata entry is left");
    }

    @Test
    void userAggregatorWithFixedWidthSlot() {
        Aggregator range = new Aggregator() { // max - min over two doubles
            public int width() {
                return 16;
            }

            public void init(AggregationSlot s) {
                s.putDouble(0, Double.POSITIVE_INFINITY).putDouble(8, Double.NEGATIVE_INFINITY);
            }

            public void add(AggregationSlot s, double v, long ts) {
                s.putDouble(0, Math.min(s.getDouble(0), v)).putDouble(8, Math.max(s.getDouble(8), v));
            }

            public double result(AggregationSlot s) {
                return s.getDouble(8) - s.getDouble(0);
            }

            public String name() {
                return "range";
            }
        };
        WindowedAggregation a = agg(options(TimeWindows.tumbling(10), Aggregators.count(), range, Aggregators.sum()).build());
        process(a, "a", 3, 1);
        process(a, "a", -4, 2);
        process(a, "a", 10, 3);
        assertEquals(List.of("a [0,10) 3 14 9"), windows(a));
        WindowedResult r = a.fetch(null, k("a"), 10);
        assertEquals(-4.0, r.slot(1).getDouble(0));
        assertNull(a.fetch(null, k("a"), 20));
    }

    @Test
    void abortedTransactionLeavesWindowsAndStreamTime() {
        WindowedAggregation a = agg(options(TimeWindows.tumbling(10), Aggregators.sum()).build());
        process(a, "a", 1, 1);
        try (Transaction tx = Transaction.begin(store)) {
            a.process(tx, k("a"), 5, 3);
            a.process(tx, k("b"), 5, 25);
            assertEquals(25, a.streamTime(tx));
            assertEquals(List.of("a [0,10) final 6"), out);
            tx.abort();
        }
        assertEquals(1, a.streamTime(null));
        assertEquals(List.of("a [0,10) 1"), windows(a));
    }

    @Test
    void badInputThrowsNamingTheValueAndStagesNothing() {
        WindowedAggregation a = agg(options(TimeWindows.tumbling(10), Aggregators.sum()).build());
        try (Transaction tx = Transaction.begin(store)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.process(tx, k("a"), 1, -5));
            assertTrue(e.getMessage().contains("-5"), e.getMessage());
            assertThrows(NullPointerException.class, () -> a.process(tx, null, 1, 5));
            e = assertThrows(IllegalArgumentException.class, () -> a.process(tx, k("a"), 1, Long.MAX_VALUE - 3));
            assertTrue(e.getMessage().contains(String.valueOf(Long.MAX_VALUE - 3)), e.getMessage());
            assertThrows(IllegalStateException.class, () -> a.process(tx, k("a"), k("v"), 5)); // no extractor
            e = assertThrows(IllegalArgumentException.class, () -> a.advance(tx, -1));
            assertTrue(e.getMessage().contains("-1"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> a.process(tx, new byte[KeyValueStore.MAX_KEY_LENGTH], 1, 5));
            assertEquals(0, tx.pendingWrites(store));
        }
        assertThrows(NullPointerException.class, () -> a.process(null, k("a"), 1, 5));
        KeyValueStore hashOnly = KeyValueStore.create(StoreOptions.builder().name("h").build());
        try {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> WindowedAggregation.on(hashOnly, options(TimeWindows.tumbling(10)).build()));
            assertTrue(e.getMessage().contains("sorted index"), e.getMessage());
        } finally {
            hashOnly.close();
        }
    }

    @Test
    void reopenedFileBackedStoreKeepsWindowsAndStreamTimeAndRefusesOtherWindows() {
        StoreOptions so = StoreOptions.builder().name("agg").sortedIndex(true).build();
        store = KeyValueStore.open(dir.resolve("s"), so);
        WindowedAggregation a = agg(options(TimeWindows.tumbling(10).grace(3), Aggregators.sum()).build());
        process(a, "a", 2, 4);
        process(a, "b", 3, 11);
        store.close();
        store = KeyValueStore.open(dir.resolve("s"), so);
        a = agg(options(TimeWindows.tumbling(10).grace(3), Aggregators.sum()).build());
        assertEquals(11, a.streamTime(null));
        assertEquals(List.of("a [0,10) 2", "b [10,20) 3"), windows(a));
        process(a, "a", 1, 13);
        assertEquals(List.of("a [0,10) final 2"), out);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> WindowedAggregation.on(store, options(TimeWindows.tumbling(20).grace(3), Aggregators.sum()).build()));
        assertTrue(e.getMessage().contains("size=10"), e.getMessage());
        assertThrows(IllegalArgumentException.class,
            () -> WindowedAggregation.on(store, options(TimeWindows.tumbling(10).grace(3), Aggregators.max()).build()));
    }

    private StatePartition openManager() {
        manager = StateManager.open(StateManagerOptions.builder(dir.resolve("m")).build());
        manager.define(StoreOptions.builder().name("agg").sortedIndex(true).build());
        manager.assign(0);
        return manager.partition(0);
    }

    private void managed(StatePartition p, WindowedAggregation a, String key, double v, long ts) {
        try (Transaction tx = p.begin()) {
            a.process(tx, k(key), v, ts);
            tx.commit();
        }
    }

    @Test
    void managedStoreSurvivesRevokeAssignAndCrash() {
        StatePartition p = openManager();
        WindowedAggregationOptions o = options(TimeWindows.hopping(10, 5), Aggregators.count(), Aggregators.mean()).build();
        WindowedAggregation a = WindowedAggregation.on(p.store("agg"), o);
        managed(p, a, "a", 2, 6);
        managed(p, a, "a", 4, 8);
        manager.revoke(0);
        manager.assign(0);
        p = manager.partition(0);
        a = WindowedAggregation.on(p.store("agg"), o);
        List<String> w = new ArrayList<>();
        a.forEachWindow(null, r -> w.add(line(r)));
        assertEquals(List.of("a [0,10) 2 3", "a [5,15) 2 3"), w);
        managed(p, a, "a", 9, 11);
        TestManagers.crash(manager);
        p = openManager();
        a = WindowedAggregation.on(p.store("agg"), o);
        assertEquals(11, a.streamTime(null));
        w.clear();
        a.forEachWindow(null, r -> w.add(line(r)));
        assertEquals(List.of("a [5,15) 3 5", "a [10,20) 1 9"), w); // [0,10) closed at 11
        manager.close();
    }
}
