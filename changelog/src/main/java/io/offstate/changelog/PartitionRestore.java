package io.offstate.changelog;

import java.lang.System.Logger.Level;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;

import io.offstate.engine.BulkRestore;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StatePartition;
import io.offstate.engine.Transaction;

/**
 * The recovery of one partition from its stores' changelogs: from each store's recorded offset to
 * the changelog's end offset (read committed under exactly-once), through the engine's bulk
 * restore ({@link io.offstate.engine.StatePartition#beginRestore}): records go straight into the
 * stores (no transaction staging, no write-ahead-log record), and the offsets reached become durable
 * only with a flush of the data they cover, first after {@link ChangelogOptions#restoreBatchRecords()}
 * records and then after twice as many each time, and when the restore ends, is suspended or a store
 * is rebuilt (so a revoke resumes where it stopped, and a crash replays at most the records since the
 * last flush, harmlessly: every record is a blind put or delete). Progress is reported every
 * {@code restoreBatchRecords} records. A store restored from scratch has its hash index sized for
 * the offsets to restore up front. Keys and values are applied straight from the fetched buffers
 * (no copy per record on the heap). Rebuilds a store from the earliest offset when its offset is
 * out of range, when it is marked as rebuilding, or when under exactly-once its last local commit
 * is not in the changelog (the local state is ahead of Kafka). A standby ({@link #tailing}) makes
 * every batch durable.
 *
 * <p>Not thread-safe: driven by {@link Changelog} on its thread.
 */
final class PartitionRestore {
    private static final System.Logger LOG = System.getLogger("io.offstate.changelog");
    /** Keys deleted per transaction when wiping a store for a rebuild. */
    private static final int WIPE_BATCH = 10_000;

    final ChangelogPartition partition;
    private final StatePartition state;
    private final List<KeyValueStore> stores;
    private final RestoreListener listener;
    final TopicPartition[] tps;
    final long[] begin;
    final long[] end;
    final long[] position;
    final boolean[] done;
    /** Commit id the first record read for the store must carry (0: no check). */
    final long[] verify;
    private final long[] startedAt;
    private long records;
    /** The open bulk restore (spans polls and flushes), or null. */
    private BulkRestore bulk;
    /** Records applied since progress was last reported. */
    private long staged;
    /** Stores whose position moved since the last flush. */
    private final boolean[] moved;
    private final long batchRecords;
    /** The fetch buffer {@link #segment} wraps (keys and values of one fetch share it). */
    private byte[] wrapped;
    private MemorySegment segment;
    /** A standby's restore: never done, it follows the changelogs' ends. */
    final boolean tailing;
    private final long startNanos = System.nanoTime();

    PartitionRestore(ChangelogPartition partition, RestoreListener listener, boolean tailing) {
        this.partition = partition;
        this.tailing = tailing;
        this.state = partition.statePartition();
        this.stores = partition.stores();
        this.listener = listener;
        int n = stores.size();
        this.tps = partition.changelogPartitions();
        this.begin = new long[n];
        this.end = new long[n];
        this.position = new long[n];
        this.done = new boolean[n];
        this.verify = new long[n];
        this.startedAt = new long[n];
        this.moved = new boolean[n];
        this.batchRecords = partition.options().restoreBatchRecords();
    }

