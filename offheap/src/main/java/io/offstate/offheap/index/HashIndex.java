package io.offstate.offheap.index;

import static io.offstate.offheap.index.SlotDescriptor.DISTANCE_ONE;
import static io.offstate.offheap.index.SlotDescriptor.EMPTY;
import static io.offstate.offheap.index.SlotDescriptor.MAX_DISTANCE;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.OffstateException;
import io.offstate.offheap.OutOfNativeMemoryException;
import io.offstate.offheap.StoreFullException;
import io.offstate.offheap.memory.MappedRegion;
import io.offstate.offheap.memory.MemoryBudget;
import io.offstate.offheap.memory.MetaIn;
import io.offstate.offheap.memory.MetaOut;
import io.offstate.offheap.memory.RegionBacking;

/**
 * An open-addressing hash index from variable-length byte keys to 40-bit entry addresses, in
 * off-heap tables of 8-byte {@link SlotDescriptor slots}.
 *
 * <h2>Probing</h2>
 * Linear probing with Robin Hood ordering: slots of a cluster stay sorted by home slot, so
 * <ol>
 *   <li>a lookup stops at the first slot closer to its home than the probe is to the key's home
 *       (a miss costs about as much as a hit, even at 90% load);</li>
 *   <li>deletion shifts the rest of the chain back one place (no tombstones, no rehash);</li>
 *   <li>each slot's 12-bit fingerprint rejects almost every foreign key without reading it.</li>
 * </ol>
 * The home slot is {@code unsignedMultiplyHigh(hash, capacity)}, so capacities need not be powers
 * of two and the table can grow by 1.5x, which keeps the index at 9..13 bytes per entry.
 *
 * <h2>Batched lookups</h2>
 * {@link #loadHomes} and {@link #candidates} split a lookup into its slot loads and its chain
 * walk, so that {@link EntryMap#findAll} can issue the slot loads of many keys before it follows
 * any chain: the cache misses of independent keys overlap.
 *
 * <h2>Growth without a stall</h2>
 * When the table reaches {@value #MAX_LOAD_PERCENT}% load, a 1.5x larger table is allocated and
 * the old one is drained incrementally: every write migrates at least {@value #MIGRATE_SLOTS_PER_WRITE}
 * old slots (whole clusters, so the old table stays a valid Robin Hood table between steps).
 * Lookups consult the new table, then the old one. A write therefore never rehashes more than a
 * few clusters, instead of the whole index.
 *
 * <h2>Threading and ownership</h2>
 * Single writer; not safe for concurrent use. Tables are off-heap segments, each in its own
 * {@link Arena} so a drained table is released at once; all are charged to the store's
 * {@link MemoryBudget}. {@link #close()} releases them.
 */
public final class HashIndex implements AutoCloseable {
    /** Load (percent) at which the table grows. */
    public static final int MAX_LOAD_PERCENT = 90;
    /** Old-table slots migrated per write while a growth is in progress (at least). */
    public static final int MIGRATE_SLOTS_PER_WRITE = 8;
    private static final long MIN_CAPACITY = 16;
    /** Slots in a 64-byte cache line (tables are 64-byte aligned). */
    private static final long SLOTS_PER_LINE = 8;
    private static final long MAX_CAPACITY = (Long.MAX_VALUE >>> 4);

    private final EntryKeys keys;
    private final MemoryBudget budget;
    private final RegionBacking backing;
    private final int fingerprintMask;

    private Table current;
    private Table old;
    private long migrationCursor;
    private long size;

    private Table foundTable;
    private long foundSlot;
    /** Where {@link #loadHomes} leaves the words it loaded only to bring their cache lines in. */
    private long batchSink;

    /**
     * @param keys            compares and rehashes the keys the slots point at
     * @param budget          charged for every table
     * @param expectedEntries entries to size the first table for (it still grows beyond)
     * @param fingerprintBits bits of fingerprint to keep, 12 normally; fewer only to force
     *                        fingerprint collisions in tests
     * @throws StoreFullException if the first table does not fit the budget
     * @throws IllegalArgumentException if {@code expectedEntries} is negative or above {@link #MAX_EXPECTED_ENTRIES}
     */
    public HashIndex(EntryKeys keys, MemoryBudget budget, long expectedEntries, int fingerprintBits) {
        this(keys, budget, expectedEntries, fingerprintBits, null);
    }

