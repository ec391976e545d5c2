package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offstate.offheap.KeyComponent;

/** The limits themselves are accepted: 64 KiB keys, 64 MiB values, empty keys and values. */
class StoreLimitsTest {
    private final ValueView view = new ValueView();

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {false, true})
    void keyOfExactlyMaxKeyLengthRoundTripsThroughEveryOverload(boolean dictionary) {
        try (KeyValueStore store = TestData.store(dictionary)) {
            store.put(utf8("a|b"), utf8("small first"));
            byte[] key = pattern(KeyValueStore.MAX_KEY_LENGTH, 1);
            key[100] = '|';
            byte[] value = utf8("max key");
            store.put(key, value);
            assertArrayEquals(value, store.getCopy(key));
            assertArrayEquals(value, store.getCopy(MemorySegment.ofArray(key)));
            byte[] padded = new byte[key.length + 5];
            System.arraycopy(key, 0, padded, 5, key.length);
            assertTrue(store.get(MemorySegment.ofArray(padded), 5, key.length, view));
            assertTrue(view.contentEquals(value));
            assertTrue(store.get(new UnsafeBuffer(padded), 5, key.length, view));
            assertTrue(view.contentEquals(value));
            byte[] other = key.clone();
            other[key.length - 1] ^= 1;
            assertFalse(store.contains(other), "a key differing in its last byte is another key");
            int[] visits = {0};
            store.forEach((k, v) -> {
                if (k.byteSize() == key.length) {
                    visits[0]++;
                    assertEquals(-1, k.mismatch(MemorySegment.ofArray(key)));
                }
            });
            assertEquals(1, visits[0]);
            assertTrue(store.delete(key));
            assertFalse(store.contains(key));
        }
    }

    @Test
    void valueOfExactlyMaxValueLengthRoundTrips() {
        try (KeyValueStore store = TestData.plainStore()) {
            store.put(utf8("small"), utf8("first"));
            byte[] value = pattern(KeyValueStore.MAX_VALUE_LENGTH, 2);
            byte[] key = utf8("huge");
            long before = store.memoryUsed();
            store.put(key, value);
            assertTrue(store.memoryUsed() - before >= KeyValueStore.MAX_VALUE_LENGTH, "the value is counted");
            assertTrue(store.get(key, view));
            assertEquals(KeyValueStore.MAX_VALUE_LENGTH, view.length());
            assertTrue(view.contentEquals(value));
            assertEquals(value[KeyValueStore.MAX_VALUE_LENGTH - 1], view.getByte(KeyValueStore.MAX_VALUE_LENGTH - 1));
            assertArrayEquals(value, store.getCopy(key));
            // also through the segment overload, replacing it
            value[0] ^= 1;
            store.put(MemorySegment.ofArray(key), MemorySegment.ofArray(value));
            assertTrue(store.get(key, view));
            assertTrue(view.contentEquals(value));
            assertTrue(store.delete(key));
            assertEquals(before, store.memoryUsed(), "a large value's memory is released on delete");
        }
    }

    @Test
    void largeValueAsTheVeryFirstEntryIsFindable() {
        // The first allocation of a fresh store; a value above a quarter page gets its own segment.
        try (KeyValueStore store = TestData.plainStore()) {
            byte[] value = pattern(300_000, 4);
            store.put(utf8("first"), value);
            assertEquals(1, store.size());
            assertTrue(store.contains(utf8("first")), "contains the first entry");
            assertArrayEquals(value, store.getCopy(utf8("first")));
            int[] visits = {0};
            store.forEach((k, v) -> visits[0]++);
            assertEquals(1, visits[0]);
        }
    }

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {false, true})
    void emptyKeyAndEmptyValueRoundTrip(boolean dictionary) {
        try (KeyValueStore store = TestData.store(dictionary)) {
            store.put(utf8("k|1"), new byte[0]);
            store.put(new byte[0], utf8("value of the empty key"));
            assertEquals(2, store.size());
            assertArrayEquals(new byte[0], store.getCopy(utf8("k|1")));
            assertTrue(store.get(utf8("k|1"), view));
            assertEquals(0, view.length());
            assertArrayEquals(new byte[0], view.toByteArray());
            assertArrayEquals(utf8("value of the empty key"), store.getCopy(new byte[0]));
            assertArrayEquals(utf8("value of the empty key"), store.getCopy(MemorySegment.ofArray(new byte[0])));
            assertTrue(store.contains(MemorySegment.ofArray(new byte[3]), 3, 0));
            store.put(new byte[0], new byte[0]);
            assertArrayEquals(new byte[0], store.getCopy(new byte[0]));
            assertTrue(store.delete(new byte[0]));
            assertFalse(store.contains(new byte[0]));
            assertEquals(1, store.size());
        }
    }

    @Test
    void fixedPrefixStoreHandlesKeysShorterThanThePrefixAndEmptyKeys() {
        StoreOptions options = StoreOptions.builder().dictionaryKeyComponent(KeyComponent.fixedPrefix(4)).build();
        try (KeyValueStore store = KeyValueStore.create(options)) {
            store.put(new byte[0], utf8("e"));
            store.put(utf8("ab"), utf8("short"));
            store.put(utf8("abcd"), utf8("exact"));
            store.put(utf8("abcdef"), utf8("long"));
            assertArrayEquals(utf8("e"), store.getCopy(new byte[0]));
            assertArrayEquals(utf8("short"), store.getCopy(utf8("ab")));
            assertArrayEquals(utf8("exact"), store.getCopy(utf8("abcd")));
            assertArrayEquals(utf8("long"), store.getCopy(utf8("abcdef")));
            assertEquals(4, store.size());
            assertEquals(3, store.dictionarySize(), "components '', 'ab', 'abcd'");
        }
    }
}
