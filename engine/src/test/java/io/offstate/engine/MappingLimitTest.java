package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offstate.offheap.MappingLimitException;
import io.offstate.offheap.memory.MappingCount;

/**
 * A file-backed store that would need more memory mappings than the process allows (each extent of
 * pages and each large block is one; Linux's vm.max_map_count caps them, and a JVM at that cap dies) gets a
 * {@link MappingLimitException} instead: its contents unchanged, still usable, flushable and
 * reopenable once mappings are free again. Without the limit, 4 KiB pages and a few hundred MiB of
 * data took the JVM down ("insufficient memory for the Java Runtime Environment").
 */
class MappingLimitTest {
    @TempDir
    Path dir;

    @AfterEach
    void resetLimit() {
        MappingCount.resetLimitForTesting();
    }

    @ParameterizedTest(name = "large values {0}")
    @ValueSource(booleans = {false, true})
    void aStoreAtTheMappingLimitRefusesWritesAndKeepsItsContents(boolean largeValues) {
        StoreOptions options = StoreOptions.builder().name("mapped").pageSize(4096).sortedIndex(true).build();
        // values over a quarter page get a segment file and a mapping each; small ones share pages
        int valueSize = largeValues ? 1500 : 200;
        Map<String, byte[]> model = new TreeMap<>();
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            store.put(utf8("first"), pattern(valueSize, -1));
            model.put("first", pattern(valueSize, -1));
            store.flush();
            long before = MappingCount.live();
            MappingCount.setLimitForTesting(before + 8); // small values: 4 KiB pages map in 1 MiB extents, one mapping each
            MappingLimitException refused = null;
            for (int i = 0; i < 100_000 && refused == null; i++) {
                String key = String.format("key-%06d", i);
                long size = store.size();
                try {
                    store.put(utf8(key), pattern(valueSize, i));
                    model.put(key, pattern(valueSize, i));
                } catch (MappingLimitException e) {
                    refused = e;
                    assertEquals(size, store.size(), "a refused put adds nothing");
                    assertEquals(null, store.getCopy(utf8(key)));
                }
            }
            assertTrue(refused != null, "the limit was reached");
            assertEquals(before + 8, refused.limit());
            assertTrue(refused.getMessage().contains(dir.toAbsolutePath().toString())
                && refused.getMessage().contains("vm.max_map_count") && refused.getMessage().contains("page size"),
                refused.getMessage());
            assertTrue(MappingCount.live() <= before + 8, "never above the limit: " + MappingCount.live());
            store.verify();
            assertContents(model, store);
            // deletes and overwrites in place need no new mapping
            String some = model.keySet().iterator().next();
            assertTrue(store.delete(utf8(some)));
            model.remove(some);
            store.flush();
            assertContents(model, store);
        }
        MappingCount.resetLimitForTesting();
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            assertContents(model, store);
            store.put(utf8("after"), pattern(valueSize, 7));
            assertArrayEquals(pattern(valueSize, 7), store.getCopy(utf8("after")));
        }
    }

    @ParameterizedTest(name = "large values {0}")
    @ValueSource(booleans = {false, true})
    void reopeningAStoreThatNeedsMoreMappingsThanAllowedIsRefusedAndChangesNothing(boolean largeValues) {
        StoreOptions options = StoreOptions.builder().name("mapped").pageSize(4096).build();
        int valueSize = largeValues ? 1500 : 200;
        Map<String, byte[]> model = new TreeMap<>();
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            for (int i = 0; i < 300; i++) {
                store.put(utf8("k" + i), pattern(valueSize, i));
                model.put("k" + i, pattern(valueSize, i));
            }
        }
        long before = MappingCount.live();
        MappingCount.setLimitForTesting(before + 1); // reopening maps at least an extent and the hash table
        assertThrows(MappingLimitException.class, () -> KeyValueStore.open(dir, options));
        assertEquals(before, MappingCount.live(), "a refused open releases what it mapped");
        MappingCount.resetLimitForTesting();
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            assertContents(model, store);
        }
        assertEquals(before, MappingCount.live(), "a closed store holds no mapping");
    }

    private static void assertContents(Map<String, byte[]> model, KeyValueStore store) {
        assertEquals(model.size(), store.size());
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            assertArrayEquals(e.getValue(), store.getCopy(utf8(e.getKey())), e.getKey());
        }
    }
}
