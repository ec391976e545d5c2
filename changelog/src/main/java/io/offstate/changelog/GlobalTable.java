package io.offstate.changelog;

import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;

/**
 * A table fed from <em>every</em> partition of a topic (Kafka Streams' {@code GlobalKTable},
 * Faust's {@code GlobalTable}): each instance keeps a full copy in a file-backed store, read from
 * the processing thread, kept up to date by {@link #update()} calls from that thread.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>Records are applied as the topic has them: a value puts, a null value (tombstone) deletes;
 *       the record timestamp is kept. A null key is skipped.</li>
 *   <li>The store's flush metadata holds the offset reached per partition (the input part of
 *       {@link ChangelogPositions}), committed with the data every {@code flushEveryRecords}
 *       records and at {@link #close()}: a reopen resumes there (after a crash: from the last flush,
 *       replaying idempotent puts and deletes).</li>
 *   <li>{@link #bootstrap(Duration)} reads up to the end offsets taken when it <em>starts</em> and
 *       returns: it never chases a topic that keeps growing (Faust's endless recovery).</li>
 *   <li>An offset out of range (records deleted by retention) clears the store and rebuilds it
 *       from the earliest offsets, logged.</li>
 * </ol>
 *
 * <p>Threading: the opening thread owns the table and its store (the engine's rule); others get
 * {@link WrongThreadException} from the store. It owns its consumer and store, closed by
 * {@link #close()}. Partitions added to the topic later are not picked up.
 */
