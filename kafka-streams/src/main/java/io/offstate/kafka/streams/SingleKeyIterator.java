package io.offstate.kafka.streams;

import java.util.Set;

import org.apache.kafka.streams.state.WindowStoreIterator;

/** A {@link BatchedWindowIterator} over one key's windows, keyed by window start (Kafka's {@link WindowStoreIterator}). */
final class SingleKeyIterator extends BatchedWindowIterator<Long> implements WindowStoreIterator<byte[]> {
    SingleKeyIterator(OffstateWindowStore owner, Set<BatchedWindowIterator<?>> openSet, Query query, long from, long to,
                      boolean backward, long interval) {
        super(owner, openSet, query, (key, start) -> start, from, to, backward, interval);
    }
}
