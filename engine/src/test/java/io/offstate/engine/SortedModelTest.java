package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.SplittableRandom;
import java.util.TreeMap;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import io.offstate.offheap.KeyComponent;

/**
 * A seeded random walk of puts, overwrites (in place and moving), deletes and every kind of scan
 * against a {@code TreeMap} with an unsigned byte comparator, with the index's invariants verified
 * after every batch. Small nodes make a few thousand keys build trees of several levels that split,
 * merge and rotate all the time. (The QuickTheories model test in property-tests shrinks failures;
 * this one exercises many more operations per run.)
 */
class SortedModelTest {
    static List<Arguments> configurations() {
        KeyComponent bar = KeyComponent.untilDelimiter((byte) '|');
        return List.of(
            Arguments.of("plain, 128 B nodes", 128, null, 1 << 20),
            Arguments.of("plain, 256 B nodes, 4 KiB pages", 256, null, 4096),
            Arguments.of("dictionary until '|', 128 B nodes", 128, bar, 1 << 20),
            Arguments.of("dictionary fixedPrefix(2), 200 B nodes", 200, KeyComponent.fixedPrefix(2), 1 << 20),
            Arguments.of("plain, default nodes", 0, null, 1 << 20));
    }

    private static final java.util.Comparator<byte[]> UNSIGNED = Arrays::compareUnsigned;

    /** Keys from a small alphabet, rich in 0x00/0xFF, shared prefixes, '|' and empty keys. */
    private static byte[] randomKey(SplittableRandom r) {
        int length = r.nextInt(10) == 0 ? 0 : 1 + r.nextInt(r.nextBoolean() ? 4 : 14);
        byte[] k = new byte[length];
        for (int i = 0; i < length; i++) {
            int pick = r.nextInt(8);
            k[i] = switch (pick) {
                case 0 -> 0;
                case 1 -> (byte) 0xFF;
                case 2 -> '|';
                case 3 -> (byte) 0x80;
                default -> (byte) ('a' + r.nextInt(4));
            };
        }
        return k;
    }

