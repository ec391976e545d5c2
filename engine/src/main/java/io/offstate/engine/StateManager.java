package io.offstate.engine;

import static io.offstate.engine.CommitBatchDescriptor.INT;
import static io.offstate.engine.CommitBatchDescriptor.LONG;
import static io.offstate.engine.CommitBatchDescriptor.SHORT;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;
import java.util.regex.Pattern;

import io.offstate.engine.log.WalBatch;
import io.offstate.engine.log.WalOptions;
import io.offstate.engine.log.WriteAheadLog;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.SharedMemoryBudget;
import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.file.DirectoryLock;

/**
 * The state of a stream processor on one machine: named store definitions, an instance of each per
 * assigned partition, one write-ahead log through which every partition's commits are made durable,
 * and the recovery that brings a partition back after a restart or a crash.
 *
 * <h2>Layout</h2>
 * <pre>
 * &lt;directory&gt;/.manager.lock        held while the manager is open (a second manager: StoreLockedException)
 * &lt;directory&gt;/.log/               the write-ahead log shared by all partitions
 * &lt;directory&gt;/.partitions         which log positions partitions not assigned now may still need
 * &lt;directory&gt;/&lt;store&gt;/&lt;partition&gt;/ one file-backed {@link KeyValueStore} per store and partition
 * </pre>
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>{@link #define(StoreOptions)} names a store ({@link StoreOptions#name()}: letters, digits,
 *       {@code . _ -}, not starting with a dot, at most 255 characters); all definitions come
 *       before the first {@link #assign}.</li>
 *   <li>{@link #assign(int...)} opens every store of each partition, replays the log from the
 *       oldest position their last flush recorded (each store skips commits its flush already
 *       holds), flushes, and hands out a {@link StatePartition}. Replay applies each logged commit
 *       whole. A store flushed at a position beyond the log's end (the log was lost or replaced)
 *       throws {@link CorruptStoreFileException}; damage inside the log is handled as
 *       {@link WriteAheadLog#open} says (fail, or truncate when
 *       {@link io.offstate.engine.log.WalOptions#truncateAtDamage()} asks and report it in
 *       {@link #logRecovery()}). If any partition of the call fails, those of the call opened
 *       before it are closed again and nothing stays assigned or locked.</li>
 *   <li>{@link #revoke(int...)} aborts a partition's open transaction, flushes, closes its stores
 *       and releases their locks; if a flush fails the stores are still closed (the log keeps what
 *       they need) and the failure is thrown. {@link #close()} revokes everything, closes the log
 *       and releases the directory, even when something fails on the way.</li>
 *   <li><b>One memory budget</b>: {@link StateManagerOptions#memoryBudget()} caps the off-heap bytes of
 *       all stores together (each store's own {@link StoreOptions#memoryBudget()} still applies).
 *       A write that would pass it throws {@link io.offstate.offheap.StoreFullException} and changes nothing.</li>
 *   <li>The log is trimmed after flushes: segments are deleted once no partition — assigned, or
 *       held before a crash and not assigned since — needs them.</li>
 *   <li><b>Bad input</b>: a null or badly named definition, a duplicate name, a negative or
 *       duplicate partition, a partition assigned twice or revoked while not assigned, any call
 *       after {@link #close()}: a specific exception ({@link NullPointerException},
 *       {@link IllegalArgumentException}, {@link IllegalStateException}, {@link StoreClosedException})
 *       and nothing changed.</li>
 * </ol>
 *
 * <h2>Threading</h2>
 * {@code define}, {@code assign}, {@code revoke}, {@code close} and {@code stats} are thread-safe
 * (serialized). A partition belongs to the thread that assigned it; revoking it, or closing the
 * manager while it is assigned, must happen on that thread (or once that thread has ended), else
 * {@link WrongThreadException} before anything changes.
 *
 * <pre>{@code
 * try (StateManager manager = StateManager.open(StateManagerOptions.builder(dir).memoryBudget(1L << 30).build())) {
 *     manager.define(StoreOptions.builder().name("counts").build());
 *     manager.assign(0);
 *     StatePartition p = manager.partition(0);
 *     KeyValueStore counts = p.store("counts");
 *     try (Transaction tx = p.begin()) {
 *         tx.put(counts, key, value);
 *         tx.commit(offsets);                 // in the log (fsync), then in the store
 *     }
 * }
 * }</pre>
 */
