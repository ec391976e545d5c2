package io.offstate.kafka.streams;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;

/**
 * One {@link Transaction#reusable reusable} transaction per store, for the one-record write rounds
 * of the window, session and versioned stores: {@link #begin} restarts it, {@link #close()} ends the
 * round (aborting what was not committed). A fresh {@code Transaction.begin} per record would
 * allocate staging memory and close a shared arena for every put (a handshake with every JVM
 * thread, tens of microseconds); a restarted one allocates nothing. Between rounds the
 * transaction is parked on a terminated thread, as {@link SharedAccess} parks the store, so the
 * next round may come from another thread (Kafka's state updater restores, a stream thread then
 * processes); a reopened store gets a new transaction.
 *
 * <p>Not thread-safe: used under the store's {@link SharedAccess} lock. Owns the transaction's
 * staging memory until {@link #release()}.
 */
final class WriteRounds implements AutoCloseable {
    private Transaction tx;
    private KeyValueStore store;

    /** Starts a round on {@code s}, owned by the calling thread; pair with {@link #close()} (try-with-resources). */
    WriteRounds begin(KeyValueStore s) {
        if (tx != null && store == s && !s.isClosed()) {
            tx.handOverTo(Thread.currentThread()); // parked on a terminated thread: any thread may take it
            tx.restart();
            return this;
        }
        release();
        tx = Transaction.reusable(s);
        store = s;
        return this;
    }

    /** The transaction of the round begun last. */
    Transaction tx() {
        return tx;
    }

    /** Ends the round: aborts it unless it was committed, and parks the transaction. */
    @Override
    public void close() {
        if (tx != null) {
            if (!tx.isDone()) {
                tx.abort();
            }
            tx.handOverTo(SharedAccess.PARKED);
        }
    }

    /** Frees the transaction's staging memory (the store closes); the next {@link #begin} makes a new one. */
    void release() {
        Transaction old = tx;
        tx = null;
        store = null;
        if (old != null) {
            old.handOverTo(Thread.currentThread()); // parked: a closed store's thread frees it
            old.close();
        }
    }
}
