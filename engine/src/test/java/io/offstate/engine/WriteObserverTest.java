package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreFullException;

/** The write observer sees every applied change once, with original key bytes, and nothing else. */
class WriteObserverTest {
    /** Records events as readable strings (copies: the sources are flyweights). */
    static class Recorder implements WriteObserver {
        final List<String> events = new ArrayList<>();

        @Override
        public void put(ByteSource key, ByteSource value) {
            events.add("put " + text(key) + "=" + text(value));
        }

        @Override
        public void delete(ByteSource key) {
            events.add("delete " + text(key));
        }

        @Override
        public void restored() {
            events.add("restored");
        }

        @Override
        public void cleared() {
            events.add("cleared");
        }

        private static String text(ByteSource s) {
            return new String(s.toByteArray(), StandardCharsets.UTF_8);
        }
    }

    static StoreOptions options(int kind) {
        StoreOptions.Builder b = StoreOptions.builder().name("observed").hashSeed(7);
        return switch (kind) {
            case 0 -> b.build();
            case 1 -> b.dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|')).build();
            case 2 -> b.sortedIndex(true).build();
            default -> b.sortedIndex(true).dictionaryKeyComponent(KeyComponent.fixedPrefix(2)).build();
        };
    }

    @ParameterizedTest(name = "kind {0}")
    @ValueSource(ints = {0, 1, 2, 3})
    void observerSeesOriginalKeysOfEveryAppliedChangeInOrder(int kind) {
        try (KeyValueStore store = KeyValueStore.create(options(kind))) {
            Recorder r = new Recorder();
            store.observer(r);
            store.put(utf8("t1|a"), utf8("1"));
            store.put(utf8("t1|a"), utf8("22"));                    // overwrite
            store.put(MemorySegment.ofArray(utf8("t2|b")), MemorySegment.ofArray(utf8("3")));
            byte[] framed = utf8("xxt3|cyy");
            store.put(new UnsafeBuffer(framed), 2, 4, new UnsafeBuffer(utf8("4")), 0, 1);
            assertFalse(store.delete(utf8("t9|absent")));            // absent component: no event
            assertFalse(store.delete(utf8("t1|absent")));            // known component, absent key: no event
            assertTrue(store.delete(utf8("t1|a")));
            try (StoreSnapshot snapshot = store.snapshot()) {
                store.put(utf8("t4|d"), utf8("5"));
                store.restore(snapshot);
            }
            store.clear();
            store.put(utf8("t5|e"), utf8(""));
            assertEquals(List.of("put t1|a=1", "put t1|a=22", "put t2|b=3", "put t3|c=4", "delete t1|a",
                "put t4|d=5", "restored", "cleared", "put t5|e="), r.events);
        }
    }

    @Test
    void refusedPutIsNotObservedAndReadsAreNeverObserved() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("tight").pageSize(4096)
            .memoryBudget(64 << 10).hashSeed(3).build())) {
            Recorder r = new Recorder();
            store.observer(r);
            store.put(utf8("k"), utf8("v"));
            assertThrows(StoreFullException.class, () -> store.put(utf8("big"), pattern(200_000, 1)));
            store.get(utf8("k"), new ValueView());
            store.getCopy(utf8("k"));
            store.contains(utf8("k"));
            assertThrows(IllegalArgumentException.class, () -> store.put(new byte[KeyValueStore.MAX_KEY_LENGTH + 1], utf8("v")));
            assertEquals(List.of("put k=v"), r.events);
        }
    }

    @Test
    void removedObserverSeesNothingMore() {
        try (KeyValueStore store = KeyValueStore.create(options(0))) {
            Recorder r = new Recorder();
            store.observer(r);
            store.put(utf8("a"), utf8("1"));
            store.observer(null);
            store.put(utf8("b"), utf8("2"));
            store.delete(utf8("a"));
            assertEquals(List.of("put a=1"), r.events);
        }
    }

    @Test
    void observerThatThrowsLeavesTheChangeAppliedAndReachesTheCaller() {
        try (KeyValueStore store = KeyValueStore.create(options(1))) {
            store.observer(new Recorder() {
                @Override
                public void put(ByteSource key, ByteSource value) {
                    throw new IllegalStateException("sink refused");
                }
            });
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> store.put(utf8("t|k"), utf8("v")));
            assertEquals("sink refused", e.getMessage());
            assertEquals("v", new String(store.getCopy(utf8("t|k")), StandardCharsets.UTF_8));
        }
    }
}
