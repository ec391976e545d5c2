package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;
import java.util.ConcurrentModificationException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class ForEachTest {
    private static final HexFormat HEX = HexFormat.of();

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {false, true})
    void visitsEveryEntryExactlyOnceEvenDuringIndexGrowth(boolean dictionary) {
        try (KeyValueStore store = TestData.store(dictionary)) {
            Map<String, String> expected = new HashMap<>();
            for (int i = 0; i < 20_000; i++) {
                byte[] key = utf8("g" + (i % 9) + "|" + i);
                byte[] value = pattern(i % 40, i);
                store.put(key, value);
                expected.put(HEX.formatHex(key), HEX.formatHex(value));
                if (i % 2_500 == 0 || i == 19_999) {
                    Map<String, String> seen = new HashMap<>();
                    store.forEach((k, v) -> {
                        assertTrue(k.isReadOnly() && v.isReadOnly(), "read-only segments");
                        assertNull(seen.put(HEX.formatHex(k.toArray(ValueLayout.JAVA_BYTE)), HEX.formatHex(v.toArray(ValueLayout.JAVA_BYTE))),
                            "visited twice");
                    });
                    assertEquals(expected, seen, "after " + (i + 1) + " puts");
                }
            }
        }
    }

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {false, true})
    void writingInsideTheVisitorThrowsConcurrentModification(boolean dictionary) {
        try (KeyValueStore store = TestData.store(dictionary)) {
            TestData.populate(store);
            assertThrows(ConcurrentModificationException.class, () -> store.forEach((k, v) -> store.put(utf8("x|new"), utf8("v"))));
            assertThrows(ConcurrentModificationException.class, () -> store.forEach((k, v) -> store.delete(utf8("t1|key-1"))));
            try (StoreSnapshot snapshot = store.snapshot()) {
                assertThrows(ConcurrentModificationException.class, () -> store.forEach((k, v) -> store.restore(snapshot)));
            }
            int[] calls = {0};
            ConcurrentModificationException e = assertThrows(ConcurrentModificationException.class,
                () -> store.forEach((k, v) -> {
                    calls[0]++;
                    store.put(utf8("t2|key-2"), utf8("changed"));
                }));
            assertEquals(1, calls[0], "iteration stops at the first write");
            assertTrue(e.getMessage().contains(dictionary ? "dict" : "plain"), e.getMessage());
        }
    }

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {false, true})
    void readsInsideTheVisitorAreAllowed(boolean dictionary) {
        try (KeyValueStore store = TestData.store(dictionary)) {
            TestData.populate(store);
            ValueView view = new ValueView();
            int[] visits = {0};
            store.forEach((k, v) -> {
                visits[0]++;
                assertTrue(store.get(k, view), "each visited key is found");
                assertEquals(-1, view.segment().mismatch(v));
            });
            assertEquals(store.size(), visits[0]);
        }
    }

    @ParameterizedTest(name = "dictionary {0}")
    @ValueSource(booleans = {false, true})
    void emptyStoreIsNeverVisited(boolean dictionary) {
        try (KeyValueStore store = TestData.store(dictionary)) {
            store.put(utf8("a|1"), utf8("x"));
            store.delete(utf8("a|1"));
            store.forEach((k, v) -> {
                throw new AssertionError("visited an entry of an empty store");
            });
            assertArrayEquals(null, store.getCopy(utf8("a|1")));
        }
    }
}
