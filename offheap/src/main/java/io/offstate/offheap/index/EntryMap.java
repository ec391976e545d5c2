package io.offstate.offheap.index;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Arrays;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.KeyBatch;
import io.offstate.offheap.StoreFullException;
import io.offstate.offheap.Varint;
import io.offstate.offheap.memory.MetaIn;
import io.offstate.offheap.memory.MetaOut;
import io.offstate.offheap.memory.PagedMemory;

/**
 * An off-heap map from byte keys to byte values: entries ({@link EntryDescriptor}) in
 * {@link PagedMemory} blocks, located by a {@link HashIndex}.
 *
 * <p>It is the engine's core and the dictionary's storage. It validates no caller sizes (the store
 * above it does), but everything it decodes from memory is checked ({@link EntryDescriptor}), so
 * damage is a {@link CorruptStateException}; {@link #verify} checks the whole map. It keeps the
 * budget promise: {@link #put} checks everything it could need
 * before it changes anything, so a {@link StoreFullException} leaves the map
 * as it was.
 *
 * <p>Overwrites reuse the entry's block when the new entry falls in the same size class (no
 * allocation, no index change); otherwise the new entry gets a new block and the old block goes
 * back to its free list.
 *
 * <p>Threading: single writer. Ownership: the map owns its index; the {@link PagedMemory} is the
 * caller's (the dictionary shares the store's). Addresses returned stay valid until that entry is
 * overwritten or removed.
 */
public final class EntryMap implements EntryKeys, AutoCloseable {
    private final PagedMemory memory;
    private final long seed;
    private final boolean codedKeys;
    private final ByteSource scratch = new ByteSource();
    private final ByteSource verifyKey = new ByteSource();
    private HashIndex index;
    /** {@link #findAll}'s scratch, allocated by its first call. */
    private long[] batchHashes;
    private long[] batchHomes;
    private long[] batchTouched;

    /**
     * @param memory          where entries live (shared with other maps is fine)
     * @param seed            hash seed; random per store
     * @param codedKeys       whether stored keys start with a dictionary code varint
     * @param expectedEntries initial index sizing
     * @param fingerprintBits see {@link HashIndex}
     */
    public EntryMap(PagedMemory memory, long seed, boolean codedKeys, long expectedEntries, int fingerprintBits) {
        this.memory = memory;
        this.seed = seed;
        this.codedKeys = codedKeys;
        this.index = new HashIndex(this, memory.budget(), expectedEntries, fingerprintBits, memory.backing());
    }

    private EntryMap(PagedMemory memory, long seed, boolean codedKeys) {
        this.memory = memory;
        this.seed = seed;
        this.codedKeys = codedKeys;
    }

    /** The memory entries live in. */
    public PagedMemory memory() {
        return memory;
    }

    /** The index (for sizing and statistics). */
    public HashIndex index() {
        return index;
    }

    /** The hash seed. */
    public long seed() {
        return seed;
    }

    /** Number of entries. */
    public long size() {
        return index.size();
    }

    /** The hash of {@code key} under this map's seed. */
    public long hash(ByteSource key) {
        return key.hash(seed);
    }

    /** Address of the entry for {@code key} ({@code hash} from {@link #hash}), or 0 if absent. */
    public long find(ByteSource key, long hash) {
        return index.find(key, hash);
    }

    /** Most keys one {@link #findAll} call takes. */
    public static final int MAX_BATCH = 64;
    /**
     * Keys per stage of {@link #findAll}'s pipeline: enough independent loads in flight at once,
     * and two stages per full batch so that one group's compares overlap the next group's loads
     * (measured at 1M keys: 8 was slower on 64-key batches, 16, 32 and 64 alike within noise).
     */
    static final int STAGE = 32;

