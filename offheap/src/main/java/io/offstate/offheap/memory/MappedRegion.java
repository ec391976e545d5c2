package io.offstate.offheap.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One contiguous piece of a file-backed store's memory: a normal page, a large block or a hash
 * table, mapped privately (copy-on-write) from a range of a store file, plus a bitmap of the
 * {@value #CHUNK_SIZE}-byte chunks written since the last flush.
 *
 * <p>Writes through {@link #segment()} never reach the file by themselves (the mapping is
 * private): the owner of the bytes calls {@link #markDirty} for every range it changes, and the
 * flush copies exactly the dirty chunks to the file. That is why every mutation in the memory
 * layer is paired with a {@code markDirty}: a missing one is a lost write after reopen.
 *
 * <p>Single writer, like the store. The segment is valid until the region is remapped (after a
 * flush) or unmapped; later accesses through an old segment throw {@link IllegalStateException}.
 */
public final class MappedRegion {
    /** log2 of the dirty-tracking and checksum granularity. */
    public static final int CHUNK_SHIFT = 12;
    /** Dirty-tracking and checksum granularity in bytes: 4 KiB, the OS page. */
    public static final int CHUNK_SIZE = 1 << CHUNK_SHIFT;

    private final int fileId;
    private final long fileOffset;
    private final long size;
    private final long[] dirty;
    private MemorySegment segment;
    private Arena arena;
    private boolean anyDirty;

    /**
     * @param fileId     the store file holding the bytes (0 for the pages file)
     * @param fileOffset where the region starts in that file, a multiple of {@value #CHUNK_SIZE}
     * @param segment    the private mapping of {@code [fileOffset, fileOffset + segment.byteSize())}
     * @param arena      the arena of that mapping, owned by this region (counted in {@link MappingCount}
     *                   by whoever mapped it; this region uncounts it when it closes the arena)
     */
    public MappedRegion(int fileId, long fileOffset, MemorySegment segment, Arena arena) {
        if ((fileOffset & (CHUNK_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("region offset " + fileOffset + " is not chunk-aligned");
        }
        this.fileId = fileId;
        this.fileOffset = fileOffset;
        this.size = segment.byteSize();
        this.segment = segment;
        this.arena = arena;
        this.dirty = new long[(int) ((chunks() + 63) >>> 6)];
    }

    /** The store file holding this region. */
    public int fileId() {
        return fileId;
    }

    /** Offset of this region in its file. */
    public long fileOffset() {
        return fileOffset;
    }

    /** Bytes in the region. */
    public long size() {
        return size;
    }

    /** Number of chunks, the last one possibly partial. */
    public long chunks() {
        return (size + CHUNK_SIZE - 1) >>> CHUNK_SHIFT;
    }

    /** The writable mapping. */
    public MemorySegment segment() {
        return segment;
    }

    /** Records that {@code [offset, offset + length)} of this region was changed. */
    public void markDirty(long offset, long length) {
        if (length <= 0) {
            return;
        }
        long first = offset >>> CHUNK_SHIFT;
        long last = (offset + length - 1) >>> CHUNK_SHIFT;
        for (long c = first; c <= last; c++) {
            dirty[(int) (c >>> 6)] |= 1L << c;
        }
        anyDirty = true;
    }

    /** Marks every chunk dirty (a region filled by a copy). */
    public void markAllDirty() {
        markDirty(0, size);
    }

    /** Whether any chunk was changed since the last {@link #clearDirty()}. */
    public boolean isDirty() {
        return anyDirty;
    }

    /** Whether chunk {@code chunk} was changed. */
    public boolean isDirty(long chunk) {
        return (dirty[(int) (chunk >>> 6)] & (1L << chunk)) != 0;
    }

    /** Forgets the dirty chunks (they were written to the file). */
    public void clearDirty() {
        java.util.Arrays.fill(dirty, 0);
        anyDirty = false;
    }

    /** Number of dirty chunks. */
    public long dirtyChunks() {
        long n = 0;
        for (long w : dirty) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /**
     * Replaces the mapping with {@code fresh} (same range, mapped again after a flush so written
     * pages become clean, evictable file pages) and unmaps the old one.
     */
    public void remap(MemorySegment fresh, Arena freshArena) {
        if (fresh.byteSize() != size) {
            throw new IllegalArgumentException("remapped region has " + fresh.byteSize() + " bytes, expected " + size);
        }
        Arena previous = arena;
        segment = fresh;
        arena = freshArena;
        if (previous.scope().isAlive()) {
            previous.close();
            MappingCount.unmapped();
        }
    }

    /** Unmaps the region; idempotent. Later accesses through its segment throw. */
    public void unmap() {
        if (arena.scope().isAlive()) {
            arena.close();
            MappingCount.unmapped();
        }
    }
}
