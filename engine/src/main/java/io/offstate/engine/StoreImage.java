package io.offstate.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.memory.ImagePin;

/**
 * A consistent, pinned copy of a store's state as a checkpoint writes it: the store's
 * {@link #metadata() metadata} (structural options, flush metadata, allocator and index roots) and
 * its {@link Region regions} (normal pages, large values, hash tables), either all of them
 * ({@link #isIncremental()} false) or only the 64-byte lines changed since the image before it
 * ({@link #baseToken()}). Taken by {@link KeyValueStore#image()} or {@link KeyValueStore#incrementalImage()}; a store rebuilt from the
 * metadata and the regions ({@link KeyValueStore#restoreImage}) equals the store when the image was
 * taken.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>Regions are named by ({@link Region#fileId()}, {@link Region#fileOffset()}): unique within
 *       one image, the names the metadata refers to them by. A region that is
 *       {@link Region#isWhole() whole} carries all its bytes; otherwise it carries the runs of
 *       64-byte lines changed since the image with token {@link #baseToken()}, and its other bytes are those of
 *       the same-named region in that image (which is then guaranteed to exist, with the same
 *       size). A region of the base image not listed here no longer exists.</li>
 *   <li>Tokens: each image gets a fresh random {@link #token()}; an incremental image is relative
 *       exactly to the image whose token is its {@link #baseToken()}, the last image taken of that
 *       store before it (or the checkpoint it was restored from).</li>
 *   <li>Pinning: taking an image costs O(metadata + chunks / 4096) on the owner thread (the
 *       metadata is serialized, each carried chunk is marked shared); no byte of the store is
 *       copied then. The bytes are copied later by the reader ({@link Region#read} or
 *       {@link Region#data()}) while the owner goes on writing: before the owner changes a shared
 *       chunk nobody read yet it copies that chunk aside (4 KiB), so the reader always sees the
 *       state at the pin ({@link ImagePin} has the protocol). Regions freed, grown away or remapped
 *       by a flush while the image is open stay alive for it.</li>
 *   <li>One open image per store: taking another while one is open first copies, on the owner
 *       thread, whatever the open one has not read yet (it stays valid); closing or replacing the
 *       store's state does the same, so an image outlives its store.</li>
 *   <li>Memory: side copies and bytes copied out by {@link Region#data()} live in off-heap memory
 *       owned by the image, not charged to the store's budget; {@link #close()} releases them,
 *       after which reads throw {@link StoreClosedException} or {@link IllegalStateException}.</li>
 * </ol>
 *
 * <p>Threading: taken on the store's owner thread; then read by one other thread at a time (e.g. a
 * checkpoint uploader) while the owner goes on writing. Close it once, from any thread, after the
 * reader is done.
 */
public final class StoreImage implements AutoCloseable {
    /**
     * One region of the image: its name, size and the bytes it carries, as runs
     * ({@link #runOffset(int)}, {@link #runLength(int)}) concatenated in {@link #data()}.
     */
    public static final class Region {
        private final StoreImage image;
        private final int fileId;
        private final long fileOffset;
        private final long size;
        private final boolean whole;
        /**
         * Where the last {@link #read} stopped: run index (into {@link #runs}) and its position in
         * the carried bytes. A writer streams the runs in order, so each read resumes here instead of
         * walking the runs from the first: an incremental image of scattered updates has many runs.
         */
        private int cursorRun;
        private long cursorRunStart;
        private final long[] runs;
        private final long carried;
        private final ImagePin.RegionPin pin;
        private volatile MemorySegment data;

