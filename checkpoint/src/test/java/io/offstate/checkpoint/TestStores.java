package io.offstate.checkpoint;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Map;
import java.util.TreeMap;

import io.offstate.engine.KeyValueStore;

/** Helpers: store contents as a sorted map of hex key to hex value. */
final class TestStores {
    private TestStores() {
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Map<String, String> contents(KeyValueStore store) {
        Map<String, String> m = new TreeMap<>();
        HexFormat hex = HexFormat.of();
        store.forEach((k, v) -> m.put(new String(k.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8),
            hex.formatHex(v.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))));
        return m;
    }

    static Map<String, String> model(Map<String, byte[]> m) {
        Map<String, String> out = new TreeMap<>();
        HexFormat hex = HexFormat.of();
        m.forEach((k, v) -> out.put(k, hex.formatHex(v)));
        return out;
    }

    /** Puts {@code n} keys {@code prefix + i} with values of {@code valueLength} bytes derived from {@code seed}. */
    static void fill(KeyValueStore store, String prefix, int n, int valueLength, int seed) {
        byte[] v = new byte[valueLength];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < valueLength; j++) {
                v[j] = (byte) ((i * 31 + j + seed) % 17 + 'a');
            }
            store.put(b(prefix + i), v);
        }
    }
}
