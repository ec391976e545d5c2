package io.offstate.offheap;

/**
 * Thrown when the operating system refuses the native memory an operation needs, although the
 * store's own budget allowed it (a store without a budget, or a budget larger than the machine).
 * Like every {@link StoreFullException}, the operation has not changed the store. {@link #budget()}
 * is the store's budget, {@link #requested()} the bytes the allocation asked for.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class OutOfNativeMemoryException extends StoreFullException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception for a refused allocation of {@code requested} bytes by store {@code storeName}. */
    public OutOfNativeMemoryException(String storeName, String what, long budget, long inUse, long requested, OutOfMemoryError cause) {
        super(budget, inUse, requested, "store '" + storeName + "': the system refused " + requested + " bytes of native memory for "
            + what + " (" + inUse + " bytes in use); set a memory budget the machine can hold, or fewer expected entries;"
            + " the store is unchanged");
        initCause(cause);
    }
}
