package io.offstate.engine.time;

/**
 * A write carried a timestamp that is already behind the store's retention horizon (stream time
 * minus retention): the data would be invisible the moment it was written, so the store refuses it
 * and stages nothing. Stream processors usually count such records as late and drop them.
 * Immutable.
 */
public final class TimestampExpiredException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;
    private final long timestamp;
    private final long horizon;

    public TimestampExpiredException(String store, String what, long timestamp, long horizon, long streamTime) {
        super(what + " " + timestamp + " is behind the retention horizon of store '" + store + "': entries before "
            + horizon + " have expired (stream time " + streamTime + ")");
        this.timestamp = timestamp;
        this.horizon = horizon;
    }

    /** The refused timestamp. */
    public long timestamp() {
        return timestamp;
    }

    /** The oldest timestamp the store still accepts. */
    public long horizon() {
        return horizon;
    }
}
