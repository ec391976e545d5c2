package io.offstate.changelog;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetOutOfRangeException;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteBufferDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import io.offstate.engine.StateManager;
import io.offstate.engine.StatePartition;
import io.offstate.offheap.StoreClosedException;

/**
 * Replicates a {@link StateManager}'s stores to Kafka changelog topics and recovers them from there:
 * what lets partitions, and their state, move between instances.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Topics.</b> {@link #open} gives every defined store a changelog topic
 *       ({@link ChangelogOptions#topicOf}) with the input topic's partition count and
 *       {@code cleanup.policy=compact} ({@code compact,delete} with the store's retention plus a
 *       margin for {@link ChangelogOptions.Builder#windowedStore windowed stores}), creating the
 *       missing ones through {@link Admin}. An existing topic with another partition count or policy
 *       throws {@link ChangelogTopicException} before anything is created.</li>
 *   <li><b>Commits</b> go through {@link ChangelogPartition#begin()}: see {@link ChangelogTransaction}.
 *       Each carries {@link ChangelogPositions}: the input offsets and, per store, the changelog
 *       offset from which a replay reproduces it, committed atomically with the data.</li>
 *   <li><b>Recovery.</b> {@link #assign} assigns the state partition (local recovery: the stores'
 *       files and the write-ahead log), under exactly-once initializes the partition's transactional
 *       producer (fencing a previous owner, aborting its open transaction), pauses the input
 *       partition and starts restoring each store from its recorded offset to the changelog's end
 *       offset (read committed under exactly-once). {@link #restore()} (or {@link #poll}) advances it
 *       a poll at a time through the engine's bulk restore ({@link StatePartition#beginRestore}):
 *       records go straight into the stores and the offsets reached become durable with a flush of
 *       the data (first after {@link ChangelogOptions#restoreBatchRecords()} records, then after
 *       twice as many each time, and at the end): bounded memory, and a revoke resumes where it
 *       stopped, a crash from the last flush (replaying records again is harmless). An offset out of range,
 *       a rebuild under way, or a last local commit that Kafka does not have (exactly-once: a crash
 *       between the local log and the Kafka commit) make the store be wiped and rebuilt from the
 *       earliest offset, reported to the {@link RestoreListener} and the log. Once every store is
 *       level the partition is {@link ChangelogPartition.Phase#ACTIVE} and its input resumed.</li>
 *   <li><b>Rebalancing.</b> {@link #rebalanceListener()} assigns and revokes with the consumer's
 *       group; {@link #revoke} aborts an open transaction, suspends a restore (kept, resumed at the
 *       next assign), closes the partition's producer (exactly-once) and revokes the state partition.</li>
 *   <li><b>Standbys.</b> {@link #assignStandby} keeps a copy of a partition owned elsewhere by
 *       tailing its changelogs in every restore step, committing the offsets reached; a later
 *       {@link #assign} of it replays only the lag.</li>
 *   <li><b>Known limits.</b> At-least-once: a commit whose records were sent but not all
 *       acknowledged fails locally while some records may be in the changelog (a new owner then
 *       has them; the input is processed again). A tombstone compacted away
 *       ({@code delete.retention.ms}) before a returning owner replays past it leaves that key in
 *       its store, as in Kafka Streams. Exactly-once: a local commit ahead of Kafka is rolled back
 *       by rebuilding the store from the earliest offset (correct, not cheap); if compaction
 *       removed the last commit's own records the check cannot see them and rebuilds too.</li>
 *   <li><b>Bad input</b>: a partition outside the input topic, assigned twice or not assigned, a
 *       state partition whose positions were not written by a changelog: a specific exception
 *       ({@link IllegalArgumentException}, {@link IllegalStateException}) and nothing changed.</li>
 * </ol>
 *
 * <h2>Threading</h2>
 * Not thread-safe: one thread (the consumer's poll thread, which the rebalance listener runs on)
 * drives the changelog, its partitions and transactions, as the state partitions require.
 *
 * <pre>{@code
 * try (Changelog changelog = Changelog.open(manager, consumer, ChangelogOptions.builder("app", bootstrap, "words")
 *         .guarantee(Guarantee.EXACTLY_ONCE).build())) {
 *     consumer.subscribe(List.of("words"), changelog.rebalanceListener());
 *     while (running) {
 *         for (TopicPartition tp : changelog.poll(consumer, Duration.ofMillis(100)).partitions()) { ... }
 *     }
 * }
 * }</pre>
 * (a complete word count: {@code WordCountExampleTest.wordCount} in this module's tests)
 *
 * <h2>Resources</h2>
 * It owns the producers (one shared at-least-once, one per partition exactly-once) and a restore
 * consumer, closed by {@link #close()}; it does not own the manager or the input consumer.
 */
