package io.offstate.engine;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.index.EntryMap;
import io.offstate.offheap.index.KeyDictionary;
import io.offstate.offheap.index.SortedIndex;
import io.offstate.offheap.memory.MemoryBudget;
import io.offstate.offheap.memory.PagedMemory;

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

    private StoreState(MemoryBudget budget, PagedMemory memory, EntryMap map, KeyDictionary dictionary,
                       KeyComponent keyComponent, SortedIndex sorted) {
        this.budget = budget;
        this.memory = memory;
        this.map = map;
        this.dictionary = dictionary;
        this.keyComponent = keyComponent;
        this.sorted = sorted;
    }

    static StoreState create(StoreOptions options) {
        MemoryBudget budget = new MemoryBudget(options.name(), options.memoryBudget());
        PagedMemory memory = new PagedMemory(options.pageShift(), budget);
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
            throw e;
        }
    }

    /** A deep copy charged to {@code copyBudget}; on failure (budget) nothing is left allocated. */
    StoreState copy(MemoryBudget copyBudget) {
        long total = budget.used();
        copyBudget.check(total);
        PagedMemory m = memory.copy(copyBudget);
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
            throw ex;
        }
    }

    @Override
    public void close() {
        if (dictionary != null) {
            dictionary.close();
        }
        map.close();
        memory.close();
    }
}
