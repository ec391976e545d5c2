package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;
import io.offstate.engine.time.WindowedAggregationOptions.Emit;

final class CountWindowsTest {
    private final KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("c").sortedIndex(true).build());
    private final List<String> out = new ArrayList<>();

    @AfterEach
    void tearDown() {
        store.close();
    }

    private WindowedAggregation agg(CountWindows w, Emit emit, boolean collect) {
        return WindowedAggregation.on(store, WindowedAggregationOptions.builder(w).emit(emit).collect(collect)
            .valueExtractor(v -> Double.parseDouble(new String(v, StandardCharsets.UTF_8)))
            .aggregators(Aggregators.sum(), Aggregators.latest())
            .onResult(r -> {
                StringBuilder s = new StringBuilder(WindowedAggregationTest.line(r));
                if (collect) {
                    s.append(':');
                    WindowedValues vs = r.collected();
                    while (vs.next()) {
                        s.append(' ').append(new String(vs.value().toByteArray(), StandardCharsets.UTF_8));
                    }
                }
                out.add(s.toString());
            }).build());
    }

    private void feed(WindowedAggregation a, String key, long... valueThenTs) {
        try (Transaction tx = Transaction.begin(store)) {
            for (int i = 0; i < valueThenTs.length; i += 2) {
                a.process(tx, WindowedAggregationTest.k(key), (double) valueThenTs[i], valueThenTs[i + 1]);
            }
            tx.commit();
        }
    }

    @Test
    void tumblingEmitsEveryNRecordsOfAKey() {
        WindowedAggregation a = agg(CountWindows.tumbling(3), Emit.ON_CLOSE, false);
        feed(a, "a", 1, 50, 2, 10, 3, 20, 4, 5);
        feed(a, "b", 10, 0);
        // sum, then the value with the latest timestamp
        assertEquals(List.of("a [0,3) final 6 1"), out);
        feed(a, "a", 5, 6, 6, 1);
        assertEquals(List.of("a [0,3) final 6 1", "a [3,6) final 15 5"), out);
        assertEquals(List.of("b [0,3) 10 10"), windows(a));
    }

    @Test
    void hoppingWindowsOverlapByStep() {
        WindowedAggregation a = agg(CountWindows.hopping(3, 2), Emit.ON_UPDATE, false);
        feed(a, "a", 1, 0, 2, 0, 3, 0, 4, 0);
        assertEquals(List.of("a [0,3) 1 1", "a [0,3) 3 2", "a [0,3) final 6 3", "a [2,5) 3 3", "a [2,5) 7 4"), out);
        assertEquals(List.of("a [2,5) 7 4"), windows(a));
    }

    @Test
    void slidingEmitsTheLastNRecordsOnEveryRecordWithTheirValues() {
        WindowedAggregation a = agg(CountWindows.sliding(2), Emit.ON_CLOSE, true);
        try (Transaction tx = Transaction.begin(store)) {
            a.process(tx, WindowedAggregationTest.k("a"), "1".getBytes(StandardCharsets.UTF_8), 7);
            a.process(tx, WindowedAggregationTest.k("a"), "2".getBytes(StandardCharsets.UTF_8), 3);
            a.process(tx, WindowedAggregationTest.k("a"), "4".getBytes(StandardCharsets.UTF_8), 5);
            tx.commit();
        }
        assertEquals(List.of("a [0,1) final 1 1: 1", "a [0,2) final 3 1: 1 2", "a [1,3) final 6 4: 2 4"), out);
        assertEquals(List.of(), windows(a));
    }

    @Test
    void countWindowsAreNeverLate() {
        WindowedAggregation a = agg(CountWindows.tumbling(2), Emit.ON_CLOSE, false);
        feed(a, "a", 1, 1000, 2, 0);
        assertEquals(List.of("a [0,2) final 3 1"), out);
        assertEquals(0, a.lateRecords());
        assertEquals(1000, a.streamTime(null));
    }

    private List<String> windows(WindowedAggregation a) {
        List<String> l = new ArrayList<>();
        a.forEachWindow(null, r -> l.add(WindowedAggregationTest.line(r)));
        return l;
    }

    private static void refused(String fragment, Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(fragment), x.getMessage());
    }

    @Test
    void badParametersAreRefusedNamingTheValue() {
        refused("count window size must be positive: 0", () -> CountWindows.tumbling(0));
        refused("count window size must be positive: -1", () -> CountWindows.sliding(-1));
        refused("count window step must be positive: 0", () -> CountWindows.hopping(3, 0));
        refused("count window step 4 must not exceed the window size 3", () -> CountWindows.hopping(3, 4));
        assertEquals(CountWindows.Kind.TUMBLING, CountWindows.hopping(3, 3).kind());
    }
}