public final class Changelog implements AutoCloseable {
    private static final System.Logger LOG = System.getLogger("io.offstate.changelog");
    /** Most records a restore poll returns (fewer if {@link ChangelogOptions#restoreBatchRecords()} is smaller). */
    private static final int MAX_RESTORE_POLL = 10_000;

    private final StateManager manager;
    private final Consumer<?, ?> consumer;
    private final ChangelogOptions options;
    private final int partitionCount;
    private final boolean exactlyOnce;
    private final Map<Integer, ChangelogPartition> partitions = new LinkedHashMap<>();
    private final Map<Integer, PartitionRestore> restoring = new LinkedHashMap<>();
    private final Map<Integer, PartitionRestore> standbys = new LinkedHashMap<>();
    private Producer<byte[], byte[]> shared;
    private KafkaConsumer<ByteBuffer, ByteBuffer> restoreConsumer;
    /** Polls {@link #restoreConsumer} ahead of the restore steps (null until the first step). */
    private RestoreFetcher fetcher;
    private boolean reassign;
    private boolean closed;

    private Changelog(StateManager manager, Consumer<?, ?> consumer, ChangelogOptions options, int partitionCount) {
        this.manager = manager;
        this.consumer = consumer;
        this.options = options;
        this.partitionCount = partitionCount;
        this.exactlyOnce = options.guarantee() == Guarantee.EXACTLY_ONCE;
    }

    /**
     * Checks or creates the changelog topics of {@code manager}'s defined stores (see the class
     * contract) and returns a changelog with nothing assigned.
     *
     * @param consumer the input consumer (may be null: then no input is paused or resumed, and
     *                 commits commit no consumer offsets — tests, or callers that do it themselves)
     * @throws ChangelogTopicException  if the input topic is missing or a changelog does not fit
     * @throws IllegalStateException    if the manager defines no store
     * @throws org.apache.kafka.common.KafkaException if Kafka cannot be reached or refuses
     */
    public static Changelog open(StateManager manager, Consumer<?, ?> consumer, ChangelogOptions options) {
        Objects.requireNonNull(manager, "manager");
        Objects.requireNonNull(options, "options");
        List<String> stores = manager.storeNames();
        if (stores.isEmpty()) {
            throw new IllegalStateException("the state manager defines no store: define them before opening the changelog");
        }
        Map<String, Object> config = new HashMap<>(options.clientConfigs());
        config.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
        try (Admin admin = Admin.create(config)) {
            int partitions = ChangelogTopics.ensure(admin, options, stores);
            return new Changelog(manager, consumer, options, partitions);
        }
    }

    /** The options. */
    public ChangelogOptions options() {
        return options;
    }

    /** The input topic's (and every changelog's) partition count, as found at open. */
    public int partitionCount() {
        return partitionCount;
    }

    /** A listener that assigns and revokes this changelog's partitions with the consumer group's. */
    public ConsumerRebalanceListener rebalanceListener() {
        return new ChangelogRebalanceListener(this);
    }

