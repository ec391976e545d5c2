package io.offstate.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.List;

import io.offstate.offheap.StoreClosedException;

/**
 * A consistent, pinned copy of a store's state as a checkpoint writes it: the store's
 * {@link #metadata() metadata} (structural options, flush metadata, allocator and index roots) and
 * its {@link Region regions} (normal pages, large values, hash tables), either all of them
 * ({@link #isIncremental()} false) or only the 4 KiB chunks changed since the image before it
 * ({@link #baseToken()}). Taken by {@link KeyValueStore#image()} or {@link KeyValueStore#incrementalImage()}; a store rebuilt from the
 * metadata and the regions ({@link KeyValueStore#restoreImage}) equals the store when the image was
 * taken.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>Regions are named by ({@link Region#fileId()}, {@link Region#fileOffset()}): unique within
 *       one image, the names the metadata refers to them by. A region that is
 *       {@link Region#isWhole() whole} carries all its bytes; otherwise it carries the runs of chunks
 *       changed since the image with token {@link #baseToken()}, and its other bytes are those of
 *       the same-named region in that image (which is then guaranteed to exist, with the same
 *       size). A region of the base image not listed here no longer exists.</li>
 *   <li>Tokens: each image gets a fresh random {@link #token()}; an incremental image is relative
 *       exactly to the image whose token is its {@link #baseToken()}, the last image taken of that
 *       store before it (or the checkpoint it was restored from).</li>
 *   <li>Memory: the copied bytes live in off-heap memory owned by the image, not charged to the
 *       store's budget; {@link #close()} releases it, after which {@link Region#data()} segments
 *       throw {@link IllegalStateException}.</li>
 * </ol>
 *
 * <p>Threading: immutable once taken; may be read by any thread (e.g. a checkpoint uploader) while
 * the store's owner goes on writing. Close it once, from any thread, after the readers are done.
 */
public final class StoreImage implements AutoCloseable {
    /**
     * One region of the image: its name, size and the bytes it carries, as runs
     * ({@link #runOffset(int)}, {@link #runLength(int)}) concatenated in {@link #data()}.
     */
    public static final class Region {
        private final int fileId;
        private final long fileOffset;
        private final long size;
        private final boolean whole;
        private final long[] runs;
        private final MemorySegment data;

        Region(int fileId, long fileOffset, long size, boolean whole, long[] runs, MemorySegment data) {
            this.fileId = fileId;
            this.fileOffset = fileOffset;
            this.size = size;
            this.whole = whole;
            this.runs = runs;
            this.data = data;
        }

        /** 0 for the pages of the store (then {@link #fileOffset()} is page index × page size), else a segment id. */
        public int fileId() {
            return fileId;
        }

        /** Offset of the region in its "file": page index × page size for pages, 0 for segments. */
        public long fileOffset() {
            return fileOffset;
        }

        /** Bytes in the region. */
        public long size() {
            return size;
        }

        /** Whether the image carries every byte of the region (one run from 0 to {@link #size()}). */
        public boolean isWhole() {
            return whole;
        }

        /** Runs of bytes carried. */
        public int runCount() {
            return runs.length / 2;
        }

        /** Where run {@code i} starts in the region (a multiple of 4 KiB). */
        public long runOffset(int i) {
            return runs[2 * i];
        }

        /** Bytes of run {@code i}. */
        public long runLength(int i) {
            return runs[2 * i + 1];
        }

        /** The carried bytes, run after run: read-only, valid until the image is closed. */
        public MemorySegment data() {
            return data;
        }
    }

    /** Fills a region being rebuilt from recorded bytes: see {@link KeyValueStore#restoreImage}. */
    @FunctionalInterface
    public interface RegionSource {
        /**
         * Copies all bytes of recorded region ({@code fileId}, {@code fileOffset}) into {@code into}
         * ({@code into.byteSize()} is the region's size as the metadata records it).
         *
         * @throws RuntimeException (the caller's own, e.g. a damaged-checkpoint exception) if the
         *         region is missing, damaged or of another size; the restore then fails whole
         */
        void load(int fileId, long fileOffset, MemorySegment into);
    }

    private final String storeName;
    private final StoreOptions options;
    private final byte[] metadata;
    private final byte[] flushMetadata;
    private final long token;
    private final long baseToken;
    private final boolean incremental;
    private final List<Region> regions;
    private final long entries;
    private final Arena arena;
    private volatile boolean closed;

    StoreImage(String storeName, StoreOptions options, byte[] metadata, byte[] flushMetadata, long token, long baseToken,
               boolean incremental, List<Region> regions, long entries, Arena arena) {
        this.storeName = storeName;
        this.options = options;
        this.metadata = metadata;
        this.flushMetadata = flushMetadata;
        this.token = token;
        this.baseToken = baseToken;
        this.incremental = incremental;
        this.regions = List.copyOf(regions);
        this.entries = entries;
        this.arena = arena;
    }

    /** Name of the store. */
    public String storeName() {
        return storeName;
    }

    /** The options the store runs with (structural ones are also in {@link #metadata()}). */
    public StoreOptions options() {
        return options;
    }

    /** The store's metadata as a flush would commit it (a copy). */
    public byte[] metadata() {
        return metadata.clone();
    }

    /** The caller metadata of the store's last flush (for a managed store: its log position), a copy. */
    public byte[] flushMetadata() {
        return flushMetadata.clone();
    }

    /** This image's token (random, never 0). */
    public long token() {
        return token;
    }

    /** Token of the image the changes are relative to; 0 for an image that is not incremental. */
    public long baseToken() {
        return baseToken;
    }

    /** Whether only changed chunks are carried (relative to {@link #baseToken()}). */
    public boolean isIncremental() {
        return incremental;
    }

    /** The regions, sorted by file id, then offset. */
    public List<Region> regions() {
        ensureOpen();
        return regions;
    }

    /** Entries in the store when the image was taken. */
    public long entries() {
        return entries;
    }

    /** Bytes carried by all regions. */
    public long bytesCarried() {
        long n = 0;
        for (Region r : regions) {
            n += r.data.byteSize();
        }
        return n;
    }

    /** Releases the copied bytes; idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new StoreClosedException("image of store '" + storeName + "'");
        }
    }
}
