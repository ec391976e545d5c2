package io.offstate.offheap.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.BitSet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.StoreFullException;
import io.offstate.offheap.memory.MemoryBudget;
import io.offstate.offheap.memory.PagedMemory;

/**
 * The entry map and its Robin Hood index: inserts, overwrites and removes across several
 * incremental growths, checked at every step of every migration.
 */
class EntryMapTest {
    private static final long SEED = 0x5EED_5EEDL;

    private final ByteSource key = new ByteSource();
    private final ByteSource value = new ByteSource();

    private static byte[] keyBytes(int i) {
        // lengths vary from 5 to ~30 bytes so every hash tail path is used
        return ("k" + i + "-" + "x".repeat(i % 23)).getBytes(StandardCharsets.US_ASCII);
    }

    private static byte[] valueBytes(int i, int version) {
        byte[] v = new byte[8 + (i + version) % 13];
        MemorySegment.ofArray(v).set(ValueLayout.JAVA_LONG_UNALIGNED, 0, (long) i * 31 + version);
        return v;
    }

    private long find(EntryMap map, int i) {
        key.wrap(keyBytes(i));
        return map.find(key, map.hash(key));
    }

    private void put(EntryMap map, int i, int version) {
        key.wrap(keyBytes(i));
        value.wrap(valueBytes(i, version));
        map.put(key, map.hash(key), value);
    }

    private boolean remove(EntryMap map, int i) {
        key.wrap(keyBytes(i));
        return map.remove(key, map.hash(key));
    }

    private static byte[] valueAt(EntryMap map, long address) {
        PagedMemory m = map.memory();
        MemorySegment page = m.page(address);
        long offset = m.offset(address);
        long span = EntryDescriptor.valueSpan(page, offset);
        return page.asSlice(offset + EntryDescriptor.spanOffset(span), EntryDescriptor.spanLength(span)).toArray(ValueLayout.JAVA_BYTE);
    }

    private void assertAllPresent(EntryMap map, BitSet present, int upTo, int[] versions, String when) {
        for (int i = 0; i < upTo; i++) {
            long address = find(map, i);
            if (present.get(i)) {
                assertNotEquals(0L, address, "key " + i + " findable " + when);
                assertArrayEquals(valueBytes(i, versions[i]), valueAt(map, address), "value of key " + i + " " + when);
            } else {
                assertEquals(0L, address, "key " + i + " absent " + when);
            }
        }
    }

    private static void closeBoth(EntryMap map) {
        map.close();
        map.memory().close();
        assertEquals(0, map.memory().budget().used(), "everything released");
    }

    private static EntryMap newMap(int fingerprintBits) {
        PagedMemory memory = new PagedMemory(16, new MemoryBudget("map", Long.MAX_VALUE));
        return new EntryMap(memory, SEED, false, 16, fingerprintBits);
    }

    @ParameterizedTest(name = "fingerprint bits {0}")
    @ValueSource(ints = {12, 0})
    void insertsStayFindableThroughEveryStepOfSeveralGrowths(int fingerprintBits) {
        int n = fingerprintBits == 0 ? 1_500 : 4_000;
        EntryMap map = newMap(fingerprintBits);
        try {
            HashIndex index = map.index();
            BitSet present = new BitSet();
            int[] versions = new int[n];
            int growthsStarted = 0;
            int growthsFinished = 0;
            boolean wasMigrating = false;
            long capacity = index.capacity();
            for (int i = 0; i < n; i++) {
                put(map, i, 0);
                present.set(i);
                assertEquals(i + 1, map.size());
                if (index.isMigrating()) {
                    // every key, inserted before or during the growth, is findable at every step
                    assertAllPresent(map, present, i + 1, versions, "during growth to capacity " + index.capacity());
                }
                if (index.isMigrating() && !wasMigrating) {
                    growthsStarted++;
                    assertTrue(index.capacity() > capacity, "a growth makes a bigger table");
                }
                if (!index.isMigrating() && wasMigrating) {
                    growthsFinished++;
                }
                wasMigrating = index.isMigrating();
                capacity = index.capacity();
            }
            assertTrue(growthsStarted >= 5, "several growths happened: " + growthsStarted);
            assertTrue(growthsFinished >= growthsStarted - 1, "growths finish incrementally: " + growthsFinished + "/" + growthsStarted);
            index.finishMigration();
            assertFalse(index.isMigrating());
            assertAllPresent(map, present, n, versions, "at the end");
            assertTrue(index.size() * 100 <= index.capacity() * HashIndex.MAX_LOAD_PERCENT, "load at most 90%");
        } finally {
            closeBoth(map);
        }
    }

