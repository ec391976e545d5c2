package io.offstate.engine;

import static io.offstate.engine.TestData.populate;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * Bad input throws a specific exception whose message names the problem or limit, and leaves the
 * store unchanged. Runs against a dictionary store so that the key is split before it is checked
 * nowhere (validation must come first).
 */
class StoreInputValidationTest {
    private static final int MAX_KEY = KeyValueStore.MAX_KEY_LENGTH;
    private static final int MAX_VALUE = KeyValueStore.MAX_VALUE_LENGTH;
    /** One array of MAX_VALUE + 1 bytes shared by the tests (64 MiB). */
    private static byte[] hugeValue;

    private KeyValueStore store;
    private Observed before;
    private final ValueView view = new ValueView();

    @BeforeEach
    void populateStore() {
        store = TestData.dictionaryStore();
        populate(store);
        before = Observed.of(store);
    }

    @AfterEach
    void closeStore() {
        store.close();
    }

    private static byte[] hugeValue() {
        if (hugeValue == null) {
            hugeValue = new byte[MAX_VALUE + 1];
        }
        return hugeValue;
    }

    private <T extends Throwable> T assertRejected(Class<T> type, Executable call, String... messageParts) {
        T e = assertThrows(type, call);
        assertEquals(type, e.getClass(), "exactly " + type.getSimpleName());
        for (String part : messageParts) {
            assertTrue(e.getMessage() != null && e.getMessage().contains(part),
                "message '" + e.getMessage() + "' names '" + part + "'");
        }
        before.assertSameAs(store, "after rejected call");
        return e;
    }

    // ---------------------------------------------------------------- null

    @Test
    void nullKeyThrowsNullPointerExceptionNamingTheKey() {
        MemorySegment value = MemorySegment.ofArray(new byte[1]);
        DirectBuffer buffer = new UnsafeBuffer(new byte[1]);
        assertRejected(NullPointerException.class, () -> store.get((byte[]) null, view), "key");
        assertRejected(NullPointerException.class, () -> store.get((MemorySegment) null, view), "key");
        assertRejected(NullPointerException.class, () -> store.get((MemorySegment) null, 0, 0, view), "key");
        assertRejected(NullPointerException.class, () -> store.get((DirectBuffer) null, 0, 0, view), "key");
        assertRejected(NullPointerException.class, () -> store.getCopy((byte[]) null), "key");
        assertRejected(NullPointerException.class, () -> store.getCopy((MemorySegment) null), "key");
        assertRejected(NullPointerException.class, () -> store.contains((byte[]) null), "key");
        assertRejected(NullPointerException.class, () -> store.contains((MemorySegment) null), "key");
        assertRejected(NullPointerException.class, () -> store.contains((MemorySegment) null, 0, 0), "key");
        assertRejected(NullPointerException.class, () -> store.contains((DirectBuffer) null, 0, 0), "key");
        assertRejected(NullPointerException.class, () -> store.put((byte[]) null, new byte[1]), "key");
        assertRejected(NullPointerException.class, () -> store.put((MemorySegment) null, value), "key");
        assertRejected(NullPointerException.class, () -> store.put(null, 0, 0, value, 0, 1), "key");
        assertRejected(NullPointerException.class, () -> store.put(null, 0, 0, buffer, 0, 1), "key");
        assertRejected(NullPointerException.class, () -> store.delete((byte[]) null), "key");
        assertRejected(NullPointerException.class, () -> store.delete((MemorySegment) null), "key");
        assertRejected(NullPointerException.class, () -> store.delete((MemorySegment) null, 0, 0), "key");
        assertRejected(NullPointerException.class, () -> store.delete((DirectBuffer) null, 0, 0), "key");
    }

    @Test
    void nullValueThrowsNullPointerExceptionNamingTheValue() {
        byte[] key = utf8("t1|key-1");
        MemorySegment keySegment = MemorySegment.ofArray(key);
        assertRejected(NullPointerException.class, () -> store.put(key, null), "value");
        assertRejected(NullPointerException.class, () -> store.put(keySegment, null), "value");
        assertRejected(NullPointerException.class, () -> store.put(keySegment, 0, key.length, null, 0, 0), "value");
        assertRejected(NullPointerException.class, () -> store.put(new UnsafeBuffer(key), 0, key.length, null, 0, 0), "value");
    }

