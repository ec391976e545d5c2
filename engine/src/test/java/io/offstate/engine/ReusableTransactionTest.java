package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import io.offstate.offheap.StoreClosedException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link Transaction#reusable}: restart after commit or abort, its errors, and no allocation per round. */
final class ReusableTransactionTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static KeyValueStore store() {
        return KeyValueStore.create(StoreOptions.builder().name("reuse").sortedIndex(true).build());
    }

    @Test
    void restartAfterCommitAndAbortStartsEmptyAndKeepsWorking() {
        try (KeyValueStore store = store(); Transaction tx = Transaction.reusable(store)) {
            tx.put(store, b("a"), b("1"));
            tx.commit(b("p1"));
            assertTrue(tx.isDone());
            assertSame(tx, tx.restart());
            assertFalse(tx.isDone());
            assertArrayEquals(b("1"), tx.getCopy(store, b("a")), "committed state visible after restart");
            tx.put(store, b("b"), b("2"));
            tx.delete(store, b("a"));
            tx.abort();
            tx.restart();
            assertNull(tx.getCopy(store, b("b")), "aborted writes are gone after restart");
            assertArrayEquals(b("1"), tx.getCopy(store, b("a")), "an aborted delete is gone after restart");
            tx.put(store, b("c"), b("3"));
            tx.commit();
            assertArrayEquals(b("1"), store.getCopy(b("a")));
            assertNull(store.getCopy(b("b")));
            assertArrayEquals(b("3"), store.getCopy(b("c")));
            assertEquals(2, store.size());
        }
    }

    @Test
    void sinksStayRegisteredAcrossRestarts() {
        List<String> seen = new ArrayList<>();
        try (KeyValueStore store = store(); Transaction tx = Transaction.reusable(store)) {
            tx.addSink(r -> seen.add(new String(r.key().toByteArray(), StandardCharsets.UTF_8)));
            for (int round = 0; round < 3; round++) {
                tx.put(store, b("k" + round), b("v"));
                tx.commit();
                tx.restart();
            }
        }
        assertEquals(List.of("k0", "k1", "k2"), seen);
    }

    @Test
    void restartRefusesWhileActiveOnAOneShotTransactionAndAfterClose() {
        try (KeyValueStore store = store()) {
            Transaction tx = Transaction.reusable(store);
            tx.put(store, b("a"), b("1"));
            IllegalStateException active = assertThrows(IllegalStateException.class, tx::restart);
            assertTrue(active.getMessage().contains("still active"), active.getMessage());
            assertNull(store.getCopy(b("a")), "a refused restart changes nothing");
            tx.close();
            IllegalStateException closed = assertThrows(IllegalStateException.class, tx::restart);
            assertTrue(closed.getMessage().contains("closed"), closed.getMessage());
            tx.close(); // idempotent

            try (Transaction once = Transaction.begin(store)) {
                once.commit();
                IllegalStateException notReusable = assertThrows(IllegalStateException.class, once::restart);
                assertTrue(notReusable.getMessage().contains("not reusable"), notReusable.getMessage());
            }
            assertThrows(IllegalStateException.class, () -> tx.put(store, b("x"), b("y")));
            assertEquals(0, store.size());
        }
    }

    @Test
    void restartRefusesAClosedStoreAndAnotherThread() throws Exception {
        KeyValueStore store = store();
        Transaction tx = Transaction.reusable(store);
        tx.commit();
        AtomicReference<Throwable> other = new AtomicReference<>();
        Thread t = new Thread(() -> {
            try {
                tx.restart();
            } catch (Throwable e) {
                other.set(e);
            }
        });
        t.start();
        t.join();
        assertTrue(other.get() instanceof WrongThreadException, String.valueOf(other.get()));
        store.close();
        assertThrows(StoreClosedException.class, tx::restart);
        assertTrue(tx.isDone(), "a refused restart leaves the transaction ended");
        tx.close();
    }

    @Test
    void reusableRefusesManagedStoresAndBadArguments(@TempDir Path dir) throws Exception {
        assertThrows(NullPointerException.class, () -> Transaction.reusable((KeyValueStore[]) null));
        assertThrows(IllegalArgumentException.class, Transaction::reusable);
        try (KeyValueStore store = store()) {
            assertThrows(IllegalArgumentException.class, () -> Transaction.reusable(store, store));
        }
        try (StateManager manager = StateManager.open(StateManagerOptions.builder(dir).build())) {
            manager.define(StoreOptions.builder().name("s").sortedIndex(true).build());
            manager.assign(0);
            KeyValueStore managed = manager.partition(0).store("s");
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> Transaction.reusable(managed));
            assertTrue(e.getMessage().contains("StatePartition.begin()"), e.getMessage());
        }
    }

    /** A round of restart, a few puts of existing keys, and commit (with a sink) allocates nothing once warm. */
    @Test
    void aRoundOfRestartPutAndCommitAllocatesNothing() {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        byte[][] keys = new byte[16][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = b("key-" + i);
        }
        byte[] value = new byte[64];
        int rounds = 20_000;
        long[] recorded = {0};
        try (KeyValueStore store = store(); Transaction tx = Transaction.reusable(store)) {
            tx.addSink(r -> recorded[0] += r.value().length()); // a sink sees every record: its loop must not allocate either
            long least = Long.MAX_VALUE;
            for (int attempt = 0; attempt < 5; attempt++) { // the least of five: a late JIT compilation may allocate once
                long before = threads.getThreadAllocatedBytes(thread);
                for (int r = 0; r < rounds; r++) {
                    for (byte[] key : keys) {
                        value[0] = (byte) r;
                        tx.put(store, key, value);
                    }
                    tx.commit();
                    tx.restart();
                }
                least = Math.min(least, threads.getThreadAllocatedBytes(thread) - before);
            }
            assertTrue(least < rounds, least + " bytes allocated by " + rounds + " rounds of 16 puts + commit + restart");
            assertEquals(keys.length, store.size());
        }
        assertEquals(5L * rounds * keys.length * value.length, recorded[0],
            "the sink saw every record of every round");
    }
}
