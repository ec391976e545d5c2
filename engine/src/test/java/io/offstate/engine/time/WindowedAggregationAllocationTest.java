package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;

import org.junit.jupiter.api.Test;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;

/**
 * The hot path of {@link WindowedAggregation#process} allocates nothing once warmed up (counted
 * bytes, not time). The bound leaves room for the transaction's staging growing its tables now and
 * then (a few hundred bytes per 10 000 records), not for anything per record.
 */
final class WindowedAggregationAllocationTest {
    private static long measure(WindowedAggregation a, KeyValueStore store, long sizeOfTimeStep) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        threads.setThreadAllocatedMemoryEnabled(true);
        byte[][] keys = new byte[16][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = ("key-" + i).getBytes(java.nio.charset.StandardCharsets.UTF_8);
        }
        long allocated = 0;
        try (Transaction tx = Transaction.begin(store)) {
            for (int round = 0; round < 5; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 10_000; i++) {
                    long ts = sizeOfTimeStep < 0 ? round * 10_000L + i : 1_000_000 + (i % 50) * sizeOfTimeStep;
                    a.process(tx, keys[i & 15], (double) i, ts);
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            tx.commit();
        }
        return allocated;
    }

    @Test
    void updatingHoppingWindowsAllocatesNothing() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("a").sortedIndex(true).build())) {
            WindowedAggregation a = WindowedAggregation.on(store, WindowedAggregationOptions.builder(TimeWindows.hopping(1_000, 250))
                .aggregators(Aggregators.count(), Aggregators.sum(), Aggregators.stdDevSample(), Aggregators.latest()).build());
            long allocated = measure(a, store, 10);
            assertTrue(allocated < 1024, "allocated " + allocated + " bytes over 10 000 records");
            assertEquals(1_000_490, a.streamTime(null));
        }
    }

    @Test
    void slidingCountWindowsAllocateNothing() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("a").sortedIndex(true).build())) {
            WindowedAggregation a = WindowedAggregation.on(store, WindowedAggregationOptions.builder(CountWindows.sliding(4))
                .aggregators(Aggregators.mean(), Aggregators.max()).build());
            long allocated = measure(a, store, 1);
            assertTrue(allocated < 1024, "allocated " + allocated + " bytes over 10 000 records");
        }
    }

    @Test
    void slidingTimeWindowsThatOpenAndCloseAllocateNothing() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("a").sortedIndex(true).build())) {
            WindowedAggregation a = WindowedAggregation.on(store, WindowedAggregationOptions.builder(TimeWindows.sliding(64).grace(8))
                .aggregators(Aggregators.sum(), Aggregators.first()).onResult(r -> { }).build());
            long allocated = measure(a, store, -1); // ever later timestamps: a window per record, older ones close
            assertTrue(allocated < 1024, "allocated " + allocated + " bytes over 10 000 records");
        }
    }
}
