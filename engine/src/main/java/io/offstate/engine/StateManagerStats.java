package io.offstate.engine;

import java.time.Duration;

/**
 * Counters of a {@link StateManager} and its assigned partitions; a snapshot taken from any thread.
 *
 * @param partitions      assigned partitions
 * @param entries         entries in all their stores (as each partition last published)
 * @param memoryUsed      off-heap bytes charged to the shared budget
 * @param memoryBudget    the shared budget ({@link Long#MAX_VALUE}: none)
 * @param commits         commits of all partitions since the manager opened
 * @param logBytes        bytes of the write-ahead log kept on disk (from its first kept position to its end)
 * @param logSegments     segment files of the log
 * @param logEndPosition  the log's end position
 * @param lastRecovery    how long the most recent assign of a partition took ({@link Duration#ZERO} if none yet)
 * @param perPartition    each assigned partition's counters, by partition
 */
public record StateManagerStats(int partitions, long entries, long memoryUsed, long memoryBudget, long commits,
                                long logBytes, int logSegments, long logEndPosition, Duration lastRecovery,
                                java.util.List<PartitionStats> perPartition) {
}
