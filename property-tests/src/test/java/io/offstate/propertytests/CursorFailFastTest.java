package io.offstate.propertytests;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.ConcurrentModificationException;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreSnapshot;
import io.offstate.engine.ValueView;

/**
 * A positioned cursor fails fast exactly when its store is written: after a put that stores, a
 * delete that removes, a restore (even of an identical snapshot) or a clear (even of an empty
 * store), next() — and key()/value() if it was on an entry — throw
 * ConcurrentModificationException until the cursor is re-positioned, which then gives the model's
 * answer over the new contents. Reads, snapshots, deletes of absent keys, restoring this store's
 * snapshot into another store and flushes of an in-memory store (with metadata: they only record
 * it) are not writes: the cursor then goes on exactly where it was.
 *
 * <p>Each example fills a store (of an unlimited sorted configuration) with a few to a few hundred
 * keys, taking a snapshot halfway, positions a cursor with a random query, reads 0..3 entries, does
 * one action (near the cursor's current key) and checks the cursor.
 */
class CursorFailFastTest {
    /** What happens between positioning the cursor and using it again. */
    enum Action {
        PUT_NEW_KEY(true), OVERWRITE(true), OVERWRITE_WITH_SAME_VALUE(true), DELETE_PRESENT_KEY(true),
        RESTORE_OLDER_SNAPSHOT(true), RESTORE_IDENTICAL_SNAPSHOT(true), CLEAR(true),
        DELETE_ABSENT_KEY(false), TAKE_SNAPSHOT(false), READ(false), RESTORE_INTO_ANOTHER_STORE(false),
        FLUSH_IN_MEMORY(false);

        final boolean writes;

        Action(boolean writes) {
            this.writes = writes;
        }
    }

    /** One example: store contents, the query, how much to read before the action, the action. */
    record Scenario(StoreSetup setup, List<Bytes> pool, long seed, int count, ScanCommand scan, int readsBefore,
                    Action action, int pick) {
        @Override
        public String toString() {
            return setup + " holding bulkPut(" + count + " entries of seed " + seed + "L, pool " + pool + ") (snapshot halfway), "
                + scan + " then " + readsBefore + " next(), then " + action + " (pick " + pick + ")";
        }
    }

    static final int EXAMPLES = 60;

    static Gen<Scenario> scenarios(StoreConfig config, List<Action> actions) {
        Gen<Integer> count = Generate.frequency(Pair.of(3, Generate.range(0, 50)), Pair.of(2, Generate.range(51, 600)));
        return Gens.keyPool().flatMap(pool -> StatefulModelTest.setups(config).zip(longs().all(), count, Gens.scanCommand(pool),
            (setup, seed, n, scan) -> Pair.of(setup, Pair.of(seed, Pair.of(n, scan))))
            .zip(Generate.range(0, 3), Generate.pick(actions), Generate.range(0, 1 << 20), (p, reads, action, pick) ->
                new Scenario(p._1, pool, p._2._1, p._2._2._1, p._2._2._2, reads, action, pick)));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = StoreConfig.class, names = "SORTED(?!_TIGHT).*", mode = EnumSource.Mode.MATCH_ANY)
    void aWriteMakesAPositionedCursorFailFastUntilRepositioned(StoreConfig config) {
        List<Action> writes = Arrays.stream(Action.values()).filter(a -> a.writes).toList();
        qt().withFixedSeed(Settings.seed("cursor-fail-fast/" + config))
            .withExamples(Settings.scaled(EXAMPLES))
            .withShrinkCycles(Settings.shrinkCycles())
            .forAll(scenarios(config, writes))
            .checkAssert(CursorFailFastTest::check);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = StoreConfig.class, names = "SORTED(?!_TIGHT).*", mode = EnumSource.Mode.MATCH_ANY)
    void readsAndSnapshotsLeaveAPositionedCursorIterating(StoreConfig config) {
        List<Action> others = Arrays.stream(Action.values()).filter(a -> !a.writes).toList();
        qt().withFixedSeed(Settings.seed("cursor-not-invalidated/" + config))
            .withExamples(Settings.scaled(EXAMPLES))
            .withShrinkCycles(Settings.shrinkCycles())
            .forAll(scenarios(config, others))
            .checkAssert(CursorFailFastTest::check);
    }

    static void check(Scenario sc) {
        String where = sc.toString();
        List<Map.Entry<Bytes, Bytes>> entries = Gens.bulkEntries(sc.pool(), sc.seed(), sc.count());
        TreeMap<Bytes, Bytes> model = new TreeMap<>();
        try (KeyValueStore store = sc.setup().create()) {
            int half = entries.size() / 2;
            putAll(store, model, entries.subList(0, half));
            TreeMap<Bytes, Bytes> older = new TreeMap<>(model);
            try (StoreSnapshot olderSnapshot = store.snapshot()) {
                putAll(store, model, entries.subList(half, entries.size()));
                List<Bytes> keys = new ArrayList<>(model.keySet());
                ScanQuery query = sc.scan().resolve(keys);
                long limit = query.kind().positionsOnEntry ? 1 + sc.readsBefore() : sc.readsBefore();

                Cursor cursor = store.cursor();
                CursorReader.Run before = CursorReader.scan(cursor, query, limit, where);
                CursorReader.assertAnswer(where + ": before the action", query.answer(model, null, limit), limit, before);
                boolean onEntry = !before.entries().isEmpty() && !before.ended();
                Bytes near = onEntry ? before.lastKey(null) : keys.isEmpty() ? Bytes.EMPTY : keys.get(sc.pick() % keys.size());

                act(sc, store, model, older, olderSnapshot, near, where);

                if (sc.action().writes) {
                    if (cursor.isOnEntry()) {
                        throw new AssertionError(where + ": isOnEntry() is true after the write");
                    }
                    if (onEntry) {
                        expectConcurrentModification(where, "key()", cursor::key);
                        expectConcurrentModification(where, "value()", cursor::value);
                    }
                    expectConcurrentModification(where, "next()", cursor::next);
                    expectConcurrentModification(where, "a second next()", cursor::next);
                    CursorReader.Run again = CursorReader.scan(cursor, query, Long.MAX_VALUE, where);
                    CursorReader.assertAnswer(where + ": re-positioned after the action", query.answer(model, null, Long.MAX_VALUE),
                        Long.MAX_VALUE, again);
                } else {
                    CursorReader.Run rest = CursorReader.next(cursor, Long.MAX_VALUE, where);
                    CursorReader.assertAnswer(where + ": continued after the action",
                        query.answer(model, before.lastKey(null), Long.MAX_VALUE), Long.MAX_VALUE, rest);
                }
            }
        }
    }

