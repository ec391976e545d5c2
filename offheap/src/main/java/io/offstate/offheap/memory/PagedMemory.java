package io.offstate.offheap.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;
import java.util.BitSet;

import com.carrotsearch.hppc.IntArrayList;

import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.OffstateException;
import io.offstate.offheap.StoreFullException;

/**
 * Off-heap memory of one store: fixed-size pages behind a page table, carved into blocks by a
 * size-class allocator, with large blocks given segments of their own.
 *
 * <h2>Addresses</h2>
 * Every reference into this memory is a position-independent 40-bit address, never a raw pointer:
 * <pre>
 *   39                  pageShift                 0
 *  +-----------------------+-------------------------+
 *  |      page index       |    offset in page       |
 *  +-----------------------+-------------------------+
 * </pre>
 * The page table maps a page index to its segment, so the same bytes work whether pages were
 * allocated by an {@link Arena} or mapped from a file, and a page can be copied byte for byte into a
 * snapshot. Address 0 is never handed out (page index 0 is never used), so 0 can mean
 * "none" in index slots and free-list links.
 *
 * <h2>Blocks</h2>
 * Blocks up to {@link #largeThreshold()} bytes are cut from normal pages by bump allocation and
 * recycled through one free list per {@link SizeClasses size class}; a freed block holds the
 * address of the next free block of its class in its first 8 bytes. Overwriting or deleting the
 * same sizes again and again therefore reuses the same blocks and memory does not grow. Larger
 * blocks get a dedicated segment ("large page", one page index, any size) that is released as soon
 * as the block is freed.
 *
 * <h2>Checked reads</h2>
 * Every page access validates the page index decoded from an address against the page table (an
 * index past the table, or of a free page, is {@link CorruptStateException}),
 * and a page or large block reopened from a store file is not handed out until its
 * {@link MappedRegion} verified it against the file's checksums (the whole page or block, on its
 * first touch; a mismatch is {@link CorruptStoreFileException} and the page
 * stays unserved). The table {@link #page} reads holds a segment only once it may be served, so its
 * hot path is a bounds compare and a null check, for anonymous and file-backed memory alike.
 *
 * <h2>Threading and ownership</h2>
 * Single writer. Segments handed out by {@link #page(long)} stay valid until the block is freed or
 * this memory is closed; after {@link #close()} any access through them throws
 * {@link IllegalStateException} (never a JVM crash).
 */
public final class PagedMemory implements AutoCloseable {
    /** Bits of an address. */
    public static final int ADDRESS_BITS = 40;
    /** Largest address; also the mask of an address field. */
    public static final long MAX_ADDRESS = (1L << ADDRESS_BITS) - 1;
    /** Smallest allowed page: 4 KiB. */
    public static final int MIN_PAGE_SHIFT = 12;
    /** Largest allowed page: 1 GiB. */
    public static final int MAX_PAGE_SHIFT = 30;
    private static final long PAGE_ALIGNMENT = 64;

    private final int pageShift;
    private final int pageSize;
    private final long offsetMask;
    private final int largeThreshold;
    private final int maxPages;
    private final MemoryBudget budget;
    private final Arena arena;
    /** Null for anonymous memory; else where pages and large blocks are mapped from. */
    private final RegionBacking backing;

    /** The segment installed at each page index, served or not; null if free. */
    private MemorySegment[] pages;
    /** What {@link #page} hands out: {@link #pages} once it may be served, null while free or not verified yet. */
    private MemorySegment[] served;
    /** Read-only views of {@link #served}, null where it is. */
    private MemorySegment[] readOnlyPages;
    private Arena[] largeArenas;
    /** File mode only: the region behind each page index (null when anonymous). */
    private MappedRegion[] regions;
    private boolean[] large;
    private int pageCount;
    private final IntArrayList freePageIndexes;
    private final long[] freeHeads;
    private long bumpAddress;
    private long bumpLimit;
    private long normalPages;
    private long largeBytes;
    private boolean closed;

