package io.offstate.propertytests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.StoreSnapshot;
import io.offstate.offheap.StoreClosedException;

/**
 * The cursor's contract at its edges, example by example: which stores have cursors, closed
 * stores, bad arguments, the order of bytes (unsigned; the empty key first; dictionary-encoded
 * keys in the order of their original bytes), empty ranges, and steps that allocate nothing.
 *
 * <p>No concurrent-reader tests: a cursor, like its store, is confined to one thread (the store
 * does no locking). Should concurrent readers ever be allowed, QuickTheories' {@code Parallel}
 * (linearizability against all interleavings) is the tool.
 */
class CursorContractTest {
    private static byte[] bytes(int... unsigned) {
        byte[] b = new byte[unsigned.length];
        for (int i = 0; i < b.length; i++) {
            b[i] = (byte) unsigned[i];
        }
        return b;
    }

    private static KeyValueStore sortedStore() {
        return KeyValueStore.create(StoreOptions.builder().sortedIndex(true).build());
    }

    /** The keys a query yields, read to the end. */
    private static List<Bytes> keys(Cursor cursor, ScanQuery query) {
        List<Bytes> out = new ArrayList<>();
        for (Map.Entry<Bytes, Bytes> e : CursorReader.scan(cursor, query, Long.MAX_VALUE, query).entries()) {
            out.add(e.getKey());
        }
        return out;
    }

    private static List<Bytes> list(byte[]... keys) {
        List<Bytes> out = new ArrayList<>();
        for (byte[] k : keys) {
            out.add(Bytes.wrap(k));
        }
        return out;
    }

    @Test
    void sortedIndexIsOffByDefault() {
        assertFalse(StoreOptions.defaults().sortedIndex());
        assertFalse(StoreOptions.builder().build().sortedIndex());
        assertTrue(StoreOptions.builder().sortedIndex(true).build().sortedIndex());
        try (KeyValueStore store = KeyValueStore.create()) {
            assertThrows(UnsupportedOperationException.class, store::cursor);
        }
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreConfig.class)
    void onlyStoresWithASortedIndexHaveCursors(StoreConfig config) {
        try (KeyValueStore store = new StoreSetup(config, 1, StoreConfig.MAX_TIGHT_BUDGET).create()) {
            assertEquals(config.sorted(), store.options().sortedIndex());
            if (config.sorted()) {
                assertFalse(store.cursor().first(), "first() of an empty store");
            } else {
                assertThrows(UnsupportedOperationException.class, store::cursor);
            }
        }
    }

    @Test
    void closedStoreRefusesCursorsAndTheirCalls() {
        KeyValueStore store = sortedStore();
        store.put(bytes(1), bytes(1));
        store.put(bytes(2), bytes(2));
        Cursor positioned = store.cursor();
        assertTrue(positioned.first());
        Cursor idle = store.cursor();
        store.close();
        assertThrows(StoreClosedException.class, store::cursor);
        assertThrows(StoreClosedException.class, positioned::next);
        assertThrows(StoreClosedException.class, positioned::key);
        assertThrows(StoreClosedException.class, positioned::value);
        assertThrows(StoreClosedException.class, idle::first);
        assertThrows(StoreClosedException.class, () -> idle.range(null, null));
        assertThrows(StoreClosedException.class, () -> idle.seek(bytes(1)));
    }

    @Test
    void aCursorNeverPositionedHasNoEntry() {
        try (KeyValueStore store = sortedStore()) {
            store.put(bytes(1), bytes(1));
            Cursor cursor = store.cursor();
            assertFalse(cursor.isOnEntry());
            assertThrows(IllegalStateException.class, cursor::next);
            assertThrows(IllegalStateException.class, cursor::key);
            assertThrows(IllegalStateException.class, cursor::value);
        }
    }

    @Test
    void nullSeekKeysAreRefused() {
        try (KeyValueStore store = sortedStore()) {
            Cursor cursor = store.cursor();
            assertThrows(NullPointerException.class, () -> cursor.seek(null));
            assertThrows(NullPointerException.class, () -> cursor.seekForPrev(null));
        }
    }

