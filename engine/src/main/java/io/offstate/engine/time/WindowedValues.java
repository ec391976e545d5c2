package io.offstate.engine.time;

import io.offstate.engine.ValueView;

/**
 * The collected values of one window (see {@link WindowedAggregationOptions.Builder#collect}),
 * read in arrival order straight from the backing store (through the transaction of the call).
 * A reused cursor: {@link #next()} steps, {@link #value()} is a zero-copy view valid until the next
 * step and only during the listener call. Stepping allocates nothing. Not thread-safe.
 */
public final class WindowedValues {
    private final TimeScan scan;
    private final boolean enabled;
    private final ValueView value = new ValueView();
    private final Scratch from = new Scratch(64);
    private final Scratch to = new Scratch(64);
    private int valueOffset;
    private boolean positioned;

    WindowedValues(TimeScan scan, boolean enabled) {
        this.scan = scan;
        this.enabled = enabled;
    }

    /** Sets the range to read: keys in {@code [from, to)}, each value's bytes from {@code valueOffset}. */
    void bind(Scratch fromKey, Scratch toKey, int valueOffset) {
        copy(fromKey, from);
        copy(toKey, to);
        this.valueOffset = valueOffset;
    }

    private static void copy(Scratch source, Scratch target) {
        target.reset(source.length);
        System.arraycopy(source.array, 0, target.array, 0, source.length);
        target.length = source.length;
    }

    WindowedValues restart() {
        if (!enabled) {
            throw new IllegalStateException("this windowed aggregation does not collect values (collect(true) in its options)");
        }
        positioned = false;
        return this;
    }

    /** Steps to the next value; false after the last. */
    public boolean next() {
        if (!positioned) {
            scan.range(from, to, false);
            positioned = true;
        }
        if (!scan.next()) {
            return false;
        }
        ValueView v = scan.value();
        value.wrapSlice(v, valueOffset, v.length() - valueOffset);
        return true;
    }

    /** The current value. */
    public ValueView value() {
        return value;
    }
}