public final class GlobalTable implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.offstate.changelog");

    private final String topic;
    private final KeyValueStore store;
    private final KafkaConsumer<byte[], byte[]> consumer;
    private final List<TopicPartition> partitions;
    private final Map<TopicPartition, Long> offsets = new LinkedHashMap<>();
    private final long flushEveryRecords;
    private long sinceFlush;
    private long applied;
    private boolean closed;

    private GlobalTable(String topic, KeyValueStore store, KafkaConsumer<byte[], byte[]> consumer,
                        List<TopicPartition> partitions, long flushEveryRecords) {
        this.topic = topic;
        this.store = store;
        this.consumer = consumer;
        this.partitions = partitions;
        this.flushEveryRecords = flushEveryRecords;
    }

    /**
     * Opens (or creates) the table's store in {@code directory} and positions its consumer where
     * the last flush stopped (the earliest offsets for a new store).
     *
     * @param consumerConfig at least {@code bootstrap.servers}; deserializers, group and auto-commit
     *                       are set by the table (no consumer group is used)
     * @param flushEveryRecords records applied between flushes (positive)
     * @throws IllegalArgumentException if the topic does not exist, the store's flush metadata is
     *                                  not a global table's, or {@code flushEveryRecords} is not positive
     */
    public static GlobalTable open(Path directory, StoreOptions storeOptions, String topic, Map<String, Object> consumerConfig,
                                   long flushEveryRecords) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(storeOptions, "storeOptions");
        Objects.requireNonNull(topic, "topic");
        Objects.requireNonNull(consumerConfig, "consumerConfig");
        if (flushEveryRecords <= 0) {
            throw new IllegalArgumentException("flushEveryRecords must be positive, was " + flushEveryRecords);
        }
        Map<String, Object> c = new HashMap<>(consumerConfig);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
        c.remove(ConsumerConfig.GROUP_ID_CONFIG);
        KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(c);
        KeyValueStore store = null;
        try {
            List<PartitionInfo> infos = consumer.partitionsFor(topic);
            if (infos == null || infos.isEmpty()) {
                throw new IllegalArgumentException("topic '" + topic + "' of the global table does not exist");
            }
            List<TopicPartition> tps = new ArrayList<>();
            for (PartitionInfo i : infos) {
                tps.add(new TopicPartition(topic, i.partition()));
            }
            store = KeyValueStore.open(directory, storeOptions);
            GlobalTable t = new GlobalTable(topic, store, consumer, tps, flushEveryRecords);
            t.position(ChangelogPositions.decode(store.lastFlushMetadata()).inputOffsets());
            return t;
        } catch (RuntimeException e) {
            if (store != null) {
                store.closeWithoutFlush();
            }
            consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ZERO));
            throw e;
        }
    }

    private void position(Map<TopicPartition, Long> recorded) {
        consumer.assign(partitions);
        Map<TopicPartition, Long> begin = consumer.beginningOffsets(partitions);
        Map<TopicPartition, Long> end = consumer.endOffsets(partitions);
        boolean rebuild = false;
        for (TopicPartition tp : partitions) {
            Long at = recorded.get(tp);
            long from = at == null ? begin.get(tp) : at;
            if (from < begin.get(tp) || from > end.get(tp)) {
                rebuild = true;
                LOG.log(Level.WARNING, "global table {0}: offset {1} of {2} is out of range [{3}, {4}]: rebuilding from the"
                    + " earliest offsets", topic, from, tp, begin.get(tp), end.get(tp));
            }
            offsets.put(tp, from);
        }
        if (rebuild) {
            store.clear();
            offsets.putAll(begin);
            flush();
        }
        for (TopicPartition tp : partitions) {
            consumer.seek(tp, offsets.get(tp));
        }
    }

    /**
     * Reads every partition up to its end offset as of this call, then returns (records appended
     * meanwhile wait for {@link #update()}).
     *
     * @return records applied
     * @throws org.apache.kafka.common.errors.TimeoutException if the end was not reached within {@code timeout}
     */
    public long bootstrap(Duration timeout) {
        checkOpen();
        Map<TopicPartition, Long> target = consumer.endOffsets(partitions);
        long deadline = System.nanoTime() + timeout.toNanos();
        long before = applied;
        while (!reached(target)) {
            if (System.nanoTime() > deadline) {
                throw new org.apache.kafka.common.errors.TimeoutException("global table " + topic + " did not reach "
                    + target + " within " + timeout + " (at " + offsets + ")");
            }
            apply(poll(Duration.ofMillis(100)));
        }
        flush();
        return applied - before;
    }

    private boolean reached(Map<TopicPartition, Long> target) {
        for (TopicPartition tp : partitions) {
            if (consumer.position(tp) < target.get(tp)) {
                return false;
            }
        }
        return true;
    }

    /** Applies what the consumer fetched already (does not wait); returns the records applied. */
    public int update() {
        checkOpen();
        return apply(poll(Duration.ZERO));
    }

    private ConsumerRecords<byte[], byte[]> poll(Duration d) {
        try {
            return consumer.poll(d);
        } catch (org.apache.kafka.clients.consumer.OffsetOutOfRangeException e) {
            position(Map.of(e.offsetOutOfRangePartitions().keySet().iterator().next(), -1L));
            return ConsumerRecords.empty();
        }
    }

    private int apply(ConsumerRecords<byte[], byte[]> batch) {
        int n = 0;
        if (!batch.isEmpty()) {
            try (Transaction tx = Transaction.begin(store)) {
                for (ConsumerRecord<byte[], byte[]> r : batch) {
                    if (r.key() == null) {
                        continue;
                    }
                    if (r.value() == null) {
                        tx.delete(store, r.key(), r.timestamp());
                    } else {
                        tx.put(store, r.key(), r.value(), r.timestamp());
                    }
                    n++;
                }
                tx.commit();
            }
        }
        for (TopicPartition tp : partitions) {
            offsets.put(tp, consumer.position(tp));
        }
        applied += n;
        sinceFlush += n;
        if (sinceFlush >= flushEveryRecords) {
            flush();
        }
        return n;
    }

    private void flush() {
        store.flush(new ChangelogPositions(0, offsets, Map.of()).encode());
        sinceFlush = 0;
    }

    /** The table's store: read it (get, cursors) from the owning thread; do not write it. */
    public KeyValueStore store() {
        checkOpen();
        return store;
    }

    /** Offsets reached per partition (the next to read). */
    public Map<TopicPartition, Long> offsets() {
        return Map.copyOf(offsets);
    }

    private void checkOpen() {
        if (closed) {
            throw new io.offstate.offheap.StoreClosedException("global table " + topic);
        }
    }

    /** Flushes the store with the offsets reached, closes it and the consumer; idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            flush();
        } finally {
            try {
                store.close();
            } finally {
                consumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
            }
        }
    }
}
