package io.offstate.offheap.memory;

import io.offstate.offheap.SharedMemoryBudget;
import io.offstate.offheap.StoreFullException;

/**
 * Accounts the off-heap bytes one store holds (data pages, large-entry segments, index tables)
 * against a hard limit.
 *
 * <p>Callers first ask {@link #check(long)} for everything an operation could need, and only then
 * mutate and {@link #reserve(long)}: that order is what lets a refused operation leave the store
 * exactly as it was.
 *
 * <p>With a {@link SharedMemoryBudget parent}, {@link #check(long)} also draws from it what the
 * operation could need beyond what this budget already holds ({@link #granted()}), and keeps it
 * through the operation: bytes released in the middle of an operation are not given back, since
 * the operation was promised its worst case and another store must not take it meanwhile. The owner
 * calls {@link #settle()} when an operation (a put, a commit, a close) is over, which gives back
 * everything held beyond {@link #used()}. Without a parent these cost one null check.
 *
 * <p>Threading: single writer, like the store that owns it. {@link #used()} may be read from other
 * threads without guarantees of freshness.
 */
public final class MemoryBudget {
    private final String owner;
    private final long limit;
    private final SharedMemoryBudget parent;
    private long used;
    /** Bytes drawn from {@link #parent}; at least {@link #used} whenever there is a parent. */
    private long granted;

    /**
     * @param owner name used in exception messages
     * @param limit maximum bytes; {@link Long#MAX_VALUE} for none
     */
    public MemoryBudget(String owner, long limit) {
        this(owner, limit, null);
    }

    /**
     * @param owner  name used in exception messages
     * @param limit  maximum bytes of this store; {@link Long#MAX_VALUE} for none
     * @param parent the budget shared with other stores, or null
     */
    public MemoryBudget(String owner, long limit, SharedMemoryBudget parent) {
        if (limit <= 0) {
            throw new IllegalArgumentException("memory budget must be positive, was " + limit);
        }
        this.owner = owner;
        this.limit = limit;
        this.parent = parent;
    }

    /**
     * Throws {@link StoreFullException} unless {@code additional} more bytes fit, under this
     * budget and its parent. Changes nothing the store can see; with a parent it may draw from it
     * (kept until {@link #settle()}).
     */
    public void check(long additional) {
        if (additional > 0) {
            if (additional > limit - used) {
                throw new StoreFullException(owner, limit, used, additional);
            }
            if (parent != null) {
                long shortfall = used + additional - granted;
                if (shortfall > 0) {
                    parent.acquire(owner, shortfall);
                    granted += shortfall;
                }
            }
        }
    }

    /** Gives back to the parent what is held beyond {@link #used()}: call when an operation is over. */
    public void settle() {
        if (parent != null && granted > used) {
            long excess = granted - Math.max(used, 0);
            granted -= excess;
            parent.release(excess);
        }
    }

    /** Bytes drawn from the parent (equal to {@link #used()} between operations); 0 without one. */
    public long granted() {
        return granted;
    }

    /** The shared budget this one draws from, or null. */
    public SharedMemoryBudget parent() {
        return parent;
    }

    /** Records {@code bytes} more in use; throws {@link StoreFullException} (recording nothing) if they do not fit. */
    public void reserve(long bytes) {
        check(bytes);
        used += bytes;
    }

    /** Records {@code bytes} freed. */
    public void release(long bytes) {
        used -= bytes;
    }

    /** Bytes currently in use. */
    public long used() {
        return used;
    }

    /** The hard limit in bytes. */
    public long limit() {
        return limit;
    }

    /** Name of the store this budget belongs to. */
    public String owner() {
        return owner;
    }
}
