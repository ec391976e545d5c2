package io.offstate.offheap.index;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.memory.PagedMemory;

/**
 * An off-heap B+tree that orders the entries of an {@link EntryMap} by the unsigned lexicographic
 * order of their <em>original</em> key bytes (as RocksDB's default comparator and Kafka Streams'
 * {@code Bytes} order them), for range, prefix and reverse scans in O(log n + k).
 *
 * <p>It holds no keys of its own: a leaf element is a key's 8-byte order prefix plus its entry's
 * address, and only ties on the prefix read the entry. Inner nodes hold the shortest separators
 * that split two leaves. Nodes ({@link NodeDescriptor}) and separators are blocks of the store's
 * {@link PagedMemory}, addressed by offsets, so the tree is counted in the store's budget, copied by
 * its snapshots and ready to be file-mapped as it is.
 *
 * <h2>Dictionary-encoded keys</h2>
 * With a {@link KeyDictionary}, a stored key is {@code code ++ rest}; comparisons read the code's
 * component bytes from the dictionary, so the order is still that of the caller's original keys.
 *
 * <h2>Writes</h2>
 * The hash index decides whether a put inserts; an insert is two steps so that the budget can be
 * checked before anything changes: {@link #prepareInsert} (descends, plans any splits, computes the
 * separator) and {@link #bytesNeededForInsert} to check, then {@link #insertPrepared} once the entry
 * exists. Deletes merge a node that falls below a quarter full into a sibling when both fit in one
 * node, so the tree never holds mostly empty nodes. Leaves split in half, except a full rightmost
 * leaf taking a key beyond its last, which starts a new leaf (ascending keys fill leaves full).
 *
 * <h2>Positions</h2>
 * Reads return <em>positions</em>: {@code leafAddress << 16 | index}, {@code 0} for none. A
 * position is valid only until the next write; the store's cursor enforces that.
 *
 * <p>Threading: single writer, like the store; reads on the writer's thread. Allocation-free after
 * construction, except scratch buffers growing for a new longest key on a split.
 */
public final class SortedIndex {
    /** The position that names no entry. */
    public static final long NONE = 0;
    /** Node size used when the pages allow it. */
    public static final int DEFAULT_NODE_SIZE = 2048;
    /** Largest node size (positions keep a leaf index in 16 bits). */
    public static final int MAX_NODE_SIZE = 65536;

    private static final int MAX_HEIGHT = 62;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED;

    private final PagedMemory memory;
    private final KeyDictionary dictionary;
    private final int nodeSize;
    private final int leafCapacity;
    private final int innerCapacity;
    private final int leafMinimum;
    private final int innerMinimum;

    private long root;
    private long head;
    private long tail;
    private int height; // inner levels above the leaves
    private long size;

    // the last descent: the node at each level and the child taken there
    private final long[] pathNodes = new long[MAX_HEIGHT + 1];
    private final int[] pathChild = new int[MAX_HEIGHT + 1];
    private boolean lastExact;

    // the plan of a prepared insert
    private boolean prepared;
    private long preparedPrefix;
    private int preparedPosition;
    private int preparedSplits;
    private int preparedSplitAt;
    private int preparedSeparatorLength;
    private final int[] allocationSizes = new int[MAX_HEIGHT + 4];

    // scratch
    private final MemorySegment scratch;
    private byte[] leftKey = new byte[64];
    private byte[] rightKey = new byte[64];
    private MemorySegment leftKeySegment = MemorySegment.ofArray(leftKey);
    private MemorySegment rightKeySegment = MemorySegment.ofArray(rightKey);
    private final OriginalKey originalKey = new OriginalKey();
    private final ByteSource separatorSource = new ByteSource();

    /**
     * @param memory     the store's memory: nodes and separators are its blocks
     * @param dictionary the store's dictionary for coded keys, or {@code null} for plain keys
     * @param nodeSize   bytes per node, {@link NodeDescriptor#MIN_NODE_SIZE} up to the memory's
     *                   {@link PagedMemory#largeThreshold() large threshold} and {@link #MAX_NODE_SIZE}
     */
    public SortedIndex(PagedMemory memory, KeyDictionary dictionary, int nodeSize) {
        if (nodeSize < NodeDescriptor.MIN_NODE_SIZE || nodeSize > memory.largeThreshold() || nodeSize > MAX_NODE_SIZE) {
            throw new IllegalArgumentException("sorted index node size must be " + NodeDescriptor.MIN_NODE_SIZE + ".."
                + Math.min(memory.largeThreshold(), MAX_NODE_SIZE) + " bytes, was " + nodeSize);
        }
        this.memory = memory;
        this.dictionary = dictionary;
        this.nodeSize = nodeSize;
        this.leafCapacity = NodeDescriptor.leafCapacity(nodeSize);
        this.innerCapacity = NodeDescriptor.innerCapacity(nodeSize);
        this.leafMinimum = leafCapacity / 4;
        this.innerMinimum = Math.max(1, innerCapacity / 4);
        this.scratch = MemorySegment.ofArray(new byte[nodeSize + 2 * NodeDescriptor.INNER_ELEMENT]);
    }

    /** The node size to use for {@code memory}: {@link #DEFAULT_NODE_SIZE}, or less on small pages. */
    public static int nodeSizeFor(PagedMemory memory) {
        return Math.min(DEFAULT_NODE_SIZE, memory.largeThreshold());
    }

    /** Number of keys indexed. */
    public long size() {
        return size;
    }

    /** Levels of the tree: 0 when empty, 1 when the root is a leaf. */
    public int levels() {
        return root == NONE ? 0 : height + 1;
    }

    /** Bytes per node. */
    public int nodeSize() {
        return nodeSize;
    }

    // ------------------------------------------------------------------ comparisons

