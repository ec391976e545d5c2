package io.offstate.engine;

import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.index.EntryMap;
import io.offstate.offheap.index.KeyDictionary;
import io.offstate.offheap.index.SlotDescriptor;
import io.offstate.offheap.index.SortedIndex;
import io.offstate.offheap.memory.ImagePin;
import io.offstate.offheap.memory.MemoryBudget;
import io.offstate.offheap.memory.MetaIn;
import io.offstate.offheap.memory.MetaOut;
import io.offstate.offheap.memory.PagedMemory;
import io.offstate.offheap.memory.RegionBacking;

/**
 * Everything a store holds, as one unit that can be copied (snapshot, restore) and released:
 * memory, entry map, dictionary and sorted index, all charged to one budget. The sorted index's
 * nodes live in the memory's pages, so copying the memory copies them.
 *
 * <p>Single writer; owned by one store or one snapshot.
 */
final class StoreState implements AutoCloseable {
    final MemoryBudget budget;
    final PagedMemory memory;
    final EntryMap map;
    final KeyDictionary dictionary;
    final KeyComponent keyComponent;
    /** The sorted index, or null for a hash-only store. */
    final SortedIndex sorted;
    /** The last image pinned on this state, until released (owner thread only). */
    private ImagePin pin;

    private StoreState(MemoryBudget budget, PagedMemory memory, EntryMap map, KeyDictionary dictionary,
                       KeyComponent keyComponent, SortedIndex sorted) {
        this.budget = budget;
        this.memory = memory;
        this.map = map;
        this.dictionary = dictionary;
        this.keyComponent = keyComponent;
        this.sorted = sorted;
    }

    /**
     * Version of the engine's part of the metadata (the files' format version covers the rest):
     * 1 had no caller flush metadata, 2 adds it after the options. Both are read; 2 is written.
     */
    private static final int META_VERSION = 2;
    private static final int META_VERSION_WITHOUT_FLUSH_METADATA = 1;
    /** Largest caller metadata one flush may carry (1 MiB). */
    static final int MAX_FLUSH_METADATA = 1 << 20;
    private static final byte[] NO_FLUSH_METADATA = new byte[0];

    /**
     * What a flush recorded ahead of the components' state: the structural options (merged into
     * the options given at open) and the caller's flush metadata; {@code rest} is positioned at
     * the components' state, for {@link #reopen}.
     */
    record Header(StoreOptions options, byte[] flushMetadata, MetaIn rest) {
    }

    static StoreState create(StoreOptions options) {
        return create(options, null);
    }

    /** An empty state whose memory lives in {@code backing}'s files, or anonymous if null. */
    static StoreState create(StoreOptions options, RegionBacking backing) {
        MemoryBudget budget = new MemoryBudget(options.name(), options.memoryBudget(), options.sharedBudget());
        PagedMemory memory = new PagedMemory(options.pageShift(), budget, backing);
        KeyComponent component = options.dictionaryKeyComponent();
        EntryMap map = null;
        try {
            map = new EntryMap(memory, options.hashSeed(), component != null, options.expectedEntries(), options.fingerprintBits());
            KeyDictionary dictionary = component == null ? null
                : new KeyDictionary(memory, options.hashSeed(), options.maxDictionaryCodes());
            SortedIndex sorted = options.sortedIndex()
                ? new SortedIndex(memory, dictionary,
                    options.sortedIndexNodeSize() > 0 ? options.sortedIndexNodeSize() : SortedIndex.nodeSizeFor(memory)) : null;
            return new StoreState(budget, memory, map, dictionary, component, sorted);
        } catch (RuntimeException | Error e) {
            if (map != null) {
                map.close();
            }
            memory.close();
            budget.settle();
            throw e;
        }
    }

    /** A deep copy charged to {@code copyBudget}; on failure (budget) nothing is left allocated. */
    StoreState copy(MemoryBudget copyBudget) {
        return copy(copyBudget, null);
    }

    /** As {@link #copy(MemoryBudget)}, into regions of {@code backing} (all marked dirty), or anonymous if null. */
    StoreState copy(MemoryBudget copyBudget, RegionBacking backing) {
        long total = budget.used();
        PagedMemory m;
        try {
            copyBudget.check(total);
            m = memory.copy(copyBudget, backing);
        } catch (RuntimeException | Error e) {
            copyBudget.settle();
            throw e;
        }
        EntryMap e = null;
        try {
            e = map.copy(m);
            KeyDictionary d = dictionary == null ? null : dictionary.copy(m);
            SortedIndex s = sorted == null ? null : sorted.copy(m, d);
            return new StoreState(copyBudget, m, e, d, keyComponent, s);
        } catch (RuntimeException | Error ex) {
            if (e != null) {
                e.close();
            }
            m.close();
            copyBudget.settle();
            throw ex;
        }
    }

