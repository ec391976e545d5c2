package io.offstate.offheap.memory;

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
 * <p>The bytes are a slice of a {@link Mapping}, which several regions may share (the pages of an
 * extent). Single writer, like the store. The segment is valid until the region is remapped
 * (after a flush) or unmapped and its mapping has no other region left; later accesses through
 * an unmapped segment throw {@link IllegalStateException}, never crash the JVM.
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
    private Mapping mapping;
    private boolean anyDirty;

    /**
     * @param fileId     the store file holding the bytes (0 for the pages file)
     * @param fileOffset where the region starts in that file, a multiple of {@value #CHUNK_SIZE}
     * @param size       bytes in the region
     * @param mapping    a private mapping of the file holding the region's bytes
     * @param at         where the region's bytes start in {@code mapping}
     */
    public MappedRegion(int fileId, long fileOffset, long size, Mapping mapping, long at) {
        if ((fileOffset & (CHUNK_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("region offset " + fileOffset + " is not chunk-aligned");
        }
        this.fileId = fileId;
        this.fileOffset = fileOffset;
        this.size = size;
        this.segment = mapping.acquire(at, size);
        this.mapping = mapping;
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
     * Moves the region to {@code fresh}, a new mapping of the same file range (after a flush, so
     * written pages become clean, evictable file pages), and lets go of the old mapping.
     *
     * @param at where the region's bytes start in {@code fresh}
     */
    public void remap(Mapping fresh, long at) {
        if (mapping == null) {
            throw new IllegalStateException("region at " + fileOffset + " of file " + fileId + " is unmapped");
        }
        MemorySegment s = fresh.acquire(at, size);
        Mapping previous = mapping;
        segment = s;
        mapping = fresh;
        previous.release();
    }

    /** Lets go of the mapping; idempotent. Once no region uses it, accesses through its segments throw. */
    public void unmap() {
        if (mapping != null) {
            Mapping m = mapping;
            mapping = null;
            m.release();
        }
    }
}
