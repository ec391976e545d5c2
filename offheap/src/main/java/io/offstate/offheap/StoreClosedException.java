package io.offstate.offheap;

/**
 * Thrown by any operation on a store, snapshot or view after the store (or snapshot) was closed.
 * Off-heap memory of a closed store is released, so this replaces what would otherwise be a read of
 * freed memory.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class StoreClosedException extends OffstateException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception naming the closed store. */
    public StoreClosedException(String what) {
        super(what + " is closed");
    }
}