    /**
     * Decides where each store starts, with the changelogs' beginning and end offsets; wipes the
     * stores that must be rebuilt. Returns whether anything is left to restore.
     */
    boolean prepare(java.util.Map<TopicPartition, Long> beginnings, java.util.Map<TopicPartition, Long> ends) {
        ChangelogPositions p = partition.positions();
        for (int i = 0; i < stores.size(); i++) {
            String name = partition.storeName(i);
            begin[i] = beginnings.get(tps[i]);
            end[i] = ends.get(tps[i]);
            ChangelogPositions.StoreOffset so = p.store(name);
            String rebuild = null;
            if (so == null) {
                if (stores.get(i).size() > 0) {
                    rebuild = "its local state has entries but no changelog offset (written without a changelog)";
                } else {
                    position[i] = begin[i];
                }
            } else if (so.rebuilding()) {
                rebuild = "a rebuild was under way";
            } else if (so.offset() < begin[i]) {
                rebuild = "offset out of range: its offset " + so.offset() + " is below the changelog's earliest offset "
                    + begin[i] + " (records were deleted by retention)";
            } else if (so.offset() > end[i]) {
                rebuild = "offset out of range: its offset " + so.offset() + " is beyond the changelog's end offset " + end[i]
                    + " (the topic was deleted or recreated)";
            } else {
                position[i] = so.offset();
                if (so.wrote()) {
                    verify[i] = p.commitId();
                    if (so.offset() == end[i]) {
                        rebuild = notInKafka(p.commitId());
                    }
                }
            }
            if (rebuild != null) {
                rebuild(i, rebuild);
            }
            startedAt[i] = position[i];
            done[i] = position[i] >= end[i];
        }
        long toDo = toDo();
        listener(() -> listener.started(partition.id(), toDo));
        if (toDo > 0) {
            LOG.log(Level.INFO, "partition {0}: restoring {1} changelog offsets", partition.id(), toDo);
        }
        return !allDone();
    }

    private static String notInKafka(long commitId) {
        return "its last local commit (id " + Long.toHexString(commitId) + ") is not in the changelog: it was not committed"
            + " in Kafka (a crash between the local log and the Kafka commit), so the local state is ahead";
    }

    /** Wipes store {@code i} and restarts it from the earliest offset. */
    void rebuild(int i, String reason) {
        commitStaged(); // the wipe commits its own transactions; what is staged is valid data of the other stores
        String name = partition.storeName(i);
        LOG.log(Level.WARNING, "partition {0}, store ''{1}'': rebuilding from the earliest changelog offset {2}: {3}",
            partition.id(), name, begin[i], reason);
        listener(() -> listener.rebuilding(partition.id(), name, reason));
        KeyValueStore store = stores.get(i);
        ChangelogPositions marked = partition.positions().withStore(name, new ChangelogPositions.StoreOffset(begin[i], false, true));
        List<byte[]> keys = new ArrayList<>(WIPE_BATCH);
        do {
            keys.clear();
            collect(store, keys);
            try (Transaction tx = state.begin()) {
                for (byte[] k : keys) {
                    tx.delete(store, k);
                }
                // the first of these commits marks the store as rebuilding: a crash resumes the wipe
                tx.commit(marked.encode());
            }
        } while (!keys.isEmpty());
        ChangelogPositions cleared = marked.withStore(name, new ChangelogPositions.StoreOffset(begin[i], false, false));
        try (Transaction tx = state.begin()) {
            tx.commit(cleared.encode());
        }
        partition.positions(cleared);
        position[i] = begin[i];
        startedAt[i] = begin[i];
        verify[i] = 0;
        done[i] = position[i] >= end[i];
    }