    /** As {@link #HashIndex(EntryKeys, MemoryBudget, long, int)}, with tables in files of {@code backing} (null: anonymous). */
    public HashIndex(EntryKeys keys, MemoryBudget budget, long expectedEntries, int fingerprintBits, RegionBacking backing) {
        if (fingerprintBits < 0 || fingerprintBits > SlotDescriptor.MAX_FINGERPRINT_BITS) {
            throw new IllegalArgumentException("fingerprint bits must be 0.." + SlotDescriptor.MAX_FINGERPRINT_BITS + ", was " + fingerprintBits);
        }
        if (expectedEntries < 0 || expectedEntries > MAX_EXPECTED_ENTRIES) {
            throw new IllegalArgumentException("expected entries must be 0.." + MAX_EXPECTED_ENTRIES + " (2^37), was " + expectedEntries);
        }
        this.keys = keys;
        this.budget = budget;
        this.backing = backing;
        this.fingerprintMask = (1 << fingerprintBits) - 1;
        this.current = Table.allocate(capacityFor(expectedEntries), budget, backing);
    }

    private HashIndex(EntryKeys keys, MemoryBudget budget, int fingerprintMask, RegionBacking backing) {
        this.keys = keys;
        this.budget = budget;
        this.backing = backing;
        this.fingerprintMask = fingerprintMask;
    }

    private static long capacityFor(long entries) {
        long c = Math.max(MIN_CAPACITY, (entries * 100 + MAX_LOAD_PERCENT - 1) / MAX_LOAD_PERCENT + 1);
        return Math.min(c, MAX_CAPACITY);
    }

    /** Number of keys indexed. */
    public long size() {
        return size;
    }

    /** Off-heap bytes held by the tables (both while a growth is in progress). */
    public long bytesAllocated() {
        return current.bytes() + (old != null ? old.bytes() : 0);
    }

    /** Capacity in slots of the current table. */
    public long capacity() {
        return current.capacity;
    }

    /** Whether an incremental growth is in progress. */
    public boolean isMigrating() {
        return old != null;
    }

    private int fingerprint(long hash) {
        return (int) hash & SlotDescriptor.FINGERPRINT_MASK & fingerprintMask;
    }

    /**
     * Finds {@code key} (whose hash is {@code hash}) and returns the address of its entry, or 0 if
     * absent. After a hit, {@link #replaceFound} and {@link #removeFound} act on the slot found,
     * until the next mutation.
     */
    public long find(ByteSource key, long hash) {
        final int fp = fingerprint(hash);
        long address = probe(current, key, hash, fp);
        if (address == 0 && old != null) {
            address = probe(old, key, hash, fp);
        }
        return address;
    }

    private long probe(Table t, ByteSource key, long hash, int fp) {
        final MemorySegment slots = t.slots;
        final long capacity = t.capacity;
        final boolean unchecked = t.pending != null; // a table reopened from a file, not all verified yet
        long i = Math.unsignedMultiplyHigh(hash, capacity);
        for (int distance = 1; ; distance++) {
            if (unchecked) {
                t.check(i);
            }
            final long slot = slots.get(ValueLayout.JAVA_LONG, i << 3);
            if (SlotDescriptor.distance(slot) < distance) {
                return 0; // empty, or Robin Hood order proves the key is not further on
            }
            if (SlotDescriptor.fingerprint(slot) == fp) {
                final long address = SlotDescriptor.address(slot);
                if (keys.keyEquals(address, key)) {
                    foundTable = t;
                    foundSlot = i;
                    return address;
                }
            }
            if (++i == capacity) {
                i = 0;
            }
        }
    }