    @Test
    void boundsLongerThanTheLargestKeyAreRefused() {
        try (KeyValueStore store = sortedStore()) {
            store.put(bytes(1), bytes(1));
            Cursor cursor = store.cursor();
            byte[] tooLong = new byte[KeyValueStore.MAX_KEY_LENGTH + 1];
            byte[] longest = new byte[KeyValueStore.MAX_KEY_LENGTH];
            assertThrows(IllegalArgumentException.class, () -> cursor.range(tooLong, null));
            assertThrows(IllegalArgumentException.class, () -> cursor.range(null, tooLong));
            assertThrows(IllegalArgumentException.class, () -> cursor.rangeReverse(tooLong, null));
            assertThrows(IllegalArgumentException.class, () -> cursor.rangeReverse(null, tooLong));
            assertThrows(IllegalArgumentException.class, () -> cursor.prefix(tooLong));
            assertThrows(IllegalArgumentException.class, () -> cursor.prefixReverse(tooLong));
            assertThrows(IllegalArgumentException.class, () -> cursor.seek(tooLong));
            assertThrows(IllegalArgumentException.class, () -> cursor.seekForPrev(tooLong));
            // a bound of exactly MAX_KEY_LENGTH bytes is fine (0x00 * 65536 sorts before the key 0x01)
            cursor.range(longest, null);
            assertTrue(cursor.next(), "range(0x00 * MAX_KEY_LENGTH, null) holds the key 0x01");
            assertFalse(cursor.seekForPrev(longest), "no key <= 0x00 * MAX_KEY_LENGTH");
        }
    }

    @Test
    void keysScanInUnsignedByteOrderWithTheEmptyKeyFirst() {
        try (KeyValueStore store = sortedStore()) {
            byte[][] inOrder = {bytes(), bytes(0x00), bytes(0x00, 0x00), bytes(0x00, 0xFF), bytes(0x01), bytes(0x7F),
                bytes(0x7F, 0xFF, 0xFF), bytes(0x80), bytes(0x80, 0x00), bytes(0xFE, 0xFF), bytes(0xFF), bytes(0xFF, 0x00),
                bytes(0xFF, 0xFF, 0xFF)};
            for (int i = inOrder.length - 1; i >= 0; i--) {
                store.put(inOrder[i], bytes(i));
            }
            Cursor cursor = store.cursor();
            List<Bytes> ascending = list(inOrder);
            assertEquals(ascending, keys(cursor, new ScanQuery(ScanQuery.Kind.RANGE, null, null)));
            assertEquals(ascending, keys(cursor, new ScanQuery(ScanQuery.Kind.FIRST, null, null)));
            assertEquals(ascending, keys(cursor, new ScanQuery(ScanQuery.Kind.PREFIX, Bytes.EMPTY, null)));
            assertEquals(ascending, keys(cursor, new ScanQuery(ScanQuery.Kind.SEEK, Bytes.EMPTY, null)));
            List<Bytes> descending = ascending.reversed();
            assertEquals(descending, keys(cursor, new ScanQuery(ScanQuery.Kind.RANGE_REVERSE, null, null)));
            assertEquals(descending, keys(cursor, new ScanQuery(ScanQuery.Kind.LAST, null, null)));
            assertEquals(descending, keys(cursor, new ScanQuery(ScanQuery.Kind.PREFIX_REVERSE, Bytes.EMPTY, null)));
            assertEquals(list(bytes(0xFF), bytes(0xFF, 0x00), bytes(0xFF, 0xFF, 0xFF)),
                keys(cursor, new ScanQuery(ScanQuery.Kind.PREFIX, Bytes.wrap(bytes(0xFF)), null)));
            assertEquals(list(bytes(0x80), bytes(0x80, 0x00), bytes(0xFE, 0xFF)),
                keys(cursor, new ScanQuery(ScanQuery.Kind.RANGE, Bytes.wrap(bytes(0x7F, 0xFF, 0xFF, 0x00)), Bytes.wrap(bytes(0xFF)))));
            assertEquals(list(bytes()), keys(cursor, new ScanQuery(ScanQuery.Kind.SEEK_FOR_PREV, Bytes.EMPTY, null)));
            assertTrue(cursor.seekForPrev(bytes(0x00, 0xFF, 0xFF)));
            assertEquals(Bytes.wrap(bytes(0x00, 0xFF)), Bytes.wrap(cursor.key().toByteArray()));
        }
    }

