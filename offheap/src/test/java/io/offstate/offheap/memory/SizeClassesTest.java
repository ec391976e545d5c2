package io.offstate.offheap.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SizeClassesTest {
    /** Largest block PagedMemory ever asks a class for: a quarter of the largest (1 GiB) page. */
    private static final int LARGEST_SMALL_BLOCK = (1 << PagedMemory.MAX_PAGE_SHIFT) >>> 2;

    /** Sizes to check: every size up to 64 KiB, then a dense sample up to the largest small block. */
    private static int[] sizes() {
        java.util.TreeSet<Integer> sizes = new java.util.TreeSet<>();
        for (int s = 0; s <= 65_536; s++) {
            sizes.add(s);
        }
        for (int k = 17; k <= 28; k++) {
            int base = 1 << (k - 1);
            int step = base / 600;
            for (int i = 0; i < 600; i++) {
                sizes.add(base + i * step);
                sizes.add(base + i * step + 1);
            }
        }
        sizes.add(LARGEST_SMALL_BLOCK);
        return sizes.stream().mapToInt(Integer::intValue).filter(s -> s <= LARGEST_SMALL_BLOCK).toArray();
    }

    @Test
    void classOfAndBlockSizeAreMonotoneAndBlocksHoldTheirSize() {
        int previousClass = -1;
        int previousBlock = -1;
        int previousSize = -1;
        for (int s : sizes()) {
            assertTrue(s > previousSize, "sizes ascend");
            int c = SizeClasses.classOf(s);
            int block = SizeClasses.blockSize(c);
            assertTrue(c >= previousClass, "classOf is monotone at " + s);
            assertTrue(block >= previousBlock, "blockSize(classOf) is monotone at " + s);
            assertTrue(block >= s, "block of class " + c + " (" + block + " bytes) holds " + s + " bytes");
            assertTrue(block >= SizeClasses.MIN_BLOCK, "blocks hold a free-list link");
            assertTrue(c < SizeClasses.COUNT, "class index below COUNT at " + s);
            previousClass = c;
            previousBlock = block;
            previousSize = s;
        }
    }

    @Test
    void blockSizeIsStrictlyIncreasingOverClasses() {
        int maxClass = SizeClasses.classOf(LARGEST_SMALL_BLOCK);
        for (int c = SizeClasses.MIN_BLOCK + 1; c <= maxClass; c++) {
            assertTrue(SizeClasses.blockSize(c) > SizeClasses.blockSize(c - 1), "class " + c);
            // each class is the smallest for its own block size
            assertEquals(c, SizeClasses.classOf(SizeClasses.blockSize(c)), "class " + c);
        }
    }

    @Test
    void classesAreExactUpTo1024() {
        for (int s = SizeClasses.MIN_BLOCK; s <= SizeClasses.EXACT_LIMIT; s++) {
            assertEquals(s, SizeClasses.blockSize(SizeClasses.classOf(s)), "exact block for " + s);
        }
        for (int s = 0; s < SizeClasses.MIN_BLOCK; s++) {
            assertEquals(SizeClasses.MIN_BLOCK, SizeClasses.blockSize(SizeClasses.classOf(s)), "rounded up to MIN_BLOCK: " + s);
        }
    }

    @Test
    void roundingAbove1024WastesAtMostOneEighth() {
        for (int s : sizes()) {
            if (s <= SizeClasses.EXACT_LIMIT) {
                continue;
            }
            long waste = SizeClasses.blockSize(SizeClasses.classOf(s)) - (long) s;
            assertTrue(waste * 8 <= s, "waste " + waste + " for " + s + " exceeds 12.5%");
        }
        assertEquals(1152, SizeClasses.blockSize(SizeClasses.classOf(1025)));
        assertEquals(2048, SizeClasses.blockSize(SizeClasses.classOf(2048)));
        assertEquals(2304, SizeClasses.blockSize(SizeClasses.classOf(2049)));
    }

    @Test
    void floorClassOfIsTheLargestClassThatFits() {
        for (int bytes = 0; bytes <= 70_000; bytes++) {
            int c = SizeClasses.floorClassOf(bytes);
            if (bytes < SizeClasses.MIN_BLOCK) {
                assertEquals(-1, c, "nothing fits in " + bytes);
                continue;
            }
            assertTrue(SizeClasses.blockSize(c) <= bytes, "floor class of " + bytes + " fits");
            assertTrue(SizeClasses.blockSize(c + 1) > bytes, "floor class of " + bytes + " is the largest that fits");
        }
        assertEquals(SizeClasses.classOf(1152), SizeClasses.floorClassOf(1279));
        assertEquals(SizeClasses.classOf(1280), SizeClasses.floorClassOf(1280));
    }
}
