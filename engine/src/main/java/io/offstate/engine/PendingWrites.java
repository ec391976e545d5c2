package io.offstate.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.Hashing;
import io.offstate.offheap.StoreFullException;
import io.offstate.offheap.Varint;
import io.offstate.offheap.index.EntryDescriptor;
import io.offstate.offheap.index.SortedIndex;

/**
 * The pending writes of one transaction to one store: an in-memory staging store with a sorted
 * index, one entry per key written in the transaction (an overwrite replaces it), holding a
 * {@link PendingDescriptor pending record}: put or delete marker, record timestamp, value bytes.
 *
 * <p>Memory: the staging store's off-heap pages are owned by this object and released by
 * {@link #close()}. They are charged to the staging store's own budget, equal to the target store's
 * {@link KeyValueStore#memoryBudget() budget}, <em>not</em> to the target store's budget, and to the
 * target's {@link StoreOptions#sharedBudget() shared budget} if it has one; a pending
 * write that does not fit throws {@link StoreFullException} naming the staging store and changes
 * nothing. One scratch segment (off-heap, grown to the largest key plus value written, never
 * shrunk) assembles a record before it is staged; it is not charged to any budget.
 *
 * <p>Threading: confined to the transaction's thread (the target store's owner).
 */
final class PendingWrites implements AutoCloseable {
    final KeyValueStore target;
    final KeyValueStore staging;
    private final Arena arena = Arena.ofShared();
    private MemorySegment scratch;
    private final ValueView found = new ValueView();
    /**
     * Two bits per key staged since the last reset, in 4096: a get of a key the transaction never
     * wrote — the common case, a read of committed state — skips the staging store's lookup.
     * Never cleared by an unstage (a stale bit only costs a lookup).
     */
    private final long[] filter = new long[FILTER_WORDS];
    private final ByteSource hashed = new ByteSource();
    private static final int FILTER_WORDS = 64;
    private static final long FILTER_SEED = 0x9E3779B97F4A7C15L;

    PendingWrites(KeyValueStore target) {
        this.target = target;
        this.staging = KeyValueStore.create(StoreOptions.builder()
            .name(target.name() + "#pending")
            .memoryBudget(target.options().memoryBudget())
            .pageSize(target.options().pageSize())
            .sortedIndex(true)
            .sharedBudget(target.options().sharedBudget()) // one process budget holds pending writes too
            .build());
        this.scratch = arena.allocate(4096);
    }

    /** Number of pending entries (puts and delete markers). */
    long size() {
        return staging.size();
    }

    /**
     * Looks {@code key} up among the pending writes: {@link PendingDescriptor#ABSENT} if none,
     * else its kind; for a put, {@code view} is pointed at the pending value.
     */
    byte lookup(byte[] key, ValueView view) {
        if (!mayContain(hashed.wrap(key)) || !staging.get(key, found)) {
            return PendingDescriptor.ABSENT;
        }
        return decode(found, view);
    }

    /** As {@link #lookup(byte[], ValueView)} for a key segment. */
    byte lookup(MemorySegment key, ValueView view) {
        if (key.byteSize() > KeyValueStore.MAX_KEY_LENGTH) {
            return PendingDescriptor.ABSENT; // never staged; the store's own get reports it
        }
        if (!mayContain(hashed.wrap(key, 0, (int) key.byteSize())) || !staging.get(key, found)) {
            return PendingDescriptor.ABSENT;
        }
        return decode(found, view);
    }

    /** As {@link #lookup(byte[], ValueView)} for {@code length} bytes of {@code key} at {@code offset}. */
    byte lookup(MemorySegment key, long offset, int length, ValueView view) {
        if (length > KeyValueStore.MAX_KEY_LENGTH) {
            return PendingDescriptor.ABSENT;
        }
        if (!mayContain(hashed.wrap(key, offset, length)) || !staging.get(key, offset, length, found)) {
            return PendingDescriptor.ABSENT;
        }
        return decode(found, view);
    }

    private byte decode(ValueView record, ValueView view) {
        byte kind = record.getByte(PendingDescriptor.KIND_OFFSET);
        if (kind == PendingDescriptor.PUT && view != null) {
            view.set(staging, staging.version(), record.memory(), record.offset() + PendingDescriptor.HEADER_LENGTH,
                record.length() - PendingDescriptor.HEADER_LENGTH);
        }
        return kind;
    }