    /**
     * Batched {@link #find} of keys {@code start .. start + count)} of {@code keys}, for a map of
     * keys without dictionary codes: {@code out[j]} becomes the address of the entry for key
     * {@code start + j}, or 0 if absent, and {@code spans[j]} its {@link EntryDescriptor#valueSpan}
     * (undefined where {@code out[j]} is 0). Equal to {@code find} of each key.
     *
     * <p>A lookup is two dependent cache misses, its slot and its entry. Here keys go through a
     * software pipeline of {@value #STAGE}-key stages — (1) hash and load the home slots
     * ({@link HashIndex#loadHomes}), (2) follow the chains to a candidate ({@link HashIndex#candidates})
     * and load its entry's first lines, (3) compare the keys and decode the values — with stage 1 of
     * one group, stage 2 of the group before and stage 3 of the one before that done in turn: the
     * misses of independent keys overlap, and the loads of later groups are in flight while earlier
     * groups are compared. The loops that issue loads do nothing else: measured at 1M keys,
     * hashing inside the slot-load loop cost +30% per key and following the chains inside the
     * entry-load loop +50% (fewer loads fit the out-of-order window, and each chain's mispredicted
     * exit discards the loads behind it); loading the slot line after the home's and the entry's
     * second line each saved about a fifth. Reads only; allocates only its scratch, once per map.
     *
     * @throws IllegalArgumentException if {@code count} exceeds {@value #MAX_BATCH}
     * @throws IllegalStateException if the map's keys carry dictionary codes (look those up one by one)
     * @throws CorruptStateException if a slot or entry does not decode
     */
    public void findAll(KeyBatch keys, int start, int count, long[] out, long[] spans) {
        if (count > MAX_BATCH) {
            throw new IllegalArgumentException("a batch holds at most " + MAX_BATCH + " keys, was " + count);
        }
        if (codedKeys) {
            throw new IllegalStateException("findAll takes keys without dictionary codes; this map's keys carry them");
        }
        if (batchHashes == null) {
            batchHashes = new long[MAX_BATCH];
            batchHomes = new long[MAX_BATCH];
            batchTouched = new long[MAX_BATCH];
        }
        final int groups = (count + STAGE - 1) / STAGE;
        for (int step = 0; step < groups + 2; step++) {
            if (step < groups) {
                final int from = step * STAGE;
                loadSlots(keys, start, from, Math.min(from + STAGE, count), out);
            }
            if (step >= 1 && step <= groups) {
                final int from = (step - 1) * STAGE;
                loadEntries(from, Math.min(from + STAGE, count), out);
            }
            if (step >= 2) {
                final int from = (step - 2) * STAGE;
                compare(keys, start, from, Math.min(from + STAGE, count), out, spans);
            }
        }
    }

    /** Stage 1: hash keys {@code [from, to)} and load their home slots. */
    private void loadSlots(KeyBatch keys, int start, int from, int to, long[] words) {
        final long[] hashes = batchHashes;
        for (int j = from; j < to; j++) {
            hashes[j] = keys.hash(start + j, seed);
        }
        index.loadHomes(hashes, from, to, batchHomes, words);
    }

    /** Stage 2: candidate addresses of keys {@code [from, to)}, and their entries' first two lines loaded. */
    private void loadEntries(int from, int to, long[] out) {
        index.candidates(batchHashes, from, to, batchHomes, out);
        // a 16-byte key's entry often crosses into the second line before its value's first word
        final PagedMemory m = memory;
        final long[] touched = batchTouched;
        for (int j = from; j < to; j++) {
            final long address = out[j];
            if (address != 0) {
                final MemorySegment page = m.page(address);
                final long offset = m.offset(address);
                touched[j] = page.get(ValueLayout.JAVA_BYTE, offset)
                    ^ page.get(ValueLayout.JAVA_BYTE, Math.min(offset + 64, page.byteSize() - 1));
            }
        }
    }

