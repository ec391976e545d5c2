package io.offstate.propertytests;

import java.util.List;
import java.util.Map;

import io.offstate.engine.KeyValueStore;
import io.offstate.offheap.StoreFullException;

/**
 * Puts {@link #count} entries at once (keys from {@link Gens#bulkEntries}: sharing prefixes with
 * the pool keys and with each other, 0x00/0xFF-heavy, dictionary components with big-endian
 * counters), so that later scans cross many sorted-index nodes. The entries derive from a seed:
 * a generated list of thousands of keys would be slow to generate and shrink. With a limited
 * budget, stops at the first StoreFullException, which must leave memoryUsed and the dictionary
 * unchanged (the contents are checked after the command, against the entries stored before it).
 */
final class BulkPutCommand implements StoreCommand {
    final List<Bytes> pool;
    final long seed;
    final int count;
    private List<Map.Entry<Bytes, Bytes>> entries;
    private int stored;

    BulkPutCommand(List<Bytes> pool, long seed, int count) {
        this.pool = pool;
        this.seed = seed;
        this.count = count;
    }

    private List<Map.Entry<Bytes, Bytes>> entries() {
        if (entries == null) {
            entries = Gens.bulkEntries(pool, seed, count);
        }
        return entries;
    }

    @Override
    public void run(StoreUnderTest sut) {
        sut.attemptingWrite();
        KeyValueStore store = sut.store;
        stored = 0;
        for (Map.Entry<Bytes, Bytes> e : entries()) {
            long used = store.memoryUsed();
            int dictionary = store.dictionarySize();
            try {
                store.put(e.getKey().array(), e.getValue().array());
            } catch (StoreFullException refused) {
                if (!sut.limited()) {
                    throw new AssertionError(this + ": StoreFullException with an unlimited budget at entry #" + stored, refused);
                }
                if (store.memoryUsed() != used || store.dictionarySize() != dictionary) {
                    throw new AssertionError(this + ": refused put of " + e.getKey() + " changed memoryUsed from " + used
                        + " to " + store.memoryUsed() + ", dictionarySize from " + dictionary + " to " + store.dictionarySize(), refused);
                }
                break;
            }
            stored++;
        }
        if (stored > 0) {
            sut.wrote();
        }
        sut.expectObserved(this, entries().subList(0, stored).stream()
            .map(e -> ObservedWrites.Event.put(e.getKey(), e.getValue())).toList());
    }

    @Override
    public Model nextState(Model model) {
        return model.withAll(entries().subList(0, stored));
    }

    @Override
    public String toString() {
        return "bulkPut(" + count + " entries of seed " + seed + "L" + (entries == null ? "" : ": " + stored + " stored") + ")";
    }
}
