package io.offstate.engine;

import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.offstate.engine.serde.Serdes;
import io.offstate.engine.serde.TypedStore;
import io.offstate.offheap.KeyComponent;

class TypedStoreTest {
    private KeyValueStore store;

    @BeforeEach
    void open() {
        store = TestData.plainStore();
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void stringToStringGetPutDeleteContains() {
        TypedStore<String, String> typed = TypedStore.of(store, Serdes.UTF8, Serdes.UTF8);
        assertSame(store, typed.store());
        assertNull(typed.get("a"));
        assertFalse(typed.contains("a"));
        typed.put("a", "alpha");
        typed.put("ключ", "значение 😀");
        String longKey = "k".repeat(500); // longer than the initial scratch
        String longValue = "v€".repeat(1000);
        typed.put(longKey, longValue);
        assertEquals("alpha", typed.get("a"));
        assertEquals("значение 😀", typed.get("ключ"));
        assertEquals(longValue, typed.get(longKey));
        assertTrue(typed.contains("a"));
        assertArrayEquals(utf8("alpha"), store.getCopy(utf8("a")), "stored as plain UTF-8");
        typed.put("a", "again");
        assertEquals("again", typed.get("a"));
        assertTrue(typed.delete("a"));
        assertFalse(typed.delete("a"));
        assertNull(typed.get("a"));
        assertEquals(2, store.size());
    }

    @Test
    void longKeysAndValuesIncludingExtremes() {
        TypedStore<Long, Long> typed = TypedStore.of(store, Serdes.LONG, Serdes.LONG);
        long[] values = {Long.MIN_VALUE, -1, 0, 1, Long.MAX_VALUE};
        for (long k : values) {
            typed.put(k, ~k);
        }
        for (long k : values) {
            assertEquals(~k, typed.get(k));
            assertEquals(~k, typed.getLong(k, 42));
            assertEquals(~k, typed.getLong(Long.valueOf(k), 42));
        }
        typed.putLong(7L, -7L);
        assertEquals(-7L, typed.getLong(7L, 0));
        assertEquals(-7L, typed.get(7L));
        assertEquals(99, typed.getLong(8L, 99), "absent: the default");
        assertTrue(typed.deleteLong(7L));
        assertFalse(typed.deleteLong(7L));
        assertFalse(typed.contains(7L));
        assertEquals(values.length, store.size());
    }

    @Test
    void stringToLongCounter() {
        TypedStore<String, Long> counts = TypedStore.of(store, Serdes.UTF8, Serdes.LONG);
        for (int i = 0; i < 1000; i++) {
            String key = "clicks-" + (i % 10);
            counts.putLong(key, counts.getLong(key, 0) + 1);
        }
        for (int i = 0; i < 10; i++) {
            assertEquals(100, counts.getLong("clicks-" + i, -1));
            assertEquals(100L, counts.get("clicks-" + i));
        }
    }

    @Test
    void intValuesThroughPrimitivePaths() {
        TypedStore<String, Integer> ints = TypedStore.of(store, Serdes.UTF8, Serdes.INT);
        ints.putInt("min", Integer.MIN_VALUE);
        ints.putInt("max", Integer.MAX_VALUE);
        ints.put("neg", -5);
        assertEquals(Integer.MIN_VALUE, ints.getInt("min", 0));
        assertEquals(Integer.MAX_VALUE, ints.getInt("max", 0));
        assertEquals(-5, ints.getInt("neg", 0));
        assertEquals(Integer.MAX_VALUE, ints.get("max"));
        assertEquals(17, ints.getInt("absent", 17));
        // a value of the wrong length under this key
        store.put(utf8("bad"), new byte[3]);
        assertThrows(IllegalArgumentException.class, () -> ints.getInt("bad", 0));
        assertThrows(IllegalArgumentException.class, () -> ints.get("bad"));
    }

    @Test
    void bytesValues() {
        TypedStore<String, byte[]> typed = TypedStore.of(store, Serdes.UTF8, Serdes.BYTES);
        typed.put("empty", new byte[0]);
        typed.put("some", new byte[] {1, 2, 3});
        assertArrayEquals(new byte[0], typed.get("empty"));
        assertArrayEquals(new byte[] {1, 2, 3}, typed.get("some"));
    }

    @Test
    void primitiveMethodWithWrongSerdeThrowsIllegalState() {
        TypedStore<String, String> strings = TypedStore.of(store, Serdes.UTF8, Serdes.UTF8);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> strings.getLong("a", 0));
        assertTrue(e.getMessage().contains("LongSerde") && e.getMessage().contains("Utf8Serde"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> strings.putLong("a", 1));
        assertThrows(IllegalStateException.class, () -> strings.getInt("a", 0));
        assertThrows(IllegalStateException.class, () -> strings.putInt("a", 1));
        TypedStore<String, Long> stringKeys = TypedStore.of(store, Serdes.UTF8, Serdes.LONG);
        assertThrows(IllegalStateException.class, () -> stringKeys.getInt("a", 0));
        // the long-key paths need a LONG key serde
        TypedStore<Integer, Long> intKeys = TypedStore.of(store, Serdes.INT, Serdes.LONG);
        assertThrows(IllegalStateException.class, () -> intKeys.putLong(1L, 1L));
        assertThrows(IllegalStateException.class, () -> intKeys.getLong(1L, 0L));
        assertThrows(IllegalStateException.class, () -> intKeys.deleteLong(1L));
        assertEquals(0, store.size(), "nothing was written");
    }

    @Test
    void badTypedInputIsRejected() {
        TypedStore<String, String> typed = TypedStore.of(store, Serdes.UTF8, Serdes.UTF8);
        assertThrows(NullPointerException.class, () -> typed.put(null, "v"));
        assertThrows(NullPointerException.class, () -> typed.put("k", null));
        assertThrows(NullPointerException.class, () -> typed.get(null));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> typed.put("x".repeat(KeyValueStore.MAX_KEY_LENGTH + 1), "v"));
        assertTrue(e.getMessage().contains(String.valueOf(KeyValueStore.MAX_KEY_LENGTH)), e.getMessage());
        typed.put("x".repeat(KeyValueStore.MAX_KEY_LENGTH), "max");
        assertEquals("max", typed.get("x".repeat(KeyValueStore.MAX_KEY_LENGTH)));
        assertThrows(NullPointerException.class, () -> TypedStore.of(null, Serdes.UTF8, Serdes.UTF8));
        assertThrows(NullPointerException.class, () -> TypedStore.of(store, null, Serdes.UTF8));
        assertThrows(NullPointerException.class, () -> TypedStore.of(store, Serdes.UTF8, null));
        assertEquals(1, store.size());
    }

    @Test
    void typedStoreOverDictionaryStore() {
        try (KeyValueStore dict = KeyValueStore.create(StoreOptions.builder()
                .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|')).build())) {
            TypedStore<String, Long> typed = TypedStore.of(dict, Serdes.UTF8, Serdes.LONG);
            for (int i = 0; i < 100; i++) {
                typed.putLong("tenant-" + (i % 3) + "|" + i, i);
            }
            assertEquals(3, dict.dictionarySize());
            for (int i = 0; i < 100; i++) {
                assertEquals(i, typed.getLong("tenant-" + (i % 3) + "|" + i, -1));
            }
            assertEquals(-1, typed.getLong("tenant-9|1", -1));
            assertEquals(3, dict.dictionarySize());
        }
    }
}