    @Test
    void nullViewOptionsSnapshotAndVisitorThrowNullPointerException() {
        byte[] key = utf8("t1|key-1");
        assertRejected(NullPointerException.class, () -> store.get(key, null), "view");
        assertRejected(NullPointerException.class, () -> store.get(MemorySegment.ofArray(key), null), "view");
        assertRejected(NullPointerException.class, () -> store.get(MemorySegment.ofArray(key), 0, key.length, null), "view");
        assertRejected(NullPointerException.class, () -> store.get(new UnsafeBuffer(key), 0, key.length, null), "view");
        assertRejected(NullPointerException.class, () -> store.restore(null), "snapshot");
        assertRejected(NullPointerException.class, () -> store.forEach(null), "visitor");
        NullPointerException e = assertThrows(NullPointerException.class, () -> KeyValueStore.create(null));
        assertEquals("options", e.getMessage());
    }

    // ---------------------------------------------------------------- too long

    @Test
    void keyOneByteOverTheLimitIsRejectedByEveryOverload() {
        byte[] key = new byte[MAX_KEY + 1];
        MemorySegment segment = MemorySegment.ofArray(key);
        MemorySegment padded = MemorySegment.ofArray(new byte[MAX_KEY + 10]);
        DirectBuffer buffer = new UnsafeBuffer(new byte[MAX_KEY + 10]);
        byte[] value = utf8("v");
        String[] limit = {"key", String.valueOf(MAX_KEY), String.valueOf(MAX_KEY + 1)};
        assertRejected(IllegalArgumentException.class, () -> store.put(key, value), limit);
        assertRejected(IllegalArgumentException.class, () -> store.put(segment, MemorySegment.ofArray(value)), limit);
        assertRejected(IllegalArgumentException.class, () -> store.put(padded, 3, MAX_KEY + 1, MemorySegment.ofArray(value), 0, 1), limit);
        assertRejected(IllegalArgumentException.class, () -> store.put(buffer, 3, MAX_KEY + 1, new UnsafeBuffer(value), 0, 1), limit);
        assertRejected(IllegalArgumentException.class, () -> store.get(key, view), limit);
        assertRejected(IllegalArgumentException.class, () -> store.get(segment, view), limit);
        assertRejected(IllegalArgumentException.class, () -> store.get(padded, 1, MAX_KEY + 1, view), limit);
        assertRejected(IllegalArgumentException.class, () -> store.get(buffer, 1, MAX_KEY + 1, view), limit);
        assertRejected(IllegalArgumentException.class, () -> store.getCopy(key), limit);
        assertRejected(IllegalArgumentException.class, () -> store.getCopy(segment), limit);
        assertRejected(IllegalArgumentException.class, () -> store.contains(key), limit);
        assertRejected(IllegalArgumentException.class, () -> store.contains(segment), limit);
        assertRejected(IllegalArgumentException.class, () -> store.contains(padded, 0, MAX_KEY + 1), limit);
        assertRejected(IllegalArgumentException.class, () -> store.contains(buffer, 0, MAX_KEY + 1), limit);
        assertRejected(IllegalArgumentException.class, () -> store.delete(key), limit);
        assertRejected(IllegalArgumentException.class, () -> store.delete(segment), limit);
        assertRejected(IllegalArgumentException.class, () -> store.delete(padded, 0, MAX_KEY + 1), limit);
        assertRejected(IllegalArgumentException.class, () -> store.delete(buffer, 0, MAX_KEY + 1), limit);
    }

    @Test
    void valueOneByteOverTheLimitIsRejectedByEveryPutOverload() {
        byte[] key = utf8("t1|key-1"); // an existing key: a refused overwrite must keep the old value
        byte[] huge = hugeValue();
        String[] limit = {"value", String.valueOf(MAX_VALUE), String.valueOf(MAX_VALUE + 1)};
        assertRejected(IllegalArgumentException.class, () -> store.put(key, huge), limit);
        assertRejected(IllegalArgumentException.class, () -> store.put(MemorySegment.ofArray(key), MemorySegment.ofArray(huge)), limit);
        assertRejected(IllegalArgumentException.class,
            () -> store.put(MemorySegment.ofArray(key), 0, key.length, MemorySegment.ofArray(huge), 0, MAX_VALUE + 1), limit);
        assertRejected(IllegalArgumentException.class,
            () -> store.put(new UnsafeBuffer(key), 0, key.length, new UnsafeBuffer(huge), 0, MAX_VALUE + 1), limit);
        // a new key too: nothing may be added
        byte[] newKey = utf8("new-component|k");
        assertRejected(IllegalArgumentException.class, () -> store.put(newKey, huge), limit);
    }

