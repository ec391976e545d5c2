package io.offstate.propertytests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.List;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.StoreSnapshot;
import io.offstate.offheap.StoreFullException;

/**
 * Snapshot independence: writes (overwrites, deletes, new keys, new dictionary components) made
 * after {@code snapshot()} never show in the snapshot. Checked by restoring it into a fresh store
 * of the same options (pre-filled with junk that the restore must replace), and again after the
 * restored store and the original were written to and the snapshot closed. On sorted stores, full
 * forward and reverse scans of every store involved must agree with the model too (snapshots and
 * restores include the sorted index).
 */
class SnapshotIndependenceTest {
    /** put(key, value), or delete(key) if value is null. */
    record Write(Bytes key, Bytes value) {
        /** Applies the write to the store and, unless a StoreFullException refused it, to the model. */
        void apply(KeyValueStore store, TreeMap<Bytes, Bytes> model, boolean limited) {
            if (value == null) {
                assertEquals(model.remove(key) != null, store.delete(key.array()), () -> "return of " + this);
                return;
            }
            try {
                store.put(key.array(), value.array());
                model.put(key, value);
            } catch (StoreFullException e) {
                if (!limited) {
                    throw e;
                }
            }
        }

        @Override
        public String toString() {
            return value == null ? "delete(" + key + ")" : "put(" + key + ", " + value + ")";
        }
    }

    static Gen<Write> write(List<Bytes> pool) {
        Gen<Write> put = Gens.keyFrom(pool).zip(Gens.value(), Write::new);
        Gen<Write> delete = Gens.keyFrom(pool).map(k -> new Write(k, null));
        return Generate.frequency(Pair.of(3, put), Pair.of(1, delete));
    }

    /** Writes before the snapshot, and after it, over one key pool. */
    static Gen<Pair<List<Write>, List<Write>>> history() {
        return Gens.keyPool().flatMap(pool -> lists().of(write(pool)).ofSizeBetween(0, 40)
            .zip(lists().of(write(pool)).ofSizeBetween(1, 40), Pair::of));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreConfig.class)
    void writesAfterSnapshotNeverShowInIt(StoreConfig config) {
        qt().withFixedSeed(Settings.seed("snapshot-independence/" + config))
            .withExamples(Settings.scaled(150))
            .withShrinkCycles(Settings.shrinkCycles())
            .forAll(StatefulModelTest.setups(config), history())
            .checkAssert((setup, h) -> check(setup, h._1, h._2));
    }

    static void check(StoreSetup setup, List<Write> before, List<Write> after) {
        boolean limited = setup.config().limited;
        TreeMap<Bytes, Bytes> model = new TreeMap<>();
        try (KeyValueStore store = setup.create()) {
            for (Write w : before) {
                w.apply(store, model, limited);
            }
            TreeMap<Bytes, Bytes> atSnapshot = new TreeMap<>(model);
            long usedAtSnapshot = store.memoryUsed();
            try (StoreSnapshot snapshot = store.snapshot()) {
                for (Write w : after) {
                    w.apply(store, model, limited);
                }
                assertEquals(model, StoreUnderTest.contents(store), "store after the later writes");
                CursorReader.assertFullScans("store after the later writes", store, model);
                assertEquals(atSnapshot.size(), snapshot.size(), "snapshot size");
                assertEquals(usedAtSnapshot, snapshot.memoryUsed(), "snapshot memoryUsed");

                try (KeyValueStore fresh = setup.create(); KeyValueStore other = setup.create()) {
                    new Write(Bytes.wrap(Gens.latin1("junk|before-restore")), Bytes.wrap(Gens.latin1("x")))
                        .apply(fresh, new TreeMap<>(), limited);
                    fresh.restore(snapshot);
                    assertEquals(atSnapshot, StoreUnderTest.contents(fresh), "fresh store restored from the snapshot");
                    CursorReader.assertFullScans("fresh store restored from the snapshot", fresh, atSnapshot);
                    assertEquals(atSnapshot.size(), fresh.size(), "size of the restored store");
                    assertEquals(snapshot.memoryUsed(), fresh.memoryUsed(), "memoryUsed of the restored store");

                    // Writing to the restored store and to the original must not reach the snapshot either.
                    TreeMap<Bytes, Bytes> freshModel = new TreeMap<>(atSnapshot);
                    for (Write w : after) {
                        w.apply(fresh, freshModel, limited);
                        w.apply(store, model, limited);
                    }
                    other.restore(snapshot);
                    assertEquals(atSnapshot, StoreUnderTest.contents(other), "second restore of the snapshot");
                    CursorReader.assertFullScans("second restore of the snapshot", other, atSnapshot);

                    // Restore copies: the restored store survives the snapshot's close.
                    snapshot.close();
                    assertEquals(freshModel, StoreUnderTest.contents(fresh), "restored store after closing the snapshot");
                    CursorReader.assertFullScans("restored store after closing the snapshot", fresh, freshModel);
                    assertEquals(atSnapshot, StoreUnderTest.contents(other), "second restored store after closing the snapshot");
                    CursorReader.assertFullScans("second restored store after closing the snapshot", other, atSnapshot);
                }
            }
            assertEquals(model, StoreUnderTest.contents(store), "original store at the end");
            CursorReader.assertFullScans("original store at the end", store, model);
        }
    }