        Region(StoreImage image, int fileId, long fileOffset, long size, boolean whole, long[] runs, ImagePin.RegionPin pin) {
            this.image = image;
            this.fileId = fileId;
            this.fileOffset = fileOffset;
            this.size = size;
            this.whole = whole;
            this.runs = runs;
            this.pin = pin;
            long n = 0;
            for (int i = 1; i < runs.length; i += 2) {
                n += runs[i];
            }
            this.carried = n;
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

        /** Where run {@code i} starts in the region (a multiple of 64 bytes). */
        public long runOffset(int i) {
            return runs[2 * i];
        }

        /** Bytes of run {@code i}. */
        public long runLength(int i) {
            return runs[2 * i + 1];
        }

        /** Bytes carried: the sum of the runs' lengths, the size of {@link #data()}. */
        public long bytesCarried() {
            return carried;
        }

        /**
         * The carried bytes, run after run, read-only, valid until the image is closed. The first
         * call copies them out of the store (on the calling thread, chunk by chunk, racing the
         * owner's copy-on-write: see {@link StoreImage}) into memory the image owns; later calls
         * return the same segment. Prefer {@link #read} to stream them without that copy; once
         * {@link #read} was used, this throws.
         *
         * @throws StoreClosedException if the image is closed
         * @throws IllegalStateException if {@link #read} already consumed some of the bytes
         */
        public MemorySegment data() {
            MemorySegment d = data;
            if (d != null) {
                return d;
            }
            synchronized (this) {
                if (data == null) {
                    MemorySegment copy = image.allocate(carried);
                    long at = 0;
                    for (int i = 0; i < runs.length; i += 2) {
                        pin.read(runs[i], runs[i + 1], copy, at);
                        at += runs[i + 1];
                    }
                    data = copy.asReadOnly();
                }
                return data;
            }
        }

        /**
         * Copies {@code length} carried bytes starting at {@code at} (a position in the run-after-run
         * order of {@link #data()}) into {@code dst} at {@code dstOffset}, straight out of the store or
         * the image's copy-on-write side copies: no copy of the whole image is made. Each carried byte
         * is to be read once (as a checkpoint writer streams them, in order: a read resumes where the
         * last one stopped); one reader thread at a time.
         *
         * @throws StoreClosedException     if the image is closed
         * @throws IllegalStateException    if a chunk read whole before is read again
         * @throws IndexOutOfBoundsException if the range is outside the carried bytes
         */
        public void read(long at, MemorySegment dst, long dstOffset, long length) {
            if (at < 0 || length < 0 || at + length > carried) {
                throw new IndexOutOfBoundsException("read " + at + "+" + length + " of " + carried + " carried bytes");
            }
            image.ensureOpen();
            MemorySegment d = data;
            if (d != null) {
                MemorySegment.copy(d, at, dst, dstOffset, length);
                return;
            }
            int i = cursorRun;
            long runStart = cursorRunStart;
            if (at < runStart) { // a reader going back (not a streaming writer): search from the start
                i = 0;
                runStart = 0;
            }
            while (i < runs.length && length > 0) {
                long runLength = runs[i + 1];
                if (at < runStart + runLength) {
                    long within = at - runStart;
                    long n = Math.min(length, runLength - within);
                    pin.read(runs[i] + within, n, dst, dstOffset);
                    at += n;
                    dstOffset += n;
                    length -= n;
                    if (at < runStart + runLength) {
                        break; // the next read goes on in this run
                    }
                }
                runStart += runLength;
                i += 2;
            }
            cursorRun = i;
            cursorRunStart = runStart;
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
    private final List<Region> regions = new ArrayList<>();
    private final long entries;
    /** Holds the bytes {@link Region#data()} copied out; created by the first (closing a shared arena is not free). */
    private Arena arena;
    private final ImagePin pin;
    private volatile boolean closed;

    StoreImage(String storeName, StoreOptions options, byte[] metadata, byte[] flushMetadata, long token, long baseToken,
               boolean incremental, long entries, ImagePin pin) {
        this.storeName = storeName;
        this.options = options;
        this.metadata = metadata;
        this.flushMetadata = flushMetadata;
        this.token = token;
        this.baseToken = baseToken;
        this.incremental = incremental;
        this.entries = entries;
        this.pin = pin;
    }

    /** While the image is built ({@link ImageCapture}): adds the next region. */
    void addRegion(int fileId, long fileOffset, long size, boolean whole, long[] runs, ImagePin.RegionPin regionPin) {
        regions.add(new Region(this, fileId, fileOffset, size, whole, runs, regionPin));
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

    /** Whether only changed lines are carried (relative to {@link #baseToken()}). */
    public boolean isIncremental() {
        return incremental;
    }

    /** The regions, sorted by file id, then offset. */
    public List<Region> regions() {
        ensureOpen();
        return java.util.Collections.unmodifiableList(regions);
    }

    /** Entries in the store when the image was taken. */
    public long entries() {
        return entries;
    }

    /** Bytes carried by all regions. */
    public long bytesCarried() {
        long n = 0;
        for (Region r : regions) {
            n += r.carried;
        }
        return n;
    }

    /**
     * Bytes the store's owner copied aside so far (chunks it changed before they were read); a
     * measure of what copy-on-write cost.
     */
    public long sideCopyBytes() {
        return pin.sideBytes();
    }

    /**
     * Releases the image: its side copies and copied-out bytes now; the pinned store memory at the
     * owner's next image, flush or close (see {@link ImagePin#reap()}). Idempotent, any thread.
     */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            pin.close();
            if (arena != null) {
                arena.close();
            }
        }
    }

    private synchronized MemorySegment allocate(long bytes) {
        ensureOpen();
        if (arena == null) {
            arena = Arena.ofShared();
        }
        return arena.allocate(Math.max(1, bytes), 64).asSlice(0, bytes);
    }

    void ensureOpen() {
        if (closed) {
            throw new StoreClosedException("image of store '" + storeName + "'");
        }
    }
}
