package io.offstate.engine;

import java.time.Duration;

/**
 * Counters of one {@link StatePartition}, as of its last commit, flush or assign; readable from any
 * thread (values are published by the partition's owner thread and may lag behind it).
 *
 * @param partition     the partition
 * @param stores        number of stores
 * @param entries       entries in all its stores
 * @param memoryUsed    off-heap bytes its stores hold
 * @param commits       commits since it was assigned
 * @param flushes       flushes (checkpoints) since it was assigned
 * @param flushedPosition log position its last flush covers
 * @param lastRecovery  how long its assign took (open and replay)
 */
public record PartitionStats(int partition, int stores, long entries, long memoryUsed, long commits, long flushes,
                             long flushedPosition, Duration lastRecovery) {
}
