package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.offstate.offheap.KeyComponent;

class KeyValueStoreTest {
    private final ValueView view = new ValueView();

    @Test
    void getReturnsLastPutValue() {
        try (KeyValueStore store = TestData.plainStore()) {
            byte[] key = utf8("k");
            int[] sizes = {0, 1, 8, 100, 101, 1000, 300_000, 5, 300_008, 300_000, 2};
            for (int i = 0; i < sizes.length; i++) {
                byte[] value = pattern(sizes[i], i);
                store.put(key, value);
                assertTrue(store.get(key, view));
                assertTrue(view.contentEquals(value), "after put of " + sizes[i] + " bytes");
                assertArrayEquals(value, store.getCopy(key));
                assertEquals(1, store.size());
            }
        }
    }

    @Test
    void deleteRemovesOnlyThatKeyAndReportsWhetherItWasPresent() {
        try (KeyValueStore store = TestData.plainStore()) {
            store.put(utf8("a"), utf8("1"));
            store.put(utf8("b"), utf8("2"));
            assertTrue(store.delete(utf8("a")));
            assertFalse(store.delete(utf8("a")));
            assertFalse(store.contains(utf8("a")));
            assertNull(store.getCopy(utf8("a")));
            assertFalse(store.get(utf8("a"), view));
            assertArrayEquals(utf8("2"), store.getCopy(utf8("b")));
            assertEquals(1, store.size());
        }
    }

    @Test
    void everyKeyOverloadAddressesTheSameEntry() {
        try (KeyValueStore store = TestData.plainStore(); Arena arena = Arena.ofConfined()) {
            byte[] key = utf8("a-key-of-some-length-1234567");
            byte[] padded = new byte[key.length + 7];
            System.arraycopy(key, 0, padded, 3, key.length);
            MemorySegment nativeKey = arena.allocate(padded.length);
            MemorySegment.copy(padded, 0, nativeKey, ValueLayout.JAVA_BYTE, 0, padded.length);
            ByteBuffer directKey = ByteBuffer.allocateDirect(padded.length).put(0, padded);

            store.put(nativeKey, 3, key.length, MemorySegment.ofArray(utf8("v1")), 0, 2);
            assertArrayEquals(utf8("v1"), store.getCopy(key));
            assertTrue(store.contains(MemorySegment.ofArray(key)));
            assertTrue(store.contains(MemorySegment.ofArray(padded), 3, key.length));
            assertTrue(store.contains(new UnsafeBuffer(padded), 3, key.length));
            assertTrue(store.contains(new UnsafeBuffer(padded, 3, key.length), 0, key.length));
            assertTrue(store.contains(new UnsafeBuffer(directKey), 3, key.length));
            assertTrue(store.get(new UnsafeBuffer(directKey), 3, key.length, view));
            assertTrue(view.contentEquals(utf8("v1")));
            assertArrayEquals(utf8("v1"), store.getCopy(nativeKey.asSlice(3, key.length)));

            // values from every source kind, heap and off-heap, at offsets
            store.put(new UnsafeBuffer(padded, 3, key.length), 0, key.length, new UnsafeBuffer(utf8("xxv2")), 2, 2);
            assertArrayEquals(utf8("v2"), store.getCopy(key));
            ByteBuffer directValue = ByteBuffer.allocateDirect(40).put(5, pattern(30, 9));
            store.put(new UnsafeBuffer(padded), 3, key.length, new UnsafeBuffer(directValue), 5, 30);
            assertArrayEquals(pattern(30, 9), store.getCopy(key));
            store.put(MemorySegment.ofArray(key), nativeKey.asSlice(3, 20));
            assertArrayEquals(java.util.Arrays.copyOfRange(padded, 3, 23), store.getCopy(key));
            assertEquals(1, store.size());

            assertTrue(store.delete(new UnsafeBuffer(directKey), 3, key.length));
            assertEquals(0, store.size());
        }
    }

    @Test
    void valueTakenFromTheStoresOwnMemoryCanBePutBack() {
        try (KeyValueStore store = TestData.plainStore()) {
            byte[] a = utf8("a");
            store.put(a, pattern(3000, 1));
            assertTrue(store.get(a, view));
            // copy a's value to b straight from the store's memory
            store.put(MemorySegment.ofArray(utf8("b")), view.segment());
            assertArrayEquals(pattern(3000, 1), store.getCopy(utf8("b")));
            // overwrite a with a shifted slice of its own value (same size class above 1 KiB: in place)
            assertTrue(store.get(a, view));
            MemorySegment own = view.segment();
            store.put(MemorySegment.ofArray(a), 0, 1, own, 1, 2999);
            assertArrayEquals(java.util.Arrays.copyOfRange(pattern(3000, 1), 1, 3000), store.getCopy(a));
        }
    }

    /** Random operations checked against a HashMap, for each store configuration. */
    @ParameterizedTest(name = "page {0}, dictionary {1}, fingerprint bits {2}")
    @CsvSource({
        "1048576, none, 12",
        "4096, none, 12",
        "4096, delimiter, 12",
        "65536, prefix, 0",
        "4096, none, 0",
    })
    void randomOperationsMatchAHashMapModel(int pageSize, String dictionary, int fingerprintBits) {
        StoreOptions.Builder options = StoreOptions.builder().pageSize(pageSize).expectedEntries(16).hashSeed(pageSize)
            .fingerprintBitsForTesting(fingerprintBits);
        if (dictionary.equals("delimiter")) {
            options.dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'));
        } else if (dictionary.equals("prefix")) {
            options.dictionaryKeyComponent(KeyComponent.fixedPrefix(3));
        }
        HexFormat hex = HexFormat.of();
        Map<String, byte[]> model = new HashMap<>();
        SplittableRandom random = new SplittableRandom(pageSize + fingerprintBits + dictionary.hashCode());
        try (KeyValueStore store = KeyValueStore.create(options.build())) {
            int ops = fingerprintBits == 0 ? 6_000 : 30_000;
            for (int op = 0; op < ops; op++) {
                int k = random.nextInt(3_000);
                byte[] key = utf8("c" + (k % 11) + "|" + k);
                int what = random.nextInt(10);
                if (what < 5) {
                    int size = random.nextInt(50) == 0 ? 2_000 + random.nextInt(5_000) : random.nextInt(120);
                    byte[] value = pattern(size, op);
                    store.put(key, value);
                    model.put(hex.formatHex(key), value);
                } else if (what < 7) {
                    assertEquals(model.remove(hex.formatHex(key)) != null, store.delete(key), "delete " + k);
                } else {
                    byte[] expected = model.get(hex.formatHex(key));
                    assertEquals(expected != null, store.get(key, view), "get " + k);
                    if (expected != null) {
                        assertTrue(view.contentEquals(expected), "value of " + k);
                    }
                }
                assertEquals(model.size(), store.size());
            }
            Map<String, String> expected = new HashMap<>();
            model.forEach((k, v) -> expected.put(k, hex.formatHex(v)));
            assertEquals(expected, Observed.of(store).contents());
            // deleting everything returns the memory of entries to the free lists; large ones to the OS
            for (String key : model.keySet()) {
                assertTrue(store.delete(hex.parseHex(key)));
            }
            assertEquals(0, store.size());
        }
    }
}
