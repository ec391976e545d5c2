package io.offstate.engine;

import java.nio.file.Path;

import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.StoreFileException;
import io.offstate.offheap.file.CommitObserver;
import io.offstate.offheap.file.StoreFiles;
import io.offstate.offheap.memory.RegionBacking;

/**
 * The persistence of a file-backed store: its {@link StoreFiles} (lock, mapped regions, journaled
 * commit). A flush commits the engine's metadata (options, caller metadata, component state) with
 * the dirty chunks, then re-reads every segment because the commit remapped the written regions.
 *
 * <p>Single writer: owned by one store. Owns the files: {@link #close()} unlocks the directory.
 */
final class FilePersistence implements Persistence {
    private final StoreFiles files;
    private byte[] flushMetadata;
    private long flushes;
    private long lastFlushBytes;
    private long lastFlushNanos;

    /** A store opened on a directory: its persistence, its state and the options in effect. */
    record Opened(FilePersistence persistence, StoreState state, StoreOptions options) {
    }

    private FilePersistence(StoreFiles files, byte[] flushMetadata) {
        this.files = files;
        this.flushMetadata = flushMetadata;
    }

    /**
     * Opens (or creates) the store in {@code directory}; see {@link KeyValueStore#open}. On any
     * failure nothing stays open or locked.
     */
    static Opened open(Path directory, StoreOptions options, CommitObserver observer) {
        try {
            return openNamed(directory, options, observer);
        } catch (CorruptStoreFileException e) {
            throw named(e, options.name());
        }
    }

    private static Opened openNamed(Path directory, StoreOptions options, CommitObserver observer) {
        StoreFiles files = StoreFiles.open(directory, observer);
        StoreState state = null;
        try {
            byte[] meta = files.storeMeta();
            if (meta == null) {
                byte[] none = new byte[0];
                state = StoreState.create(options, files);
                files.commit(state.writeMeta(options, none));
                state.refreshMappings();
                return new Opened(new FilePersistence(files, none), state, options);
            }
            StoreState.Header header;
            try {
                header = StoreState.readHeader(meta, options);
                state = StoreState.reopen(header, files);
            } catch (CorruptStateException e) {
                throw new CorruptStoreFileException(files.metaFile(), "store metadata: " + e.getMessage(), e);
            }
            return new Opened(new FilePersistence(files, header.flushMetadata()), state, header.options());
        } catch (RuntimeException | Error e) {
            if (state != null) {
                state.close();
            }
            files.close();
            throw e;
        }
    }

    @Override
    public RegionBacking backing() {
        return files;
    }

    @Override
    public boolean isFileBacked() {
        return true;
    }

    @Override
    public Path directory() {
        return files.directory();
    }

    @Override
    public long generation() {
        return files.generation();
    }

    @Override
    public byte[] flushMetadata() {
        return flushMetadata;
    }

    @Override
    public void flush(StoreCore core, StoreOptions options, byte[] metadata) {
        core.invalidate(); // the commit remaps written regions: views into them must not be used
        long start = System.nanoTime();
        StoreState state = core.state();
        long written;
        try {
            written = files.commit(state.writeMeta(options, metadata));
        } finally {
            state.refreshMappings(); // regions remapped before a failure must not be read through old segments
        }
        lastFlushNanos = System.nanoTime() - start;
        lastFlushBytes = written;
        flushes++;
        flushMetadata = metadata;
    }

    @Override
    public void verifyFiles() {
        files.verify();
    }

    @Override
    public long scrub(long maxBytes) {
        return files.scrub(maxBytes);
    }

    @Override
    public long scrubPasses() {
        return files.scrubPasses();
    }

    @Override
    public long flushes() {
        return flushes;
    }

    @Override
    public long lastFlushBytes() {
        return lastFlushBytes;
    }

    @Override
    public long lastFlushNanos() {
        return lastFlushNanos;
    }

    @Override
    public long dirtyChunks() {
        return files.dirtyChunks();
    }

    @Override
    public int mappings() {
        return files.mappings();
    }

    @Override
    public RuntimeException corruption(String storeName, RuntimeException cause) {
        if (cause instanceof CorruptStoreFileException c) {
            return named(c, storeName);
        }
        if (cause instanceof StoreFileException) {
            return cause; // names the file already
        }
        return new CorruptStoreFileException(files.directory(), "store '" + storeName + "': data read from the files is damaged ("
            + (cause instanceof CorruptStateException ? cause.getMessage() : cause.toString()) + ")", cause);
    }

    /**
     * {@code c} with the store's name in front of its problem, same file (and offset, in the
     * message): what a log line needs to tell stores apart. {@code c} itself if it names the store.
     */
    static CorruptStoreFileException named(CorruptStoreFileException c, String storeName) {
        if (c.file() == null) {
            return c;
        }
        String prefix = c.file() + ": ";
        String problem = c.getMessage().startsWith(prefix) ? c.getMessage().substring(prefix.length()) : c.getMessage();
        if (problem.startsWith("store '")) {
            return c;
        }
        return new CorruptStoreFileException(c.file(), "store '" + storeName + "': " + problem, c);
    }

    @Override
    public RuntimeException refusal(String message) {
        return new CorruptStoreFileException(files.directory(), message);
    }

    @Override
    public void close() {
        files.close();
    }
}