    /**
     * First slot stage of a batched lookup ({@link EntryMap#findAll}): for each {@code j} in
     * {@code [from, to)}, {@code homes[j]} becomes the home slot of {@code hashes[j]} in the
     * current table and {@code words[j]} that slot's word; the cache line after the home's is loaded
     * too (a chain at 90% load runs ~5 slots past its home). Nothing but these loads happens in
     * the loop, so they are in flight together instead of one after the other; {@link #candidates}
     * then follows the chains.
     *
     * @throws CorruptStoreFileException if a slot's chunk of a reopened table does not match its checksum
     */
    public void loadHomes(long[] hashes, int from, int to, long[] homes, long[] words) {
        final Table t = current;
        final MemorySegment slots = t.slots;
        final long capacity = t.capacity;
        final boolean unchecked = t.pending != null;
        long sink = 0;
        for (int j = from; j < to; j++) {
            final long home = Math.unsignedMultiplyHigh(hashes[j], capacity);
            homes[j] = home;
            final long nextLine = Math.min((home | (SLOTS_PER_LINE - 1)) + 1, capacity - 1);
            if (unchecked) {
                t.check(home);
                t.check(nextLine);
            }
            words[j] = slots.get(ValueLayout.JAVA_LONG, home << 3);
            sink ^= slots.get(ValueLayout.JAVA_LONG, nextLine << 3);
        }
        batchSink = sink; // a use of the next-line loads, so that they are not dropped
    }

    /**
     * Second slot stage of a batched lookup, after {@link #loadHomes} of the same range: for each
     * {@code j} in {@code [from, to)}, {@code words[j]} (the home slot's word) is replaced by the
     * address of the first slot in the probe chain of {@code hashes[j]} whose fingerprint matches
     * — in the current table, else in the table being drained — or 0 if the chains prove the key
     * absent. A non-zero address is only a candidate: the caller compares its key and, on a
     * fingerprint collision (about 1 in 4096 slots with 12 fingerprint bits), falls back to
     * {@link #find}. Reads only; does not change what {@link #replaceFound}/{@link #removeFound}
     * act on.
     *
     * @throws CorruptStoreFileException if a slot's chunk of a reopened table does not match its checksum
     */
    public void candidates(long[] hashes, int from, int to, long[] homes, long[] words) {
        final Table t = current;
        final MemorySegment slots = t.slots;
        final long capacity = t.capacity;
        final boolean unchecked = t.pending != null;
        final Table drained = old;
        for (int j = from; j < to; j++) {
            final int fp = fingerprint(hashes[j]);
            long address = firstMatch(t, slots, capacity, unchecked, homes[j], words[j], fp);
            if (address == 0 && drained != null) {
                final long home = Math.unsignedMultiplyHigh(hashes[j], drained.capacity);
                drained.check(home);
                address = firstMatch(drained, drained.slots, drained.capacity, drained.pending != null, home,
                    drained.slots.get(ValueLayout.JAVA_LONG, home << 3), fp);
            }
            words[j] = address;
        }
    }

    /** The address of the first slot from {@code i} (whose word is {@code slot}) on with fingerprint {@code fp}, or 0. */
    private static long firstMatch(Table t, MemorySegment slots, long capacity, boolean unchecked, long i, long slot, int fp) {
        for (int distance = 1; ; distance++) {
            if (SlotDescriptor.distance(slot) < distance) {
                return 0; // empty, or Robin Hood order proves the key is not further on
            }
            if (SlotDescriptor.fingerprint(slot) == fp) {
                return SlotDescriptor.address(slot);
            }
            if (++i == capacity) {
                i = 0;
            }
            if (unchecked) {
                t.check(i);
            }
            slot = slots.get(ValueLayout.JAVA_LONG, i << 3);
        }
    }

    /** Points the slot of the last successful {@link #find} at {@code newAddress}. */
    public void replaceFound(long newAddress) {
        final MemorySegment slots = foundTable.slots;
        foundTable.check(foundSlot);
        long slot = slots.get(ValueLayout.JAVA_LONG, foundSlot << 3);
        foundTable.dirty(foundSlot, foundSlot); // before every slot write: see Table.dirty
        slots.set(ValueLayout.JAVA_LONG, foundSlot << 3, SlotDescriptor.withAddress(slot, newAddress));
    }

    /** Removes the key of the last successful {@link #find}. */
    public void removeFound() {
        removeAt(foundTable, foundSlot);
        foundTable = null;
        size--;
    }

    private static void removeAt(Table t, long at) {
        final MemorySegment slots = t.slots;
        final long capacity = t.capacity;
        long j = at;
        while (true) {
            long n = j + 1 == capacity ? 0 : j + 1;
            t.check(n);
            long next = slots.get(ValueLayout.JAVA_LONG, n << 3);
            t.dirty(j, j);
            if (SlotDescriptor.distance(next) <= 1) {
                slots.set(ValueLayout.JAVA_LONG, j << 3, EMPTY);
                break;
            }
            slots.set(ValueLayout.JAVA_LONG, j << 3, next - DISTANCE_ONE);
            j = n;
        }
        t.count--;
    }

