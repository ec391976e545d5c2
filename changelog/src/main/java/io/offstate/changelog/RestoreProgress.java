package io.offstate.changelog;

import java.time.Duration;

/**
 * Where a partition's recovery from its changelogs stands, as given to a {@link RestoreListener}.
 * Immutable.
 *
 * @param partition the partition
 * @param done      changelog offsets replayed so far (records, markers and compacted gaps alike)
 * @param toDo      offsets between where the recovery started and the end offsets it aims for
 * @param records   records applied so far
 * @param rate      records applied per second so far
 * @param eta       estimated time left at that rate ({@link Duration#ZERO} when done or unknown)
 */
public record RestoreProgress(int partition, long done, long toDo, long records, double rate, Duration eta) {
    @Override
    public String toString() {
        return "partition " + partition + ": " + done + "/" + toDo + " offsets, " + records + " records, "
            + String.format("%.0f", rate) + " records/s, ETA " + eta.toMillis() + " ms";
    }
}
