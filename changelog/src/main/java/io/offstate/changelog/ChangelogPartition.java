package io.offstate.changelog;

import java.util.List;
import java.util.Objects;

import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.common.TopicPartition;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StatePartition;
import io.offstate.offheap.StoreClosedException;

/**
 * One assigned partition of a {@link Changelog}: the engine's {@link StatePartition} whose commits
 * go through {@link #begin()} and are replicated to the stores' changelog partitions.
 *
 * <h2>Life cycle</h2>
 * <ol>
 *   <li>{@link Phase#RESTORING} from assign until its stores caught up with their changelogs
 *       ({@link Changelog#poll}, {@link Changelog#restore}); {@link #begin()} throws
 *       {@link IllegalStateException} meanwhile. Reads of its stores see the state restored so far.</li>
 *   <li>{@link Phase#ACTIVE}: commits through {@link #begin()}.</li>
 *   <li>{@link Phase#FENCED} after a {@link ChangelogFencedException}, {@link Phase#IN_DOUBT} after a
 *       commit whose Kafka outcome is unknown: {@code begin()} throws until it is revoked and
 *       assigned again.</li>
 *   <li>{@link Phase#STANDBY}: a copy of a partition this instance does not own, kept up to date by
 *       tailing its changelogs ({@link Changelog#assignStandby}); readable, never written;
 *       {@link Changelog#assign} promotes it after replaying only its lag.</li>
 *   <li>{@link Phase#REVOKED}: every method but {@link #id()} and {@link #phase()} throws
 *       {@link StoreClosedException}.</li>
 * </ol>
 *
 * <p>Threading: the thread that drives the changelog (the consumer's), like the state partition.
 */
public final class ChangelogPartition {
    /** Where a partition is in its life cycle. */
    public enum Phase { RESTORING, ACTIVE, STANDBY, FENCED, IN_DOUBT, REVOKED }

    private final Changelog changelog;
    private final int id;
    private final StatePartition state;
    private final List<KeyValueStore> stores;
    private final String[] storeNames;
    private final TopicPartition[] changelogPartitions;
    private final Producer<byte[], byte[]> producer;
    private final boolean exactlyOnce;
    private final ChangelogOptions options;
    final ChangelogSink sink;
    private ChangelogPositions positions;
    /** Whether {@link #positions} are ahead of the ones committed with the state (after a commit). */
    private boolean positionsAhead;
    private volatile Phase phase = Phase.RESTORING;
    private ChangelogTransaction current;
    private volatile RestoreProgress lastProgress;

    ChangelogPartition(Changelog changelog, int id, StatePartition state, Producer<byte[], byte[]> producer,
                       ChangelogOptions options, ChangelogPositions positions) {
        this.changelog = changelog;
        this.id = id;
        this.state = state;
        this.stores = state.stores();
        this.storeNames = new String[stores.size()];
        this.changelogPartitions = new TopicPartition[stores.size()];
        String[] topics = new String[stores.size()];
        for (int i = 0; i < stores.size(); i++) {
            storeNames[i] = stores.get(i).name();
            topics[i] = options.topicOf(storeNames[i]);
            changelogPartitions[i] = new TopicPartition(topics[i], id);
        }
        this.producer = producer;
        this.exactlyOnce = options.guarantee() == Guarantee.EXACTLY_ONCE;
        this.positions = positions;
        this.options = options;
        this.sink = new ChangelogSink(this, stores, topics, exactlyOnce, options.commitTimeout());
    }

    ChangelogOptions options() {
        return options;
    }

    /** The partition number (of the input topic, the state and every changelog). Any thread. */
    public int id() {
        return id;
    }

    /** Where the partition is in its life cycle. Any thread. */
    public Phase phase() {
        return phase;
    }

    /** Whether it is still restoring from its changelogs. */
    public boolean isRestoring() {
        return phase == Phase.RESTORING;
    }

    /**
     * The engine partition (reads, stats); write only through {@link #begin()}, else the writes
     * are not in the changelog.
     *
     * @throws StoreClosedException if revoked
     */
    public StatePartition statePartition() {
        checkNotRevoked();
        return state;
    }

    /**
     * The partition's instance of store {@code name}.
     *
     * @throws IllegalArgumentException if no such store is defined
     * @throws StoreClosedException     if revoked
     */
    public KeyValueStore store(String name) {
        checkNotRevoked();
        return state.store(Objects.requireNonNull(name, "name"));
    }

