package io.offstate.engine.time;

/**
 * Thrown by {@link SessionStore#put} for a session that ends before the store's retention horizon
 * ({@code end < streamTime - retention + 1}): it would be invisible the moment it was written, so it
 * is refused, and nothing is staged. A stream processor checks {@link SessionStore#horizon} first to
 * route late records without an exception.
 */
public final class SessionExpiredException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    private final long end;
    private final long horizon;
    private final long streamTime;

    SessionExpiredException(String store, long end, long horizon, long streamTime, long retention) {
        super("session store '" + store + "': a session ending at " + end + " is expired: it ends before the horizon "
            + horizon + " (stream time " + streamTime + " - retention " + retention + " + 1)");
        this.end = end;
        this.horizon = horizon;
        this.streamTime = streamTime;
    }

    /** The end time of the refused session. */
    public long end() {
        return end;
    }

    /** The earliest end time the store still accepted. */
    public long horizon() {
        return horizon;
    }

    /** The store's stream time when the session was refused. */
    public long streamTime() {
        return streamTime;
    }
}
