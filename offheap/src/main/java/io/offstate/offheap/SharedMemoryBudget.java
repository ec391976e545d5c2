package io.offstate.offheap;

import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One hard limit on the off-heap bytes of many stores together — all stores of a state manager, or
 * any stores given it through {@code StoreOptions.Builder.sharedBudget} — possibly written by
 * different threads.
 *
 * <p>Each store keeps its own budget and draws from this one only when an operation needs more
 * than the store already holds: the operation acquires its worst case before it changes anything,
 * so a store that cannot get it throws {@link StoreFullException} and stays unchanged, and no other
 * store's operation can take what was promised. At the end of each operation the store gives back
 * what it holds beyond its use. So {@link #used()} is, between operations, the sum of the stores'
 * memory, and never more than {@link #limit()}.
 *
 * <p>Thread-safe and lock-free (one atomic counter). Holds no memory itself.
 */
public final class SharedMemoryBudget {
    private final String name;
    private final long limit;
    private final AtomicLong used = new AtomicLong();

    /**
     * @param name  used in exception messages
     * @param limit maximum bytes; {@link Long#MAX_VALUE} for none
     * @throws NullPointerException     if {@code name} is null
     * @throws IllegalArgumentException if {@code limit} is not positive
     */
    public SharedMemoryBudget(String name, long limit) {
        this.name = Objects.requireNonNull(name, "name");
        if (limit <= 0) {
            throw new IllegalArgumentException("shared memory budget must be positive, was " + limit);
        }
        this.limit = limit;
    }

    /**
     * Takes {@code bytes} if they fit under the limit; returns whether it did (nothing taken if not).
     *
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public boolean tryAcquire(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
        }
        while (true) {
            long current = used.get();
            if (bytes > limit - current) {
                return false;
            }
            if (used.compareAndSet(current, current + bytes)) {
                return true;
            }
        }
    }

    /**
     * Takes {@code bytes} for {@code store}, or throws.
     *
     * @throws StoreFullException       naming this budget and {@code store} if they do not fit (nothing taken)
     * @throws IllegalArgumentException if {@code bytes} is negative
     */
    public void acquire(String store, long bytes) {
        if (!tryAcquire(bytes)) {
            long inUse = used.get();
            throw new SharedBudgetFullException(store, name, limit, inUse, bytes);
        }
    }

    /**
     * Gives back {@code bytes} taken earlier.
     *
     * @throws IllegalArgumentException if {@code bytes} is negative or more than is in use
     */
    public void release(long bytes) {
        if (bytes < 0) {
            throw new IllegalArgumentException("bytes must be >= 0, was " + bytes);
        }
        while (true) {
            long current = used.get();
            if (bytes > current) {
                // checked before changing: a moment of negative use would let another thread pass the limit
                throw new IllegalArgumentException("released " + bytes + " bytes, more than the " + current
                    + " in use of shared budget '" + name + "'");
            }
            if (used.compareAndSet(current, current - bytes)) {
                return;
            }
        }
    }

    /** Bytes taken now (any thread; a moment's value). */
    public long used() {
        return used.get();
    }

    /** The limit in bytes. */
    public long limit() {
        return limit;
    }

    /** The name used in messages. */
    public String name() {
        return name;
    }

    @Override
    public String toString() {
        return "SharedMemoryBudget[" + name + ", " + used.get() + " of " + limit + " bytes]";
    }

    /** {@link StoreFullException} for the shared limit: the store's own budget had room, the shared one not. */
    public static final class SharedBudgetFullException extends StoreFullException {
        private static final long serialVersionUID = 1L;
        private final String sharedBudget;

        SharedBudgetFullException(String store, String sharedBudget, long limit, long inUse, long requested) {
            super(limit, inUse, requested, "store '" + store + "' is full: the shared memory budget '" + sharedBudget + "' of "
                + limit + " bytes has " + inUse + " bytes in use by all its stores, the operation needs " + requested
                + " more bytes; the store is unchanged");
            this.sharedBudget = sharedBudget;
        }

        /** Name of the shared budget that refused. */
        public String sharedBudget() {
            return sharedBudget;
        }
    }
}