    private static byte[] randomValue(SplittableRandom r) {
        int length = switch (r.nextInt(4)) {
            case 0 -> 0;
            case 1 -> r.nextInt(8);
            case 2 -> 8 + r.nextInt(60);
            default -> 60 + r.nextInt(400);
        };
        byte[] v = new byte[length];
        r.nextBytes(v);
        return v;
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("configurations")
    void randomOperationsMatchSortedModel(String label, int nodeSize, KeyComponent component, int pageSize) {
        SplittableRandom r = new SplittableRandom(label.hashCode());
        StoreOptions.Builder b = StoreOptions.builder().name("sorted-model").hashSeed(label.hashCode())
            .sortedIndex(true).pageSize(pageSize).dictionaryKeyComponent(component);
        if (nodeSize > 0) {
            b.sortedIndexNodeSizeForTesting(nodeSize);
        }
        TreeMap<byte[], byte[]> model = new TreeMap<>(UNSIGNED);
        try (KeyValueStore store = KeyValueStore.create(b.build())) {
            Cursor cursor = store.cursor();
            for (int round = 0; round < 30; round++) {
                boolean growing = round % 10 < 6;
                for (int op = 0; op < 300; op++) {
                    byte[] key = r.nextInt(3) == 0 && !model.isEmpty() ? existingKey(model, r) : randomKey(r);
                    if (r.nextInt(100) < (growing ? 70 : 30)) {
                        byte[] value = randomValue(r);
                        store.put(key, value);
                        model.put(key, value);
                    } else {
                        assertEquals(model.remove(key) != null, store.delete(key));
                    }
                }
                store.verify();
                assertEquals(model.size(), store.size());
                checkScans(store, cursor, model, r);
            }
            // drain: every key deleted, the index empties and stays valid
            for (byte[] key : new ArrayList<>(model.keySet())) {
                assertTrue(store.delete(key));
                model.remove(key);
                if (model.size() % 97 == 0) {
                    store.verify();
                }
            }
            store.verify();
            assertFalse(cursor.first());
            assertFalse(cursor.last());
        }
    }

    private static byte[] existingKey(TreeMap<byte[], byte[]> model, SplittableRandom r) {
        byte[] probe = randomKey(r);
        Map.Entry<byte[], byte[]> e = model.ceilingEntry(probe);
        return (e != null ? e : model.firstEntry()).getKey();
    }

    /** A bound near the data: an existing key, a prefix of one, one with a byte added, or random. */
    private static byte[] randomBound(TreeMap<byte[], byte[]> model, SplittableRandom r) {
        if (model.isEmpty() || r.nextInt(4) == 0) {
            return randomKey(r);
        }
        byte[] k = existingKey(model, r);
        return switch (r.nextInt(3)) {
            case 0 -> k;
            case 1 -> Arrays.copyOf(k, r.nextInt(k.length + 1));
            default -> {
                byte[] longer = Arrays.copyOf(k, k.length + 1);
                longer[k.length] = (byte) (r.nextBoolean() ? 0 : 0xFF);
                yield longer;
            }
        };
    }

    static void checkScans(KeyValueStore store, Cursor cursor, TreeMap<byte[], byte[]> model, SplittableRandom r) {
        assertScan("full", cursor.range(null, null), model.entrySet().iterator());
        assertScan("full reverse", cursor.rangeReverse(null, null), model.descendingMap().entrySet().iterator());
        for (int i = 0; i < 12; i++) {
            byte[] from = r.nextInt(5) == 0 ? null : randomBound(model, r);
            byte[] to = r.nextInt(5) == 0 ? null : randomBound(model, r);
            NavigableMap<byte[], byte[]> expected = subMap(model, from, to);
            String what = "range " + hex(from) + ".." + hex(to);
            assertScan(what, cursor.range(from, to), expected.entrySet().iterator());
            assertScan(what + " reversed", cursor.rangeReverse(from, to), expected.descendingMap().entrySet().iterator());

            byte[] prefix = randomBound(model, r);
            if (prefix.length > 3 && r.nextBoolean()) {
                prefix = Arrays.copyOf(prefix, 1 + r.nextInt(3));
            }
            List<Map.Entry<byte[], byte[]>> withPrefix = new ArrayList<>();
            for (Map.Entry<byte[], byte[]> e : model.entrySet()) {
                if (e.getKey().length >= prefix.length && Arrays.equals(e.getKey(), 0, prefix.length, prefix, 0, prefix.length)) {
                    withPrefix.add(e);
                }
            }
            assertScan("prefix " + hex(prefix), cursor.prefix(prefix), withPrefix.iterator());
            List<Map.Entry<byte[], byte[]>> reversed = new ArrayList<>(withPrefix);
            java.util.Collections.reverse(reversed);
            assertScan("prefix reversed " + hex(prefix), cursor.prefixReverse(prefix), reversed.iterator());

            byte[] target = randomBound(model, r);
            Map.Entry<byte[], byte[]> ceiling = model.ceilingEntry(target);
            assertEquals(ceiling != null, cursor.seek(target), "seek " + hex(target));
            if (ceiling != null) {
                assertArrayEquals(ceiling.getKey(), cursor.key().toByteArray(), "seek " + hex(target));
                assertScan("after seek " + hex(target), cursor, model.tailMap(ceiling.getKey(), false).entrySet().iterator());
            }
            Map.Entry<byte[], byte[]> floor = model.floorEntry(target);
            assertEquals(floor != null, cursor.seekForPrev(target), "seekForPrev " + hex(target));
            if (floor != null) {
                assertArrayEquals(floor.getKey(), cursor.key().toByteArray(), "seekForPrev " + hex(target));
                assertArrayEquals(floor.getValue(), cursor.value().toByteArray());
                assertScan("after seekForPrev " + hex(target), cursor,
                    model.headMap(floor.getKey(), false).descendingMap().entrySet().iterator());
            }
        }
        assertEquals(!model.isEmpty(), cursor.first());
        if (!model.isEmpty()) {
            assertArrayEquals(model.firstKey(), cursor.key().toByteArray());
            assertTrue(cursor.last());
            assertArrayEquals(model.lastKey(), cursor.key().toByteArray());
            assertArrayEquals(model.lastEntry().getValue(), cursor.value().toByteArray());
        }
    }

    static NavigableMap<byte[], byte[]> subMap(TreeMap<byte[], byte[]> model, byte[] from, byte[] to) {
        if (from != null && to != null && UNSIGNED.compare(from, to) >= 0) {
            return new TreeMap<>(UNSIGNED); // documented: from >= to is an empty range
        }
        NavigableMap<byte[], byte[]> m = model;
        if (from != null) {
            m = m.tailMap(from, true);
        }
        if (to != null) {
            m = m.headMap(to, false);
        }
        return m;
    }

    /** Steps the cursor to its end and checks every entry against {@code expected}, in order. */
    static void assertScan(String what, Cursor cursor, Iterator<Map.Entry<byte[], byte[]>> expected) {
        int i = 0;
        while (cursor.next()) {
            assertTrue(expected.hasNext(), what + ": cursor returned more than the model's " + i + " entries, next "
                + hex(cursor.key().toByteArray()));
            Map.Entry<byte[], byte[]> e = expected.next();
            assertTrue(cursor.key().contentEquals(e.getKey()), what + ": entry " + i + " has key "
                + hex(cursor.key().toByteArray()) + ", model " + hex(e.getKey()));
            assertTrue(cursor.value().contentEquals(e.getValue()), what + ": entry " + i + " value differs");
            i++;
        }
        assertFalse(expected.hasNext(), what + ": cursor ended after " + i + " entries, the model has more: "
            + (expected.hasNext() ? hex(expected.next().getKey()) : ""));
        assertFalse(cursor.next(), what + ": next() after the end must stay false");
    }

    static String hex(byte[] b) {
        if (b == null) {
            return "open";
        }
        StringBuilder s = new StringBuilder("[");
        for (byte x : b) {
            s.append(String.format("%02x", x & 0xFF));
        }
        return s.append(']').toString();
    }
}