    /**
     * @param pageShift log2 of the page size, {@value #MIN_PAGE_SHIFT}..{@value #MAX_PAGE_SHIFT}
     * @param budget    accounts every page and large segment this memory allocates
     */
    public PagedMemory(int pageShift, MemoryBudget budget) {
        this(pageShift, budget, null);
    }

    /**
     * Memory whose pages and large blocks are regions of {@code backing} (a store directory), or
     * anonymous if {@code backing} is null.
     */
    public PagedMemory(int pageShift, MemoryBudget budget, RegionBacking backing) {
        if (pageShift < MIN_PAGE_SHIFT || pageShift > MAX_PAGE_SHIFT) {
            throw new IllegalArgumentException("page size must be 2^" + MIN_PAGE_SHIFT + "..2^" + MAX_PAGE_SHIFT
                + " bytes, was 2^" + pageShift);
        }
        this.pageShift = pageShift;
        this.pageSize = 1 << pageShift;
        this.offsetMask = pageSize - 1L;
        this.largeThreshold = pageSize >>> 2;
        this.maxPages = 1 << (ADDRESS_BITS - pageShift);
        this.budget = budget;
        this.backing = backing;
        this.arena = backing == null ? Arena.ofShared() : null;
        this.pages = new MemorySegment[16];
        this.served = new MemorySegment[16];
        this.readOnlyPages = new MemorySegment[16];
        this.largeArenas = new Arena[16];
        this.regions = backing == null ? null : new MappedRegion[16];
        this.large = new boolean[16];
        this.freePageIndexes = new IntArrayList();
        this.freeHeads = new long[SizeClasses.COUNT];
        this.pageCount = 1; // page index 0 is never used, so no block (normal or large) can have address 0
    }

    /** Page size in bytes. */
    public int pageSize() {
        return pageSize;
    }

    /** log2 of the page size. */
    public int pageShift() {
        return pageShift;
    }

    /** Blocks larger than this get a segment of their own. */
    public int largeThreshold() {
        return largeThreshold;
    }

    /** Where pages are mapped from, or null for anonymous memory. */
    public RegionBacking backing() {
        return backing;
    }

    /**
     * Records that {@code [address, address + length)} is about to be written, so the next flush of
     * a file-backed store persists it and the next incremental image carries it. Every write into
     * pages must call it <b>before</b> the bytes change (an open {@link ImagePin} copies a chunk it
     * still needs here), and after {@link #page} of the address (which checks it).
     */
    public void markDirty(long address, long length) {
        if (regions != null) {
            regions[(int) (address >>> pageShift)].markDirty(address & offsetMask, length);
        }
    }

    /** The budget this memory charges. */
    public MemoryBudget budget() {
        return budget;
    }

    /** Normal pages allocated now (large blocks not included). */
    public long normalPages() {
        return normalPages;
    }

    /** Bytes held by large blocks (each a segment of its own). */
    public long largeBytes() {
        return largeBytes;
    }

    /** Bytes held by normal pages and large segments (index tables are accounted elsewhere). */
    public long bytesAllocated() {
        return normalPages * pageSize + largeBytes;
    }

    /**
     * The writable segment holding {@code address} (a whole page, or a whole large segment).
     *
     * @throws CorruptStateException     if {@code address} is not in a live page
     * @throws CorruptStoreFileException if the page, reopened from a file, does
     *                                                       not match its checksums
     */
    public MemorySegment page(long address) {
        final long index = address >>> pageShift;
        if (index < pageCount) {
            final MemorySegment s = served[(int) index];
            if (s != null) {
                return s;
            }
        }
        return checkedPage(address, false);
    }

    /** A read-only view of the segment holding {@code address}; same lifetime and checks as {@link #page}. */
    public MemorySegment readOnlyPage(long address) {
        final long index = address >>> pageShift;
        if (index < pageCount) {
            final MemorySegment s = readOnlyPages[(int) index];
            if (s != null) {
                return s;
            }
        }
        return checkedPage(address, true);
    }

