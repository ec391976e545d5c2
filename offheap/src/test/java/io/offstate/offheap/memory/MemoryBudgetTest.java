package io.offstate.offheap.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

import io.offstate.offheap.StoreFullException;

class MemoryBudgetTest {

    @Test
    void reserveBeyondLimitThrowsAndRecordsNothing() {
        MemoryBudget budget = new MemoryBudget("b", 100);
        budget.reserve(60);
        StoreFullException e = assertThrows(StoreFullException.class, () -> budget.reserve(41));
        assertEquals(60, budget.used());
        assertEquals(100, e.budget());
        assertEquals(60, e.inUse());
        assertEquals(41, e.requested());
        assertTrue(e.getMessage().contains("'b'") && e.getMessage().contains("100"), e.getMessage());
        budget.reserve(40);
        assertEquals(100, budget.used());
    }

    @Test
    void checkNeverChangesUsage() {
        MemoryBudget budget = new MemoryBudget("b", 100);
        budget.check(100);
        budget.check(0);
        budget.check(-5);
        assertEquals(0, budget.used());
        assertThrows(StoreFullException.class, () -> budget.check(101));
        assertEquals(0, budget.used());
    }

    @Test
    void releaseMakesRoomAgain() {
        MemoryBudget budget = new MemoryBudget("b", 100);
        budget.reserve(100);
        budget.release(30);
        assertEquals(70, budget.used());
        budget.reserve(30);
        assertEquals(100, budget.used());
    }

    @Test
    void unlimitedBudgetNeverOverflows() {
        MemoryBudget budget = new MemoryBudget("b", Long.MAX_VALUE);
        budget.reserve(1L << 40);
        budget.check(Long.MAX_VALUE - (1L << 40));
        assertThrows(StoreFullException.class, () -> budget.check(Long.MAX_VALUE));
    }

    @Test
    void nonPositiveLimitIsRejected() {
        assertThrows(IllegalArgumentException.class, () -> new MemoryBudget("b", 0));
        assertThrows(IllegalArgumentException.class, () -> new MemoryBudget("b", -1));
    }
}
