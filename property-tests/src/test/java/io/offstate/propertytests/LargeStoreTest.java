package io.offstate.propertytests;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quicktheories.generators.Generate;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreSnapshot;
import io.offstate.engine.ValueView;

/**
 * Grows stores past 100k keys with interleaved overwrites, deletes and gets. Each example is a
 * (seed, target size) pair from QuickTheories; the operations are derived from the seed (a
 * generated 150k-element list would be too slow to generate and shrink). Gets are checked as they
 * happen, the whole contents every 25k operations and at the end, then once more after a
 * snapshot is restored into a fresh store. For sorted stores each full check also runs random
 * range, prefix and seek queries, and the last two scan the whole index both ways (a deep index:
 * 4 KiB pages); then about 95% of the keys are deleted (nodes merge, the tree loses levels) and the
 * store is checked again.
 */
class LargeStoreTest {
    enum Large {
        DEFAULTS(StoreConfig.DEFAULTS, 2),
        DICT_DELIMITER(StoreConfig.DICT_DELIMITER, 2),
        SMALL_PAGES_DICT_DELIMITER(StoreConfig.SMALL_PAGES_DICT_DELIMITER, 1),
        COLLIDING_TINY_INDEX_DICT_PREFIX3(StoreConfig.COLLIDING_TINY_INDEX_DICT_PREFIX3, 1),
        SORTED_SMALL_PAGES_DICT_DELIMITER(StoreConfig.SORTED_SMALL_PAGES_DICT_DELIMITER, 1);

        final StoreConfig config;
        final int examples;

        Large(StoreConfig config, int examples) {
            this.config = config;
            this.examples = examples;
        }
    }

    static final int FULL_CHECK_EVERY = 25_000;
    /** Random queries per full check of a sorted store. */
    static final int QUERIES_PER_CHECK = 25;
    /** Entries read per random query (a range over 100k keys read to the end would dominate the run). */
    static final int QUERY_READS = 300;

    @ParameterizedTest(name = "{0}")
    @EnumSource(Large.class)
    void growsPast100kKeysLikeAMap(Large large) {
        qt().withFixedSeed(Settings.seed("large/" + large))
            .withExamples(Settings.scaled(large.examples))
            .withShrinkCycles(20)
            .forAll(longs().all(), Generate.range(100_000, 150_000))
            .checkAssert((seed, target) -> check(new StoreSetup(large.config, seed, Long.MAX_VALUE), seed, target));
    }

    /** A key: mostly "tenant-N|order-M" (few components), some random bytes, some without '|'. */
    static Bytes key(SplittableRandom r, long serial) {
        int kind = r.nextInt(10);
        if (kind < 6) {
            return Bytes.wrap(Gens.latin1("tenant-" + r.nextInt(40) + "|order-" + serial));
        } else if (kind < 8) {
            byte[] b = Gens.randomBytes(r.nextInt(0, 40), r.nextLong());
            return Bytes.wrap(b);
        } else {
            return Bytes.wrap(Gens.latin1("k" + serial + "x" + r.nextInt(1000)));
        }
    }

    static Bytes value(SplittableRandom r) {
        int n = r.nextInt(100);
        int length = n < 40 ? r.nextInt(0, 9) : n < 90 ? r.nextInt(9, 100) : n < 99 ? r.nextInt(100, 1000) : r.nextInt(1000, 6000);
        return Bytes.wrap(Gens.randomBytes(length, r.nextLong()));
    }

    static void check(StoreSetup setup, long seed, int target) {
        SplittableRandom r = new SplittableRandom(seed);
        Map<Bytes, Bytes> model = new HashMap<>();
        List<Bytes> everInserted = new ArrayList<>();
        ValueView view = new ValueView();
        String where = setup + " seed " + seed + " target " + target;
        try (KeyValueStore store = setup.create()) {
            long op = 0;
            long serial = 0;
            while (model.size() < target) {
                op++;
                int kind = r.nextInt(100);
                if (kind < 55 || everInserted.isEmpty()) {
                    Bytes k = key(r, serial++);
                    Bytes v = value(r);
                    store.put(k.array(), v.array());
                    if (model.put(k, v) == null) {
                        everInserted.add(k);
                    }
                } else if (kind < 70) {
                    Bytes k = everInserted.get(r.nextInt(everInserted.size()));
                    Bytes v = value(r);
                    store.put(k.array(), v.array());
                    model.put(k, v);
                } else if (kind < 80) {
                    Bytes k = everInserted.get(r.nextInt(everInserted.size()));
                    boolean removed = store.delete(k.array());
                    boolean expected = model.remove(k) != null;
                    if (removed != expected) {
                        throw new AssertionError(where + " op " + op + ": delete(" + k + ") returned " + removed + ", model " + expected);
                    }
                } else {
                    Bytes k = r.nextInt(4) == 0 ? key(r, serial++) : everInserted.get(r.nextInt(everInserted.size()));
                    Bytes expected = model.get(k);
                    boolean hit = store.get(k.array(), view);
                    Bytes observed = hit ? Bytes.wrap(view.toByteArray()) : null;
                    if (!java.util.Objects.equals(observed, expected) || store.contains(k.array()) != (expected != null)) {
                        throw new AssertionError(where + " op " + op + ": get(" + k + ") returned " + StoreCommand.describe(observed)
                            + ", model has " + StoreCommand.describe(expected));
                    }
                }
                if (op % FULL_CHECK_EVERY == 0) {
                    assertEqual(where + " after op " + op, store, model);
                    assertScans(where + " after op " + op, store, model, r, false);
                }
            }
            assertEqual(where + " at the end (op " + op + ")", store, model);
            assertScans(where + " at the end (op " + op + ")", store, model, r, true);
            for (Map.Entry<Bytes, Bytes> e : model.entrySet()) {
                byte[] copy = store.getCopy(e.getKey().array());
                if (copy == null || !e.getValue().equals(Bytes.wrap(copy))) {
                    throw new AssertionError(where + ": getCopy(" + e.getKey() + ") at the end returned "
                        + (copy == null ? "absent" : Bytes.wrap(copy)) + ", model has " + e.getValue());
                }
            }
            try (StoreSnapshot snapshot = store.snapshot(); KeyValueStore copy = setup.create()) {
                copy.restore(snapshot);
                assertEqual(where + ": store restored from a final snapshot", copy, model);
                assertScans(where + ": store restored from a final snapshot", copy, model, r, true);
            }
            if (store.options().sortedIndex()) {
                shrink(store, model, r, where);
                assertEqual(where + " after shrinking", store, model);
                assertScans(where + " after shrinking", store, model, r, true);
                // new keys reuse the memory of merged nodes: a dangling link to one shows now
                for (int i = 0; i < target / 50; i++) {
                    Bytes k = key(r, serial++);
                    Bytes v = value(r);
                    store.put(k.array(), v.array());
                    model.put(k, v);
                }
                assertEqual(where + " after shrinking and re-growing", store, model);
                assertScans(where + " after shrinking and re-growing", store, model, r, true);
            }
        }
    }