    @ParameterizedTest(name = "fingerprint bits {0}")
    @ValueSource(ints = {12, 0})
    void removesAndOverwritesDuringMigrationKeepEveryOtherKey(int fingerprintBits) {
        EntryMap map = newMap(fingerprintBits);
        try {
            HashIndex index = map.index();
            int n = 0;
            int[] versions = new int[10_000];
            BitSet present = new BitSet();
            // grow a few times, then stop right when a growth starts
            int growths = 0;
            while (growths < 4 || !index.isMigrating()) {
                boolean before = index.isMigrating();
                put(map, n, 0);
                present.set(n++);
                if (index.isMigrating() && !before) {
                    growths++;
                }
            }
            assertTrue(index.isMigrating());
            int steps = 0;
            // remove every third key and overwrite every fifth while the old table drains
            for (int i = 0; i < n && index.isMigrating(); i++) {
                if (i % 3 == 0) {
                    assertTrue(remove(map, i), "removing present key " + i);
                    present.clear(i);
                    assertFalse(remove(map, i), "second remove of key " + i);
                } else if (i % 5 == 0) {
                    versions[i]++;
                    put(map, i, versions[i]);
                }
                steps++;
                assertEquals(present.cardinality(), map.size());
                assertAllPresent(map, present, n, versions, "after step " + steps + " of the migration");
            }
            assertTrue(steps > 3, "the migration spanned several writes: " + steps);
            index.finishMigration();
            assertAllPresent(map, present, n, versions, "after the migration");
            // removing everything empties the map
            for (int i = 0; i < n; i++) {
                assertEquals(present.get(i), remove(map, i));
            }
            assertEquals(0, map.size());
            assertAllPresent(map, new BitSet(), n, versions, "after removing all");
        } finally {
            closeBoth(map);
        }
    }

    @Test
    void overwriteInSameSizeClassKeepsTheAddressAndOtherClassMovesIt() {
        EntryMap map = newMap(12);
        try {
            key.wrap(keyBytes(1));
            long a = map.put(key, map.hash(key), value.wrap(new byte[40]));
            byte[] same = new byte[40];
            same[0] = 1;
            assertEquals(a, map.put(key, map.hash(key), value.wrap(same)), "same size: in place");
            long b = map.put(key, map.hash(key), value.wrap(new byte[41]));
            assertNotEquals(a, b, "new size class: new block");
            assertEquals(b, find(map, 1));
            assertEquals(41, valueAt(map, b).length);
            assertEquals(1, map.size());
        } finally {
            closeBoth(map);
        }
    }

    @Test
    void insertBeyondBudgetLeavesMapUnchanged() {
        MemoryBudget budget = new MemoryBudget("small", 3 * 4096);
        PagedMemory memory = new PagedMemory(12, budget);
        EntryMap map = new EntryMap(memory, SEED, false, 16, 12);
        try (memory; map) {
            int n = 0;
            StoreFullException full = null;
            while (full == null) {
                long used = budget.used();
                long size = map.size();
                try {
                    put(map, n, 0);
                    n++;
                } catch (StoreFullException e) {
                    full = e;
                    assertEquals(used, budget.used(), "budget unchanged by the refused insert");
                    assertEquals(size, map.size(), "size unchanged by the refused insert");
                }
            }
            assertTrue(n > 10, "some inserts fit: " + n);
            BitSet present = new BitSet();
            present.set(0, n);
            assertAllPresent(map, present, n + 1, new int[n + 1], "after the refused insert");
        }
    }

