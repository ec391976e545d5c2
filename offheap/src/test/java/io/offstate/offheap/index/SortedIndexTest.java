package io.offstate.offheap.index;

import static io.offstate.offheap.index.SortedIndexFixture.hex;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.NavigableMap;
import java.util.Random;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.StoreFullException;
import io.offstate.offheap.index.SortedIndexFixture.Node;
import io.offstate.offheap.index.SortedIndexFixture.Shape;
import io.offstate.offheap.memory.MemoryBudget;
import io.offstate.offheap.memory.MetaIn;
import io.offstate.offheap.memory.MetaOut;
import io.offstate.offheap.memory.PagedMemory;

/**
 * The B+tree on its own, over real entries of an {@link EntryMap} in one {@link PagedMemory}, next
 * to a {@link java.util.TreeMap} model in unsigned lexicographic order: small node sizes (leaves of
 * 6 to 14 elements) make deep trees out of a few hundred keys, so every split, merge, rotation and
 * root change happens many times; {@link SortedIndex#verify()} runs after every batch of writes and
 * is itself shown to catch damaged nodes.
 */
class SortedIndexTest {
    private static final long NONE = SortedIndex.NONE;
    /** Leaves of 6 elements, inner nodes of 4 separators (minimum 1). */
    private static final int SMALLEST = NodeDescriptor.MIN_NODE_SIZE;

    // ------------------------------------------------------------------ keys

    /** {@code value} as {@code width} big-endian bytes: numeric order is the unsigned byte order. */
    private static byte[] be(long value, int width) {
        byte[] b = new byte[width];
        for (int i = width - 1; i >= 0; i--) {
            b[i] = (byte) value;
            value >>>= 8;
        }
        return b;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] c = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    private static byte[] repeat(int b, int n) {
        byte[] r = new byte[n];
        Arrays.fill(r, (byte) b);
        return r;
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }

    private static final int[] ALPHABET = {0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF, 'a', 'b'};

    /** Short, 8-byte-ish and long-shared-prefix keys from a small alphabet: many ties on the order prefix. */
    private static byte[] randomKey(Random r) {
        int kind = r.nextInt(4);
        int length = switch (kind) {
            case 0 -> r.nextInt(8);
            case 1 -> 7 + r.nextInt(4);
            case 2 -> 20 + r.nextInt(30);
            default -> r.nextInt(16);
        };
        byte[] b = new byte[length];
        for (int i = 0; i < length; i++) {
            b[i] = (byte) (kind == 2 && i < 18 ? 'p' : r.nextInt(3) == 0 ? r.nextInt(256) : ALPHABET[r.nextInt(ALPHABET.length)]);
        }
        return b;
    }

    private static byte[] absentKey(Random r, SortedIndexFixture fx) {
        byte[] k;
        do {
            k = randomKey(r);
        } while (fx.model.containsKey(k));
        return k;
    }

    /**
     * Keys that tie on the 8-byte order prefix: the empty key and runs of 0x00 (all prefix 0),
     * keys shorter than 8 bytes equal to longer ones up to zero padding, 8-byte prefixes followed by
     * 0x00/0x7F/0x80/0xFF, the signed/unsigned boundary 0x7F/0x80 in the prefix, 0xFF runs (prefix
     * -1 as a signed long) and a family sharing a 60-byte prefix.
     */
    private static List<byte[]> tyingKeys() {
        TreeSet<byte[]> keys = new TreeSet<>(Arrays::compareUnsigned);
        for (int n = 0; n <= 10; n++) {
            keys.add(repeat(0x00, n));
            keys.add(repeat(0xFF, n));
            keys.add(concat(ascii("a"), repeat(0x00, n)));
            keys.add(concat(repeat(0x7F, Math.max(1, n)), repeat(0xFF, 10 - n)));
            keys.add(concat(repeat(0x80, Math.max(1, n)), repeat(0x00, 10 - n)));
        }
        keys.add(concat(repeat(0x00, 8), bytes(0x01)));
        keys.add(concat(repeat(0x00, 7), bytes(0x01)));
        keys.add(concat(repeat(0xFF, 8), bytes(0x00)));
        keys.add(concat(repeat(0xFF, 7), bytes(0xFE)));
        keys.add(repeat(0xFF, 40));
        keys.add(concat(ascii("a"), concat(repeat(0x00, 7), bytes(0x01))));
        for (int last : new int[] {0x00, 0x01, 0x7F, 0x80, 0xFE, 0xFF}) {
            keys.add(concat(ascii("abcdefgh"), bytes(last)));
            keys.add(concat(ascii("abcdefgh"), concat(repeat('x', 40), bytes(last))));
            keys.add(concat(ascii("abcdefg"), bytes(last)));
            keys.add(concat(repeat('p', 60), bytes(last)));
            keys.add(concat(repeat('p', 60), bytes(last, last)));
        }
        keys.add(ascii("abcdefgh"));
        keys.add(ascii("abcdefg"));
        keys.add(ascii("abcdefghi"));
        keys.add(repeat('p', 60));
        keys.add(repeat('p', 59));
        keys.add(repeat('p', 61));
        for (int i = 0; i < 256; i += 5) {
            keys.add(concat(repeat('p', 60), be(i * 257, 2)));
        }
        return new ArrayList<>(keys);
    }

    /** Probes around {@code key}: just above it, just below it (a proper prefix), and with its last byte bumped either way. */
    private static List<byte[]> probesAround(byte[] key) {
        List<byte[]> probes = new ArrayList<>();
        probes.add(key);
        probes.add(concat(key, bytes(0x00)));
        probes.add(concat(key, bytes(0xFF)));
        if (key.length > 0) {
            probes.add(Arrays.copyOf(key, key.length - 1));
            int last = key[key.length - 1] & 0xFF;
            if (last < 0xFF) {
                byte[] up = key.clone();
                up[up.length - 1]++;
                probes.add(up);
            }
            if (last > 0) {
                byte[] down = key.clone();
                down[down.length - 1]--;
                probes.add(down);
            }
        }
        return probes;
    }

    // ------------------------------------------------------------------ shape checks

    private static void assertLeavesAtLeastHalfFullExceptTheLast(SortedIndexFixture fx, String when) {
        Shape shape = fx.shape();
        int leafCapacity = NodeDescriptor.leafCapacity(fx.index.nodeSize());
        int innerCapacity = NodeDescriptor.innerCapacity(fx.index.nodeSize());
        List<Node> leaves = shape.leaves();
        for (int i = 0; i < leaves.size() - 1; i++) {
            assertTrue(leaves.get(i).count() >= leafCapacity / 2,
                "leaf " + i + " of " + leaves.size() + " holds " + leaves.get(i).count() + " of " + leafCapacity + " " + when);
        }
        for (Node n : shape.nodes().values()) {
            if (!n.leaf() && n.address() != shape.root()) {
                assertTrue(n.count() >= innerCapacity / 2,
                    "inner node at level " + n.level() + " holds " + n.count() + " of " + innerCapacity + " " + when);
            }
        }
    }

    /** What deletes may leave: inner nodes at least a quarter full (the root at least 1), no empty leaf but a root. */
    private static void assertDeleteInvariants(SortedIndexFixture fx, Shape shape, String when) {
        int innerMinimum = Math.max(1, NodeDescriptor.innerCapacity(fx.index.nodeSize()) / 4);
        assertEquals(fx.index.levels(), shape.root() == NONE ? 0 : shape.height() + 1, "levels " + when);
        for (Node n : shape.nodes().values()) {
            if (n.leaf()) {
                assertTrue(n.count() > 0 || n.address() == shape.root(), "empty leaf " + when);
            } else {
                int minimum = n.address() == shape.root() ? 1 : innerMinimum;
                assertTrue(n.count() >= minimum, "inner node at level " + n.level() + " holds " + n.count()
                    + " separators, below " + minimum + " " + when);
            }
        }
    }

