package io.offstate.engine;

/**
 * Figures of one {@link KeyValueStore} at the moment {@link KeyValueStore#stats()} was called: for
 * monitoring, capacity planning and benchmarks, never needed for correctness.
 *
 * <p>Immutable and thread-safe once obtained; obtaining it is the store's thread's business, like
 * every other call. Figures of file-backed stores ({@code flushes} on) are 0 for an in-memory store.
 *
 * @param entries             number of entries
 * @param memoryUsed          off-heap bytes held: pages, large-value segments, index tables, dictionary
 * @param memoryBudget        the hard memory budget in bytes ({@link Long#MAX_VALUE}: none)
 * @param pages               normal data pages allocated (each {@code pageSize} bytes)
 * @param pageSize            bytes per page
 * @param largeValueBytes     bytes of values larger than a quarter page, each in a segment of its own
 * @param hashCapacity        slots of the hash index's current table
 * @param hashLoad            entries / slots of the current table, 0..1
 * @param growthInProgress    whether the hash index is migrating to a larger table (incrementally, a step per write)
 * @param sortedIndexNodes    nodes of the sorted index (0 without one); counted by a walk of its inner levels
 * @param dictionarySize      distinct dictionary components (0 without dictionary encoding)
 * @param flushes             flushes since the store was created or opened in this process (close's included)
 * @param flushGeneration     generation of the last completed flush of the directory (0 in memory)
 * @param lastFlushBytes      bytes the last flush wrote (journal and in place), 0 before the first
 * @param lastFlushNanos      duration of the last flush in nanoseconds, 0 before the first
 * @param dirtyChunks         4 KiB chunks the next flush would write now
 * @param mappings            memory mappings the store's files hold now (extents, hash tables, large values)
 */
public record StoreStats(long entries, long memoryUsed, long memoryBudget, long pages, int pageSize, long largeValueBytes,
                         long hashCapacity, double hashLoad, boolean growthInProgress, long sortedIndexNodes,
                         int dictionarySize, long flushes, long flushGeneration, long lastFlushBytes, long lastFlushNanos,
                         long dirtyChunks, int mappings) {
}
