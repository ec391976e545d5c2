package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreFullException;

class StoreBudgetTest {
    private static final long BUDGET = 256 * 1024;

    private static StoreOptions.Builder small(boolean dictionary) {
        StoreOptions.Builder b = StoreOptions.builder().name("small-store").pageSize(4096).memoryBudget(BUDGET).hashSeed(3);
        return dictionary ? b.dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|')) : b;
    }

    private static byte[] key(int i) {
        return utf8(String.format("t%d|key-%06d", i % 4, i)); // all keys the same length
    }

    /** Fills {@code store} with 100-byte values until the budget refuses; returns the keys that went in. */
    private static List<byte[]> fillUntilFull(KeyValueStore store) {
        List<byte[]> keys = new ArrayList<>();
        for (int i = 0; ; i++) {
            byte[] key = key(i);
            long size = store.size();
            long used = store.memoryUsed();
            try {
                store.put(key, pattern(100, i));
            } catch (StoreFullException e) {
                assertEquals(size, store.size());
                assertEquals(used, store.memoryUsed());
                assertEquals(BUDGET, e.budget());
                assertEquals(used, e.inUse());
                assertTrue(e.requested() > 0);
                assertTrue(e.getMessage().contains("small-store") && e.getMessage().contains(String.valueOf(BUDGET)), e.getMessage());
                return keys;
            }
            keys.add(key);
            assertTrue(store.memoryUsed() <= BUDGET, "never above the budget");
        }
    }

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {false, true})
    void putBeyondBudgetLeavesStoreUnchanged(boolean dictionary) {
        try (KeyValueStore store = KeyValueStore.create(small(dictionary).build())) {
            List<byte[]> keys = fillUntilFull(store);
            assertTrue(keys.size() > 500, "a 256 KiB store holds some hundreds of 100-byte values: " + keys.size());
            Observed full = Observed.of(store);

            // every kind of growth is refused the same way, and changes nothing
            byte[] next = key(keys.size());
            assertThrows(StoreFullException.class, () -> store.put(next, pattern(100, 0)));
            full.assertSameAs(store, "after a refused insert");
            assertThrows(StoreFullException.class, () -> store.put(utf8("big|v"), pattern(10_000, 0)));
            full.assertSameAs(store, "after a refused large insert");
            if (dictionary) {
                assertThrows(StoreFullException.class, () -> store.put(utf8("new-component|k"), pattern(100, 0)));
                full.assertSameAs(store, "after a refused insert with a new dictionary component");
            }
            for (int i = 0; i < keys.size(); i++) {
                assertArrayEquals(pattern(100, i), store.getCopy(keys.get(i)), "value of key " + i);
            }

            // deletes make room again
            for (int i = 0; i < 10; i++) {
                assertTrue(store.delete(keys.get(i)));
            }
            long used = store.memoryUsed();
            for (int i = 0; i < 10; i++) {
                store.put(key(100_000 + i), pattern(100, i));
            }
            assertEquals(used, store.memoryUsed(), "the freed blocks were reused, no new page");
            assertEquals(keys.size(), store.size());
        }
    }

    @Test
    void overwriteIntoAnotherSizeClassBeyondBudgetKeepsTheOldValue() {
        try (KeyValueStore store = KeyValueStore.create(small(false).build())) {
            List<byte[]> keys = fillUntilFull(store);
            // move entries to a bigger class until that needs a new page
            StoreFullException refused = null;
            int i = 0;
            for (; i < keys.size() && refused == null; i++) {
                Observed before = Observed.of(store);
                try {
                    store.put(keys.get(i), pattern(150, i));
                } catch (StoreFullException e) {
                    refused = e;
                    before.assertSameAs(store, "after a refused overwrite");
                }
            }
            assertTrue(refused != null, "an overwrite was refused");
            assertArrayEquals(pattern(100, i - 1), store.getCopy(keys.get(i - 1)), "old value kept");
            // an overwrite within the same class still works when full
            store.put(keys.get(i), pattern(100, 7));
            assertArrayEquals(pattern(100, 7), store.getCopy(keys.get(i)));
        }
    }

    @Test
    void restoreOfSnapshotLargerThanBudgetThrowsAndLeavesStoreUnchanged() {
        StoreOptions big = StoreOptions.builder().name("big").pageSize(4096).hashSeed(3).build();
        try (KeyValueStore source = KeyValueStore.create(big);
             KeyValueStore target = KeyValueStore.create(small(false).build())) {
            for (int i = 0; i < 5000; i++) {
                source.put(key(i), pattern(100, i));
            }
            for (int i = 0; i < 100; i++) {
                target.put(utf8("target-" + i), pattern(20, i));
            }
            Observed before = Observed.of(target);
            try (StoreSnapshot snapshot = source.snapshot()) {
                assertTrue(snapshot.memoryUsed() > BUDGET);
                StoreFullException e = assertThrows(StoreFullException.class, () -> target.restore(snapshot));
                assertTrue(e.getMessage().contains("small-store"), e.getMessage());
                before.assertSameAs(target, "after a refused restore");
                assertEquals(5000, snapshot.size(), "the snapshot is intact");
            }
            ValueView view = new ValueView();
            assertTrue(target.get(utf8("target-3"), view));
            assertTrue(view.contentEquals(pattern(20, 3)));
        }
    }

    @Test
    void budgetTooSmallForTheFirstIndexTableFailsInCreate() {
        // 1024 expected entries need a table of 1139 slots (9112 bytes)
        StoreOptions options = StoreOptions.builder().name("tiny").memoryBudget(8192).build();
        StoreFullException e = assertThrows(StoreFullException.class, () -> KeyValueStore.create(options));
        assertTrue(e.getMessage().contains("tiny") && e.getMessage().contains("8192"), e.getMessage());
        // and the same budget works with a smaller first table
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().memoryBudget(8192).expectedEntries(10).build())) {
            assertTrue(store.memoryUsed() > 0 && store.memoryUsed() <= 8192);
        }
    }

    @Test
    void budgetTooSmallForTheDictionaryIndexFailsInCreate() {
        long mainTable = 19 * 8; // expectedEntries 16 -> 19 slots
        StoreOptions options = StoreOptions.builder().memoryBudget(mainTable + 8).expectedEntries(16)
            .dictionaryKeyComponent(KeyComponent.fixedPrefix(2)).build();
        assertThrows(StoreFullException.class, () -> KeyValueStore.create(options));
    }

    @Test
    void memoryUsedCountsPagesLargeValuesAndIndex() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().pageSize(4096).expectedEntries(16).build())) {
            long index = store.memoryUsed();
            assertEquals(19 * 8, index, "an empty store holds only its first index table");
            store.put(utf8("a"), utf8("b"));
            assertEquals(index + 4096, store.memoryUsed(), "one page");
            store.put(utf8("large"), pattern(5000, 1));
            assertEquals(index + 4096 + 5008, store.memoryUsed(), "a large value: its entry rounded to 8 bytes");
            store.delete(utf8("large"));
            assertEquals(index + 4096, store.memoryUsed());
            assertEquals(Long.MAX_VALUE, store.memoryBudget());
        }
    }
}