    /** Stages {@code key} → ({@code kind}, {@code timestamp}, {@code value[offset, offset+length)}). */
    void stage(MemorySegment key, long keyOffset, int keyLength, byte kind, long timestamp,
               MemorySegment value, long valueOffset, int valueLength) {
        long recordLength = PendingDescriptor.HEADER_LENGTH + (long) valueLength;
        MemorySegment s = scratch(keyLength + recordLength);
        MemorySegment.copy(key, keyOffset, s, 0, keyLength);
        long r = keyLength;
        s.set(ValueLayout.JAVA_BYTE, r + PendingDescriptor.KIND_OFFSET, kind);
        s.set(PendingDescriptor.TIMESTAMP_LAYOUT, r + PendingDescriptor.TIMESTAMP_OFFSET, timestamp);
        if (valueLength > 0) {
            MemorySegment.copy(value, valueOffset, s, r + PendingDescriptor.HEADER_LENGTH, valueLength);
        }
        staging.put(s, 0, keyLength, s, r, (int) recordLength);
        remember(hashed.wrap(key, keyOffset, keyLength));
    }

    /** As {@link #stage(MemorySegment, long, int, byte, long, MemorySegment, long, int)} for array bytes. */
    void stage(byte[] key, byte kind, long timestamp, byte[] value) {
        int valueLength = value == null ? 0 : value.length;
        long recordLength = PendingDescriptor.HEADER_LENGTH + (long) valueLength;
        MemorySegment s = scratch(key.length + recordLength);
        MemorySegment.copy(key, 0, s, ValueLayout.JAVA_BYTE, 0, key.length);
        long r = key.length;
        s.set(ValueLayout.JAVA_BYTE, r + PendingDescriptor.KIND_OFFSET, kind);
        s.set(PendingDescriptor.TIMESTAMP_LAYOUT, r + PendingDescriptor.TIMESTAMP_OFFSET, timestamp);
        if (valueLength > 0) {
            MemorySegment.copy(value, 0, s, ValueLayout.JAVA_BYTE, r + PendingDescriptor.HEADER_LENGTH, valueLength);
        }
        staging.put(s, 0, key.length, s, r, (int) recordLength);
        remember(hashed.wrap(key));
    }

    /** Drops the pending entry of {@code key}, if any. */
    void unstage(byte[] key) {
        staging.delete(key);
    }

    /** Drops the pending entry of {@code key}, if any. */
    void unstage(MemorySegment key) {
        staging.delete(key);
    }

    /** Drops the pending entry of the {@code length} bytes of {@code key} at {@code offset}, if any. */
    void unstage(MemorySegment key, long offset, int length) {
        staging.delete(key, offset, length);
    }

    private MemorySegment scratch(long bytes) {
        if (scratch.byteSize() < bytes) {
            scratch = arena.allocate(Math.max(bytes, Math.min(Integer.MAX_VALUE, scratch.byteSize() * 2)));
        }
        return scratch;
    }

    /** Up to this many pending entries a {@link #reset()} deletes them one by one (keeping the pages). */
    private static final long RESET_BY_DELETE_ENTRIES = 4096;
    /** Beyond this much staging memory a {@link #reset()} starts afresh instead (gives the memory back). */
    private static final long RESET_BY_DELETE_BYTES = 8L << 20;
    private Cursor resetCursor;

    /**
     * Empties the pending writes so that the next transaction of a {@link StatePartition} reuses
     * this staging store: creating one (pages, index tables, arenas) costs far more than a small
     * commit. A small staging store is emptied key by key, keeping its memory; a large one is
     * replaced by a fresh one, giving its memory back.
     */
    void reset() {
        java.util.Arrays.fill(filter, 0L);
        long n = staging.size();
        if (n == 0) {
            return;
        }
        if (n > RESET_BY_DELETE_ENTRIES || staging.memoryUsed() > RESET_BY_DELETE_BYTES) {
            staging.clear();
            return;
        }
        if (resetCursor == null) {
            resetCursor = staging.cursor();
        }
        Cursor c = resetCursor;
        while (true) {
            c.range(null, null);
            if (!c.next()) {
                return;
            }
            ValueView k = c.key();
            int length = k.length();
            MemorySegment copy = scratch(length);
            MemorySegment.copy(k.memory(), k.offset(), copy, 0, length); // the key's bytes are freed by the delete
            staging.delete(copy, 0, length);
        }
    }

    private void remember(ByteSource key) {
        long h = Hashing.hash(key, FILTER_SEED);
        int a = (int) h & 4095;
        int b = (int) (h >>> 32) & 4095;
        filter[a >>> 6] |= 1L << a;
        filter[b >>> 6] |= 1L << b;
    }

    private boolean mayContain(ByteSource key) {
        long h = Hashing.hash(key, FILTER_SEED);
        int a = (int) h & 4095;
        int b = (int) (h >>> 32) & 4095;
        return (filter[a >>> 6] & (1L << a)) != 0 && (filter[b >>> 6] & (1L << b)) != 0;
    }