    /** Compares {@code key} (original form) with the original key of the entry at {@code address}. */
    private int compareEntry(ByteSource key, long address) {
        return originalKey.of(memory, dictionary, address).compare(key);
    }

    /** Compares {@code key} with the key of the block at {@code address} (a separator). */
    private int compareBlockKey(ByteSource key, long address) {
        return originalKey.of(memory, null, address).compare(key);
    }

    private int compareLeafElement(ByteSource key, long prefix, MemorySegment page, long node, int i) {
        final long p = NodeDescriptor.leafPrefix(page, node, i);
        if (p != prefix) {
            return Long.compareUnsigned(prefix, p);
        }
        return compareEntry(key, NodeDescriptor.leafAddress(page, node, i));
    }

    private int compareSeparator(ByteSource key, long prefix, MemorySegment page, long node, int i) {
        final long p = NodeDescriptor.separatorPrefix(page, node, i);
        if (p != prefix) {
            return Long.compareUnsigned(prefix, p);
        }
        return compareBlockKey(key, NodeDescriptor.separatorAddress(page, node, i));
    }

    // ------------------------------------------------------------------ checked node reads

    /** Count of the leaf at {@code offset} of {@code page}, checked (see {@link NodeDescriptor#checkedCount}). */
    private int leafCount(MemorySegment page, long offset) {
        return NodeDescriptor.checkedCount(page, offset, NodeDescriptor.LEAF, nodeSize, leafCapacity);
    }

    /** Count of the inner node at {@code offset} of {@code page}, checked. */
    private int innerCount(MemorySegment page, long offset) {
        return NodeDescriptor.checkedCount(page, offset, NodeDescriptor.INNER, nodeSize, innerCapacity);
    }

    private CorruptStateException emptyLinkedLeaf(long leaf) {
        return new CorruptStateException("sorted index of store '" + memory.budget().owner() + "': leaf at address " + leaf
            + " is linked from a neighbour but empty (only a lone root leaf can be)");
    }

    // ------------------------------------------------------------------ descent

    /** Descends to the leaf that holds or would hold {@code key}, recording the path; returns the leaf. */
    private long descend(ByteSource key, long prefix) {
        long node = root;
        for (int level = 0; level < height; level++) {
            final MemorySegment page = memory.page(node);
            final long offset = memory.offset(node);
            int lo = 0;
            int hi = innerCount(page, offset);
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (compareSeparator(key, prefix, page, offset, mid) >= 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            pathNodes[level] = node;
            pathChild[level] = lo;
            node = NodeDescriptor.child(page, offset, lo);
        }
        pathNodes[height] = node;
        return node;
    }

    /** Index of the first element of the leaf not less than {@code key}; sets {@link #lastExact}. */
    private int lowerBound(MemorySegment page, long leaf, ByteSource key, long prefix) {
        int lo = 0;
        int hi = leafCount(page, leaf);
        boolean exact = false;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            int c = compareLeafElement(key, prefix, page, leaf, mid);
            if (c > 0) {
                lo = mid + 1;
            } else {
                hi = mid;
                exact = c == 0;
            }
        }
        lastExact = exact;
        return lo;
    }

    /** Index in the leaf {@link #pathNodes}[height] of {@code key}, which must be indexed. */
    private int locateExact(ByteSource key, long prefix, String operation) {
        if (root == NONE) {
            throw missing(operation);
        }
        long leaf = descend(key, prefix);
        int i = lowerBound(memory.page(leaf), memory.offset(leaf), key, prefix);
        if (!lastExact) {
            throw missing(operation);
        }
        return i;
    }

    private CorruptStateException missing(String operation) {
        return new CorruptStateException("sorted index of store '" + memory.budget().owner()
            + "' lacks a key that the hash index holds (" + operation + ")");
    }

    // ------------------------------------------------------------------ insert

    /**
     * Plans the insert of {@code key} (original form, known to be absent): finds its place, which
     * nodes would split and the separator a leaf split would need. Changes nothing. Must be followed,
     * with no other write to this index in between, by {@link #insertPrepared} or abandoned.
     *
     * @throws CorruptStateException if the key is already indexed
     */
    public void prepareInsert(ByteSource key) {
        prepared = true;
        preparedPrefix = key.orderPrefix();
        preparedSplits = 0;
        if (root == NONE) {
            return;
        }
        final long leaf = descend(key, preparedPrefix);
        final MemorySegment page = memory.page(leaf);
        final long offset = memory.offset(leaf);
        final int count = leafCount(page, offset);
        final int position = lowerBound(page, offset, key, preparedPrefix);
        if (lastExact) {
            prepared = false;
            throw new CorruptStateException("sorted index of store '" + memory.budget().owner()
                + "' already holds a key that the hash index lacks");
        }
        preparedPosition = position;
        if (count < leafCapacity) {
            return;
        }
        int splits = 1;
        for (int level = height - 1; level >= 0; level--) {
            long node = pathNodes[level];
            if (NodeDescriptor.count(memory.page(node), memory.offset(node)) < innerCapacity) {
                break;
            }
            splits++;
        }
        preparedSplits = splits;
        final boolean append = position == count && NodeDescriptor.next(page, offset) == NONE;
        preparedSplitAt = append ? count : (count + 1) / 2;
        final int leftLength = materializeCombined(page, offset, position, key, preparedSplitAt - 1, true);
        final int rightLength = materializeCombined(page, offset, position, key, preparedSplitAt, false);
        final int m = Arrays.mismatch(leftKey, 0, leftLength, rightKey, 0, rightLength);
        if (m < 0 || m >= rightLength || (m < leftLength && (leftKey[m] & 0xFF) > (rightKey[m] & 0xFF))) {
            prepared = false;
            throw new CorruptStateException("sorted index of store '" + memory.budget().owner() + "' is out of order in a leaf");
        }
        preparedSeparatorLength = m + 1; // the shortest prefix of the right half's first key above the left half's last
    }

