package io.offstate.offheap.index;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;

/**
 * Layout of the nodes of a {@link SortedIndex}: fixed-size blocks in the store's pages, linked by
 * 40-bit addresses (never pointers), so a tree is as position-independent as the entries it orders.
 *
 * <h2>Leaf</h2>
 * <pre>
 *  0      1      4          8                16               24
 *  +------+------+----------+----------------+----------------+-------------------------------+
 *  | kind | pad  | count:i32| prev leaf:i64  | next leaf:i64  | element[0 .. count)           |
 *  +------+------+----------+----------------+----------------+-------------------------------+
 *  element (16 B): | order prefix:i64 | entry address:i64 |
 * </pre>
 * Elements are sorted by key. The <em>order prefix</em> is the key's first 8 bytes as an unsigned
 * big-endian number ({@link ByteSource#orderPrefix()}): most comparisons end on
 * it without reading the entry. Leaves form a doubly linked list in key order (0 ends it).
 *
 * <h2>Inner node</h2>
 * <pre>
 *  0      1      4          8                16
 *  +------+------+----------+----------------+------------------------------------------------+
 *  | kind | pad  | count:i32| child 0:i64    | element[0 .. count)                            |
 *  +------+------+----------+----------------+------------------------------------------------+
 *  element (24 B): | separator order prefix:i64 | separator address:i64 | child:i64 |
 * </pre>
 * Child 0 holds keys below separator 0; the child of element {@code i} holds keys from separator
 * {@code i} (inclusive) up to separator {@code i + 1} (exclusive). A separator is a block laid out
 * as an {@link EntryDescriptor entry} with an empty value, whose key is the shortest byte string that
 * splits the two neighbouring leaves; it need not be a live key.
 *
 * <p>Counts and kinds read from memory go through {@link #checkedCount}, so a damaged node is a
 * {@link CorruptStateException}, never an out-of-bounds read. Multi-byte fields are in native order (the bytes never leave this machine's memory layout
 * except by byte-for-byte copies). Stateless and thread-safe.
 */
public final class NodeDescriptor {
    /** Kind byte of a leaf. */
    public static final byte LEAF = 1;
    /** Kind byte of an inner node. */
    public static final byte INNER = 2;

    static final long KIND_OFFSET = 0;
    static final long COUNT_OFFSET = 4;
    static final long PREV_OFFSET = 8;
    static final long NEXT_OFFSET = 16;
    static final long CHILD0_OFFSET = 8;
    static final long LEAF_HEADER = 24;
    static final long INNER_HEADER = 16;
    static final int LEAF_ELEMENT = 16;
    static final int INNER_ELEMENT = 24;

    /** Smallest node size: leaves of 6 elements, inner nodes of 4. */
    public static final int MIN_NODE_SIZE = 128;

    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED;

    private NodeDescriptor() {
    }

    /** Elements a leaf of {@code nodeSize} bytes holds. */
    public static int leafCapacity(int nodeSize) {
        return (int) ((nodeSize - LEAF_HEADER) / LEAF_ELEMENT);
    }

    /** Separators an inner node of {@code nodeSize} bytes holds. */
    public static int innerCapacity(int nodeSize) {
        return (int) ((nodeSize - INNER_HEADER) / INNER_ELEMENT);
    }

    /**
     * The element count of the node at {@code node}, checked against damage before anything relies
     * on it: the node lies within {@code page}, its kind byte is {@code kind}, and the count is
     * {@code 0..capacity}. Compare-and-branch only; the exception is built in a cold method.
     *
     * @throws CorruptStateException naming the offset, the kind and the count if any check fails
     */
    static int checkedCount(MemorySegment page, long node, byte kind, int nodeSize, int capacity) {
        if (node < 0 || node + nodeSize > page.byteSize() || page.get(ValueLayout.JAVA_BYTE, node + KIND_OFFSET) != kind) {
            throw badNode(page, node, kind, nodeSize, capacity);
        }
        final int count = page.get(INT, node + COUNT_OFFSET);
        if (count < 0 || count > capacity) {
            throw badNode(page, node, kind, nodeSize, capacity);
        }
        return count;
    }

