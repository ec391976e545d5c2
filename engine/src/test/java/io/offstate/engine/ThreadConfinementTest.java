package io.offstate.engine;

import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A store belongs to one thread: calls from any other thread — a second writer, or a reader beside
 * the writer (what Kafka Streams' interactive queries do) — throw WrongThreadException before
 * anything changes, and ownership moves only through handOverTo.
 */
class ThreadConfinementTest {
    private final ExecutorService other = Executors.newSingleThreadExecutor(r -> new Thread(r, "other-thread"));

    @TempDir
    Path dir;

    @AfterEach
    void stop() {
        other.shutdownNow();
    }

    /** What {@code call} threw on the other thread, or null if it returned. */
    private Throwable onOtherThread(Callable<?> call) throws InterruptedException {
        Future<?> f = other.submit(call);
        try {
            f.get();
            return null;
        } catch (ExecutionException e) {
            return e.getCause();
        }
    }

    static StoreOptions sorted() {
        return StoreOptions.builder().name("confined").sortedIndex(true).hashSeed(4).build();
    }

    @Test
    void aSecondWriterThreadIsRefusedAndChangesNothing() throws Exception {
        try (KeyValueStore store = KeyValueStore.create(sorted())) {
            store.put(utf8("a"), utf8("1"));
            long used = store.memoryUsed();
            List<Callable<?>> writes = List.of(
                () -> { store.put(utf8("b"), utf8("2")); return null; },
                () -> store.delete(utf8("a")),
                () -> { store.clear(); return null; },
                () -> { store.flush(); return null; },
                () -> { store.close(); return null; },
                () -> { store.closeWithoutFlush(); return null; });
            for (Callable<?> write : writes) {
                Throwable t = onOtherThread(write);
                WrongThreadException e = assertInstanceOf(WrongThreadException.class, t);
                assertTrue(e.getMessage().startsWith("store 'confined' is owned by thread '" + Thread.currentThread().getName() + "'"),
                    e.getMessage());
                assertTrue(e.getMessage().contains("called from thread 'other-thread'"), e.getMessage());
            }
            assertFalse(store.isClosed());
            assertEquals(1, store.size());
            assertEquals(used, store.memoryUsed());
            assertArrayEquals(utf8("1"), store.getCopy(utf8("a")));
            store.verify();
        }
    }

    @Test
    void aReaderBesideTheWriterIsRefused() throws Exception {
        try (KeyValueStore store = KeyValueStore.create(sorted())) {
            store.put(utf8("a"), utf8("1"));
            ValueView view = new ValueView();
            assertTrue(store.get(utf8("a"), view));
            Cursor cursor = store.cursor();
            assertTrue(cursor.first());
            List<Callable<?>> reads = List.of(
                () -> store.get(utf8("a"), new ValueView()),
                () -> store.getCopy(utf8("a")),
                () -> store.contains(utf8("a")),
                () -> store.size(),
                () -> store.stats(),
                () -> store.cursor(),
                () -> { store.forEach((k, v) -> { }); return null; },
                () -> store.snapshot(),
                () -> view.length(),
                () -> view.toByteArray(),
                () -> cursor.next(),
                () -> cursor.key(),
                () -> cursor.seek(utf8("a")));
            for (Callable<?> read : reads) {
                assertInstanceOf(WrongThreadException.class, onOtherThread(read));
            }
            assertTrue(view.isValid(), "the owner's view survives refused calls");
            assertArrayEquals(utf8("1"), view.toByteArray());
            assertArrayEquals(utf8("a"), cursor.key().toByteArray());
        }
    }

    @Test
    void explicitHandOverMovesTheStoreAndBack() throws Exception {
        KeyValueStore store = KeyValueStore.create(sorted());
        store.put(utf8("a"), utf8("1"));
        Thread worker = other.submit(Thread::currentThread).get();
        store.handOverTo(worker);
        assertSame(worker, store.owner());
        assertInstanceOf(WrongThreadException.class, assertThrows(WrongThreadException.class, () -> store.put(utf8("x"), utf8("y"))));
        Thread me = Thread.currentThread();
        assertNull(onOtherThread(() -> {
            store.put(utf8("b"), utf8("2"));
            store.handOverTo(me);
            return null;
        }));
        assertSame(me, store.owner());
        assertEquals(2, store.size());
        assertArrayEquals(utf8("2"), store.getCopy(utf8("b")));
        store.close();
    }

    @Test
    void onlyTheOwnerHandsOverWhileItLivesAndAnyThreadOnceItDied() throws Exception {
        KeyValueStore store = KeyValueStore.create(sorted());
        Thread me = Thread.currentThread();
        assertInstanceOf(WrongThreadException.class, onOtherThread(() -> {
            store.handOverTo(Thread.currentThread());
            return null;
        }));
        assertSame(me, store.owner());
        assertThrows(NullPointerException.class, () -> store.handOverTo(null));
        Thread dying = new Thread(() -> { }, "short-lived");
        store.handOverTo(dying);
        dying.start();
        dying.join();
        store.handOverTo(me); // the owner is gone: the store can be taken back and closed
        store.close();
        assertTrue(store.isClosed());
    }

    @Test
    void fileBackedStoreIsConfinedToo() throws Exception {
        try (KeyValueStore store = KeyValueStore.open(dir, StoreOptions.builder().pageSize(4096).build())) {
            store.put(utf8("a"), utf8("1"));
            assertInstanceOf(WrongThreadException.class, onOtherThread(() -> { store.verifyFiles(); return null; }));
            assertInstanceOf(WrongThreadException.class, onOtherThread(() -> { store.flush(utf8("m")); return null; }));
            assertArrayEquals(new byte[0], store.lastFlushMetadata());
            assertEquals(1, store.flushGeneration());
        }
    }

    /** A random workload checked against a model, with refused calls from another thread mixed in. */
    @Test
    void aModelCheckedWorkloadStillMatchesAfterRefusedCalls() throws Exception {
        long seed = 20261202;
        Random random = new Random(seed);
        TreeMap<byte[], byte[]> model = new TreeMap<>(Arrays::compareUnsigned);
        try (KeyValueStore store = KeyValueStore.create(sorted())) {
            List<String> refused = new ArrayList<>();
            for (int i = 0; i < 3000; i++) {
                byte[] key = utf8("k" + random.nextInt(300));
                byte[] value = TestData.pattern(random.nextInt(100), i);
                switch (random.nextInt(4)) {
                    case 0, 1 -> {
                        store.put(key, value);
                        model.put(key, value);
                    }
                    case 2 -> assertEquals(model.remove(key) != null, store.delete(key), "seed " + seed + " step " + i);
                    default -> {
                        Throwable t = onOtherThread(() -> {
                            store.put(key, value);
                            return null;
                        });
                        assertInstanceOf(WrongThreadException.class, t);
                        refused.add(new String(key));
                    }
                }
            }
            assertTrue(refused.size() > 500, "refused " + refused.size());
            assertEquals(model.size(), store.size(), "seed " + seed);
            Cursor cursor = store.cursor();
            List<Map.Entry<byte[], byte[]>> expected = new ArrayList<>(model.entrySet());
            int n = 0;
            for (boolean on = cursor.first(); on; on = cursor.next()) {
                assertArrayEquals(expected.get(n).getKey(), cursor.key().toByteArray(), "seed " + seed + " entry " + n);
                assertArrayEquals(expected.get(n).getValue(), cursor.value().toByteArray(), "seed " + seed + " entry " + n);
                n++;
            }
            assertEquals(model.size(), n);
            store.verify();
        }
    }
}