    /**
     * New bytes the prepared insert, together with a new entry of {@code entrySize} bytes allocated
     * first, could charge to the budget right now (an upper bound).
     */
    public long bytesNeededForInsert(int entrySize) {
        requirePrepared();
        int n = 0;
        allocationSizes[n++] = entrySize;
        if (root == NONE) {
            allocationSizes[n++] = nodeSize;
        } else if (preparedSplits > 0) {
            int nodes = preparedSplits + (preparedSplits == height + 1 ? 1 : 0);
            for (int i = 0; i < nodes; i++) {
                allocationSizes[n++] = nodeSize;
            }
            allocationSizes[n++] = EntryDescriptor.entrySize(preparedSeparatorLength, 0);
        }
        return memory.bytesNeeded(allocationSizes, n);
    }

    /** Indexes the entry at {@code address}, whose key was given to {@link #prepareInsert}. */
    public void insertPrepared(long address) {
        requirePrepared();
        prepared = false;
        if (root == NONE) {
            long leaf = memory.allocate(nodeSize);
            MemorySegment page = memory.page(leaf);
            long offset = memory.offset(leaf);
            touch(leaf);
            NodeDescriptor.initLeaf(page, offset, NONE, NONE);
            NodeDescriptor.setLeafElement(page, offset, 0, preparedPrefix, address);
            NodeDescriptor.count(page, offset, 1);
            root = head = tail = leaf;
            height = 0;
            size = 1;
            return;
        }
        final long leaf = pathNodes[height];
        final MemorySegment page = memory.page(leaf);
        final long offset = memory.offset(leaf);
        final int count = NodeDescriptor.count(page, offset);
        final int position = preparedPosition;
        final int e = NodeDescriptor.LEAF_ELEMENT;
        if (preparedSplits == 0) {
            touch(leaf);
            MemorySegment.copy(page, NodeDescriptor.leafElement(offset, position), page,
                NodeDescriptor.leafElement(offset, position + 1), (long) (count - position) * e);
            NodeDescriptor.setLeafElement(page, offset, position, preparedPrefix, address);
            NodeDescriptor.count(page, offset, count + 1);
            size++;
            return;
        }
        // split: lay the count + 1 elements out in scratch, then deal them to the two leaves
        MemorySegment.copy(page, NodeDescriptor.leafElement(offset, 0), scratch, 0, (long) position * e);
        scratch.set(LONG, (long) position * e, preparedPrefix);
        scratch.set(LONG, (long) position * e + 8, address);
        MemorySegment.copy(page, NodeDescriptor.leafElement(offset, position), scratch, (long) (position + 1) * e,
            (long) (count - position) * e);
        final int total = count + 1;
        final int splitAt = preparedSplitAt;

        final long right = memory.allocate(nodeSize);
        final MemorySegment rightPage = memory.page(right);
        final long rightOffset = memory.offset(right);
        final long next = NodeDescriptor.next(page, offset);
        touch(right);
        NodeDescriptor.initLeaf(rightPage, rightOffset, leaf, next);
        if (next != NONE) {
            leafCount(memory.page(next), memory.offset(next)); // a link read from memory: check before writing through it
            touch(next);
            NodeDescriptor.prev(memory.page(next), memory.offset(next), right);
        } else {
            tail = right;
        }
        touch(leaf);
        NodeDescriptor.next(page, offset, right);
        MemorySegment.copy(scratch, 0, page, NodeDescriptor.leafElement(offset, 0), (long) splitAt * e);
        NodeDescriptor.count(page, offset, splitAt);
        MemorySegment.copy(scratch, (long) splitAt * e, rightPage, NodeDescriptor.leafElement(rightOffset, 0),
            (long) (total - splitAt) * e);
        NodeDescriptor.count(rightPage, rightOffset, total - splitAt);
        size++;

        final int separatorLength = preparedSeparatorLength;
        final long separator = writeSeparator(rightKey, separatorLength);
        insertIntoParent(height - 1, separatorSource.wrap(rightKey, 0, separatorLength).orderPrefix(), separator, right);
    }

    private void requirePrepared() {
        if (!prepared) {
            throw new IllegalStateException("no insert prepared on the sorted index of store '" + memory.budget().owner() + "'");
        }
    }

    /** Inserts separator → child as the right neighbour of the child taken at {@code level} (a new root above level 0). */
    private void insertIntoParent(int level, long prefix, long separator, long child) {
        if (level < 0) {
            long node = memory.allocate(nodeSize);
            MemorySegment page = memory.page(node);
            long offset = memory.offset(node);
            touch(node);
            NodeDescriptor.initInner(page, offset, root);
            NodeDescriptor.setInnerElement(page, offset, 0, prefix, separator, child);
            NodeDescriptor.count(page, offset, 1);
            root = node;
            height++;
            if (height > MAX_HEIGHT) {
                throw new CorruptStateException("sorted index of store '" + memory.budget().owner() + "' is " + height + " levels high");
            }
            return;
        }
        final long node = pathNodes[level];
        final MemorySegment page = memory.page(node);
        final long offset = memory.offset(node);
        final int count = NodeDescriptor.count(page, offset);
        final int at = pathChild[level];
        final int e = NodeDescriptor.INNER_ELEMENT;
        if (count < innerCapacity) {
            touch(node);
            MemorySegment.copy(page, NodeDescriptor.innerElement(offset, at), page, NodeDescriptor.innerElement(offset, at + 1),
                (long) (count - at) * e);
            NodeDescriptor.setInnerElement(page, offset, at, prefix, separator, child);
            NodeDescriptor.count(page, offset, count + 1);
            return;
        }
        MemorySegment.copy(page, NodeDescriptor.innerElement(offset, 0), scratch, 0, (long) at * e);
        scratch.set(LONG, (long) at * e, prefix);
        scratch.set(LONG, (long) at * e + 8, separator);
        scratch.set(LONG, (long) at * e + 16, child);
        MemorySegment.copy(page, NodeDescriptor.innerElement(offset, at), scratch, (long) (at + 1) * e, (long) (count - at) * e);
        final int total = count + 1;
        final int promoted = total / 2; // moves up; its child becomes child 0 of the new right node
        final long promotedPrefix = scratch.get(LONG, (long) promoted * e);
        final long promotedSeparator = scratch.get(LONG, (long) promoted * e + 8);
        final long promotedChild = scratch.get(LONG, (long) promoted * e + 16);

        final long right = memory.allocate(nodeSize);
        final MemorySegment rightPage = memory.page(right);
        final long rightOffset = memory.offset(right);
        touch(node);
        touch(right);
        NodeDescriptor.initInner(rightPage, rightOffset, promotedChild);
        MemorySegment.copy(scratch, 0, page, NodeDescriptor.innerElement(offset, 0), (long) promoted * e);
        NodeDescriptor.count(page, offset, promoted);
        MemorySegment.copy(scratch, (long) (promoted + 1) * e, rightPage, NodeDescriptor.innerElement(rightOffset, 0),
            (long) (total - promoted - 1) * e);
        NodeDescriptor.count(rightPage, rightOffset, total - promoted - 1);
        insertIntoParent(level - 1, promotedPrefix, promotedSeparator, right);
    }

