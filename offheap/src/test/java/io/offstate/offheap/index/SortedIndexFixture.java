package io.offstate.offheap.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.memory.MemoryBudget;
import io.offstate.offheap.memory.MetaIn;
import io.offstate.offheap.memory.MetaOut;
import io.offstate.offheap.memory.PagedMemory;

/**
 * A {@link SortedIndex} over real entries of an {@link EntryMap} (optionally dictionary-encoded),
 * driven the way the engine drives it (prepare, budget check, entry put, insertPrepared; delete
 * before the entry is freed; positionOf before an entry moves, setAddress after), next to a
 * {@link TreeMap} model in unsigned lexicographic order mapping each key to its entry's address.
 */
final class SortedIndexFixture implements AutoCloseable {
    static final long SEED = 0x50_47ED_1DL;
    static final int PAGE_SHIFT = 12;

    final MemoryBudget budget;
    final PagedMemory memory;
    final EntryMap map;
    final KeyDictionary dictionary; // null: plain keys
    final int componentLength;
    SortedIndex index;
    final TreeMap<byte[], Long> model;
    /** Inserts whose allocation exceeded bytesNeededForInsert (must stay 0). */
    int underestimates;

    private final ByteSource original = new ByteSource();
    private final ByteSource stored = new ByteSource();
    private final ByteSource component = new ByteSource();
    private final ByteSource value = new ByteSource();
    private final ByteSource target = new ByteSource();
    private final ByteSource componentTarget = new ByteSource();

    private SortedIndexFixture(MemoryBudget budget, PagedMemory memory, EntryMap map, KeyDictionary dictionary,
                               int componentLength, SortedIndex index, TreeMap<byte[], Long> model) {
        this.budget = budget;
        this.memory = memory;
        this.map = map;
        this.dictionary = dictionary;
        this.componentLength = componentLength;
        this.index = index;
        this.model = model;
    }

    static SortedIndexFixture plain(int nodeSize) {
        return budgeted(nodeSize, Long.MAX_VALUE);
    }

    static SortedIndexFixture budgeted(int nodeSize, long limit) {
        MemoryBudget budget = new MemoryBudget("sorted-test", limit);
        PagedMemory memory = new PagedMemory(PAGE_SHIFT, budget);
        EntryMap map = new EntryMap(memory, SEED, false, 4096, 12); // no hash-table growth in the tests' key counts
        return new SortedIndexFixture(budget, memory, map, null, 0, new SortedIndex(memory, null, nodeSize), newModel());
    }

    /** Keys whose first {@code componentLength} bytes are dictionary-encoded. */
    static SortedIndexFixture coded(int nodeSize, int componentLength) {
        MemoryBudget budget = new MemoryBudget("sorted-coded-test", Long.MAX_VALUE);
        PagedMemory memory = new PagedMemory(PAGE_SHIFT, budget);
        KeyDictionary dictionary = new KeyDictionary(memory, SEED, 1 << 16);
        EntryMap map = new EntryMap(memory, SEED, true, 4096, 12);
        return new SortedIndexFixture(budget, memory, map, dictionary, componentLength,
            new SortedIndex(memory, dictionary, nodeSize), newModel());
    }

    static TreeMap<byte[], Long> newModel() {
        return new TreeMap<>(Arrays::compareUnsigned);
    }

    /** An independent copy: memory, map, dictionary and index copied, the model cloned (addresses are the same). */
    SortedIndexFixture copy() {
        MemoryBudget copyBudget = new MemoryBudget(budget.owner() + "-copy", Long.MAX_VALUE);
        PagedMemory copyMemory = memory.copy(copyBudget);
        EntryMap copyMap = map.copy(copyMemory);
        KeyDictionary copyDictionary = dictionary == null ? null : dictionary.copy(copyMemory);
        TreeMap<byte[], Long> copyModel = newModel();
        copyModel.putAll(model);
        return new SortedIndexFixture(copyBudget, copyMemory, copyMap, copyDictionary, componentLength,
            index.copy(copyMemory, copyDictionary), copyModel);
    }

    @Override
    public void close() {
        map.close();
        if (dictionary != null) {
            dictionary.close();
        }
        memory.close();
    }

