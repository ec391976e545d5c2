package io.offstate.engine;

/**
 * What one damaged store did when reopened and read back (see {@link FuzzReadBack}). The last two
 * are failures of the store: it must never serve wrong data or throw anything but an offstate
 * exception.
 *
 * <p>Immutable, thread-safe. Test code only.
 */
enum FuzzVerdict {
    /** {@code open} threw an offstate exception. */
    REFUSED_AT_OPEN,
    /**
     * The store opened; a later call (a read, a write, the flush or the reopen after writes) threw
     * an offstate exception, every answer given was right, and a put tried after it was refused too
     * (no put is tried when the refusal was the reopen itself).
     */
    REFUSED_ON_TOUCH,
    /** Every read answered exactly as the undamaged store would, also after writes, a flush and a reopen. */
    HARMLESS,
    /** Some read answered differently from the model without an exception, or the store accepted a write after reporting damage. */
    WRONG_DATA,
    /** Some call threw an exception or error that is not an {@link io.offstate.offheap.OffstateException}, or hung. */
    NON_OFFSTATE;

    /** Whether this verdict is a failure of the store. */
    boolean failure() {
        return this == WRONG_DATA || this == NON_OFFSTATE;
    }
}
