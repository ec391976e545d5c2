package io.offstate.offheap.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Objects;

import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.StoreLockedException;
import io.offstate.offheap.UnsupportedFormatVersionException;
import io.offstate.offheap.memory.MappedRegion;
import io.offstate.offheap.memory.RegionBacking;

/**
 * The files of one file-backed store directory: the lock ({@link DirectoryLock}), the mapped
 * regions (pages, hash tables, large blocks: {@link RegionMapper}), the A/B journal that makes
 * {@link #commit} atomic ({@link CommitProtocol}), recovery on open ({@link Recovery}), the
 * checksum verification ({@link ChunkVerifier}), the checks of reopened regions on first touch
 * ({@link StoredChunkChecker}) and the background scrub ({@link Scrubber}). A facade over those; see the package
 * documentation and {@code FORMAT.md} for the protocol and the bytes.
 *
 * <p>Single writer: owned by one store, used from one thread at a time, except {@link #scrub} and
 * {@link #scrubPasses}, which one other thread may call concurrently. Holds an exclusive file
 * lock on the directory from {@link #open} to {@link #close()}. I/O failures surface as
 * {@link UncheckedIOException}; after a failed commit the store must be closed and reopened
 * ({@link #commit} refuses to run again), and reopening recovers the last committed state.
 */
public final class StoreFiles implements RegionBacking, AutoCloseable {
    private final FileNames names;
    private final DirectoryLock lock;
    private final FileChannel pages;
    private final FileTable files = new FileTable();
    private final DataChannels channels;
    private final RegionMapper regions;
    private final CommitProtocol commits;
    private final Scrubber scrubber;
    private volatile boolean closed;

