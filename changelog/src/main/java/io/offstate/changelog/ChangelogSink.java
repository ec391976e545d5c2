package io.offstate.changelog;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerGroupMetadata;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.FencedInstanceIdException;
import org.apache.kafka.common.errors.InvalidProducerEpochException;
import org.apache.kafka.common.errors.ProducerFencedException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TransactionAbortedException;
import org.apache.kafka.common.header.internals.RecordHeaders;

import io.offstate.engine.ChangeRecord;
import io.offstate.engine.ChangeSink;
import io.offstate.engine.KeyValueStore;

/**
 * The change sink of a {@link ChangelogPartition}'s transactions. {@link #record} turns each change
 * into a {@link ProducerRecord} for the store's changelog partition (puts as records, deletes as
 * tombstones, the record timestamp kept, the commit id and input offsets as headers) and keeps it;
 * {@link #end()} — which the engine calls only after the write-ahead log accepted the commit —
 * sends them, and under exactly-once sends the input offsets to the transaction and commits it.
 * Nothing reaches Kafka for a commit the log refused.
 *
 * <p>Not thread-safe: the partition's thread.
 */
final class ChangelogSink implements ChangeSink {
    private final ChangelogPartition partition;
    private final List<KeyValueStore> stores;
    private final String[] topics;
    private final boolean exactlyOnce;
    private final Duration commitTimeout;
    private final List<ProducerRecord<byte[], byte[]>> pending = new ArrayList<>();
    private final List<Integer> pendingStore = new ArrayList<>();

    // set by the transaction before each commit
    private Producer<byte[], byte[]> producer;
    private long commitId;
    private byte[] inputHeader;
    private Map<TopicPartition, OffsetAndMetadata> offsets;
    private ConsumerGroupMetadata group;

    /** Highest offset produced per store by the last accepted commit (-1: none). */
    final long[] lastOffsets;
    private volatile RuntimeException sendFailure;
    /** What end() threw, so that the transaction can tell a Kafka failure from another sink's. */
    RuntimeException failure;
    boolean ended;

    ChangelogSink(ChangelogPartition partition, List<KeyValueStore> stores, String[] topics, boolean exactlyOnce,
                  Duration commitTimeout) {
        this.partition = partition;
        this.stores = stores;
        this.topics = topics;
        this.exactlyOnce = exactlyOnce;
        this.commitTimeout = commitTimeout;
        this.lastOffsets = new long[stores.size()];
    }

    void prepare(Producer<byte[], byte[]> producer, long commitId, byte[] inputHeader,
                 Map<TopicPartition, OffsetAndMetadata> offsets, ConsumerGroupMetadata group) {
        this.producer = producer;
        this.commitId = commitId;
        this.inputHeader = inputHeader;
        this.offsets = offsets;
        this.group = group;
        this.failure = null;
        this.ended = false;
    }

    @Override
    public void begin(byte[] positions) {
        pending.clear();
        pendingStore.clear();
        java.util.Arrays.fill(lastOffsets, -1);
        sendFailure = null;
    }

    @Override
    public void record(ChangeRecord record) {
        int s = indexOf(record.store());
        byte[] key = record.key().toByteArray();
        byte[] value = record.isDelete() ? null : record.value().toByteArray();
        // 0 is the engine's "no timestamp given": let the producer stamp it rather than 1970
        Long timestamp = record.timestamp() > 0 ? record.timestamp() : null;
        RecordHeaders headers = new RecordHeaders();
        headers.add(ChangelogPositions.COMMIT_HEADER, ChangelogPositions.commitHeader(commitId));
        headers.add(ChangelogPositions.INPUT_HEADER, inputHeader);
        pending.add(new ProducerRecord<>(topics[s], partition.id(), timestamp, key, value, headers));
        pendingStore.add(s);
    }

    @Override
    public void end() {
        try {
            send();
            ended = true;
        } catch (RuntimeException e) {
            failure = e;
            throw e;
        } finally {
            pending.clear();
            pendingStore.clear();
        }
    }

    private void send() {
        try {
            for (int i = 0; i < pending.size(); i++) {
                final int s = pendingStore.get(i);
                producer.send(pending.get(i), (metadata, exception) -> {
                    if (exception != null) {
                        if (sendFailure == null) {
                            sendFailure = exception instanceof RuntimeException r ? r : new KafkaException(exception);
                        }
                    } else if (metadata.offset() > lastOffsets[s]) {
                        lastOffsets[s] = metadata.offset();
                    }
                });
            }
            producer.flush();
            if (sendFailure != null) {
                throw sendFailure;
            }
            if (exactlyOnce) {
                if (offsets != null && !offsets.isEmpty()) {
                    producer.sendOffsetsToTransaction(offsets, group);
                }
                commitWithRetry();
            }
        } catch (ProducerFencedException | InvalidProducerEpochException | FencedInstanceIdException e) {
            throw partition.fenced(e);
        } catch (CommitFailedException e) {
            // The group moved to a new generation since the consumer's last poll (a rebalance, with
            // a cooperative assignor while this member keeps processing; or this member was dropped
            // from the group). Its producer is not fenced: abort the Kafka transaction and let the
            // batch be processed again after the next poll, which joins the new generation (and
            // revokes the partition if it moved).
            partition.abortKafkaTransaction(e);
            throw new ChangelogCommitException(partition.id(), false, "the consumer group rebalanced before the commit of"
                + " partition " + partition.id() + " (" + e.getMessage() + "): its Kafka transaction was aborted and"
                + " nothing was applied; poll again and process from the last committed offsets", e);
        } catch (ChangelogCommitException e) {
            throw e;
        } catch (KafkaException e) {
            if (e.getCause() instanceof ProducerFencedException || e.getCause() instanceof InvalidProducerEpochException) {
                throw partition.fenced(e);
            }
            if (exactlyOnce) {
                partition.abortKafkaTransaction(e);
            }
            throw new ChangelogCommitException(partition.id(), false, "producing the changelog of partition " + partition.id()
                + " failed: " + e + "; the commit was not applied" + (exactlyOnce ? " and its Kafka transaction was aborted" : ""), e);
        }
    }

    private void commitWithRetry() {
        long deadline = System.nanoTime() + commitTimeout.toNanos();
        while (true) {
            try {
                producer.commitTransaction();
                return;
            } catch (TimeoutException e) {
                if (System.nanoTime() > deadline) {
                    partition.failInDoubt();
                    throw new ChangelogCommitException(partition.id(), true, "committing the Kafka transaction of partition "
                        + partition.id() + " timed out after " + commitTimeout + ": Kafka may have committed it; the local"
                        + " store did not apply it. Revoke and assign the partition again: its recovery reconciles", e);
                }
            } catch (TransactionAbortedException e) {
                throw new ChangelogCommitException(partition.id(), false, "the Kafka transaction of partition " + partition.id()
                    + " was aborted: " + e, e);
            }
        }
    }

    @Override
    public void aborted() {
        pending.clear();
        pendingStore.clear();
        if (ended) {
            // Kafka has the commit but a later step refused it (damage found while applying):
            // the local store is behind; only a recovery can bring it level.
            ended = false;
            partition.failInDoubt();
        }
    }

    private int indexOf(KeyValueStore store) {
        for (int i = 0; i < stores.size(); i++) {
            if (stores.get(i) == store) {
                return i;
            }
        }
        throw new IllegalArgumentException("store '" + store.name() + "' is not a store of partition " + partition.id());
    }
}
