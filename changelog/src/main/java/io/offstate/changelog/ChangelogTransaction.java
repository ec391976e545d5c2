package io.offstate.changelog;

import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.ProducerFencedException;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;

/**
 * A {@link ChangelogPartition}'s transaction: the engine {@link Transaction} for reads and writes
 * ({@link #state()}), output records ({@link #send}), and a commit that puts the change records in
 * the changelog together with the input offsets.
 *
 * <h2>Commit</h2>
 * {@link #commit(Map)}, in order: the commit is written to the state manager's write-ahead log;
 * the change records are produced to the stores' changelog partitions; <b>exactly-once</b>: the
 * input offsets are sent to the Kafka transaction with the consumer's group metadata and the
 * transaction is committed (output records, change records and offsets atomically); <b>at-least-once</b>:
 * the records are acknowledged; then the stores apply the commit; at-least-once then commits the
 * input offsets through the consumer ({@code commitSync}). The commit carries
 * {@link ChangelogPositions} (input offsets, changelog offsets) as the engine's positions.
 *
 * <h2>Failures</h2>
 * <ul>
 *   <li>{@link ChangelogFencedException}: a newer owner fenced the partition; the stores did not
 *       change (the state is that of the last committed Kafka transaction); the transaction is aborted.</li>
 *   <li>{@link ChangelogCommitException}: Kafka refused or failed (also when the consumer group
 *       rebalanced since the last poll: the consumer's generation is stale); stores unchanged;
 *       transaction aborted (under exactly-once its Kafka transaction too, with the output
 *       records). Unless {@link ChangelogCommitException#inDoubt() in doubt}, the changelog's
 *       consumer is rewound to the last committed offset of each input partition of the commit
 *       (one that never committed goes back to its beginning, whatever the reset policy): poll and
 *       process again.</li>
 *   <li>Engine refusals before anything is produced ({@link io.offstate.offheap.StoreFullException},
 *       a log that refused the append): thrown as they are; nothing reached Kafka, the transaction
 *       stays open (retry or abort).</li>
 *   <li>Bad input (null, a store not of the partition): as the engine transaction; nothing changes.</li>
 * </ul>
 *
 * <p>Used once; confined to the partition's thread. {@link #close()} without a commit aborts.
 */
public final class ChangelogTransaction implements AutoCloseable {
    private final ChangelogPartition partition;
    private final Transaction tx;
    private final Producer<byte[], byte[]> producer;
    private final boolean exactlyOnce;
    private final Consumer<?, ?> consumer;
    private boolean done;
    private volatile RuntimeException outputFailure;

    ChangelogTransaction(ChangelogPartition partition, Transaction tx, Producer<byte[], byte[]> producer,
                         boolean exactlyOnce, Consumer<?, ?> consumer) {
        this.partition = partition;
        this.tx = tx;
        this.producer = producer;
        this.exactlyOnce = exactlyOnce;
        this.consumer = consumer;
        if (exactlyOnce) {
            try {
                producer.beginTransaction();
            } catch (ProducerFencedException e) {
                tx.abort();
                throw partition.fenced(e);
            } catch (RuntimeException e) {
                tx.abort();
                throw e;
            }
        }
        tx.addSink(partition.sink);
    }

    /**
     * The engine transaction over the partition's stores: read, put and delete through it. Do not
     * commit or abort it directly; use this object's {@link #commit} and {@link #abort}.
     */
    public Transaction state() {
        ensureOpen();
        return tx;
    }

    /**
     * Sends an output record: exactly-once, inside the partition's Kafka transaction (visible to
     * read-committed consumers only if the commit succeeds); at-least-once, at once (the commit
     * waits for its acknowledgement).
     *
     * @throws NullPointerException  if {@code record} is null
     * @throws IllegalStateException if the transaction ended
     */
    public void send(ProducerRecord<byte[], byte[]> record) {
        Objects.requireNonNull(record, "record");
        ensureOpen();
        producer.send(record, (m, e) -> {
            if (e != null && outputFailure == null) {
                outputFailure = e instanceof RuntimeException r ? r : new KafkaException(e);
            }
        });
    }

    /** Commits with no input offsets. */
    public void commit() {
        commit(Map.of());
    }

