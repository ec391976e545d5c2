package io.offstate.offheap;

/**
 * Thrown when an operation would take a store past one of its hard limits. The operation has not
 * changed the store: its contents and its memory in use are exactly what they were before the call.
 *
 * <p>This class itself reports the memory budget: {@link #budget()}, {@link #inUse()} and
 * {@link #requested()} are in bytes. A subclass reports a limit of one component instead (for
 * example {@link DictionaryFullException}, distinct dictionary components); its numbers are in
 * that component's units, and catching {@code StoreFullException} still catches it.
 *
 * <p>Thread-safety: immutable after construction.
 */
public class StoreFullException extends OffstateException {
    private static final long serialVersionUID = 1L;
    private final long budget;
    private final long inUse;
    private final long requested;

    /** Creates the exception for {@code requested} more bytes on top of {@code inUse} under {@code budget}. */
    public StoreFullException(String storeName, long budget, long inUse, long requested) {
        this(budget, inUse, requested, "store '" + storeName + "' is full: memory budget " + budget + " bytes, " + inUse
            + " bytes in use, operation needs " + requested + " more bytes; the store is unchanged");
    }

    /** For subclasses: a limit of some component, with their own message and units. */
    protected StoreFullException(long limit, long inUse, long requested, String message) {
        super(message);
        this.budget = limit;
        this.inUse = inUse;
        this.requested = requested;
    }

    /** The limit that would have been exceeded: the memory budget in bytes here, a component limit in a subclass. */
    public long budget() {
        return budget;
    }

    /** How much of the limit was in use when the operation was refused. */
    public long inUse() {
        return inUse;
    }

    /** How much more the operation needed. */
    public long requested() {
        return requested;
    }
}
