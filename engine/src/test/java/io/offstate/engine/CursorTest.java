package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.StoreFullException;

/** Edge cases and bad input of {@link Cursor} and of stores with a sorted index. */
class CursorTest {
    private static KeyValueStore sortedStore(boolean dictionary) {
        StoreOptions.Builder b = StoreOptions.builder().name("sorted").hashSeed(5).sortedIndex(true);
        if (dictionary) {
            b.dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'));
        }
        return KeyValueStore.create(b.build());
    }

    private static List<String> keys(Cursor cursor) {
        List<String> out = new ArrayList<>();
        while (cursor.next()) {
            out.add(TestData.string(cursor.key().toByteArray()));
        }
        return out;
    }

    private static byte[] bytes(int... unsigned) {
        byte[] b = new byte[unsigned.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) unsigned[i];
        }
        return b;
    }

    private static List<byte[]> rawKeys(Cursor cursor) {
        List<byte[]> out = new ArrayList<>();
        while (cursor.next()) {
            out.add(cursor.key().toByteArray());
        }
        return out;
    }

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {false, true})
    void scansReturnKeysInUnsignedByteOrder(boolean dictionary) {
        try (KeyValueStore store = sortedStore(dictionary)) {
            for (String k : List.of("b|2", "a|1", "b|10", "a", "c|", "b|1", "", "b")) {
                store.put(utf8(k), utf8("v" + k));
            }
            Cursor c = store.cursor();
            assertEquals(List.of("", "a", "a|1", "b", "b|1", "b|10", "b|2", "c|"), keys(c.range(null, null)));
            assertEquals(List.of("c|", "b|2", "b|10", "b|1", "b", "a|1", "a", ""), keys(c.rangeReverse(null, null)));
            assertEquals(List.of("b", "b|1", "b|10", "b|2"), keys(c.prefix(utf8("b"))));
            assertEquals(List.of("b|2", "b|10", "b|1"), keys(c.prefixReverse(utf8("b|"))));
            assertEquals(List.of("a|1", "b"), keys(c.range(utf8("a|"), utf8("b|"))));
            assertEquals(List.of("b", "a|1"), keys(c.rangeReverse(utf8("a|"), utf8("b|"))));
            assertTrue(c.seek(utf8("b|0")));
            assertEquals("b|1", TestData.string(c.key().toByteArray()));
            assertEquals("vb|1", TestData.string(c.value().toByteArray()));
            assertEquals(List.of("b|10", "b|2", "c|"), keys(c));
            assertTrue(c.seekForPrev(utf8("b|0")));
            assertEquals("b", TestData.string(c.key().toByteArray()));
            assertEquals(List.of("a|1", "a", ""), keys(c));
        }
    }

    @Test
    void bytesAbove0x7fSortAfterLowerBytesAndPrefixesSortFirst() {
        try (KeyValueStore store = sortedStore(false)) {
            byte[][] inOrder = {bytes(), bytes(0x00), bytes(0x00, 0x00), bytes(0x00, 0xFF), bytes(0x7F), bytes(0x80),
                bytes(0xFF), bytes(0xFF, 0x00), bytes(0xFF, 0xFF), bytes(0xFF, 0xFF, 0xFF)};
            for (int i = inOrder.length - 1; i >= 0; i--) {
                store.put(inOrder[i], bytes(i));
            }
            List<byte[]> scanned = rawKeys(store.cursor().range(null, null));
            assertEquals(inOrder.length, scanned.size());
            for (int i = 0; i < inOrder.length; i++) {
                assertArrayEquals(inOrder[i], scanned.get(i), "key " + i);
            }
            Cursor c = store.cursor();
            assertEquals(2, rawKeys(c.prefix(bytes(0xFF, 0xFF))).size(), "an all-0xFF prefix has no successor: open upper end");
            assertEquals(4, rawKeys(c.prefix(bytes(0xFF))).size());
            assertEquals(3, rawKeys(c.prefixReverse(bytes(0x00))).size());
            assertEquals(inOrder.length, rawKeys(c.prefix(bytes())).size(), "the empty prefix matches every key");
            assertEquals(1, rawKeys(c.range(bytes(), bytes(0x00))).size(), "only the empty key is below 0x00");
        }
    }

    @Test
    void emptyAndInvertedRangesAreEmpty() {
        try (KeyValueStore store = sortedStore(false)) {
            Cursor c = store.cursor();
            assertFalse(c.first());
            assertFalse(c.last());
            assertFalse(c.seek(utf8("a")));
            assertFalse(c.seekForPrev(utf8("a")));
            assertEquals(List.of(), keys(c.range(null, null)));
            for (String k : List.of("a", "b", "c", "d")) {
                store.put(utf8(k), utf8(k));
            }
            assertEquals(List.of(), keys(c.range(utf8("c"), utf8("b"))), "from > to is empty");
            assertEquals(List.of(), keys(c.rangeReverse(utf8("c"), utf8("b"))));
            assertEquals(List.of(), keys(c.range(utf8("b"), utf8("b"))), "from == to is empty");
            assertEquals(List.of(), keys(c.prefix(utf8("bb"))));
            assertEquals(List.of(), keys(c.range(utf8("e"), null)));
            assertFalse(c.seek(utf8("e")));
            assertFalse(c.seekForPrev(utf8("")));
            assertTrue(c.seekForPrev(utf8("a")));
            assertFalse(c.next());
            assertFalse(c.next(), "stays at the end");
        }
    }

    @Test
    void cursorThrowsAfterAWriteAndWorksAgainOncePositioned() {
        try (KeyValueStore store = sortedStore(false)) {
            for (int i = 0; i < 100; i++) {
                store.put(utf8(String.format("k%03d", i)), pattern(8, i));
            }
            Cursor c = store.cursor();
            c.prefix(utf8("k0"));
            assertTrue(c.next());
            ValueView key = c.key();
            store.put(utf8("k050"), pattern(8, 0)); // an in-place overwrite is a write too
            assertThrows(ConcurrentModificationException.class, c::next);
            assertThrows(ConcurrentModificationException.class, c::key);
            assertThrows(ConcurrentModificationException.class, c::value);
            assertThrows(IllegalStateException.class, key::length, "the key view went stale with the write");
            assertFalse(c.isOnEntry());

            // delete while scanning: copy the key, delete it, seek past it
            int deleted = 0;
            for (boolean on = c.seek(utf8("k0")); on && c.key().toByteArray()[2] == '0'; ) {
                byte[] k = c.key().toByteArray();
                assertTrue(store.delete(k));
                deleted++;
                on = c.seek(k);
            }
            assertEquals(10, deleted);
            assertEquals(90, store.size(), "k000..k009 deleted");
            assertEquals("k010", firstKey(store));

            c.range(null, null);
            assertFalse(store.delete(utf8("absent")), "a delete that removes nothing is not a write");
            assertTrue(c.next());
            try (StoreSnapshot snapshot = store.snapshot()) {
                store.restore(snapshot);
                assertThrows(ConcurrentModificationException.class, c::next);
            }
        }
    }

    private static String firstKey(KeyValueStore store) {
        Cursor c = store.cursor();
        assertTrue(c.first());
        return TestData.string(c.key().toByteArray());
    }

    @Test
    void badInputThrowsAndLeavesCursorAndStoreUsable() {
        try (KeyValueStore store = sortedStore(false)) {
            store.put(utf8("a"), utf8("1"));
            Cursor c = store.cursor();
            assertThrows(IllegalStateException.class, c::next, "never positioned");
            assertThrows(IllegalStateException.class, c::key);
            assertThrows(NullPointerException.class, () -> c.prefix(null));
            assertThrows(NullPointerException.class, () -> c.seek(null));
            assertThrows(NullPointerException.class, () -> c.seekForPrev(null));
            byte[] huge = new byte[KeyValueStore.MAX_KEY_LENGTH + 1];
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.range(huge, null));
            assertTrue(e.getMessage().contains(String.valueOf(KeyValueStore.MAX_KEY_LENGTH)), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> c.range(null, huge));
            assertThrows(IllegalArgumentException.class, () -> c.prefix(huge));
            assertThrows(IllegalArgumentException.class, () -> c.seekForPrev(huge));
            c.range(null, null);
            assertTrue(c.next());
            assertFalse(c.next());
            IllegalStateException ended = assertThrows(IllegalStateException.class, c::value);
            assertTrue(ended.getMessage().contains("ended"), ended.getMessage());
            assertEquals(1, store.size());
            store.verify();
        }
    }

    @Test
    void boundsAreCopiedSoCallersMayReuseTheirArrays() {
        try (KeyValueStore store = sortedStore(false)) {
            for (String k : List.of("a1", "a2", "b1", "b2")) {
                store.put(utf8(k), utf8(k));
            }
            Cursor c = store.cursor();
            byte[] prefix = utf8("a");
            c.prefix(prefix);
            prefix[0] = 'b';
            assertEquals(List.of("a1", "a2"), keys(c));
        }
    }

    @Test
    void viewsAreReadOnlyAndReusedPerCursor() {
        try (KeyValueStore store = sortedStore(true)) {
            store.put(utf8("t|x"), utf8("value"));
            Cursor c = store.cursor();
            assertTrue(c.first());
            assertTrue(c.key().segment().isReadOnly());
            assertTrue(c.value().segment().isReadOnly());
            assertTrue(c.key() == c.key(), "one key view per cursor");
            assertTrue(c.key().contentEquals(utf8("t|x")), "dictionary keys decode to the original bytes");
        }
    }

    @Test
    void hashOnlyStoreRefusesCursorAndClosedStoreThrows() {
        try (KeyValueStore plain = TestData.plainStore()) {
            UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class, plain::cursor);
            assertTrue(e.getMessage().contains("sortedIndex(true)"), e.getMessage());
        }
        KeyValueStore store = sortedStore(false);
        store.put(utf8("a"), utf8("1"));
        Cursor c = store.cursor();
        c.range(null, null);
        store.close();
        assertThrows(StoreClosedException.class, c::next);
        assertThrows(StoreClosedException.class, () -> c.range(null, null));
        assertThrows(StoreClosedException.class, c::first);
        assertThrows(StoreClosedException.class, store::cursor);
        assertThrows(StoreClosedException.class, store::verify);
    }

    @Test
    void snapshotsCarryTheSortedIndexAndMustMatchTheStore() {
        try (KeyValueStore store = sortedStore(false)) {
            for (int i = 0; i < 5000; i++) {
                store.put(utf8(String.format("key-%05d", i)), pattern(10, i));
            }
            try (StoreSnapshot snapshot = store.snapshot()) {
                for (int i = 0; i < 5000; i += 2) {
                    store.delete(utf8(String.format("key-%05d", i)));
                }
                store.put(utf8("zzz"), utf8("late"));
                assertEquals(2501, keys(store.cursor().range(null, null)).size());
                store.restore(snapshot);
                store.verify();
                List<String> all = keys(store.cursor().range(null, null));
                assertEquals(5000, all.size());
                assertEquals("key-00000", all.get(0));
                assertEquals("key-04999", all.get(4999));

                try (KeyValueStore hashOnly = KeyValueStore.create(StoreOptions.builder().hashSeed(5).build())) {
                    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> hashOnly.restore(snapshot));
                    assertTrue(e.getMessage().contains("sorted index true"), e.getMessage());
                    assertEquals(0, hashOnly.size());
                }
            }
        }
    }

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {false, true})
    void refusedPutsLeaveIndexAndStoreUnchanged(boolean dictionary) {
        StoreOptions.Builder b = StoreOptions.builder().name("tight").hashSeed(9).pageSize(4096).memoryBudget(64 * 1024)
            .expectedEntries(16).sortedIndex(true).sortedIndexNodeSizeForTesting(256);
        if (dictionary) {
            b.dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'));
        }
        try (KeyValueStore store = KeyValueStore.create(b.build())) {
            int refused = 0;
            for (int i = 0; i < 5000 && refused < 50; i++) {
                byte[] key = utf8("t" + (i % 7) + "|" + Integer.toString(i * 7919 % 10007, 36));
                long used = store.memoryUsed();
                long size = store.size();
                List<String> before = refused < 5 ? keys(store.cursor().range(null, null)) : null;
                try {
                    store.put(key, pattern(20 + i % 30, i));
                } catch (StoreFullException e) {
                    refused++;
                    assertEquals(used, store.memoryUsed());
                    assertEquals(size, store.size());
                    if (before != null) {
                        assertEquals(before, keys(store.cursor().range(null, null)));
                    }
                    store.verify();
                }
            }
            assertTrue(refused > 0, "the budget was reached");
            store.verify();
            assertEquals(store.size(), keys(store.cursor().range(null, null)).size());
        }
    }

    @Test
    void growingValuesMoveEntriesAndTheIndexFollows() {
        try (KeyValueStore store = sortedStore(true)) {
            for (int i = 0; i < 3000; i++) {
                store.put(utf8("g" + (i % 3) + "|" + i), pattern(4, i));
            }
            for (int round = 1; round <= 3; round++) {
                for (int i = 0; i < 3000; i += 3) {
                    store.put(utf8("g" + (i % 3) + "|" + i), pattern(4 + round * 40, i)); // a new size class: the entry moves
                }
                store.verify();
            }
            Cursor c = store.cursor().prefix(utf8("g0|"));
            int n = 0;
            while (c.next()) {
                assertEquals(4 + 3 * 40, c.value().length());
                n++;
            }
            assertEquals(1000, n);
        }
    }
}