    /** New bytes an {@link #insert} would charge to the budget right now (a growth's new table). */
    public long bytesNeededForInsert() {
        if (size + 1 <= current.growAt) {
            return 0;
        }
        long oldBytes = old != null ? old.bytes() : 0; // drained and freed before the new table is allocated
        return Math.max(0, Table.bytesFor(nextCapacity()) - oldBytes);
    }

    /**
     * Inserts {@code address} for a key known to be absent whose hash is {@code hash}.
     *
     * @throws StoreFullException if a growth would exceed the budget (nothing changed)
     * @throws OffstateException if the probe distance limit is hit (pathological hash collisions;
     *                           nothing changed)
     */
    public void insert(long hash, long address) {
        if (size + 1 > current.growAt) {
            grow();
        }
        insertInto(current, hash, fingerprint(hash), address);
        size++;
    }

    private static void insertInto(Table t, long hash, int fp, long address) {
        final MemorySegment slots = t.slots;
        final long capacity = t.capacity;
        long i = Math.unsignedMultiplyHigh(hash, capacity);
        int distance = 1;
        while (true) {
            t.check(i);
            long slot = slots.get(ValueLayout.JAVA_LONG, i << 3);
            if (slot == EMPTY) {
                t.dirty(i, i);
                slots.set(ValueLayout.JAVA_LONG, i << 3, SlotDescriptor.slot(fp, distance, address));
                t.count++;
                return;
            }
            if (SlotDescriptor.distance(slot) < distance) {
                break; // the new key belongs here: keep the cluster sorted by home slot
            }
            if (++distance > MAX_DISTANCE) {
                throw distanceOverflow();
            }
            i = i + 1 == capacity ? 0 : i + 1;
        }
        // Check the whole shift before changing anything, so an overflow leaves the table intact.
        long end = i;
        while (true) {
            t.check(end);
            long slot = slots.get(ValueLayout.JAVA_LONG, end << 3);
            if (slot == EMPTY) {
                break;
            }
            if (SlotDescriptor.distance(slot) >= MAX_DISTANCE) {
                throw distanceOverflow();
            }
            end = end + 1 == capacity ? 0 : end + 1;
        }
        t.dirty(i, end);
        long j = end;
        while (j != i) {
            long prev = j == 0 ? capacity - 1 : j - 1;
            slots.set(ValueLayout.JAVA_LONG, j << 3, slots.get(ValueLayout.JAVA_LONG, prev << 3) + DISTANCE_ONE);
            j = prev;
        }
        slots.set(ValueLayout.JAVA_LONG, i << 3, SlotDescriptor.slot(fp, distance, address));
        t.count++;
    }

    private static OffstateException distanceOverflow() {
        return new OffstateException("hash index probe distance exceeded " + MAX_DISTANCE
            + " slots: keys collide pathologically under this store's hash seed; the store is unchanged");
    }

    private long nextCapacity() {
        long live = size + 1;
        return Math.max(capacityFor(live), Math.min(MAX_CAPACITY, current.capacity + (current.capacity >>> 1)));
    }

    private void grow() {
        if (old != null) {
            finishMigration();
        }
        Table bigger = Table.allocate(nextCapacity(), budget, backing);
        old = current;
        current = bigger;
        migrationCursor = old.firstEmptySlot();
    }

    /**
     * Grows the index now, whole, to a table that holds {@code entries} keys without another growth
     * step: for a bulk load whose size is known up front (a changelog restore into an empty store),
     * instead of growing 1.5x at a time and draining each old table. Does nothing if the table is
     * large enough already. An in-progress growth is completed first. Lookups and contents are
     * unchanged.
     *
     * @throws IllegalArgumentException if {@code entries} is negative or above {@link #MAX_EXPECTED_ENTRIES}
     * @throws StoreFullException if the larger table exceeds the budget (the index stays as it was,
     *                            except that an in-progress growth may have been completed)
     */
    public void reserve(long entries) {
        if (entries < 0 || entries > MAX_EXPECTED_ENTRIES) {
            throw new IllegalArgumentException("entries to reserve must be 0.." + MAX_EXPECTED_ENTRIES + ", was " + entries);
        }
        long wanted = capacityFor(entries);
        if (wanted <= current.capacity) {
            return;
        }
        finishMigration();
        Table bigger = Table.allocate(wanted, budget, backing);
        old = current;
        current = bigger;
        migrationCursor = old.firstEmptySlot();
        finishMigration();
    }