    /** The slow path of {@link #page}: a page not verified yet is verified and served from now on; anything else is damage. */
    private MemorySegment checkedPage(long address, boolean readOnly) {
        ensureOpen();
        final long index = address >>> pageShift;
        if (index >= pageCount) {
            throw new CorruptStateException("address 0x" + Long.toHexString(address) + " of store '"
                + budget.owner() + "' refers to page " + index + ", beyond its page table of " + pageCount + " pages");
        }
        final int i = (int) index;
        final MappedRegion region = regions == null ? null : regions[i];
        if (region == null) {
            throw new CorruptStateException("address 0x" + Long.toHexString(address) + " of store '"
                + budget.owner() + "' refers to page " + index + ", which is not in use");
        }
        region.verifyAll(); // throws, and leaves the page unserved, if the file's bytes are damaged
        served[i] = region.segment();
        readOnlyPages[i] = served[i].asReadOnly();
        return readOnly ? readOnlyPages[i] : served[i];
    }

    /** Offset of {@code address} inside its segment. */
    public long offset(long address) {
        return address & offsetMask;
    }

    /** Bytes actually taken by a block allocated for {@code size} bytes. */
    public long blockSize(int size) {
        return size > largeThreshold ? largeSize(size) : SizeClasses.blockSize(SizeClasses.classOf(size));
    }

    /** Whether a block allocated for {@code oldSize} bytes can hold {@code newSize} bytes in place. */
    public boolean fitsInPlace(int oldSize, int newSize) {
        if (oldSize > largeThreshold || newSize > largeThreshold) {
            return oldSize > largeThreshold && newSize > largeThreshold && largeSize(oldSize) == largeSize(newSize);
        }
        return SizeClasses.classOf(oldSize) == SizeClasses.classOf(newSize);
    }

    /** New bytes {@link #allocate(int)} of {@code size} would charge to the budget right now (0 if it reuses memory). */
    public long bytesNeeded(int size) {
        if (size > largeThreshold) {
            return largeSize(size);
        }
        int c = SizeClasses.classOf(size);
        if (freeHeads[c] != 0 || bumpAddress + SizeClasses.blockSize(c) <= bumpLimit) {
            return 0;
        }
        return pageSize;
    }

    /**
     * New bytes allocating blocks of {@code sizes[0 .. count)}, in that order, could charge to the
     * budget right now: an upper bound (of each class's free list only the head is counted).
     */
    public long bytesNeeded(int[] sizes, int count) {
        long bump = bumpAddress;
        long limit = bumpLimit;
        long bytes = 0;
        long usedHeads = 0; // classes whose free head is taken, as bits of (class & 63): sound, merely conservative
        for (int i = 0; i < count; i++) {
            int size = sizes[i];
            if (size > largeThreshold) {
                bytes += largeSize(size);
                continue;
            }
            int c = SizeClasses.classOf(size);
            long bit = 1L << (c & 63);
            if (freeHeads[c] != 0 && (usedHeads & bit) == 0) {
                usedHeads |= bit;
                continue;
            }
            int block = SizeClasses.blockSize(c);
            if (bump + block > limit) {
                bytes += pageSize;
                bump = 0;
                limit = pageSize;
            }
            bump += block;
        }
        return bytes;
    }

    /**
     * Allocates a block of at least {@code size} bytes and returns its address. Contents are
     * unspecified. Charges the budget only for a new page or large segment.
     *
     * @throws StoreFullException if a new page would exceed the budget (nothing changed)
     */
    public long allocate(int size) {
        ensureOpen();
        if (size > largeThreshold) {
            return allocateLarge(size);
        }
        final int c = SizeClasses.classOf(size);
        final long head = freeHeads[c];
        if (head != 0) {
            freeHeads[c] = page(head).get(ValueLayout.JAVA_LONG_UNALIGNED, offset(head));
            return head;
        }
        final int block = SizeClasses.blockSize(c);
        if (bumpAddress + block > bumpLimit) {
            newBumpPage();
        }
        long address = bumpAddress;
        bumpAddress += block;
        return address;
    }

