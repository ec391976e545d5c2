package io.offstate.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.Test;

import io.offstate.offheap.memory.MemoryBudget;

final class SharedMemoryBudgetTest {
    @Test
    void acquiresUpToTheLimitAndRefusesBeyondWithNothingTaken() {
        SharedMemoryBudget b = new SharedMemoryBudget("all", 100);
        assertTrue(b.tryAcquire(60));
        assertFalse(b.tryAcquire(41));
        assertEquals(60, b.used());
        StoreFullException e = assertThrows(StoreFullException.class, () -> b.acquire("s", 41));
        assertTrue(e.getMessage().contains("shared memory budget 'all'"), e.getMessage());
        assertEquals(100, e.budget());
        assertEquals(41, e.requested());
        assertTrue(b.tryAcquire(40));
        b.release(100);
        assertEquals(0, b.used());
    }

    @Test
    void badAmountsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> new SharedMemoryBudget("x", 0));
        assertThrows(NullPointerException.class, () -> new SharedMemoryBudget(null, 1));
        SharedMemoryBudget b = new SharedMemoryBudget("x", 10);
        assertThrows(IllegalArgumentException.class, () -> b.tryAcquire(-1));
        assertThrows(IllegalArgumentException.class, () -> b.release(-1));
        b.tryAcquire(5);
        assertThrows(IllegalArgumentException.class, () -> b.release(6));
        assertEquals(5, b.used());
    }

    @Test
    void concurrentAcquirersNeverPassTheLimit() throws Exception {
        SharedMemoryBudget b = new SharedMemoryBudget("all", 1000);
        AtomicLong overLimit = new AtomicLong();
        AtomicLong granted = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int t = 0; t < 4; t++) {
            int seed = t;
            Thread th = new Thread(() -> {
                java.util.Random r = new java.util.Random(seed);
                for (int i = 0; i < 200_000; i++) {
                    long n = 1 + r.nextInt(300);
                    if (b.tryAcquire(n)) {
                        granted.incrementAndGet();
                        if (b.used() > 1000) {
                            overLimit.incrementAndGet();
                        }
                        b.release(n);
                    }
                }
            });
            threads.add(th);
            th.start();
        }
        for (Thread th : threads) {
            th.join();
        }
        assertEquals(0, overLimit.get());
        assertEquals(0, b.used());
        assertTrue(granted.get() > 0);
    }

    @Test
    void aStoreBudgetDrawsItsWorstCaseAndGivesBackOnSettle() {
        SharedMemoryBudget shared = new SharedMemoryBudget("all", 1000);
        MemoryBudget a = new MemoryBudget("a", 800, shared);
        MemoryBudget b = new MemoryBudget("b", 800, shared);
        a.check(700); // an operation's worst case
        assertEquals(700, shared.used());
        a.reserve(300);
        a.release(100); // freed in the middle of the operation: kept for it
        assertEquals(700, shared.used());
        assertThrows(StoreFullException.class, () -> b.check(301));
        assertEquals(0, b.granted());
        a.settle();
        assertEquals(200, a.used());
        assertEquals(200, a.granted());
        assertEquals(200, shared.used());
        b.reserve(800);
        assertEquals(1000, shared.used());
        StoreFullException own = assertThrows(StoreFullException.class, () -> b.check(1));
        assertTrue(own.getMessage().contains("store 'b'"), own.getMessage());
        b.release(800);
        b.settle();
        a.release(200);
        a.settle();
        assertEquals(0, shared.used());
    }

    @Test
    void withoutAParentNothingIsDrawn() {
        MemoryBudget a = new MemoryBudget("a", 100);
        a.reserve(100);
        a.settle();
        assertEquals(0, a.granted());
        assertEquals(100, a.used());
    }
}