    /**
     * Does a bounded share of an in-progress growth: at least {@value #MIGRATE_SLOTS_PER_WRITE} old
     * slots, ending on a cluster boundary. Called once per write by the owner.
     */
    public void migrateStep() {
        if (old != null) {
            migrate(MIGRATE_SLOTS_PER_WRITE);
        }
    }

    /** Completes any in-progress growth now. */
    public void finishMigration() {
        while (old != null) {
            migrate(Long.MAX_VALUE);
        }
    }

    private void migrate(long quota) {
        final Table from = old;
        final MemorySegment slots = from.slots;
        final long capacity = from.capacity;
        long i = migrationCursor;
        long done = 0;
        while (from.count > 0) {
            from.check(i);
            long slot = slots.get(ValueLayout.JAVA_LONG, i << 3);
            if (slot == EMPTY) {
                if (done >= quota) {
                    break; // stop only between clusters, so the old table stays consistent
                }
            } else {
                long address = SlotDescriptor.address(slot);
                long hash = keys.hashOf(address);
                insertInto(current, hash, fingerprint(hash), address);
                from.dirty(i, i);
                slots.set(ValueLayout.JAVA_LONG, i << 3, EMPTY);
                from.count--;
            }
            done++;
            i = i + 1 == capacity ? 0 : i + 1;
        }
        migrationCursor = i;
        if (from.count == 0) {
            old = null;
            foundTable = null;
            from.free(budget, backing);
        }
    }

    /** Number of positions {@link #addressAt} accepts: slots of both tables. */
    public long positions() {
        return current.capacity + (old != null ? old.capacity : 0);
    }

    /** The entry address at iteration position {@code position}, or 0 if that slot is empty. */
    public long addressAt(long position) {
        Table t = current;
        if (position >= t.capacity) {
            position -= t.capacity;
            t = old;
        }
        t.check(position);
        return SlotDescriptor.address(t.slots.get(ValueLayout.JAVA_LONG, position << 3));
    }

    /**
     * An independent copy of this index over {@code copyKeys}, with tables copied byte for byte into
     * new memory charged to {@code copyBudget} (an in-progress growth is copied as it is).
     */
    public HashIndex copy(EntryKeys copyKeys, MemoryBudget copyBudget) {
        return copy(copyKeys, copyBudget, null);
    }

    /** As {@link #copy(EntryKeys, MemoryBudget)}, with tables in new files of {@code copyBacking} (null: anonymous). */
    public HashIndex copy(EntryKeys copyKeys, MemoryBudget copyBudget, RegionBacking copyBacking) {
        copyBudget.check(bytesAllocated());
        HashIndex c = new HashIndex(copyKeys, copyBudget, fingerprintMask, copyBacking);
        try {
            c.current = current.copy(copyBudget, copyBacking);
            if (old != null) {
                c.old = old.copy(copyBudget, copyBacking);
            }
        } catch (RuntimeException | Error e) {
            c.close();
            throw e;
        }
        c.migrationCursor = migrationCursor;
        c.size = size;
        return c;
    }

    /** Re-reads the tables' segments from their regions (after a flush remapped them). */
    public void refreshMappings() {
        current.refresh();
        if (old != null) {
            old.refresh();
        }
    }

    /** The regions of the tables of a file-backed index (one, or two while growing). */
    public MappedRegion[] regions() {
        if (backing == null) {
            return new MappedRegion[0];
        }
        return old == null ? new MappedRegion[] {current.region} : new MappedRegion[] {current.region, old.region};
    }

    /** Writes the index's state (tables by file id) for a flush of a file-backed store. */
    public void writeMeta(MetaOut out) {
        out.putInt(fingerprintMask).putLong(size).putLong(migrationCursor);
        current.writeMeta(out);
        out.putInt(old != null ? 1 : 0);
        if (old != null) {
            old.writeMeta(out);
        }
    }

