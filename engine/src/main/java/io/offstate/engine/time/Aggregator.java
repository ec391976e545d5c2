package io.offstate.engine.time;

/**
 * A fixed-width accumulator for a {@link WindowedAggregation}: its state lives in {@link #width()}
 * bytes of each window's entry and is updated in place through an {@link AggregationSlot}, so
 * adding a record allocates nothing. The built-in ones are in {@link Aggregators}.
 *
 * <ol>
 *   <li>{@link #init} is called once when a window is created, before its first {@link #add}.</li>
 *   <li>{@link #add} is called once per record of the window, in arrival order, with the record's
 *       numeric value (from the primitive {@code process} or the value extractor) and timestamp.</li>
 *   <li>{@link #result} reads the aggregate; it must not change the slot.</li>
 *   <li>{@link #name()} identifies the aggregator in the store's metadata, so a store written with
 *       other aggregators is refused when opened.</li>
 * </ol>
 * Implementations must be stateless (state belongs in the slot) and must not keep the slot.
 */
public interface Aggregator {
    /** The bytes of state per window (≥ 0, constant). */
    int width();

    /** Sets the initial state of a new window. */
    void init(AggregationSlot slot);

    /** Adds one record. */
    void add(AggregationSlot slot, double value, long timestamp);

    /** The aggregate of the records added so far. */
    double result(AggregationSlot slot);

    /** A stable name for the store's metadata; by default the class name. */
    default String name() {
        return getClass().getName();
    }
}
