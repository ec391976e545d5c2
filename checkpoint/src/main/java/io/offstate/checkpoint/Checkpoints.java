package io.offstate.checkpoint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.PartitionImage;
import io.offstate.engine.StateManager;
import io.offstate.engine.StatePartition;
import io.offstate.engine.StoreImage;
import io.offstate.engine.StoreOptions;
import io.offstate.offheap.CorruptStateException;

/**
 * A series of checkpoints of one store, or of one state-manager partition, in a
 * {@link CheckpointStorage}: take them (full or incremental), list, verify, restore (latest, by id,
 * newest at or before a time), merge and retain.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Ids.</b> Checkpoint {@code n} of series {@code s} is {@code s.<n, 12 digits>}; a base
 *       merged from it ({@link #merge}) is {@code s.<n>-b<k>}: the same sequence, the same contents
 *       and tokens, so incremental checkpoints built on {@code n} restore through either.</li>
 *   <li><b>Incremental.</b> {@code checkpoint(store, true)} writes only the chunks changed since the
 *       latest checkpoint of the series if that checkpoint was taken of this very store (its
 *       {@link KeyValueStore#imageToken()} matches) and its chain is shorter than
 *       {@link Builder#maxChain}; otherwise it writes a full checkpoint (a new base). So a restore
 *       never reads more than {@code maxChain} checkpoints.</li>
 *   <li><b>Atomic.</b> Blocks are written, then the manifest published ({@link CheckpointStorage});
 *       a failure deletes what was written and rethrows, leaving earlier checkpoints as they were.
 *       Blocks of interrupted uploads (unpublished ids of this series) are deleted by the next
 *       checkpoint and by {@link #applyRetention()}.</li>
 *   <li><b>Damage.</b> A checkpoint that cannot be read back (manifest or block missing, truncated,
 *       failing a CRC32C, foreign, or a chain checkpoint it needs so) fails with a
 *       {@link DamagedCheckpointException} naming it and the block. {@link #restoreLatest} and
 *       {@link #restoreAtOrBefore} then try the previous one, tell the {@link CheckpointListener}
 *       and list what they skipped in the {@link RestoreResult}.</li>
 *   <li><b>Retention</b> ({@link Retention}) after each checkpoint, or on {@link #applyRetention()}:
 *       checkpoints outside the rules are deleted (their space released by the storage); a kept
 *       checkpoint whose chain reaches a dropped one is first {@link #merge merged} into a base.</li>
 * </ol>
 *
 * <p>Threading: the methods are synchronized; one {@code Checkpoints} (one process) writes a series.
 * Taking a checkpoint of a store must happen on the store's owner thread (it pins an image); the
 * compression and upload run on the same call. Storage failures are {@link IOException}s.
 */
public final class Checkpoints {
    private static final int SEQUENCE_DIGITS = 12;

    private final CheckpointStorage storage;
    private final String series;
    private final String prefix;
    private final int blockSize;
    private final int maxChain;
    private final Retention retention;
    private final Clock clock;
    private final CheckpointListener listener;
    private final Map<String, CheckpointManifest> manifests = new HashMap<>();

    private Checkpoints(Builder b) {
        this.storage = b.storage;
        this.series = b.series;
        this.prefix = b.series + ".";
        this.blockSize = b.blockSize;
        this.maxChain = b.maxChain;
        this.retention = b.retention;
        this.clock = b.clock;
        this.listener = b.listener;
    }

    /** A builder for series {@code series} (1-{@value #MAX_SERIES} characters of {@code [A-Za-z0-9_-]}) in {@code storage}. */
    public static Builder builder(CheckpointStorage storage, String series) {
        return new Builder(storage, series);
    }

    /** Longest series name. */
    public static final int MAX_SERIES = CheckpointNames.MAX_LENGTH - 40;

    /** Settings of a {@link Checkpoints}. */
    public static final class Builder {
        private final CheckpointStorage storage;
        private final String series;
        private int blockSize = 1 << 20;
        private int maxChain = 8;
        private Retention retention = Retention.KEEP_ALL;
        private Clock clock = Clock.systemUTC();
        private CheckpointListener listener = CheckpointListener.NONE;

