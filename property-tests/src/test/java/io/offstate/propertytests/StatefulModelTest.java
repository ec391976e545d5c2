package io.offstate.propertytests;

import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.longs;

import java.util.List;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.core.stateful.Sequential;
import org.quicktheories.generators.Generate;

/**
 * Stateful model check: random sequences of put / get / getCopy / delete / contains / snapshot /
 * restore / clear / flush (with and without metadata, and refused) / bulk put / cursor scans
 * against a sorted-map model (a {@code TreeMap<Bytes, Bytes>} in unsigned lexicographic key order,
 * plus the last flush metadata), over every {@link StoreConfig}. After every command the store's
 * contents (read with forEach), size(), its snapshots' sizes and lastFlushMetadata() must equal
 * the model's, stats() must agree with them and with the other accessors, and on sorted stores a
 * full cursor scan must yield the contents in key order. Every scan command compares the whole
 * sequence of (key, value) pairs it read with the model's answer; on hash-only stores, cursor()
 * must throw UnsupportedOperationException. {@link #aWriteObserverSeesEveryAppliedChangeOnce}
 * runs such sequences with a recording write observer installed ({@link ObservedWrites}). A
 * failure is reported as QuickTheories' shrunk example, then as that sequence with every command
 * dropped that the failure does not need ({@link FailureMinimizer}).
 */
class StatefulModelTest {
    static final int MAX_COMMANDS = 100;
    /** Commands after the bulk puts of {@link #sortedStoreWithManyKeysScansLikeATreeMap}. */
    static final int MAX_COMMANDS_AFTER_BULK = 30;
    /** Default examples per sorted configuration of {@link #sortedStoreWithManyKeysScansLikeATreeMap}. */
    static final int MANY_KEYS_EXAMPLES = 40;
    /** Default examples per configuration of {@link #aWriteObserverSeesEveryAppliedChangeOnce} (sorted ones: fewer). */
    static final int OBSERVER_EXAMPLES = 150;
    static final int SORTED_OBSERVER_EXAMPLES = 100;

    /** A store setup for {@code config}: random hash seed, and a budget for limited configurations. */
    static Gen<StoreSetup> setups(StoreConfig config) {
        Gen<Integer> budget = Generate.frequency(
            Pair.of(7, Generate.range(StoreConfig.MIN_TIGHT_BUDGET, 24 << 10)),
            Pair.of(3, Generate.range(24 << 10, StoreConfig.MAX_TIGHT_BUDGET)));
        return longs().all().zip(budget, (seed, b) -> new StoreSetup(config, seed, b));
    }

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreConfig.class)
    void storeBehavesLikeASortedMap(StoreConfig config) {
        FailureMinimizer minimizer = new FailureMinimizer();
        try {
            qt().withFixedSeed(Settings.seed("stateful/" + config))
                .withExamples(Settings.statefulExamples(config))
                .withShrinkCycles(Settings.shrinkCycles())
                .forAll(setups(config), Gens.commands(MAX_COMMANDS, config.sorted()))
                .checkAssert(minimizer::check);
        } catch (AssertionError e) {
            throw minimizer.explain(e);
        }
    }

    /**
     * With a recording write observer installed: after every command, the replay of what the
     * observer saw (puts and deletes with the caller's original key bytes, restored: the store's
     * contents, cleared: empty) must equal the store's contents, and each write must have been seen
     * exactly once, in order: nothing for a put refused with StoreFullException (tight budgets), a
     * delete of an absent key, a refused restore, a flush or a read.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreConfig.class)
    void aWriteObserverSeesEveryAppliedChangeOnce(StoreConfig config) {
        FailureMinimizer minimizer = new FailureMinimizer((setup, commands) -> check(setup, commands, true));
        try {
            qt().withFixedSeed(Settings.seed("observer/" + config))
                .withExamples(Settings.scaled(config.sorted() ? SORTED_OBSERVER_EXAMPLES : OBSERVER_EXAMPLES))
                .withShrinkCycles(Settings.shrinkCycles())
                .forAll(setups(config), Gens.commands(MAX_COMMANDS, config.sorted()))
                .checkAssert(minimizer::check);
        } catch (AssertionError e) {
            throw minimizer.explain(e);
        }
    }

    /**
     * Scans over a few hundred to 2000 keys (many sorted-index nodes, several levels with 4 KiB
     * pages), with bounds at stored keys, their prefixes and neighbours, interleaved with the writes,
     * snapshots and restores that invalidate the shared cursor.
     */
    @ParameterizedTest(name = "{0}")
    @EnumSource(value = StoreConfig.class, names = "SORTED.*", mode = EnumSource.Mode.MATCH_ANY)
    void sortedStoreWithManyKeysScansLikeATreeMap(StoreConfig config) {
        FailureMinimizer minimizer = new FailureMinimizer();
        try {
            qt().withFixedSeed(Settings.seed("many-keys/" + config))
                .withExamples(Settings.scaled(MANY_KEYS_EXAMPLES))
                .withShrinkCycles(Settings.shrinkCycles())
                .forAll(setups(config), Gens.manyKeysCommands(MAX_COMMANDS_AFTER_BULK))
                .checkAssert(minimizer::check);
        } catch (AssertionError e) {
            throw minimizer.explain(e);
        }
    }

    /** Runs {@code commands} against a fresh store of {@code setup} and the empty model; always closes the store. */
    static void check(StoreSetup setup, List<StoreCommand> commands) {
        check(setup, commands, false);
    }

    /** As {@link #check(StoreSetup, List)}, with a recording write observer on the store if {@code observed}. */
    static void check(StoreSetup setup, List<StoreCommand> commands, boolean observed) {
        StoreUnderTest[] sut = new StoreUnderTest[1];
        try {
            Sequential.modelCheck(Model.empty(), commands, model -> {
                if (model.size != 0) {
                    throw new IllegalArgumentException("the initial model must be empty");
                }
                sut[0] = new StoreUnderTest(setup, observed);
                return sut[0];
            }, StoreUnderTest::observe);
        } finally {
            if (sut[0] != null) {
                sut[0].close();
            }
        }
    }
}
