package io.offstate.engine.time;

import java.util.Arrays;

/**
 * One window's aggregate as a {@link WindowedAggregation} reports it: the key, the window
 * {@code [start, end)} (milliseconds for time windows, record numbers for count windows), whether
 * it is final, each aggregator's result and, when collecting, the window's values.
 *
 * <p>A reused flyweight over the aggregation's scratch memory: valid only during the listener call
 * (or until the next call on the aggregation, for {@link WindowedAggregation#fetch}). Reading
 * allocates nothing except {@link #copyKey()}. Not thread-safe.
 */
public final class WindowedResult {
    private final Aggregator[] aggregators;
    private final int[] offsets;
    private final AggregationSlot slot = new AggregationSlot();
    private final WindowedValues collected;
    byte[] key = new byte[16];
    int keyLength;
    long start;
    long end;
    boolean isFinal;
    byte[] accumulator;

    WindowedResult(Aggregator[] aggregators, int[] offsets, WindowedValues collected) {
        this.aggregators = aggregators;
        this.offsets = offsets;
        this.collected = collected;
    }

    void key(byte[] source, int length) {
        if (key.length < length) {
            key = new byte[Math.max(length, key.length * 2)];
        }
        System.arraycopy(source, 0, key, 0, length);
        keyLength = length;
    }

    public int keyLength() {
        return keyLength;
    }

    public byte keyByte(int index) {
        if (index < 0 || index >= keyLength) {
            throw new IndexOutOfBoundsException("key index " + index + " outside a key of " + keyLength + " bytes");
        }
        return key[index];
    }

    /** Whether the key is {@code bytes}. */
    public boolean keyEquals(byte[] bytes) {
        return Arrays.equals(key, 0, keyLength, bytes, 0, bytes.length);
    }

    /** A copy of the key (allocates). */
    public byte[] copyKey() {
        return Arrays.copyOf(key, keyLength);
    }

    /** The first millisecond (time windows) or record number (count windows) of the window. */
    public long windowStart() {
        return start;
    }

    /** The end of the window, exclusive. */
    public long windowEnd() {
        return end;
    }

    /** Whether this is the window's final result (it closed, or a sliding count window's only one). */
    public boolean isFinal() {
        return isFinal;
    }

    /** Number of aggregators. */
    public int aggregators() {
        return aggregators.length;
    }

    /** The result of aggregator {@code index}. */
    public double value(int index) {
        return aggregators[index].result(slot(index));
    }

    /** The raw slot of aggregator {@code index}, for aggregators with more than one result. */
    public AggregationSlot slot(int index) {
        return slot.wrap(accumulator, offsets[index], aggregators[index].width());
    }

    /**
     * The window's values in arrival order, when the aggregation collects; positioned before the
     * first. Read it during the call only.
     *
     * @throws IllegalStateException if the aggregation does not collect
     */
    public WindowedValues collected() {
        return collected.restart();
    }

    @Override
    public String toString() {
        StringBuilder s = new StringBuilder("WindowedResult[key=").append(Arrays.toString(copyKey()))
            .append(", [").append(start).append(", ").append(end).append(")").append(isFinal ? " final" : "");
        for (int i = 0; i < aggregators.length; i++) {
            s.append(", ").append(aggregators[i].name()).append('=').append(value(i));
        }
        return s.append(']').toString();
    }
}
