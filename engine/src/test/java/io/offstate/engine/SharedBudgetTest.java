package io.offstate.engine;

import static io.offstate.engine.TestData.string;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.SharedMemoryBudget;
import io.offstate.offheap.StoreFullException;

/** Stores sharing one {@link SharedMemoryBudget}: together they never pass it, and a refused write changes nothing. */
final class SharedBudgetTest {
    private static final int PAGE = 64 << 10;

    @TempDir
    Path dir;

    private static StoreOptions options(String name, SharedMemoryBudget shared) {
        return StoreOptions.builder().name(name).pageSize(PAGE).sharedBudget(shared).build();
    }

    /** Puts values of {@code size} until the store is full; returns how many fit. */
    private static int fill(KeyValueStore s, String prefix, int size) {
        for (int i = 0; ; i++) {
            try {
                s.put(utf8(prefix + i), new byte[size]);
            } catch (StoreFullException e) {
                return i;
            }
        }
    }

    @Test
    void storesTogetherStayUnderTheSharedLimitAndARefusedPutChangesNothing() {
        SharedMemoryBudget shared = new SharedMemoryBudget("process", 4L << 20);
        try (KeyValueStore a = KeyValueStore.create(options("a", shared));
             KeyValueStore b = KeyValueStore.create(options("b", shared))) {
            b.put(utf8("keep"), utf8("me"));
            int fitted = fill(a, "k", 1000);
            assertTrue(fitted > 100, "fitted " + fitted);
            assertTrue(shared.used() <= shared.limit());
            assertEquals(a.memoryUsed() + b.memoryUsed(), shared.used(), "between operations: the sum of the stores");
            long bUsed = b.memoryUsed();
            long bSize = b.size();
            StoreFullException e = assertThrows(StoreFullException.class, () -> {
                for (int i = 0; i < 10_000; i++) {
                    b.put(utf8("more" + i), new byte[1000]);
                }
            });
            assertTrue(e.getMessage().contains("shared memory budget 'process'"), e.getMessage());
            assertTrue(b.size() >= bSize);
            long sizeAtRefusal = b.size();
            long usedAtRefusal = b.memoryUsed();
            assertThrows(StoreFullException.class, () -> b.put(utf8("x"), new byte[PAGE * 2]));
            assertEquals(sizeAtRefusal, b.size(), "refused put left b unchanged");
            assertEquals(usedAtRefusal, b.memoryUsed());
            assertEquals("me", string(b.getCopy(utf8("keep"))));
            assertTrue(bUsed <= usedAtRefusal);
            assertEquals(a.memoryUsed() + b.memoryUsed(), shared.used());
        }
        assertEquals(0, shared.used(), "closed stores give everything back");
    }

    @Test
    void memoryFreedInOneStoreCanBeUsedByAnother() {
        SharedMemoryBudget shared = new SharedMemoryBudget("process", 2L << 20);
        try (KeyValueStore a = KeyValueStore.create(options("a", shared));
             KeyValueStore b = KeyValueStore.create(options("b", shared))) {
            int fitted = fill(a, "k", 20_000); // large values: freed whole on delete
            assertTrue(fitted > 10);
            assertThrows(StoreFullException.class, () -> b.put(utf8("big"), new byte[20_000]));
            for (int i = 0; i < fitted; i++) {
                assertTrue(a.delete(utf8("k" + i)));
            }
            b.put(utf8("big"), new byte[20_000]);
            assertEquals(1, b.size());
            assertEquals(a.memoryUsed() + b.memoryUsed(), shared.used());
        }
        assertEquals(0, shared.used());
    }

