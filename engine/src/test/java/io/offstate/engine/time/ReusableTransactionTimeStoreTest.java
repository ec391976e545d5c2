package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

/**
 * Time stores cache what they read through a transaction (metadata, sweep resume points); with a
 * {@link Transaction#reusable reusable} transaction the next round after an abort must not see the
 * aborted round's state.
 */
final class ReusableTransactionTimeStoreTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static KeyValueStore store() {
        return KeyValueStore.create(StoreOptions.builder().name("t").sortedIndex(true).build());
    }

    @Test
    void windowStoreStreamTimeAfterAnAbortedRoundIsTheCommittedOne() {
        try (KeyValueStore store = store(); Transaction tx = Transaction.reusable(store)) {
            WindowStore w = WindowStore.on(store, WindowStoreOptions.builder().windowSize(10).retention(100).build());
            w.put(tx, b("k"), b("v0"), 50);
            tx.commit();
            tx.restart();
            w.put(tx, b("k"), b("v1"), 1_000);               // would expire the window at 50
            assertEquals(1_000, w.streamTime(tx));
            tx.abort();
            tx.restart();
            assertEquals(50, w.streamTime(tx), "the aborted round's stream time is gone");
            w.put(tx, b("k"), b("v2"), 60);                  // not behind the committed horizon
            tx.commit();
            ValueView v = new ValueView();
            assertTrue(w.fetch(null, b("k"), 50, v));
            assertTrue(w.fetch(null, b("k"), 60, v));
            assertEquals(60, w.streamTime(null));
        }
    }

    @Test
    void ttlSweepAfterAnAbortedRoundStartsAgainFromTheOldestExpiry() {
        try (KeyValueStore store = store(); Transaction tx = Transaction.reusable(store)) {
            TtlStore ttl = TtlStore.on(store, 10, 1);                     // ttl 10 ms, sweep one entry per write
            for (int i = 0; i < 6; i++) {
                ttl.put(tx, b("k" + i), b("v"), 10);                       // all expire at 20
            }
            tx.commit();
            tx.restart();
            ttl.put(tx, b("late"), b("v"), 100, 1_000);                    // stream time 100: k0 swept
            ttl.put(tx, b("late2"), b("v"), 100, 1_000);                   // k1 swept, the sweep's resume point after it
            tx.abort();
            tx.restart();
            ttl.put(tx, b("x"), b("v"), 100, 1_000);                       // sweeps k0 again: its delete was aborted
            int swept = ttl.sweep(tx, Integer.MAX_VALUE);
            tx.commit();
            assertEquals(5, swept, "the sweep went on from k0, not from the aborted round's resume point");
            List<String> live = new ArrayList<>();
            TtlCursor c = ttl.cursor().range(null, null, null);
            while (c.next()) {
                live.add(new String(c.key().toByteArray(), StandardCharsets.UTF_8));
            }
            assertEquals(List.of("x"), live);
            assertEquals(3, store.size(), "x's entry and expiry-index entry, and the metadata entry: nothing of k0..k5 left");
        }
    }
}
