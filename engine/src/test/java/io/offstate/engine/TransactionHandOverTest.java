package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;

/** {@link Transaction#handOverTo}: a reusable transaction moves between threads with its store. */
final class TransactionHandOverTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static Thread runIn(Runnable r, AtomicReference<Throwable> failure) throws InterruptedException {
        Thread t = new Thread(() -> {
            try {
                r.run();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        t.start();
        t.join();
        return t;
    }

    @Test
    void aParkedTransactionIsTakenOverByAnotherThreadAndKeepsCommitting() throws Exception {
        AtomicReference<Throwable> failure = new AtomicReference<>();
        AtomicReference<KeyValueStore> store = new AtomicReference<>();
        AtomicReference<Transaction> tx = new AtomicReference<>();
        Thread first = runIn(() -> {
            KeyValueStore s = KeyValueStore.create(StoreOptions.builder().name("moved").build());
            Transaction t = Transaction.reusable(s);
            t.put(s, b("a"), b("1"));
            t.commit();
            store.set(s);
            tx.set(t);
        }, failure);
        assertEquals(null, failure.get());
        assertTrue(!first.isAlive());
        // the creating thread ended: this thread takes store and transaction over
        store.get().handOverTo(Thread.currentThread());
        Transaction t = tx.get();
        t.handOverTo(Thread.currentThread());
        t.restart();
        t.put(store.get(), b("b"), b("2"));
        t.commit();
        assertArrayEquals(b("1"), store.get().getCopy(b("a")));
        assertArrayEquals(b("2"), store.get().getCopy(b("b")));
        t.close();
        store.get().close();
    }

    @Test
    void handOverIsRefusedWhileActiveFromAForeignThreadOrForANonReusableTransaction() throws Exception {
        try (KeyValueStore s = KeyValueStore.create(StoreOptions.builder().name("refused").build());
             Transaction reusable = Transaction.reusable(s)) {
            assertThrows(IllegalStateException.class, () -> reusable.handOverTo(new Thread(() -> { })),
                "still active");
            reusable.put(s, b("k"), b("v"));
            reusable.commit();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            runIn(() -> reusable.handOverTo(Thread.currentThread()), failure);
            assertTrue(failure.get() instanceof WrongThreadException, "the owner is alive: " + failure.get());
            reusable.restart(); // still this thread's: nothing changed
            reusable.abort();
            assertThrows(NullPointerException.class, () -> reusable.handOverTo(null));
            try (Transaction once = Transaction.begin(s)) {
                once.abort();
                assertThrows(IllegalStateException.class, () -> once.handOverTo(Thread.currentThread()));
            }
            assertArrayEquals(b("v"), s.getCopy(b("k")));
        }
    }
}