    private static void putAll(KeyValueStore store, TreeMap<Bytes, Bytes> model, List<Map.Entry<Bytes, Bytes>> entries) {
        for (Map.Entry<Bytes, Bytes> e : entries) {
            store.put(e.getKey().array(), e.getValue().array());
            model.put(e.getKey(), e.getValue());
        }
    }

    /** A key absent from {@code model}: {@code near} followed by as many 0x00 as needed (right after it in key order). */
    private static Bytes absentAfter(Bytes near, TreeMap<Bytes, Bytes> model) {
        byte[] k = near.array();
        do {
            k = Arrays.copyOf(k, k.length + 1);
        } while (model.containsKey(Bytes.wrap(k)));
        return Bytes.wrap(k);
    }

    /** A present key: {@code near} if present, else the first key after it, else the last; null if the model is empty. */
    private static Bytes presentAt(Bytes near, TreeMap<Bytes, Bytes> model) {
        Bytes k = model.ceilingKey(near);
        return k != null ? k : model.isEmpty() ? null : model.lastKey();
    }

    private static void act(Scenario sc, KeyValueStore store, TreeMap<Bytes, Bytes> model, TreeMap<Bytes, Bytes> older,
                            StoreSnapshot olderSnapshot, Bytes near, String where) {
        Bytes present = presentAt(near, model);
        Bytes fresh = Bytes.wrap(Gens.latin1("value written by " + sc.action()));
        switch (sc.action()) {
            case PUT_NEW_KEY -> put(store, model, absentAfter(near, model), fresh);
            case OVERWRITE -> put(store, model, present == null ? near : present, fresh);
            case OVERWRITE_WITH_SAME_VALUE -> {
                if (present == null) {
                    put(store, model, near, fresh);
                } else {
                    put(store, model, present, model.get(present));
                }
            }
            case DELETE_PRESENT_KEY -> {
                if (present == null) {
                    put(store, model, near, fresh);
                } else {
                    if (!store.delete(present.array())) {
                        throw new AssertionError(where + ": delete(" + present + ") of a present key returned false");
                    }
                    model.remove(present);
                }
            }
            case RESTORE_OLDER_SNAPSHOT -> {
                store.restore(olderSnapshot);
                model.clear();
                model.putAll(older);
            }
            case RESTORE_IDENTICAL_SNAPSHOT -> {
                try (StoreSnapshot same = store.snapshot()) {
                    store.restore(same);
                }
            }
            case CLEAR -> {
                store.clear();
                model.clear();
            }
            case FLUSH_IN_MEMORY -> {
                store.flush(Gens.latin1("metadata of " + where.length()));
                store.flush();
            }
            case DELETE_ABSENT_KEY -> {
                Bytes absent = absentAfter(near, model);
                if (store.delete(absent.array())) {
                    throw new AssertionError(where + ": delete(" + absent + ") of an absent key returned true");
                }
            }
            case TAKE_SNAPSHOT -> {
                try (StoreSnapshot s = store.snapshot()) {
                    if (s.size() != model.size()) {
                        throw new AssertionError(where + ": snapshot size " + s.size() + ", model " + model.size());
                    }
                }
            }
            case READ -> {
                ValueView view = new ValueView();
                boolean hit = store.get(near.array(), view);
                byte[] copy = store.getCopy(near.array());
                boolean contains = store.contains(near.array());
                boolean expected = model.containsKey(near);
                if (hit != expected || (copy != null) != expected || contains != expected) {
                    throw new AssertionError(where + ": get/getCopy/contains(" + near + ") = " + hit + "/" + (copy != null) + "/"
                        + contains + ", model " + expected);
                }
                if (!StoreUnderTest.contents(store).equals(model) || store.size() != model.size()) {
                    throw new AssertionError(where + ": forEach/size differ from the model");
                }
                CursorReader.assertFullScans(where + ": another cursor's scans", store, model);
            }
            case RESTORE_INTO_ANOTHER_STORE -> {
                try (StoreSnapshot s = store.snapshot(); KeyValueStore other = sc.setup().create()) {
                    other.put(Gens.latin1("junk"), Gens.latin1("replaced by the restore"));
                    other.restore(s);
                    CursorReader.assertFullScans(where + ": the other store's scans", other, model);
                }
            }
        }
    }

    private static void put(KeyValueStore store, TreeMap<Bytes, Bytes> model, Bytes key, Bytes value) {
        store.put(key.array(), value.array());
        model.put(key, value);
    }

    private static void expectConcurrentModification(String where, String call, Runnable r) {
        try {
            r.run();
        } catch (ConcurrentModificationException expected) {
            return;
        }
        throw new AssertionError(where + ": " + call + " after the write did not throw ConcurrentModificationException");
    }
}
