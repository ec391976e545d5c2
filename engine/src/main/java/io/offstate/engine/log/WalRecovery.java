package io.offstate.engine.log;

import java.nio.file.Path;

/**
 * What {@link WriteAheadLog#open} found and repaired in the log's directory.
 *
 * <p>Immutable and thread-safe.
 *
 * @param segments            segment files kept (after any repair)
 * @param batches             valid batches found in them
 * @param firstPosition       position of the oldest kept batch's segment (its base position)
 * @param endPosition         position the next append gets
 * @param tornTail            whether a half-written last batch (or segment header) was cut off
 * @param tornTailBytes       bytes cut off with it
 * @param damagedSegment      the segment where damage followed by valid data was found and cut
 *                            (only with {@link WalOptions#truncateAtDamage()}), else null
 * @param damageOffset        file offset of that damage in {@code damagedSegment}, else -1
 * @param droppedFromPosition first position dropped by that truncation, else -1
 * @param droppedBytes        bytes dropped by that truncation (this segment's rest and all later
 *                            segments), else 0
 */
public record WalRecovery(int segments, long batches, long firstPosition, long endPosition, boolean tornTail,
                          long tornTailBytes,
                          Path damagedSegment, long damageOffset, long droppedFromPosition, long droppedBytes) {
    /** Whether damage in the middle of the log was truncated (and data dropped). */
    public boolean truncatedAtDamage() {
        return damagedSegment != null;
    }
}
