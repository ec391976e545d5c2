package io.offstate.offheap.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

import io.offstate.offheap.CorruptStateException;

/**
 * A {@link RegionBacking} of anonymous memory: what an in-memory store uses so that its pages,
 * large blocks and hash tables are {@link MappedRegion}s like a file-backed store's, and so carry
 * the same per-chunk change tracking ({@link MappedRegion#isChanged}) that incremental checkpoints
 * read. Nothing is persisted; "file ids" are just region names, unique per backing and never
 * reused, and normal page {@code i} is named (0, {@code i << pageShift}) as in a store directory.
 *
 * <p>Memory: normal pages come from one shared arena, closed when the last page is freed (a store
 * frees all of them only on close or when its whole state is replaced); a hash table or large block
 * has an arena of its own, closed when it is freed. {@link #openPage} and {@link #openSegment}
 * (used when a state is rebuilt from recorded metadata: a checkpoint restore) fill new memory from
 * the {@link Loader} given at construction.
 *
 * <p>Single writer, like the store. An allocation the OS refuses is an {@link OutOfMemoryError}
 * from the arena.
 */
public final class AnonymousBacking implements RegionBacking {
    private static final long ALIGNMENT = 64;

    /** Fills the recorded bytes of a region being rebuilt. */
    @FunctionalInterface
    public interface Loader {
        /**
         * Copies the recorded bytes of region ({@code fileId}, {@code fileOffset}) into {@code into}
         * (exactly {@code into.byteSize()} bytes).
         *
         * @throws CorruptStateException if there is no such recorded region or it has another size
         */
        void load(int fileId, long fileOffset, MemorySegment into);
    }

    private Loader loader;
    private Arena pagesArena;
    private long livePages;
    private int nextFileId = 1;

    /** A backing for new memory only; {@link #openPage}/{@link #openSegment} throw until a loader is set. */
    public AnonymousBacking() {
    }

    /** Sets (or, with null, removes) where {@link #openPage}/{@link #openSegment} read recorded bytes from. */
    public void loader(Loader loader) {
        this.loader = loader;
    }

    @Override
    public MappedRegion mapPage(int index, int pageSize) {
        if (pagesArena == null) {
            pagesArena = Arena.ofShared();
        }
        MemorySegment s = pagesArena.allocate(pageSize, ALIGNMENT);
        livePages++;
        return new MappedRegion(PAGES_FILE, (long) index * pageSize, pageSize, Mapping.anonymous(s, null), 0);
    }

    @Override
    public MappedRegion openPage(int index, int pageSize) {
        MappedRegion r = mapPage(index, pageSize);
        load(PAGES_FILE, r.fileOffset(), r);
        return r;
    }

    @Override
    public MappedRegion newSegment(long bytes) {
        return segment(nextFileId++, bytes);
    }

    @Override
    public MappedRegion openSegment(int fileId, long bytes) {
        if (fileId < 1) {
            throw new CorruptStateException("segment id " + fileId + " is not positive");
        }
        nextFileId = Math.max(nextFileId, fileId + 1);
        MappedRegion r = segment(fileId, bytes);
        load(fileId, 0, r);
        return r;
    }

    private MappedRegion segment(int fileId, long bytes) {
        Arena own = Arena.ofShared();
        try {
            return new MappedRegion(fileId, 0, bytes, Mapping.anonymous(own.allocate(bytes, ALIGNMENT), own), 0);
        } catch (RuntimeException | Error e) {
            own.close();
            throw e;
        }
    }

    private void load(int fileId, long fileOffset, MappedRegion r) {
        if (loader == null) {
            free(r);
            throw new IllegalStateException("anonymous memory has no recorded region " + fileId + "@" + fileOffset + " to open");
        }
        try {
            loader.load(fileId, fileOffset, r.segment());
        } catch (RuntimeException | Error e) {
            free(r);
            throw e;
        }
    }

    @Override
    public void free(MappedRegion region) {
        region.unmap(); // a segment's own arena closes here
        if (region.fileId() == PAGES_FILE && --livePages == 0 && pagesArena != null) {
            pagesArena.close();
            pagesArena = null;
        }
    }
}
