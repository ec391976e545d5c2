package io.offstate.offheap;

/**
 * Base of every exception offstate throws on purpose. Unchecked: misuse of a store is a
 * programming or capacity error, not a condition callers are forced to handle everywhere.
 *
 * <p>Thread-safety: immutable after construction.
 */
public class OffstateException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    /** Creates an exception with a message that names the store, the limit and the offending size. */
    public OffstateException(String message) {
        super(message);
    }

    /** Creates an exception with a message and the cause that triggered it. */
    public OffstateException(String message, Throwable cause) {
        super(message, cause);
    }
}