    /**
     * Deletes about 95% of the keys: the largest fifth, the smallest fifth, a run in the middle,
     * then most of the rest at random, so that sorted-index nodes merge and the tree loses levels.
     */
    static void shrink(KeyValueStore store, Map<Bytes, Bytes> model, SplittableRandom r, String where) {
        List<Bytes> keys = new ArrayList<>(new TreeMap<>(model).keySet());
        int n = keys.size();
        List<Bytes> doomed = new ArrayList<>(keys.subList(n - n / 5, n));
        doomed.addAll(keys.subList(0, n / 5));
        doomed.addAll(keys.subList(2 * n / 5, 3 * n / 5));
        for (Bytes k : keys.subList(n / 5, 2 * n / 5)) {
            if (r.nextInt(100) < 90) {
                doomed.add(k);
            }
        }
        for (Bytes k : keys.subList(3 * n / 5, n - n / 5)) {
            if (r.nextInt(100) < 90) {
                doomed.add(k);
            }
        }
        for (Bytes k : doomed) {
            if (!store.delete(k.array())) {
                throw new AssertionError(where + ": shrinking, delete(" + k + ") of a stored key returned false");
            }
            model.remove(k);
        }
    }

    /**
     * On sorted stores: random queries of every kind with bounds at, next to and between stored
     * keys, each read for up to {@link #QUERY_READS} entries; with {@code full}, first full scans
     * both ways.
     */
    static void assertScans(String where, KeyValueStore store, Map<Bytes, Bytes> model, SplittableRandom r, boolean full) {
        if (!store.options().sortedIndex()) {
            return;
        }
        TreeMap<Bytes, Bytes> sorted = new TreeMap<>(model);
        if (full) {
            CursorReader.assertFullScans(where, store, sorted);
        }
        List<Bytes> keys = new ArrayList<>(sorted.keySet());
        io.offstate.engine.Cursor cursor = store.cursor();
        ScanQuery.Kind[] kinds = ScanQuery.Kind.values();
        BoundChoice.Source[] sources = BoundChoice.Source.values();
        for (int i = 0; i < QUERIES_PER_CHECK; i++) {
            ScanQuery.Kind kind = kinds[r.nextInt(kinds.length)];
            Bytes a = new BoundChoice(sources[1 + r.nextInt(sources.length - 1)], r.nextInt(), r.nextInt(), Bytes.EMPTY).resolve(keys);
            Bytes b = new BoundChoice(sources[1 + r.nextInt(sources.length - 1)], r.nextInt(), r.nextInt(), Bytes.EMPTY).resolve(keys);
            if (kind == ScanQuery.Kind.RANGE || kind == ScanQuery.Kind.RANGE_REVERSE) {
                if (a.compareTo(b) > 0 && r.nextInt(4) != 0) {
                    Bytes t = a;
                    a = b;
                    b = t;
                }
            } else {
                b = null;
            }
            ScanQuery query = new ScanQuery(kind, a, b);
            long limit = QUERY_READS;
            String at = where + ", " + query;
            CursorReader.assertAnswer(at, query.answer(sorted, null, limit), limit, CursorReader.scan(cursor, query, limit, at));
        }
    }

    static void assertEqual(String where, KeyValueStore store, Map<Bytes, Bytes> model) {
        if (store.size() != model.size()) {
            throw new AssertionError(where + ": size() " + store.size() + ", model " + model.size());
        }
        Map<Bytes, Bytes> actual = StoreUnderTest.contents(store);
        if (!actual.equals(model)) {
            List<String> diff = new ArrayList<>();
            for (Map.Entry<Bytes, Bytes> e : model.entrySet()) {
                Bytes a = actual.get(e.getKey());
                if (!e.getValue().equals(a) && diff.size() < 10) {
                    diff.add(e.getKey() + ": store " + StoreCommand.describe(a) + ", model " + e.getValue());
                }
            }
            for (Bytes k : actual.keySet()) {
                if (!model.containsKey(k) && diff.size() < 20) {
                    diff.add(k + ": store has it, model does not");
                }
            }
            throw new AssertionError(where + ": forEach contents (" + actual.size() + " entries) differ from the model ("
                + model.size() + "), first differences: " + diff);
        }
    }
}
