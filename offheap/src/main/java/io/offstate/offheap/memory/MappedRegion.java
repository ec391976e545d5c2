package io.offstate.offheap.memory;

import java.lang.foreign.MemorySegment;

import io.offstate.offheap.CorruptStoreFileException;

/**
 * One contiguous piece of a file-backed store's memory: a normal page, a large block or a hash
 * table, mapped privately (copy-on-write) from a range of a store file, plus a bitmap of the
 * {@value #CHUNK_SIZE}-byte chunks written since the last flush and a finer one of the
 * {@value #LINE_SIZE}-byte lines written since the last checkpoint.
 *
 * <p>Writes through {@link #segment()} never reach the file by themselves (the mapping is
 * private): the owner of the bytes calls {@link #markDirty} for every range it changes, and the
 * flush copies exactly the dirty chunks to the file. That is why every mutation in the memory
 * layer is paired with a {@code markDirty}: a missing one is a lost write after reopen.
 *
 * <h2>Checked reads</h2>
 * A region mapped from a committed file ({@link #MappedRegion(int, long, long, Mapping, long,
 * ChunkChecker) with a checker}) starts <i>unverified</i>: none of its bytes may be served until
 * the chunks holding them passed {@link #verify} (their CRC32C checked against the file's
 * checksums, by the {@link ChunkChecker}). A per-chunk bit records what was checked since the file
 * was mapped, so each chunk is checked once; a chunk that fails stays unverified and fails again
 * at every touch. A region created for new bytes is verified by construction. Readers ask
 * {@link #isVerified()} first (one predictable branch): once every chunk passed, or for a fresh
 * region, that is all a read costs. A chunk must be verified before it is written, or damage in
 * it would be summed as valid at the next flush.
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
    /** log2 of the checkpoint change-tracking granularity. */
    public static final int LINE_SHIFT = 6;
    /**
     * Checkpoint change-tracking granularity in bytes: a cache line. A chunk has exactly 64 lines,
     * so one {@code long} of the change bitmap is one chunk; an update of one entry changes a few
     * lines of a page and a hash slot, and an incremental checkpoint carries those, not 4 KiB each.
     */
    public static final int LINE_SIZE = 1 << LINE_SHIFT;

    private final int fileId;
    private final long fileOffset;
    private final long size;
    private final long[] dirty;
    /**
     * Lines changed since the last {@link #clearChanged()} (a checkpoint), one bit each, word
     * {@code c} holding the 64 lines of chunk {@code c}: kept apart from {@link #dirty}, which a
     * flush clears, so that flushes and checkpoints track independently.
     */
    private final long[] changed;
    /** Whether the region appeared (created, reopened or remapped fresh) after the last {@link #clearChanged()}. */
    private boolean newSinceClear = true;
    private MemorySegment segment;
    private Mapping mapping;
    private boolean anyDirty;
    /** Chunks checked since the file was mapped, one bit each; null for a region verified by construction. */
    private final long[] verified;
    /** Chunks not checked yet: 0 once every chunk passed (or from the start, for a fresh region). */
    private long unverified;
    /** Checks chunks on first touch; dropped once every chunk passed. */
    private ChunkChecker checker;
    /** The open image pinning this region, or null (the common case: {@link #markDirty} then costs one null check). */
    ImagePin.RegionPin pin;

    /**
     * @param fileId     the store file holding the bytes (0 for the pages file)
     * @param fileOffset where the region starts in that file, a multiple of {@value #CHUNK_SIZE}
     * @param size       bytes in the region
     * @param mapping    a private mapping of the file holding the region's bytes
     * @param at         where the region's bytes start in {@code mapping}
     */
    public MappedRegion(int fileId, long fileOffset, long size, Mapping mapping, long at) {
        this(fileId, fileOffset, size, mapping, at, null);
    }

    /**
     * A region of committed bytes, unverified until {@code checker} passed each chunk; verified by
     * construction if {@code checker} is null (new bytes, never committed).
     *
     * @param checker checks chunks against the file's checksums, or null
     */
    public MappedRegion(int fileId, long fileOffset, long size, Mapping mapping, long at, ChunkChecker checker) {
        if ((fileOffset & (CHUNK_SIZE - 1)) != 0) {
            throw new IllegalArgumentException("region offset " + fileOffset + " is not chunk-aligned");
        }
        this.fileId = fileId;
        this.fileOffset = fileOffset;
        this.size = size;
        this.segment = mapping.acquire(at, size);
        this.mapping = mapping;
        this.dirty = new long[(int) ((chunks() + 63) >>> 6)];
        this.changed = new long[(int) chunks()];
        this.checker = checker;
        this.verified = checker == null ? null : new long[dirty.length];
        this.unverified = checker == null ? 0 : chunks();
    }

    /** Whether every chunk was checked (or the region was verified by construction): nothing left to check. */
    public boolean isVerified() {
        return unverified == 0;
    }

    /** Chunks not checked yet. */
    public long unverifiedChunks() {
        return unverified;
    }

    /** Whether chunk {@code chunk} may be served: checked since mapping, or the region is fresh. */
    public boolean isVerified(long chunk) {
        return unverified == 0 || (verified[(int) (chunk >>> 6)] & (1L << chunk)) != 0;
    }

    /**
     * Checks the chunks holding {@code [offset, offset + length)} that were not checked yet (see
     * the class documentation); free once they were.
     *
     * @throws CorruptStoreFileException naming the file and offset of a chunk
     *         that does not match its stored checksum (it stays unverified)
     */
    public void verify(long offset, long length) {
        if (unverified != 0 && length > 0) {
            verifyChunks(offset >>> CHUNK_SHIFT, (offset + length - 1) >>> CHUNK_SHIFT);
        }
    }

    /** Checks every chunk not checked yet; see {@link #verify}. */
    public void verifyAll() {
        if (unverified != 0) {
            verifyChunks(0, chunks() - 1);
        }
    }

    private void verifyChunks(long first, long last) {
        if (first < 0 || last >= chunks()) {
            throw new IndexOutOfBoundsException("chunks " + first + ".." + last + " outside region of " + chunks()
                + " chunks at " + fileOffset + " of file " + fileId);
        }
        for (long c = first; c <= last && unverified != 0; c++) {
            int word = (int) (c >>> 6);
            long bit = 1L << c;
            if ((verified[word] & bit) == 0) {
                long o = c << CHUNK_SHIFT;
                checker.check(c, segment.asSlice(o, Math.min(CHUNK_SIZE, size - o)));
                verified[word] |= bit;
                if (--unverified == 0) {
                    checker = null; // nothing left to check: let its cached checksums go
                }
            }
        }
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

    /**
     * Records that {@code [offset, offset + length)} of this region is about to change. Must be
     * called <b>before</b> the bytes change: while an {@link ImagePin} holds the region, this is
     * where a chunk the image still needs is copied aside first.
     */
    public void markDirty(long offset, long length) {
        if (length <= 0) {
            return;
        }
        long first = offset >>> CHUNK_SHIFT;
        long last = (offset + length - 1) >>> CHUNK_SHIFT;
        final ImagePin.RegionPin p = pin;
        if (p != null) {
            p.beforeWrite(first, last);
        }
        final long firstLine = offset >>> LINE_SHIFT;
        final long lastLine = (offset + length - 1) >>> LINE_SHIFT;
        for (long c = first; c <= last; c++) {
            dirty[(int) (c >>> 6)] |= 1L << c;
            // lines of chunk c in [firstLine, lastLine]; shifts are mod 64, so c's own lines index from 0
            long lo = c == first ? -1L << firstLine : -1L;
            long hi = c == last ? -1L >>> (63 - (lastLine & 63)) : -1L;
            changed[(int) c] |= lo & hi;
        }
        anyDirty = true;
    }

    /**
     * Whether chunk {@code chunk} was written since the last {@link #clearChanged()} (the checkpoint
     * tracker; flushes do not clear it).
     */
    public boolean isChanged(long chunk) {
        return changed[(int) chunk] != 0;
    }

    /**
     * The lines of chunk {@code chunk} written since the last {@link #clearChanged()}: bit {@code i}
     * is line {@code i}, bytes {@code [chunk * CHUNK_SIZE + i * LINE_SIZE, + LINE_SIZE)} (the last
     * line of the last chunk may extend past {@link #size()}).
     */
    public long changedLines(long chunk) {
        return changed[(int) chunk];
    }

    /** Whether this region was created (or reopened) after the last {@link #clearChanged()}: then all of it counts as changed. */
    public boolean isNewSinceClear() {
        return newSinceClear;
    }

    /** Chunks with at least one line written since the last {@link #clearChanged()}. */
    public long changedChunks() {
        long n = 0;
        for (long w : changed) {
            if (w != 0) {
                n++;
            }
        }
        return n;
    }

    /** Lines written since the last {@link #clearChanged()}. */
    public long changedLineCount() {
        long n = 0;
        for (long w : changed) {
            n += Long.bitCount(w);
        }
        return n;
    }

    /** Starts a new checkpoint interval: forgets the changed chunks and that the region is new. */
    public void clearChanged() {
        java.util.Arrays.fill(changed, 0);
        newSinceClear = false;
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

    /** The mapping the segment is cut from, for an {@link ImagePin} to hold alive. */
    Mapping mappingForPin() {
        if (mapping == null) {
            throw new IllegalStateException("region at " + fileOffset + " of file " + fileId + " is unmapped");
        }
        return mapping;
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