    /** Frees the block at {@code address} that was allocated for {@code size} bytes. */
    public void free(long address, int size) {
        ensureOpen();
        if (size > largeThreshold) {
            freeLarge(address);
            return;
        }
        pushFree(SizeClasses.classOf(size), address);
    }

    private void pushFree(int sizeClass, long address) {
        final MemorySegment page = page(address); // checked first: a damaged address fails before anything is marked
        markDirty(address, Long.BYTES); // before the write: an open image may still need the old bytes
        page.set(ValueLayout.JAVA_LONG_UNALIGNED, offset(address), freeHeads[sizeClass]);
        freeHeads[sizeClass] = address;
    }

    private void newBumpPage() {
        budget.check(pageSize);
        int index = nextPageIndex();
        if (backing == null) {
            install(index, arena.allocate(pageSize, PAGE_ALIGNMENT), null, null, false);
        } else {
            MappedRegion region = backing.mapPage(index, pageSize); // may refuse (mapping limit): nothing taken yet
            install(index, region.segment(), null, region, false);
        }
        takePageIndex(index);
        budget.reserve(pageSize);
        normalPages++;
        retireBumpTail();
        long base = (long) index << pageShift;
        bumpAddress = base;
        bumpLimit = base + pageSize;
    }

    /** The unused end of the old bump page joins a free list instead of being lost. */
    private void retireBumpTail() {
        long tail = bumpLimit - bumpAddress;
        if (bumpLimit != 0 && tail > 0) {
            int c = SizeClasses.floorClassOf((int) Math.min(tail, largeThreshold));
            if (c >= 0) {
                pushFree(c, bumpAddress);
            }
        }
    }

    private long allocateLarge(int size) {
        long bytes = largeSize(size);
        budget.check(bytes);
        int index = nextPageIndex();
        if (backing == null) {
            Arena own = Arena.ofShared();
            install(index, own.allocate(bytes, PAGE_ALIGNMENT), own, null, true);
        } else {
            MappedRegion region = backing.newSegment(bytes); // may refuse (mapping limit): nothing taken yet
            install(index, region.segment(), null, region, true);
        }
        takePageIndex(index);
        budget.reserve(bytes);
        largeBytes += bytes;
        return (long) index << pageShift;
    }

    private void freeLarge(long address) {
        int index = (int) (address >>> pageShift);
        if (!large[index] || offset(address) != 0) {
            throw new IllegalStateException("address " + address + " is not a large block");
        }
        long bytes = pages[index].byteSize();
        pages[index] = null;
        served[index] = null;
        readOnlyPages[index] = null;
        large[index] = false;
        if (regions != null) {
            backing.free(regions[index]);
            regions[index] = null;
        } else {
            largeArenas[index].close();
            largeArenas[index] = null;
        }
        largeBytes -= bytes;
        budget.release(bytes);
        freePageIndexes.add(index);
    }

    private static long largeSize(int size) {
        return (size + 7L) & ~7L;
    }

    /** The page index the next new page or large block gets; taken by {@link #takePageIndex} once it is installed. */
    private int nextPageIndex() {
        if (!freePageIndexes.isEmpty()) {
            return freePageIndexes.get(freePageIndexes.size() - 1);
        }
        if (pageCount >= maxPages) {
            throw new OffstateException("store '" + budget.owner() + "' has used all " + maxPages
                + " page indexes of its " + ADDRESS_BITS + "-bit address space (page size " + pageSize + ")");
        }
        return pageCount;
    }

    private void takePageIndex(int index) {
        if (!freePageIndexes.isEmpty()) {
            freePageIndexes.removeAt(freePageIndexes.size() - 1);
        } else {
            pageCount = index + 1;
        }
    }