    /**
     * An index reopened from {@link #writeMeta} output: the tables are mapped, not rebuilt.
     *
     * @throws CorruptStateException if the metadata is inconsistent
     */
    public static HashIndex reopen(MetaIn in, EntryKeys keys, MemoryBudget budget, RegionBacking backing) {
        int mask = in.getInt("fingerprint mask", 0, SlotDescriptor.FINGERPRINT_MASK);
        if ((mask & (mask + 1)) != 0) {
            throw new CorruptStateException("fingerprint mask " + mask + " is not 2^n-1");
        }
        HashIndex h = new HashIndex(keys, budget, mask, backing);
        try {
            h.size = in.getLong("index size", 0, MAX_CAPACITY);
            h.migrationCursor = in.getLong("migration cursor", 0, MAX_CAPACITY);
            h.current = Table.reopen(in, budget, backing);
            if (in.getInt("growing", 0, 1) == 1) {
                h.old = Table.reopen(in, budget, backing);
                if (h.migrationCursor >= h.old.capacity) {
                    throw new CorruptStateException("migration cursor " + h.migrationCursor
                        + " beyond old table of " + h.old.capacity + " slots");
                }
            }
            long counted = h.current.count + (h.old != null ? h.old.count : 0);
            if (counted != h.size) {
                throw new CorruptStateException("index tables hold " + counted + " keys, header says " + h.size);
            }
            return h;
        } catch (RuntimeException | Error e) {
            h.close();
            throw e;
        }
    }

    /**
     * Most entries an index can be sized for, 2^37: a slot holds a 40-bit entry address
     * ({@link io.offstate.offheap.memory.PagedMemory#ADDRESS_BITS}) and the smallest block is 8 bytes
     * ({@link io.offstate.offheap.memory.SizeClasses#MIN_BLOCK}), so no store can ever hold more
     * distinct entries than 2^40 / 8. Asking for more is a mistake, not a plan.
     */
    public static final long MAX_EXPECTED_ENTRIES =
        (io.offstate.offheap.memory.PagedMemory.MAX_ADDRESS + 1) / io.offstate.offheap.memory.SizeClasses.MIN_BLOCK;

    /**
     * Checks every slot of both tables, O(n), reading only: each occupied slot has a non-zero
     * address whose entry decodes (through {@link EntryKeys}); its distance field puts it exactly
     * where the entry's hash says its home is; Robin Hood order holds (a slot is at most one place
     * further from home than the slot before it, and at home after an empty slot); its fingerprint
     * is the hash's; no key is reachable twice (in the same table, or in both while growing); and the
     * occupied slots add up to each table's count and to {@link #size()}.
     *
     * @throws CorruptStateException naming the table, the slot and what is wrong
     */
    public void verify() {
        long total = verifyTable(current, "current", null);
        if (old != null) {
            if (migrationCursor < 0 || migrationCursor >= old.capacity) {
                throw corruptTable("growing", "migration cursor " + migrationCursor + " is outside its " + old.capacity + " slots");
            }
            total += verifyTable(old, "growing", current);
        }
        if (total != size) {
            throw corruptTable("current", "the tables hold " + total + " keys, the index says " + size);
        }
    }