    static String hex(byte[] key) {
        return key == null ? "null" : "[" + HexFormat.of().formatHex(key) + "]";
    }

    ByteSource key(byte[] key) {
        return original.wrap(key);
    }

    /** The stored form of {@code key}: itself, or dictionary code ++ the rest (registering the component if {@code add}). */
    private ByteSource storedForm(byte[] key, boolean add) {
        stored.wrap(key);
        if (dictionary == null) {
            return stored;
        }
        int n = Math.min(componentLength, key.length);
        int code = dictionary.find(component.wrap(key, 0, n));
        if (code < 0) {
            assertTrue(add, "component of " + hex(key) + " is registered");
            code = dictionary.add(component.wrap(key, 0, n));
        }
        return stored.narrow(n, key.length - n).code(code);
    }

    private ByteSource valueOf(int length) {
        byte[] v = new byte[length];
        Arrays.fill(v, (byte) length);
        return value.wrap(v);
    }

    /** Inserts an absent key with a small value; returns its entry's address. */
    long insert(byte[] key) {
        return insert(key, 4);
    }

    /**
     * Inserts an absent key as the engine does, checking first that the budget holds what
     * {@link SortedIndex#bytesNeededForInsert} says (a refusal throws StoreFullException before
     * anything changed) and afterwards that the pages grew by no more than that.
     */
    long insert(byte[] key, int valueLength) {
        index.prepareInsert(key(key));
        long before = memory.bytesAllocated();
        boolean newComponent = dictionary != null && dictionary.find(component.wrap(key, 0, Math.min(componentLength, key.length))) < 0;
        ByteSource k = storedForm(key, true);
        ByteSource v = valueOf(valueLength);
        int entrySize = EntryDescriptor.entrySize(k.storedLength(), v.length());
        long needed = index.bytesNeededForInsert(entrySize);
        budget.check(needed + map.index().bytesNeededForInsert());
        long address = map.put(k, map.hash(k), v);
        index.insertPrepared(address);
        if (!newComponent && memory.bytesAllocated() - before > needed) {
            underestimates++;
        }
        model.put(key.clone(), address);
        return address;
    }

    /** Deletes an indexed key: from the sorted index first, then its entry. */
    void delete(byte[] key) {
        index.delete(key(key));
        ByteSource k = storedForm(key, false);
        long hash = map.hash(k);
        assertEquals(model.get(key), map.find(k, hash), "entry of " + hex(key));
        assertTrue(map.remove(k, hash));
        model.remove(key);
    }

    /** Rewrites an indexed key with a value of another size class, so its entry moves; re-points the index. */
    long move(byte[] key, int valueLength) {
        long old = model.get(key);
        long position = index.positionOf(key(key));
        assertEquals(old, index.entryAt(position), "positionOf " + hex(key) + " names its entry");
        ByteSource k = storedForm(key, false);
        long fresh = map.put(k, map.hash(k), valueOf(valueLength));
        index.setAddress(position, fresh);
        model.put(key, fresh);
        return fresh;
    }

    /** The original key bytes of the entry at {@code address}. */
    byte[] keyOfEntry(long address) {
        ByteSource s = map.storedKey(address, target);
        byte[] rest = s.toByteArray();
        if (dictionary == null) {
            return rest;
        }
        byte[] c = dictionary.component(s.code(), componentTarget).toByteArray();
        byte[] full = Arrays.copyOf(c, c.length + rest.length);
        System.arraycopy(rest, 0, full, c.length, rest.length);
        return full;
    }

    byte[] keyAt(long position) {
        return position == SortedIndex.NONE ? null : keyOfEntry(index.entryAt(position));
    }

    List<byte[]> forward() {
        List<byte[]> keys = new ArrayList<>();
        for (long p = index.first(); p != SortedIndex.NONE; p = index.next(p)) {
            keys.add(keyAt(p));
        }
        return keys;
    }

    List<byte[]> backward() {
        List<byte[]> keys = new ArrayList<>();
        for (long p = index.last(); p != SortedIndex.NONE; p = index.previous(p)) {
            keys.add(keyAt(p));
        }
        return keys;
    }