    // ---------------------------------------------------------------- ranges

    @Test
    void badSegmentRangesAreRejectedNamingTheRangeAndTheSegmentSize() {
        MemorySegment key = MemorySegment.ofArray(utf8("t1|key-1xx")); // 10 bytes
        MemorySegment value = MemorySegment.ofArray(new byte[10]);
        long[][] badRanges = {{-1, 4}, {0, -1}, {7, 4}, {11, 0}, {Long.MAX_VALUE, 1}, {Long.MIN_VALUE, 0}, {1, Integer.MIN_VALUE}};
        for (long[] r : badRanges) {
            long offset = r[0];
            int length = (int) r[1];
            String[] parts = {"offset " + offset, "length " + length, "10 bytes"};
            assertRejected(IllegalArgumentException.class, () -> store.get(key, offset, length, view), parts);
            assertRejected(IllegalArgumentException.class, () -> store.contains(key, offset, length), parts);
            assertRejected(IllegalArgumentException.class, () -> store.delete(key, offset, length), parts);
            assertRejected(IllegalArgumentException.class, () -> store.put(key, offset, length, value, 0, 1), parts);
            assertRejected(IllegalArgumentException.class, () -> store.put(key, 0, 8, value, offset, length), parts);
        }
        // the largest good ranges are accepted
        store.put(key, 0, 8, value, 0, 10);
        assertTrue(store.contains(key, 0, 8));
        assertTrue(store.get(key, 0, 8, view));
        assertEquals(10, view.length());
        assertEquals(10, store.getCopy(utf8("t1|key-1")).length);
    }

    @Test
    void badBufferRangesAreRejectedNamingTheRangeAndTheBufferSize() {
        DirectBuffer key = new UnsafeBuffer(utf8("t1|key-1xx")); // 10 bytes
        DirectBuffer value = new UnsafeBuffer(new byte[10]);
        int[][] badRanges = {{-1, 4}, {0, -1}, {7, 4}, {11, 0}, {Integer.MAX_VALUE, 1}, {Integer.MIN_VALUE, 0}, {1, Integer.MIN_VALUE}};
        for (int[] r : badRanges) {
            int offset = r[0];
            int length = r[1];
            String[] parts = {"offset " + offset, "length " + length, "10 bytes"};
            assertRejected(IllegalArgumentException.class, () -> store.get(key, offset, length, view), parts);
            assertRejected(IllegalArgumentException.class, () -> store.contains(key, offset, length), parts);
            assertRejected(IllegalArgumentException.class, () -> store.delete(key, offset, length), parts);
            assertRejected(IllegalArgumentException.class, () -> store.put(key, offset, length, value, 0, 1), parts);
            assertRejected(IllegalArgumentException.class, () -> store.put(key, 0, 8, value, offset, length), parts);
        }
        store.put(key, 0, 8, value, 0, 10);
        assertEquals(10, store.getCopy(utf8("t1|key-1")).length);
    }

    // ---------------------------------------------------------------- closed segments

    @Test
    void closedSegmentAsKeyOrValueIsRejected() {
        MemorySegment closed;
        try (Arena arena = Arena.ofConfined()) {
            closed = arena.allocate(8);
        }
        MemorySegment live = MemorySegment.ofArray(utf8("t1|key-1"));
        assertRejected(IllegalArgumentException.class, () -> store.get(closed, view), "key", "closed");
        assertRejected(IllegalArgumentException.class, () -> store.get(closed, 0, 4, view), "key", "closed");
        assertRejected(IllegalArgumentException.class, () -> store.getCopy(closed), "key", "closed");
        assertRejected(IllegalArgumentException.class, () -> store.contains(closed), "key", "closed");
        assertRejected(IllegalArgumentException.class, () -> store.contains(closed, 0, 4), "key", "closed");
        assertRejected(IllegalArgumentException.class, () -> store.delete(closed), "key", "closed");
        assertRejected(IllegalArgumentException.class, () -> store.delete(closed, 0, 4), "key", "closed");
        assertRejected(IllegalArgumentException.class, () -> store.put(closed, live), "key", "closed");
        assertRejected(IllegalArgumentException.class, () -> store.put(closed, 0, 4, live, 0, 4), "key", "closed");
        assertRejected(IllegalArgumentException.class, () -> store.put(live, closed), "value", "closed");
        assertRejected(IllegalArgumentException.class, () -> store.put(live, 0, 8, closed, 0, 4), "value", "closed");
    }