    @Test
    void storesOnDifferentThreadsShareTheLimit() throws Exception {
        SharedMemoryBudget shared = new SharedMemoryBudget("process", 8L << 20);
        AtomicReference<Throwable> failure = new AtomicReference<>();
        int[] fitted = new int[2];
        Thread[] threads = new Thread[2];
        for (int t = 0; t < 2; t++) {
            int id = t;
            threads[t] = new Thread(() -> {
                try (KeyValueStore s = KeyValueStore.create(options("s" + id, shared))) {
                    fitted[id] = fill(s, "k", 500);
                    if (shared.used() > shared.limit()) {
                        throw new AssertionError("over the limit: " + shared.used());
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
        }
        for (Thread t : threads) {
            t.start();
        }
        for (Thread t : threads) {
            t.join();
        }
        assertNull(failure.get());
        assertTrue(fitted[0] > 0 && fitted[1] > 0);
        assertEquals(0, shared.used());
    }

    @Test
    void aTransactionWhosePendingWritesPassTheSharedBudgetIsRefusedUnchanged() {
        SharedMemoryBudget shared = new SharedMemoryBudget("process", 2L << 20);
        try (KeyValueStore a = KeyValueStore.create(options("a", shared))) {
            a.put(utf8("keep"), utf8("1"));
            long before = a.memoryUsed();
            try (Transaction tx = Transaction.begin(a)) {
                assertThrows(StoreFullException.class, () -> {
                    for (int i = 0; i < 100_000; i++) {
                        tx.put(a, utf8("p" + i), new byte[1000]);
                    }
                });
            }
            assertEquals(1, a.size());
            assertEquals(before, a.memoryUsed());
            assertEquals(a.memoryUsed(), shared.used(), "the aborted transaction gave its staging memory back");
            try (Transaction tx = Transaction.begin(a)) {
                tx.put(a, utf8("small"), utf8("2"));
                tx.commit();
            }
            assertEquals("2", string(a.getCopy(utf8("small"))));
            assertEquals(a.memoryUsed(), shared.used());
        }
        assertEquals(0, shared.used());
    }

    @Test
    void aReopenedFileBackedStoreIsChargedAgain() {
        SharedMemoryBudget shared = new SharedMemoryBudget("process", 64L << 20);
        try (KeyValueStore a = KeyValueStore.open(dir, options("a", shared))) {
            for (int i = 0; i < 1000; i++) {
                a.put(utf8("k" + i), new byte[100]);
            }
        }
        assertEquals(0, shared.used());
        try (KeyValueStore a = KeyValueStore.open(dir, options("a", shared))) {
            assertEquals(1000, a.size());
            assertTrue(a.memoryUsed() > 0);
            assertEquals(a.memoryUsed(), shared.used());
            assertEquals(shared, a.options().sharedBudget());
        }
        SharedMemoryBudget tiny = new SharedMemoryBudget("tiny", 4096);
        assertThrows(StoreFullException.class, () -> KeyValueStore.open(dir, options("a", tiny)));
        assertEquals(0, tiny.used(), "a refused open holds nothing");
        KeyValueStore.open(dir, options("a", null)).close(); // and left no lock behind
    }

    @Test
    void restoreIsChargedAndSnapshotsAreNot() {
        SharedMemoryBudget shared = new SharedMemoryBudget("process", 64L << 20);
        try (KeyValueStore a = KeyValueStore.create(options("a", shared))) {
            for (int i = 0; i < 1000; i++) {
                a.put(utf8("k" + i), new byte[100]);
            }
            long used = shared.used();
            try (StoreSnapshot snap = a.snapshot()) {
                assertEquals(used, shared.used(), "a snapshot is not charged");
                a.clear();
                assertEquals(a.memoryUsed(), shared.used());
                a.restore(snap);
                assertEquals(1000, a.size());
                assertEquals(a.memoryUsed(), shared.used());
            }
        }
        assertEquals(0, shared.used());
    }

    @Test
    void theStateManagersBudgetCapsAllPartitions() {
        long cap = 6L << 20;
        try (StateManager m = StateManager.open(StateManagerOptions.builder(dir).memoryBudget(cap)
            .log(io.offstate.engine.log.WalOptions.defaults().withDurability(io.offstate.engine.log.Durability.NEVER)).build())) {
            m.define(StoreOptions.builder().name("s").pageSize(PAGE).build());
            m.assign(0, 1);
            StatePartition p0 = m.partition(0);
            StatePartition p1 = m.partition(1);
            int committed = 0;
            try {
                for (; committed < 100_000; committed++) {
                    try (Transaction tx = p0.begin()) {
                        tx.put(p0.store("s"), utf8("k" + committed), new byte[1000]);
                        tx.commit();
                    }
                }
            } catch (StoreFullException e) {
                assertTrue(e.getMessage().contains("shared memory budget"), e.getMessage());
            }
            assertTrue(committed > 100 && committed < 100_000, "committed " + committed);
            assertEquals(committed, p0.store("s").size(), "the refused commit changed nothing");
            long used = m.stats().memoryUsed();
            assertTrue(used <= cap, used + " <= " + cap);
            try (Transaction tx = p1.begin()) {
                // refused when staged (the pending writes count) or at the latest by the commit's plan
                assertThrows(StoreFullException.class, () -> {
                    tx.put(p1.store("s"), utf8("big"), new byte[PAGE * 4]);
                    tx.commit();
                });
                assertFalse(tx.isDone());
            }
            assertEquals(0, p1.store("s").size());
            assertArrayEquals(null, p1.committedPositions());
        }
    }
}
