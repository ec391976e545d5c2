package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreClosedException;

/** stats(): the figures agree with the store's own accessors and move as the store changes. */
class StoreStatsTest {
    @TempDir
    Path dir;

    @Test
    void inMemoryFiguresFollowWritesAndGrowth() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("s").expectedEntries(16).build())) {
            StoreStats empty = store.stats();
            assertEquals(0, empty.entries());
            assertEquals(store.memoryUsed(), empty.memoryUsed());
            assertEquals(Long.MAX_VALUE, empty.memoryBudget());
            assertEquals(1 << 20, empty.pageSize());
            assertEquals(0, empty.sortedIndexNodes());
            assertEquals(0, empty.flushes());
            assertEquals(0, empty.mappings());
            long capacity = empty.hashCapacity();
            boolean sawGrowth = false;
            for (int i = 0; i < 1000; i++) {
                store.put(utf8("key-" + i), utf8("v"));
                sawGrowth |= store.stats().growthInProgress();
            }
            store.put(utf8("large"), pattern(600_000, 1));
            StoreStats s = store.stats();
            assertEquals(1001, s.entries());
            assertEquals(store.memoryUsed(), s.memoryUsed());
            assertTrue(s.hashCapacity() > capacity, "the index grew");
            assertTrue(sawGrowth, "an incremental growth was in progress at some point");
            assertTrue(s.hashLoad() > 0 && s.hashLoad() <= 1, "load " + s.hashLoad());
            assertEquals(1, s.pages(), "1000 small entries fit one 1 MiB page");
            assertTrue(s.largeValueBytes() >= 600_000, "large " + s.largeValueBytes());
            assertEquals(0, s.dirtyChunks());
        }
    }

    @Test
    void sortedAndDictionaryFigures() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().sortedIndex(true).pageSize(4096)
            .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|')).build())) {
            for (int i = 0; i < 2000; i++) {
                store.put(utf8("t" + (i % 7) + "|" + i), utf8("v"));
            }
            StoreStats s = store.stats();
            assertEquals(7, s.dictionarySize());
            assertEquals(store.dictionarySize(), s.dictionarySize());
            assertTrue(s.sortedIndexNodes() > 2, "a 2000-key tree with 1 KiB nodes has several nodes: " + s.sortedIndexNodes());
            for (int i = 0; i < 2000; i++) {
                store.delete(utf8("t" + (i % 7) + "|" + i));
            }
            assertEquals(0, store.stats().sortedIndexNodes());
        }
    }

    @Test
    void fileBackedFiguresCountFlushesDirtyChunksAndMappings() {
        try (KeyValueStore store = KeyValueStore.open(dir, StoreOptions.builder().pageSize(4096).build())) {
            StoreStats opened = store.stats();
            assertEquals(1, opened.flushGeneration());
            assertTrue(opened.mappings() > 0, "the pages and the hash table are mapped");
            store.put(utf8("a"), utf8("1"));
            assertTrue(store.stats().dirtyChunks() > 0, "a put dirties a chunk");
            store.flush();
            StoreStats flushed = store.stats();
            assertEquals(1, flushed.flushes());
            assertEquals(2, flushed.flushGeneration());
            assertEquals(0, flushed.dirtyChunks());
            assertTrue(flushed.lastFlushBytes() > 0);
            assertTrue(flushed.lastFlushNanos() > 0);
            store.flush();
            assertEquals(2, store.stats().flushes());
        }
    }

    @Test
    void closedStoreThrows() {
        KeyValueStore store = KeyValueStore.create();
        store.close();
        assertThrows(StoreClosedException.class, store::stats);
        assertFalse(!store.isClosed());
    }
}
