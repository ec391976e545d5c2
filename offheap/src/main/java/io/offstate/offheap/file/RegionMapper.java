package io.offstate.offheap.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.MappingLimitException;
import io.offstate.offheap.OffstateException;
import io.offstate.offheap.memory.MappedRegion;
import io.offstate.offheap.memory.Mapping;
import io.offstate.offheap.memory.MappingCount;
import io.offstate.offheap.memory.RegionBacking;

/**
 * Maps a store directory's files as the store's memory: normal pages of {@code pages.dat} in
 * extents (one {@link Mapping} per extent of up to {@value #MAX_EXTENT_PAGES} pages or 64 MiB),
 * and each segment file as a mapping of its own, all {@link FileChannel.MapMode#PRIVATE private}
 * and counted in {@link MappingCount}. Tracks the live regions (whose dirty chunks a commit
 * writes) and, after a commit, maps the written regions again ({@link #remap}). Creating and
 * freeing segments updates the {@link FileTable}.
 *
 * <p>Implements the {@link RegionBacking} methods for {@link StoreFiles}, which delegates to it.
 * Single writer, like the store. Throws as {@link RegionBacking} says: {@link UncheckedIOException}
 * when the file system fails, {@link CorruptStoreFileException} for a file that does not match the
 * metadata, {@link MappingLimitException} before a mapping past the limit.
 */
final class RegionMapper {
    /** Normal pages are mapped in extents of up to this many bytes ... */
    static final long EXTENT_BYTES = 64L << 20;
    /** ... and up to this many pages, so a flush that remaps an extent re-slices few pages. */
    static final int MAX_EXTENT_PAGES = 256;

    /**
     * The normal pages of one extent of the pages file: one {@link Mapping} for all of them, so the
     * process holds one mapping per extent, not per page, and a flush remaps an extent at once.
     */
    private static final class Extent {
        final long start;
        /** Regions of its pages; a page may have two for a while (a restore maps it anew, then frees the old one). */
        final List<MappedRegion> pages = new ArrayList<>();
        Mapping mapping;

        Extent(long start, Mapping mapping) {
            this.start = start;
            this.mapping = mapping;
        }
    }

    private final FileNames names;
    private final FileChannel pages;
    private final FileTable files;
    private final Set<MappedRegion> live = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Mapped extents of the pages file, by extent number. */
    private final Map<Long, Extent> extents = new HashMap<>();
    /** Page size of the pages file, once a page was mapped (0 before). */
    private int pageSize;
    /** Pages per extent, for {@link #pageSize}. */
    private int extentPages;
    /** Live regions of segment files: each holds a mapping of its own. */
    private int segmentRegions;

    /** Maps from {@code pages} ({@code pages.dat}, owned by the caller) and the segment files {@code files} lists. */
    RegionMapper(FileNames names, FileChannel pages, FileTable files) {
        this.names = names;
        this.pages = pages;
        this.files = files;
    }

    /** See {@link RegionBacking#mapPage}. */
    MappedRegion mapPage(int index, int pageSize) {
        MappedRegion r = page(index, pageSize, false);
        files.usePagesUpTo(r.fileOffset() + pageSize);
        return r;
    }

    /** See {@link RegionBacking#openPage}. */
    MappedRegion openPage(int index, int pageSize) {
        long offset = (long) index * pageSize;
        if (index < 0 || offset + pageSize > files.pagesLength()) {
            throw new CorruptStoreFileException(names.pages(), "page " + index + " lies beyond the committed length "
                + files.pagesLength());
        }
        return page(index, pageSize, true);
    }

