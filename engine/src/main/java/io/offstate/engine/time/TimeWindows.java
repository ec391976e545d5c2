package io.offstate.engine.time;

/**
 * Event-time windows for a {@link WindowedAggregation}: tumbling, hopping or sliding, with a grace
 * period. Immutable; thread-safe.
 *
 * <ol>
 *   <li><b>Hopping</b> ({@link #hopping(long, long)}): windows {@code [k·advance, k·advance + size)}
 *       for every {@code k ≥ 0}; a record at {@code t} belongs to each window containing {@code t}
 *       (up to {@code size / advance} of them).</li>
 *   <li><b>Tumbling</b> ({@link #tumbling(long)}): hopping with {@code advance == size}, so each
 *       record belongs to exactly one window.</li>
 *   <li><b>Sliding</b> ({@link #sliding(long)}): each record at {@code t} defines the window
 *       {@code [max(0, t + 1 − size), t + 1)} — the last {@code size} milliseconds up to and
 *       including {@code t} — aggregated over every record of the key in that range that is still
 *       held (those not late). Kafka's {@code SlidingWindows} also create a "right" window after
 *       each record; these do not (a deliberate simplification): one window per distinct record
 *       timestamp.</li>
 *   <li><b>Closing</b>: a window with end {@code e} is closed once the close time (stream time of the
 *       partition or of the key, see {@link WindowedAggregationOptions.Closing}) reaches
 *       {@code e + grace}; it then takes no records.</li>
 * </ol>
 *
 * @throws IllegalArgumentException from the factories for a size ≤ 0, an advance ≤ 0 or &gt; size,
 *                                  or a grace &lt; 0, naming the value
 */
public final class TimeWindows {
    /** The shape of the windows. */
    public enum Kind { TUMBLING, HOPPING, SLIDING }

    private final Kind kind;
    private final long size;
    private final long advance;
    private final long grace;

    private TimeWindows(Kind kind, long size, long advance, long grace) {
        this.kind = kind;
        this.size = size;
        this.advance = advance;
        this.grace = grace;
    }

    /** Non-overlapping windows of {@code size} ms, grace 0. */
    public static TimeWindows tumbling(long size) {
        TimeKeys.checkPositive(size, "window size");
        return new TimeWindows(Kind.TUMBLING, size, size, 0);
    }

    /** Windows of {@code size} ms starting every {@code advance} ms ({@code 0 < advance ≤ size}), grace 0. */
    public static TimeWindows hopping(long size, long advance) {
        TimeKeys.checkPositive(size, "window size");
        TimeKeys.checkPositive(advance, "window advance");
        if (advance > size) {
            throw new IllegalArgumentException("window advance " + advance + " must not exceed the window size " + size);
        }
        return new TimeWindows(advance == size ? Kind.TUMBLING : Kind.HOPPING, size, advance, 0);
    }

    /** One window of the last {@code size} ms per record (see the class contract), grace 0. */
    public static TimeWindows sliding(long size) {
        TimeKeys.checkPositive(size, "window size");
        return new TimeWindows(Kind.SLIDING, size, 1, 0);
    }

    /** These windows with a grace period of {@code grace} ms (≥ 0). */
    public TimeWindows grace(long grace) {
        if (grace < 0) {
            throw new IllegalArgumentException("grace period must not be negative: " + grace);
        }
        return new TimeWindows(kind, size, advance, grace);
    }

    public Kind kind() {
        return kind;
    }

    public long size() {
        return size;
    }

    /** The advance of hopping windows ({@code size} for tumbling, 1 for sliding). */
    public long advance() {
        return advance;
    }

    public long grace() {
        return grace;
    }

    @Override
    public String toString() {
        return "TimeWindows[" + kind + ", size=" + size + ", advance=" + advance + ", grace=" + grace + "]";
    }
}
