package io.offstate.engine.time;

/**
 * Receives the records a {@link WindowedAggregation} refused as late: every window that could hold
 * the record had closed, i.e. its end plus the grace period was at or before {@code closeTime}
 * (the stream time of the partition or of the key, by the closing strategy). A late record changes
 * no state. Called inside {@code process}, on its thread; the arrays are the caller's own
 * ({@code value} is null when the record came through the primitive {@code process}).
 */
@FunctionalInterface
public interface WindowedLateListener {
    void onLate(byte[] key, byte[] value, double number, long timestamp, long closeTime);
}
