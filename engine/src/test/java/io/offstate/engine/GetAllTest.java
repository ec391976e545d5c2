package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreClosedException;

/**
 * {@link KeyValueStore#getAll}: the same answers as a get per key, in every store configuration
 * and key form, and bad input refused before any view changes.
 */
class GetAllTest {
    /** Store configurations whose lookups take different paths through getAll. */
    private static StoreOptions options(String config) {
        StoreOptions.Builder b = StoreOptions.builder().name(config).hashSeed(0x5EED);
        return switch (config) {
            case "plain" -> b.build();
            case "tiny-index" -> b.expectedEntries(1).build(); // grows all the time: lookups see two tables
            // every slot of a chain is a candidate, and the chains are long: most candidates are other keys
            case "no-fingerprints" -> b.fingerprintBitsForTesting(0).expectedEntries(1).build();
            case "dictionary" -> b.dictionaryKeyComponent(KeyComponent.fixedPrefix(3)).build();
            case "sorted" -> b.sortedIndex(true).build();
            case "small-pages" -> b.pageSize(4096).build(); // long values in large blocks of their own
            default -> throw new IllegalArgumentException(config);
        };
    }

    private static byte[] key(SplittableRandom rnd) {
        int length = switch (rnd.nextInt(6)) {
            case 0 -> 0;
            case 1 -> rnd.nextInt(1, 8);
            case 2 -> 16;
            case 3 -> rnd.nextInt(9, 40);
            case 4 -> 130; // a two-byte length varint: not a short entry
            default -> rnd.nextInt(1, 24);
        };
        byte[] k = new byte[length];
        for (int i = 0; i < length; i++) {
            k[i] = (byte) rnd.nextInt(4); // few distinct bytes: keys share prefixes and collide often
        }
        return k;
    }

    private static byte[] value(SplittableRandom rnd) {
        int length = switch (rnd.nextInt(5)) {
            case 0 -> 0;
            case 1 -> 64;
            case 2 -> 200; // a two-byte length varint
            case 3 -> 2000; // a large block with 4 KiB pages
            default -> rnd.nextInt(1, 100);
        };
        byte[] v = new byte[length];
        rnd.nextBytes(v);
        return v;
    }

