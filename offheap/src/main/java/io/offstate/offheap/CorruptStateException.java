package io.offstate.offheap;

/**
 * Thrown when off-heap bytes do not have the shape the layout promises (a header that cannot be
 * decoded, an offset out of range). Offstate never serves data it cannot vouch for: it throws this
 * instead.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class CorruptStateException extends OffstateException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception with a message naming what is wrong and where. */
    public CorruptStateException(String message) {
        super(message);
    }

    /** Creates the exception with a message naming what is wrong and where, and the failure that revealed it. */
    public CorruptStateException(String message, Throwable cause) {
        super(message, cause);
    }
}
