package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

/**
 * A window store's put (through a reusable transaction, committed once per window start, expiring as
 * stream time advances) and its fetch steps allocate nothing once warm: the thread's allocation
 * counter over many rounds, the least of five attempts (a late JIT compilation may allocate once).
 */
final class WindowStoreAllocationTest {
    private static final com.sun.management.ThreadMXBean THREADS =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    private static final int KEYS = 64;
    private static final int ROUNDS = 200;

    private static byte[][] keys() {
        byte[][] keys = new byte[KEYS][];
        for (int i = 0; i < KEYS; i++) {
            keys[i] = ("user-" + (1000 + i)).getBytes(StandardCharsets.UTF_8);
        }
        return keys;
    }

    @Test
    void putWithExpiryAndFetchStepsAllocateNothing() {
        byte[][] keys = keys();
        byte[] value = new byte[32];
        WindowStoreOptions options = WindowStoreOptions.builder().windowSize(10).retention(100).segmentInterval(50).build();
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("w").sortedIndex(true).build());
             Transaction tx = Transaction.reusable(store)) {
            WindowStore windows = WindowStore.on(store, options);
            WindowCursor cursor = windows.cursor();
            ValueView view = new ValueView();
            long[] time = {0};
            Runnable round = () -> {
                for (int r = 0; r < ROUNDS; r++) {
                    long start = time[0]++ * 10;
                    for (int k = 0; k < KEYS; k++) {
                        value[0] = (byte) k;
                        windows.put(tx, keys[k], value, start);
                    }
                    tx.commit();
                    tx.restart();
                    long seen = 0;
                    for (int k = 0; k < KEYS; k += 7) {
                        seen += windows.fetch(null, keys[k], start, view) ? 1 : 0;
                        cursor.fetch(null, keys[k], Math.max(0, start - 90), start);
                        while (cursor.next()) {
                            seen += cursor.value().length();
                        }
                    }
                    cursor.fetch(null, keys[3], keys[9], Math.max(0, start - 50), start);
                    while (cursor.next()) {
                        seen++;
                    }
                    cursor.backwardFetchAll(null, Math.max(0, start - 20), start);
                    while (cursor.next()) {
                        seen++;
                    }
                    if (seen == 0) {
                        throw new AssertionError("fetches found nothing at " + start);
                    }
                }
            };
            round.run(); // warm up, and advance far enough that every round expires a segment
            long least = Long.MAX_VALUE;
            for (int attempt = 0; attempt < 5; attempt++) {
                long before = THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId());
                round.run();
                least = Math.min(least, THREADS.getThreadAllocatedBytes(Thread.currentThread().threadId()) - before);
            }
            assertTrue(least < ROUNDS * 8L, least + " bytes allocated by " + ROUNDS * KEYS + " puts and their fetches");
            // retention 100 = ten windows of each key live, and the sweep kept up
            assertEquals(KEYS * 10L, countLive(windows, time[0] * 10 - 10));
        }
    }

    private static long countLive(WindowStore windows, long streamTime) {
        WindowCursor c = windows.cursor().fetchAll(null, 0, streamTime);
        long n = 0;
        while (c.next()) {
            n++;
        }
        return n;
    }
}