    /** Writes element {@code i} of the leaf's elements with the new key at {@code position}, as key bytes, to a scratch array. */
    private int materializeCombined(MemorySegment page, long leaf, int position, ByteSource key, int i, boolean left) {
        if (i == position) {
            ensureScratchKey(left, key.length());
            key.copyTo(left ? leftKeySegment : rightKeySegment, 0);
            return key.length();
        }
        return materializeEntry(NodeDescriptor.leafAddress(page, leaf, i < position ? i : i - 1), left);
    }

    /** Copies the original key of the entry at {@code address} into the left or right scratch array. */
    private int materializeEntry(long address, boolean left) {
        final OriginalKey k = originalKey.of(memory, dictionary, address);
        final int total = k.length();
        ensureScratchKey(left, total);
        k.copyTo(left ? leftKeySegment : rightKeySegment, 0);
        return total;
    }

    private void ensureScratchKey(boolean left, int length) {
        if (left && leftKey.length < length) {
            leftKey = new byte[Math.max(length, leftKey.length * 2)];
            leftKeySegment = MemorySegment.ofArray(leftKey);
        } else if (!left && rightKey.length < length) {
            rightKey = new byte[Math.max(length, rightKey.length * 2)];
            rightKeySegment = MemorySegment.ofArray(rightKey);
        }
    }

    private long writeSeparator(byte[] bytes, int length) {
        int size = EntryDescriptor.entrySize(length, 0);
        long address = memory.allocate(size);
        MemorySegment page = memory.page(address);
        memory.markDirty(address, size);
        long o = EntryDescriptor.writeHeader(page, memory.offset(address), length, 0);
        MemorySegment.copy(bytes, 0, page, ValueLayout.JAVA_BYTE, o, length);
        return address;
    }

    /**
     * Records that the node at {@code node} is about to change (for the flush of a file-backed
     * store and an open image): called after {@code memory.page(node)} checked the address and
     * before the node's first write (see {@link PagedMemory#markDirty}).
     */
    private void touch(long node) {
        memory.markDirty(node, nodeSize);
    }

    // ------------------------------------------------------------------ update and delete

    /**
     * The position of {@code key} (original form), which must be indexed; valid until the next write.
     *
     * @throws CorruptStateException if it is not indexed
     */
    public long positionOf(ByteSource key) {
        prepared = false;
        int i = locateExact(key, key.orderPrefix(), "update");
        return position(pathNodes[height], i);
    }

    /** Points the element at {@code position} (from {@link #positionOf}) at the entry's new address. */
    public void setAddress(long position, long address) {
        long leaf = leafOf(position);
        MemorySegment page = memory.page(leaf);
        touch(leaf);
        NodeDescriptor.leafAddress(page, memory.offset(leaf), indexOf(position), address);
    }

    /**
     * Removes {@code key} (original form), which must be indexed and whose entry must still be
     * readable (remove it from here before freeing the entry).
     *
     * @throws CorruptStateException if it is not indexed
     */
    public void delete(ByteSource key) {
        prepared = false;
        final long prefix = key.orderPrefix();
        final int i = locateExact(key, prefix, "delete");
        final long leaf = pathNodes[height];
        final MemorySegment page = memory.page(leaf);
        final long offset = memory.offset(leaf);
        final int count = NodeDescriptor.count(page, offset) - 1;
        touch(leaf);
        MemorySegment.copy(page, NodeDescriptor.leafElement(offset, i + 1), page, NodeDescriptor.leafElement(offset, i),
            (long) (count - i) * NodeDescriptor.LEAF_ELEMENT);
        NodeDescriptor.count(page, offset, count);
        size--;
        if (height == 0) {
            if (count == 0) {
                memory.free(leaf, nodeSize);
                root = head = tail = NONE;
            }
            return;
        }
        if (count < leafMinimum || count == 0) {
            final int level = height - 1;
            final long parent = pathNodes[level];
            final int child = pathChild[level];
            final int parentCount = NodeDescriptor.count(memory.page(parent), memory.offset(parent));
            if ((child > 0 && mergeLeaves(parent, child - 1)) || (child < parentCount && mergeLeaves(parent, child))) {
                rebalanceInner(level);
            }
        }
    }