    /**
     * Assigns partitions to the calling thread and starts their recovery (see the class contract).
     * All or nothing: if one fails, none of this call stays assigned.
     *
     * @throws IllegalArgumentException if a partition is outside the input topic or given twice
     * @throws IllegalStateException    if one is assigned already, or its state was committed
     *                                  without a changelog
     */
    public void assign(int... ids) {
        Objects.requireNonNull(ids, "partitions");
        checkOpen();
        Set<Integer> seen = new TreeSet<>();
        for (int p : ids) {
            if (p < 0 || p >= partitionCount) {
                throw new IllegalArgumentException("partition " + p + " is not a partition of input topic '"
                    + options.inputTopic() + "' (0.." + (partitionCount - 1) + ")");
            }
            if (!seen.add(p)) {
                throw new IllegalArgumentException("partition " + p + " is given twice");
            }
            if (partitions.containsKey(p)) {
                throw new IllegalStateException("partition " + p + " is already assigned");
            }
        }
        List<Integer> done = new ArrayList<>();
        try {
            for (int p : ids) {
                assignOne(p);
                done.add(p);
            }
        } catch (RuntimeException e) {
            for (int p : done) {
                try {
                    revokeOne(p);
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
    }

    private void assignOne(int p) {
        PartitionRestore standby = standbys.remove(p);
        if (standby != null) {
            // promotion: the state partition stays assigned; recovery replays only the lag
            reassign = true;
            standby.commitStaged(); // its bulk restore flushed and ended: the promotion restores from there
            standby.partition.retire();
        } else {
            manager.assign(p);
        }
        Producer<byte[], byte[]> producer = null;
        try {
            StatePartition sp = manager.partition(p);
            ChangelogPositions positions;
            try {
                positions = ChangelogPositions.decode(sp.committedPositions());
            } catch (IllegalArgumentException e) {
                throw new IllegalStateException("partition " + p + " of the state manager was committed without a changelog ("
                    + e.getMessage() + "): its changelog offsets are unknown. Delete its store directories to rebuild it", e);
            }
            producer = exactlyOnce ? transactionalProducer(p) : sharedProducer();
            ChangelogPartition cp = new ChangelogPartition(this, p, sp, producer, options, positions);
            PartitionRestore restore = new PartitionRestore(cp, options.restoreListener(), false);
            List<TopicPartition> tps = List.of(cp.changelogPartitions());
            stopFetcher();
            KafkaConsumer<ByteBuffer, ByteBuffer> rc = restoreConsumer();
            Map<TopicPartition, Long> beginnings = rc.beginningOffsets(tps);
            Map<TopicPartition, Long> ends = rc.endOffsets(tps);
            boolean more = restore.prepare(beginnings, ends);
            partitions.put(p, cp);
            if (more) {
                restoring.put(p, restore);
                reassign = true;
                if (consumer != null) {
                    consumer.pause(List.of(input(p)));
                }
            } else {
                restore.report(true);
                cp.activate();
            }
        } catch (RuntimeException e) {
            partitions.remove(p);
            if (exactlyOnce && producer != null) {
                try {
                    producer.close(Duration.ofSeconds(5));
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            try {
                manager.revoke(p);
            } catch (RuntimeException again) {
                e.addSuppressed(again);
            }
            throw e;
        }
    }

    /**
     * Revokes partitions: aborts an open transaction, suspends a restore, closes the partition's
     * producer (exactly-once) and revokes the state partition. Everything is released even if a
     * step fails; the first failure is thrown.
     *
     * @throws IllegalStateException if one is not assigned (nothing changed)
     */
    public void revoke(int... ids) {
        Objects.requireNonNull(ids, "partitions");
        checkOpen();
        for (int p : ids) {
            if (!partitions.containsKey(p)) {
                throw new IllegalStateException("partition " + p + " is not assigned (assigned: " + assigned() + ")");
            }
        }
        RuntimeException failure = null;
        for (int p : ids) {
            try {
                revokeOne(p);
            } catch (RuntimeException e) {
                if (failure == null) {
                    failure = e;
                } else {
                    failure.addSuppressed(e);
                }
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private void revokeOne(int p) {
        ChangelogPartition cp = partitions.remove(p);
        if (cp == null) {
            return;
        }
        PartitionRestore r = restoring.remove(p);
        RuntimeException failure = null;
        if (r != null) {
            stopFetcher(); // it would go on fetching the revoked partition's changelogs
            reassign = true;
            r.suspended();
        }
        try {
            cp.close();
        } catch (RuntimeException e) {
            failure = e;
        }
        try {
            manager.revoke(p);
        } catch (RuntimeException e) {
            if (failure == null) {
                failure = e;
            } else {
                failure.addSuppressed(e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    /** The assigned partition {@code id} (restoring or active). @throws IllegalStateException if not assigned */
    public ChangelogPartition partition(int id) {
        checkOpen();
        ChangelogPartition cp = partitions.get(id);
        if (cp == null) {
            throw new IllegalStateException("partition " + id + " is not assigned (assigned: " + assigned() + ")");
        }
        return cp;
    }

    /** The assigned partitions, ascending. */
    public Set<Integer> assigned() {
        return Collections.unmodifiableSet(new TreeSet<>(partitions.keySet()));
    }

    /** Whether some assigned partition is still restoring. */
    public boolean isRestoring() {
        return !restoring.isEmpty();
    }

    /**
     * One restore step: one poll of the restore consumer (up to
     * {@link ChangelogOptions#restoreBatchRecords()} records), applied per partition (made durable
     * on the restore's flush schedule);
     * partitions that caught up become active and their input is resumed.
     *
     * @return whether some partition is still restoring
     */
    public boolean restore() {
        checkOpen();
        if (restoring.isEmpty() && standbys.isEmpty()) {
            stopFetcher();
            return false;
        }
        KafkaConsumer<ByteBuffer, ByteBuffer> rc = restoreConsumer();
        if (reassign) {
            stopFetcher();
            syncAssignment(rc);
        }
        if (fetcher == null) {
            fetcher = new RestoreFetcher(rc, options.applicationId() + "-restore-fetcher");
        }
        // standbys alone do not hold up the input: take what is fetched already
        Duration wait = restoring.isEmpty() ? Duration.ZERO : Duration.ofMillis(100);
        RestoreFetcher.Fetched fetched;
        if (options.restoreFetchAhead()) {
            fetcher.start(); // polls ahead while this thread applies
            try {
                fetched = fetcher.next(wait);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return !restoring.isEmpty();
            }
        } else {
            fetched = fetcher.pollHere(wait);
        }
        if (fetched == null) {
            return !restoring.isEmpty(); // nothing new: no record, no position moved
        }
        if (fetched.failure() != null) {
            stopFetcher();
            if (fetched.failure() instanceof OffsetOutOfRangeException e) {
                for (Map.Entry<TopicPartition, Long> o : e.offsetOutOfRangePartitions().entrySet()) {
                    for (PartitionRestore r : all()) {
                        for (int i = 0; i < r.tps.length; i++) {
                            if (r.tps[i].equals(o.getKey())) {
                                Map<TopicPartition, Long> b = rc.beginningOffsets(List.of(o.getKey()));
                                r.begin[i] = b.get(o.getKey());
                                r.rebuild(i, "offset out of range: offset " + o.getValue() + " is no longer in the changelog"
                                    + " (records were deleted while restoring)");
                            }
                        }
                    }
                }
                reassign = true;
                return true;
            }
            throw fetched.failure();
        }
        ConsumerRecords<ByteBuffer, ByteBuffer> batch = fetched.records();
        java.util.function.ToLongFunction<TopicPartition> positionOf = fetched::position;
        for (PartitionRestore r : new ArrayList<>(restoring.values())) {
            try {
                r.apply(batch, positionOf);
                if (r.checkDone(positionOf)) {
                    reassign = true;
                }
            } catch (PartitionRestore.Reseek e) {
                reassign = true;
            } catch (RuntimeException e) {
                reassign = true; // what was applied beyond the durable positions is read again from them
                throw e;
            }
            if (r.allDone()) {
                finish(r);
            }
        }
        for (PartitionRestore r : standbys.values()) {
            try {
                r.apply(batch, positionOf);
            } catch (PartitionRestore.Reseek e) {
                reassign = true;
            } catch (RuntimeException e) {
                reassign = true;
                throw e;
            }
        }
        if (restoring.isEmpty() && standbys.isEmpty()) {
            stopFetcher();
        }
        return !restoring.isEmpty();
    }

    /**
     * Stops polling ahead before the restore consumer is used directly; the positions it reached
     * are then ahead of what was applied, so the next step seeks again.
     */
    private void stopFetcher() {
        if (fetcher != null && fetcher.quiesce()) {
            reassign = true;
        }
    }

    /**
     * Restores until no partition is restoring or {@code timeout} passed.
     *
     * @return whether every partition is active
     */
    public boolean restoreAll(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (restore()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
        }
        return true;
    }

    /**
     * The processing loop's poll: a restore step if a partition is restoring (then the input is
     * polled without waiting), then {@code consumer.poll}. Records of restoring partitions are not
     * returned (they are paused).
     *
     * @throws IllegalArgumentException if {@code consumer} is not the one given at open
     */
    public <K, V> ConsumerRecords<K, V> poll(Consumer<K, V> consumer, Duration timeout) {
        if (consumer != this.consumer) {
            throw new IllegalArgumentException("poll the consumer the changelog was opened with");
        }
        if (restore()) {
            return consumer.poll(Duration.ZERO);
        }
        return consumer.poll(timeout);
    }

    private void finish(PartitionRestore r) {
        restoring.remove(r.partition.id());
        reassign = true;
        r.commitStaged();
        r.report(true);
        r.partition.activate();
        if (consumer != null) {
            consumer.resume(List.of(input(r.partition.id())));
        }
    }

    private List<PartitionRestore> all() {
        List<PartitionRestore> all = new ArrayList<>(restoring.values());
        all.addAll(standbys.values());
        return all;
    }

    private void syncAssignment(KafkaConsumer<ByteBuffer, ByteBuffer> rc) {
        List<TopicPartition> tps = new ArrayList<>();
        for (PartitionRestore r : all()) {
            for (int i = 0; i < r.tps.length; i++) {
                if (r.reads(i)) {
                    tps.add(r.tps[i]);
                }
            }
        }
        rc.assign(tps);
        for (PartitionRestore r : all()) {
            for (int i = 0; i < r.tps.length; i++) {
                if (r.reads(i)) {
                    rc.seek(r.tps[i], r.position[i]);
                }
            }
        }
        reassign = false;
    }

    // ---------------------------------------------------------------- standbys

    /**
     * Keeps standby copies of partitions this instance does not own: assigns their state
     * partitions and tails their changelogs in every {@link #restore()} / {@link #poll} step (each
     * batch committed with its offsets, so the copy survives a restart). A standby is readable
     * ({@link #standby(int)}) but not writable; {@link #assign} promotes it, replaying only its lag.
     *
     * @throws IllegalArgumentException if a partition is outside the input topic or given twice
     * @throws IllegalStateException    if one is assigned already (active or standby)
     */
    public void assignStandby(int... ids) {
        Objects.requireNonNull(ids, "partitions");
        checkOpen();
        Set<Integer> seen = new TreeSet<>();
        for (int p : ids) {
            if (p < 0 || p >= partitionCount) {
                throw new IllegalArgumentException("partition " + p + " is not a partition of input topic '"
                    + options.inputTopic() + "' (0.." + (partitionCount - 1) + ")");
            }
            if (!seen.add(p)) {
                throw new IllegalArgumentException("partition " + p + " is given twice");
            }
            if (partitions.containsKey(p) || standbys.containsKey(p)) {
                throw new IllegalStateException("partition " + p + " is already assigned" + (standbys.containsKey(p) ? " as a standby" : ""));
            }
        }
        for (int p : ids) {
            manager.assign(p);
            try {
                StatePartition sp = manager.partition(p);
                ChangelogPositions positions;
                try {
                    positions = ChangelogPositions.decode(sp.committedPositions());
                } catch (IllegalArgumentException e) {
                    throw new IllegalStateException("partition " + p + " of the state manager was committed without a changelog ("
                        + e.getMessage() + ")", e);
                }
                ChangelogPartition cp = new ChangelogPartition(this, p, sp, null, options, positions);
                cp.standby();
                PartitionRestore tail = new PartitionRestore(cp, RestoreListener.NONE, true);
                stopFetcher();
                KafkaConsumer<ByteBuffer, ByteBuffer> rc = restoreConsumer();
                List<TopicPartition> tps = List.of(cp.changelogPartitions());
                tail.prepare(rc.beginningOffsets(tps), rc.endOffsets(tps));
                standbys.put(p, tail);
                reassign = true;
            } catch (RuntimeException e) {
                try {
                    manager.revoke(p);
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
                throw e;
            }
        }
    }

    /**
     * Drops standbys: their state partitions are revoked (flushed and closed; kept on disk).
     *
     * @throws IllegalStateException if one is not a standby here (nothing changed)
     */
    public void revokeStandby(int... ids) {
        Objects.requireNonNull(ids, "partitions");
        checkOpen();
        for (int p : ids) {
            if (!standbys.containsKey(p)) {
                throw new IllegalStateException("partition " + p + " is not a standby here (standbys: " + standbys.keySet() + ")");
            }
        }
        for (int p : ids) {
            PartitionRestore r = standbys.remove(p);
            stopFetcher();
            reassign = true;
            try {
                r.commitStaged();
            } finally {
                r.partition.retire();
                manager.revoke(p);
            }
        }
    }

    /** The standby partition {@code id} (read its stores; positions show how far it follows). @throws IllegalStateException if none */
    public ChangelogPartition standby(int id) {
        checkOpen();
        PartitionRestore r = standbys.get(id);
        if (r == null) {
            throw new IllegalStateException("partition " + id + " is not a standby here (standbys: " + standbys.keySet() + ")");
        }
        return r.partition;
    }

    /** The standby partitions, ascending. */
    public Set<Integer> standbys() {
        return Collections.unmodifiableSet(new TreeSet<>(standbys.keySet()));
    }

    private TopicPartition input(int p) {
        return new TopicPartition(options.inputTopic(), p);
    }

    Consumer<?, ?> consumerOrNull() {
        return consumer;
    }

    // ---------------------------------------------------------------- clients

    private Map<String, Object> producerConfig() {
        Map<String, Object> c = new HashMap<>(options.clientConfigs());
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
        c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);
        return c;
    }

    private Producer<byte[], byte[]> sharedProducer() {
        if (shared == null) {
            Map<String, Object> c = producerConfig();
            c.putIfAbsent(ProducerConfig.CLIENT_ID_CONFIG, options.applicationId() + "-changelog");
            shared = new KafkaProducer<>(c);
        }
        return shared;
    }

    private Producer<byte[], byte[]> transactionalProducer(int p) {
        Map<String, Object> c = producerConfig();
        String id = options.transactionalIdPrefix() + "-" + p;
        c.put(ProducerConfig.TRANSACTIONAL_ID_CONFIG, id);
        c.put(ProducerConfig.CLIENT_ID_CONFIG, id);
        KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(c);
        try {
            producer.initTransactions(); // fences an older owner and aborts its open transaction
        } catch (RuntimeException e) {
            producer.close(Duration.ZERO);
            throw e;
        }
        return producer;
    }

    private KafkaConsumer<ByteBuffer, ByteBuffer> restoreConsumer() {
        if (restoreConsumer == null) {
            Map<String, Object> c = new HashMap<>(options.clientConfigs());
            c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, options.bootstrapServers());
            // ByteBuffer: the records' keys and values are views of the fetched buffers, staged without a copy
            c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteBufferDeserializer.class);
            c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteBufferDeserializer.class);
            c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
            c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "none");
            // a restore's flush interval spans polls (PartitionRestore): polls need not be as large as it
            c.put(ConsumerConfig.MAX_POLL_RECORDS_CONFIG, Math.min(options.restoreBatchRecords(), MAX_RESTORE_POLL));
            // restores read whole partitions: larger fetches than a processing consumer's (overridable)
            c.putIfAbsent(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG, 8 << 20);
            c.putIfAbsent(ConsumerConfig.FETCH_MAX_BYTES_CONFIG, 64 << 20);
            c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, exactlyOnce ? "read_committed" : "read_uncommitted");
            c.remove(ConsumerConfig.GROUP_ID_CONFIG);
            c.put(ConsumerConfig.CLIENT_ID_CONFIG, options.applicationId() + "-restore");
            restoreConsumer = new KafkaConsumer<>(c);
        }
        return restoreConsumer;
    }

    private void checkOpen() {
        if (closed) {
            throw new StoreClosedException("changelog of " + options.applicationId());
        }
    }

    /**
     * Revokes every partition, closes the producers and the restore consumer; idempotent. The
     * manager and the input consumer stay open (they are the caller's).
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        RuntimeException failure = null;
        for (int p : new ArrayList<>(partitions.keySet())) {
            try {
                revokeOne(p);
            } catch (RuntimeException e) {
                failure = add(failure, e);
            }
        }
        for (int p : new ArrayList<>(standbys.keySet())) {
            try {
                revokeStandby(p);
            } catch (RuntimeException e) {
                failure = add(failure, e);
            }
        }
        closed = true;
        if (shared != null) {
            try {
                shared.close(Duration.ofSeconds(5));
            } catch (RuntimeException e) {
                failure = add(failure, e);
            }
        }
        if (fetcher != null) {
            fetcher.quiesce();
        }
        if (restoreConsumer != null) {
            try {
                restoreConsumer.close(org.apache.kafka.clients.consumer.CloseOptions.timeout(Duration.ofSeconds(5)));
            } catch (RuntimeException e) {
                failure = add(failure, e);
            }
        }
        if (failure != null) {
            throw failure;
        }
    }

    private static RuntimeException add(RuntimeException failure, RuntimeException e) {
        if (failure == null) {
            return e;
        }
        failure.addSuppressed(e);
        return failure;
    }

    /** Ids of {@code tps} that belong to the input topic. */
    int[] inputIds(Collection<TopicPartition> tps, boolean assignedOnly) {
        List<Integer> ids = new ArrayList<>();
        for (TopicPartition tp : tps) {
            if (tp.topic().equals(options.inputTopic()) && partitions.containsKey(tp.partition()) == assignedOnly) {
                ids.add(tp.partition());
            }
        }
        int[] a = new int[ids.size()];
        for (int i = 0; i < a.length; i++) {
            a[i] = ids.get(i);
        }
        return a;
    }

    static void log(Level level, String message, Object... args) {
        LOG.log(level, message, args);
    }
}
