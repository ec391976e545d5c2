package io.offstate.offheap.index;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import com.carrotsearch.hppc.LongArrayList;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.DictionaryFullException;
import io.offstate.offheap.memory.MetaIn;
import io.offstate.offheap.memory.MetaOut;
import io.offstate.offheap.memory.PagedMemory;

/**
 * A dictionary that maps low-cardinality key components (tenants, symbols, group-by keys) to dense
 * int codes {@code 0, 1, 2, ...} in order of first appearance, and back.
 *
 * <p>Components are stored once, as entries {@code component → code} of an {@link EntryMap} in the
 * store's own {@link PagedMemory}, so the dictionary is part of the store's state: it is counted in
 * its budget, copied by its snapshots and restored with them. Codes are never reused or removed
 * (a key component stays known even after its last key is deleted), which keeps every stored key
 * decodable.
 *
 * <p>Threading: single writer, like the store.
 */
public final class KeyDictionary implements AutoCloseable {
    private static final long SEED_TWEAK = 0x5deece66dL;
    /** The value of a dictionary entry: its code, a little-endian int. */
    private static final ValueLayout.OfInt CODE_LAYOUT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final EntryMap map;
    private final LongArrayList addresses;
    private final int maxCodes;
    private final byte[] codeBytes = new byte[Integer.BYTES];
    private final ByteSource codeSource = new ByteSource();

    /**
     * @param memory   the store's memory
     * @param seed     the store's hash seed
     * @param maxCodes how many distinct components may be registered
     */
    public KeyDictionary(PagedMemory memory, long seed, int maxCodes) {
        this(new EntryMap(memory, seed ^ SEED_TWEAK, false, 64, 12), new LongArrayList(), maxCodes);
    }

    private KeyDictionary(EntryMap map, LongArrayList addresses, int maxCodes) {
        if (maxCodes < 1) {
            throw new IllegalArgumentException("dictionary must allow at least one code, was " + maxCodes);
        }
        this.map = map;
        this.addresses = addresses;
        this.maxCodes = maxCodes;
    }

    /** Number of registered components. */
    public int size() {
        return addresses.size();
    }

    /** The most components this dictionary accepts. */
    public int maxCodes() {
        return maxCodes;
    }

    /**
     * The code of {@code component}, or -1 if it was never added.
     *
     * @throws CorruptStateException if the entry found does not decode, or its code is not the one
     *                               registered at that entry's address
     */
    public int find(ByteSource component) {
        long address = map.find(component, map.hash(component));
        if (address == 0) {
            return -1;
        }
        MemorySegment page = map.memory().page(address);
        long offset = map.memory().offset(address);
        long span = EntryDescriptor.valueSpan(page, offset);
        if (EntryDescriptor.spanLength(span) != Integer.BYTES) {
            throw badCode(address, "has a value of " + EntryDescriptor.spanLength(span) + " bytes, not a 4-byte code");
        }
        int code = page.get(CODE_LAYOUT, offset + EntryDescriptor.spanOffset(span));
        // the backward map must agree: a code is only trusted if it leads back to this very entry
        if (code < 0 || code >= addresses.size() || addresses.get(code) != address) {
            throw badCode(address, "holds code " + code + ", which is not registered for it (" + addresses.size() + " codes)");
        }
        return code;
    }

    private CorruptStateException badCode(long address, String what) {
        return new CorruptStateException("key dictionary of store '" + map.memory().budget().owner() + "': entry at address "
            + address + " " + what);
    }

    /**
     * Bytes that {@link #add} of a component of {@code componentLength} bytes could charge.
     *
     * @throws DictionaryFullException if the dictionary already holds {@link #maxCodes()} components
     */
    public long bytesNeededToAdd(int componentLength) {
        if (addresses.size() >= maxCodes) {
            throw new DictionaryFullException(map.memory().budget().owner(), maxCodes);
        }
        return map.bytesNeededForInsert(EntryDescriptor.entrySize(componentLength, Integer.BYTES));
    }