    /** Stage 3: compare keys {@code [from, to)} with their candidates, decode the value spans, settle collisions. */
    private void compare(KeyBatch keys, int start, int from, int to, long[] out, long[] spans) {
        final PagedMemory m = memory;
        for (int j = from; j < to; j++) {
            final long address = out[j];
            if (address == 0) {
                continue;
            }
            final int i = start + j;
            final MemorySegment page = m.page(address);
            final long offset = m.offset(address);
            final long span = EntryDescriptor.shortValueSpan(page, offset);
            if (span >= 0) {
                if (EntryDescriptor.spanOffset(span) - 2 == keys.length(i) && keys.bytesEqual(i, page, offset + 2)) {
                    spans[j] = span;
                    continue;
                }
            } else {
                final long keySpan = EntryDescriptor.keySpan(page, offset);
                if (EntryDescriptor.spanLength(keySpan) == keys.length(i)
                    && keys.bytesEqual(i, page, offset + EntryDescriptor.spanOffset(keySpan))) {
                    spans[j] = EntryDescriptor.valueSpan(page, offset);
                    continue;
                }
            }
            // a fingerprint collision: the whole probe, as a single lookup does it
            final long found = index.find(keys.wrapKey(i, scratch), batchHashes[j]);
            out[j] = found;
            if (found != 0) {
                spans[j] = EntryDescriptor.valueSpan(m.page(found), m.offset(found));
            }
        }
    }

    @Override
    public boolean keyEquals(long address, ByteSource key) {
        final MemorySegment page = memory.page(address);
        final long offset = memory.offset(address);
        final long span = EntryDescriptor.keySpan(page, offset); // the whole entry is within the page
        if (EntryDescriptor.spanLength(span) != key.storedLength()) {
            return false;
        }
        long keyOffset = offset + EntryDescriptor.spanOffset(span);
        final int code = key.code();
        if (code >= 0) {
            long c = Varint.read(page, keyOffset);
            if (Varint.value(c) != code) {
                return false;
            }
            // varints are canonical, so an equal code took Varint.size(code) bytes: key.length() remain
            keyOffset += Varint.sizeOf(c);
        }
        return key.bytesEqual(page, keyOffset);
    }

    @Override
    public long hashOf(long address) {
        return storedKey(address, scratch).hash(seed);
    }

    @Override
    public boolean sameKey(long a, long b) {
        storedKey(a, scratch);
        return keyEquals(b, scratch);
    }

    /**
     * Points {@code target} at the stored key of the entry at {@code address}: its bytes after any
     * dictionary code, with {@link ByteSource#code()} set to that code (or -1).
     *
     * @throws CorruptStateException if the entry does not decode within its page
     */
    public ByteSource storedKey(long address, ByteSource target) {
        final MemorySegment page = memory.page(address);
        final long offset = memory.offset(address);
        final long span = EntryDescriptor.keySpan(page, offset);
        final int keyLength = EntryDescriptor.spanLength(span);
        final long keyOffset = offset + EntryDescriptor.spanOffset(span);
        if (!codedKeys) {
            return target.wrap(page, keyOffset, keyLength);
        }
        long c = Varint.read(page, keyOffset);
        int n = Varint.sizeOf(c);
        if (n > keyLength) {
            throw codeOutsideKey(address, keyLength, n);
        }
        return target.wrap(page, keyOffset + n, keyLength - n).code(Varint.value(c));
    }

    static CorruptStateException codeOutsideKey(long address, int keyLength, int codeSize) {
        return new CorruptStateException("entry at address " + address + ": its " + codeSize
            + "-byte dictionary code is longer than its key of " + keyLength + " bytes");
    }

    /** New bytes inserting an entry of {@code entrySize} bytes could charge to the budget right now. */
    public long bytesNeededForInsert(int entrySize) {
        return memory.bytesNeeded(entrySize) + index.bytesNeededForInsert();
    }

    /**
     * Inserts or overwrites {@code key} → {@code value} and returns the entry's address.
     *
     * @throws StoreFullException if the budget cannot hold it (map unchanged)
     */
    public long put(ByteSource key, long hash, ByteSource value) {
        return putAfterFind(index.find(key, hash), key, hash, value);
    }