    /** Checks one table; {@code other} (the current table, for the old one) must not hold any of its keys. */
    private long verifyTable(Table t, String which, Table other) {
        t.checkAll(); // a reopened table's checksums first: slot bytes are not decoded unchecked
        final MemorySegment slots = t.slots;
        final long capacity = t.capacity;
        long occupied = 0;
        for (long i = 0; i < capacity; i++) {
            final long slot = slots.get(ValueLayout.JAVA_LONG, i << 3);
            if (slot == EMPTY) {
                continue;
            }
            final int d = SlotDescriptor.distance(slot);
            final long address = SlotDescriptor.address(slot);
            if (d == 0 || address == 0) {
                throw corruptSlot(which, i, slot, "is neither empty nor a valid entry (distance field " + d + ", address " + address + ")");
            }
            final long previous = slots.get(ValueLayout.JAVA_LONG, (i == 0 ? capacity - 1 : i - 1) << 3);
            if (d > SlotDescriptor.distance(previous) + 1) {
                throw corruptSlot(which, i, slot, "is " + (d - 1) + " places from home, but the slot before it is "
                    + (SlotDescriptor.distance(previous) == 0 ? "empty" : (SlotDescriptor.distance(previous) - 1) + " places from home")
                    + ": Robin Hood order is broken");
            }
            final long hash = keys.hashOf(address);
            final long home = Math.floorMod(i - (d - 1), capacity);
            if (Math.unsignedMultiplyHigh(hash, capacity) != home) {
                throw corruptSlot(which, i, slot, "says its home is slot " + home + ", but the key of entry " + address
                    + " hashes to slot " + Math.unsignedMultiplyHigh(hash, capacity));
            }
            if (SlotDescriptor.fingerprint(slot) != fingerprint(hash)) {
                throw corruptSlot(which, i, slot, "has fingerprint " + SlotDescriptor.fingerprint(slot)
                    + ", but the key of entry " + address + " has " + fingerprint(hash));
            }
            // equal keys have equal homes, and a home's keys are adjacent: look back through them
            for (long j = i, back = 1; back < d; back++) {
                j = j == 0 ? capacity - 1 : j - 1;
                final long s = slots.get(ValueLayout.JAVA_LONG, j << 3);
                if (Math.floorMod(j - (SlotDescriptor.distance(s) - 1), capacity) != home) {
                    break;
                }
                if (SlotDescriptor.fingerprint(s) == SlotDescriptor.fingerprint(slot) && keys.sameKey(SlotDescriptor.address(s), address)) {
                    throw corruptSlot(which, i, slot, "holds the same key as slot " + j);
                }
            }
            if (other != null && reachable(other, hash, address)) {
                throw corruptSlot(which, i, slot, "holds a key that the current table holds too");
            }
            occupied++;
        }
        if (occupied != t.count) {
            throw corruptTable(which, occupied + " slots are occupied, its count says " + t.count);
        }
        return occupied;
    }

    /** Whether a probe of {@code t} for the key of the entry at {@code address} (hash {@code hash}) would find an entry. */
    private boolean reachable(Table t, long hash, long address) {
        final int fp = fingerprint(hash);
        long i = Math.unsignedMultiplyHigh(hash, t.capacity);
        for (int distance = 1; distance <= MAX_DISTANCE; distance++) {
            final long slot = t.slots.get(ValueLayout.JAVA_LONG, i << 3);
            if (SlotDescriptor.distance(slot) < distance) {
                return false;
            }
            if (SlotDescriptor.fingerprint(slot) == fp && keys.sameKey(address, SlotDescriptor.address(slot))) {
                return true;
            }
            i = i + 1 == t.capacity ? 0 : i + 1;
        }
        return false;
    }

    private CorruptStateException corruptSlot(String which, long i, long slot, String what) {
        return corruptTable(which, "slot " + i + " (0x" + Long.toHexString(slot) + ") " + what);
    }

    private CorruptStateException corruptTable(String which, String what) {
        return new CorruptStateException("hash index of store '" + budget.owner() + "', " + which + " table: " + what);
    }

    /** Test hook (package-private): the slots of the current table, or of the old one while growing (else null). */
    MemorySegment slotsForTest(boolean oldTable) {
        Table t = oldTable ? old : current;
        return t == null ? null : t.slots;
    }

    /** Releases the tables; idempotent. */
    @Override
    public void close() {
        if (current != null) {
            current.free(budget, backing);
            current = null;
        }
        if (old != null) {
            old.free(budget, backing);
            old = null;
        }
        foundTable = null;
    }

    /**
     * One table: an array of slots in a segment of its own (an arena's, or a mapped file's). A
     * table reopened from a file is {@link #pending}: no slot is read (or written) before the
     * {@value MappedRegion#CHUNK_SIZE}-byte chunk holding it was verified ({@link #check}), chunk
     * by chunk, so a lookup after open checks only the chunks its probe crosses.
     */
    private static final class Table {
        final Arena arena;
        final MappedRegion region;
        MemorySegment slots;
        final long capacity;
        final long growAt;
        long count;
        /** The region while some of its chunks are not verified; null once all are (or for a new table). */
        MappedRegion pending;