        private Builder(CheckpointStorage storage, String series) {
            this.storage = Objects.requireNonNull(storage, "storage");
            CheckpointNames.check("series", series);
            if (series.length() > MAX_SERIES || series.contains(".")) {
                throw new IllegalArgumentException("series '" + series + "' must be at most " + MAX_SERIES
                    + " characters of [A-Za-z0-9_-]");
            }
            this.series = series;
        }

        /** Raw bytes per block before compression, 4 KiB to 64 MiB; default 1 MiB. */
        public Builder blockSize(int bytes) {
            if (bytes < 4096 || bytes > 64 << 20) {
                throw new IllegalArgumentException("block size " + bytes + " is not 4 KiB..64 MiB");
            }
            this.blockSize = bytes;
            return this;
        }

        /** Longest chain a restore reads (1: every checkpoint full); default 8. */
        public Builder maxChain(int checkpoints) {
            if (checkpoints < 1) {
                throw new IllegalArgumentException("maxChain " + checkpoints + " must be at least 1");
            }
            this.maxChain = checkpoints;
            return this;
        }

        /** Applied after every checkpoint; default {@link Retention#KEEP_ALL}. */
        public Builder retention(Retention retention) {
            this.retention = Objects.requireNonNull(retention, "retention");
            return this;
        }

        /** The clock that dates checkpoints and ages them for retention; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Told of fallbacks, writes and deletions; default none. */
        public Builder listener(CheckpointListener listener) {
            this.listener = Objects.requireNonNull(listener, "listener");
            return this;
        }

        public Checkpoints build() {
            return new Checkpoints(this);
        }
    }

    /** The series name. */
    public String series() {
        return series;
    }

    /** The storage. */
    public CheckpointStorage storage() {
        return storage;
    }

    // ---------------------------------------------------------------- taking checkpoints

    /** As {@link #checkpoint(KeyValueStore, boolean, byte[])} without input positions. */
    public CheckpointManifest checkpoint(KeyValueStore store, boolean incremental) throws IOException {
        return checkpoint(store, incremental, null);
    }

    /**
     * Takes a checkpoint of {@code store} now: full, or incremental where the contract allows. On
     * the store's owner thread.
     *
     * @param positions what the state covers (changelog or input offsets), kept in the manifest; null for none
     * @return the published manifest
     * @throws IOException if the storage fails (nothing is published; the next checkpoint is full)
     * @throws io.offstate.offheap.StoreClosedException if the store is closed
     * @throws WrongThreadException if called off the store's owner thread
     */
    public CheckpointManifest checkpoint(KeyValueStore store, boolean incremental, byte[] positions) throws IOException {
        try (Pending pending = begin(store, incremental, positions)) {
            return pending.publish();
        }
    }

    /**
     * The first half of {@link #checkpoint(KeyValueStore, boolean, byte[])}, on the store's owner
     * thread: decides full or incremental and pins the store's state (O(metadata): the bytes are
     * copied by {@link Pending#publish()}, copy-on-write, while the store is free to change). {@link Pending#publish()} then
     * compresses and uploads it, on any thread, while the owner goes on writing.
     *
     * @throws IOException if the storage fails while finding the parent
     */
    public synchronized Pending begin(KeyValueStore store, boolean incremental, byte[] positions) throws IOException {
        Objects.requireNonNull(store, "store");
        deleteUnpublished();
        CheckpointManifest parent = latestReadable();
        CheckpointManifest.StoreSection section = parent == null ? null : section(parent, store.name());
        long token = store.imageToken();
        boolean inc = incremental && section != null && token != 0 && section.token() == token
            && parent.chainLength() < maxChain;
        StoreImage image = inc ? store.incrementalImage() : store.image();
        return new Pending(image, inc ? parent : null, positions);
    }

    /**
     * A pinned store image waiting to be written ({@link #begin}). Publish it once, from any
     * thread; close it (also after publishing) to free the pinned copy.
     */
    public final class Pending implements AutoCloseable {
        private final StoreImage image;
        private final CheckpointManifest parent;
        private final byte[] positions;
        private boolean published;

