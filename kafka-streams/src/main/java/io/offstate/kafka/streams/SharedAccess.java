package io.offstate.kafka.streams;

import java.util.concurrent.locks.ReentrantLock;

import io.offstate.engine.KeyValueStore;

/**
 * Lets several threads use one thread-confined {@link KeyValueStore}: the stream thread that writes
 * it and the interactive-query threads that read it.
 *
 * <p>An offstate store belongs to one thread and throws {@link WrongThreadException} when another
 * calls it; {@link KeyValueStore#handOverTo} moves it, but only its owner may do that while the owner
 * lives. So between calls the store is <em>parked</em>: owned by a thread that has already
 * terminated, which the engine lets any thread take it from. {@link #enter()} takes the lock and
 * the store; {@link #exit()} parks the store and releases the lock. The lock is the happens-before
 * edge the engine asks for when a store changes threads.
 *
 * <p>Threading: any thread; calls are serialized by one non-fair {@link ReentrantLock}. Nested
 * {@code enter()} on the holding thread is allowed; only the outermost {@code exit()} parks.
 */
final class SharedAccess {
    /** The owner of every parked store: started and joined once, so it is never alive. */
    static final Thread PARKED = terminatedThread();

    private final ReentrantLock lock = new ReentrantLock();
    private KeyValueStore store;

    /** Takes {@code store}, just created or opened by the calling thread, into shared use (parked). */
    void adopt(KeyValueStore store) {
        lock.lock();
        try {
            this.store = store;
            store.handOverTo(PARKED);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Installs {@code store}, just opened by the calling thread, which holds the lock (between
     * {@link #enter()} and {@link #exit()}); the outermost {@code exit()} parks it. Null: no store
     * (closed; the next init installs another).
     */
    void install(KeyValueStore store) {
        if (!lock.isHeldByCurrentThread()) {
            throw new IllegalStateException("install needs the lock");
        }
        this.store = store;
    }

    /** Locks and makes the calling thread the store's owner; returns the store. Pair with {@link #exit()}. */
    KeyValueStore enter() {
        lock.lock();
        KeyValueStore s = store;
        if (s != null && !s.isClosed() && lock.getHoldCount() == 1) {
            try {
                s.handOverTo(Thread.currentThread());
            } catch (RuntimeException | Error e) {
                lock.unlock();
                throw e;
            }
        }
        return s;
    }

    /** Parks the store again (outermost exit only) and unlocks. */
    void exit() {
        try {
            KeyValueStore s = store;
            if (s != null && !s.isClosed() && lock.getHoldCount() == 1) {
                s.handOverTo(PARKED);
            }
        } finally {
            lock.unlock();
        }
    }

    private static Thread terminatedThread() {
        // no Runnable: a lambda of this class would wait for this class's initialization (deadlock)
        Thread t = new Thread("offstate-parked-store-owner");
        t.setDaemon(true);
        t.start();
        boolean interrupted = false;
        while (t.isAlive()) {
            try {
                t.join();
            } catch (InterruptedException e) {
                interrupted = true;
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        return t;
    }
}
