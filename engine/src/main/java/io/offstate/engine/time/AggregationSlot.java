package io.offstate.engine.time;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * A mutable flyweight over one aggregator's fixed-width bytes inside a window's accumulator:
 * longs and doubles at offsets relative to the aggregator's own start. An {@link Aggregator} reads
 * and updates its state only through this; the aggregation copies the bytes in from the store,
 * lets the aggregators update them in place, and writes them back, so nothing allocates.
 *
 * <p>Offsets are checked against the aggregator's {@link Aggregator#width() width}
 * ({@link IndexOutOfBoundsException}). Multi-byte values are little-endian. The slot is valid only
 * during the call it is passed to. Not thread-safe.
 */
public final class AggregationSlot {
    private static final VarHandle LONG = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
    private static final VarHandle DOUBLE = MethodHandles.byteArrayViewVarHandle(double[].class, ByteOrder.LITTLE_ENDIAN);

    private byte[] bytes;
    private int base;
    private int width;

    AggregationSlot() {
    }

    AggregationSlot wrap(byte[] bytes, int base, int width) {
        this.bytes = bytes;
        this.base = base;
        this.width = width;
        return this;
    }

    /** The width of this slot in bytes. */
    public int width() {
        return width;
    }

    public long getLong(int offset) {
        return (long) LONG.get(bytes, at(offset, 8));
    }

    public AggregationSlot putLong(int offset, long value) {
        LONG.set(bytes, at(offset, 8), value);
        return this;
    }

    public double getDouble(int offset) {
        return (double) DOUBLE.get(bytes, at(offset, 8));
    }

    public AggregationSlot putDouble(int offset, double value) {
        DOUBLE.set(bytes, at(offset, 8), value);
        return this;
    }

    private int at(int offset, int length) {
        if (offset < 0 || offset > width - length) {
            throw new IndexOutOfBoundsException("offset " + offset + " (+" + length + ") is outside an aggregation slot of "
                + width + " bytes");
        }
        return base + offset;
    }
}
