package io.offstate.offheap;

/**
 * Thrown when a file-backed store would need one more memory mapping than offstate allows the
 * process ({@link io.offstate.offheap.memory.MappingCount#limit()}): each page and each block
 * larger than a quarter page of a file-backed store is mapped on its own, and the kernel's
 * {@code vm.max_map_count} caps the mappings of a process. Past that cap the JVM itself can no
 * longer map memory and dies, so offstate stops well before it. The operation that needed the
 * mapping has not changed the store's contents.
 *
 * <p>Remedies: a larger page size ({@code StoreOptions.pageSize}), fewer open file-backed stores,
 * or a higher {@code vm.max_map_count} (the limit follows it).
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class MappingLimitException extends OffstateException {
    private static final long serialVersionUID = 1L;
    private final long limit;

    /** Creates the exception for a store refused a mapping beyond {@code limit} live mappings. */
    public MappingLimitException(String what, long limit, long maxMapCount) {
        super(what + " needs another memory mapping, but this process already holds offstate's limit of " + limit
            + " (half of vm.max_map_count " + maxMapCount + ", or -D" + "offstate.maxMappings); the store is unchanged."
            + " Each page and each block over a quarter page of a file-backed store is a mapping of its own:"
            + " use a larger page size, or raise vm.max_map_count");
        this.limit = limit;
    }

    /** The limit that would have been exceeded. */
    public long limit() {
        return limit;
    }
}