        private Pending(StoreImage image, CheckpointManifest parent, byte[] positions) {
            this.image = image;
            this.parent = parent;
            this.positions = positions == null ? null : positions.clone();
        }

        /** Bytes pinned (what the checkpoint carries, uncompressed). */
        public long bytesPinned() {
            return image.bytesCarried();
        }

        /** Whether it will be written as an incremental checkpoint. */
        public boolean isIncremental() {
            return image.isIncremental();
        }

        /**
         * Writes the blocks and publishes the manifest (see the class contract: atomic; on failure
         * nothing is published and the store's next checkpoint is full).
         *
         * @throws IllegalStateException if already published
         * @throws IOException if the storage fails
         */
        public CheckpointManifest publish() throws IOException {
            synchronized (Checkpoints.this) {
                if (published) {
                    throw new IllegalStateException("checkpoint of store '" + image.storeName() + "' already published");
                }
                published = true;
                return Checkpoints.this.publish(nextId(), parent, -1, -1, 0, positions, List.of(image));
            }
        }

        /** Frees the pinned copy; idempotent. */
        @Override
        public void close() {
            image.close();
        }
    }

    /**
     * Takes a checkpoint of all stores of {@code partition} at one commit: flushes it (forcing the
     * log), images every store, and records the log position the flush covered and the input
     * positions of the last commit. Incremental only if the latest checkpoint of the series is of
     * this partition's stores (all tokens match). On the partition's owner thread, with no open
     * transaction.
     *
     * @throws IOException if the storage fails
     * @throws IllegalStateException if a transaction is open
     */
    public synchronized CheckpointManifest checkpoint(StatePartition partition, boolean incremental) throws IOException {
        Objects.requireNonNull(partition, "partition");
        deleteUnpublished();
        CheckpointManifest parent = latestReadable();
        boolean inc = incremental && parent != null && parent.partition() == partition.id()
            && parent.chainLength() < maxChain;
        if (inc) {
            for (KeyValueStore s : partition.stores()) {
                CheckpointManifest.StoreSection sec = parent.store(s.name());
                inc &= sec != null && s.imageToken() != 0 && sec.token() == s.imageToken();
            }
        }
        try (PartitionImage image = partition.image(inc)) {
            String id = nextId();
            return publish(id, inc ? parent : null, partition.id(), image.logPosition(), image.logEpoch(), image.positions(),
                image.stores());
        }
    }

