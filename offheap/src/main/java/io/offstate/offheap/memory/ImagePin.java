package io.offstate.offheap.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.ArrayList;
import java.util.List;

import io.offstate.offheap.StoreClosedException;

/**
 * A consistent state of some {@link MappedRegion regions}, pinned in O(regions + chunks / 8) time
 * and read later by another thread while the owner goes on writing: copy-on-write at
 * {@value MappedRegion#CHUNK_SIZE}-byte chunk granularity.
 *
 * <h2>Protocol</h2>
 * Every chunk the image carries starts {@code UNREAD}; its pinned bytes are then the region's live
 * bytes. Two parties race for each chunk, and exactly one of them copies it:
 * <ol>
 *   <li>the <b>owner</b>, about to change the chunk ({@link MappedRegion#markDirty} is called
 *       <i>before</i> every write, which is why that order is a rule of the memory layer), CASes
 *       {@code UNREAD → COPYING}, copies the chunk into a side copy owned by this pin and publishes
 *       it ({@code COPIED}, release). If the reader holds the chunk ({@code READING}) the owner waits
 *       for it: at most one 4 KiB copy.</li>
 *   <li>the <b>reader</b> CASes {@code UNREAD → READING}, copies the live chunk and sets
 *       {@code READ} (release); if it finds {@code COPYING} it waits for {@code COPIED} and reads the
 *       side copy.</li>
 * </ol>
 * A chunk read whole is read once: reading a {@code READ} chunk again throws (its live bytes may have
 * changed).
 * The pin holds a reference on each region's {@link Mapping}, so a region freed (a large block, a
 * drained hash table) or remapped by a flush while the pin is open keeps its pinned bytes until the
 * owner {@link #reap() reaps} the closed pin. A flush of a file-backed store writes the live pages as
 * always; chunks the flush can change were copied first, because the flush only writes chunks the
 * owner changed.
 *
 * <h2>Threading and ownership</h2>
 * Created, {@link #reap() reaped} and {@link #detach() detached} on the owner thread (the store's
 * single writer); {@link RegionPin#read read} by one reader thread; {@link #close() closed} by any
 * thread once. The side copies live in an arena owned by this pin, released by {@link #close()}.
 * With no pin open a region's write path costs one null check.
 */
public final class ImagePin implements AutoCloseable {
    /** Chunk not carried by the image (an incremental image's unchanged chunk): nobody copies it. */
    static final byte NOT_CARRIED = 0;
    static final byte UNREAD = 1;
    static final byte READING = 2;
    static final byte COPYING = 3;
    static final byte READ = 4;
    static final byte COPIED = 5;
    /** The pin closed before anyone copied the chunk. */
    static final byte DROPPED = 6;

    private static final VarHandle STATE = MethodHandles.arrayElementVarHandle(byte[].class);
    private static final long SLAB = 1L << 20;

    private final String owner;
    /** Side copies; created on the first one (closing a shared arena costs a handshake with every thread). */
    private Arena arena;
    private boolean arenaClosed;
    private final Object arenaLock = new Object();
    private final List<RegionPin> regions = new ArrayList<>();
    /** Side-copy slabs of the owner (the writer); the reader never copies aside. */
    private final Slabs ownerSlabs = new Slabs();
    private volatile boolean closed;
    /** Owner only: mapping references already given back. */
    private boolean reaped;

    private ImagePin(String owner) {
        this.owner = owner;
    }

    /**
     * Pins {@code regions} (owner thread): region {@code i} carries every chunk if
     * {@code whole[i]}, else its chunks {@link MappedRegion#isChanged changed} since the last
     * {@link MappedRegion#clearChanged()}. A region that still holds a pin of an earlier image has it
     * {@link #detach detached} first (so at most one pin per region is ever open).
     *
     * @param owner names the store in messages
     */
    public static ImagePin pin(String owner, List<MappedRegion> regions, boolean[] whole) {
        ImagePin p = new ImagePin(owner);
        for (int i = 0; i < regions.size(); i++) {
            MappedRegion r = regions.get(i);
            RegionPin old = r.pin;
            if (old != null) {
                old.image.detach();
            }
            p.regions.add(new RegionPin(p, r, whole[i]));
        }
        for (RegionPin rp : p.regions) {
            rp.region.pin = rp; // only once all are built: a failure above leaves no half pin installed
        }
        return p;
    }