    private void install(int index, MemorySegment segment, Arena own, MappedRegion region, boolean isLarge) {
        ensurePageTable(index + 1);
        boolean servable = region == null || region.isVerified(); // a reopened page waits for its first touch
        pages[index] = segment;
        served[index] = servable ? segment : null;
        readOnlyPages[index] = servable ? segment.asReadOnly() : null;
        largeArenas[index] = own;
        large[index] = isLarge;
        if (regions != null) {
            regions[index] = region;
        }
    }

    /** Grows the page table to hold at least {@code entries} page indexes. */
    private void ensurePageTable(int entries) {
        if (entries > pages.length) {
            int n = Math.max(entries, pages.length * 2);
            pages = Arrays.copyOf(pages, n);
            served = Arrays.copyOf(served, n);
            readOnlyPages = Arrays.copyOf(readOnlyPages, n);
            largeArenas = Arrays.copyOf(largeArenas, n);
            large = Arrays.copyOf(large, n);
            if (regions != null) {
                regions = Arrays.copyOf(regions, n);
            }
        }
    }

    /**
     * An independent deep copy: every page and large segment copied byte for byte into new memory
     * charged to {@code copyBudget}, the allocator state copied alongside. Addresses stay valid in
     * the copy because they are offsets, not pointers. Pages reopened from a file are verified
     * before they are copied, so the copy (whose bytes count as verified) holds no unchecked damage.
     *
     * @throws StoreFullException if the copy does not fit {@code copyBudget}
     * @throws CorruptStoreFileException if a page does not match its checksums
     */
    public PagedMemory copy(MemoryBudget copyBudget) {
        return copy(copyBudget, null);
    }