    private CheckpointManifest publish(String id, CheckpointManifest parent, int partition, long logPosition, int logEpoch,
                                       byte[] positions, List<StoreImage> images) throws IOException {
        CheckpointManifest manifest;
        try {
            SectionWriter writer = new SectionWriter(storage, blockSize);
            List<CheckpointManifest.StoreSection> sections = new ArrayList<>();
            for (int i = 0; i < images.size(); i++) {
                StoreImage image = images.get(i);
                if (image.isIncremental() && (parent == null || section(parent, image.storeName()) == null
                    || section(parent, image.storeName()).token() != image.baseToken())) {
                    throw new IllegalStateException("image of store '" + image.storeName() + "' is not relative to checkpoint "
                        + (parent == null ? "(none)" : parent.id()));
                }
                sections.add(writer.write(id, i, image));
            }
            boolean anyIncremental = sections.stream().anyMatch(CheckpointManifest.StoreSection::incremental);
            manifest = new CheckpointManifest(id, anyIncremental ? parent.id() : null, sequenceOf(id), clock.millis(),
                anyIncremental ? parent.chainLength() + 1 : 1, partition, logPosition, logEpoch, positions, sections);
            storage.publish(id, manifest.encode());
        } catch (IOException | RuntimeException | Error e) {
            try {
                storage.delete(id);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        manifests.put(id, manifest);
        listener.written(manifest);
        if (!retention.equals(Retention.KEEP_ALL)) {
            applyRetention();
        }
        return manifest;
    }

    // ---------------------------------------------------------------- listing

    /** Ids of the series' published checkpoints, oldest first (by sequence, then publication). */
    public synchronized List<String> ids() throws IOException {
        List<String> ids = new ArrayList<>();
        for (String id : storage.list()) {
            if (isOurs(id)) {
                ids.add(id);
            }
        }
        List<String> sorted = new ArrayList<>(ids);
        sorted.sort(Comparator.comparingLong(Checkpoints::sequenceOfUnchecked).thenComparingInt(ids::indexOf));
        return sorted;
    }

    /**
     * The manifest of checkpoint {@code id}.
     *
     * @throws NoSuchFileException if it is not published
     * @throws DamagedCheckpointException if the manifest is damaged
     */
    public synchronized CheckpointManifest manifest(String id) throws IOException {
        CheckpointManifest m = manifests.get(id);
        if (m == null) {
            m = CheckpointManifest.decode(id, storage.readManifest(id));
            manifests.put(id, m);
        }
        return m;
    }

    /** The manifests of the series that can be read, oldest first; damaged ones are left out. */
    public synchronized List<CheckpointManifest> list() throws IOException {
        List<CheckpointManifest> out = new ArrayList<>();
        for (String id : ids()) {
            try {
                out.add(manifest(id));
            } catch (DamagedCheckpointException | NoSuchFileException e) {
                // left out: restore and verify report it
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- verify and restore

    /**
     * Reads and checks every block that restoring {@code id} reads (its whole chain), without
     * building a store; returns its manifest.
     *
     * @throws DamagedCheckpointException naming the first damaged checkpoint and block
     * @throws NoSuchFileException if {@code id} is not published
     */
    public synchronized CheckpointManifest verify(String id) throws IOException {
        CheckpointManifest tip = manifest(id);
        for (CheckpointManifest.StoreSection s : tip.stores()) {
            try (ChainReader r = readChain(tip, s.name())) {
                // everything was read and checked
            }
        }
        return tip;
    }

    /**
     * Restores checkpoint {@code id} into a new store: in memory if {@code directory} is null,
     * else file-backed there (the directory must be empty or absent). {@code options} gives the
     * name (which store of a partition checkpoint; a checkpoint of one store ignores it), the
     * budget and expected entries; its structural options must match the checkpoint's.
     *
     * @throws DamagedCheckpointException if the checkpoint or its chain is damaged
     * @throws NoSuchFileException        if {@code id} is not published
     * @throws IllegalArgumentException   if {@code options} do not fit the checkpoint or it has no such store
     * @throws io.offstate.offheap.StoreFullException if the state exceeds the budget of {@code options}
     */
    public synchronized RestoreResult restore(String id, StoreOptions options, Path directory) throws IOException {
        return new RestoreResult(restoreStore(id, options, directory), manifest(id), List.of());
    }

    /**
     * Restores the newest checkpoint that can be restored, falling back past damaged ones (each
     * reported to the listener and in {@link RestoreResult#skipped()}); see {@link #restore}.
     *
     * @throws NoSuchFileException        if the series has no checkpoint
     * @throws DamagedCheckpointException if none can be restored (the newest one's; the others suppressed)
     */
    public synchronized RestoreResult restoreLatest(StoreOptions options, Path directory) throws IOException {
        return restoreNewest(ids(), options, directory, null);
    }

    /**
     * Restores the newest checkpoint taken at or before {@code time} that can be restored, falling
     * back as {@link #restoreLatest} does.
     *
     * @throws NoSuchFileException if no checkpoint was taken at or before {@code time}
     */
    public synchronized RestoreResult restoreAtOrBefore(Instant time, StoreOptions options, Path directory) throws IOException {
        Objects.requireNonNull(time, "time");
        return restoreNewest(ids(), options, directory, time);
    }

    private RestoreResult restoreNewest(List<String> ids, StoreOptions options, Path directory, Instant atOrBefore) throws IOException {
        Objects.requireNonNull(options, "options");
        List<DamagedCheckpointException> skipped = new ArrayList<>();
        for (int i = ids.size() - 1; i >= 0; i--) {
            String id = ids.get(i);
            try {
                CheckpointManifest m = manifest(id);
                if (atOrBefore != null && m.time().isAfter(atOrBefore)) {
                    continue;
                }
                return new RestoreResult(restoreStore(id, options, directory), m, skipped);
            } catch (DamagedCheckpointException e) {
                skipped.add(e);
                listener.fellBack(id, e);
            } catch (NoSuchFileException e) { // deleted meanwhile
                continue;
            }
        }
        if (skipped.isEmpty()) {
            throw new NoSuchFileException(storage.describe(), null, "series '" + series + "' has no checkpoint"
                + (atOrBefore == null ? "" : " taken at or before " + atOrBefore));
        }
        DamagedCheckpointException first = skipped.getFirst();
        DamagedCheckpointException all = new DamagedCheckpointException(first.checkpointId(), first.block(),
            "no checkpoint of series '" + series + "' can be restored; the newest: " + first.getMessage(), first);
        for (int i = 1; i < skipped.size(); i++) {
            all.addSuppressed(skipped.get(i));
        }
        throw all;
    }

    private KeyValueStore restoreStore(String id, StoreOptions options, Path directory) throws IOException {
        Objects.requireNonNull(options, "options");
        CheckpointManifest tip = manifest(id);
        CheckpointManifest.StoreSection section = section(tip, options.name());
        if (section == null) {
            List<String> names = tip.stores().stream().map(CheckpointManifest.StoreSection::name).toList();
            throw new IllegalArgumentException("checkpoint '" + id + "' has no store '" + options.name() + "'; it holds " + names);
        }
        try (ChainReader r = readChain(tip, section.name())) {
            try {
                return KeyValueStore.restoreImage(directory, options, section.metadata(), r, section.token());
            } catch (CorruptStateException e) {
                throw new DamagedCheckpointException(id, null, "store '" + section.name() + "' metadata is damaged: " + e.getMessage(), e);
            }
        }
    }

    /** Reads store {@code name}'s chain ending at {@code tip}, every block checked. */
    private ChainReader readChain(CheckpointManifest tip, String name) throws IOException {
        List<CheckpointManifest> chain = new ArrayList<>();
        List<CheckpointManifest.StoreSection> sections = new ArrayList<>();
        CheckpointManifest m = tip;
        CheckpointManifest.StoreSection s = section(tip, name);
        chain.add(m);
        sections.add(s);
        while (s.incremental()) {
            if (chain.size() > maxChain + 64) {
                throw new DamagedCheckpointException(tip.id(), null, "its chain of parents does not end (a loop?)", null);
            }
            CheckpointManifest p;
            try {
                p = parentOf(m, s);
            } catch (DamagedCheckpointException e) {
                throw new DamagedCheckpointException(tip.id(), e.block(), "needs checkpoint '" + e.checkpointId()
                    + "', which is damaged: " + e.getMessage(), e);
            }
            m = p;
            s = section(m, name);
            chain.add(m);
            sections.add(s);
        }
        java.util.Collections.reverse(chain);
        java.util.Collections.reverse(sections);
        try {
            return ChainReader.read(storage, chain, sections);
        } catch (DamagedCheckpointException e) {
            if (e.checkpointId().equals(tip.id())) {
                throw e;
            }
            throw new DamagedCheckpointException(tip.id(), e.block(), "needs checkpoint '" + e.checkpointId()
                + "', which is damaged: " + e.getMessage(), e);
        }
    }

    /**
     * The checkpoint store section {@code s} of {@code m} builds on: the parent by id, or, if that
     * was merged away, another checkpoint of the same sequence whose section has the same token.
     */
    private CheckpointManifest parentOf(CheckpointManifest m, CheckpointManifest.StoreSection s) throws IOException {
        String parentId = m.parent();
        if (parentId == null) {
            throw new DamagedCheckpointException(m.id(), null, "store '" + s.name() + "' is incremental but has no parent", null);
        }
        try {
            CheckpointManifest p = manifest(parentId);
            CheckpointManifest.StoreSection ps = section(p, s.name());
            if (ps != null && ps.token() == s.baseToken()) {
                return p;
            }
        } catch (NoSuchFileException | DamagedCheckpointException e) {
            // look for a merged twin below
        }
        long sequence = sequenceOfUnchecked(parentId);
        for (String id : ids()) {
            if (!id.equals(parentId) && sequenceOfUnchecked(id) == sequence) {
                try {
                    CheckpointManifest p = manifest(id);
                    CheckpointManifest.StoreSection ps = section(p, s.name());
                    if (ps != null && ps.token() == s.baseToken()) {
                        return p;
                    }
                } catch (DamagedCheckpointException | NoSuchFileException e) {
                    // try another
                }
            }
        }
        throw new DamagedCheckpointException(m.id(), null, "its parent '" + parentId + "' is missing or damaged in "
            + storage.describe(), null);
    }

    // ---------------------------------------------------------------- partitions

    /**
     * Restores partition checkpoint {@code id} (null: the newest restorable one of the series,
     * falling back past damaged ones) into {@code partition} of {@code manager}, which must not be
     * assigned: every defined store's directory is replaced by the checkpoint's state, whose flush
     * metadata records the log position of the checkpoint. The next {@code manager.assign(partition)}
     * replays the write-ahead log from there. Each store is built in a temporary directory first, so a
     * damaged checkpoint leaves the partition's directories untouched.
     *
     * @return the checkpoint used
     * @throws IllegalStateException    if the partition is assigned
     * @throws IllegalArgumentException if a defined store is not in the checkpoint
     * @throws DamagedCheckpointException if the checkpoint (or, for null, every one) is damaged
     */
    public synchronized CheckpointManifest restorePartition(String id, StateManager manager, int partition) throws IOException {
        Objects.requireNonNull(manager, "manager");
        if (manager.assigned().contains(partition)) {
            throw new IllegalStateException("partition " + partition + " is assigned: revoke it before restoring it");
        }
        if (id != null) {
            return restorePartitionFrom(manifest(id), manager, partition);
        }
        List<String> ids = ids();
        List<DamagedCheckpointException> skipped = new ArrayList<>();
        for (int i = ids.size() - 1; i >= 0; i--) {
            try {
                return restorePartitionFrom(manifest(ids.get(i)), manager, partition);
            } catch (DamagedCheckpointException e) {
                skipped.add(e);
                listener.fellBack(ids.get(i), e);
            }
        }
        if (skipped.isEmpty()) {
            throw new NoSuchFileException(storage.describe(), null, "series '" + series + "' has no checkpoint");
        }
        throw skipped.getFirst();
    }

    private CheckpointManifest restorePartitionFrom(CheckpointManifest m, StateManager manager, int partition) throws IOException {
        if (m.partition() < 0) {
            throw new IllegalArgumentException("checkpoint '" + m.id() + "' is of one store, not of a partition");
        }
        List<String> names = manager.storeNames();
        for (String name : names) {
            if (m.store(name) == null) {
                throw new IllegalArgumentException("checkpoint '" + m.id() + "' has no store '" + name + "' defined in the manager");
            }
        }
        List<Path> built = new ArrayList<>();
        try {
            for (String name : names) {
                Path target = manager.storeDirectory(name, partition);
                Path temp = target.resolveSibling(target.getFileName() + ".restoring");
                deleteTree(temp);
                built.add(temp);
                KeyValueStore store = restoreStore(m.id(), manager.definition(name), temp);
                store.close();
            }
        } catch (IOException | RuntimeException | Error e) {
            for (Path p : built) {
                try {
                    deleteTree(p);
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        try {
            manager.retainLogFrom(partition, m.logPosition()); // refuses a checkpoint older than the log
        } catch (RuntimeException e) {
            for (Path p : built) {
                try {
                    deleteTree(p);
                } catch (IOException | RuntimeException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            throw e;
        }
        for (int i = 0; i < names.size(); i++) {
            Path target = manager.storeDirectory(names.get(i), partition);
            deleteTree(target);
            Files.createDirectories(target.getParent());
            Files.move(built.get(i), target, StandardCopyOption.ATOMIC_MOVE);
        }
        return m;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (var walk = Files.walk(p)) {
            for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(q);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    // ---------------------------------------------------------------- merge and retention

    /**
     * Writes checkpoint {@code id}'s state as a new full checkpoint (a base) of the same sequence,
     * time, positions and tokens, id {@code <id>-b<k>}, read from the storage (the store is not
     * needed). Checkpoints built on {@code id} then also restore through the base, so {@code id}'s
     * chain may be deleted.
     *
     * @return the new base's manifest ({@code id}'s own if it is already full)
     * @throws DamagedCheckpointException if {@code id}'s chain is damaged
     */
    public synchronized CheckpointManifest merge(String id) throws IOException {
        CheckpointManifest tip = manifest(id);
        if (tip.chainLength() == 1) {
            return tip;
        }
        String base = sequencePrefix(tip.sequence());
        int k = 1;
        Set<String> existing = new HashSet<>(storage.list());
        existing.addAll(storage.listUnpublished());
        while (existing.contains(base + "-b" + k)) {
            k++;
        }
        String mergedId = base + "-b" + k;
        CheckpointManifest merged;
        try {
            SectionWriter writer = new SectionWriter(storage, blockSize);
            List<CheckpointManifest.StoreSection> sections = new ArrayList<>();
            for (int i = 0; i < tip.stores().size(); i++) {
                CheckpointManifest.StoreSection s = tip.stores().get(i);
                try (ChainReader r = readChain(tip, s.name())) {
                    sections.add(writer.write(mergedId, i, s.name(), false, s.token(), 0, s.entries(), s.metadata(), r.pieces()));
                }
            }
            merged = new CheckpointManifest(mergedId, null, tip.sequence(), tip.time().toEpochMilli(), 1, tip.partition(),
                tip.logPosition(), tip.logEpoch(), tip.positions(), sections);
            storage.publish(mergedId, merged.encode());
        } catch (IOException | RuntimeException | Error e) {
            try {
                storage.delete(mergedId);
            } catch (IOException | RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw e;
        }
        manifests.put(mergedId, merged);
        listener.written(merged);
        return merged;
    }

    /**
     * Applies the {@link Retention} of the builder (see there and the class contract); returns the
     * ids deleted. Unpublished leftovers of the series are deleted too.
     */
    public synchronized List<String> applyRetention() throws IOException {
        return applyRetention(retention);
    }

    /** As {@link #applyRetention()} with {@code rules}. */
    public synchronized List<String> applyRetention(Retention rules) throws IOException {
        Objects.requireNonNull(rules, "rules");
        deleteUnpublished();
        List<String> ids = ids();
        if (ids.isEmpty()) {
            return List.of();
        }
        long now = clock.millis();
        // one entry per sequence (a merged base and its original are the same checkpoint)
        List<Long> sequences = ids.stream().map(Checkpoints::sequenceOfUnchecked).distinct().toList();
        Set<Long> keptSequences = new HashSet<>();
        for (int i = 0; i < sequences.size(); i++) {
            int rank = sequences.size() - 1 - i; // 0: the newest
            long seq = sequences.get(i);
            boolean keep = rank == 0;
            if (!keep) {
                keep = (rules.keepLast() == 0 || rank < rules.keepLast());
                if (keep && rules.maxAge() != null) {
                    Instant t = timeOf(ids, seq);
                    keep = t != null && now - t.toEpochMilli() < rules.maxAge().toMillis();
                }
            }
            if (keep) {
                keptSequences.add(seq);
            }
        }
        Set<String> keep = new HashSet<>();
        for (String id : ids) {
            if (keptSequences.contains(sequenceOfUnchecked(id))) {
                keep.add(id);
            }
        }
        // a kept checkpoint whose chain reads a dropped one: merge it into a base first (oldest first)
        for (String id : ids) {
            if (!keep.contains(id)) {
                continue;
            }
            CheckpointManifest m;
            try {
                m = manifest(id);
            } catch (DamagedCheckpointException e) {
                continue; // kept as it is: it is inside the rules
            }
            if (m.chainLength() > 1 && chainLeaves(m, keep)) {
                try {
                    CheckpointManifest base = merge(id);
                    keep.add(base.id());
                    keep.remove(id);
                    // gone at once, so that newer kept checkpoints resolve their parent to the base
                    deleteChecked(id);
                } catch (DamagedCheckpointException e) {
                    // cannot be merged (its chain is damaged): keep what it reads instead
                    keep.addAll(chainIds(m));
                }
            }
        }
        for (String id : ids()) {
            if (!keep.contains(id)) {
                deleteChecked(id);
            }
        }
        List<String> out = List.copyOf(deletedNow);
        deletedNow.clear();
        return out;
    }

    private final List<String> deletedNow = new ArrayList<>();

    private void deleteChecked(String id) throws IOException {
        storage.delete(id);
        manifests.remove(id);
        deletedNow.add(id);
        listener.deleted(id);
    }

    private Instant timeOf(List<String> ids, long seq) throws IOException {
        for (String id : ids) {
            if (sequenceOfUnchecked(id) == seq) {
                try {
                    return manifest(id).time();
                } catch (DamagedCheckpointException | NoSuchFileException e) {
                    // another one of the same sequence may tell
                }
            }
        }
        return null;
    }

    /** Whether some store's chain of {@code m} reads a checkpoint outside {@code keep}. */
    private boolean chainLeaves(CheckpointManifest m, Set<String> keep) throws IOException {
        for (String id : chainIds(m)) {
            if (!keep.contains(id)) {
                return true;
            }
        }
        return false;
    }

    /** Ids of the checkpoints the stores of {@code m} read, as far as they can be resolved. */
    private Set<String> chainIds(CheckpointManifest m) throws IOException {
        Set<String> out = new HashSet<>();
        for (CheckpointManifest.StoreSection s0 : m.stores()) {
            CheckpointManifest c = m;
            CheckpointManifest.StoreSection s = s0;
            int guard = 0;
            while (s != null && s.incremental() && guard++ < maxChain + 64) {
                try {
                    c = parentOf(c, s);
                } catch (DamagedCheckpointException e) {
                    if (c.parent() != null) {
                        out.add(c.parent());
                    }
                    break;
                }
                out.add(c.id());
                s = section(c, s0.name());
            }
        }
        return out;
    }

    // ---------------------------------------------------------------- ids

    private void deleteUnpublished() throws IOException {
        for (String id : storage.listUnpublished()) {
            if (isOurs(id)) {
                storage.delete(id);
            }
        }
    }

    private CheckpointManifest latestReadable() throws IOException {
        List<String> ids = ids();
        if (ids.isEmpty()) {
            return null;
        }
        String id = ids.getLast();
        try {
            // read again, not from the cache: an incremental must not build on a manifest damaged since
            CheckpointManifest m = CheckpointManifest.decode(id, storage.readManifest(id));
            manifests.put(id, m);
            return m;
        } catch (DamagedCheckpointException | NoSuchFileException e) {
            manifests.remove(id);
            return null; // a full checkpoint follows
        }
    }

    private String nextId() throws IOException {
        long max = 0;
        for (String id : storage.list()) {
            if (isOurs(id)) {
                max = Math.max(max, sequenceOfUnchecked(id));
            }
        }
        return sequencePrefix(max + 1);
    }

    private String sequencePrefix(long sequence) {
        return prefix + String.format("%0" + SEQUENCE_DIGITS + "d", sequence);
    }

    private boolean isOurs(String id) {
        if (!id.startsWith(prefix) || id.length() < prefix.length() + SEQUENCE_DIGITS) {
            return false;
        }
        for (int i = prefix.length(); i < prefix.length() + SEQUENCE_DIGITS; i++) {
            if (id.charAt(i) < '0' || id.charAt(i) > '9') {
                return false;
            }
        }
        return id.length() == prefix.length() + SEQUENCE_DIGITS || id.startsWith("-b", prefix.length() + SEQUENCE_DIGITS);
    }

    private long sequenceOf(String id) {
        return sequenceOfUnchecked(id);
    }

    private static long sequenceOfUnchecked(String id) {
        int dot = id.lastIndexOf('.');
        return Long.parseLong(id.substring(dot + 1, dot + 1 + SEQUENCE_DIGITS));
    }

    /** The section of store {@code name}; for a checkpoint of one store, its only section whatever the name. */
    private static CheckpointManifest.StoreSection section(CheckpointManifest m, String name) {
        CheckpointManifest.StoreSection s = m.store(name);
        if (s == null && m.partition() < 0 && m.stores().size() == 1) {
            return m.stores().getFirst();
        }
        return s;
    }
}