    /** Counts what a delete did to the tree's shape. */
    private static final class Rebalances {
        int leafMerges;
        int innerMerges;
        int rotations;
        int rootCollapses;

        void record(Shape before, Shape after) {
            if (after.leaves().size() < before.leaves().size()) {
                leafMerges++;
            }
            boolean collapsed = after.height() < before.height();
            if (collapsed) {
                rootCollapses++;
            }
            if (before.innerCount() - after.innerCount() > (collapsed ? 1 : 0)) {
                innerMerges++;
            }
            // a rotation hands a child from one surviving inner node to another (a merge frees the node it empties)
            for (Node n : after.nodes().values()) {
                Node old = before.node(n.address());
                if (old != null && old.parent() != NONE && n.parent() != NONE && old.parent() != n.parent()
                    && after.nodes().containsKey(old.parent())) {
                    rotations++;
                    break;
                }
            }
        }

        @Override
        public String toString() {
            return leafMerges + " leaf merges, " + innerMerges + " inner merges, " + rotations + " rotations, "
                + rootCollapses + " root collapses";
        }
    }

    // ------------------------------------------------------------------ construction

    @Test
    void nodeSizeIsBoundedByTheMinimumThePagesAndTheMaximum() {
        assertEquals(6, NodeDescriptor.leafCapacity(NodeDescriptor.MIN_NODE_SIZE));
        assertEquals(4, NodeDescriptor.innerCapacity(NodeDescriptor.MIN_NODE_SIZE));
        try (PagedMemory small = new PagedMemory(12, new MemoryBudget("s", Long.MAX_VALUE));
             PagedMemory large = new PagedMemory(20, new MemoryBudget("l", Long.MAX_VALUE))) {
            assertEquals(128, new SortedIndex(small, null, 128).nodeSize());
            assertEquals(1024, new SortedIndex(small, null, 1024).nodeSize());
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new SortedIndex(small, null, 127));
            assertTrue(e.getMessage().contains("128..1024"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> new SortedIndex(small, null, 1025)); // above the large threshold
            assertEquals(SortedIndex.MAX_NODE_SIZE, new SortedIndex(large, null, SortedIndex.MAX_NODE_SIZE).nodeSize());
            e = assertThrows(IllegalArgumentException.class, () -> new SortedIndex(large, null, SortedIndex.MAX_NODE_SIZE + 1));
            assertTrue(e.getMessage().contains("128..65536"), e.getMessage());
            assertEquals(0, small.bytesAllocated() + large.bytesAllocated(), "constructing allocates no node");
        }
    }

    @Test
    void nodeSizeForIsTheDefaultUnlessPagesAreTooSmall() {
        try (PagedMemory p4k = new PagedMemory(12, new MemoryBudget("a", Long.MAX_VALUE));
             PagedMemory p8k = new PagedMemory(13, new MemoryBudget("b", Long.MAX_VALUE));
             PagedMemory p1m = new PagedMemory(20, new MemoryBudget("c", Long.MAX_VALUE))) {
            assertEquals(1024, SortedIndex.nodeSizeFor(p4k));
            assertEquals(SortedIndex.DEFAULT_NODE_SIZE, SortedIndex.nodeSizeFor(p8k));
            assertEquals(SortedIndex.DEFAULT_NODE_SIZE, SortedIndex.nodeSizeFor(p1m));
        }
    }