    @Test
    void segmentConfinedToAnotherThreadIsRejectedAndLeavesStoreUnchanged() throws Exception {
        java.util.concurrent.CompletableFuture<Arena> arenaFuture = new java.util.concurrent.CompletableFuture<>();
        java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicReference<MemorySegment> segmentRef = new java.util.concurrent.atomic.AtomicReference<>();
        Thread owner = new Thread(() -> {
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment s = arena.allocate(2000);
                s.fill((byte) 7);
                segmentRef.set(s);
                arenaFuture.complete(arena);
                done.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        owner.start();
        try {
            arenaFuture.get();
            MemorySegment foreign = segmentRef.get(); // alive, but confined to the owner thread
            byte[] existing = utf8("t1|key-1");
            MemorySegment existingKey = MemorySegment.ofArray(existing);
            // as a value: a new key, an overwrite in place (same size class) and an overwrite that moves
            int sameClass = store.getCopy(existing).length;
            for (Executable call : new Executable[] {
                () -> store.put(MemorySegment.ofArray(utf8("t1|new-key")), foreign),
                () -> store.put(existingKey, 0, existing.length, foreign, 0, sameClass),
                () -> store.put(existingKey, 0, existing.length, foreign, 0, 1500),
                () -> store.get(foreign, view),
                () -> store.put(foreign, 0, 10, MemorySegment.ofArray(new byte[3]), 0, 3),
            }) {
                RuntimeException e = assertThrows(RuntimeException.class, call);
                assertTrue(e instanceof IllegalArgumentException || e instanceof WrongThreadException, e.toString());
                before.assertSameAs(store, "after a call with a segment of another thread: " + e);
            }
        } finally {
            done.countDown();
            owner.join();
        }
    }

    @Test
    void segmentOfAnotherThreadAsValueNeedingANewPageLeavesMemoryUsedUnchanged() throws Exception {
        try (KeyValueStore small = KeyValueStore.create(StoreOptions.builder().pageSize(4096).expectedEntries(16).build())) {
            // four 1005-byte entries fill page 0 (4096 - 8 reserved bytes); a fifth needs a new page
            for (int i = 0; i < 4; i++) {
                small.put(utf8("k" + i), new byte[1000]);
            }
            Observed full = Observed.of(small);
            java.util.concurrent.CountDownLatch ready = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.CountDownLatch done = new java.util.concurrent.CountDownLatch(1);
            java.util.concurrent.atomic.AtomicReference<MemorySegment> segmentRef = new java.util.concurrent.atomic.AtomicReference<>();
            Thread owner = new Thread(() -> {
                try (Arena arena = Arena.ofConfined()) {
                    segmentRef.set(arena.allocate(1000));
                    ready.countDown();
                    done.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
            owner.start();
            try {
                ready.await();
                RuntimeException e = assertThrows(RuntimeException.class,
                    () -> small.put(MemorySegment.ofArray(utf8("k4")), segmentRef.get()));
                assertTrue(e instanceof IllegalArgumentException || e instanceof WrongThreadException, e.toString());
                full.assertSameAs(small, "after a put whose value belongs to another thread");
            } finally {
                done.countDown();
                owner.join();
            }
        }
    }

    // ---------------------------------------------------------------- options

    @Test
    void invalidOptionsAreRejectedNamingTheLimit() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StoreOptions.builder().pageSize(3000));
        assertTrue(e.getMessage().contains("4096") && e.getMessage().contains("3000"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> StoreOptions.builder().pageSize(2048));
        assertThrows(IllegalArgumentException.class, () -> StoreOptions.builder().pageSize(Integer.MIN_VALUE));
        assertThrows(IllegalArgumentException.class, () -> StoreOptions.builder().memoryBudget(0));
        assertThrows(IllegalArgumentException.class, () -> StoreOptions.builder().expectedEntries(-1));
        assertThrows(IllegalArgumentException.class, () -> StoreOptions.builder().maxDictionaryCodes(0));
        assertThrows(IllegalArgumentException.class, () -> StoreOptions.builder().fingerprintBitsForTesting(13));
        assertThrows(NullPointerException.class, () -> StoreOptions.builder().name(null));
        StoreOptions defaults = StoreOptions.defaults();
        assertEquals(StoreOptions.DEFAULT_PAGE_SIZE, defaults.pageSize());
        assertEquals(Long.MAX_VALUE, defaults.memoryBudget());
        assertEquals(1 << 30, StoreOptions.builder().pageSize(1 << 30).build().pageSize());
    }
}
