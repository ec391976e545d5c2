package io.offstate.offheap.memory;

/**
 * Block size classes of the {@link PagedMemory} allocator.
 *
 * <ul>
 *   <li>Sizes 8..1024 bytes: one class per byte, so small entries waste nothing to rounding
 *       (an 82-byte entry takes exactly 82 bytes).</li>
 *   <li>Above 1024: eight classes per power of two, so rounding wastes at most 12.5%.</li>
 *   <li>Requests below {@link #MIN_BLOCK} bytes are rounded up to it: a free block must hold the
 *       8-byte link of its free list.</li>
 * </ul>
 * Stateless and thread-safe.
 */
public final class SizeClasses {
    /** Smallest block: room for a free-list link. */
    public static final int MIN_BLOCK = 8;
    /** Largest size that has its own exact class. */
    public static final int EXACT_LIMIT = 1024;
    private static final int LOG_EXACT_LIMIT = 10;
    private static final int STEPS_PER_DOUBLING_LOG = 3;
    /** Number of classes (indexes run from 0; indexes below {@link #MIN_BLOCK} are unused). */
    public static final int COUNT = EXACT_LIMIT + 1 + (31 - LOG_EXACT_LIMIT) * (1 << STEPS_PER_DOUBLING_LOG);

    private SizeClasses() {
    }

    /** The smallest class whose blocks hold {@code size} bytes. */
    public static int classOf(int size) {
        if (size <= EXACT_LIMIT) {
            return Math.max(size, MIN_BLOCK);
        }
        int k = 31 - Integer.numberOfLeadingZeros(size - 1);
        int sub = (size - 1 - (1 << k)) >>> (k - STEPS_PER_DOUBLING_LOG);
        return EXACT_LIMIT + 1 + (k - LOG_EXACT_LIMIT) * (1 << STEPS_PER_DOUBLING_LOG) + sub;
    }

    /** Block size of class {@code sizeClass}. */
    public static int blockSize(int sizeClass) {
        if (sizeClass <= EXACT_LIMIT) {
            return sizeClass;
        }
        int j = sizeClass - EXACT_LIMIT - 1;
        int k = LOG_EXACT_LIMIT + (j >>> STEPS_PER_DOUBLING_LOG);
        int sub = j & ((1 << STEPS_PER_DOUBLING_LOG) - 1);
        return (1 << k) + (sub + 1) * (1 << (k - STEPS_PER_DOUBLING_LOG));
    }

    /** The largest class whose blocks fit in {@code bytes}, or -1 if none does. */
    public static int floorClassOf(int bytes) {
        if (bytes < MIN_BLOCK) {
            return -1;
        }
        int c = classOf(bytes);
        return blockSize(c) > bytes ? c - 1 : c;
    }
}
