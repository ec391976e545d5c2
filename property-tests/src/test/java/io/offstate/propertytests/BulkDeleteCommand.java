package io.offstate.propertytests;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

import io.offstate.engine.KeyValueStore;

/**
 * Deletes many stored keys at once, so that sorted-index nodes underflow and merge and the tree
 * loses levels: a contiguous run of keys in key order at the smallest end, the largest end or in
 * the middle, or a scattered subset. The keys are chosen when the command runs from those the store
 * holds (which equal the model's), {@link #percent}% of them; each delete must return true.
 */
final class BulkDeleteCommand implements StoreCommand {
    enum Where {
        /** The smallest keys. */
        HEAD,
        /** The largest keys (merges at the last leaf). */
        TAIL,
        /** A run starting at a seed-chosen key. */
        MIDDLE,
        /** Keys picked independently, each with probability percent/100. */
        SCATTERED
    }

    final Where where;
    final int percent;
    final long seed;
    private List<Bytes> deleted = List.of();

    BulkDeleteCommand(Where where, int percent, long seed) {
        this.where = where;
        this.percent = percent;
        this.seed = seed;
    }

    @Override
    public void run(StoreUnderTest sut) {
        sut.attemptingWrite();
        List<Bytes> keys = sut.observedKeys;
        int n = keys.size();
        int count = (int) ((long) n * percent / 100);
        SplittableRandom r = new SplittableRandom(seed);
        List<Bytes> chosen = new ArrayList<>();
        switch (where) {
            case HEAD -> chosen.addAll(keys.subList(0, count));
            case TAIL -> chosen.addAll(keys.subList(n - count, n));
            case MIDDLE -> {
                int from = n == count ? 0 : r.nextInt(n - count + 1);
                chosen.addAll(keys.subList(from, from + count));
            }
            case SCATTERED -> {
                for (Bytes k : keys) {
                    if (r.nextInt(100) < percent) {
                        chosen.add(k);
                    }
                }
            }
        }
        KeyValueStore store = sut.store;
        for (Bytes k : chosen) {
            if (!store.delete(k.array())) {
                throw new AssertionError(this + ": delete(" + k + ") of a stored key returned false");
            }
        }
        deleted = chosen;
        if (!chosen.isEmpty()) {
            sut.wrote();
        }
        sut.expectObserved(this, chosen.stream().map(ObservedWrites.Event::delete).toList());
    }

    @Override
    public Model nextState(Model model) {
        return model.withoutAll(deleted);
    }

    @Override
    public String toString() {
        return "bulkDelete(" + percent + "% " + where + ", seed " + seed + "L: " + deleted.size() + " deleted)";
    }
}