    /**
     * As {@link #put}, for a caller that has just called {@link #find find(key, hash)}, which
     * returned {@code found}, and changed nothing since: saves the second lookup.
     */
    public long putAfterFind(long found, ByteSource key, long hash, ByteSource value) {
        final int newSize = EntryDescriptor.entrySize(key.storedLength(), value.length());
        long address = found;
        if (address != 0) {
            final MemorySegment page = memory.page(address);
            final long offset = memory.offset(address);
            final int oldSize = EntryDescriptor.sizeAt(page, offset);
            if (memory.fitsInPlace(oldSize, newSize)) {
                memory.markDirty(address, newSize); // before the write: see PagedMemory.markDirty
                write(page, offset, key, value);
            } else {
                memory.budget().check(memory.bytesNeeded(newSize));
                long fresh = memory.allocate(newSize);
                final MemorySegment freshPage = memory.page(fresh);
                memory.markDirty(fresh, newSize);
                write(freshPage, memory.offset(fresh), key, value);
                index.replaceFound(fresh);
                memory.free(address, oldSize);
                address = fresh;
            }
        } else {
            memory.budget().check(bytesNeededForInsert(newSize));
            address = memory.allocate(newSize);
            final MemorySegment newPage = memory.page(address);
            memory.markDirty(address, newSize);
            write(newPage, memory.offset(address), key, value);
            try {
                index.insert(hash, address);
            } catch (RuntimeException e) {
                memory.free(address, newSize);
                throw e;
            }
        }
        index.migrateStep();
        return address;
    }

    private static void write(MemorySegment page, long offset, ByteSource key, ByteSource value) {
        long o = EntryDescriptor.writeHeader(page, offset, key.storedLength(), value.length());
        if (key.code() >= 0) {
            o += Varint.write(page, o, key.code());
        }
        key.copyTo(page, o);
        value.copyTo(page, o + key.length());
    }

    /**
     * Whether {@link #putAfterFind} of {@code key} → {@code value} over the entry at {@code found}
     * would move the entry to a new block (a new size class) rather than overwrite it in place.
     */
    public boolean updateMoves(long found, ByteSource key, ByteSource value) {
        final int oldSize = EntryDescriptor.sizeAt(memory.page(found), memory.offset(found));
        return !memory.fitsInPlace(oldSize, EntryDescriptor.entrySize(key.storedLength(), value.length()));
    }

    /**
     * Removes the entry at {@code found}, which {@link #find} has just returned with nothing changed
     * since: saves the second lookup.
     */
    public void removeAfterFind(long found) {
        int size = EntryDescriptor.sizeAt(memory.page(found), memory.offset(found));
        index.removeFound();
        memory.free(found, size);
        index.migrateStep();
    }

    /** Removes {@code key}; returns whether it was present. */
    public boolean remove(ByteSource key, long hash) {
        long address = index.find(key, hash);
        if (address == 0) {
            return false;
        }
        removeAfterFind(address);
        return true;
    }


    /**
     * Whether the hash index finds the entry at {@code address} under its own key: a key-to-entry
     * check for {@link SortedIndex#verify(EntryMap)}. Reads only.
     *
     * @throws CorruptStateException if the entry does not decode
     */
    public boolean indexes(long address) {
        storedKey(address, verifyKey);
        return index.find(verifyKey, verifyKey.hash(seed)) == address;
    }