    /** Registers {@code component} (known to be absent) and returns its new code. Check {@link #bytesNeededToAdd} first. */
    public int add(ByteSource component) {
        bytesNeededToAdd(component.length());
        int code = addresses.size();
        MemorySegment.ofArray(codeBytes).set(CODE_LAYOUT, 0, code);
        long address = map.put(component, map.hash(component), codeSource.wrap(codeBytes));
        addresses.add(address);
        return code;
    }

    /** Points {@code target} at the bytes of the component with code {@code code}. */
    public ByteSource component(int code, ByteSource target) {
        if (code < 0 || code >= addresses.size()) {
            throw new CorruptStateException("dictionary code " + code + " is not registered (" + addresses.size() + " codes)");
        }
        return map.storedKey(addresses.get(code), target);
    }

    /** Address of the dictionary entry (key = component bytes) of {@code code}. */
    public long componentAddress(int code) {
        if (code < 0 || code >= addresses.size()) {
            throw new CorruptStateException("dictionary code " + code + " is not registered (" + addresses.size() + " codes)");
        }
        return addresses.get(code);
    }


    /**
     * Checks the dictionary, O(codes), reading only: its map ({@link EntryMap#verify}); codes dense
     * (one entry per code {@code 0 .. size()-1}, as many as the map holds); and both directions
     * agreeing: the entry registered for code {@code c} holds the 4-byte value {@code c}, and looking
     * its component up finds that very entry.
     *
     * @throws CorruptStateException naming the code, the address and what is wrong
     */
    public void verify() {
        map.verify(null);
        final int n = addresses.size();
        if (map.size() != n) {
            throw new CorruptStateException("key dictionary of store '" + map.memory().budget().owner() + "' lists " + n
                + " codes, its index holds " + map.size() + " components");
        }
        final ByteSource component = new ByteSource();
        for (int code = 0; code < n; code++) {
            final long address = addresses.get(code);
            map.storedKey(address, component);
            if (find(component) != code) { // find checks the value and the backward map itself
                throw badCode(address, "is registered for code " + code + " but its component is not found there");
            }
        }
    }

    /** An independent copy in {@code copyMemory}, with its index in that memory's backing. */
    public KeyDictionary copy(PagedMemory copyMemory) {
        LongArrayList a = new LongArrayList(addresses.size());
        a.addAll(addresses);
        return new KeyDictionary(map.copy(copyMemory), a, maxCodes);
    }

    /** The regions of the dictionary's own hash tables (its entries live in the store's pages); empty for anonymous memory. */
    public io.offstate.offheap.memory.MappedRegion[] regions() {
        return map.index().regions();
    }

    /** Re-reads the index tables' segments after a flush remapped them. */
    public void refreshMappings() {
        map.index().refreshMappings();
    }

    /** Writes the dictionary's state (its map, and each code's entry address) for a flush. */
    public void writeMeta(MetaOut out) {
        out.putInt(maxCodes);
        map.writeMeta(out);
        out.putInt(addresses.size());
        for (int i = 0; i < addresses.size(); i++) {
            out.putLong(addresses.get(i));
        }
    }

    /**
     * A dictionary reopened from {@link #writeMeta} output over {@code memory}, itself reopened.
     *
     * @throws CorruptStateException if the metadata is inconsistent
     */
    public static KeyDictionary reopen(MetaIn in, PagedMemory memory) {
        int max = in.getInt("dictionary max codes", 1, Integer.MAX_VALUE);
        EntryMap map = EntryMap.reopen(in, memory);
        try {
            int n = in.getInt("dictionary codes", 0, max);
            if (n != map.size()) {
                throw new CorruptStateException("dictionary lists " + n + " codes, its index holds " + map.size());
            }
            LongArrayList a = new LongArrayList(n);
            for (int i = 0; i < n; i++) {
                a.add(in.getLong("dictionary entry address", 1, PagedMemory.MAX_ADDRESS));
            }
            return new KeyDictionary(map, a, max);
        } catch (RuntimeException | Error e) {
            map.close();
            throw e;
        }
    }

    /** Releases the dictionary's index (its entries live in the store's memory). */
    @Override
    public void close() {
        map.close();
    }
}
