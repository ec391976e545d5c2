package io.offstate.propertytests;

import static org.quicktheories.QuickTheory.qt;

import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quicktheories.core.stateful.Sequential;

/**
 * Model check of file-backed stores ({@code KeyValueStore.open}): random sequences of the stateful
 * model's commands (puts and overwrites with values of every size, deletes, bulk puts, bulk
 * deletes and {@link RewriteCommand rewrites}, snapshots and restores, scans on sorted stores)
 * and clear(), interleaved with flushes (plain, carrying metadata of 0..300 bytes or
 * {@code MAX_FLUSH_METADATA}, and refused: null or oversize), verifyFiles() and reopens of the
 * store's directory ({@link FileCommand}).
 * Configurations: hash-only and sorted, plain and dictionary-encoded, 1 MiB and 4 KiB pages (many
 * pages; values over ~1 KiB in segment files of their own, made, replaced and freed across
 * flushes), hash indexes that start tiny and keep growing (flushes and reopens find them in
 * mid-migration), and tight budgets.
 * <ul>
 *   <li>{@link #reopenedAfterCloseTheStoreIsAsItWas}: each round of commands ends with close(),
 *       which flushes, and a reopen: the store must equal the model, one generation later.</li>
 *   <li>{@link #reopenedAfterDyingTheStoreIsAsOfTheLastFlush}: each round ends with
 *       closeWithoutFlush(), as if the process died, and a reopen: the store must equal the model
 *       as of the last flush (or close), same generation; the next round goes on working with it.
 *       Its stores have a recording write observer installed ({@link ObservedWrites}, installed
 *       again on each reopened store), which must see each write once and nothing else.</li>
 * </ul>
 * A clear() empties the open store but not the directory: dying then reopens the last flush,
 * while a flush or close() makes the empty store durable. The model knows the metadata of the
 * last flush that carried some; lastFlushMetadata() must equal it after every command, every
 * reopen included (after close(), which keeps it, and after dying).
 * After every command, as in {@link StatefulModelTest}, the store's contents, size(), snapshot
 * sizes, flushGeneration() and lastFlushMetadata() must equal the model's, stats() must agree
 * (no dirty chunk right after a flush or an open), and on sorted stores full cursor scans both
 * ways must yield the contents (after every write, flush and reopen). After each flush and open,
 * the directory's files must be those the format documents, with no segment file left over
 * ({@link StoreDirectory}); after each open, verify() must hold and every key be found with its
 * value. Each example has a directory of its own under the test's temporary directory, deleted
 * after it; its store is always closed, so no file lock outlives the example.
 */
class FileBackedModelTest {
    static final int MAX_ROUNDS = 4;
    static final int MAX_STEPS_PER_ROUND = 25;

    @TempDir
    Path root;

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = StoreConfig.class, names = {"DEFAULTS", "SMALL_PAGES", "SMALL_PAGES_DICT_DELIMITER",
        "COLLIDING_TINY_INDEX_DICT_PREFIX3", "TIGHT_BUDGET_DICT_DELIMITER", "SORTED", "SORTED_SMALL_PAGES",
        "SORTED_SMALL_PAGES_DICT_DELIMITER", "SORTED_COLLIDING_TINY_INDEX_DICT_PREFIX3", "SORTED_TIGHT_BUDGET"})
    void reopenedAfterCloseTheStoreIsAsItWas(StoreConfig config) {
        run("file-close/" + config, config, false);
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(value = StoreConfig.class, names = {"DEFAULTS", "SMALL_PAGES", "SMALL_PAGES_DICT_DELIMITER",
        "COLLIDING_TINY_INDEX_DICT_PREFIX3", "TIGHT_BUDGET_DICT_DELIMITER", "SORTED", "SORTED_SMALL_PAGES",
        "SORTED_SMALL_PAGES_DICT_DELIMITER", "SORTED_COLLIDING_TINY_INDEX_DICT_PREFIX3", "SORTED_TIGHT_BUDGET"})
    void reopenedAfterDyingTheStoreIsAsOfTheLastFlush(StoreConfig config) {
        run("file-died/" + config, config, true);
    }

    private void run(String name, StoreConfig config, boolean died) {
        FailureMinimizer minimizer = new FailureMinimizer((setup, commands) -> check(root, setup, commands, died));
        try {
            qt().withFixedSeed(Settings.seed(name))
                .withExamples(Settings.fileExamples())
                .withShrinkCycles(Settings.shrinkCycles())
                .forAll(StatefulModelTest.setups(config), Gens.fileRounds(MAX_ROUNDS, MAX_STEPS_PER_ROUND, config.sorted(), died))
                .checkAssert(minimizer::check);
        } catch (AssertionError e) {
            throw minimizer.explain(e);
        }
    }

    /**
     * Runs {@code commands} against a store of {@code setup} created in a new directory under
     * {@code root} (with a recording write observer if {@code observed}), starting from the empty
     * model; always closes the store and deletes the directory.
     */
    static void check(Path root, StoreSetup setup, List<StoreCommand> commands, boolean observed) {
        Path directory = StoreDirectory.newExampleDirectory(root);
        StoreUnderTest[] sut = new StoreUnderTest[1];
        try {
            Sequential.modelCheck(Model.emptyFileBacked(), commands, model -> {
                if (model.size != 0 || model.generation != 1) {
                    throw new IllegalArgumentException("the initial model must be an empty new store");
                }
                sut[0] = StoreUnderTest.open(setup, directory, observed);
                return sut[0];
            }, StoreUnderTest::observe);
        } finally {
            try {
                if (sut[0] != null) {
                    sut[0].close();
                }
            } finally {
                StoreDirectory.deleteRecursively(directory);
            }
        }
    }
}