    /**
     * Keys of MAX_KEY_LENGTH bytes that differ only in their last byte (so separators between them
     * are as long as the keys, larger than a 4 KiB page), mixed with their own prefixes, in enough
     * numbers to split index nodes: scans in every direction, and seeks between neighbours.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = StoreConfig.class, names = {"SORTED", "SORTED_SMALL_PAGES", "SORTED_DICT_PREFIX3"})
    void longestKeysDifferingOnlyInTheLastByteScanInOrder(StoreConfig config) {
        try (KeyValueStore store = new StoreSetup(config, 3, Long.MAX_VALUE).create()) {
            TreeMap<Bytes, Bytes> model = new TreeMap<>();
            byte[] stem = Gens.randomBytes(KeyValueStore.MAX_KEY_LENGTH - 1, 99);
            for (int i = 0; i < 256; i += 2) {
                byte[] key = Arrays.copyOf(stem, KeyValueStore.MAX_KEY_LENGTH);
                key[key.length - 1] = (byte) (255 - i);
                store.put(key, bytes(i));
                model.put(Bytes.wrap(key), Bytes.wrap(bytes(i)));
            }
            for (int cut : new int[] {0, 1, 4096, KeyValueStore.MAX_KEY_LENGTH - 2, KeyValueStore.MAX_KEY_LENGTH - 1}) {
                byte[] key = Arrays.copyOf(stem, cut);
                store.put(key, bytes(cut & 0xFF));
                model.put(Bytes.wrap(key), Bytes.wrap(bytes(cut & 0xFF)));
            }
            CursorReader.assertFullScans(config, store, model);
            Cursor cursor = store.cursor();
            for (int last = 0; last < 256; last += 17) {
                byte[] probe = Arrays.copyOf(stem, KeyValueStore.MAX_KEY_LENGTH);
                probe[probe.length - 1] = (byte) last;
                Bytes p = Bytes.wrap(probe);
                for (ScanQuery.Kind kind : List.of(ScanQuery.Kind.SEEK, ScanQuery.Kind.SEEK_FOR_PREV)) {
                    ScanQuery q = new ScanQuery(kind, p, null);
                    CursorReader.assertAnswer(q, q.answer(model, null, 3), 3, CursorReader.scan(cursor, q, 3, q));
                }
                ScanQuery range = new ScanQuery(ScanQuery.Kind.RANGE_REVERSE, Bytes.wrap(Arrays.copyOf(stem, 4096)), p);
                CursorReader.assertAnswer(range, range.answer(model, null, Long.MAX_VALUE), Long.MAX_VALUE,
                    CursorReader.scan(cursor, range, Long.MAX_VALUE, range));
            }
            ScanQuery prefix = new ScanQuery(ScanQuery.Kind.PREFIX_REVERSE, Bytes.wrap(stem), null);
            CursorReader.assertAnswer(prefix, prefix.answer(model, null, Long.MAX_VALUE), Long.MAX_VALUE,
                CursorReader.scan(cursor, prefix, Long.MAX_VALUE, prefix));
        }
    }

    @Test
    void rangesWithFromAtOrAfterToAreEmpty() {
        try (KeyValueStore store = sortedStore()) {
            for (int i = 0; i < 10; i++) {
                store.put(bytes(i * 20), bytes(i));
            }
            Cursor cursor = store.cursor();
            for (byte[][] fromTo : new byte[][][] {{bytes(100), bytes(40)}, {bytes(40), bytes(40)}, {bytes(41), bytes(40)},
                {bytes(0xFF), bytes()}, {bytes(), bytes()}, {bytes(40, 0), bytes(40)}}) {
                cursor.range(fromTo[0], fromTo[1]);
                assertFalse(cursor.next(), () -> "range(" + Bytes.wrap(fromTo[0]) + ", " + Bytes.wrap(fromTo[1]) + ")");
                cursor.rangeReverse(fromTo[0], fromTo[1]);
                assertFalse(cursor.next(), () -> "rangeReverse(" + Bytes.wrap(fromTo[0]) + ", " + Bytes.wrap(fromTo[1]) + ")");
            }
            cursor.range(bytes(40), bytes(40, 0));
            assertTrue(cursor.next(), "range(40, 40+00) holds 40");
            assertFalse(cursor.next(), "range(40, 40+00) holds only 40");
        }
    }

    /**
     * Dictionary codes are handed out in first-put order; scans must still follow the original
     * bytes: "ab|0" (0x62 before '|' = 0x7C) comes before "a|..." although "a" got its code later.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = StoreConfig.class, names = {"SORTED_DICT_DELIMITER", "SORTED_DICT_PREFIX3", "SORTED_SMALL_PAGES_DICT_DELIMITER"})
    void dictionaryEncodedKeysScanInTheOrderOfTheirOriginalBytes(StoreConfig config) {
        try (KeyValueStore store = new StoreSetup(config, 7, Long.MAX_VALUE).create()) {
            List<byte[]> putOrder = List.of(Gens.latin1("zz|9"), Gens.latin1("b|1"), Gens.latin1("a|\u00ff"), Gens.latin1("a|2"),
                Gens.latin1("ab|0"), Gens.latin1("a"), Gens.latin1(""), Gens.latin1("|"), bytes(0x80, '|'), bytes(0x7F, '|'),
                Gens.latin1("abc"), Gens.latin1("abcd"), Gens.latin1("ab"));
            TreeMap<Bytes, Bytes> model = new TreeMap<>();
            for (byte[] k : putOrder) {
                store.put(k, k);
                model.put(Bytes.wrap(k), Bytes.wrap(k));
            }
            CursorReader.assertFullScans(config, store, model);
            assertEquals(list(Gens.latin1("a|2"), Gens.latin1("a|\u00ff")),
                keys(store.cursor(), new ScanQuery(ScanQuery.Kind.PREFIX, Bytes.wrap(Gens.latin1("a|")), null)));
            assertEquals(list(Gens.latin1("ab|0"), Gens.latin1("abcd"), Gens.latin1("abc"), Gens.latin1("ab")),
                keys(store.cursor(), new ScanQuery(ScanQuery.Kind.PREFIX_REVERSE, Bytes.wrap(Gens.latin1("ab")), null)));
        }
    }

    /** Snapshot and restore carry the sorted index: a restored store scans like the original did. */
    @Test
    void restoredStoreScansLikeTheSnapshottedOne() {
        try (KeyValueStore store = sortedStore(); KeyValueStore copy = sortedStore()) {
            TreeMap<Bytes, Bytes> model = new TreeMap<>();
            for (int i = 0; i < 3000; i++) {
                byte[] k = Gens.latin1("k" + Integer.toString(i * 7919 % 3001, 36));
                store.put(k, bytes(i & 0xFF));
                model.put(Bytes.wrap(k), Bytes.wrap(bytes(i & 0xFF)));
            }
            try (StoreSnapshot snapshot = store.snapshot()) {
                store.put(Gens.latin1("after the snapshot"), bytes());
                copy.restore(snapshot);
            }
            CursorReader.assertFullScans("restored copy", copy, model);
        }
    }

