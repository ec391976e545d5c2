package io.offstate.engine.time;

/**
 * Receives the results of a {@link WindowedAggregation}: after each update of a window
 * ({@link WindowedAggregationOptions.Emit#ON_UPDATE}) or once, when it closes
 * ({@link WindowedAggregationOptions.Emit#ON_CLOSE}). Called on the thread that drives the
 * aggregation, inside its {@code process} or {@code advance} call.
 *
 * <p>The {@link WindowedResult} is reused: valid only during the call. The listener must not write
 * to the aggregation's backing store during the call (other stores of the transaction are fine); an
 * exception from it propagates out of {@code process}/{@code advance} with the transaction holding
 * part of that call's writes — abort it.
 */
@FunctionalInterface
public interface WindowedResultListener {
    void onResult(WindowedResult result);
}