        private Table(Arena arena, MappedRegion region, MemorySegment slots, long capacity) {
            this.arena = arena;
            this.region = region;
            this.slots = slots;
            this.capacity = capacity;
            this.growAt = capacity * MAX_LOAD_PERCENT / 100;
            this.pending = region != null && !region.isVerified() ? region : null;
        }

        /**
         * Verifies the chunk holding slot {@code i} if it was not yet (one branch once all are).
         *
         * @throws CorruptStoreFileException if the chunk does not match its checksum
         */
        void check(long i) {
            if (pending != null) {
                checkChunk(i);
            }
        }

        private void checkChunk(long i) {
            pending.verify(i << 3, Long.BYTES);
            if (pending.isVerified()) {
                pending = null;
            }
        }

        /** Verifies every chunk not verified yet (before a whole-table read: a copy or a full check). */
        void checkAll() {
            if (pending != null) {
                pending.verifyAll();
                pending = null;
            }
        }

        static long bytesFor(long capacity) {
            return capacity * Long.BYTES;
        }

        static Table allocate(long capacity, MemoryBudget budget, RegionBacking backing) {
            long bytes = bytesFor(capacity);
            budget.check(bytes);
            Table t;
            if (backing == null) {
                Arena arena = Arena.ofShared();
                MemorySegment slots;
                try {
                    slots = arena.allocate(bytes, 64);
                } catch (OutOfMemoryError e) {
                    arena.close();
                    throw new OutOfNativeMemoryException(budget.owner(), "a hash table of " + capacity + " slots",
                        budget.limit(), budget.used(), bytes, e);
                }
                t = new Table(arena, null, slots, capacity);
            } else {
                MappedRegion region;
                try {
                    region = backing.newSegment(bytes);
                } catch (OutOfMemoryError e) { // anonymous backing: the OS refused the memory
                    throw new OutOfNativeMemoryException(budget.owner(), "a hash table of " + capacity + " slots",
                        budget.limit(), budget.used(), bytes, e);
                }
                t = new Table(null, region, region.segment(), capacity);
            }
            budget.reserve(bytes);
            return t;
        }

        static Table reopen(MetaIn in, MemoryBudget budget, RegionBacking backing) {
            int fileId = in.getInt("table file", 1, Integer.MAX_VALUE);
            long capacity = in.getLong("table capacity", MIN_CAPACITY, MAX_CAPACITY);
            long count = in.getLong("table count", 0, capacity * MAX_LOAD_PERCENT / 100);
            long bytes = bytesFor(capacity);
            budget.check(bytes);
            MappedRegion region = backing.openSegment(fileId, bytes);
            budget.reserve(bytes);
            Table t = new Table(null, region, region.segment(), capacity);
            t.count = count;
            return t;
        }

        void writeMeta(MetaOut out) {
            out.putInt(region.fileId()).putLong(capacity).putLong(count);
        }

        /**
         * Records that slots {@code from..to} (inclusive, wrapping past the end) are about to change:
         * called before the writes (see {@link MappedRegion#markDirty}).
         */
        void dirty(long from, long to) {
            if (region == null) {
                return;
            }
            if (to >= from) {
                region.markDirty(from << 3, (to - from + 1) << 3);
            } else {
                region.markDirty(from << 3, (capacity - from) << 3);
                region.markDirty(0, (to + 1) << 3);
            }
        }

        void refresh() {
            if (region != null) {
                slots = region.segment();
            }
        }

        long bytes() {
            return bytesFor(capacity);
        }

        long firstEmptySlot() {
            for (long i = 0; i < capacity; i++) {
                check(i);
                if (slots.get(ValueLayout.JAVA_LONG, i << 3) == EMPTY) {
                    return i;
                }
            }
            throw new IllegalStateException("a hash table at its load limit always has an empty slot");
        }

        Table copy(MemoryBudget budget, RegionBacking backing) {
            checkAll(); // a copy is verified by construction: it must not take in unchecked damage
            Table c = allocate(capacity, budget, backing);
            MemorySegment.copy(slots, 0, c.slots, 0, slots.byteSize());
            if (c.region != null) {
                c.region.markAllDirty();
            }
            c.count = count;
            return c;
        }

        void free(MemoryBudget budget, RegionBacking backing) {
            if (region != null) {
                backing.free(region);
            } else {
                arena.close();
            }
            budget.release(bytes());
        }
    }
}