    /**
     * Commits (see the class contract). {@code offsets} are the next input offsets to consume per
     * input partition (Kafka's convention: the last processed offset + 1).
     *
     * @throws ChangelogFencedException  if fenced (nothing applied, aborted)
     * @throws ChangelogCommitException  if Kafka failed (nothing applied, aborted)
     * @throws IllegalStateException     if the transaction ended
     */
    public void commit(Map<TopicPartition, OffsetAndMetadata> offsets) {
        Objects.requireNonNull(offsets, "offsets");
        ensureOpen();
        ChangelogPositions base = partition.positions();
        long commitId;
        do {
            commitId = ThreadLocalRandom.current().nextLong();
        } while (commitId == 0);
        Map<TopicPartition, Long> inputs = new LinkedHashMap<>(base.inputOffsets());
        for (Map.Entry<TopicPartition, OffsetAndMetadata> e : offsets.entrySet()) {
            inputs.put(Objects.requireNonNull(e.getKey(), "input partition"),
                Objects.requireNonNull(e.getValue(), "offset").offset());
        }
        List<KeyValueStore> stores = partition.stores();
        Map<String, ChangelogPositions.StoreOffset> st = new LinkedHashMap<>();
        for (int i = 0; i < stores.size(); i++) {
            ChangelogPositions.StoreOffset was = base.store(partition.storeName(i));
            long from = was == null ? 0 : was.offset();
            boolean wrote = exactlyOnce && tx.pendingWrites(stores.get(i)) > 0;
            st.put(partition.storeName(i), new ChangelogPositions.StoreOffset(from, wrote, false));
        }
        ChangelogPositions next = new ChangelogPositions(commitId, inputs, st);
        ChangelogPositions thisCommit = new ChangelogPositions(commitId, inputs, Map.of());
        partition.sink.prepare(producer, commitId, thisCommit.encodeInputs(), offsets,
            exactlyOnce && consumer != null && !offsets.isEmpty() ? consumer.groupMetadata() : null);
        if (outputFailure != null) {
            RuntimeException f = outputFailure;
            abort();
            ChangelogCommitException failed = new ChangelogCommitException(partition.id(), false, "an output record of"
                + " partition " + partition.id() + " could not be sent: " + f + "; nothing was committed", f);
            rewind(base, offsets, failed);
            throw failed;
        }
        try {
            tx.commit(next.encode());
        } catch (RuntimeException e) {
            if (partition.sink.failure != null || partition.phase() != ChangelogPartition.Phase.ACTIVE) {
                // Kafka's part failed: the stores are unchanged, the Kafka transaction is gone
                done = true;
                if (!tx.isDone()) {
                    tx.abort();
                }
            }
            if (e instanceof ChangelogCommitException c && !c.inDoubt()) {
                rewind(base, offsets, c);
            }
            throw e;
        }
        done = true;
        // The base of the next commit: every record of this one is below these offsets.
        Map<String, ChangelogPositions.StoreOffset> after = new LinkedHashMap<>();
        for (int i = 0; i < stores.size(); i++) {
            long last = partition.sink.lastOffsets[i];
            long from = st.get(partition.storeName(i)).offset();
            after.put(partition.storeName(i), new ChangelogPositions.StoreOffset(last >= 0 ? last + 1 : from, false, false));
        }
        partition.positionsAfterCommit(new ChangelogPositions(commitId, inputs, after));
        if (outputFailure != null) {
            // at-least-once only (exactly-once would have failed the Kafka commit): the state and
            // the changelog are committed, an output record was lost; do not commit the input
            throw new ChangelogCommitException(partition.id(), false, "an output record of partition " + partition.id()
                + " failed after the state was committed: " + outputFailure + "; the input offsets were not committed", outputFailure);
        }
        if (!exactlyOnce && consumer != null && !offsets.isEmpty()) {
            consumer.commitSync(new HashMap<>(offsets));
        }
    }

    /**
     * After a failed commit that applied nothing: moves the consumer back to the last committed
     * offset of each input partition of the commit, so that its next poll returns the batch again.
     * A partition the consumer no longer holds is skipped (its next owner starts from the committed
     * offsets); one that never committed (no position, no group offset) goes back to its beginning:
     * leaving it where it is would skip the refused batch.
     */
    private void rewind(ChangelogPositions base, Map<TopicPartition, OffsetAndMetadata> offsets, ChangelogCommitException failed) {
        if (consumer == null || offsets.isEmpty()) {
            return;
        }
        for (TopicPartition tp : offsets.keySet()) {
            try {
                Long at = base.inputOffsets().get(tp);
                if (at == null) {
                    OffsetAndMetadata committed = consumer.committed(java.util.Set.of(tp)).get(tp);
                    if (committed == null) {
                        // nothing of this partition was ever committed, so nothing of it is counted:
                        // its beginning is the one place that loses no record (whatever the reset policy)
                        consumer.seekToBeginning(java.util.Set.of(tp));
                        continue;
                    }
                    at = committed.offset();
                }
                consumer.seek(tp, at);
            } catch (IllegalStateException e) {
                // not assigned to this consumer any more
            } catch (RuntimeException e) {
                failed.addSuppressed(e);
            }
        }
    }

    /** Discards the writes (and under exactly-once aborts the Kafka transaction with its output records). */
    public void abort() {
        ensureOpen();
        done = true;
        RuntimeException failure = null;
        try {
            tx.abort();
        } catch (RuntimeException e) {
            failure = e;
        }
        if (exactlyOnce && partition.phase() == ChangelogPartition.Phase.ACTIVE) {
            try {
                producer.abortTransaction();
            } catch (ProducerFencedException e) {
                failure = partition.fenced(e);
            } catch (RuntimeException e) {
                partition.failInDoubt();
                if (failure == null) {
                    failure = e;
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** Aborts if still open; otherwise nothing. */
    @Override
    public void close() {
        if (!done) {
            abort();
        }
    }

    /** Whether it was committed or aborted. */
    public boolean isDone() {
        return done;
    }

    private void ensureOpen() {
        if (done) {
            throw new IllegalStateException("changelog transaction of partition " + partition.id() + " already ended; begin a new one");
        }
    }
}