    /** The positions the partition's state covers (input offsets, changelog offsets), as last committed. */
    public ChangelogPositions positions() {
        checkNotRevoked();
        return positions;
    }

    /** The last restore progress reported for this partition, or null if it restored nothing. Any thread. */
    public RestoreProgress restoreProgress() {
        return lastProgress;
    }

    /**
     * Begins a transaction over the partition's stores whose commit is replicated to the changelog
     * (exactly-once: also begins the partition's Kafka transaction).
     *
     * @throws IllegalStateException if restoring, fenced, in doubt, or a transaction is open
     * @throws StoreClosedException  if revoked
     */
    public ChangelogTransaction begin() {
        checkNotRevoked();
        switch (phase) {
            case RESTORING -> throw new IllegalStateException("partition " + id + " is still restoring from its changelogs:"
                + " keep calling Changelog.poll (or restore) until it is active");
            case STANDBY -> throw new IllegalStateException("partition " + id + " is a standby (a copy of another"
                + " owner's partition): assign it to write");
            case FENCED -> throw new IllegalStateException("partition " + id + " was fenced by a newer owner: revoke it");
            case IN_DOUBT -> throw new IllegalStateException("partition " + id + " had a commit whose Kafka outcome is unknown:"
                + " revoke and assign it again so that recovery reconciles it");
            default -> { }
        }
        if (current != null && !current.isDone()) {
            throw new IllegalStateException("partition " + id + " already has an open transaction: commit or abort it first");
        }
        current = new ChangelogTransaction(this, state.begin(), producer, exactlyOnce, changelog.consumerOrNull());
        return current;
    }

    @Override
    public String toString() {
        return "ChangelogPartition[" + id + ", " + phase + "]";
    }

    // ---------------------------------------------------------------- package side

    List<KeyValueStore> stores() {
        return stores;
    }

    String storeName(int i) {
        return storeNames[i];
    }

    TopicPartition changelogPartition(int i) {
        return changelogPartitions[i];
    }

    TopicPartition[] changelogPartitions() {
        return changelogPartitions;
    }

    void positions(ChangelogPositions p) {
        this.positions = p;
        this.positionsAhead = false;
    }

    /** After a commit: {@code p} is exact, the state holds the commit's base offsets. */
    void positionsAfterCommit(ChangelogPositions p) {
        this.positions = p;
        this.positionsAhead = true;
    }

    void progress(RestoreProgress p) {
        this.lastProgress = p;
    }

    void standby() {
        phase = Phase.STANDBY;
    }

    /** A standby promoted: this object is done with, the state partition stays assigned. */
    void retire() {
        phase = Phase.REVOKED;
    }

    void activate() {
        phase = Phase.ACTIVE;
    }

    ChangelogFencedException fenced(Exception cause) {
        phase = Phase.FENCED;
        return new ChangelogFencedException(id, cause);
    }

    void failInDoubt() {
        if (phase == Phase.ACTIVE) {
            phase = Phase.IN_DOUBT;
        }
    }

    void abortKafkaTransaction(Exception cause) {
        try {
            producer.abortTransaction();
        } catch (RuntimeException e) {
            cause.addSuppressed(e);
            failInDoubt();
        }
    }

    /** Revoke: aborts an open transaction (and its Kafka transaction), closes an own producer. */
    void close() {
        Phase phase0 = phase;
        phase = Phase.REVOKED;
        RuntimeException failure = null;
        if (current != null && !current.isDone()) {
            try {
                current.abort();
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (positionsAhead && failure == null && (phase0 == Phase.ACTIVE)) {
            // A commit carries the offsets its own records start at; record where they end, so
            // that the next owner of this state replays only what others wrote after it.
            try (io.offstate.engine.Transaction tx = state.begin()) {
                tx.commit(positions.withCommitId(0).encode());
                positionsAhead = false;
            } catch (RuntimeException e) {
                failure = e;
            }
        }
        if (exactlyOnce && producer != null) {
            try {
                producer.close(java.time.Duration.ofSeconds(5));
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

    private void checkNotRevoked() {
        if (phase == Phase.REVOKED) {
            throw new StoreClosedException("changelog partition " + id + " (revoked)");
        }
    }
}