    /** Merges leaf child {@code i + 1} of {@code parent} into child {@code i} if both fit one leaf. */
    private boolean mergeLeaves(long parent, int i) {
        final MemorySegment parentPage = memory.page(parent);
        final long parentOffset = memory.offset(parent);
        final long left = NodeDescriptor.child(parentPage, parentOffset, i);
        final long right = NodeDescriptor.child(parentPage, parentOffset, i + 1);
        final MemorySegment lp = memory.page(left);
        final long lo = memory.offset(left);
        final MemorySegment rp = memory.page(right);
        final long ro = memory.offset(right);
        final int lc = leafCount(lp, lo); // the sibling was not on the descent: check both
        final int rc = leafCount(rp, ro);
        if (lc + rc > leafCapacity) {
            return false;
        }
        touch(left);
        touch(parent);
        MemorySegment.copy(rp, NodeDescriptor.leafElement(ro, 0), lp, NodeDescriptor.leafElement(lo, lc),
            (long) rc * NodeDescriptor.LEAF_ELEMENT);
        NodeDescriptor.count(lp, lo, lc + rc);
        final long next = NodeDescriptor.next(rp, ro);
        NodeDescriptor.next(lp, lo, next);
        if (next != NONE) {
            leafCount(memory.page(next), memory.offset(next));
            touch(next);
            NodeDescriptor.prev(memory.page(next), memory.offset(next), left);
        } else {
            tail = left;
        }
        final long separator = NodeDescriptor.separatorAddress(parentPage, parentOffset, i);
        removeInnerElement(parentPage, parentOffset, i);
        memory.free(right, nodeSize);
        memory.free(separator, EntryDescriptor.sizeAt(memory.page(separator), memory.offset(separator)));
        return true;
    }

    /** Restores the invariants of the inner node at {@code level} of the last descent after it lost an element. */
    private void rebalanceInner(int level) {
        final long node = pathNodes[level];
        final MemorySegment page = memory.page(node);
        final long offset = memory.offset(node);
        final int count = NodeDescriptor.count(page, offset);
        if (level == 0) {
            if (count == 0) { // a root with one child: the child becomes the root
                root = NodeDescriptor.child0(page, offset);
                height--;
                memory.free(node, nodeSize);
            }
            return;
        }
        if (count >= innerMinimum) {
            return;
        }
        final long parent = pathNodes[level - 1];
        final int child = pathChild[level - 1];
        final int parentCount = NodeDescriptor.count(memory.page(parent), memory.offset(parent));
        if ((child > 0 && mergeInner(parent, child - 1)) || (child < parentCount && mergeInner(parent, child))) {
            rebalanceInner(level - 1);
            return;
        }
        // no sibling fits alongside: borrow through the parent instead (moves separators, allocates nothing)
        while (NodeDescriptor.count(page, offset) < innerMinimum && (child > 0 || parentCount > 0)) {
            if (child > 0) {
                rotateFromLeft(parent, child - 1);
            } else {
                rotateFromRight(parent, child);
            }
        }
    }

    /** Moves the last child of inner child {@code i} of {@code parent} to the front of child {@code i + 1}. */
    private void rotateFromLeft(long parent, int i) {
        final MemorySegment pp = memory.page(parent);
        final long po = memory.offset(parent);
        final long left = NodeDescriptor.child(pp, po, i);
        final long node = NodeDescriptor.child(pp, po, i + 1);
        final MemorySegment lp = memory.page(left);
        final long lo = memory.offset(left);
        final MemorySegment np = memory.page(node);
        final long no = memory.offset(node);
        final int lc = innerCount(lp, lo); // the sibling was not on the descent
        final int nc = innerCount(np, no);
        final long e = NodeDescriptor.INNER_ELEMENT;
        touch(parent);
        touch(left);
        touch(node);
        MemorySegment.copy(np, NodeDescriptor.innerElement(no, 0), np, NodeDescriptor.innerElement(no, 1), nc * e);
        NodeDescriptor.setInnerElement(np, no, 0, NodeDescriptor.separatorPrefix(pp, po, i),
            NodeDescriptor.separatorAddress(pp, po, i), NodeDescriptor.child0(np, no));
        NodeDescriptor.child0(np, no, NodeDescriptor.child(lp, lo, lc));
        NodeDescriptor.count(np, no, nc + 1);
        NodeDescriptor.setInnerElement(pp, po, i, NodeDescriptor.separatorPrefix(lp, lo, lc - 1),
            NodeDescriptor.separatorAddress(lp, lo, lc - 1), node);
        NodeDescriptor.count(lp, lo, lc - 1);
    }

    /** Moves the first child of inner child {@code i + 1} of {@code parent} to the end of child {@code i}. */
    private void rotateFromRight(long parent, int i) {
        final MemorySegment pp = memory.page(parent);
        final long po = memory.offset(parent);
        final long node = NodeDescriptor.child(pp, po, i);
        final long right = NodeDescriptor.child(pp, po, i + 1);
        final MemorySegment np = memory.page(node);
        final long no = memory.offset(node);
        final MemorySegment rp = memory.page(right);
        final long ro = memory.offset(right);
        final int nc = innerCount(np, no);
        innerCount(rp, ro); // the sibling was not on the descent
        touch(parent);
        touch(node);
        touch(right);
        NodeDescriptor.setInnerElement(np, no, nc, NodeDescriptor.separatorPrefix(pp, po, i),
            NodeDescriptor.separatorAddress(pp, po, i), NodeDescriptor.child0(rp, ro));
        NodeDescriptor.count(np, no, nc + 1);
        NodeDescriptor.setInnerElement(pp, po, i, NodeDescriptor.separatorPrefix(rp, ro, 0),
            NodeDescriptor.separatorAddress(rp, ro, 0), right);
        NodeDescriptor.child0(rp, ro, NodeDescriptor.child(rp, ro, 1));
        removeInnerElement(rp, ro, 0);
    }