public final class StateManager implements AutoCloseable {
    static final String LOCK_FILE = ".manager.lock";
    static final String LOG_DIRECTORY = ".log";
    /** Records staged per replay transaction: bounds the staging memory, not the batch (applied whole). */
    private static final int REPLAY_GROUP_RECORDS = 16_384;
    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,254}");

    private final StateManagerOptions options;
    private final Path directory;
    private final DirectoryLock lock;
    private final WriteAheadLog log;
    private final LogRetention retention;
    private final SharedMemoryBudget budget;
    /** The log's epoch: truncations at damage recorded in {@link #retention}; fixed once open. */
    private final int epoch;
    private final List<StoreOptions> definitions = new ArrayList<>();
    private final Map<Integer, StatePartition> partitions = new ConcurrentHashMap<>();
    /** Partitions being assigned: the log position their replay starts at, kept from trimming. */
    private final Map<Integer, Long> recovering = new HashMap<>();
    /** Guards {@link #retention}, {@link #recovering} and trimming; never held while waiting on a store. */
    private final Object registry = new Object();
    private volatile boolean closed;
    private volatile long commitsOfRevoked;
    private volatile Duration lastRecovery = Duration.ZERO;

    private StateManager(StateManagerOptions options, DirectoryLock lock, WriteAheadLog log, LogRetention retention) {
        this.options = options;
        this.directory = options.directory();
        this.lock = lock;
        this.log = log;
        this.retention = retention;
        this.epoch = retention.epoch();
        this.budget = new SharedMemoryBudget("state manager " + directory, options.memoryBudget());
    }

    /**
     * Opens (creating if needed) the state directory of {@code options} and recovers its log.
     *
     * @throws io.offstate.offheap.StoreLockedException if another manager (this or another process) has it open
     * @throws CorruptStoreFileException if the log or the partition record is damaged (see {@link WriteAheadLog#open})
     * @throws UncheckedIOException      if the file system fails (nothing is held then)
     */
    public static StateManager open(StateManagerOptions options) {
        return open(options, WriteAheadLog::open);
    }

    /** As {@link #open(StateManagerOptions)} with the log opened by {@code logOpener} (tests inject I/O faults). */
    static StateManager open(StateManagerOptions options, BiFunction<Path, WalOptions, WriteAheadLog> logOpener) {
        Objects.requireNonNull(options, "options");
        Path dir = options.directory();
        DirectoryLock lock;
        try {
            Files.createDirectories(dir);
            lock = DirectoryLock.acquire(dir, LOCK_FILE, "a state manager");
        } catch (IOException e) {
            throw new UncheckedIOException("opening state directory " + dir + " failed", e);
        }
        WriteAheadLog log = null;
        try {
            LogRetention retention = LogRetention.read(dir);
            log = logOpener.apply(dir.resolve(LOG_DIRECTORY), options.log());
            if (log.recovery().truncatedAtDamage()) {
                // Before anything is appended: positions from the cut on are about to be reused.
                retention.recordTruncation(log.recovery().droppedFromPosition());
            }
            return new StateManager(options, lock, log, retention);
        } catch (RuntimeException | Error e) {
            if (log != null) {
                log.close();
            }
            lock.close();
            throw e;
        }
    }

    /** The options it was opened with. */
    public StateManagerOptions options() {
        return options;
    }

    /** What opening the write-ahead log found: torn tail cut, damage truncated, and what was dropped. */
    public io.offstate.engine.log.WalRecovery logRecovery() {
        return log.recovery();
    }

    /**
     * Defines a store, instantiated in every partition assigned from now on at
     * {@code <directory>/<name>/<partition>}.
     *
     * @return this manager
     * @throws NullPointerException     if {@code store} is null
     * @throws IllegalArgumentException if its name is not a valid directory name or already defined
     * @throws IllegalStateException    if partitions are assigned
     * @throws StoreClosedException     if the manager is closed
     */
    public synchronized StateManager define(StoreOptions store) {
        Objects.requireNonNull(store, "store");
        checkOpen();
        String name = store.name();
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("store name '" + name + "' is not allowed: use 1 to 255 letters, digits, '.',"
                + " '_' or '-', not starting with '.' (it names a directory; no separators, no '..')");
        }
        for (StoreOptions d : definitions) {
            if (d.name().equals(name)) {
                throw new IllegalArgumentException("store '" + name + "' is already defined");
            }
        }
        if (!partitions.isEmpty()) {
            throw new IllegalStateException("define stores before assigning partitions: partitions " + assigned()
                + " are assigned (revoke them first)");
        }
        definitions.add(store);
        return this;
    }

    /**
     * The options store {@code name} was defined with.
     *
     * @throws IllegalArgumentException if no such store is defined
     */
    public synchronized StoreOptions definition(String name) {
        for (StoreOptions d : definitions) {
            if (d.name().equals(name)) {
                return d;
            }
        }
        throw new IllegalArgumentException("store '" + name + "' is not defined; defined: " + storeNames());
    }

    /** Where store {@code name} of partition {@code partition} lives: {@code <directory>/<name>/<partition>}. */
    public Path storeDirectory(String name, int partition) {
        if (partition < 0) {
            throw new IllegalArgumentException("partition " + partition + " is negative");
        }
        return directory.resolve(name).resolve(Integer.toString(partition));
    }

    /**
     * Prepares partition {@code partition} (not assigned) to be assigned with stores restored as
     * of write-ahead-log position {@code logPosition} (a checkpoint's): checks that the log still
     * holds every commit after that position, and keeps the log from being trimmed past it until
     * the partition is assigned, so that {@link #assign} can replay from there. A checkpoint restore
     * calls this before it replaces the stores.
     *
     * @throws IllegalArgumentException if {@code logPosition} is negative or beyond the log's end
     * @throws IllegalStateException    if the partition is assigned, or the log starts after
     *                                  {@code logPosition}: the commits in between were trimmed,
     *                                  so the restored stores would silently miss them
     * @throws StoreClosedException     if the manager is closed
     */
    public synchronized void retainLogFrom(int partition, long logPosition) {
        checkOpen();
        if (partition < 0) {
            throw new IllegalArgumentException("partition " + partition + " is negative");
        }
        if (partitions.containsKey(partition)) {
            throw new IllegalStateException("partition " + partition + " is assigned: revoke it before restoring its stores");
        }
        synchronized (registry) {
            long first = log.firstPosition();
            long end = log.endPosition();
            if (logPosition < 0 || logPosition > end) {
                throw new IllegalArgumentException("log position " + logPosition + " is outside the write-ahead log "
                    + log.directory() + " [" + first + ", " + end + "]");
            }
            if (logPosition < first) {
                throw new IllegalStateException("partition " + partition + " cannot be restored as of log position "
                    + logPosition + ": the write-ahead log " + log.directory() + " now starts at " + first
                    + ", the commits in between were trimmed; restore a newer checkpoint, or rebuild from a changelog");
            }
            long recorded = retention.get(partition);
            if (recorded < 0 || recorded > logPosition) {
                retention.put(partition, logPosition);
            }
        }
    }

    /** Names of the defined stores, in definition order. */
    public synchronized List<String> storeNames() {
        List<String> names = new ArrayList<>();
        for (StoreOptions d : definitions) {
            names.add(d.name());
        }
        return Collections.unmodifiableList(names);
    }

    /**
     * Assigns partitions to the calling thread: opens and recovers their stores (see the class
     * contract). All or nothing: if one fails, none of this call stays assigned.
     *
     * @throws NullPointerException     if {@code partitionIds} is null
     * @throws IllegalArgumentException if one is negative or given twice
     * @throws IllegalStateException    if no store is defined or one is assigned already
     * @throws StoreClosedException     if the manager is closed
     * @throws CorruptStoreFileException if a store or the log is damaged, or a store is ahead of the log
     * @throws io.offstate.offheap.StoreLockedException if another process holds a store directory
     * @throws UncheckedIOException     if the file system fails
     */
    public synchronized void assign(int... partitionIds) {
        Objects.requireNonNull(partitionIds, "partitions");
        checkOpen();
        if (definitions.isEmpty()) {
            throw new IllegalStateException("no store is defined: call define(StoreOptions) before assign");
        }
        Set<Integer> seen = new HashSet<>();
        for (int p : partitionIds) {
            if (p < 0) {
                throw new IllegalArgumentException("partition must be >= 0, was " + p);
            }
            if (!seen.add(p)) {
                throw new IllegalArgumentException("partition " + p + " is given twice");
            }
            if (partitions.containsKey(p)) {
                throw new IllegalStateException("partition " + p + " is already assigned");
            }
        }
        List<StatePartition> done = new ArrayList<>();
        try {
            for (int p : partitionIds) {
                StatePartition sp = recover(p);
                partitions.put(p, sp);
                done.add(sp);
            }
        } catch (RuntimeException | Error e) {
            for (StatePartition sp : done) {
                try {
                    release(sp, true);
                } catch (RuntimeException again) {
                    e.addSuppressed(again);
                }
            }
            throw e;
        }
    }

    /**
     * Revokes partitions: for each, aborts its open transaction, flushes and closes its stores.
     * Every store is closed and unlocked even if flushing one fails; the first failure is thrown
     * after all were closed (the log keeps what the unflushed stores need).
     *
     * @throws NullPointerException  if {@code partitionIds} is null
     * @throws IllegalStateException if one is not assigned (nothing changed)
     * @throws WrongThreadException  if the caller may not close one (nothing changed)
     * @throws StoreClosedException  if the manager is closed
     */
    public synchronized void revoke(int... partitionIds) {
        Objects.requireNonNull(partitionIds, "partitions");
        checkOpen();
        List<StatePartition> targets = new ArrayList<>();
        for (int p : partitionIds) {
            StatePartition sp = partitions.get(p);
            if (sp == null) {
                throw new IllegalStateException("partition " + p + " is not assigned (assigned: " + assigned() + ")");
            }
            if (targets.contains(sp)) {
                throw new IllegalArgumentException("partition " + p + " is given twice");
            }
            sp.checkClosableByCurrentThread();
            targets.add(sp);
        }
        RuntimeException failure = null;
        for (StatePartition sp : targets) {
            try {
                release(sp, true);
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

    /**
     * The assigned partition {@code id}.
     *
     * @throws IllegalStateException if it is not assigned
     * @throws StoreClosedException  if the manager is closed
     */
    public StatePartition partition(int id) {
        checkOpen();
        StatePartition sp = partitions.get(id);
        if (sp == null) {
            throw new IllegalStateException("partition " + id + " is not assigned (assigned: " + assigned() + ")");
        }
        return sp;
    }

    /** The assigned partitions, ascending (a snapshot). */
    public Set<Integer> assigned() {
        return Collections.unmodifiableSet(new TreeSet<>(partitions.keySet()));
    }

    /** Counters of the manager and of each assigned partition; any thread. */
    public StateManagerStats stats() {
        checkOpen();
        List<PartitionStats> per = new ArrayList<>();
        long entries = 0;
        long memory = 0;
        long commits = commitsOfRevoked;
        for (int p : assigned()) {
            StatePartition sp = partitions.get(p);
            if (sp == null) {
                continue;
            }
            PartitionStats s = sp.stats();
            per.add(s);
            entries += s.entries();
            memory += s.memoryUsed();
            commits += s.commits();
        }
        long end = log.endPosition();
        return new StateManagerStats(per.size(), entries, budget.used(), options.memoryBudget(), commits,
            end - log.firstPosition(), log.segmentCount(), end, lastRecovery, Collections.unmodifiableList(per));
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /**
     * Revokes every partition, closes the log and releases the directory; idempotent. Everything
     * is closed even if something fails; the first failure is thrown.
     *
     * @throws WrongThreadException if the caller may not close an assigned partition (nothing changed)
     */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        for (StatePartition sp : partitions.values()) {
            sp.checkClosableByCurrentThread();
        }
        closed = true;
        RuntimeException failure = null;
        for (StatePartition sp : new ArrayList<>(partitions.values())) {
            try {
                release(sp, true);
            } catch (RuntimeException e) {
                failure = add(failure, e);
            }
        }
        try {
            log.close();
        } catch (RuntimeException e) {
            failure = add(failure, e);
        }
        lock.close();
        if (failure != null) {
            throw failure;
        }
    }

    /**
     * Tests only: what a process death leaves — stores closed without a flush, the partition record
     * untouched — then releases everything (the log, already durable per its policy, is closed).
     */
    synchronized void crashForTests() {
        if (closed) {
            return;
        }
        closed = true;
        for (StatePartition sp : new ArrayList<>(partitions.values())) {
            sp.closeForManager(false);
        }
        partitions.clear();
        log.close();
        lock.close();
    }

    @Override
    public String toString() {
        return "StateManager[" + directory + ", stores " + storeNames() + ", partitions " + assigned()
            + (closed ? ", closed]" : "]");
    }

    // ---------------------------------------------------------------- partitions' side

    /** A partition flushed at {@code position}: record it and trim the log. */
    void flushed(StatePartition partition, long position) {
        synchronized (registry) {
            retention.put(partition.id(), position);
            trimLog();
        }
    }

    private void trimLog() {
        // The end is read first: a partition whose dirtySince is still unset when read appends at or after it.
        long upTo = log.endPosition();
        for (StatePartition sp : partitions.values()) {
            upTo = Math.min(upTo, sp.dirtySince());
        }
        for (Map.Entry<Integer, Long> e : retention.entries().entrySet()) {
            if (!partitions.containsKey(e.getKey())) {
                upTo = Math.min(upTo, e.getValue());
            }
        }
        for (long pin : recovering.values()) {
            upTo = Math.min(upTo, pin);
        }
        if (upTo > log.firstPosition() && upTo != Long.MAX_VALUE) {
            log.deleteUpTo(upTo);
        }
    }

    private void release(StatePartition sp, boolean flush) {
        long commits = sp.commitsForStats();
        try {
            sp.closeForManager(flush);
            synchronized (registry) {
                partitions.remove(sp.id());
                retention.put(sp.id(), LogRetention.CLEAN);
            }
        } finally {
            // Closed either way (closeForManager closes every store even when flushing fails); the
            // retention entry then keeps its last lower bound.
            partitions.remove(sp.id());
            commitsOfRevoked += commits;
        }
    }

    // ---------------------------------------------------------------- recovery

    private StatePartition recover(int p) {
        long started = System.nanoTime();
        int n = definitions.size();
        KeyValueStore[] stores = new KeyValueStore[n];
        long[] from = new long[n];
        byte[] positions = null;
        PartitionMetadata[] metas = new PartitionMetadata[n];
        boolean[] beyond = new boolean[n];
        PartitionMetadata newest = null;
        boolean pinned = false;
        try {
            long end = log.endPosition();
            for (int i = 0; i < n; i++) {
                StoreOptions def = definitions.get(i);
                Path dir = directory.resolve(def.name()).resolve(Integer.toString(p));
                try {
                    Files.createDirectories(dir);
                } catch (IOException e) {
                    throw new UncheckedIOException("creating " + dir + " failed", e);
                }
                stores[i] = KeyValueStore.open(dir, def.withSharedBudget(budget));
                PartitionMetadata meta = PartitionMetadata.decode(stores[i].lastFlushMetadata(), dir);
                metas[i] = meta;
                if (meta == null) {
                    from[i] = 0; // never flushed by a partition: a new store
                    continue;
                }
                if (meta.logEpoch() > epoch) {
                    throw new CorruptStoreFileException(dir, "store '" + def.name() + "' of partition " + p
                        + " was flushed in log epoch " + meta.logEpoch() + " but " + directory.resolve(LogRetention.FILE)
                        + " records only " + epoch + " (an older copy of it, or of the log?)");
                }
                if (meta.logEpoch() < epoch && meta.logPosition() > retention.lowestCutSince(meta.logEpoch())) {
                    // Flushed beyond where the log was later cut at damage: the positions after the cut
                    // are reused by new batches, none of them this partition's (it had none until an
                    // assign after the cut flushed all its stores), so it replays from the cut.
                    beyond[i] = true;
                    from[i] = retention.lowestCutSince(meta.logEpoch());
                } else {
                    from[i] = meta.logPosition();
                    if (from[i] > end) {
                        throw new CorruptStoreFileException(dir, "store '" + def.name() + "' of partition " + p
                            + " was flushed at log position " + from[i] + " but the write-ahead log " + log.directory()
                            + " ends at " + end + ": the log lost commits this store holds (deleted or replaced)");
                    }
                }
                if (newest == null || meta.logEpoch() > newest.logEpoch()
                    || (meta.logEpoch() == newest.logEpoch() && meta.logPosition() > newest.logPosition())) {
                    newest = meta;
                    positions = meta.positions();
                }
            }
            checkConsistentAcrossCut(p, metas, beyond);
            long start = Long.MAX_VALUE;
            for (long f : from) {
                start = Math.min(start, f);
            }
            // Segments before the first kept one hold no unflushed commit of this partition: the
            // trim only deletes what every partition's flush or record already covers.
            start = Math.max(start, log.firstPosition());
            synchronized (registry) {
                recovering.put(p, start);
                pinned = true;
            }
            Replay replay = new Replay(p, stores, from, positions);
            replay.run(start);
            long flushedAt;
            if (start < log.endPosition() || replay.batches > 0) {
                flushedAt = log.force();
                byte[] metadata = new PartitionMetadata(flushedAt, epoch, replay.positions).encode();
                for (KeyValueStore s : stores) {
                    s.flush(metadata);
                }
            } else {
                flushedAt = start;
            }
            Duration took = Duration.ofNanos(System.nanoTime() - started);
            PartitionRecovery recovery = new PartitionRecovery(p, start, log.endPosition(), replay.batches,
                replay.records, replay.cancelled.size(), took);
            StatePartition sp = new StatePartition(this, p, stores, log, options, flushedAt, replay.positions, recovery);
            String owner = "partition " + p + " of state manager " + directory;
            for (KeyValueStore s : stores) {
                s.manage(p, owner);
            }
            synchronized (registry) {
                retention.put(p, flushedAt);
                recovering.remove(p);
                pinned = false;
            }
            lastRecovery = took;
            return sp;
        } catch (RuntimeException | Error e) {
            if (pinned) {
                synchronized (registry) {
                    recovering.remove(p);
                }
            }
            for (KeyValueStore s : stores) {
                if (s != null) {
                    try {
                        s.closeManagedWithoutFlush();
                    } catch (RuntimeException again) {
                        e.addSuppressed(again);
                    }
                }
            }
            throw e;
        }
    }

    /**
     * A partition some of whose stores were flushed beyond a later cut of the log at damage is
     * consistent only if all those stores were flushed together (same epoch and position) and no
     * store of that older epoch stayed before the cut: the commits the cut dropped are then in
     * every store or in none. Otherwise some stores hold commits the others lack, and the log
     * that would reconcile them is gone.
     */
    private void checkConsistentAcrossCut(int p, PartitionMetadata[] metas, boolean[] beyond) {
        int first = -1;
        for (int i = 0; i < metas.length; i++) {
            if (beyond[i]) {
                first = i;
                break;
            }
        }
        if (first < 0) {
            return;
        }
        PartitionMetadata m = metas[first];
        long cut = retention.lowestCutSince(m.logEpoch());
        for (int i = 0; i < metas.length; i++) {
            PartitionMetadata other = metas[i];
            if (other == null || other.logEpoch() == epoch) {
                continue;
            }
            if (!beyond[i] || other.logEpoch() != m.logEpoch() || other.logPosition() != m.logPosition()) {
                throw new CorruptStoreFileException(directory.resolve(definitions.get(first).name()).resolve(Integer.toString(p)),
                    "store '" + definitions.get(first).name() + "' of partition " + p + " was flushed at log position "
                    + m.logPosition() + ", beyond where the log was later cut at damage (" + cut + "), but store '"
                    + definitions.get(i).name() + "' at " + other.logPosition() + ": one holds commits the truncated log"
                    + " lost and the other does not. Restore the partition from a checkpoint or changelog, or delete its"
                    + " store directories to rebuild it from its input");
            }
        }
    }

    /** The log's epoch (truncations at damage so far), recorded in every flush. */
    int epoch() {
        return epoch;
    }

    private static RuntimeException add(RuntimeException failure, RuntimeException e) {
        if (failure == null) {
            return e;
        }
        failure.addSuppressed(e);
        return failure;
    }

    private void checkOpen() {
        if (closed) {
            throw new StoreClosedException("state manager " + directory);
        }
    }

    /**
     * Replays one partition's commits from the log into its stores: a first pass collects the
     * commits cancelled after they were logged, a second applies the others, each store only from
     * the position its flush covers. Commits are staged in transactions of up to
     * {@link #REPLAY_GROUP_RECORDS} records: a group is applied whole, and since every logged change
     * is a blind put or delete, a replay cut off by a crash and repeated ends in the same state.
     */
    private final class Replay {
        final int partition;
        final KeyValueStore[] stores;
        final long[] from;
        final byte[][] names;
        final Set<Long> cancelled = new HashSet<>();
        byte[] positions;
        long batches;
        long records;
        Transaction tx;
        int staged;

        Replay(int partition, KeyValueStore[] stores, long[] from, byte[] positions) {
            this.partition = partition;
            this.stores = stores;
            this.from = from;
            this.positions = positions;
            this.names = new byte[stores.length][];
            for (int i = 0; i < stores.length; i++) {
                names[i] = stores[i].name().getBytes(StandardCharsets.UTF_8);
            }
        }

        void run(long start) {
            log.replay(start, this::collectCancel);
            try {
                log.replay(start, this::apply);
                if (tx != null) {
                    tx.commit();
                }
            } finally {
                if (tx != null) {
                    tx.close();
                }
            }
        }

        private void collectCancel(WalBatch batch) {
            MemorySegment b = batch.payload();
            if (header(b, batch) == CommitBatchDescriptor.CANCEL && b.get(INT, CommitBatchDescriptor.PARTITION_OFFSET) == partition) {
                if (b.byteSize() != CommitBatchDescriptor.CANCEL_LENGTH) {
                    throw damaged(batch, "a cancellation of " + b.byteSize() + " bytes");
                }
                cancelled.add(b.get(LONG, CommitBatchDescriptor.CANCELLED_POSITION_OFFSET));
            }
        }

        private void apply(WalBatch batch) {
            MemorySegment b = batch.payload();
            if (header(b, batch) != CommitBatchDescriptor.COMMIT || b.get(INT, CommitBatchDescriptor.PARTITION_OFFSET) != partition
                || cancelled.contains(batch.position())) {
                return;
            }
            long size = b.byteSize();
            int positionsLength = b.get(INT, CommitBatchDescriptor.POSITIONS_LENGTH_OFFSET);
            if (positionsLength < -1 || positionsLength > PartitionMetadata.MAX_POSITIONS
                || CommitBatchDescriptor.POSITIONS_OFFSET + Math.max(positionsLength, 0) + 4L > size) {
                throw damaged(batch, "input positions of length " + positionsLength);
            }
            long at = CommitBatchDescriptor.POSITIONS_OFFSET;
            byte[] batchPositions = null;
            if (positionsLength >= 0) {
                batchPositions = new byte[positionsLength];
                MemorySegment.copy(b, ValueLayout.JAVA_BYTE, at, batchPositions, 0, positionsLength);
                at += positionsLength;
            }
            int sections = b.get(INT, at);
            at += 4;
            if (sections < 0 || sections > stores.length) {
                throw damaged(batch, sections + " store sections");
            }
            // Checked whole before anything is staged: a damaged batch stages nothing.
            long checkedEnd = validate(b, at, sections, batch);
            if (checkedEnd != size) {
                throw damaged(batch, (size - checkedEnd) + " bytes after its last record");
            }
            if (tx == null) {
                tx = Transaction.begin(stores);
            }
            for (int s = 0; s < sections; s++) {
                int nameLength = Short.toUnsignedInt(b.get(SHORT, at));
                int store = storeIndex(b, at + 2, nameLength, batch);
                at += 2 + nameLength;
                int count = b.get(INT, at);
                at += 4;
                boolean applies = batch.position() >= from[store];
                for (int r = 0; r < count; r++) {
                    byte kind = b.get(ValueLayout.JAVA_BYTE, at);
                    long timestamp = b.get(LONG, at + 1);
                    int keyLength = b.get(INT, at + 9);
                    int valueLength = b.get(INT, at + 13);
                    at += CommitBatchDescriptor.RECORD_HEADER_LENGTH;
                    if (applies) {
                        MemorySegment key = b.asSlice(at, keyLength);
                        if (kind == CommitBatchDescriptor.PUT) {
                            tx.put(stores[store], key, b.asSlice(at + keyLength, valueLength), timestamp);
                        } else {
                            tx.delete(stores[store], key);
                        }
                        records++;
                        staged++;
                    }
                    at += keyLength + valueLength;
                }
            }
            if (batchPositions != null) {
                positions = batchPositions;
            }
            batches++;
            if (staged >= REPLAY_GROUP_RECORDS) {
                tx.commit();
                tx.close();
                tx = null;
                staged = 0;
            }
        }

        private long validate(MemorySegment b, long at, int sections, WalBatch batch) {
            long size = b.byteSize();
            for (int s = 0; s < sections; s++) {
                if (at + 2 > size) {
                    throw damaged(batch, "a section header past its end");
                }
                int nameLength = Short.toUnsignedInt(b.get(SHORT, at));
                if (nameLength == 0 || at + 2 + nameLength + 4 > size) {
                    throw damaged(batch, "a store name of " + nameLength + " bytes");
                }
                storeIndex(b, at + 2, nameLength, batch);
                at += 2 + nameLength;
                int count = b.get(INT, at);
                at += 4;
                if (count < 0) {
                    throw damaged(batch, "a record count of " + count);
                }
                for (int r = 0; r < count; r++) {
                    if (at + CommitBatchDescriptor.RECORD_HEADER_LENGTH > size) {
                        throw damaged(batch, "a record header past its end");
                    }
                    byte kind = b.get(ValueLayout.JAVA_BYTE, at);
                    int keyLength = b.get(INT, at + 9);
                    int valueLength = b.get(INT, at + 13);
                    if ((kind != CommitBatchDescriptor.PUT && kind != CommitBatchDescriptor.DELETE)
                        || keyLength < 0 || keyLength > KeyValueStore.MAX_KEY_LENGTH || valueLength < 0
                        || valueLength > Transaction.MAX_VALUE_LENGTH
                        || (kind == CommitBatchDescriptor.DELETE && valueLength != 0)) {
                        throw damaged(batch, "a record of kind " + kind + ", key length " + keyLength + ", value length "
                            + valueLength);
                    }
                    at += CommitBatchDescriptor.RECORD_HEADER_LENGTH;
                    if (at + keyLength + valueLength > size) {
                        throw damaged(batch, "a record past its end");
                    }
                    at += keyLength + valueLength;
                }
            }
            return at;
        }

        private int storeIndex(MemorySegment b, long at, int length, WalBatch batch) {
            for (int i = 0; i < names.length; i++) {
                byte[] name = names[i];
                if (name.length == length
                    && MemorySegment.mismatch(b, at, at + length, MemorySegment.ofArray(name), 0, length) == -1) {
                    return i;
                }
            }
            byte[] unknown = new byte[length];
            MemorySegment.copy(b, ValueLayout.JAVA_BYTE, at, unknown, 0, length);
            throw new IllegalStateException("the write-ahead log " + log.directory() + " holds a commit of partition " + partition
                + " at position " + batch.position() + " to store '" + new String(unknown, StandardCharsets.UTF_8)
                + "', which is not defined (defined: " + Arrays.toString(namesAsStrings())
                + "): define it again so that its commits are recovered");
        }

        private String[] namesAsStrings() {
            String[] s = new String[names.length];
            for (int i = 0; i < names.length; i++) {
                s[i] = new String(names[i], StandardCharsets.UTF_8);
            }
            return s;
        }

        private byte header(MemorySegment b, WalBatch batch) {
            if (b.byteSize() < CommitBatchDescriptor.CANCEL_LENGTH - 4 || b.get(INT, CommitBatchDescriptor.MAGIC_OFFSET) != CommitBatchDescriptor.MAGIC) {
                throw damaged(batch, "no state manager header");
            }
            byte version = b.get(ValueLayout.JAVA_BYTE, CommitBatchDescriptor.VERSION_OFFSET);
            if (version != CommitBatchDescriptor.VERSION) {
                throw damaged(batch, "format version " + version + " (this build reads " + CommitBatchDescriptor.VERSION + ")");
            }
            byte kind = b.get(ValueLayout.JAVA_BYTE, CommitBatchDescriptor.KIND_OFFSET);
            if (kind != CommitBatchDescriptor.COMMIT && kind != CommitBatchDescriptor.CANCEL) {
                throw damaged(batch, "batch kind " + kind);
            }
            return kind;
        }

        private CorruptStoreFileException damaged(WalBatch batch, String what) {
            return new CorruptStoreFileException(log.directory(), "the batch at log position " + batch.position()
                + " is not a valid state-manager commit (" + what + "); its checksum matched, so it was written so");
        }
    }
}
