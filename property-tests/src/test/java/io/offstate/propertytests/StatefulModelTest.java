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
 * restore / bulk put / cursor scans against a sorted-map model (a {@code TreeMap<Bytes, Bytes>} in
 * unsigned lexicographic key order), over every {@link StoreConfig}. After every command the
 * store's contents (read with forEach), size() and its snapshots' sizes must equal the model's,
 * and on sorted stores a full cursor scan must yield the contents in key order. Every scan
 * command compares the whole sequence of (key, value) pairs it read with the model's answer;
 * on hash-only stores, cursor() must throw UnsupportedOperationException. A failure is reported
 * as QuickTheories' shrunk example, then as that sequence with every command dropped that the
 * failure does not need ({@link FailureMinimizer}).
 */
class StatefulModelTest {
    static final int MAX_COMMANDS = 100;
    /** Commands after the bulk puts of {@link #sortedStoreWithManyKeysScansLikeATreeMap}. */
    static final int MAX_COMMANDS_AFTER_BULK = 30;
    /** Default examples per sorted configuration of {@link #sortedStoreWithManyKeysScansLikeATreeMap}. */
    static final int MANY_KEYS_EXAMPLES = 40;

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
        StoreUnderTest[] sut = new StoreUnderTest[1];
        try {
            Sequential.modelCheck(Model.empty(), commands, model -> {
                if (model.size != 0) {
                    throw new IllegalArgumentException("the initial model must be empty");
                }
                sut[0] = new StoreUnderTest(setup);
                return sut[0];
            }, StoreUnderTest::observe);
        } finally {
            if (sut[0] != null) {
                sut[0].close();
            }
        }
    }
}
