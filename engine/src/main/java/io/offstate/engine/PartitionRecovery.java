package io.offstate.engine;

import java.time.Duration;

/**
 * What assigning a partition did to recover it: the stores as of their last flush, then the replay
 * of the write-ahead log from the oldest position one of them recorded.
 *
 * @param partition        the partition
 * @param fromPosition     log position replay started at
 * @param toPosition       log end position when replay finished
 * @param batchesReplayed  commits of this partition applied from the log
 * @param recordsReplayed  change records applied from the log
 * @param cancelledSkipped commits skipped because they were logged but failed while applying
 * @param took             wall time of the whole assign: open, replay and the flush after it
 */
public record PartitionRecovery(int partition, long fromPosition, long toPosition, long batchesReplayed,
                                long recordsReplayed, long cancelledSkipped, Duration took) {
}