    private static final class Enough extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Enough() {
            super(null, null, false, false);
        }
    }

    private static void collect(KeyValueStore store, List<byte[]> keys) {
        try {
            store.forEach((k, v) -> {
                keys.add(k.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                if (keys.size() >= WIPE_BATCH) {
                    throw new Enough();
                }
            });
        } catch (Enough e) {
            // a full batch
        }
    }

    /**
     * Applies what {@code batch} holds for this partition through the bulk restore (begun if none),
     * and makes the positions reached durable when its flush schedule says so ({@code positionOf}
     * gives the consumer's position); reports progress every {@link ChangelogOptions#restoreBatchRecords()}
     * records. A standby ({@link #tailing}) makes every batch that moved a store durable.
     */
    void apply(ConsumerRecords<ByteBuffer, ByteBuffer> batch, java.util.function.ToLongFunction<TopicPartition> positionOf) {
        // Verify first, before anything of the store is applied: a rebuild commits its own transactions.
        for (int i = 0; i < stores.size(); i++) {
            if (!reads(i) || verify[i] == 0) {
                continue;
            }
            List<ConsumerRecord<ByteBuffer, ByteBuffer>> rs = batch.records(tps[i]);
            if (rs.isEmpty()) {
                continue;
            }
            Header h = rs.get(0).headers().lastHeader(ChangelogPositions.COMMIT_HEADER);
            long id = ChangelogPositions.commitOf(h == null ? null : h.value());
            if (id != verify[i]) {
                rebuild(i, notInKafka(verify[i]) + " (the first committed record from offset " + position[i]
                    + " belongs to commit " + Long.toHexString(id) + ")");
                throw new Reseek();
            }
            verify[i] = 0;
        }
        boolean anyMoved = false;
        boolean failed = true;
        try {
            for (int i = 0; i < stores.size(); i++) {
                if (!reads(i)) {
                    continue;
                }
                List<ConsumerRecord<ByteBuffer, ByteBuffer>> rs = batch.records(tps[i]);
                long pos = positionOf.applyAsLong(tps[i]);
                if (rs.isEmpty() && pos == position[i]) {
                    continue;
                }
                if (bulk == null) {
                    openBulk();
                }
                KeyValueStore store = stores.get(i);
                int n = rs.size();
                for (int j = 0; j < n; j++) {
                    applyOne(bulk, store, rs.get(j));
                }
                records += n;
                staged += n;
                // only now that every record below it is applied (durable at the next flush)
                position[i] = pos;
                moved[i] = true;
                anyMoved = true;
            }
            failed = false;
        } finally {
            wrapped = null;
            segment = null;
            if (failed) {
                abortStaged();
            }
        }
        if (bulk == null || !anyMoved) {
            return;
        }
        if (tailing || bulk.isFlushDue()) {
            checkpoint(!tailing);
        } else if (staged >= batchRecords) {
            staged = 0;
            report(false);
        }
    }

    private void openBulk() {
        bulk = state.beginRestore(batchRecords);
        for (int i = 0; i < stores.size(); i++) {
            if (reads(i) && end[i] > position[i]) {
                // a restore into an empty store: its hash index sized once, not grown step by step
                bulk.expect(stores.get(i), end[i] - position[i]);
            }
        }
    }

    private static final MemorySegment EMPTY = MemorySegment.ofArray(new byte[0]);

    /** Applies one changelog record: a put, or a delete for a tombstone; the bytes are read in place. */
    private void applyOne(BulkRestore restore, KeyValueStore store, ConsumerRecord<ByteBuffer, ByteBuffer> r) {
        ByteBuffer k = r.key();
        ByteBuffer v = r.value();
        MemorySegment ks = k == null ? EMPTY : segmentOf(k);
        long ko = k == null ? 0 : offsetOf(k);
        int kl = k == null ? 0 : k.remaining();
        if (v == null) {
            restore.delete(store, ks, ko, kl);
            return;
        }
        MemorySegment vs = segmentOf(v);
        restore.put(store, ks, ko, kl, vs, offsetOf(v), v.remaining());
    }

    /** A segment over the buffer's backing array, reused while records come from the same fetch buffer. */
    private MemorySegment segmentOf(ByteBuffer b) {
        if (!b.hasArray()) {
            return MemorySegment.ofBuffer(b);
        }
        byte[] a = b.array();
        if (a != wrapped) {
            wrapped = a;
            segment = MemorySegment.ofArray(a);
        }
        return segment;
    }

    private static long offsetOf(ByteBuffer b) {
        return b.hasArray() ? b.arrayOffset() + b.position() : 0;
    }

    /**
     * Makes what the bulk restore applied durable with the positions the stores reached (they
     * never name a record not applied), then reports progress; no-op if no restore is open.
     */
    private void checkpoint(boolean scheduled) {
        ChangelogPositions next = partition.positions();
        for (int i = 0; i < stores.size(); i++) {
            if (moved[i]) {
                next = next.withStore(partition.storeName(i), new ChangelogPositions.StoreOffset(position[i], false, false));
            }
        }
        next = next.withCommitId(0);
        bulk.positions(next.encode());
        if (scheduled) {
            bulk.flushIfDue();
        } else {
            bulk.flush();
        }
        partition.positions(next);
        staged = 0;
        java.util.Arrays.fill(moved, false);
        if (!tailing) {
            report(false);
        }
    }

    /** Makes the open bulk restore durable with the positions reached and ends it; no-op if none. */
    void commitStaged() {
        if (bulk == null) {
            return;
        }
        BulkRestore b = bulk;
        try {
            boolean any = false;
            for (boolean m : moved) {
                any |= m;
            }
            if (any) {
                checkpoint(false);
            }
        } finally {
            bulk = null;
            staged = 0;
            java.util.Arrays.fill(moved, false);
            b.close();
        }
    }

    /**
     * After a failure while applying: moves the stores' positions back to the durable ones (the
     * caller re-seeks). What was applied beyond them stays (a replay re-applies it harmlessly); the
     * bulk restore stays open.
     */
    void abortStaged() {
        staged = 0;
        java.util.Arrays.fill(moved, false);
        wrapped = null;
        segment = null;
        ChangelogPositions p = partition.positions();
        for (int i = 0; i < stores.size(); i++) {
            ChangelogPositions.StoreOffset so = p.store(partition.storeName(i));
            if (so != null && !so.rebuilding()) {
                position[i] = so.offset();
            }
        }
    }

    /** The consumer must seek this partition's changelogs again (a store was rebuilt). */
    static final class Reseek extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Reseek() {
            super(null, null, false, false);
        }
    }

    /**
     * Marks stores whose consumer position reached their end; a store that must verify its last
     * commit and reached its end without a record is rebuilt (returns true: re-seek).
     */
    boolean checkDone(java.util.function.ToLongFunction<TopicPartition> positionOf) {
        boolean reseek = false;
        for (int i = 0; i < stores.size(); i++) {
            if (done[i]) {
                continue;
            }
            long pos = positionOf.applyAsLong(tps[i]);
            if (pos >= end[i]) {
                if (verify[i] != 0) {
                    rebuild(i, notInKafka(verify[i]));
                    reseek = true;
                } else {
                    done[i] = true;
                }
            }
        }
        return reseek;
    }

    /** Whether the restore consumer must read store {@code i}'s changelog. */
    boolean reads(int i) {
        return tailing || !done[i];
    }

    boolean allDone() {
        for (boolean d : done) {
            if (!d) {
                return false;
            }
        }
        return true;
    }

    long toDo() {
        long t = 0;
        for (int i = 0; i < end.length; i++) {
            t += Math.max(0, end[i] - startedAt[i]);
        }
        return t;
    }

    long doneOffsets() {
        long d = 0;
        for (int i = 0; i < end.length; i++) {
            d += Math.max(0, Math.min(position[i], end[i]) - startedAt[i]);
        }
        return d;
    }

    RestoreProgress progress() {
        double seconds = Math.max(1e-9, (System.nanoTime() - startNanos) / 1e9);
        long doneOffsets = doneOffsets();
        long toDo = toDo();
        double rate = records / seconds;
        double offsetRate = doneOffsets / seconds;
        Duration eta = offsetRate <= 0 || doneOffsets >= toDo ? Duration.ZERO
            : Duration.ofMillis((long) ((toDo - doneOffsets) / offsetRate * 1000));
        return new RestoreProgress(partition.id(), doneOffsets, toDo, records, rate, eta);
    }

    void report(boolean finished) {
        RestoreProgress p = progress();
        partition.progress(p);
        if (finished) {
            if (p.toDo() > 0) {
                LOG.log(Level.INFO, "partition {0}: restored ({1})", partition.id(), p);
            }
            listener(() -> listener.restored(p));
        } else {
            listener(() -> listener.progress(p));
        }
    }

    void suspended() {
        commitStaged(); // keep what was read: the next assign resumes after it
        RestoreProgress p = progress();
        partition.progress(p);
        LOG.log(Level.INFO, "partition {0}: restore suspended by revoke ({1}); it resumes at the next assign", partition.id(), p);
        listener(() -> listener.suspended(p));
    }

    private void listener(Runnable call) {
        try {
            call.run();
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "restore listener threw; ignored", e);
        }
    }
}
