package io.offstate.engine.time;

/**
 * Count windows for a {@link WindowedAggregation}: windows over the sequence of a key's records
 * (in arrival order), whatever their timestamps. Immutable; thread-safe.
 *
 * <ol>
 *   <li>The records of a key are numbered 0, 1, 2, … as they arrive; a window is a range of those
 *       numbers {@code [start, end)}, which is what a result reports as its start and end.</li>
 *   <li><b>Hopping</b> ({@link #hopping(long, long)}): windows {@code [k·step, k·step + size)};
 *       a window closes when its {@code size}-th record arrives. <b>Tumbling</b>: step = size.</li>
 *   <li><b>Sliding</b> ({@link #sliding(long)}): every record emits the aggregate of the key's last
 *       {@code size} records (fewer at the beginning), window {@code [max(0, n + 1 − size), n + 1)}.</li>
 *   <li>Count windows are never late and do not follow stream time.</li>
 * </ol>
 *
 * @throws IllegalArgumentException from the factories for a size ≤ 0, a step ≤ 0 or &gt; size
 */
public final class CountWindows {
    /** The shape of the windows. */
    public enum Kind { TUMBLING, HOPPING, SLIDING }

    private final Kind kind;
    private final long size;
    private final long step;

    private CountWindows(Kind kind, long size, long step) {
        this.kind = kind;
        this.size = size;
        this.step = step;
    }

    /** Every {@code size} records of a key form one window. */
    public static CountWindows tumbling(long size) {
        TimeKeys.checkPositive(size, "count window size");
        return new CountWindows(Kind.TUMBLING, size, size);
    }

    /** Windows of {@code size} records starting every {@code step} records ({@code 0 < step ≤ size}). */
    public static CountWindows hopping(long size, long step) {
        TimeKeys.checkPositive(size, "count window size");
        TimeKeys.checkPositive(step, "count window step");
        if (step > size) {
            throw new IllegalArgumentException("count window step " + step + " must not exceed the window size " + size);
        }
        return new CountWindows(step == size ? Kind.TUMBLING : Kind.HOPPING, size, step);
    }

    /** The last {@code size} records of a key, emitted on every record. */
    public static CountWindows sliding(long size) {
        TimeKeys.checkPositive(size, "count window size");
        return new CountWindows(Kind.SLIDING, size, 1);
    }

    public Kind kind() {
        return kind;
    }

    public long size() {
        return size;
    }

    public long step() {
        return step;
    }

    @Override
    public String toString() {
        return "CountWindows[" + kind + ", size=" + size + ", step=" + step + "]";
    }
}