    /**
     * As {@link #copy(MemoryBudget)}, into regions of {@code copyBacking} (every byte marked
     * dirty, so the next flush writes it) or anonymous memory if it is null.
     */
    public PagedMemory copy(MemoryBudget copyBudget, RegionBacking copyBacking) {
        ensureOpen();
        copyBudget.check(bytesAllocated());
        PagedMemory c = new PagedMemory(pageShift, copyBudget, copyBacking);
        // as long as this table, not just up to the last live page: freed indexes above it still count
        c.ensurePageTable(pageCount);
        try {
            for (int i = 0; i < pageCount; i++) {
                if (pages[i] == null) {
                    continue;
                }
                MemorySegment src = page((long) i << pageShift); // verified first: no unchecked damage in the copy
                if (copyBacking == null) {
                    Arena own = large[i] ? Arena.ofShared() : null;
                    MemorySegment dst = (own != null ? own : c.arena).allocate(src.byteSize(), PAGE_ALIGNMENT);
                    MemorySegment.copy(src, 0, dst, 0, src.byteSize());
                    c.install(i, dst, own, null, large[i]);
                } else {
                    MappedRegion region = large[i] ? copyBacking.newSegment(src.byteSize()) : copyBacking.mapPage(i, pageSize);
                    MemorySegment.copy(src, 0, region.segment(), 0, src.byteSize());
                    region.markAllDirty();
                    c.install(i, region.segment(), null, region, large[i]);
                }
                copyBudget.reserve(src.byteSize());
            }
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
        c.pageCount = pageCount;
        c.freePageIndexes.addAll(freePageIndexes);
        System.arraycopy(freeHeads, 0, c.freeHeads, 0, freeHeads.length);
        c.bumpAddress = bumpAddress;
        c.bumpLimit = bumpLimit;
        c.normalPages = normalPages;
        c.largeBytes = largeBytes;
        return c;
    }

    /** Regions of a file-backed memory, indexed by page index (entries may be null); null if anonymous. */
    public MappedRegion[] regions() {
        return regions;
    }

    /** Re-reads every page's segment from its region (after a flush remapped them). */
    public void refreshMappings() {
        if (regions == null) {
            return;
        }
        for (int i = 0; i < pageCount; i++) {
            MappedRegion r = regions[i];
            if (r != null && pages[i] != r.segment()) {
                pages[i] = r.segment();
                if (served[i] != null) { // a page not verified yet stays unserved
                    served[i] = pages[i];
                    readOnlyPages[i] = pages[i].asReadOnly();
                }
            }
        }
    }

    /** Writes the allocator state and the page table (with each large block's file) for a flush. */
    public void writeMeta(MetaOut out) {
        ensureOpen();
        out.putInt(pageShift).putInt(pageCount).putLong(bumpAddress).putLong(bumpLimit)
            .putLong(normalPages).putLong(largeBytes);
        out.putInt(freeHeads.length);
        for (long head : freeHeads) {
            out.putLong(head);
        }
        out.putInt(freePageIndexes.size());
        for (int i = 0; i < freePageIndexes.size(); i++) {
            out.putInt(freePageIndexes.get(i));
        }
        for (int i = 1; i < pageCount; i++) {
            if (pages[i] == null) {
                out.putInt(0);
            } else if (!large[i]) {
                out.putInt(1);
            } else {
                out.putInt(2).putInt(regions[i].fileId()).putLong(pages[i].byteSize());
            }
        }
    }

    /**
     * Memory reopened from {@link #writeMeta} output over {@code backing}: pages are mapped, not
     * read, so this costs O(pages), not O(bytes). Charges {@code budget} for every page.
     *
     * @throws CorruptStateException if the metadata is inconsistent
     * @throws StoreFullException    if the pages exceed {@code budget}
     */
    public static PagedMemory reopen(MetaIn in, MemoryBudget budget, RegionBacking backing) {
        int shift = in.getInt("page shift", MIN_PAGE_SHIFT, MAX_PAGE_SHIFT);
        PagedMemory m = new PagedMemory(shift, budget, backing);
        try {
            int count = in.getInt("page count", 1, m.maxPages);
            long maxAddress = (long) count << shift;
            m.bumpAddress = in.getLong("bump address", 0, maxAddress);
            m.bumpLimit = in.getLong("bump limit", m.bumpAddress, maxAddress);
            long normal = in.getLong("normal pages", 0, count);
            long largeTotal = in.getLong("large bytes", 0, Long.MAX_VALUE);
            in.getInt("size classes", SizeClasses.COUNT, SizeClasses.COUNT);
            for (int c = 0; c < SizeClasses.COUNT; c++) {
                m.freeHeads[c] = in.getLong("free list head", 0, maxAddress - 1);
            }
            int free = in.getInt("free page indexes", 0, count);
            for (int i = 0; i < free; i++) {
                m.freePageIndexes.add(in.getInt("free page index", 1, count - 1));
            }
            m.ensurePageTable(count);
            m.pageCount = count;
            long normalSeen = 0;
            long largeSeen = 0;
            for (int i = 1; i < count; i++) {
                int kind = in.getInt("page kind", 0, 2);
                if (kind == 1) {
                    budget.check(m.pageSize);
                    MappedRegion r = backing.openPage(i, m.pageSize);
                    budget.reserve(m.pageSize);
                    m.install(i, r.segment(), null, r, false);
                    m.normalPages = ++normalSeen;
                } else if (kind == 2) {
                    int fileId = in.getInt("large block file", 1, Integer.MAX_VALUE);
                    long bytes = in.getLong("large block size", 1, Integer.MAX_VALUE);
                    budget.check(bytes);
                    MappedRegion r = backing.openSegment(fileId, bytes);
                    budget.reserve(bytes);
                    m.install(i, r.segment(), null, r, true);
                    largeSeen += bytes;
                    m.largeBytes = largeSeen;
                }
            }
            if (normalSeen != normal || largeSeen != largeTotal) {
                throw new CorruptStateException("page table lists " + normalSeen + " pages and "
                    + largeSeen + " large bytes, header says " + normal + " and " + largeTotal);
            }
            return m;
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException("memory of store '" + budget.owner() + "' is closed");
        }
    }

    /** Releases every page and large segment; idempotent. Later accesses through old segments throw. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (int i = 0; i < pageCount; i++) {
            if (largeArenas[i] != null) {
                largeArenas[i].close();
                largeArenas[i] = null;
            }
            if (regions != null && regions[i] != null) {
                backing.free(regions[i]); // unmaps; a large block's file goes only if a later flush commits without it
                regions[i] = null;
            }
        }
        if (arena != null) {
            arena.close();
        }
        budget.release(bytesAllocated());
        normalPages = 0;
        largeBytes = 0;
    }

    /**
     * Checks the allocator's state, O(free blocks + pages), reading only: every free-list link
     * points into a live normal page, with its whole block inside the page and below the bump
     * pointer of the current bump page; no list is longer than the blocks its pages could hold (so a
     * cycle is reported, not followed forever); free page indexes are unused and distinct; the bump
     * range lies in a live normal page; and the page and large-byte totals match the page table.
     *
     * @throws CorruptStateException naming the size class, the address and what is wrong
     * @throws IllegalStateException if this memory is closed
     */
    public void verifyFreeLists() {
        ensureOpen();
        long normalSeen = 0;
        long largeSeen = 0;
        for (int i = 1; i < pageCount; i++) {
            if (pages[i] != null) {
                if (large[i]) {
                    largeSeen += pages[i].byteSize();
                } else {
                    normalSeen++;
                }
            }
        }
        if (normalSeen != normalPages || largeSeen != largeBytes) {
            throw corruptAllocator("page table holds " + normalSeen + " pages and " + largeSeen + " large bytes, the totals say "
                + normalPages + " and " + largeBytes);
        }
        final int bumpPage = bumpLimit == 0 ? -1 : (int) ((bumpLimit - 1) >>> pageShift);
        if (bumpLimit != 0 && (bumpAddress > bumpLimit || bumpLimit != ((long) bumpPage + 1) << pageShift
            || bumpAddress < (long) bumpPage << pageShift || !isNormalPage(bumpPage))) {
            throw corruptAllocator("bump range " + bumpAddress + ".." + bumpLimit + " is not the free end of a live page");
        }
        for (int c = SizeClasses.MIN_BLOCK; c < SizeClasses.COUNT; c++) {
            long address = freeHeads[c];
            if (address == 0) {
                continue;
            }
            final int block = SizeClasses.blockSize(c);
            final long bound = normalPages * (pageSize / block) + 1;
            for (long steps = 0; address != 0; steps++) {
                if (steps >= bound) {
                    throw corruptFreeList(c, address, "is longer than its " + normalPages + " pages can hold: a link loops");
                }
                final long index = address >>> pageShift;
                if (address < 0 || address > MAX_ADDRESS || index >= pageCount || !isNormalPage((int) index)) {
                    throw corruptFreeList(c, address, "links to an address outside every live page");
                }
                final long offset = address & offsetMask;
                if (offset + block > pageSize) {
                    throw corruptFreeList(c, address, "has a block that runs past the end of its page");
                }
                if (index == bumpPage && address + block > bumpAddress) {
                    throw corruptFreeList(c, address, "has a block beyond the bump pointer " + bumpAddress);
                }
                address = page(address).get(ValueLayout.JAVA_LONG_UNALIGNED, offset); // through page(): whatever it checks applies
            }
        }
        final BitSet seen = new BitSet();
        for (int k = 0; k < freePageIndexes.size(); k++) {
            final int index = freePageIndexes.get(k);
            if (index < 1 || index >= pageCount || pages[index] != null || seen.get(index)) {
                throw corruptAllocator("free page index " + index + " is " + (index < 1 || index >= pageCount ? "outside the page table"
                    : pages[index] != null ? "in use" : "listed twice"));
            }
            seen.set(index);
        }
    }

    private boolean isNormalPage(int index) {
        return index >= 1 && index < pageCount && pages[index] != null && !large[index];
    }

    private CorruptStateException corruptFreeList(int sizeClass, long address, String what) {
        return corruptAllocator("free list of " + SizeClasses.blockSize(sizeClass) + "-byte blocks: entry " + address + " " + what);
    }

    private CorruptStateException corruptAllocator(String what) {
        return new CorruptStateException("memory of store '" + budget.owner() + "': " + what);
    }
}