    /** Merges inner child {@code i + 1} of {@code parent} into child {@code i}, pulling their separator down, if all fit. */
    private boolean mergeInner(long parent, int i) {
        final MemorySegment parentPage = memory.page(parent);
        final long parentOffset = memory.offset(parent);
        final long left = NodeDescriptor.child(parentPage, parentOffset, i);
        final long right = NodeDescriptor.child(parentPage, parentOffset, i + 1);
        final MemorySegment lp = memory.page(left);
        final long lo = memory.offset(left);
        final MemorySegment rp = memory.page(right);
        final long ro = memory.offset(right);
        final int lc = innerCount(lp, lo); // the sibling was not on the descent
        final int rc = innerCount(rp, ro);
        if (lc + 1 + rc > innerCapacity) {
            return false;
        }
        touch(left);
        touch(parent);
        NodeDescriptor.setInnerElement(lp, lo, lc, NodeDescriptor.separatorPrefix(parentPage, parentOffset, i),
            NodeDescriptor.separatorAddress(parentPage, parentOffset, i), NodeDescriptor.child0(rp, ro));
        MemorySegment.copy(rp, NodeDescriptor.innerElement(ro, 0), lp, NodeDescriptor.innerElement(lo, lc + 1),
            (long) rc * NodeDescriptor.INNER_ELEMENT);
        NodeDescriptor.count(lp, lo, lc + 1 + rc);
        removeInnerElement(parentPage, parentOffset, i);
        memory.free(right, nodeSize);
        return true;
    }

    private static void removeInnerElement(MemorySegment page, long node, int i) {
        final int count = NodeDescriptor.count(page, node) - 1;
        MemorySegment.copy(page, NodeDescriptor.innerElement(node, i + 1), page, NodeDescriptor.innerElement(node, i),
            (long) (count - i) * NodeDescriptor.INNER_ELEMENT);
        NodeDescriptor.count(page, node, count);
    }

    // ------------------------------------------------------------------ positions (reads)

    private static long position(long leaf, int index) {
        return leaf << 16 | index;
    }

    /** The leaf (its address) of {@code position}. */
    public static long leafOf(long position) {
        return position >>> 16;
    }

    /** The element index within its leaf of {@code position}. */
    public static int indexOf(long position) {
        return (int) (position & 0xFFFF);
    }

    /**
     * Loads the first byte of up to {@code n} entries from {@code position} on, in one direction,
     * within its leaf. Entries lie in insertion order, not key order, so a scan misses the cache on
     * nearly every entry; touching several in a tight loop of independent loads lets the CPU wait
     * for those misses together instead of one per step. Returns a value derived from the loads only
     * so that they cannot be elided.
     */
    public long prefetch(long position, boolean backward, int n) {
        final long leaf = leafOf(position);
        final MemorySegment page = memory.page(leaf);
        final long offset = memory.offset(leaf);
        final int i = indexOf(position);
        long sink = 0;
        if (backward) {
            for (int j = i, end = Math.max(0, i - n + 1); j >= end; j--) {
                sink += touchEntry(NodeDescriptor.leafAddress(page, offset, j));
            }
        } else {
            for (int j = i, end = Math.min(leafCount(page, offset), i + n); j < end; j++) {
                sink += touchEntry(NodeDescriptor.leafAddress(page, offset, j));
            }
        }
        return sink;
    }

    /** The first byte of the entry at {@code address}, or 0 if that offset is not in its page (damage the read itself reports). */
    private long touchEntry(long address) {
        final MemorySegment page = memory.page(address);
        final long offset = memory.offset(address);
        return offset < page.byteSize() ? page.get(ValueLayout.JAVA_BYTE, offset) : 0;
    }

    /** Position of the smallest key, or {@link #NONE}. */
    public long first() {
        return root == NONE ? NONE : forward(head, 0);
    }

    /** Position of the largest key, or {@link #NONE}. */
    public long last() {
        return root == NONE ? NONE : backward(tail, leafCount(memory.page(tail), memory.offset(tail)) - 1);
    }

    /** Position of the smallest key {@code >= key}, or {@link #NONE}. */
    public long ceiling(ByteSource key) {
        prepared = false; // the descent below overwrites the path a prepared insert planned on
        if (root == NONE) {
            return NONE;
        }
        final long prefix = key.orderPrefix();
        final long leaf = descend(key, prefix);
        return forward(leaf, lowerBound(memory.page(leaf), memory.offset(leaf), key, prefix));
    }

    /** Position of the largest key {@code < key}, or {@link #NONE}. */
    public long lower(ByteSource key) {
        prepared = false; // the descent below overwrites the path a prepared insert planned on
        if (root == NONE) {
            return NONE;
        }
        final long prefix = key.orderPrefix();
        final long leaf = descend(key, prefix);
        return backward(leaf, lowerBound(memory.page(leaf), memory.offset(leaf), key, prefix) - 1);
    }

    /** Position of the largest key {@code <= key}, or {@link #NONE}. */
    public long floor(ByteSource key) {
        prepared = false; // the descent below overwrites the path a prepared insert planned on
        if (root == NONE) {
            return NONE;
        }
        final long prefix = key.orderPrefix();
        final long leaf = descend(key, prefix);
        final int i = lowerBound(memory.page(leaf), memory.offset(leaf), key, prefix);
        return lastExact ? position(leaf, i) : backward(leaf, i - 1);
    }

    /** The position after {@code position} in key order, or {@link #NONE}. */
    public long next(long position) {
        return forward(leafOf(position), indexOf(position) + 1);
    }

    /** The position before {@code position} in key order, or {@link #NONE}. */
    public long previous(long position) {
        return backward(leafOf(position), indexOf(position) - 1);
    }

    /** Address of the entry at {@code position}. */
    public long entryAt(long position) {
        long leaf = leafOf(position);
        return NodeDescriptor.leafAddress(memory.page(leaf), memory.offset(leaf), indexOf(position));
    }