    /** The pinned part of region {@code i} (in the order given to {@link #pin}). */
    public RegionPin region(int i) {
        return regions.get(i);
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    /** Side-copy bytes taken so far (chunks the owner copied aside before writing them). */
    public long sideBytes() {
        return ownerSlabs.used;
    }

    /**
     * Owner thread: copies every chunk nobody read yet into its side copy, then lets go of the regions
     * (the image no longer needs them). Costs a copy of what is left; used before a region's memory
     * is released outright (the store closes or its state is replaced) or a second image is pinned.
     */
    public void detach() {
        if (!closed) {
            for (RegionPin rp : regions) {
                for (int c = 0; c < rp.state.length; c++) {
                    rp.beforeWriteChunk(c);
                }
            }
        }
        reap();
    }

    /**
     * Owner thread: gives the regions back once the pin is closed or detached (releases the mapping
     * references; uninstalls the pin from each region that still holds it). Idempotent.
     */
    public void reap() {
        if (reaped) {
            return;
        }
        reaped = true;
        for (RegionPin rp : regions) {
            if (rp.region.pin == rp) {
                rp.region.pin = null;
            }
            rp.mapping.release();
        }
    }

    /**
     * Any thread, once the reader is done: drops every chunk not copied yet (waits out a copy in
     * flight) and releases the side copies. The owner gives the regions back at its next
     * {@link #reap()}. Idempotent.
     */
    @Override
    public void close() {
        synchronized (this) {
            if (closed) {
                return;
            }
            closed = true;
        }
        for (RegionPin rp : regions) {
            for (int c = 0; c < rp.state.length; c++) {
                while (true) {
                    byte s = (byte) STATE.getAcquire(rp.state, c);
                    if (s == UNREAD) {
                        if (STATE.compareAndSet(rp.state, c, UNREAD, DROPPED)) {
                            break;
                        }
                    } else if (s == READING || s == COPYING) {
                        Thread.onSpinWait(); // a 4 KiB copy in flight
                    } else {
                        break;
                    }
                }
            }
        }
        synchronized (arenaLock) { // not under the pin's lock: a copy in flight may be allocating its slab
            arenaClosed = true;
            if (arena != null) {
                arena.close();
            }
        }
    }

    private MemorySegment allocateSlab(long bytes) {
        synchronized (arenaLock) {
            if (arenaClosed) {
                throw new StoreClosedException("image of store '" + owner + "'");
            }
            if (arena == null) {
                arena = Arena.ofShared();
            }
            return arena.allocate(bytes, 64);
        }
    }

    /** Bump allocation of 4 KiB side copies out of 1 MiB slabs of the pin's arena; owner thread only. */
    private final class Slabs {
        private MemorySegment slab;
        private long at;
        long used;

        MemorySegment take(long bytes) {
            if (slab == null || at + bytes > slab.byteSize()) {
                slab = allocateSlab(Math.max(SLAB, bytes));
                at = 0;
            }
            MemorySegment s = slab.asSlice(at, bytes);
            at += bytes;
            used += bytes;
            return s;
        }
    }

    /**
     * One region's part of an {@link ImagePin}: which chunks it carries and, per chunk, who copied
     * it. See the enclosing class for the protocol and threading.
     */
    public static final class RegionPin {
        final ImagePin image;
        final MappedRegion region;
        /** The region's bytes as mapped when pinned (held alive by {@link #mapping}). */
        private final MemorySegment pinned;
        final Mapping mapping;
        private final long size;
        final byte[] state;
        private final MemorySegment[] side;

        RegionPin(ImagePin image, MappedRegion region, boolean whole) {
            this.image = image;
            this.region = region;
            this.size = region.size();
            int chunks = (int) region.chunks();
            this.state = new byte[chunks];
            this.side = new MemorySegment[chunks];
            for (int c = 0; c < chunks; c++) {
                state[c] = whole || region.isChanged(c) ? UNREAD : NOT_CARRIED;
            }
            this.mapping = region.mappingForPin();
            this.pinned = region.segment();
            mapping.retain();
        }

        /** The pinned region. */
        public MappedRegion region() {
            return region;
        }

        /** Whether chunk {@code chunk} is carried by the image. */
        public boolean carries(long chunk) {
            return state[(int) chunk] != NOT_CARRIED;
        }

        /** Owner thread, before chunks {@code first..last} change: copies each one still unread aside. */
        void beforeWrite(long first, long last) {
            for (long c = first; c <= last; c++) {
                beforeWriteChunk((int) c);
            }
        }

        void beforeWriteChunk(int c) {
            while (true) {
                byte s = (byte) STATE.getAcquire(state, c); // acquire: the reader's copy is done before we write
                if (s == UNREAD) {
                    if (STATE.compareAndSet(state, c, UNREAD, COPYING)) {
                        long o = (long) c << MappedRegion.CHUNK_SHIFT;
                        long n = Math.min(MappedRegion.CHUNK_SIZE, size - o);
                        MemorySegment copy = image.ownerSlabs.take(n);
                        MemorySegment.copy(pinned, o, copy, 0, n);
                        side[c] = copy;
                        STATE.setRelease(state, c, COPIED); // release: publish the side copy
                        return;
                    }
                } else if (s == READING) {
                    Thread.onSpinWait(); // the reader copies this very chunk: at most 4 KiB
                } else {
                    return; // not carried, read, copied or dropped: the write cannot change the image
                }
            }
        }

        /**
         * Reader thread: copies pinned bytes {@code [offset, offset + length)} of the region into
         * {@code dst} at {@code dstOffset}. Every chunk touched must be carried. A chunk read whole is
         * read once; a chunk read in part stays unread (an incremental image carries single changed
         * lines of it), so its other parts can be read later, and the owner still copies it aside
         * before writing it.
         *
         * @throws IllegalStateException if a chunk is not carried or was read whole before
         * @throws StoreClosedException  if the pin was closed
         */
        public void read(long offset, long length, MemorySegment dst, long dstOffset) {
            if (offset < 0 || length < 0 || offset + length > size) {
                throw new IndexOutOfBoundsException("read " + offset + "+" + length + " of a region of " + size + " bytes");
            }
            long end = offset + length;
            long at = offset;
            while (at < end) {
                int c = (int) (at >>> MappedRegion.CHUNK_SHIFT);
                long chunkStart = (long) c << MappedRegion.CHUNK_SHIFT;
                long chunkEnd = Math.min(chunkStart + MappedRegion.CHUNK_SIZE, size);
                long to = Math.min(end, chunkEnd);
                readChunk(c, at == chunkStart && to == chunkEnd, at - chunkStart, to - at, dst, dstOffset + (at - offset));
                at = to;
            }
        }

        private void readChunk(int c, boolean wholeChunk, long within, long n, MemorySegment dst, long dstOffset) {
            long o = (long) c << MappedRegion.CHUNK_SHIFT;
            while (true) {
                byte s = (byte) STATE.getAcquire(state, c); // acquire: see a side copy completely
                switch (s) {
                    case COPIED -> {
                        MemorySegment.copy(side[c], within, dst, dstOffset, n);
                        return;
                    }
                    case UNREAD -> {
                        if (STATE.compareAndSet(state, c, UNREAD, READING)) {
                            MemorySegment.copy(pinned, o + within, dst, dstOffset, n);
                            // a whole chunk is done; a part leaves it unread: its other lines may still be
                            // asked for, and the owner copies it aside before writing, as for any unread chunk
                            STATE.setRelease(state, c, wholeChunk ? READ : UNREAD); // release: our reads are done
                            return;
                        }
                    }
                    case READING, COPYING -> Thread.onSpinWait();
                    case READ -> throw new IllegalStateException("chunk " + c + " of region " + region.fileId() + "@"
                        + region.fileOffset() + " of store '" + image.owner + "' was already read from this image");
                    case DROPPED -> throw new StoreClosedException("image of store '" + image.owner + "'");
                    default -> throw new IllegalStateException("chunk " + c + " of region " + region.fileId() + "@"
                        + region.fileOffset() + " of store '" + image.owner + "' is not carried by this image");
                }
            }
        }
    }
}
