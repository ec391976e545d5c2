package io.offstate.offheap;

/**
 * Thrown when an operation would take a store past its hard memory budget. The operation has not
 * changed the store: its contents and its memory in use are exactly what they were before the call.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class StoreFullException extends OffstateException {
    private static final long serialVersionUID = 1L;
    private final long budget;
    private final long inUse;
    private final long requested;

    /** Creates the exception for {@code requested} more bytes on top of {@code inUse} under {@code budget}. */
    public StoreFullException(String storeName, long budget, long inUse, long requested) {
        super("store '" + storeName + "' is full: memory budget " + budget + " bytes, " + inUse
            + " bytes in use, operation needs " + requested + " more bytes; the store is unchanged");
        this.budget = budget;
        this.inUse = inUse;
        this.requested = requested;
    }

    /** The budget in bytes that would have been exceeded. */
    public long budget() {
        return budget;
    }

    /** Bytes in use when the operation was refused. */
    public long inUse() {
        return inUse;
    }

    /** Additional bytes the operation needed. */
    public long requested() {
        return requested;
    }
}
