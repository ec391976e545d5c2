package io.offstate.engine;

import java.nio.charset.StandardCharsets;

import io.offstate.offheap.KeyComponent;

final class TestData {
    private TestData() {
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String string(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }

    static byte[] pattern(int length, int seed) {
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (i * 31 + seed * 17 + (i >>> 8));
        }
        return b;
    }

    /** A plain store with a fixed seed. */
    static KeyValueStore plainStore() {
        return KeyValueStore.create(StoreOptions.builder().name("plain").hashSeed(1).build());
    }

    /** A dictionary store (component: bytes before '|') with a fixed seed. */
    static KeyValueStore dictionaryStore() {
        return KeyValueStore.create(StoreOptions.builder().name("dict").hashSeed(2)
            .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|')).build());
    }

    static KeyValueStore store(boolean dictionary) {
        return dictionary ? dictionaryStore() : plainStore();
    }

    /** Puts some entries of varied sizes (one large) whose keys all have components. */
    static void populate(KeyValueStore store) {
        for (int i = 0; i < 200; i++) {
            store.put(utf8("t" + (i % 5) + "|key-" + i), pattern(i % 50, i));
        }
        store.put(utf8("big|value"), pattern(600_000, 3)); // larger than a quarter of a 1 MiB page
        store.put(utf8(""), utf8("empty key"));
    }
}