    private static ValueView[] views(int n) {
        ValueView[] v = new ValueView[n];
        for (int i = 0; i < n; i++) {
            v[i] = new ValueView();
        }
        return v;
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "tiny-index", "no-fingerprints", "dictionary", "sorted", "small-pages"})
    void getAllAnswersAsGetDoesForEveryKey(String config) {
        SplittableRandom rnd = new SplittableRandom(config.hashCode());
        try (KeyValueStore store = KeyValueStore.create(options(config))) {
            Map<String, byte[]> model = new HashMap<>();
            List<byte[]> known = new ArrayList<>();
            ValueView single = new ValueView();
            for (int round = 0; round < 300; round++) {
                for (int w = rnd.nextInt(20); w > 0; w--) {
                    byte[] k = !known.isEmpty() && rnd.nextInt(3) == 0 ? known.get(rnd.nextInt(known.size())) : key(rnd);
                    if (rnd.nextInt(4) == 0) {
                        store.delete(k);
                        model.remove(hex(k));
                    } else {
                        byte[] v = value(rnd);
                        store.put(k, v);
                        model.put(hex(k), v);
                        known.add(k);
                    }
                }
                int n = rnd.nextInt(0, 90); // more than a group, and more than EntryMap.MAX_BATCH
                byte[][] keys = new byte[n][];
                for (int i = 0; i < n; i++) {
                    keys[i] = !known.isEmpty() && rnd.nextInt(4) != 0 ? known.get(rnd.nextInt(known.size())).clone() : key(rnd);
                }
                ValueView[] views = views(n);
                int hits = store.getAll(keys, views);
                int expectedHits = 0;
                for (int i = 0; i < n; i++) {
                    byte[] expected = model.get(hex(keys[i]));
                    assertEquals(expected != null, store.get(keys[i], single), "get of key " + i);
                    if (expected == null) {
                        assertFalse(views[i].isValid(), "view of absent key " + i + " must be empty");
                        assertThrows(IllegalStateException.class, views[i]::length);
                    } else {
                        expectedHits++;
                        assertTrue(views[i].isValid(), "view of present key " + i);
                        assertArrayEquals(expected, views[i].toByteArray(), "value of key " + i);
                    }
                }
                assertEquals(expectedHits, hits);
            }
        }
    }

    @Test
    void everyKeyFormFindsTheSameValues() {
        try (KeyValueStore store = KeyValueStore.create(options("plain")); Arena arena = Arena.ofConfined()) {
            SplittableRandom rnd = new SplittableRandom(7);
            int n = 40;
            byte[][] keys = new byte[n][];
            for (int i = 0; i < n; i++) {
                keys[i] = key(rnd);
                if (i % 3 != 0) {
                    store.put(keys[i], ("v" + i).getBytes());
                }
            }
            ValueView[] byArrays = views(n);
            int hits = store.getAll(keys, byArrays);

            MemorySegment[] segments = new MemorySegment[n];
            long total = 0;
            for (byte[] k : keys) {
                total += k.length + 3;
            }
            MemorySegment buffer = arena.allocate(total + 1);
            buffer.fill((byte) '|');
            long[] offsets = new long[n];
            int[] lengths = new int[n];
            long at = 1;
            for (int i = 0; i < n; i++) {
                MemorySegment.copy(keys[i], 0, buffer, ValueLayout.JAVA_BYTE, at, keys[i].length);
                segments[i] = buffer.asSlice(at, keys[i].length);
                offsets[i] = at;
                lengths[i] = keys[i].length;
                at += keys[i].length + 3;
            }
            ValueView[] bySegments = views(n);
            ValueView[] byRanges = views(n);
            assertEquals(hits, store.getAll(segments, bySegments));
            assertEquals(hits, store.getAll(buffer, offsets, lengths, byRanges, n));
            for (int i = 0; i < n; i++) {
                assertEquals(byArrays[i].isValid(), bySegments[i].isValid(), "segment key " + i);
                assertEquals(byArrays[i].isValid(), byRanges[i].isValid(), "ranged key " + i);
                if (byArrays[i].isValid()) {
                    assertArrayEquals(byArrays[i].toByteArray(), bySegments[i].toByteArray());
                    assertArrayEquals(byArrays[i].toByteArray(), byRanges[i].toByteArray());
                }
            }
        }
    }

    @Test
    void duplicatesMissesAndTheSameViewTwice() {
        try (KeyValueStore store = KeyValueStore.create(options("plain"))) {
            store.put("a".getBytes(), "1".getBytes());
            store.put("b".getBytes(), "2".getBytes());
            ValueView shared = new ValueView();
            ValueView other = new ValueView();
            byte[][] keys = {"a".getBytes(), "a".getBytes(), "zz".getBytes(), "b".getBytes()};
            ValueView[] views = {other, shared, new ValueView(), shared};
            assertEquals(3, store.getAll(keys, views));
            assertArrayEquals("1".getBytes(), other.toByteArray());
            assertArrayEquals("2".getBytes(), shared.toByteArray(), "the later key's value");
            assertFalse(views[2].isValid());
        }
    }

    @Test
    void aMissClearsAViewThatHeldAValue() {
        try (KeyValueStore store = KeyValueStore.create(options("plain"))) {
            store.put("a".getBytes(), "1".getBytes());
            ValueView[] views = views(1);
            store.getAll(new byte[][] {"a".getBytes()}, views);
            assertTrue(views[0].isValid());
            assertEquals(0, store.getAll(new byte[][] {"b".getBytes()}, views));
            assertFalse(views[0].isValid());
            assertThrows(IllegalStateException.class, views[0]::length);
        }
    }

    @Test
    void viewsGoStaleOnTheNextWrite() {
        try (KeyValueStore store = KeyValueStore.create(options("plain"))) {
            store.put("a".getBytes(), "1".getBytes());
            ValueView[] views = views(2);
            store.getAll(new byte[][] {"a".getBytes(), "a".getBytes()}, views);
            store.put("c".getBytes(), "3".getBytes());
            assertFalse(views[0].isValid());
            IllegalStateException e = assertThrows(IllegalStateException.class, views[1]::length);
            assertTrue(e.getMessage().contains("stale"), e.getMessage());
        }
    }

    @Test
    void countLooksUpOnlyThePrefixAndLeavesTheRestAlone() {
        try (KeyValueStore store = KeyValueStore.create(options("plain"))) {
            store.put("a".getBytes(), "1".getBytes());
            store.put("b".getBytes(), "2".getBytes());
            ValueView[] views = views(3);
            store.getAll(new byte[][] {"b".getBytes()}, new ValueView[] {views[2]});
            byte[][] keys = {"a".getBytes(), "x".getBytes(), null};
            assertEquals(1, store.getAll(keys, views, 2)); // keys[2] is null: beyond count, never read
            assertTrue(views[0].isValid());
            assertFalse(views[1].isValid());
            assertArrayEquals("2".getBytes(), views[2].toByteArray(), "untouched beyond count");
            assertEquals(0, store.getAll(keys, views, 0));
        }
    }

    @Test
    void aFileBackedStoreReopenedAnswersGetAll(@TempDir Path dir) {
        SplittableRandom rnd = new SplittableRandom(3);
        byte[][] keys = new byte[200][];
        try (KeyValueStore store = KeyValueStore.open(dir, options("plain"))) {
            for (int i = 0; i < keys.length; i++) {
                keys[i] = ("key-" + i).getBytes();
                if (i % 2 == 0) {
                    store.put(keys[i], value(rnd));
                }
            }
        }
        try (KeyValueStore store = KeyValueStore.open(dir, options("plain"))) { // tables and pages verified lazily
            ValueView[] views = views(keys.length);
            assertEquals(100, store.getAll(keys, views));
            ValueView single = new ValueView();
            for (int i = 0; i < keys.length; i++) {
                assertEquals(i % 2 == 0, views[i].isValid());
                if (store.get(keys[i], single)) {
                    assertArrayEquals(single.toByteArray(), views[i].toByteArray());
                }
            }
        }
    }

    // ------------------------------------------------------------ bad input: a specific exception, no view changed

    /** Runs {@code call} on a store holding "a" with views that hold "a"'s value; the views must still hold it after. */
    private static <T extends Throwable> T refused(Class<T> type, String messagePart, Call call) {
        try (KeyValueStore store = KeyValueStore.create(options("plain"))) {
            store.put("a".getBytes(), "1".getBytes());
            ValueView[] views = views(3);
            store.getAll(new byte[][] {"a".getBytes(), "a".getBytes(), "a".getBytes()}, views);
            T e = assertThrows(type, () -> call.run(store, views));
            if (messagePart != null) {
                assertTrue(e.getMessage() != null && e.getMessage().contains(messagePart), e.getMessage());
            }
            for (ValueView v : views) {
                assertArrayEquals("1".getBytes(), v.toByteArray(), "a view changed by a refused getAll");
            }
            return e;
        }
    }

    @FunctionalInterface
    private interface Call {
        void run(KeyValueStore store, ValueView[] views) throws Exception;
    }

    @Test
    void nullArraysAndElementsAreRefusedByName() {
        byte[] a = "a".getBytes();
        refused(NullPointerException.class, "keys", (s, v) -> s.getAll((byte[][]) null, v));
        refused(NullPointerException.class, "views", (s, v) -> s.getAll(new byte[][] {a}, null));
        refused(NullPointerException.class, "keys[1]", (s, v) -> s.getAll(new byte[][] {a, null, a}, v));
        refused(NullPointerException.class, "views[2]", (s, v) -> s.getAll(new byte[][] {a, a, a},
            new ValueView[] {v[0], v[1], null}));
        refused(NullPointerException.class, "keys[0]", (s, v) -> s.getAll(new MemorySegment[] {null}, new ValueView[] {v[0]}));
        refused(NullPointerException.class, "offsets", (s, v) -> s.getAll(MemorySegment.ofArray(a), null, new int[1], v, 1));
        refused(NullPointerException.class, "lengths", (s, v) -> s.getAll(MemorySegment.ofArray(a), new long[1], null, v, 1));
        refused(NullPointerException.class, "keys", (s, v) -> s.getAll((MemorySegment) null, new long[1], new int[1], v, 1));
    }

    @Test
    void arraysOfTheWrongLengthAreRefused() {
        byte[] a = "a".getBytes();
        refused(IllegalArgumentException.class, "2 keys, 3 views", (s, v) -> s.getAll(new byte[][] {a, a}, v));
        refused(IllegalArgumentException.class, "4 keys, 3 views", (s, v) -> s.getAll(new byte[][] {a, a, a, a}, v, 4));
        refused(IllegalArgumentException.class, "1 keys, 3 views", (s, v) -> s.getAll(new byte[][] {a}, v, 2));
        refused(IllegalArgumentException.class, "a batch of -1 keys", (s, v) -> s.getAll(new byte[][] {a}, v, -1));
        refused(IllegalArgumentException.class, "2 offsets/lengths", (s, v) -> s.getAll(MemorySegment.ofArray(a),
            new long[2], new int[3], v, 3));
        refused(IllegalArgumentException.class, "2 keys, 3 views", (s, v) -> s.getAll(
            new MemorySegment[] {MemorySegment.ofArray(a), MemorySegment.ofArray(a)}, v));
    }

    @Test
    void oversizeKeysAndBadRangesAreRefusedBeforeAnyLookup() {
        byte[] a = "a".getBytes();
        byte[] huge = new byte[KeyValueStore.MAX_KEY_LENGTH + 1];
        refused(IllegalArgumentException.class, "keys[2] of 65537 bytes", (s, v) -> s.getAll(new byte[][] {a, a, huge}, v));
        refused(IllegalArgumentException.class, "keys[1] of 65537 bytes", (s, v) -> s.getAll(
            new MemorySegment[] {MemorySegment.ofArray(a), MemorySegment.ofArray(huge)}, v, 2));
        refused(IllegalArgumentException.class, "keys[1] range", (s, v) -> s.getAll(MemorySegment.ofArray(a),
            new long[] {0, 1}, new int[] {1, 1}, v, 2));
        refused(IllegalArgumentException.class, "keys[0] range", (s, v) -> s.getAll(MemorySegment.ofArray(a),
            new long[] {-1}, new int[] {1}, v, 1));
        refused(IllegalArgumentException.class, "keys[0] range", (s, v) -> s.getAll(MemorySegment.ofArray(a),
            new long[] {0}, new int[] {-1}, v, 1));
        MemorySegment closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = arena.allocate(4);
        }
        MemorySegment dead = closed;
        refused(IllegalArgumentException.class, "keys[1] segment is already closed", (s, v) -> s.getAll(
            new MemorySegment[] {MemorySegment.ofArray(a), dead}, v, 2));
        refused(IllegalArgumentException.class, "keys segment is already closed", (s, v) -> s.getAll(dead,
            new long[] {0}, new int[] {1}, v, 1));
    }

    @Test
    void aSegmentOfAnotherThreadIsRefused() throws Exception {
        AtomicReference<Arena> arena = new AtomicReference<>();
        AtomicReference<MemorySegment> confined = new AtomicReference<>();
        Thread t = new Thread(() -> {
            arena.set(Arena.ofConfined());
            confined.set(arena.get().allocate(4));
        });
        t.start();
        t.join();
        refused(IllegalArgumentException.class, "keys[0] segment is confined to another thread",
            (s, v) -> s.getAll(new MemorySegment[] {confined.get()}, v, 1));
    }

    @Test
    void aClosedStoreRefusesGetAll() {
        KeyValueStore store = KeyValueStore.create(options("plain"));
        store.close();
        ValueView[] views = views(1);
        assertThrows(StoreClosedException.class, () -> store.getAll(new byte[][] {"a".getBytes()}, views));
        assertThrows(StoreClosedException.class, () -> store.getAll(new MemorySegment[] {MemorySegment.ofArray(new byte[1])}, views));
        assertThrows(StoreClosedException.class, () -> store.getAll(MemorySegment.ofArray(new byte[1]), new long[1], new int[] {1},
            views, 1));
        assertThrows(StoreClosedException.class, () -> store.getAll((byte[][]) null, null), "closed comes before null checks");
    }

    @Test
    void anotherThreadIsRefused() throws Exception {
        try (KeyValueStore store = KeyValueStore.create(options("plain"))) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    store.getAll(new byte[][] {"a".getBytes()}, views(1));
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            t.start();
            t.join();
            assertSame(WrongThreadException.class, thrown.get().getClass());
        }
    }

    private static String hex(byte[] b) {
        return java.util.HexFormat.of().formatHex(b);
    }
}