    /**
     * Checks the whole map, O(n) time and O(n) heap (a sorted array of addresses), reading only:
     * the index's slots ({@link HashIndex#verify}); that every entry decodes within its page, sits
     * in a block of its size (a large entry alone at the start of its own segment, a small one in a
     * normal page) and, for coded keys, carries a code registered in {@code dictionary}; and that no
     * entry's block overlaps the next entry (what a length damaged within the page looks like).
     *
     * @param dictionary the store's dictionary for a map of coded keys, else null
     * @throws CorruptStateException naming the first broken invariant and where
     */
    public void verify(KeyDictionary dictionary) {
        // entries first: a slot check decodes them anyway, and a bad entry is the more direct report
        final long positions = index.positions();
        final long[] addresses = new long[(int) Math.min(Integer.MAX_VALUE - 8, index.size() + 1)];
        int n = 0;
        for (long p = 0; p < positions; p++) {
            final long address = index.addressAt(p);
            if (address != 0) {
                verifyEntry(address, dictionary);
                if (n < addresses.length) {
                    addresses[n++] = address;
                }
            }
        }
        index.verify(); // before the overlap check: two slots naming one entry are the index's fault
        // a length damaged within the page still decodes; it shows as an entry that overlaps the next
        Arrays.sort(addresses, 0, n);
        for (int i = 0; i + 1 < n; i++) {
            final long a = addresses[i];
            final long size = EntryDescriptor.sizeAt(memory.page(a), memory.offset(a));
            if (size <= memory.largeThreshold() && a + memory.blockSize((int) size) > addresses[i + 1]
                && (a >>> memory.pageShift()) == (addresses[i + 1] >>> memory.pageShift())) {
                throw new CorruptStateException("entry at address " + a + " of " + size + " bytes (a " + memory.blockSize((int) size)
                    + "-byte block) overlaps the entry at address " + addresses[i + 1]);
            }
        }
    }

    private void verifyEntry(long address, KeyDictionary dictionary) {
        final MemorySegment page = memory.page(address);
        final long offset = memory.offset(address);
        final long span = EntryDescriptor.valueSpan(page, offset);
        final long size = (long) EntryDescriptor.spanOffset(span) + EntryDescriptor.spanLength(span);
        if (size > memory.largeThreshold()) {
            if (offset != 0 || page.byteSize() != ((size + 7) & ~7L)) {
                throw new CorruptStateException("entry at address " + address + " of " + size + " bytes is not alone in a large block"
                    + " (offset " + offset + " in a segment of " + page.byteSize() + " bytes)");
            }
        } else if (page.byteSize() != memory.pageSize()) {
            throw new CorruptStateException("entry at address " + address + " of " + size + " bytes lies in a large block of "
                + page.byteSize() + " bytes, not in a page");
        }
        if (codedKeys) {
            int code = storedKey(address, verifyKey).code();
            if (dictionary != null && code >= dictionary.size()) {
                throw new CorruptStateException("entry at address " + address + " has dictionary code " + code
                    + ", but only " + dictionary.size() + " are registered");
            }
        }
    }

    /** Writes the map's state (its index) for a flush of a file-backed store. */
    public void writeMeta(MetaOut out) {
        out.putLong(seed).putInt(codedKeys ? 1 : 0);
        index.writeMeta(out);
    }

    /**
     * A map reopened from {@link #writeMeta} output over {@code memory}, itself reopened.
     *
     * @throws CorruptStateException if the metadata is inconsistent
     */
    public static EntryMap reopen(MetaIn in, PagedMemory memory) {
        long seed = in.getLong("hash seed");
        boolean coded = in.getInt("coded keys", 0, 1) == 1;
        EntryMap m = new EntryMap(memory, seed, coded);
        m.index = HashIndex.reopen(in, m, memory.budget(), memory.backing());
        return m;
    }

    /**
     * An independent copy whose entries live in {@code copyMemory}, a copy of this map's memory,
     * with its index in that memory's backing (files of a store directory, or anonymous).
     */
    public EntryMap copy(PagedMemory copyMemory) {
        EntryMap c = new EntryMap(copyMemory, seed, codedKeys);
        c.index = index.copy(c, copyMemory.budget(), copyMemory.backing());
        return c;
    }

    /** Releases the index (the memory is the caller's). */
    @Override
    public void close() {
        index.close();
    }
}