    /**
     * Regression (found by {@code StatefulModelTest.sortedStoreWithManyKeysScansLikeATreeMap}, seed
     * 4242, 2000 examples, SORTED_SMALL_PAGES_DICT_DELIMITER; fixed in 537c2bb): a snapshot taken
     * while the highest page index (16 or more) was a freed large segment could not be restored or
     * closed. {@code PagedMemory.copy} skipped null (freed) pages, so the copy's page arrays kept
     * their initial length 16 while its {@code pageCount} was copied as 17. Not specific to the
     * sorted index.
     */
    @Test
    void snapshotTakenAfterTheHighestPageWasFreedRestoresAndCloses() {
        StoreOptions options = StoreOptions.builder().pageSize(4096).hashSeed(1).build();
        try (KeyValueStore store = KeyValueStore.create(options); KeyValueStore other = KeyValueStore.create(options)) {
            TreeMap<Bytes, Bytes> model = new TreeMap<>();
            for (int i = 1; i <= 16; i++) {  // values over a quarter page: one large segment each, page indexes 1..16
                store.put(new byte[] {(byte) i}, new byte[2000]);
                model.put(Bytes.wrap(new byte[] {(byte) i}), Bytes.wrap(new byte[2000]));
            }
            store.delete(new byte[] {16});    // frees page index 16, the highest
            model.remove(Bytes.wrap(new byte[] {16}));
            StoreSnapshot snapshot = store.snapshot();
            other.restore(snapshot);          // was: ArrayIndexOutOfBoundsException: Index 16 out of bounds for length 16
            assertEquals(model, StoreUnderTest.contents(other), "restored store");
            snapshot.close();                 // was: the same exception (and the snapshot's memory was never released)
        }
    }

    /** Another layout: another page size, dictionary configuration or sortedIndex setting. */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreConfig.class)
    void snapshotOfAnotherLayoutIsRefusedAndLeavesTheStoreUnchanged(StoreConfig config) {
        StoreSetup setup = new StoreSetup(config, 42, StoreConfig.MAX_TIGHT_BUDGET);
        StoreOptions options = setup.options();
        StoreOptions otherPages = StoreOptions.builder().hashSeed(42)
            .pageSize(options.pageSize() == 4096 ? 8192 : 4096)
            .dictionaryKeyComponent(options.dictionaryKeyComponent()).build();
        StoreOptions otherDictionary = StoreOptions.builder().hashSeed(42).pageSize(options.pageSize())
            .dictionaryKeyComponent(options.dictionaryKeyComponent() == null ? StoreConfig.DELIMITER : null).build();
        StoreOptions otherSortedIndex = StoreOptions.builder().hashSeed(42).pageSize(options.pageSize())
            .dictionaryKeyComponent(options.dictionaryKeyComponent()).sortedIndex(!options.sortedIndex()).build();
        for (StoreOptions foreign : List.of(otherPages, otherDictionary, otherSortedIndex)) {
            try (KeyValueStore store = setup.create(); KeyValueStore source = KeyValueStore.create(foreign)) {
                store.put(Gens.latin1("acme|1"), Gens.latin1("one"));
                source.put(Gens.latin1("acme|2"), Gens.latin1("two"));
                long used = store.memoryUsed();
                TreeMap<Bytes, Bytes> contents = StoreUnderTest.contents(store);
                try (StoreSnapshot snapshot = source.snapshot()) {
                    assertThrows(IllegalArgumentException.class, () -> store.restore(snapshot), foreign::toString);
                }
                assertEquals(contents, StoreUnderTest.contents(store), "contents after the refused restore");
                CursorReader.assertFullScans("after the refused restore", store, contents);
                assertEquals(used, store.memoryUsed(), "memoryUsed after the refused restore");
            }
        }
    }
}