    /**
     * Compares {@code key} (original form) with the key at {@code position}: negative, zero or
     * positive as {@code key} is less than, equal to or greater than it. {@code prefix} is
     * {@code key.orderPrefix()}, passed in so a scan computes it once.
     */
    public int compareAt(ByteSource key, long prefix, long position) {
        long leaf = leafOf(position);
        return compareLeafElement(key, prefix, memory.page(leaf), memory.offset(leaf), indexOf(position));
    }

    private long forward(long leaf, int i) {
        final MemorySegment page = memory.page(leaf);
        final long offset = memory.offset(leaf);
        final int count = leafCount(page, offset);
        if (i < count) {
            return position(leaf, i);
        }
        final long next = NodeDescriptor.next(page, offset);
        if (next == NONE) {
            return NONE;
        }
        final MemorySegment nextPage = memory.page(next);
        final long nextOffset = memory.offset(next);
        if (leafCount(nextPage, nextOffset) == 0) {
            throw emptyLinkedLeaf(next); // else a damaged link could cycle through empty leaves forever
        }
        // one compare per leaf crossed: a link that leads back to smaller keys (a loop) is damage, not an endless scan
        if (count > 0 && Long.compareUnsigned(NodeDescriptor.leafPrefix(nextPage, nextOffset, 0),
            NodeDescriptor.leafPrefix(page, offset, count - 1)) < 0) {
            throw linkOutOfOrder(leaf, next);
        }
        return position(next, 0);
    }

    private long backward(long leaf, int i) {
        if (i >= 0) {
            return position(leaf, i);
        }
        final MemorySegment page = memory.page(leaf);
        final long offset = memory.offset(leaf);
        final long previous = NodeDescriptor.prev(page, offset);
        if (previous == NONE) {
            return NONE;
        }
        final MemorySegment previousPage = memory.page(previous);
        final long previousOffset = memory.offset(previous);
        final int last = leafCount(previousPage, previousOffset) - 1;
        if (last < 0) {
            throw emptyLinkedLeaf(previous);
        }
        if (leafCount(page, offset) > 0 && Long.compareUnsigned(NodeDescriptor.leafPrefix(previousPage, previousOffset, last),
            NodeDescriptor.leafPrefix(page, offset, 0)) > 0) {
            throw linkOutOfOrder(previous, leaf);
        }
        return position(previous, last);
    }

    private CorruptStateException linkOutOfOrder(long from, long to) {
        return new CorruptStateException("sorted index of store '" + memory.budget().owner() + "': leaf at address " + from
            + " links to leaf " + to + ", whose keys do not follow its own");
    }

    // ------------------------------------------------------------------ copy, checks

    /** Writes the tree's roots and shape for a flush of a file-backed store (its nodes are in the pages). */
    public void writeMeta(io.offstate.offheap.memory.MetaOut out) {
        out.putInt(nodeSize).putLong(root).putLong(head).putLong(tail).putInt(height).putLong(size);
    }

    /**
     * A sorted index reopened from {@link #writeMeta} output over {@code memory}, itself reopened.
     *
     * @throws CorruptStateException if the metadata is inconsistent
     */
    public static SortedIndex reopen(io.offstate.offheap.memory.MetaIn in, PagedMemory memory, KeyDictionary dictionary) {
        long maxAddress = PagedMemory.MAX_ADDRESS;
        SortedIndex s = new SortedIndex(memory, dictionary, in.getInt("node size", NodeDescriptor.MIN_NODE_SIZE, MAX_NODE_SIZE));
        s.root = in.getLong("root", 0, maxAddress);
        s.head = in.getLong("head", 0, maxAddress);
        s.tail = in.getLong("tail", 0, maxAddress);
        s.height = in.getInt("height", 0, MAX_HEIGHT);
        s.size = in.getLong("size", 0, Long.MAX_VALUE);
        if ((s.root == NONE) != (s.size == 0) || (s.root == NONE) != (s.head == NONE) || (s.root == NONE) != (s.tail == NONE)) {
            throw new CorruptStateException("sorted index root " + s.root + ", head " + s.head + ", tail " + s.tail
                + " and size " + s.size + " disagree");
        }
        return s;
    }

    /**
     * An independent copy over {@code copyMemory} (a byte-for-byte copy of this index's memory) and
     * {@code copyDictionary} (the copy of its dictionary, or null).
     */
    public SortedIndex copy(PagedMemory copyMemory, KeyDictionary copyDictionary) {
        SortedIndex c = new SortedIndex(copyMemory, copyDictionary, nodeSize);
        c.root = root;
        c.head = head;
        c.tail = tail;
        c.height = height;
        c.size = size;
        return c;
    }

    /**
     * Number of nodes (inner and leaves) the tree holds now, by walking its inner levels: O(nodes),
     * for statistics, not for hot paths. Reads only, allocates nothing.
     */
    public long nodes() {
        return root == NONE ? 0 : countNodes(root, height);
    }

    private long countNodes(long node, int level) {
        if (level == 0) {
            return 1;
        }
        final MemorySegment page = memory.page(node);
        final long offset = memory.offset(node);
        final int count = innerCount(page, offset);
        long n = 1;
        for (int j = 0; j <= count; j++) {
            n += countNodes(NodeDescriptor.child(page, offset, j), level - 1);
        }
        return n;
    }

    /**
     * Walks the whole tree and checks its invariants: node bounds, kinds and counts, order within
     * and across nodes, separators bounding their children, leaf links both ways, node fill, height
     * and size, and that every entry it points at decodes. For tests and {@code verify}; O(n), reads
     * only. Every walk is bounded by the size, so damaged links cannot make it loop.
     *
     * @throws CorruptStateException naming the first broken invariant
     */
    public void verify() {
        verify(null);
    }