    /**
     * The metadata a flush commits: the structural options this state was built with, the caller's
     * {@code flushMetadata}, then each component's state. Everything else is in the mapped regions.
     */
    byte[] writeMeta(StoreOptions options, byte[] flushMetadata) {
        MetaOut out = new MetaOut();
        out.putInt(META_VERSION).putInt(options.pageShift()).putInt(sorted != null ? 1 : 0)
            .putInt(options.sortedIndexNodeSize()).putInt(options.fingerprintBits());
        KeyComponent k = keyComponent;
        out.putInt(k == null ? 0 : k.fixedPrefixLength() > 0 ? 1 : 2)
            .putInt(k == null ? 0 : k.fixedPrefixLength() > 0 ? k.fixedPrefixLength() : k.delimiter())
            .putInt(options.maxDictionaryCodes()).putLong(map.seed());
        out.putBytes(flushMetadata);
        memory.writeMeta(out);
        map.writeMeta(out);
        if (dictionary != null) {
            dictionary.writeMeta(out);
        }
        if (sorted != null) {
            sorted.writeMeta(out);
        }
        return out.toByteArray();
    }

    /**
     * Reads what {@link #writeMeta} put ahead of the components: the structural options, merged into
     * {@code given} (whose budget, name and expected entries are kept), and the flush metadata.
     *
     * @throws CorruptStateException    if the header is malformed
     * @throws IllegalArgumentException if {@code given} disagrees with the stored structural options
     */
    static Header readHeader(byte[] meta, StoreOptions given) {
        return readHeader(meta, given, false);
    }

    /**
     * As {@link #readHeader(byte[], StoreOptions)}, but the stored structural options replace
     * {@code given}'s instead of being checked against them: for reading a directory or a
     * checkpoint whose settings are not known ({@link StoreDirectory}).
     *
     * @throws CorruptStateException if the header is malformed
     */
    static Header readStoredHeader(byte[] meta, StoreOptions given) {
        return readHeader(meta, given, true);
    }

    private static Header readHeader(byte[] meta, StoreOptions given, boolean adopt) {
        MetaIn in = new MetaIn(meta);
        int version = in.getInt("engine metadata version");
        if (version != META_VERSION && version != META_VERSION_WITHOUT_FLUSH_METADATA) {
            throw new CorruptStateException("engine metadata version " + version + " is not "
                + META_VERSION_WITHOUT_FLUSH_METADATA + " or " + META_VERSION);
        }
        int pageShift = in.getInt("page shift", PagedMemory.MIN_PAGE_SHIFT, PagedMemory.MAX_PAGE_SHIFT);
        boolean sortedIndex = in.getInt("sorted index", 0, 1) == 1;
        int nodeSize = in.getInt("sorted node size", 0, SortedIndex.MAX_NODE_SIZE);
        int fingerprintBits = in.getInt("fingerprint bits", 0, SlotDescriptor.MAX_FINGERPRINT_BITS);
        int kind = in.getInt("key component kind", 0, 2);
        int param = in.getInt("key component parameter", 0, 65536);
        KeyComponent component = kind == 0 ? null : kind == 1 ? KeyComponent.fixedPrefix(Math.max(1, param))
            : KeyComponent.untilDelimiter((byte) param);
        int maxCodes = in.getInt("max dictionary codes", 1, Integer.MAX_VALUE);
        long seed = in.getLong("hash seed");
        byte[] flushMetadata = version == META_VERSION_WITHOUT_FLUSH_METADATA ? NO_FLUSH_METADATA
            : in.getBytes("flush metadata", MAX_FLUSH_METADATA);
        StoreOptions options;
        if (adopt) {
            StoreOptions.Builder b = StoreOptions.builder().name(given.name()).memoryBudget(given.memoryBudget())
                .expectedEntries(given.expectedEntries()).sharedBudget(given.sharedBudget())
                .pageSize(1 << pageShift).sortedIndex(sortedIndex).fingerprintBitsForTesting(fingerprintBits)
                .dictionaryKeyComponent(component).maxDictionaryCodes(maxCodes).hashSeed(seed);
            if (nodeSize > 0) {
                b.sortedIndexNodeSizeForTesting(nodeSize);
            }
            options = b.build();
        } else {
            options = given.reopened(pageShift, sortedIndex, nodeSize, fingerprintBits, component, maxCodes, seed);
        }
        return new Header(options, flushMetadata, in);
    }

