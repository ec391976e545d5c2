package io.offstate.engine.log;

/**
 * Receives the batches of {@link WriteAheadLog#replay}, one at a time, in position order.
 *
 * <p>The {@link WalBatch} is a flyweight over the mapped segment: valid only during the call
 * (copy what must outlive it). An exception thrown here stops the replay and propagates.
 */
@FunctionalInterface
public interface BatchHandler {
    /** Called once per replayed batch. */
    void onBatch(WalBatch batch);
}
