package io.offstate.offheap.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.offstate.offheap.StoreFullException;

class PagedMemoryTest {
    private static final int SHIFT_4K = 12;
    private static final int PAGE_4K = 1 << SHIFT_4K;

    private static PagedMemory memory(int pageShift, long budget) {
        return new PagedMemory(pageShift, new MemoryBudget("test", budget));
    }

    private static void fill(PagedMemory m, long address, int size, byte value) {
        m.page(address).asSlice(m.offset(address), size).fill(value);
    }

    private static void assertFilled(PagedMemory m, long address, int size, byte value) {
        MemorySegment block = m.page(address).asSlice(m.offset(address), size);
        for (long i = 0; i < size; i++) {
            assertEquals(value, block.get(ValueLayout.JAVA_BYTE, i), "byte " + i + " of block " + address);
        }
    }

    @Test
    void rejectsPageShiftsOutOfRange() {
        MemoryBudget budget = new MemoryBudget("t", Long.MAX_VALUE);
        assertThrows(IllegalArgumentException.class, () -> new PagedMemory(PagedMemory.MIN_PAGE_SHIFT - 1, budget));
        assertThrows(IllegalArgumentException.class, () -> new PagedMemory(PagedMemory.MAX_PAGE_SHIFT + 1, budget));
    }