    /** Whether the staging store was closed (a pooled set must then be rebuilt). */
    boolean isClosed() {
        return staging.isClosed();
    }

    /** Makes {@code thread} the owner of the staging store (the partition was handed over). */
    void handOverTo(Thread thread) {
        staging.handOverTo(thread);
    }

    /** A cursor over the pending entries in key order (records, not values). */
    Cursor cursor() {
        return staging.cursor();
    }

    /**
     * An upper bound of the new bytes applying every pending write would charge to the target's
     * budget. Every put is counted as a new entry allocation; every put of a key the target lacks
     * as an insert into the hash index (each growth's whole table, old tables not subtracted), the
     * dictionary (a new component each) and the sorted index. Sorted index splits are bounded by
     * node capacity: each node existing now may split once with fewer inserts than half a node's
     * room, every further split needs at least half a node's room of inserts; each split allocates
     * one node and one separator, and the root may grow a level at most once per split level.
     * Deletes are counted as freeing nothing. On top, headroom for the write path's own per-write
     * checks: two pages and, with a sorted index, a node per level plus three.
     */
    long bytesNeededToApply(Cursor pending, ByteSource key, int[][] sizesHolder) {
        final StoreState s = target.state();
        final StoreCore core = target.core();
        final SortedIndex sorted = s.sorted;
        int n = 0;
        long inserts = 0;
        int longestKey = 0;
        long extra = s.memory.pageSize();
        pending.range(null, null);
        while (pending.next()) {
            ValueView k = pending.key();
            ValueView r = pending.value();
            if (r.getByte(PendingDescriptor.KIND_OFFSET) != PendingDescriptor.PUT) {
                continue;
            }
            int valueLength = r.length() - PendingDescriptor.HEADER_LENGTH;
            int keyLength = k.length();
            n = add(sizesHolder, n, EntryDescriptor.entrySize(keyLength, valueLength));
            key.wrap(k.memory(), k.offset(), keyLength);
            if (core.locate(key) == 0) {
                inserts++;
                longestKey = Math.max(longestKey, keyLength);
                if (s.dictionary != null) {
                    key.wrap(k.memory(), k.offset(), keyLength);
                    int componentLength = s.keyComponent.componentLength(key);
                    extra += s.dictionary.bytesNeededToAdd(componentLength) + Varint.size(Integer.MAX_VALUE);
                }
            }
        }
        if (sorted != null && inserts > 0) {
            long existing = sorted.nodes();
            long leafRoom = Math.max(1, ((sorted.nodeSize() - 24) / 16 - 1) / 2);
            long innerRoom = Math.max(1, ((sorted.nodeSize() - 16) / 24 - 1) / 2);
            long leafSplits = Math.min(inserts, existing) + inserts / leafRoom + 1;
            long innerSplits = Math.min(leafSplits, existing) + leafSplits / innerRoom + 1;
            long nodes = leafSplits + innerSplits + sorted.levels() + 2;
            int separator = EntryDescriptor.entrySize(longestKey, 0);
            for (long i = 0; i < nodes; i++) {
                n = add(sizesHolder, n, sorted.nodeSize());
            }
            for (long i = 0; i < leafSplits + innerSplits; i++) {
                n = add(sizesHolder, n, separator);
            }
        }
        // headroom for the per-write checks of the write path, which ask for their own upper bound
        // (and a page more for a new dictionary component) before each insert
        extra += s.memory.pageSize() + (sorted == null ? 0 : (long) (sorted.levels() + 3) * sorted.nodeSize());
        long bytes = s.memory.bytesNeeded(sizesHolder[0], n) + extra;
        bytes += hashGrowthBound(s.map.index().size(), s.map.index().capacity(), inserts);
        return bytes;
    }

    private static int add(int[][] holder, int n, int size) {
        int[] sizes = holder[0];
        if (n == sizes.length) {
            sizes = java.util.Arrays.copyOf(sizes, sizes.length * 2);
            holder[0] = sizes;
        }
        sizes[n] = size;
        return n + 1;
    }

    /** Bytes of every table the hash index could allocate while growing to hold {@code inserts} more keys. */
    static long hashGrowthBound(long size, long capacity, long inserts) {
        long cap = capacity;
        long bytes = 0;
        long target = size + inserts;
        while (target > cap * io.offstate.offheap.index.HashIndex.MAX_LOAD_PERCENT / 100) {
            long next = Math.max(cap + (cap >>> 1), (target * 100 + 89) / 90 + 2);
            bytes += next * Long.BYTES;
            cap = next;
        }
        return bytes;
    }

    @Override
    public void close() {
        try {
            staging.close();
        } finally {
            arena.close();
        }
    }
}
