package io.offstate.offheap;

/**
 * Thrown when a put would register a new key component in a store's key dictionary that already
 * holds its limit of distinct components. Not a memory problem: {@link #budget()} is that limit
 * (a count of components, see {@link #limit()}), {@link #inUse()} the components registered and
 * {@link #requested()} 1. The store is unchanged; keys whose component is already known are still
 * accepted.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class DictionaryFullException extends StoreFullException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception for the dictionary of {@code storeName}, full at {@code limit} components. */
    public DictionaryFullException(String storeName, int limit) {
        super(limit, limit, 1, "key dictionary of store '" + storeName + "' is full: " + limit
            + " distinct key components (maxDictionaryCodes); the store is unchanged."
            + " Raise the limit or choose a lower-cardinality component");
    }

    /** The most distinct components the dictionary accepts (the same as {@link #budget()}). */
    public long limit() {
        return budget();
    }
}