    private StoreFiles(FileNames names, DirectoryLock lock, CommitObserver observer) throws IOException {
        this.names = names;
        this.lock = lock;
        this.pages = FileChannel.open(names.pages(), StandardOpenOption.CREATE, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        this.channels = new DataChannels(names);
        this.regions = new RegionMapper(names, pages, files);
        this.scrubber = new Scrubber(names, new Scrubber.Committed(new int[0], new long[0]));
        this.commits = new CommitProtocol(names, pages, files, regions, channels, observer, scrubber);
    }

    /**
     * Locks {@code directory} (creating it if needed) and recovers it: the newest committed journal
     * is found, written to the data files if a crash interrupted that, and files that no commit
     * refers to are deleted. Then {@link #storeMeta()} is the store's metadata, or null for a new
     * store (the caller builds one and {@link #commit commits} it).
     *
     * @throws StoreLockedException             if another store holds the directory
     * @throws CorruptStoreFileException        if a file is damaged or foreign (nothing is changed)
     * @throws UnsupportedFormatVersionException if a journal was written by a newer format
     * @throws UncheckedIOException             if the file system fails
     */
    public static StoreFiles open(Path directory) {
        return open(directory, CommitObserver.NONE);
    }

    /**
     * As {@link #open(Path)}, with {@code observer} told of each step of every commit (see
     * {@link CommitObserver}: a crash test throws from it).
     */
    public static StoreFiles open(Path directory, CommitObserver observer) {
        Objects.requireNonNull(observer, "observer");
        Path dir = directory.toAbsolutePath();
        DirectoryLock lock = null;
        try {
            Files.createDirectories(dir);
            FileNames names = new FileNames(dir);
            lock = DirectoryLock.acquire(names);
            StoreFiles files = new StoreFiles(names, lock, observer);
            lock = null; // the StoreFiles owns the lock now: close() releases it
            try {
                files.commits.resume(new Recovery(names, files.pages, files.files, files.channels).run());
                files.scrubber.recovered(Scrubber.Committed.of(files.files));
                return files;
            } catch (IOException | RuntimeException | Error e) {
                files.close(); // releases the lock and this process's entry for the directory
                throw e;
            }
        } catch (IOException e) {
            ChannelIo.closeQuietly(lock);
            throw new UncheckedIOException("cannot open store directory " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            ChannelIo.closeQuietly(lock);
            throw e;
        }
    }

    /** The directory, as an absolute path. */
    public Path directory() {
        return names.directory();
    }

    /** Generation of the last commit: 0 for a store not committed yet. */
    public long generation() {
        return commits.generation();
    }

    /** The journal holding the last commit's metadata ({@link #storeMeta()}), for naming it in errors. */
    public Path metaFile() {
        return names.journal(commits.generation());
    }

    /** The store's metadata of the last commit, or null if there is none yet. */
    public byte[] storeMeta() {
        return commits.storeMeta();
    }

    /**
     * Memory mappings this directory's regions hold now: one per mapped extent of the pages file,
     * one per mapped segment file (see {@link io.offstate.offheap.memory.MappingCount} for the
     * process's total and its limit).
     */
    public int mappings() {
        return regions.mappings();
    }

    /**
     * {@value MappedRegion#CHUNK_SIZE}-byte chunks a commit would write now: the dirty chunks of the
     * live regions. A commit writes each of them twice (journal and in place).
     */
    public long dirtyChunks() {
        return regions.dirtyChunks();
    }

    /**
     * Makes the current contents of every region, with {@code meta} as the store's metadata, the
     * directory's new committed state, atomically (see {@link CommitProtocol#commit} for the steps).
     * A crash before the commit point leaves the previous commit; after it, recovery replays the
     * journal. Segments passed out before are remapped: callers re-read their segments.
     *
     * @return bytes of dirty chunks written
     * @throws UncheckedIOException  if the file system fails; the store must then be reopened
     * @throws IllegalStateException if closed, or if an earlier commit failed
     */
    public long commit(byte[] meta) {
        ensureUsable();
        return commits.commit(meta);
    }

    /**
     * Checks every chunk of every live region, as stored in the files, against its CRC32C in the
     * checksum files. Call it right after a commit: it reads the files, not the memory.
     *
     * @return bytes checked
     * @throws CorruptStoreFileException naming the file and offset of the first bad chunk
     */
    public long verify() {
        ensureUsable();
        return ChunkVerifier.verify(names, regions.live());
    }

    /**
     * Re-verifies up to {@code maxBytes} of committed chunks on disk, continuing round-robin where
     * the previous call stopped; returns bytes checked. Reads the data and checksum files with
     * positional reads (not the mappings), as {@link #verify()} does. Thread-safe against the
     * store's own thread: may be called from ONE other thread while the owner writes and flushes
     * (a flush rewriting chunks waits for at most one batch of at most 1 MiB; a scrub never
     * reports a chunk a concurrent flush rewrote). Checks at least one chunk per call, and returns
     * early when it completes a pass.
     *
     * @throws CorruptStoreFileException naming file and offset of a bad chunk (the next call goes
     *                                   on after it)
     * @throws IllegalStateException     if closed, or if an earlier flush failed while writing the files
     * @throws IllegalArgumentException  if {@code maxBytes} is negative
     * @throws UncheckedIOException      if the file system fails
     */
    public long scrub(long maxBytes) {
        return scrubber.scrub(maxBytes);
    }

    /** Number of complete passes over all committed chunks finished by {@link #scrub} so far. */
    public long scrubPasses() {
        return scrubber.passes();
    }

    @Override
    public MappedRegion mapPage(int index, int pageSize) {
        return regions.mapPage(index, pageSize);
    }

    @Override
    public MappedRegion openPage(int index, int pageSize) {
        return regions.openPage(index, pageSize);
    }

    @Override
    public MappedRegion newSegment(long bytes) {
        ensureUsable();
        return regions.newSegment(bytes);
    }

    @Override
    public MappedRegion openSegment(int fileId, long bytes) {
        return regions.openSegment(fileId, bytes);
    }

    @Override
    public void free(MappedRegion region) {
        regions.free(region);
    }

    private void ensureUsable() {
        if (closed) {
            throw new IllegalStateException("store directory " + names.directory() + " is closed");
        }
        if (commits.failed()) {
            throw new IllegalStateException("an earlier flush of store directory " + names.directory()
                + " failed; close the store and reopen it to recover its last flush");
        }
    }

    /**
     * Unmaps every region still mapped, and releases the channels and the directory lock; writes
     * nothing (commit first to keep changes). Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        scrubber.close(); // waits for a batch in progress: no scrub reads files of a released directory
        regions.unmapAll();
        ChannelIo.closeQuietly(pages);
        lock.close();
    }
}
