package io.offstate.engine;

import static io.offstate.engine.TestData.populate;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreClosedException;

/** clear(): the store is as if just created, views go stale, files keep the last flush until the next. */
class ClearTest {
    @TempDir
    Path dir;

    static StoreOptions options(boolean sorted) {
        return StoreOptions.builder().name("clear").hashSeed(9).sortedIndex(sorted)
            .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|')).build();
    }

    @ParameterizedTest(name = "sorted {0}")
    @ValueSource(booleans = {false, true})
    void clearLeavesAnEmptyStoreWithTheMemoryOfANewOne(boolean sorted) {
        long fresh;
        try (KeyValueStore empty = KeyValueStore.create(options(sorted))) {
            fresh = empty.memoryUsed();
        }
        try (KeyValueStore store = KeyValueStore.create(options(sorted))) {
            populate(store);
            ValueView view = new ValueView();
            store.get(utf8("t1|key-1"), view);
            store.clear();
            assertEquals(0, store.size());
            assertEquals(0, store.dictionarySize());
            assertEquals(fresh, store.memoryUsed());
            assertNull(store.getCopy(utf8("t1|key-1")));
            assertFalse(view.isValid());
            assertThrows(IllegalStateException.class, view::length);
            store.verify();
            if (sorted) {
                assertFalse(store.cursor().first());
            }
            populate(store); // usable again, dictionary codes start over
            assertArrayEquals(TestData.pattern(1, 1), store.getCopy(utf8("t1|key-1")));
            store.verify();
        }
    }

    @Test
    void fileBackedClearIsDurableOnlyFromTheNextFlush() {
        StoreOptions options = StoreOptions.builder().name("clear-file").pageSize(4096).sortedIndex(true).build();
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            store.put(utf8("a"), utf8("1"));
            store.flush();
            store.clear();
            assertEquals(0, store.size());
            store.closeWithoutFlush();
        }
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            assertArrayEquals(utf8("1"), store.getCopy(utf8("a")));
            store.clear();
            store.put(utf8("b"), utf8("2"));
        }
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            assertEquals(1, store.size());
            assertNull(store.getCopy(utf8("a")));
            assertArrayEquals(utf8("2"), store.getCopy(utf8("b")));
            store.verifyFiles();
            store.verify();
        }
    }

    @Test
    void clearOnAClosedStoreThrows() {
        KeyValueStore store = KeyValueStore.create();
        store.close();
        assertThrows(StoreClosedException.class, store::clear);
    }
}