    @Test
    void freedBlockComesBackForTheSameSizeClass() {
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            long a = m.allocate(100);
            long b = m.allocate(100);
            m.free(a, 100);
            long other = m.allocate(101); // another class: must not take a's block
            assertNotEquals(a, other);
            assertEquals(a, m.allocate(100), "freed block reused");
            // LIFO over several frees
            m.free(a, 100);
            m.free(b, 100);
            assertEquals(b, m.allocate(100));
            assertEquals(a, m.allocate(100));
        }
    }

    @Test
    void sizesSharingAClassAbove1024ShareFreedBlocks() {
        try (PagedMemory m = memory(16, Long.MAX_VALUE)) { // 64 KiB pages: blocks up to 16 KiB
            assertEquals(SizeClasses.classOf(1100), SizeClasses.classOf(1150));
            long a = m.allocate(1100);
            m.free(a, 1100);
            assertEquals(a, m.allocate(1150));
            assertEquals(1152, m.blockSize(1150));
        }
    }

    @Test
    void addressZeroIsNeverReturnedForSmallBlocks() {
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            for (int size : new int[] {1, 8, 64, 1024}) {
                try (PagedMemory fresh = memory(SHIFT_4K, Long.MAX_VALUE)) {
                    assertNotEquals(0L, fresh.allocate(size), "first block of size " + size);
                }
            }
            for (int i = 0; i < 10_000; i++) {
                assertNotEquals(0L, m.allocate(1 + i % 1024));
            }
        }
    }

    @Test
    void addressZeroIsNeverReturnedForALargeFirstBlock() {
        // A large block gets a page index of its own; in a fresh memory that index is 0.
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            long address = m.allocate(m.largeThreshold() + 1);
            assertNotEquals(0L, address, "address 0 means 'none' and must never be handed out");
        }
    }

    @Test
    void addressZeroIsNeverReturnedForALargeBlockReusingPageIndexZero() {
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            long small = m.allocate(16);
            long large = m.allocate(5000);
            assertNotEquals(0L, small);
            assertNotEquals(0L, large);
            m.free(large, 5000);
            for (int i = 0; i < 100; i++) {
                assertNotEquals(0L, m.allocate(5000 + i * 8));
            }
        }
    }

    @Test
    void largeBlocksGetOwnSegmentAndReleaseBudgetOnFree() {
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            m.allocate(16); // a normal page first
            MemoryBudget budget = m.budget();
            long before = budget.used();
            assertEquals(PAGE_4K, before);
            int size = 3001; // > 1024 = pageSize / 4
            assertEquals(3008, m.blockSize(size));
            assertEquals(3008, m.bytesNeeded(size));
            long address = m.allocate(size);
            assertEquals(0, m.offset(address), "a large block starts its own segment");
            assertEquals(3008, m.page(address).byteSize());
            assertEquals(before + 3008, budget.used());
            assertEquals(before + 3008, m.bytesAllocated());
            fill(m, address, size, (byte) 7);
            assertFilled(m, address, size, (byte) 7);

            MemorySegment segment = m.page(address);
            m.free(address, size);
            assertEquals(before, budget.used(), "budget released on free");
            assertEquals(before, m.bytesAllocated());
            assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0),
                "the freed segment is released at once");
        }
    }

    @Test
    void blockJustAboveAQuarterPageIsLargeAndAtAQuarterPageIsNot() {
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            assertEquals(PAGE_4K / 4, m.largeThreshold());
            long small = m.allocate(PAGE_4K / 4);
            assertEquals(PAGE_4K, m.page(small).byteSize());
            long large = m.allocate(PAGE_4K / 4 + 1);
            assertEquals(PAGE_4K / 4 + 8, m.page(large).byteSize());
        }
    }

    @Test
    void budgetExceededThrowsAndChangesNothing() {
        try (PagedMemory m = memory(SHIFT_4K, 2L * PAGE_4K)) {
            MemoryBudget budget = m.budget();
            List<Long> blocks = new ArrayList<>();
            // two pages of 512-byte blocks, 8 per page (page index 0 is never used, so no page loses bytes)
            for (int i = 0; i < 16; i++) {
                blocks.add(m.allocate(512));
            }
            assertEquals(2L * PAGE_4K, budget.used());
            long allocated = m.bytesAllocated();
            assertEquals(PAGE_4K, m.bytesNeeded(512));

            StoreFullException full = assertThrows(StoreFullException.class, () -> m.allocate(512));
            assertEquals(2L * PAGE_4K, full.budget());
            assertEquals(2L * PAGE_4K, budget.used(), "budget unchanged");
            assertEquals(allocated, m.bytesAllocated(), "allocation unchanged");
            assertThrows(StoreFullException.class, () -> m.allocate(2000), "large block beyond the budget");
            assertEquals(2L * PAGE_4K, budget.used());

            // the failed calls left the allocator consistent: a free makes room for exactly that block
            long freed = blocks.get(3);
            m.free(freed, 512);
            assertEquals(0, m.bytesNeeded(512));
            assertEquals(freed, m.allocate(512));
            assertEquals(2L * PAGE_4K, budget.used());
        }
    }

    @Test
    void bytesNeededPredictsTheBudgetChargeOfEveryAllocation() {
        SplittableRandom random = new SplittableRandom(5);
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            List<long[]> live = new ArrayList<>();
            for (int i = 0; i < 20_000; i++) {
                if (!live.isEmpty() && random.nextInt(3) == 0) {
                    long[] block = live.remove(random.nextInt(live.size()));
                    m.free(block[0], (int) block[1]);
                } else {
                    int size = random.nextInt(8) == 0 ? 1025 + random.nextInt(3000) : 1 + random.nextInt(1024);
                    long needed = m.bytesNeeded(size);
                    long before = m.budget().used();
                    long address = m.allocate(size);
                    assertEquals(needed, m.budget().used() - before, "charge of allocate(" + size + ")");
                    live.add(new long[] {address, size});
                }
            }
        }
    }

    @Test
    void liveBlocksNeverOverlap() {
        SplittableRandom random = new SplittableRandom(9);
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            List<long[]> live = new ArrayList<>();
            for (int i = 0; i < 5_000; i++) {
                if (!live.isEmpty() && random.nextInt(3) == 0) {
                    long[] block = live.remove(random.nextInt(live.size()));
                    assertFilled(m, block[0], (int) block[1], (byte) block[2]);
                    m.free(block[0], (int) block[1]);
                } else {
                    int size = random.nextInt(10) == 0 ? 1025 + random.nextInt(2000) : 1 + random.nextInt(300);
                    long address = m.allocate(size);
                    assertTrue(m.offset(address) + size <= m.page(address).byteSize(), "block inside its page");
                    byte tag = (byte) (i | 1);
                    fill(m, address, size, tag);
                    live.add(new long[] {address, size, tag});
                }
            }
            Set<Long> addresses = new HashSet<>();
            for (long[] block : live) {
                assertTrue(addresses.add(block[0]), "distinct addresses");
                assertFilled(m, block[0], (int) block[1], (byte) block[2]);
            }
        }
    }

    @Test
    void fitsInPlaceMeansSameClassOrSameLargeSize() {
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            assertTrue(m.fitsInPlace(82, 82));
            assertTrue(m.fitsInPlace(3, 8), "both round up to MIN_BLOCK");
            assertTrue(!m.fitsInPlace(82, 83));
            assertTrue(m.fitsInPlace(2001, 2008), "same 8-byte rounded large size");
            assertTrue(!m.fitsInPlace(2001, 2009));
            assertTrue(!m.fitsInPlace(1024, 1025), "small vs large");
        }
    }

    @Test
    void copyIsIndependentAndHasTheSameAllocatorState() {
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            long a = m.allocate(100);
            long b = m.allocate(200);
            long large = m.allocate(3000);
            long gone = m.allocate(300);
            m.free(gone, 300);
            fill(m, a, 100, (byte) 1);
            fill(m, b, 200, (byte) 2);
            fill(m, large, 3000, (byte) 3);

            MemoryBudget copyBudget = new MemoryBudget("copy", Long.MAX_VALUE);
            try (PagedMemory c = m.copy(copyBudget)) {
                assertEquals(m.bytesAllocated(), c.bytesAllocated());
                assertEquals(m.budget().used(), copyBudget.used());
                assertFilled(c, a, 100, (byte) 1);
                assertFilled(c, b, 200, (byte) 2);
                assertFilled(c, large, 3000, (byte) 3);

                // writes to either side do not show in the other
                fill(m, a, 100, (byte) 9);
                fill(c, b, 200, (byte) 8);
                fill(c, large, 3000, (byte) 7);
                assertFilled(c, a, 100, (byte) 1);
                assertFilled(m, b, 200, (byte) 2);
                assertFilled(m, large, 3000, (byte) 3);

                // same allocator state: free lists and bump pointer were copied
                assertEquals(m.allocate(300), c.allocate(300), "free list head copied");
                assertEquals(m.allocate(64), c.allocate(64), "bump pointer copied");

                // freeing in the copy does not free in the original
                c.free(large, 3000);
                assertFilled(m, large, 3000, (byte) 3);
            }
            assertEquals(0, copyBudget.used(), "closing the copy releases its budget");
            assertFilled(m, a, 100, (byte) 9);
        }
    }

    @Test
    void copyBeyondItsBudgetThrowsAndLeavesNothingAllocated() {
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            m.allocate(100);
            m.allocate(3000);
            MemoryBudget small = new MemoryBudget("copy", PAGE_4K);
            assertThrows(StoreFullException.class, () -> m.copy(small));
            assertEquals(0, small.used());
        }
    }

    @Test
    void closeReleasesEverythingAndLaterAccessThrows() {
        PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE);
        long a = m.allocate(100);
        long large = m.allocate(3000);
        MemorySegment page = m.page(a);
        MemorySegment largeSegment = m.page(large);
        m.close();
        assertTrue(m.isClosed());
        assertEquals(0, m.budget().used());
        assertEquals(0, m.bytesAllocated());
        assertThrows(IllegalStateException.class, () -> page.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> largeSegment.get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> m.allocate(8));
        m.close(); // idempotent
        assertEquals(0, m.budget().used());
    }

    @Test
    void readOnlyPageRejectsWrites() {
        try (PagedMemory m = memory(SHIFT_4K, Long.MAX_VALUE)) {
            long a = m.allocate(100);
            fill(m, a, 100, (byte) 4);
            MemorySegment ro = m.readOnlyPage(a);
            assertTrue(ro.isReadOnly());
            assertEquals(4, ro.get(ValueLayout.JAVA_BYTE, m.offset(a)));
            // JDK 25 reports a write to a read-only segment as IllegalArgumentException
            assertThrows(IllegalArgumentException.class, () -> ro.set(ValueLayout.JAVA_BYTE, m.offset(a), (byte) 1));
            assertEquals(4, ro.get(ValueLayout.JAVA_BYTE, m.offset(a)));
        }
    }

    @org.junit.jupiter.api.Test
    void bytesNeededForSeveralBlocksIsAnUpperBoundOfWhatTheyCharge() {
        java.util.SplittableRandom r = new java.util.SplittableRandom(5);
        for (int round = 0; round < 200; round++) {
            MemoryBudget budget = new MemoryBudget("estimate", Long.MAX_VALUE);
            try (PagedMemory memory = new PagedMemory(12, budget)) {
                java.util.List<long[]> live = new java.util.ArrayList<>();
                for (int i = 0; i < r.nextInt(300); i++) {
                    int size = 1 + r.nextInt(r.nextBoolean() ? 100 : 1500);
                    live.add(new long[] {memory.allocate(size), size});
                    if (r.nextInt(3) == 0) {
                        long[] b = live.remove(r.nextInt(live.size()));
                        memory.free(b[0], (int) b[1]);
                    }
                }
                int[] sizes = new int[1 + r.nextInt(6)];
                for (int i = 0; i < sizes.length; i++) {
                    sizes[i] = 1 + r.nextInt(r.nextInt(4) == 0 ? 3000 : 1024);
                }
                long estimate = memory.bytesNeeded(sizes, sizes.length);
                long before = budget.used();
                for (int size : sizes) {
                    memory.allocate(size);
                }
                org.junit.jupiter.api.Assertions.assertTrue(budget.used() - before <= estimate,
                    "charged " + (budget.used() - before) + " > estimate " + estimate + " for " + java.util.Arrays.toString(sizes));
            }
        }
    }

    @org.junit.jupiter.api.Test
    void copyTakenAfterTheHighestPageWasFreedCanBeCopiedAndClosed() {
        MemoryBudget budget = new MemoryBudget("copy-freed-top", Long.MAX_VALUE);
        try (PagedMemory memory = new PagedMemory(12, budget)) {
            long[] large = new long[16];
            for (int i = 0; i < large.length; i++) {
                large[i] = memory.allocate(2000); // over a quarter page: one page index each, 1..16
            }
            memory.free(large[15], 2000); // the highest index is now free, above the page table's initial 16 entries
            MemoryBudget copyBudget = new MemoryBudget("copy", Long.MAX_VALUE);
            PagedMemory copy = memory.copy(copyBudget);
            PagedMemory copyOfCopy = copy.copy(new MemoryBudget("copy of copy", Long.MAX_VALUE));
            org.junit.jupiter.api.Assertions.assertEquals(memory.bytesAllocated(), copyOfCopy.bytesAllocated());
            long reused = copy.allocate(2000);
            org.junit.jupiter.api.Assertions.assertEquals(large[15], reused, "the copy reuses the freed index");
            copyOfCopy.close();
            copy.close();
            org.junit.jupiter.api.Assertions.assertEquals(0, copyBudget.used(), "closing the copy released all of it");
        }
    }
}