    @Test
    void emptyIndexHasNoPositionsAndRejectsUpdatesOfAbsentKeys() {
        try (SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST)) {
            SortedIndex index = fx.index;
            assertEquals(0, index.size());
            assertEquals(0, index.levels());
            assertEquals(NONE, index.first());
            assertEquals(NONE, index.last());
            for (byte[] probe : List.of(new byte[0], bytes(0x00), ascii("m"), repeat(0xFF, 20))) {
                assertEquals(NONE, index.ceiling(fx.key(probe)), hex(probe));
                assertEquals(NONE, index.floor(fx.key(probe)), hex(probe));
                assertEquals(NONE, index.lower(fx.key(probe)), hex(probe));
            }
            index.verify();
            CorruptStateException e = assertThrows(CorruptStateException.class, () -> index.delete(fx.key(ascii("x"))));
            assertTrue(e.getMessage().contains("lacks a key") && e.getMessage().contains("sorted-test"), e.getMessage());
            assertThrows(CorruptStateException.class, () -> index.positionOf(fx.key(ascii("x"))));
            assertEquals(0, fx.memory.bytesAllocated(), "no node allocated");
        }
    }

    // ------------------------------------------------------------------ inserts

    @ParameterizedTest(name = "node size {0}")
    @ValueSource(ints = {128, 256, 1024})
    void ascendingInsertsFillLeavesCompletely(int nodeSize) {
        try (SortedIndexFixture fx = SortedIndexFixture.plain(nodeSize)) {
            int leafCapacity = NodeDescriptor.leafCapacity(nodeSize);
            int n = 1500;
            for (int i = 0; i < n; i++) {
                fx.insert(ascii(String.format("key-%06d", i))); // 10 bytes, ties on the 8-byte prefix in runs of 100
                if (i % 100 == 99) {
                    fx.checkAgainstModel("after " + (i + 1) + " ascending inserts");
                }
            }
            List<Node> leaves = fx.shape().leaves();
            assertEquals((n + leafCapacity - 1) / leafCapacity, leaves.size(), "leaves");
            for (int i = 0; i < leaves.size() - 1; i++) {
                assertEquals(leafCapacity, leaves.get(i).count(), "leaf " + i + " of " + leaves.size() + " is full");
            }
            assertEquals(n - (leaves.size() - 1) * leafCapacity, leaves.get(leaves.size() - 1).count(), "last leaf");
            assertTrue(fx.index.levels() >= (nodeSize == 128 ? 5 : 2), "a deep tree: " + fx.index.levels() + " levels");
            assertEquals(0, fx.underestimates, "inserts allocating more than bytesNeededForInsert");
        }
    }

    @ParameterizedTest(name = "node size {0}")
    @ValueSource(ints = {128, 160, 256})
    void descendingInsertsSplitLeavesInHalf(int nodeSize) {
        try (SortedIndexFixture fx = SortedIndexFixture.plain(nodeSize)) {
            int n = 1200;
            for (int i = n - 1; i >= 0; i--) {
                fx.insert(be(i, 3));
                if (i % 100 == 0) {
                    fx.checkAgainstModel("after inserting down to " + i);
                    assertLeavesAtLeastHalfFullExceptTheLast(fx, "after inserting down to " + i);
                }
            }
            List<Node> leaves = fx.shape().leaves();
            int leafCapacity = NodeDescriptor.leafCapacity(nodeSize);
            // every split but the first happens in the head leaf and leaves the right half of cap + 1 behind
            for (int i = 1; i < leaves.size(); i++) {
                assertEquals(leafCapacity + 1 - (leafCapacity + 1) / 2, leaves.get(i).count(), "leaf " + i);
            }
            assertEquals(0, fx.underestimates, "inserts allocating more than bytesNeededForInsert");
        }
    }

    @ParameterizedTest(name = "node size {0}")
    @ValueSource(ints = {128, 160, 256, 1024})
    void randomInsertsMatchTheModelAndKeepLeavesHalfFull(int nodeSize) {
        long seed = 1000 + nodeSize;
        Random r = new Random(seed);
        try (SortedIndexFixture fx = SortedIndexFixture.plain(nodeSize)) {
            for (int i = 1; i <= 1500; i++) {
                fx.insert(absentKey(r, fx));
                if (i % 50 == 0) {
                    String when = "after " + i + " random inserts (seed " + seed + ")";
                    fx.checkAgainstModel(when);
                    assertLeavesAtLeastHalfFullExceptTheLast(fx, when);
                }
            }
            assertTrue(fx.index.levels() >= (nodeSize == 1024 ? 2 : 3), "levels " + fx.index.levels());
            assertEquals(0, fx.underestimates, "inserts allocating more than bytesNeededForInsert");
        }
    }

    @Test
    void keysTyingOnTheOrderPrefixAreOrderedByTheirWholeBytes() {
        List<byte[]> keys = tyingKeys();
        for (int order = 0; order < 6; order++) {
            List<byte[]> sequence = new ArrayList<>(keys);
            if (order == 1) {
                Collections.reverse(sequence);
            } else if (order > 1) {
                Collections.shuffle(sequence, new Random(order));
            }
            String how = order == 0 ? "ascending" : order == 1 ? "descending" : "shuffled with seed " + order;
            try (SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST)) {
                for (int i = 0; i < sequence.size(); i++) {
                    fx.insert(sequence.get(i));
                    if (i % 10 == 0) {
                        fx.checkAgainstModel("after " + (i + 1) + " " + how + " inserts of tying keys");
                    }
                }
                fx.checkAgainstModel("after all " + how + " inserts of tying keys");
                for (byte[] key : keys) {
                    for (byte[] probe : probesAround(key)) {
                        fx.checkSeek(probe, how);
                    }
                    long p = fx.index.ceiling(fx.key(key));
                    assertEquals(p, fx.index.positionOf(fx.key(key)), "positionOf " + hex(key) + " " + how);
                    assertEquals(p, fx.index.floor(fx.key(key)), "floor of a present key is itself: " + hex(key));
                }
                // deleting every other key keeps the order of the rest
                for (int i = 0; i < sequence.size(); i += 2) {
                    fx.delete(sequence.get(i));
                    if (i % 10 == 0) {
                        fx.checkAgainstModel("after deleting " + hex(sequence.get(i)) + " " + how);
                    }
                }
                fx.checkAgainstModel("after deleting half the tying keys " + how);
            }
        }
    }

    @ParameterizedTest(name = "shared prefix of {0} bytes")
    @ValueSource(ints = {300, 2000}) // 2000: entries and separators are large blocks (above 1024 bytes)
    void longSharedPrefixesMakeLongSeparatorsThatStillRoute(int stemLength) {
        try (SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST)) {
            byte[] stem = repeat('s', stemLength);
            List<byte[]> keys = new ArrayList<>();
            int n = stemLength > 1000 ? 120 : 400;
            for (int i = 0; i < n; i++) {
                keys.add(concat(stem, be(i * 7919L % n, 2)));
            }
            for (byte[] k : keys) {
                fx.insert(k);
            }
            fx.checkAgainstModel("with a " + stemLength + "-byte shared prefix");
            // separators had to reach past the stem to split two leaves
            Shape shape = fx.shape();
            Node root = shape.node(shape.root());
            assertTrue(shape.height() >= 2, "height " + shape.height());
            MemorySegment page = fx.memory.page(root.address());
            long sep = NodeDescriptor.separatorAddress(page, fx.memory.offset(root.address()), 0);
            assertEquals(stem.length + 2, EntryDescriptor.keyLength(fx.memory.page(sep), fx.memory.offset(sep)),
                "the root's first separator is the stem plus the two bytes that split");
            for (byte[] k : keys) {
                for (byte[] probe : probesAround(k)) {
                    fx.checkSeek(probe, "with a " + stemLength + "-byte shared prefix");
                }
            }
            fx.checkSeek(stem, "the bare stem");
            fx.checkSeek(concat(stem, repeat(0xFF, 3)), "past the last key");
            for (int i = 0; i < n; i += 2) {
                fx.delete(keys.get(i));
            }
            fx.checkAgainstModel("after deleting half the keys with a " + stemLength + "-byte shared prefix");
            assertEquals(0, fx.underestimates, "inserts allocating more than bytesNeededForInsert");
        }
    }

    @Test
    void codedKeysAreOrderedByTheirOriginalBytesNotByTheirCodes() {
        long seed = 77;
        Random r = new Random(seed);
        try (SortedIndexFixture fx = SortedIndexFixture.coded(SMALLEST, 2)) {
            // register the components in descending byte order: codes run against the key order
            List<byte[]> components = new ArrayList<>();
            for (int a : ALPHABET) {
                for (int b : ALPHABET) {
                    components.add(bytes(a, b));
                }
                components.add(bytes(a));
            }
            components.add(new byte[0]);
            components.sort((x, y) -> Arrays.compareUnsigned(y, x));
            for (byte[] c : components) {
                fx.dictionary.add(new ByteSource().wrap(c));
            }
            for (int i = 1; i <= 600; i++) {
                fx.insert(absentKey(r, fx));
                if (i % 25 == 0) {
                    fx.checkAgainstModel("after " + i + " coded inserts (seed " + seed + ")");
                }
            }
            assertTrue(fx.dictionary.size() > components.size(), "longer components were added during the inserts too");
            for (byte[] k : new ArrayList<>(fx.model.keySet())) {
                fx.checkSeek(concat(k, bytes(0x00)), "coded keys");
            }
            List<byte[]> present = new ArrayList<>(fx.model.keySet());
            Collections.shuffle(present, r);
            for (int i = 0; i < present.size(); i++) {
                fx.delete(present.get(i));
                if (i % 25 == 0) {
                    fx.checkAgainstModel("after " + (i + 1) + " coded deletes (seed " + seed + ")");
                }
            }
            fx.checkAgainstModel("after deleting every coded key");
            assertEquals(0, fx.index.levels());
        }
    }

    // ------------------------------------------------------------------ deletes

    @ParameterizedTest(name = "node size {0}")
    @ValueSource(ints = {128, 160, 256})
    void deletesDownToEmptyMergeRotateAndCollapseTheRoot(int nodeSize) {
        long seed = 2000 + nodeSize;
        Random r = new Random(seed);
        Rebalances seen = new Rebalances();
        try (SortedIndexFixture fx = SortedIndexFixture.plain(nodeSize)) {
            for (int round = 0; round < 2; round++) {
                while (fx.model.size() < 500) {
                    fx.insert(absentKey(r, fx));
                }
                fx.checkAgainstModel("after filling, round " + round + " (seed " + seed + ")");
                List<byte[]> keys = new ArrayList<>(fx.model.keySet());
                if (round == 0) {
                    Collections.shuffle(keys, r);
                }
                // round 1 deletes in ascending order: the leftmost leaf empties again and again
                for (int i = 0; i < keys.size(); i++) {
                    Shape before = fx.shape();
                    fx.delete(keys.get(i));
                    String when = "after deleting " + hex(keys.get(i)) + " (" + (i + 1) + " of " + keys.size()
                        + ", round " + round + ", seed " + seed + ")";
                    fx.checkAgainstModel(when);
                    Shape after = fx.shape();
                    assertDeleteInvariants(fx, after, when);
                    seen.record(before, after);
                }
                assertEquals(0, fx.index.size());
                assertEquals(0, fx.index.levels(), "the last delete frees the root leaf");
                assertEquals(NONE, fx.index.first());
                assertEquals(NONE, fx.index.last());
            }
        }
        assertTrue(seen.leafMerges > 0 && seen.innerMerges > 0 && seen.rootCollapses > 0, "merges and root collapses happened: " + seen);
        if (NodeDescriptor.innerCapacity(nodeSize) <= 6) {
            // with wider inner nodes a sibling too full to merge with is rare; the borrow tests below force it
            assertTrue(seen.rotations > 0, "rotations happened: " + seen);
        }
    }

    @Test
    void deleteBelowQuarterFullMergesIntoASiblingThatFits() {
        int nodeSize = 256; // leaves of 14 (a quarter: 3), inner nodes of 10
        try (SortedIndexFixture fx = SortedIndexFixture.plain(nodeSize)) {
            assertEquals(14, NodeDescriptor.leafCapacity(nodeSize));
            for (int i = 0; i < 42; i++) {
                fx.insert(be(i, 1));
            }
            assertEquals(List.of(14, 14, 14), leafCounts(fx), "ascending inserts fill three leaves");
            for (int i = 41; i >= 32; i--) { // the third leaf down to 4: not below a quarter
                fx.delete(be(i, 1));
            }
            assertEquals(List.of(14, 14, 4), leafCounts(fx));
            for (int i = 27; i >= 17; i--) { // the second leaf down to 3, a quarter: no merge yet
                fx.delete(be(i, 1));
            }
            assertEquals(List.of(14, 3, 4), leafCounts(fx));
            fx.delete(be(16, 1)); // 2: below a quarter; the left sibling cannot take it, the right one can
            assertEquals(List.of(14, 6), leafCounts(fx));
            fx.checkAgainstModel("after the merge into the right sibling");
            for (int i : new int[] {28, 29, 30, 31}) { // the merged leaf down to 2: nothing fits its only sibling
                fx.delete(be(i, 1));
            }
            assertEquals(List.of(14, 2), leafCounts(fx), "a leaf below a quarter stays when no sibling can take it");
            assertEquals(2, fx.index.levels());
            fx.delete(be(14, 1));
            fx.delete(be(15, 1)); // empty: it merges into the full left leaf, and the root is left with one child
            assertEquals(List.of(14), leafCounts(fx));
            assertEquals(1, fx.index.levels(), "the root collapsed onto its only child");
            fx.checkAgainstModel("after the root collapse");
        }
    }

    private static List<Integer> leafCounts(SortedIndexFixture fx) {
        return fx.shape().leaves().stream().map(Node::count).toList();
    }

    /** Ascending keys 10, 20, ... into 128-byte nodes: a height-2 tree with gaps to insert into. */
    private static SortedIndexFixture heightTwoTree() {
        SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST);
        for (int i = 1; i <= 60; i++) {
            fx.insert(be(i * 10, 2));
        }
        assertEquals(3, fx.index.levels(), "root, one level of inner nodes, leaves");
        return fx;
    }

    private static long keyValue(byte[] key) {
        return ((key[0] & 0xFF) << 8) | (key[1] & 0xFF);
    }

    /** Keys of the leaves below the inner node {@code inner}, read from the index. */
    private static List<byte[]> keysUnder(SortedIndexFixture fx, Shape shape, Node inner) {
        List<byte[]> keys = new ArrayList<>();
        for (long leaf : inner.children()) {
            for (int i = 0; i < shape.node(leaf).count(); i++) {
                keys.add(fx.keyOfEntry(NodeDescriptor.leafAddress(fx.memory.page(leaf), fx.memory.offset(leaf), i)));
            }
        }
        return keys;
    }

    /** Inserts keys into the gaps below {@code inner} until it holds {@code count} separators. */
    private static void growInnerNodeTo(SortedIndexFixture fx, int childIndex, int count) {
        for (int guard = 0; guard < 200; guard++) {
            Shape shape = fx.shape();
            Node inner = shape.node(shape.node(shape.root()).children().get(childIndex));
            if (inner.count() == count) {
                return;
            }
            assertTrue(inner.count() < count, "inner node overshot to " + inner.count());
            byte[] first = keysUnder(fx, shape, inner).get(0);
            long k = keyValue(first) + 1;
            while (fx.model.containsKey(be(k, 2))) {
                k++;
            }
            fx.insert(be(k, 2));
        }
        fail("could not grow the inner node to " + count);
    }

    /** Deletes the keys below root child {@code childIndex}, last leaf first, until one delete moves a child between inner nodes. */
    private static void emptyInnerNodeUntilItBorrows(SortedIndexFixture fx, int childIndex, int donorIndex, int donorBefore) {
        Shape start = fx.shape();
        Node node = start.node(start.node(start.root()).children().get(childIndex));
        Node donor = start.node(start.node(start.root()).children().get(donorIndex));
        assertEquals(donorBefore, donor.count(), "the sibling is full, so the two cannot merge");
        List<byte[]> keys = keysUnder(fx, start, node);
        Collections.reverse(keys);
        for (byte[] k : keys) {
            Shape before = fx.shape();
            int countBefore = before.node(node.address()).count();
            fx.delete(k);
            fx.checkAgainstModel("after deleting " + hex(k));
            Shape after = fx.shape();
            assertDeleteInvariants(fx, after, "after deleting " + hex(k));
            if (countBefore == 1 && after.leaves().size() < before.leaves().size()) {
                // the node fell to 0 separators: its full sibling lends it one child through the root
                assertEquals(before.innerCount(), after.innerCount(), "no inner node merged or freed");
                assertEquals(1, after.node(node.address()).count(), "the node borrowed one child");
                assertEquals(donorBefore - 1, after.node(donor.address()).count(), "the sibling lent one");
                assertEquals(3, fx.index.levels());
                long moved = after.node(node.address()).children().get(childIndex < donorIndex ? 1 : 0);
                assertEquals(donor.address(), before.node(moved).parent(), "the borrowed child came from the sibling");
                return;
            }
        }
        fail("the inner node never fell below a quarter");
    }

    @Test
    void innerNodeBelowQuarterFullBorrowsFromAFullRightSibling() {
        try (SortedIndexFixture fx = heightTwoTree()) {
            growInnerNodeTo(fx, 1, NodeDescriptor.innerCapacity(SMALLEST));
            fx.checkAgainstModel("after filling root child 1");
            emptyInnerNodeUntilItBorrows(fx, 0, 1, NodeDescriptor.innerCapacity(SMALLEST));
        }
    }

    @Test
    void innerNodeBelowQuarterFullBorrowsFromAFullLeftSibling() {
        try (SortedIndexFixture fx = heightTwoTree()) {
            Shape shape = fx.shape();
            int last = shape.node(shape.root()).count();
            growInnerNodeTo(fx, last - 1, NodeDescriptor.innerCapacity(SMALLEST));
            fx.checkAgainstModel("after filling the second-last root child");
            emptyInnerNodeUntilItBorrows(fx, last, last - 1, NodeDescriptor.innerCapacity(SMALLEST));
        }
    }

    @Test
    void deletingEverythingFreesEveryNodeAndSeparatorForReuse() {
        Random r = new Random(31);
        List<byte[]> keys = new ArrayList<>();
        try (SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST)) {
            while (keys.size() < 800) {
                byte[] k = absentKey(r, fx);
                fx.model.put(k, 0L);
                keys.add(k);
            }
            fx.model.clear();
            long afterFirstRound = -1;
            for (int round = 0; round < 4; round++) {
                for (byte[] k : keys) {
                    fx.insert(k);
                }
                fx.checkAgainstModel("round " + round);
                if (round == 0) {
                    afterFirstRound = fx.memory.bytesAllocated();
                } else {
                    assertEquals(afterFirstRound, fx.memory.bytesAllocated(),
                        "round " + round + " reused the blocks freed by deleting everything");
                }
                for (byte[] k : keys) {
                    fx.delete(k);
                }
                fx.checkAgainstModel("emptied in round " + round);
                Collections.shuffle(keys, r);
            }
        }
    }

    // ------------------------------------------------------------------ positions

    @Test
    void seekFindsKeysAtBeforeAndAfterExistingOnes() {
        try (SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST)) {
            byte[] only = be(500, 2);
            fx.insert(only);
            assertEquals(fx.index.first(), fx.index.last());
            assertEquals(NONE, fx.index.next(fx.index.first()));
            assertEquals(NONE, fx.index.previous(fx.index.first()));
            assertEquals(NONE, fx.index.lower(fx.key(only)));
            assertEquals(fx.index.first(), fx.index.floor(fx.key(only)));
            assertEquals(NONE, fx.index.ceiling(fx.key(be(501, 2))));
            fx.delete(only);

            for (int i = 1; i <= 100; i++) {
                fx.insert(be(i * 10, 2));
            }
            fx.checkAgainstModel("keys 10..1000");
            assertArrayEquals(be(10, 2), fx.keyAt(fx.index.first()));
            assertArrayEquals(be(1000, 2), fx.keyAt(fx.index.last()));
            for (int v = 0; v <= 1010; v++) {
                fx.checkSeek(be(v, 2), "2-byte probe " + v);
            }
            for (int v = 0; v < 256; v++) {
                fx.checkSeek(be(v, 1), "1-byte probe (a proper prefix of keys) " + v);
                fx.checkSeek(be(v * 16, 3), "3-byte probe " + v);
            }
            fx.checkSeek(new byte[0], "empty probe, before everything");
            fx.checkSeek(repeat(0xFF, 12), "after everything");
            assertEquals(NONE, fx.index.lower(fx.key(be(10, 2))), "nothing lower than the first key");
            assertEquals(NONE, fx.index.ceiling(fx.key(be(1001, 2))), "nothing at or above past the last key");
            // positions step across leaf boundaries both ways
            Shape shape = fx.shape();
            assertTrue(shape.leaves().size() > 10);
            long p = fx.index.first();
            for (int i = 1; i <= 100; i++) {
                assertArrayEquals(be(i * 10, 2), fx.keyAt(p));
                long q = fx.index.next(p);
                if (q != NONE) {
                    assertEquals(p, fx.index.previous(q), "previous undoes next at key " + i * 10);
                }
                p = q;
            }
        }
    }

    private static List<byte[]> rangeForward(SortedIndexFixture fx, byte[] from, byte[] to) {
        List<byte[]> keys = new ArrayList<>();
        ByteSource bound = new ByteSource().wrap(to);
        long prefix = bound.orderPrefix();
        for (long p = fx.index.ceiling(fx.key(from)); p != NONE && fx.index.compareAt(bound, prefix, p) > 0; p = fx.index.next(p)) {
            keys.add(fx.keyAt(p));
        }
        return keys;
    }

    private static List<byte[]> rangeBackward(SortedIndexFixture fx, byte[] from, byte[] to) {
        List<byte[]> keys = new ArrayList<>();
        ByteSource bound = new ByteSource().wrap(from);
        long prefix = bound.orderPrefix();
        for (long p = fx.index.lower(fx.key(to)); p != NONE && fx.index.compareAt(bound, prefix, p) <= 0; p = fx.index.previous(p)) {
            keys.add(fx.keyAt(p));
        }
        return keys;
    }

    private static void assertSameKeys(Iterable<byte[]> expected, List<byte[]> actual, String what) {
        List<String> e = new ArrayList<>();
        expected.forEach(k -> e.add(hex(k)));
        assertEquals(e, actual.stream().map(SortedIndexFixture::hex).toList(), what);
    }

    @Test
    void rangeBoundsAreInclusiveBelowAndExclusiveAboveInBothDirections() {
        long seed = 5;
        Random r = new Random(seed);
        try (SortedIndexFixture fx = SortedIndexFixture.plain(160)) {
            for (int i = 0; i < 400; i++) {
                fx.insert(absentKey(r, fx));
            }
            List<byte[]> present = new ArrayList<>(fx.model.keySet());
            List<byte[]> bounds = new ArrayList<>();
            bounds.add(new byte[0]);
            bounds.add(repeat(0xFF, 60));
            for (int i = 0; i < 40; i++) {
                byte[] k = present.get(r.nextInt(present.size()));
                bounds.add(k); // at a key
                bounds.addAll(probesAround(k).subList(1, 3)); // just after it
                bounds.add(randomKey(r)); // anywhere
            }
            for (byte[] from : bounds) {
                for (int j = 0; j < 12; j++) {
                    byte[] to = bounds.get(r.nextInt(bounds.size()));
                    NavigableMap<byte[], Long> sub = Arrays.compareUnsigned(from, to) <= 0
                        ? fx.model.subMap(from, true, to, false) : SortedIndexFixture.newModel();
                    String what = "[" + hex(from) + ", " + hex(to) + ") seed " + seed;
                    assertSameKeys(sub.keySet(), rangeForward(fx, from, to), "forward " + what);
                    assertSameKeys(sub.descendingKeySet(), rangeBackward(fx, from, to), "backward " + what);
                }
            }
            for (int j = 0; j < 500; j++) {
                byte[] probe = randomKey(r);
                long p = r.nextBoolean() ? fx.index.first() : fx.index.last();
                for (int steps = r.nextInt(present.size()); steps > 0; steps--) {
                    p = fx.index.next(p) == NONE ? fx.index.first() : fx.index.next(p);
                }
                ByteSource b = new ByteSource().wrap(probe);
                assertEquals(Integer.signum(Arrays.compareUnsigned(probe, fx.keyAt(p))),
                    Integer.signum(fx.index.compareAt(b, b.orderPrefix(), p)), "compareAt " + hex(probe) + " vs " + hex(fx.keyAt(p)));
            }
        }
    }

    @Test
    void prefetchTouchesOnlyEntriesOfTheLeafInTheGivenDirection() {
        try (SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST)) {
            for (int i = 0; i < 30; i++) {
                fx.insert(be(i, 1), i); // key length 1 and value length i: the first entry byte is the key length
            }
            // each entry starts with its key length (1): the sum counts the entries touched
            long second = fx.index.next(fx.index.first());
            assertEquals(4, fx.index.prefetch(second, false, 4), "4 entries forward within the 6-element leaf");
            assertEquals(5, fx.index.prefetch(second, false, 100), "no further than the leaf's end");
            assertEquals(2, fx.index.prefetch(second, true, 100), "back to the leaf's start");
            assertEquals(1, fx.index.prefetch(second, true, 1));
        }
    }

    // ------------------------------------------------------------------ re-pointing after a move

    @Test
    void setAddressRepointsAnElementAfterItsEntryMoves() {
        long seed = 9;
        Random r = new Random(seed);
        try (SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST)) {
            for (int i = 0; i < 300; i++) {
                fx.insert(absentKey(r, fx), 4);
            }
            List<byte[]> keys = new ArrayList<>(fx.model.keySet());
            for (int i = 0; i < keys.size(); i += 3) {
                byte[] k = keys.get(i);
                long old = fx.model.get(k);
                long fresh = fx.move(k, 200 + i % 50);
                assertNotEquals(old, fresh, "a value of another size class moves the entry of " + hex(k));
                assertEquals(fresh, fx.index.entryAt(fx.index.positionOf(fx.key(k))), "re-pointed " + hex(k));
                assertEquals(fresh, fx.index.entryAt(fx.index.ceiling(fx.key(k))));
            }
            fx.checkAgainstModel("after moving every third entry (seed " + seed + ")");
            // moved entries are compared against on later inserts and deletes
            for (int i = 0; i < 200; i++) {
                fx.insert(absentKey(r, fx));
            }
            for (int i = 0; i < keys.size(); i += 2) {
                fx.delete(keys.get(i));
            }
            fx.checkAgainstModel("after inserts and deletes around the moved entries");
        }
    }

    // ------------------------------------------------------------------ the budget

    @ParameterizedTest(name = "node size {0}")
    @ValueSource(ints = {256, 1024})
    void insertRefusedByTheBudgetLeavesTheTreeUnchanged(int nodeSize) {
        long seed = 3000 + nodeSize;
        Random r = new Random(seed);
        long tables; // the hash index's table, charged to the same budget
        try (SortedIndexFixture unlimited = SortedIndexFixture.budgeted(nodeSize, Long.MAX_VALUE)) {
            tables = unlimited.budget.used();
        }
        try (SortedIndexFixture fx = SortedIndexFixture.budgeted(nodeSize, tables + 12 * 4096)) {
            int refused = 0;
            int acceptedAfterARefusal = 0;
            int refusedForNodes = 0;
            for (int attempt = 0; attempt < 5000 && refused < 40; attempt++) {
                byte[] k = absentKey(r, fx);
                long used = fx.budget.used();
                long allocated = fx.memory.bytesAllocated();
                Shape before = fx.shape();
                int valueLength = r.nextInt(24);
                try {
                    fx.insert(k, valueLength);
                    if (refused > 0) {
                        acceptedAfterARefusal++;
                    }
                } catch (StoreFullException e) {
                    refused++;
                    if (fx.memory.bytesNeeded(EntryDescriptor.entrySize(k.length, valueLength)) == 0) {
                        refusedForNodes++; // the entry alone would have fit: the split's nodes or separator did not
                    }
                    String when = "after refusing " + hex(k) + " (seed " + seed + ")";
                    assertTrue(e.getMessage().contains("sorted-test"), e.getMessage());
                    assertEquals(used, fx.budget.used(), "budget " + when);
                    assertEquals(allocated, fx.memory.bytesAllocated(), "pages " + when);
                    assertEquals(before, fx.shape(), "nodes and their counts " + when);
                    fx.checkAgainstModel(when);
                    long floor = fx.index.floor(fx.key(k));
                    assertTrue(floor == NONE || !Arrays.equals(fx.keyAt(floor), k), "the refused key is absent " + when);
                }
            }
            assertTrue(refused > 0, "the budget refused an insert");
            assertTrue(refusedForNodes > 0, "some refusals were for the tree's own allocations");
            assertTrue(acceptedAfterARefusal > 0, "inserts needing no new page still fit after a refusal");
            assertTrue(fx.model.size() > 100, "inserts fit before the budget ran out: " + fx.model.size());
            assertEquals(0, fx.underestimates, "inserts allocating more than bytesNeededForInsert");
            // the tree still works: delete half, verify
            List<byte[]> keys = new ArrayList<>(fx.model.keySet());
            for (int i = 0; i < keys.size(); i += 2) {
                fx.delete(keys.get(i));
            }
            fx.checkAgainstModel("after deleting half of a full tree");
        }
    }

    @Test
    void bytesNeededForInsertCountsTheFirstLeafAndIsRequiredBeforeInserting() {
        try (SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST)) {
            SortedIndex index = fx.index;
            assertThrows(IllegalStateException.class, () -> index.bytesNeededForInsert(10), "nothing prepared");
            assertThrows(IllegalStateException.class, () -> index.insertPrepared(8), "nothing prepared");
            index.prepareInsert(fx.key(ascii("k")));
            assertEquals(fx.memory.pageSize(), index.bytesNeededForInsert(10), "an empty memory needs its first page");
            fx.insert(ascii("k"));
            index.prepareInsert(fx.key(ascii("l")));
            assertEquals(0, index.bytesNeededForInsert(10), "room in the page for an entry, no split");
            fx.delete(ascii("k")); // another write abandons the plan
            assertThrows(IllegalStateException.class, () -> index.insertPrepared(8), "delete dropped the prepared insert");
            fx.checkAgainstModel("after abandoning a prepared insert");
            // a huge entry is a large block, counted whole
            index.prepareInsert(fx.key(ascii("m")));
            int large = fx.memory.largeThreshold() * 2;
            assertTrue(index.bytesNeededForInsert(large) >= large);
        }
    }

    @Test
    void preparingAnIndexedKeyThrowsCorruptStateAndChangesNothing() {
        try (SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST)) {
            for (int i = 0; i < 50; i++) {
                fx.insert(be(i, 1));
            }
            Shape before = fx.shape();
            CorruptStateException e = assertThrows(CorruptStateException.class, () -> fx.index.prepareInsert(fx.key(be(7, 1))));
            assertTrue(e.getMessage().contains("already holds"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> fx.index.insertPrepared(8), "a refused prepare leaves nothing to insert");
            e = assertThrows(CorruptStateException.class, () -> fx.index.delete(fx.key(be(50, 1))));
            assertTrue(e.getMessage().contains("lacks a key") && e.getMessage().contains("delete"), e.getMessage());
            e = assertThrows(CorruptStateException.class, () -> fx.index.positionOf(fx.key(bytes(7, 0))));
            assertTrue(e.getMessage().contains("update"), e.getMessage());
            assertEquals(before, fx.shape());
            fx.checkAgainstModel("after the refused calls");
        }
    }

    /**
     * The prepared plan is kept in the descent path that every seek overwrites: a {@code ceiling},
     * {@code floor} or {@code lower} between {@link SortedIndex#prepareInsert} and
     * {@link SortedIndex#insertPrepared} (reads, which the javadoc does not forbid: it says "no other
     * write") makes the insert land in the leaf the read descended to. {@code positionOf} and the
     * writes drop the plan ({@code prepared = false}) so insertPrepared throws; the seeks do not. The
     * engine never reads between the two calls today, so stores are not affected.
     */
    @Test
    void aSeekBetweenPrepareAndInsertDoesNotMisplaceTheKey() {
        try (SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST)) {
            for (int i = 0; i < 100; i++) {
                fx.insert(be(i * 2, 1)); // 0, 2, ..., 198 in 17 leaves, 3 levels
            }
            byte[] k = be(1, 1);
            fx.index.prepareInsert(fx.key(k)); // belongs in the first leaf
            assertArrayEquals(be(196, 1), fx.keyAt(fx.index.ceiling(fx.key(be(196, 1))))); // descends to the last leaf
            ByteSource stored = new ByteSource().wrap(k);
            long address = fx.map.put(stored, fx.map.hash(stored), new ByteSource().wrap(new byte[4]));
            try {
                fx.index.insertPrepared(address);
            } catch (IllegalStateException refused) {
                return; // acceptable: the read dropped the plan, as positionOf and the writes do
            }
            fx.model.put(k, address);
            // actual: CorruptStateException "inner node ... separator 1 is out of order" (key 1 went into the last leaf)
            fx.checkAgainstModel("after a seek between prepareInsert and insertPrepared");
        }
    }

    // ------------------------------------------------------------------ copy, meta

    @Test
    void copyIsIndependentOfTheOriginal() {
        long seed = 13;
        Random r = new Random(seed);
        try (SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST)) {
            for (int i = 0; i < 300; i++) {
                fx.insert(absentKey(r, fx));
            }
            try (SortedIndexFixture copy = fx.copy()) {
                copy.checkAgainstModel("fresh copy");
                assertEquals(fx.shape(), copy.shape(), "the copy has the same nodes at the same addresses");
                List<byte[]> keys = new ArrayList<>(fx.model.keySet());
                for (int i = 0; i < keys.size(); i += 2) {
                    fx.delete(keys.get(i));
                }
                for (int i = 0; i < 300; i++) {
                    copy.insert(absentKey(r, copy));
                }
                for (int i = 1; i < keys.size(); i += 4) {
                    copy.move(keys.get(i), 300);
                }
                fx.checkAgainstModel("original after diverging (seed " + seed + ")");
                copy.checkAgainstModel("copy after diverging (seed " + seed + ")");
                assertEquals(150, fx.index.size());
                assertEquals(600, copy.index.size());
            }
            fx.checkAgainstModel("original after the copy closed");
        }
        try (SortedIndexFixture empty = SortedIndexFixture.plain(SMALLEST); SortedIndexFixture copy = empty.copy()) {
            copy.insert(ascii("only in the copy"));
            empty.checkAgainstModel("empty original");
            copy.checkAgainstModel("copy of an empty index");
        }
    }

    private static byte[] meta(SortedIndex index) {
        MetaOut out = new MetaOut();
        index.writeMeta(out);
        return out.toByteArray();
    }

    @Test
    void writeMetaAndReopenRestoreTheSameTree() {
        long seed = 17;
        Random r = new Random(seed);
        try (SortedIndexFixture fx = SortedIndexFixture.plain(160)) {
            MetaIn emptyIn = new MetaIn(meta(fx.index));
            SortedIndex reopenedEmpty = SortedIndex.reopen(emptyIn, fx.memory, null);
            emptyIn.expectEnd();
            assertEquals(0, reopenedEmpty.size());
            assertEquals(0, reopenedEmpty.levels());
            reopenedEmpty.verify();
            for (int i = 0; i < 400; i++) {
                fx.insert(absentKey(r, fx));
            }
            byte[] meta = meta(fx.index);
            try (SortedIndexFixture copy = fx.copy()) {
                // the copy's memory is byte for byte what a file-backed store reopens
                MetaIn in = new MetaIn(meta);
                copy.index = SortedIndex.reopen(in, copy.memory, null);
                in.expectEnd();
                assertEquals(160, copy.index.nodeSize());
                assertEquals(fx.index.levels(), copy.index.levels());
                copy.checkAgainstModel("reopened (seed " + seed + ")");
                assertEquals(fx.shape(), copy.shape());
                List<byte[]> keys = new ArrayList<>(copy.model.keySet());
                for (int i = 0; i < keys.size(); i += 3) {
                    copy.delete(keys.get(i));
                }
                for (int i = 0; i < 100; i++) {
                    copy.insert(absentKey(r, copy));
                }
                copy.checkAgainstModel("reopened, then written (seed " + seed + ")");
                assertArrayEquals(meta, meta(fx.index), "the original is untouched");
                fx.checkAgainstModel("original");
            }
        }
    }

    private static byte[] craftedMeta(int nodeSize, long root, long head, long tail, int height, long size) {
        return new MetaOut().putInt(nodeSize).putLong(root).putLong(head).putLong(tail).putInt(height).putLong(size).toByteArray();
    }

    @Test
    void reopenRejectsMetadataWhoseRootLeavesAndSizeDisagree() {
        try (PagedMemory memory = new PagedMemory(12, new MemoryBudget("m", Long.MAX_VALUE))) {
            CorruptStateException e = assertThrows(CorruptStateException.class,
                () -> SortedIndex.reopen(new MetaIn(craftedMeta(128, 0, 0, 0, 0, 5)), memory, null));
            assertTrue(e.getMessage().contains("disagree"), e.getMessage());
            assertThrows(CorruptStateException.class,
                () -> SortedIndex.reopen(new MetaIn(craftedMeta(128, 4096, 4096, 4096, 0, 0)), memory, null));
            assertThrows(CorruptStateException.class,
                () -> SortedIndex.reopen(new MetaIn(craftedMeta(128, 4096, 0, 4096, 0, 3)), memory, null));
            assertThrows(CorruptStateException.class,
                () -> SortedIndex.reopen(new MetaIn(craftedMeta(128, 4096, 4096, 0, 0, 3)), memory, null));
            e = assertThrows(CorruptStateException.class,
                () -> SortedIndex.reopen(new MetaIn(craftedMeta(64, 0, 0, 0, 0, 0)), memory, null));
            assertTrue(e.getMessage().contains("node size"), e.getMessage());
            e = assertThrows(CorruptStateException.class,
                () -> SortedIndex.reopen(new MetaIn(craftedMeta(128, 1L << 40, 4096, 4096, 0, 1)), memory, null));
            assertTrue(e.getMessage().contains("root"), e.getMessage());
            e = assertThrows(CorruptStateException.class,
                () -> SortedIndex.reopen(new MetaIn(craftedMeta(128, 4096, 4096, 4096, 63, 1)), memory, null));
            assertTrue(e.getMessage().contains("height"), e.getMessage());
            e = assertThrows(CorruptStateException.class,
                () -> SortedIndex.reopen(new MetaIn(Arrays.copyOf(craftedMeta(128, 0, 0, 0, 0, 0), 20)), memory, null));
            assertTrue(e.getMessage().contains("ends inside"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ verify() against damage

    /** A tree of 100 two-byte keys in 128-byte nodes (three levels), verified intact. */
    private static SortedIndexFixture damageable() {
        SortedIndexFixture fx = SortedIndexFixture.plain(SMALLEST);
        for (int i = 0; i < 100; i++) {
            fx.insert(concat(be(i * 3, 2), ascii("-tail")));
        }
        fx.checkAgainstModel("before the damage");
        assertTrue(fx.index.levels() >= 3);
        return fx;
    }

    private static void assertVerifyFails(SortedIndexFixture fx, String... fragments) {
        CorruptStateException e = assertThrows(CorruptStateException.class, fx.index::verify);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' names '" + f + "'");
        }
    }

    private static void swapLeafBytes(SortedIndexFixture fx, long leafA, int a, long leafB, int b, int length) {
        MemorySegment pa = fx.memory.page(leafA);
        MemorySegment pb = fx.memory.page(leafB);
        long oa = NodeDescriptor.leafElement(fx.memory.offset(leafA), a);
        long ob = NodeDescriptor.leafElement(fx.memory.offset(leafB), b);
        byte[] x = pa.asSlice(oa, length).toArray(ValueLayout.JAVA_BYTE);
        MemorySegment.copy(pb, ob, pa, oa, length);
        MemorySegment.copy(x, 0, pb, ValueLayout.JAVA_BYTE, ob, length);
    }

    @Test
    void verifyDetectsTwoElementsOfALeafInTheWrongOrder() {
        try (SortedIndexFixture fx = damageable()) {
            long leaf = fx.shape().leaves().get(1).address();
            swapLeafBytes(fx, leaf, 1, leaf, 2, NodeDescriptor.LEAF_ELEMENT); // prefix and address together
            assertVerifyFails(fx, "out of order");
            List<byte[]> scan = fx.forward();
            assertTrue(Arrays.compareUnsigned(scan.get(7), scan.get(8)) > 0, "the damage is real: the scan is out of order");
        }
    }

    @Test
    void verifyDetectsSwappedOrderPrefixes() {
        try (SortedIndexFixture fx = damageable()) {
            long leaf = fx.shape().leaves().get(2).address();
            swapLeafBytes(fx, leaf, 0, leaf, 3, Long.BYTES); // only the prefixes: each address keeps its key
            assertVerifyFails(fx, "leaf " + leaf, "element 0", "wrong order prefix");
        }
    }

    @Test
    void verifyDetectsAKeyMovedOutsideItsSeparators() {
        try (SortedIndexFixture fx = damageable()) {
            List<Node> leaves = fx.shape().leaves();
            long left = leaves.get(3).address();
            long right = leaves.get(4).address();
            int last = leaves.get(3).count() - 1;
            swapLeafBytes(fx, left, last, right, 0, NodeDescriptor.LEAF_ELEMENT);
            assertVerifyFails(fx, "leaf " + left, "element " + last, "outside its separators");
        }
    }

    @Test
    void verifyDetectsBrokenLeafCounts() {
        try (SortedIndexFixture fx = damageable()) {
            Node leaf = fx.shape().leaves().get(5);
            MemorySegment page = fx.memory.page(leaf.address());
            long offset = fx.memory.offset(leaf.address());
            NodeDescriptor.count(page, offset, leaf.count() - 1);
            assertVerifyFails(fx, "holds 99 keys, size says 100");
            NodeDescriptor.count(page, offset, 0);
            assertVerifyFails(fx, "bad leaf at " + leaf.address(), "count 0");
            NodeDescriptor.count(page, offset, NodeDescriptor.leafCapacity(SMALLEST) + 1);
            assertVerifyFails(fx, "bad leaf at " + leaf.address(), "count 7");
            NodeDescriptor.count(page, offset, leaf.count());
            fx.checkAgainstModel("count restored");
        }
    }

    @Test
    void verifyDetectsBrokenInnerCountsAndKinds() {
        try (SortedIndexFixture fx = damageable()) {
            Shape shape = fx.shape();
            long root = shape.root();
            MemorySegment page = fx.memory.page(root);
            long offset = fx.memory.offset(root);
            int count = NodeDescriptor.count(page, offset);
            NodeDescriptor.count(page, offset, NodeDescriptor.innerCapacity(SMALLEST) + 1);
            assertVerifyFails(fx, "bad inner node at " + root);
            NodeDescriptor.count(page, offset, count);
            page.set(ValueLayout.JAVA_BYTE, offset, NodeDescriptor.LEAF);
            assertVerifyFails(fx, "bad inner node at " + root, "kind 1");
            page.set(ValueLayout.JAVA_BYTE, offset, NodeDescriptor.INNER);
            long leaf = shape.leaves().get(0).address();
            fx.memory.page(leaf).set(ValueLayout.JAVA_BYTE, fx.memory.offset(leaf), NodeDescriptor.INNER);
            assertVerifyFails(fx, "bad leaf at " + leaf, "kind 2");
        }
    }

    @Test
    void verifyDetectsBrokenLeafLinks() {
        try (SortedIndexFixture fx = damageable()) {
            List<Node> leaves = fx.shape().leaves();
            long first = leaves.get(0).address();
            long second = leaves.get(1).address();
            long third = leaves.get(2).address();
            MemorySegment page = fx.memory.page(second);
            NodeDescriptor.prev(page, fx.memory.offset(second), third);
            assertVerifyFails(fx, "leaf " + second + " links back to " + third + ", not " + first);
            NodeDescriptor.prev(page, fx.memory.offset(second), first);
            NodeDescriptor.next(fx.memory.page(first), fx.memory.offset(first), third);
            assertVerifyFails(fx, "leaf " + second + " is not linked from its predecessor");
        }
    }

    @Test
    void verifyDetectsDamagedSeparators() {
        try (SortedIndexFixture fx = damageable()) {
            long root = fx.shape().root();
            MemorySegment page = fx.memory.page(root);
            long offset = fx.memory.offset(root);
            assertTrue(NodeDescriptor.count(page, offset) >= 2);
            long e0 = NodeDescriptor.innerElement(offset, 0);
            long e1 = NodeDescriptor.innerElement(offset, 1);
            long prefix = page.get(ValueLayout.JAVA_LONG_UNALIGNED, e0);
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, e0, prefix + 1);
            assertVerifyFails(fx, "inner node " + root + " separator 0 has a wrong order prefix");
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, e0, prefix);
            fx.index.verify();
            // swap the separators (prefix and address), keeping the children
            byte[] s0 = page.asSlice(e0, 16).toArray(ValueLayout.JAVA_BYTE);
            MemorySegment.copy(page, e1, page, e0, 16);
            MemorySegment.copy(s0, 0, page, ValueLayout.JAVA_BYTE, e1, 16);
            assertVerifyFails(fx, "inner node " + root + " separator 1 is out of order");
        }
    }

    @Test
    void verifyDetectsASizeOrTailThatDisagreesWithTheNodes() {
        try (SortedIndexFixture fx = damageable()) {
            long[] m = fx.meta();
            SortedIndex wrongSize = SortedIndex.reopen(new MetaIn(craftedMeta((int) m[0], m[1], m[2], m[3], (int) m[4], m[5] + 1)),
                fx.memory, null);
            CorruptStateException e = assertThrows(CorruptStateException.class, wrongSize::verify);
            assertTrue(e.getMessage().contains("holds 100 keys, size says 101"), e.getMessage());
            SortedIndex wrongTail = SortedIndex.reopen(new MetaIn(craftedMeta((int) m[0], m[1], m[2], m[2], (int) m[4], m[5])),
                fx.memory, null);
            e = assertThrows(CorruptStateException.class, wrongTail::verify);
            assertTrue(e.getMessage().contains("tail " + m[2] + " is not the last leaf " + m[3]), e.getMessage());
            SortedIndex wrongHeight = SortedIndex.reopen(new MetaIn(craftedMeta((int) m[0], m[1], m[2], m[3], (int) m[4] - 1, m[5])),
                fx.memory, null);
            e = assertThrows(CorruptStateException.class, wrongHeight::verify);
            assertTrue(e.getMessage().contains("bad leaf"), e.getMessage());
        }
    }

    // ------------------------------------------------------------------ the random walk

    /** A seed for the walk: {@code -Doffstate.sortedIndexSeed=N} replays one. */
    private static long walkSeed(long fallback) {
        return Long.getLong("offstate.sortedIndexSeed", fallback);
    }

    @ParameterizedTest(name = "node size {0}")
    @ValueSource(ints = {128, 160, 256, 1024})
    void seededRandomWalkMatchesATreeMapModel(int nodeSize) {
        randomWalk(SortedIndexFixture.plain(nodeSize), walkSeed(4000 + nodeSize), 3000);
    }

    @Test
    void seededRandomWalkOverCodedKeysMatchesATreeMapModel() {
        randomWalk(SortedIndexFixture.coded(SMALLEST, 3), walkSeed(4999), 3000);
    }

    /**
     * Inserts, deletes, moves and seeks, checked against the model after every operation. The size
     * swings between ~5 and ~300 so the tree grows and shrinks through several heights.
     */
    private static void randomWalk(SortedIndexFixture fixture, long seed, int operations) {
        Random r = new Random(seed);
        Rebalances seen = new Rebalances();
        try (SortedIndexFixture fx = fixture) {
            boolean growing = true;
            int maxLevels = 0;
            for (int op = 0; op < operations; op++) {
                if (fx.model.size() >= 300) {
                    growing = false;
                } else if (fx.model.size() <= 5) {
                    growing = true;
                }
                int dice = r.nextInt(100);
                String what;
                Shape before = null;
                if (fx.model.isEmpty() || dice < (growing ? 55 : 25)) {
                    byte[] k = absentKey(r, fx);
                    what = "insert " + hex(k);
                    fx.insert(k, r.nextInt(40));
                } else if (dice < 80) {
                    byte[] k = randomPresent(r, fx);
                    what = "delete " + hex(k);
                    before = fx.shape();
                    fx.delete(k);
                } else if (dice < 90) {
                    byte[] k = randomPresent(r, fx);
                    what = "move " + hex(k);
                    fx.move(k, 40 + r.nextInt(200));
                } else {
                    byte[] probe = r.nextBoolean() ? randomKey(r) : probesAround(randomPresent(r, fx)).get(r.nextInt(3));
                    what = "seek " + hex(probe);
                    fx.checkSeek(probe, "seed " + seed + ", operation " + op + ": " + what);
                }
                String when = "after operation " + op + " (" + what + "), seed " + seed + ", node size " + fx.index.nodeSize();
                fx.checkAgainstModel(when);
                if (before != null) {
                    Shape after = fx.shape();
                    assertDeleteInvariants(fx, after, when);
                    seen.record(before, after);
                }
                maxLevels = Math.max(maxLevels, fx.index.levels());
            }
            assertEquals(0, fx.underestimates, "inserts allocating more than bytesNeededForInsert, seed " + seed);
            assertTrue(maxLevels >= (fx.index.nodeSize() >= 1024 ? 2 : 3), "the walk grew a deep tree: " + maxLevels + ", seed " + seed);
            assertTrue(seen.leafMerges > 0 && seen.rootCollapses > 0, "the walk shrank the tree: " + seen + ", seed " + seed);
        }
    }

    private static byte[] randomPresent(Random r, SortedIndexFixture fx) {
        byte[] k = fx.model.ceilingKey(randomKey(r));
        return k != null ? k : fx.model.firstKey();
    }
}
