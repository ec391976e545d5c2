package io.offstate.engine;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreClosedException;

/**
 * An independent, immutable copy of a {@link KeyValueStore}'s whole state (entries, index,
 * dictionary) taken by {@link KeyValueStore#snapshot()}, to be given to
 * {@link KeyValueStore#restore(StoreSnapshot)} any number of times.
 *
 * <p>Ownership: the snapshot owns off-heap memory as large as the store's was ({@link #memoryUsed()});
 * {@link #close()} releases it. Threading: a snapshot may be restored from any one thread at a time.
 */
public final class StoreSnapshot implements AutoCloseable {
    private final String storeName;
    private final int pageShift;
    private final KeyComponent keyComponent;
    private final StoreState state;
    private boolean closed;

    StoreSnapshot(String storeName, int pageShift, KeyComponent keyComponent, StoreState state) {
        this.storeName = storeName;
        this.pageShift = pageShift;
        this.keyComponent = keyComponent;
        this.state = state;
    }

    /** Number of entries in the snapshot. */
    public long size() {
        return state().map.size();
    }

    /** Off-heap bytes the snapshot holds (equal to the store's {@code memoryUsed()} when taken). */
    public long memoryUsed() {
        return state().budget.used();
    }

    /** Name of the store it was taken from. */
    public String storeName() {
        return storeName;
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Releases the snapshot's memory; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            state.close();
        }
    }

    StoreState state() {
        if (closed) {
            throw new StoreClosedException("snapshot of store '" + storeName + "'");
        }
        return state;
    }

    int pageShift() {
        return pageShift;
    }

    KeyComponent keyComponent() {
        return keyComponent;
    }
}