    // cold: only damage gets here; reads only what is within the page
    private static CorruptStateException badNode(MemorySegment page, long node, byte kind, int nodeSize, int capacity) {
        final String expected = (kind == LEAF ? "leaf" : "inner node") + " of " + nodeSize + " bytes";
        if (node < 0 || node + nodeSize > page.byteSize()) {
            return new CorruptStateException("sorted index " + expected + " at offset " + node + " runs past the end of its "
                + page.byteSize() + "-byte page");
        }
        return new CorruptStateException("sorted index " + expected + " at offset " + node + " has kind "
            + page.get(ValueLayout.JAVA_BYTE, node + KIND_OFFSET) + " (expected " + kind + ") and count "
            + page.get(INT, node + COUNT_OFFSET) + " (capacity " + capacity + ")");
    }

    static byte kind(MemorySegment page, long node) {
        return page.get(ValueLayout.JAVA_BYTE, node + KIND_OFFSET);
    }

    static int count(MemorySegment page, long node) {
        return page.get(INT, node + COUNT_OFFSET);
    }

    static void count(MemorySegment page, long node, int count) {
        page.set(INT, node + COUNT_OFFSET, count);
    }

    static void initLeaf(MemorySegment page, long node, long prev, long next) {
        page.set(ValueLayout.JAVA_BYTE, node + KIND_OFFSET, LEAF);
        count(page, node, 0);
        page.set(LONG, node + PREV_OFFSET, prev);
        page.set(LONG, node + NEXT_OFFSET, next);
    }

    static void initInner(MemorySegment page, long node, long child0) {
        page.set(ValueLayout.JAVA_BYTE, node + KIND_OFFSET, INNER);
        count(page, node, 0);
        page.set(LONG, node + CHILD0_OFFSET, child0);
    }

    static long prev(MemorySegment page, long node) {
        return page.get(LONG, node + PREV_OFFSET);
    }

    static void prev(MemorySegment page, long node, long prev) {
        page.set(LONG, node + PREV_OFFSET, prev);
    }

    static long next(MemorySegment page, long node) {
        return page.get(LONG, node + NEXT_OFFSET);
    }

    static void next(MemorySegment page, long node, long next) {
        page.set(LONG, node + NEXT_OFFSET, next);
    }

    /** Offset of leaf element {@code i} of the leaf at {@code node}. */
    static long leafElement(long node, int i) {
        return node + LEAF_HEADER + (long) i * LEAF_ELEMENT;
    }

    static long leafPrefix(MemorySegment page, long node, int i) {
        return page.get(LONG, leafElement(node, i));
    }

    static long leafAddress(MemorySegment page, long node, int i) {
        return page.get(LONG, leafElement(node, i) + 8);
    }

    static void leafAddress(MemorySegment page, long node, int i, long address) {
        page.set(LONG, leafElement(node, i) + 8, address);
    }

    static void setLeafElement(MemorySegment page, long node, int i, long prefix, long address) {
        long e = leafElement(node, i);
        page.set(LONG, e, prefix);
        page.set(LONG, e + 8, address);
    }

    /** Offset of inner element {@code i} of the inner node at {@code node}. */
    static long innerElement(long node, int i) {
        return node + INNER_HEADER + (long) i * INNER_ELEMENT;
    }

    static long child0(MemorySegment page, long node) {
        return page.get(LONG, node + CHILD0_OFFSET);
    }

    static void child0(MemorySegment page, long node, long child) {
        page.set(LONG, node + CHILD0_OFFSET, child);
    }

    /** Child {@code j} (0 .. count) of the inner node at {@code node}. */
    static long child(MemorySegment page, long node, int j) {
        return j == 0 ? child0(page, node) : page.get(LONG, innerElement(node, j - 1) + 16);
    }

    static long separatorPrefix(MemorySegment page, long node, int i) {
        return page.get(LONG, innerElement(node, i));
    }

    static long separatorAddress(MemorySegment page, long node, int i) {
        return page.get(LONG, innerElement(node, i) + 8);
    }

    static void setInnerElement(MemorySegment page, long node, int i, long prefix, long separator, long child) {
        long e = innerElement(node, i);
        page.set(LONG, e, prefix);
        page.set(LONG, e + 8, separator);
        page.set(LONG, e + 16, child);
    }
}