    /**
     * As {@link #verify()}, and also that every key it holds is in {@code map}'s hash index with
     * the same entry (with equal sizes, the two then hold exactly the same keys).
     *
     * @param map the store's entry map, or null to skip that check
     * @throws CorruptStateException naming the first broken invariant
     */
    public void verify(EntryMap map) {
        prepared = false; // the scan below uses the scratch keys a prepared insert planned with
        if (root == NONE) {
            if (size != 0 || head != NONE || tail != NONE) {
                throw new CorruptStateException("empty sorted index with size " + size + ", head " + head + ", tail " + tail);
            }
            return;
        }
        long[] counted = new long[1];
        long[] lastLeaf = new long[] {NONE};
        verifyNode(root, height, null, null, counted, lastLeaf, map);
        if (counted[0] != size) {
            throw new CorruptStateException("sorted index holds " + counted[0] + " keys, size says " + size);
        }
        if (lastLeaf[0] != tail) {
            throw new CorruptStateException("sorted index tail " + tail + " is not the last leaf " + lastLeaf[0]);
        }
        if (NodeDescriptor.next(memory.page(tail), memory.offset(tail)) != NONE) {
            throw new CorruptStateException("sorted index tail " + tail + " links on to " + NodeDescriptor.next(memory.page(tail), memory.offset(tail)));
        }
        // a full scan must see every key once, in strictly increasing order; bounded by the size
        byte[] previous = null;
        long n = 0;
        for (long p = first(); p != NONE; p = next(p)) {
            if (n == size) {
                throw new CorruptStateException("sorted index scan runs past its " + size + " keys (a leaf link loops)");
            }
            int length = materializeEntry(entryAt(p), true);
            byte[] current = Arrays.copyOf(leftKey, length);
            if (previous != null && Arrays.compareUnsigned(previous, current) >= 0) {
                throw new CorruptStateException("sorted index scan is out of order at key " + n);
            }
            previous = current;
            n++;
        }
        if (n != size) {
            throw new CorruptStateException("sorted index scan saw " + n + " keys, size says " + size);
        }
    }

    private void verifyNode(long node, int level, byte[] low, byte[] high, long[] counted, long[] lastLeaf, EntryMap map) {
        final MemorySegment page = memory.page(node);
        final long offset = memory.offset(node);
        if (offset + nodeSize > page.byteSize()) {
            throw new CorruptStateException("bad " + (level == 0 ? "leaf" : "inner node") + " at " + node + ": its " + nodeSize
                + " bytes run past the end of its " + page.byteSize() + "-byte page");
        }
        final int count = NodeDescriptor.count(page, offset);
        final byte kind = NodeDescriptor.kind(page, offset);
        if (level == 0) {
            if (kind != NodeDescriptor.LEAF || count < 0 || count > leafCapacity || (count == 0 && node != root)) {
                throw new CorruptStateException("bad leaf at " + node + ": kind " + kind + ", count " + count);
            }
            if (counted[0] + count > size) {
                throw new CorruptStateException("sorted index leaves hold more than its " + size + " keys (at leaf " + node + ")");
            }
            if (NodeDescriptor.prev(page, offset) != lastLeaf[0]) {
                throw new CorruptStateException("leaf " + node + " links back to " + NodeDescriptor.prev(page, offset)
                    + ", not " + lastLeaf[0]);
            }
            if (lastLeaf[0] == NONE ? head != node : NodeDescriptor.next(memory.page(lastLeaf[0]), memory.offset(lastLeaf[0])) != node) {
                throw new CorruptStateException("leaf " + node + " is not linked from its predecessor");
            }
            lastLeaf[0] = node;
            for (int i = 0; i < count; i++) {
                long address = NodeDescriptor.leafAddress(page, offset, i);
                int length = materializeEntry(address, true);
                byte[] key = Arrays.copyOf(leftKey, length);
                if (NodeDescriptor.leafPrefix(page, offset, i) != separatorSource.wrap(key).orderPrefix()) {
                    throw new CorruptStateException("leaf " + node + " element " + i + " has a wrong order prefix");
                }
                if ((low != null && Arrays.compareUnsigned(key, low) < 0) || (high != null && Arrays.compareUnsigned(key, high) >= 0)) {
                    throw new CorruptStateException("leaf " + node + " element " + i + " lies outside its separators");
                }
                if (map != null && !map.indexes(address)) {
                    throw new CorruptStateException("leaf " + node + " element " + i + " points at entry " + address
                        + ", which the hash index does not hold for its key");
                }
            }
            counted[0] += count;
            return;
        }
        if (kind != NodeDescriptor.INNER || count < 0 || count > innerCapacity || (count == 0 && node != root)) {
            throw new CorruptStateException("bad inner node at " + node + ": kind " + kind + ", count " + count);
        }
        byte[] childLow = low;
        for (int j = 0; j <= count; j++) {
            byte[] childHigh = high;
            if (j < count) {
                long s = NodeDescriptor.separatorAddress(page, offset, j);
                MemorySegment sp = memory.page(s);
                long span = EntryDescriptor.keySpan(sp, memory.offset(s));
                childHigh = sp.asSlice(memory.offset(s) + EntryDescriptor.spanOffset(span), EntryDescriptor.spanLength(span))
                    .toArray(ValueLayout.JAVA_BYTE);
                if (NodeDescriptor.separatorPrefix(page, offset, j) != separatorSource.wrap(childHigh).orderPrefix()) {
                    throw new CorruptStateException("inner node " + node + " separator " + j + " has a wrong order prefix");
                }
                if ((childLow != null && Arrays.compareUnsigned(childHigh, childLow) <= 0)
                    || (high != null && Arrays.compareUnsigned(childHigh, high) >= 0)) {
                    throw new CorruptStateException("inner node " + node + " separator " + j + " is out of order");
                }
            }
            verifyNode(NodeDescriptor.child(page, offset, j), level - 1, childLow, childHigh, counted, lastLeaf, map);
            childLow = childHigh;
        }
    }
}
