package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/** Everything a test can observe of a store from outside: size, memory, dictionary and contents. */
record Observed(long size, long memoryUsed, int dictionarySize, Map<String, String> contents) {
    private static final HexFormat HEX = HexFormat.of();

    static Observed of(KeyValueStore store) {
        Map<String, String> contents = new HashMap<>();
        store.forEach((k, v) -> {
            String previous = contents.put(HEX.formatHex(k.toArray(ValueLayout.JAVA_BYTE)), HEX.formatHex(v.toArray(ValueLayout.JAVA_BYTE)));
            assertNull(previous, "forEach visited a key twice");
        });
        assertEquals(store.size(), contents.size(), "forEach visits size() entries");
        return new Observed(store.size(), store.memoryUsed(), store.dictionarySize(), contents);
    }

    /** Asserts {@code store} looks exactly like this observation. */
    void assertSameAs(KeyValueStore store, String when) {
        Observed now = of(store);
        assertEquals(size, now.size, "size " + when);
        assertEquals(memoryUsed, now.memoryUsed, "memoryUsed " + when);
        assertEquals(dictionarySize, now.dictionarySize, "dictionarySize " + when);
        assertEquals(contents, now.contents, "contents " + when);
        // and every key is found by a lookup with its value
        for (Map.Entry<String, String> e : contents.entrySet()) {
            byte[] value = store.getCopy(HEX.parseHex(e.getKey()));
            assertEquals(e.getValue(), value == null ? null : HEX.formatHex(value), "value of " + e.getKey() + " " + when);
        }
    }
}
