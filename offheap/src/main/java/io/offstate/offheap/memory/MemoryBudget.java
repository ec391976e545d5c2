package io.offstate.offheap.memory;

import io.offstate.offheap.StoreFullException;

/**
 * Accounts the off-heap bytes one store holds (data pages, large-entry segments, index tables)
 * against a hard limit.
 *
 * <p>Callers first ask {@link #check(long)} for everything an operation could need, and only then
 * mutate and {@link #reserve(long)}: that order is what lets a refused operation leave the store
 * exactly as it was.
 *
 * <p>Threading: single writer, like the store that owns it. {@link #used()} may be read from other
 * threads without guarantees of freshness.
 */
public final class MemoryBudget {
    private final String owner;
    private final long limit;
    private long used;

    /**
     * @param owner name used in exception messages
     * @param limit maximum bytes; {@link Long#MAX_VALUE} for none
     */
    public MemoryBudget(String owner, long limit) {
        if (limit <= 0) {
            throw new IllegalArgumentException("memory budget must be positive, was " + limit);
        }
        this.owner = owner;
        this.limit = limit;
    }

    /** Throws {@link StoreFullException} unless {@code additional} more bytes fit. Changes nothing. */
    public void check(long additional) {
        if (additional > 0 && additional > limit - used) {
            throw new StoreFullException(owner, limit, used, additional);
        }
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
