package io.offstate.engine;

import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.OffstateException;

/**
 * Damage found in a store's memory is reported as an offstate exception naming the store, never as
 * a raw JDK exception; from then on the store refuses changes and flushes (it must not write the
 * damage back), until it is restored, cleared, or closed and reopened.
 */
class DamagedStoreTest {
    @TempDir
    Path dir;

    /** Overwrites the entry header of {@code key} with a varint that never ends and lengths far beyond the page. */
    static void damageEntryOf(KeyValueStore store, byte[] key) {
        StoreState s = store.state();
        ByteSource k = new ByteSource().wrap(key);
        long address = s.map.find(k, s.map.hash(k));
        assertTrue(address != 0, "the key is stored");
        MemorySegment page = s.memory.page(address);
        long offset = s.memory.offset(address);
        for (int i = 0; i < 6; i++) {
            page.set(ValueLayout.JAVA_BYTE, offset + i, (byte) 0xFF);
        }
    }

    @Test
    void damageIsReportedAsCorruptStateAndFurtherChangesAreRefused() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("damaged").hashSeed(5).build())) {
            for (int i = 0; i < 50; i++) {
                store.put(utf8("key-" + i), utf8("value-" + i));
            }
            damageEntryOf(store, utf8("key-7"));
            OffstateException found = assertThrows(OffstateException.class, () -> store.getCopy(utf8("key-7")));
            assertEquals(CorruptStateException.class, found.getClass());
            assertTrue(found.getMessage().contains("store 'damaged'"), found.getMessage());
            CorruptStateException refused = assertThrows(CorruptStateException.class, () -> store.put(utf8("new"), utf8("x")));
            assertTrue(refused.getMessage().startsWith("store 'damaged' refuses changes and flushes: damage was found in it earlier"),
                refused.getMessage());
            assertTrue(refused.getMessage().contains("restore a snapshot"), refused.getMessage());
            assertThrows(CorruptStateException.class, () -> store.delete(utf8("key-1")));
            assertThrows(CorruptStateException.class, () -> store.flush(utf8("m")));
            assertEquals(50, store.size());
            assertArrayEquals(utf8("value-1"), store.getCopy(utf8("key-1")), "undamaged entries still read");
            store.clear(); // nothing of the damaged state is left: changes are accepted again
            store.put(utf8("new"), utf8("x"));
            assertEquals(1, store.size());
        }
    }

    @Test
    void restoringASnapshotMakesADamagedStoreUsableAgain() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("damaged").hashSeed(6).build())) {
            store.put(utf8("a"), utf8("1"));
            try (StoreSnapshot good = store.snapshot()) {
                damageEntryOf(store, utf8("a"));
                assertThrows(CorruptStateException.class, () -> store.getCopy(utf8("a")));
                assertThrows(CorruptStateException.class, () -> store.put(utf8("b"), utf8("2")));
                store.restore(good);
            }
            assertArrayEquals(utf8("1"), store.getCopy(utf8("a")));
            store.put(utf8("b"), utf8("2"));
            store.verify();
        }
    }

    @Test
    void aDamagedFileBackedStoreIsNotFlushedOnCloseAndReopensAsTheLastFlush() {
        StoreOptions options = StoreOptions.builder().name("damaged-file").pageSize(4096).build();
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            store.put(utf8("a"), utf8("1"));
            store.flush(utf8("flushed"));
            store.put(utf8("b"), utf8("2"));
            damageEntryOf(store, utf8("a"));
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> store.getCopy(utf8("a")));
            assertEquals(dir.toAbsolutePath(), e.file());
            assertThrows(CorruptStoreFileException.class, store::flush);
        } // close() must not flush the damage back
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            assertEquals(1, store.size());
            assertArrayEquals(utf8("1"), store.getCopy(utf8("a")));
            assertArrayEquals(utf8("flushed"), store.lastFlushMetadata());
            store.verifyFiles();
        }
    }
}
