package io.offstate.offheap.memory;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import com.carrotsearch.hppc.IntArrayList;

import io.offstate.offheap.OffstateException;

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
 * <h2>Threading and ownership</h2>
 * Single writer. Segments handed out by {@link #page(long)} stay valid until the block is freed or
 * this memory is closed; after {@link #close()} any access through them throws
 * {@link IllegalStateException} (never a JVM crash).
 */
public final class PagedMemory implements AutoCloseable {
    /** Bits of an address. */
    public static final int ADDRESS_BITS = 40;
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

    private MemorySegment[] pages;
    private MemorySegment[] readOnlyPages;
    private Arena[] largeArenas;
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
        this.arena = Arena.ofShared();
        this.pages = new MemorySegment[16];
        this.readOnlyPages = new MemorySegment[16];
        this.largeArenas = new Arena[16];
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

    /** The budget this memory charges. */
    public MemoryBudget budget() {
        return budget;
    }

    /** Bytes held by normal pages and large segments (index tables are accounted elsewhere). */
    public long bytesAllocated() {
        return normalPages * pageSize + largeBytes;
    }

    /** The writable segment holding {@code address} (a whole page, or a whole large segment). */
    public MemorySegment page(long address) {
        return pages[(int) (address >>> pageShift)];
    }

    /** A read-only view of the segment holding {@code address}; same lifetime as {@link #page}. */
    public MemorySegment readOnlyPage(long address) {
        return readOnlyPages[(int) (address >>> pageShift)];
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
     * @throws io.offstate.offheap.StoreFullException if a new page would exceed the budget (nothing changed)
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
        page(address).set(ValueLayout.JAVA_LONG_UNALIGNED, offset(address), freeHeads[sizeClass]);
        freeHeads[sizeClass] = address;
    }

    private void newBumpPage() {
        budget.check(pageSize);
        int index = takePageIndex();
        MemorySegment page = arena.allocate(pageSize, PAGE_ALIGNMENT);
        budget.reserve(pageSize);
        install(index, page, null);
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
        int index = takePageIndex();
        Arena own = Arena.ofShared();
        MemorySegment segment = own.allocate(bytes, PAGE_ALIGNMENT);
        budget.reserve(bytes);
        install(index, segment, own);
        largeBytes += bytes;
        return (long) index << pageShift;
    }

    private void freeLarge(long address) {
        int index = (int) (address >>> pageShift);
        Arena own = largeArenas[index];
        if (own == null || offset(address) != 0) {
            throw new IllegalStateException("address " + address + " is not a large block");
        }
        long bytes = pages[index].byteSize();
        pages[index] = null;
        readOnlyPages[index] = null;
        largeArenas[index] = null;
        own.close();
        largeBytes -= bytes;
        budget.release(bytes);
        freePageIndexes.add(index);
    }

    private static long largeSize(int size) {
        return (size + 7L) & ~7L;
    }

    private int takePageIndex() {
        if (!freePageIndexes.isEmpty()) {
            return freePageIndexes.removeAt(freePageIndexes.size() - 1);
        }
        if (pageCount >= maxPages) {
            throw new OffstateException("store '" + budget.owner() + "' has used all " + maxPages
                + " page indexes of its " + ADDRESS_BITS + "-bit address space (page size " + pageSize + ")");
        }
        return pageCount++;
    }

    private void install(int index, MemorySegment segment, Arena own) {
        ensurePageTable(index + 1);
        pages[index] = segment;
        readOnlyPages[index] = segment.asReadOnly();
        largeArenas[index] = own;
    }

    /** Grows the page table to hold at least {@code entries} page indexes. */
    private void ensurePageTable(int entries) {
        if (entries > pages.length) {
            int n = Math.max(entries, pages.length * 2);
            pages = Arrays.copyOf(pages, n);
            readOnlyPages = Arrays.copyOf(readOnlyPages, n);
            largeArenas = Arrays.copyOf(largeArenas, n);
        }
    }

    /**
     * An independent deep copy: every page and large segment copied byte for byte into new memory
     * charged to {@code copyBudget}, the allocator state copied alongside. Addresses stay valid in
     * the copy because they are offsets, not pointers.
     *
     * @throws io.offstate.offheap.StoreFullException if the copy does not fit {@code copyBudget}
     */
    public PagedMemory copy(MemoryBudget copyBudget) {
        ensureOpen();
        copyBudget.check(bytesAllocated());
        PagedMemory c = new PagedMemory(pageShift, copyBudget);
        // as long as this table, not just up to the last live page: freed indexes above it still count
        c.ensurePageTable(pageCount);
        try {
            for (int i = 0; i < pageCount; i++) {
                MemorySegment src = pages[i];
                if (src == null) {
                    continue;
                }
                Arena own = largeArenas[i] != null ? Arena.ofShared() : null;
                MemorySegment dst = (own != null ? own : c.arena).allocate(src.byteSize(), PAGE_ALIGNMENT);
                MemorySegment.copy(src, 0, dst, 0, src.byteSize());
                copyBudget.reserve(src.byteSize());
                c.install(i, dst, own);
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
        }
        arena.close();
        budget.release(bytesAllocated());
        normalPages = 0;
        largeBytes = 0;
    }
}
