package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.populate;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offstate.offheap.KeyComponent;

class SnapshotRestoreTest {

    private static void mutate(KeyValueStore store) {
        store.put(utf8("t1|key-1"), pattern(300, 9));          // overwrite, new size class
        store.put(utf8("t2|key-2"), pattern(2, 2));            // overwrite, same class as before? whatever
        store.delete(utf8("t3|key-3"));
        store.delete(utf8("big|value"));                       // releases a large segment
        store.put(utf8("new-component|x"), utf8("new"));      // new dictionary code
        for (int i = 0; i < 3000; i++) {
            store.put(utf8("t4|added-" + i), pattern(i % 70, i)); // index growth
        }
    }

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {false, true})
    void snapshotIsIndependentOfLaterWritesAndRestoreMakesTheStoreEqual(boolean dictionary) {
        try (KeyValueStore store = TestData.store(dictionary)) {
            populate(store);
            Observed before = Observed.of(store);
            try (StoreSnapshot snapshot = store.snapshot()) {
                assertEquals(before.size(), snapshot.size());
                assertEquals(before.memoryUsed(), snapshot.memoryUsed());
                assertEquals(before.memoryUsed(), store.memoryUsed(), "the snapshot is not charged to the store");
                mutate(store);
                assertNotEquals(before.size(), store.size());
                assertEquals(before.size(), snapshot.size(), "later writes do not show in the snapshot");
                assertEquals(before.memoryUsed(), snapshot.memoryUsed());

                store.restore(snapshot);
                before.assertSameAs(store, "after restore");

                // the restored store is fully usable, and writes to it do not reach the snapshot
                mutate(store);
                store.restore(snapshot);
                before.assertSameAs(store, "after a second restore from the same snapshot");
                assertEquals(before.size(), snapshot.size());
            }
            before.assertSameAs(store, "after closing the snapshot");
        }
    }

    @Test
    void snapshotTakenDuringIndexGrowthRestoresCorrectly() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().expectedEntries(16).hashSeed(8).build())) {
            // insert until a growth has just started (memory then holds two tables)
            int n = 0;
            long usedBeforeGrowth;
            do {
                usedBeforeGrowth = store.memoryUsed();
                store.put(utf8("k" + n), pattern(n % 30, n));
                n++;
            } while (n < 200 || store.memoryUsed() - usedBeforeGrowth == 0);
            Observed before = Observed.of(store);
            try (StoreSnapshot snapshot = store.snapshot()) {
                for (int i = 0; i < 100; i++) {
                    store.put(utf8("later-" + i), pattern(5, i));
                }
                store.restore(snapshot);
                before.assertSameAs(store, "after restoring a mid-growth snapshot");
                for (int i = 0; i < 2000; i++) {
                    store.put(utf8("after-" + i), pattern(7, i));
                }
                for (int i = 0; i < n; i++) {
                    assertArrayEquals(pattern(i % 30, i), store.getCopy(utf8("k" + i)), "key k" + i);
                }
            }
        }
    }

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {false, true})
    void restoreIntoAnotherStoreWithTheSameOptionsWorks(boolean dictionary) {
        StoreOptions.Builder options = StoreOptions.builder().name("a");
        if (dictionary) {
            options.dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'));
        }
        // no fixed seeds: the two stores hash with different random seeds
        try (KeyValueStore a = KeyValueStore.create(options.build());
             KeyValueStore b = KeyValueStore.create(options.name("b").build())) {
            populate(a);
            b.put(utf8("only-in|b"), utf8("gone after restore"));
            Observed before = Observed.of(a);
            try (StoreSnapshot snapshot = a.snapshot()) {
                assertEquals("a", snapshot.storeName());
                b.restore(snapshot);
            }
            before.assertSameAs(b, "the other store after restore");
            assertFalse(b.contains(utf8("only-in|b")));
            // b keeps working: new keys, overwrites, deletes, new components
            b.put(utf8("t0|fresh"), utf8("1"));
            b.put(utf8("fresh-component|x"), utf8("2"));
            assertTrue(b.delete(utf8("t1|key-1")));
            assertArrayEquals(utf8("1"), b.getCopy(utf8("t0|fresh")));
            assertArrayEquals(utf8("2"), b.getCopy(utf8("fresh-component|x")));
            assertEquals(before.size() + 1, b.size());
            before.assertSameAs(a, "the source store, untouched");
        }
    }

    @Test
    void restoreWithAnotherPageSizeThrowsAndLeavesStoreUnchanged() {
        try (KeyValueStore source = KeyValueStore.create(StoreOptions.builder().name("src").pageSize(4096).build());
             KeyValueStore target = TestData.plainStore();
             StoreSnapshot snapshot = source.snapshot()) {
            populate(target);
            Observed before = Observed.of(target);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> target.restore(snapshot));
            assertTrue(e.getMessage().contains("4096") && e.getMessage().contains("1048576") && e.getMessage().contains("src"),
                e.getMessage());
            before.assertSameAs(target, "after a refused restore");
        }
    }

    @Test
    void restoreWithAnotherDictionaryConfigurationThrowsAndLeavesStoreUnchanged() {
        try (KeyValueStore plain = TestData.plainStore();
             KeyValueStore pipe = TestData.dictionaryStore();
             KeyValueStore colon = KeyValueStore.create(StoreOptions.builder()
                 .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) ':')).build())) {
            populate(plain);
            populate(pipe);
            populate(colon);
            Observed plainBefore = Observed.of(plain);
            Observed pipeBefore = Observed.of(pipe);
            Observed colonBefore = Observed.of(colon);
            try (StoreSnapshot ofPlain = plain.snapshot(); StoreSnapshot ofPipe = pipe.snapshot()) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> pipe.restore(ofPlain));
                assertTrue(e.getMessage().contains("dictionary"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> plain.restore(ofPipe));
                assertThrows(IllegalArgumentException.class, () -> colon.restore(ofPipe));
            }
            plainBefore.assertSameAs(plain, "plain store");
            pipeBefore.assertSameAs(pipe, "pipe store");
            colonBefore.assertSameAs(colon, "colon store");
        }
    }

    @Test
    void snapshotOfEmptyStoreRestoresToEmpty() {
        try (KeyValueStore store = TestData.plainStore()) {
            Observed empty = Observed.of(store);
            try (StoreSnapshot snapshot = store.snapshot()) {
                populate(store);
                store.restore(snapshot);
            }
            empty.assertSameAs(store, "after restoring an empty snapshot");
        }
    }
}