    /**
     * The state recorded after {@code header} over {@code backing}'s files: regions are mapped,
     * nothing is rebuilt.
     *
     * @throws CorruptStateException if the metadata is inconsistent
     * @throws io.offstate.offheap.StoreFullException if the store exceeds the budget of the header's options
     */
    static StoreState reopen(Header header, RegionBacking backing) {
        MetaIn in = header.rest();
        StoreOptions options = header.options();
        MemoryBudget budget = new MemoryBudget(options.name(), options.memoryBudget(), options.sharedBudget());
        PagedMemory memory;
        try {
            memory = PagedMemory.reopen(in, budget, backing);
        } catch (RuntimeException | Error e) {
            budget.settle();
            throw e;
        }
        EntryMap map = null;
        KeyDictionary dictionary = null;
        try {
            if (memory.pageShift() != options.pageShift()) {
                throw new CorruptStateException("memory page shift " + memory.pageShift() + " differs from the options' " + options.pageShift());
            }
            map = EntryMap.reopen(in, memory);
            KeyComponent component = options.dictionaryKeyComponent();
            dictionary = component == null ? null : KeyDictionary.reopen(in, memory);
            SortedIndex sorted = options.sortedIndex() ? SortedIndex.reopen(in, memory, dictionary) : null;
            in.expectEnd();
            if (sorted != null && sorted.size() != map.size()) {
                throw new CorruptStateException("sorted index holds " + sorted.size() + " keys, hash index " + map.size());
            }
            return new StoreState(budget, memory, map, dictionary, component, sorted);
        } catch (RuntimeException | Error e) {
            if (dictionary != null) {
                dictionary.close();
            }
            if (map != null) {
                map.close();
            }
            memory.close();
            budget.settle();
            throw e;
        }
    }

    /**
     * Checks every structure's invariants, O(n), reading only: the allocator's free lists and page
     * table, the hash index's slots (distances, fingerprints, no duplicate keys, counts) and every
     * entry it points at, the dictionary (dense codes, both directions agreeing), and the sorted
     * index (nodes, order, links, and that it holds exactly the hash index's keys).
     *
     * @throws CorruptStateException naming the store and the first broken invariant
     */
    void verify(String storeName) {
        try {
            memory.verifyFreeLists();
            map.verify(dictionary);
            if (dictionary != null) {
                dictionary.verify();
            }
            if (sorted != null) {
                if (sorted.size() != map.size()) {
                    throw new CorruptStateException("sorted index holds " + sorted.size() + " keys, hash index " + map.size());
                }
                sorted.verify(map);
            }
        } catch (CorruptStateException e) {
            String message = e.getMessage();
            throw message != null && message.contains("'" + storeName + "'") ? e
                : new CorruptStateException("store '" + storeName + "': " + message, e);
        }
    }

    /**
     * Every region of the state (pages, large blocks, hash tables of the entry map and the
     * dictionary), sorted by file id then offset; empty for memory without a backing (a snapshot's).
     */
    java.util.List<io.offstate.offheap.memory.MappedRegion> regions() {
        java.util.List<io.offstate.offheap.memory.MappedRegion> all = new java.util.ArrayList<>();
        io.offstate.offheap.memory.MappedRegion[] pages = memory.regions();
        if (pages != null) {
            for (var r : pages) {
                if (r != null) {
                    all.add(r);
                }
            }
        }
        java.util.Collections.addAll(all, map.index().regions());
        if (dictionary != null) {
            java.util.Collections.addAll(all, dictionary.regions());
        }
        all.sort((x, y) -> x.fileId() != y.fileId() ? Integer.compare(x.fileId(), y.fileId())
            : Long.compare(x.fileOffset(), y.fileOffset()));
        return all;
    }

    /** Starts a new checkpoint interval on every region (see {@link io.offstate.offheap.memory.MappedRegion#clearChanged()}). */
    void clearChanged() {
        for (var r : regions()) {
            r.clearChanged();
        }
    }

    /** Re-reads every segment from its region after a flush remapped them. */
    void refreshMappings() {
        if (pin != null && pin.isClosed()) {
            releasePin(); // a closed image's hold on the mappings this flush replaced goes now
        }
        memory.refreshMappings();
        map.index().refreshMappings();
        if (dictionary != null) {
            dictionary.refreshMappings();
        }
    }

    /** Records the image just pinned on this state ({@link ImageCapture}). */
    void pin(ImagePin p) {
        this.pin = p;
    }

    /**
     * Lets go of the last image's pin: a closed one is reaped (its hold on freed or remapped
     * regions given back), an open one detached (what it has not read is copied aside now, so it
     * stays valid without this state). Owner thread.
     */
    void releasePin() {
        if (pin != null) {
            pin.detach();
            pin = null;
        }
    }

    @Override
    public void close() {
        releasePin(); // before any memory goes: an open image still reads the pinned bytes
        if (dictionary != null) {
            dictionary.close();
        }
        map.close();
        memory.close();
        budget.settle(); // a shared budget gets everything back
    }
}
