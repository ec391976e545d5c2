package io.offstate.offheap.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * One memory mapping of a store file, shared by the {@link MappedRegion regions} cut from it: a
 * run of normal pages (an extent) or one segment file. Mapping pages in extents rather than one
 * by one keeps the process's mapping count (capped by {@code vm.max_map_count}, see
 * {@link MappingCount}) and the work of opening a store proportional to extents, not pages.
 *
 * <p>The mapping is unmapped (its arena closed, {@link MappingCount#unmapped()} counted) when the
 * last region using it lets go; a mapping nobody took is closed by {@link #closeIfUnused()}.
 * Single writer, like the store.
 */
public final class Mapping {
    private final MemorySegment segment;
    private final Arena arena;
    /** Whether this is a file mapping counted in {@link MappingCount} (false for anonymous memory). */
    private final boolean counted;
    private int users;

    /**
     * @param segment the mapped bytes
     * @param arena   the arena of that mapping, owned by this object from now on (already counted in
     *                {@link MappingCount} by whoever mapped it)
     */
    public Mapping(MemorySegment segment, Arena arena) {
        this(segment, arena, true);
    }

    /**
     * Anonymous memory (not a file mapping, not counted in {@link MappingCount}) handed out as a
     * region: {@code arena} (closed when the last region lets go) or, if null, memory whose owner
     * releases it (a page of a shared arena).
     */
    public static Mapping anonymous(MemorySegment segment, Arena arena) {
        return new Mapping(segment, arena, false);
    }

    private Mapping(MemorySegment segment, Arena arena, boolean counted) {
        this.segment = segment;
        this.arena = arena;
        this.counted = counted;
    }

    /** Bytes mapped. */
    public long size() {
        return segment.byteSize();
    }

    /** Takes {@code [offset, offset + length)} for a region; the region must {@link #release()} it. */
    MemorySegment acquire(long offset, long length) {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("mapping already unmapped");
        }
        MemorySegment slice = offset == 0 && length == segment.byteSize() ? segment : segment.asSlice(offset, length);
        users++;
        return slice;
    }

    /** One more user of the whole mapping (an {@link ImagePin}); it must {@link #release()} it. */
    void retain() {
        if (!segment.scope().isAlive()) {
            throw new IllegalStateException("mapping already unmapped");
        }
        users++;
    }

    /** A region lets go; the last one unmaps. */
    void release() {
        if (--users == 0) {
            unmap();
        }
    }

    /** Unmaps a mapping no region took (a failed or abandoned map). */
    public void closeIfUnused() {
        if (users == 0) {
            unmap();
        }
    }

    private void unmap() {
        if (arena != null && arena.scope().isAlive()) {
            arena.close();
            if (counted) {
                MappingCount.unmapped();
            }
        }
    }
}