    /** verify(), size, and both scans equal the model key for key and address for address. */
    void checkAgainstModel(String when) {
        index.verify();
        assertEquals(model.size(), index.size(), "size " + when);
        assertEquals(model.isEmpty(), index.levels() == 0, "levels " + index.levels() + " " + when);
        int i = 0;
        long p = index.first();
        for (Map.Entry<byte[], Long> e : model.entrySet()) {
            assertTrue(p != SortedIndex.NONE, "forward scan ends after " + i + " of " + model.size() + " keys " + when);
            assertArrayEquals(e.getKey(), keyAt(p), "forward scan key " + i + " " + when);
            assertEquals(e.getValue(), index.entryAt(p), "forward scan address " + i + " " + when);
            p = index.next(p);
            i++;
        }
        assertEquals(SortedIndex.NONE, p, "forward scan has more than " + model.size() + " keys " + when);
        i = 0;
        p = index.last();
        for (byte[] k : model.descendingKeySet()) {
            assertTrue(p != SortedIndex.NONE, "backward scan ends after " + i + " keys " + when);
            assertArrayEquals(k, keyAt(p), "backward scan key " + i + " " + when);
            p = index.previous(p);
            i++;
        }
        assertEquals(SortedIndex.NONE, p, "backward scan has more than " + model.size() + " keys " + when);
    }

    /** ceiling, floor and lower of {@code probe} name the model's ceiling, floor and lower keys. */
    void checkSeek(byte[] probe, String when) {
        ByteSource k = key(probe);
        assertArrayEquals(model.ceilingKey(probe), keyAt(index.ceiling(k)), "ceiling " + hex(probe) + " " + when);
        assertArrayEquals(model.floorKey(probe), keyAt(index.floor(k)), "floor " + hex(probe) + " " + when);
        assertArrayEquals(model.lowerKey(probe), keyAt(index.lower(k)), "lower " + hex(probe) + " " + when);
    }

    // ------------------------------------------------------------------ the tree's shape, read through the memory

    /** One node of the tree as found in the memory. */
    record Node(long address, int level, int count, long parent, List<Long> children) {
        boolean leaf() {
            return level == 0;
        }
    }

    /** The nodes of the tree, root first (pre-order), and each level's nodes left to right. */
    record Shape(long root, int height, Map<Long, Node> nodes, List<List<Node>> levels) {
        List<Node> leaves() {
            return levels.get(0);
        }

        Node node(long address) {
            return nodes.get(address);
        }

        int innerCount() {
            return nodes.size() - leaves().size();
        }
    }

    /** Root, head, tail, height and size as {@link SortedIndex#writeMeta} writes them. */
    long[] meta() {
        MetaOut out = new MetaOut();
        index.writeMeta(out);
        MetaIn in = new MetaIn(out.toByteArray());
        long[] m = {in.getInt("node size"), in.getLong("root"), in.getLong("head"), in.getLong("tail"),
            in.getInt("height"), in.getLong("size")};
        in.expectEnd();
        return m;
    }

    Shape shape() {
        long[] m = meta();
        long root = m[1];
        int height = (int) m[4];
        Map<Long, Node> nodes = new LinkedHashMap<>();
        List<List<Node>> levels = new ArrayList<>();
        for (int l = 0; l <= height; l++) {
            levels.add(new ArrayList<>());
        }
        if (root != SortedIndex.NONE) {
            walk(root, height, SortedIndex.NONE, nodes, levels);
        }
        return new Shape(root, height, nodes, levels);
    }

    private void walk(long node, int level, long parent, Map<Long, Node> nodes, List<List<Node>> levels) {
        MemorySegment page = memory.page(node);
        long offset = memory.offset(node);
        assertEquals(level == 0 ? NodeDescriptor.LEAF : NodeDescriptor.INNER, NodeDescriptor.kind(page, offset), "kind of node " + node);
        int count = NodeDescriptor.count(page, offset);
        List<Long> children = new ArrayList<>();
        if (level > 0) {
            for (int j = 0; j <= count; j++) {
                children.add(NodeDescriptor.child(page, offset, j));
            }
        }
        Node n = new Node(node, level, count, parent, children);
        assertFalse(nodes.containsKey(node), "node " + node + " reached twice");
        nodes.put(node, n);
        levels.get(level).add(n);
        for (long c : children) {
            walk(c, level - 1, node, nodes, levels);
        }
    }
}