    /**
     * Steps of a positioned cursor (next(), key(), value(), reading the views) allocate nothing: the
     * views are re-pointed. Counted with the thread's allocated bytes over 10,000 steps (positioning
     * excluded) after warm-up rounds; one allocation per step would be at least 16 bytes a step, so
     * the slack of 1 byte a step is generous.
     */
    @Test
    void cursorStepsAllocateNothing() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean threads) || !threads.isThreadAllocatedMemorySupported()) {
            return;
        }
        threads.setThreadAllocatedMemoryEnabled(true);
        try (KeyValueStore store = sortedStore()) {
            for (int i = 0; i < 5000; i++) {
                store.put(Gens.latin1("key-" + i), bytes(i & 0xFF, 1, 2));
            }
            Cursor cursor = store.cursor();
            long sink = 0;
            for (int round = 0; round < 4; round++) {
                int steps = 0;
                long allocated = 0;
                for (boolean reverse : new boolean[] {false, true}) {
                    if (reverse) {
                        cursor.rangeReverse(null, null);
                    } else {
                        cursor.range(null, null);
                    }
                    long before = threads.getCurrentThreadAllocatedBytes();
                    while (cursor.next()) {
                        sink += cursor.key().length() + cursor.value().getByte(0);
                        steps++;
                    }
                    allocated += threads.getCurrentThreadAllocatedBytes() - before;
                }
                if (round == 3) {
                    assertEquals(10_000, steps);
                    assertTrue(allocated < steps, "allocated " + allocated + " bytes over " + steps + " steps (sink " + sink + ")");
                }
            }
        }
    }
}
