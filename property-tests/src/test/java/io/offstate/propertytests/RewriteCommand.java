package io.offstate.propertytests;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import io.offstate.engine.KeyValueStore;
import io.offstate.offheap.StoreFullException;

/**
 * Overwrites {@link #percent}% of the stored keys (chosen when the command runs, from those the
 * store holds, which equal the model's) with values of new sizes: empty or short, a few hundred
 * bytes, or 1..6 KiB. With 4 KiB pages, entries over a quarter page get segment files of their
 * own, so a rewrite creates many large blocks, frees many (large to short) and replaces others
 * (large to large of another size): across flushes, the freed segments' files are deleted on
 * commit. The values derive from a seed, like {@link BulkPutCommand}'s entries. With a limited
 * budget, stops at the first StoreFullException, which must leave memoryUsed and the dictionary
 * unchanged.
 */
final class RewriteCommand implements StoreCommand {
    final int percent;
    final long seed;
    /** What the last run stored; null before it ran. */
    private List<Map.Entry<Bytes, Bytes>> stored;
    private boolean refused;

    RewriteCommand(int percent, long seed) {
        this.percent = percent;
        this.seed = seed;
    }

    static Bytes newValue(SplittableRandom r) {
        int kind = r.nextInt(100);
        int length = kind < 30 ? r.nextInt(17) : kind < 55 ? r.nextInt(17, 400) : kind < 85 ? r.nextInt(1000, 2600)
            : r.nextInt(2600, 6000);
        return Bytes.wrap(Gens.randomBytes(length, r.nextLong()));
    }

    @Override
    public void run(StoreUnderTest sut) {
        sut.attemptingWrite();
        KeyValueStore store = sut.store;
        SplittableRandom r = new SplittableRandom(seed);
        List<Map.Entry<Bytes, Bytes>> done = new ArrayList<>();
        refused = false;
        for (Bytes k : sut.observedKeys) {
            if (r.nextInt(100) >= percent) {
                continue;
            }
            Bytes v = newValue(r);
            long used = store.memoryUsed();
            int dictionary = store.dictionarySize();
            try {
                store.put(k.array(), v.array());
            } catch (StoreFullException e) {
                if (!sut.limited()) {
                    throw new AssertionError(this + ": StoreFullException with an unlimited budget at " + k, e);
                }
                if (store.memoryUsed() != used || store.dictionarySize() != dictionary) {
                    throw new AssertionError(this + ": refused put of " + k + " changed memoryUsed from " + used
                        + " to " + store.memoryUsed() + ", dictionarySize from " + dictionary + " to " + store.dictionarySize(), e);
                }
                refused = true;
                break;
            }
            done.add(Map.entry(k, v));
        }
        stored = done;
        if (!done.isEmpty()) {
            sut.wrote();
        }
        sut.expectObserved(this, done.stream().map(e -> ObservedWrites.Event.put(e.getKey(), e.getValue())).toList());
    }

    @Override
    public Model nextState(Model model) {
        return model.withAll(stored == null ? List.of() : stored);
    }

    @Override
    public String toString() {
        return "rewrite(" + percent + "% of the keys, values of seed " + seed + "L"
            + (stored == null ? "" : ": " + stored.size() + " rewritten" + (refused ? ", then StoreFullException" : "")) + ")";
    }
}