    /** See {@link RegionBacking#newSegment}; the caller checked the store is usable. */
    MappedRegion newSegment(long bytes) {
        MappingCount.check("store directory " + names.directory()); // before the file exists
        int id = files.nextFileId();
        if (id == Integer.MAX_VALUE) {
            throw new OffstateException("store directory " + names.directory() + " has used all segment file ids");
        }
        Path file = names.file(id, FileNames.KIND_DATA);
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
            files.fileCreated();
            MappedRegion r = map(c, id, 0, bytes, false);
            files.addSegment(id, bytes);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file + ": " + e.getMessage(), e);
        }
    }

    /** See {@link RegionBacking#openSegment}. */
    MappedRegion openSegment(int fileId, long bytes) {
        MappingCount.check("store directory " + names.directory());
        Path file = names.file(fileId, FileNames.KIND_DATA);
        Long listed = files.segment(fileId);
        if (listed == null || listed != bytes) {
            throw new CorruptStoreFileException(file, "the store metadata refers to it with " + bytes
                + " bytes, the journal lists " + (listed == null ? "no such file" : listed + " bytes"));
        }
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ChannelIo.checkLength(c, file, bytes);
            return map(c, fileId, 0, bytes, true);
        } catch (NoSuchFileException e) {
            throw new CorruptStoreFileException(file, "missing", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    /** See {@link RegionBacking#free}. */
    void free(MappedRegion region) {
        if (live.remove(region)) {
            region.unmap();
            if (region.fileId() != RegionBacking.PAGES_FILE) {
                segmentRegions--;
                files.freed(region.fileId());
            } else {
                long number = extentNumber(region);
                Extent e = extents.get(number);
                if (e != null && e.pages.remove(region) && e.pages.isEmpty()) {
                    extents.remove(number);
                }
            }
        }
    }

    /** The regions mapped now (do not change the collection). */
    Collection<MappedRegion> live() {
        return live;
    }

    /** Memory mappings the regions hold now: one per extent, one per segment region. */
    int mappings() {
        return extents.size() + segmentRegions;
    }

    /** {@value MappedRegion#CHUNK_SIZE}-byte chunks marked dirty in the live regions: what a commit would write. */
    long dirtyChunks() {
        long n = 0;
        for (MappedRegion r : live) {
            n += r.dirtyChunks();
        }
        return n;
    }

    /**
     * Maps every written region again, so its pages are file pages the OS may evict, not private
     * copies. A written page's whole extent is mapped again: its other pages hold no unwritten
     * change (every change is marked dirty and was just written), so they lose nothing; they only
     * fault in again, from the page cache, when next touched.
     */
    void remap(List<DirtyRun> runs) throws IOException {
        MappedRegion last = null;
        Set<Extent> written = Collections.newSetFromMap(new IdentityHashMap<>());
        for (DirtyRun r : runs) {
            MappedRegion region = r.region();
            if (region == last) {
                continue;
            }
            last = region;
            region.clearDirty();
            if (region.fileId() == RegionBacking.PAGES_FILE) {
                written.add(extents.get(extentNumber(region)));
                continue;
            }
            Mapping fresh; // not checked against the limit: it replaces a mapping, released by the remap
            try (FileChannel c = FileChannel.open(names.file(region.fileId(), FileNames.KIND_DATA), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
                fresh = mapFile(c, region.fileId(), 0, region.size());
            }
            try {
                region.remap(fresh, 0);
            } finally {
                fresh.closeIfUnused();
            }
        }
        for (Extent e : written) {
            Mapping fresh = mapPages(e.start, e.mapping.size()); // not checked: it replaces the extent's mapping
            try {
                for (MappedRegion page : e.pages) {
                    page.remap(fresh, page.fileOffset() - e.start);
                }
                e.mapping = fresh;
            } finally {
                fresh.closeIfUnused();
            }
        }
    }

    /** Unmaps every live region (on close). */
    void unmapAll() {
        for (MappedRegion r : live) {
            r.unmap();
        }
        live.clear();
        extents.clear();
        segmentRegions = 0;
    }

    private long extentNumber(MappedRegion page) {
        return page.fileOffset() / pageSize / extentPages;
    }

    /**
     * Normal page {@code index} as a region of its extent's mapping, mapping the extent if needed;
     * {@code committed}: its bytes come from a commit, so it is checked on first touch.
     */
    private MappedRegion page(int index, int size, boolean committed) {
        if (pageSize == 0) {
            pageSize = size;
            extentPages = (int) Math.max(1, Math.min(MAX_EXTENT_PAGES, EXTENT_BYTES / size));
        } else if (size != pageSize) {
            throw new IllegalArgumentException("store directory " + names.directory() + " maps pages of " + pageSize
                + " bytes, not " + size);
        }
        long number = index / extentPages;
        Extent e = extents.get(number);
        if (e == null) {
            MappingCount.check("store directory " + names.directory());
            long start = number * extentPages * (long) pageSize;
            e = new Extent(start, mapPages(start, (long) extentPages * pageSize));
            extents.put(number, e);
        }
        long offset = (long) index * pageSize;
        MappedRegion r;
        try {
            r = new MappedRegion(RegionBacking.PAGES_FILE, offset, pageSize, e.mapping, offset - e.start,
                committed ? checker(RegionBacking.PAGES_FILE, offset, pageSize) : null);
        } catch (RuntimeException | Error failure) {
            if (e.pages.isEmpty()) { // an extent without pages holds no mapping
                e.mapping.closeIfUnused();
                extents.remove(number);
            }
            throw failure;
        }
        e.pages.add(r);
        live.add(r);
        return r;
    }

    /** The checker of a region reopened from {@code [offset, offset + bytes)} of file {@code fileId}. */
    private StoredChunkChecker checker(int fileId, long offset, long bytes) {
        return new StoredChunkChecker(names, fileId, offset, (bytes + MappedRegion.CHUNK_SIZE - 1) >>> MappedRegion.CHUNK_SHIFT);
    }

    /** Maps {@code [start, start + bytes)} of the pages file (extending it, sparsely, if it is shorter). */
    private Mapping mapPages(long start, long bytes) {
        return mapFile(pages, RegionBacking.PAGES_FILE, start, bytes);
    }

    /**
     * Maps the whole of segment file {@code fileId} (open as {@code c}) as a region of its own;
     * {@code committed}: its bytes come from a commit, so it is checked on first touch.
     */
    private MappedRegion map(FileChannel c, int fileId, long offset, long bytes, boolean committed) {
        Mapping m = mapFile(c, fileId, offset, bytes);
        MappedRegion r;
        try {
            r = new MappedRegion(fileId, offset, bytes, m, 0, committed ? checker(fileId, offset, bytes) : null);
        } finally {
            m.closeIfUnused();
        }
        live.add(r);
        segmentRegions++;
        return r;
    }

    /** Maps {@code [offset, offset + bytes)} of file {@code fileId} privately, counted in {@link MappingCount}. */
    private static Mapping mapFile(FileChannel c, int fileId, long offset, long bytes) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment s = c.map(FileChannel.MapMode.PRIVATE, offset, bytes, arena);
            MappingCount.mapped();
            return new Mapping(s, arena);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot map " + FileNames.fileName(fileId, FileNames.KIND_DATA) + " at " + offset
                + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }
}