    @Test
    void copyIsIndependentOfTheOriginal() {
        EntryMap map = newMap(12);
        PagedMemory memory = map.memory();
        try {
            int n = 300;
            for (int i = 0; i < n; i++) {
                put(map, i, 0);
            }
            MemoryBudget copyBudget = new MemoryBudget("copy", Long.MAX_VALUE);
            PagedMemory copyMemory = memory.copy(copyBudget);
            EntryMap copy = map.copy(copyMemory);
            try (copyMemory; copy) {
                assertEquals(memory.budget().used(), copyBudget.used(), "copy charges what the original holds");
                int[] versions = new int[n];
                BitSet all = new BitSet();
                all.set(0, n);
                remove(map, 7);
                put(copy, 8, 1);
                assertAllPresent(copy, withCleared(all, -1), n, withVersion(versions, 8, 1), "in the copy");
                assertAllPresent(map, withCleared(all, 7), n, versions, "in the original");
            }
            assertEquals(0, copyBudget.used());
        } finally {
            closeBoth(map);
        }
    }

    private static BitSet withCleared(BitSet set, int bit) {
        BitSet c = (BitSet) set.clone();
        if (bit >= 0) {
            c.clear(bit);
        }
        return c;
    }

    private static int[] withVersion(int[] versions, int i, int version) {
        int[] c = versions.clone();
        c[i] = version;
        return c;
    }

    @Test
    void reserveGrowsTheIndexWholeAndKeepsEveryKey() {
        MemoryBudget budget = new MemoryBudget("b", Long.MAX_VALUE);
        PagedMemory memory = new PagedMemory(12, budget);
        EntryMap map = new EntryMap(memory, SEED, false, 16, 12);
        try {
            for (int i = 0; i < 100; i++) {
                put(map, i, 1);
            }
            long before = map.index().capacity();
            map.index().reserve(10_000);
            long reserved = map.index().capacity();
            assertTrue(reserved >= 10_000 * 100 / HashIndex.MAX_LOAD_PERCENT, "capacity " + reserved);
            assertFalse(map.index().isMigrating(), "the growth is completed at once");
            assertEquals(map.index().bytesAllocated() + memory.bytesAllocated(), budget.used());
            for (int i = 0; i < 100; i++) {
                assertTrue(find(map, i) != 0, "key " + i + " kept");
            }
            for (int i = 100; i < 10_000; i++) {
                put(map, i, 1);
            }
            assertEquals(reserved, map.index().capacity(), "no growth up to the reserved size");
            map.index().reserve(5);
            assertEquals(reserved, map.index().capacity(), "large enough: unchanged");
            assertTrue(before < reserved);
            assertThrows(IllegalArgumentException.class, () -> map.index().reserve(-1));
            assertThrows(IllegalArgumentException.class, () -> map.index().reserve(HashIndex.MAX_EXPECTED_ENTRIES + 1));
            for (int i = 0; i < 10_000; i++) {
                assertTrue(find(map, i) != 0, "key " + i);
            }
        } finally {
            closeBoth(map);
        }
    }

    @Test
    void reserveOverTheBudgetThrowsAndKeepsTheIndex() {
        MemoryBudget budget = new MemoryBudget("b", 256 << 10);
        PagedMemory memory = new PagedMemory(12, budget);
        EntryMap map = new EntryMap(memory, SEED, false, 16, 12);
        try {
            put(map, 1, 1);
            long capacity = map.index().capacity();
            long used = budget.used();
            assertThrows(StoreFullException.class, () -> map.index().reserve(1_000_000));
            assertEquals(capacity, map.index().capacity());
            assertEquals(used, budget.used());
            assertTrue(find(map, 1) != 0);
        } finally {
            closeBoth(map);
        }
    }

    @Test
    void closeReleasesTheIndexTables() {
        MemoryBudget budget = new MemoryBudget("b", Long.MAX_VALUE);
        PagedMemory memory = new PagedMemory(12, budget);
        EntryMap map = new EntryMap(memory, SEED, false, 1000, 12);
        long tables = budget.used();
        assertEquals(map.index().bytesAllocated(), tables);
        map.close();
        assertEquals(0, budget.used());
        memory.close();
    }

    @Test
    void badFingerprintBitsAreRejected() {
        MemoryBudget budget = new MemoryBudget("b", Long.MAX_VALUE);
        try (PagedMemory memory = new PagedMemory(12, budget)) {
            assertThrows(IllegalArgumentException.class, () -> new EntryMap(memory, SEED, false, 16, 13));
            assertThrows(IllegalArgumentException.class, () -> new EntryMap(memory, SEED, false, 16, -1));
            assertEquals(0, budget.used());
        }
    }
}
