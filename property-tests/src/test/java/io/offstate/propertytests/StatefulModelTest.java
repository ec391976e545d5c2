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
 * restore against a sorted-map model, over every {@link StoreConfig}. After every command the
 * store's contents (read with forEach), size() and its snapshots' sizes must equal the model's.
 */
class StatefulModelTest {
    static final int MAX_COMMANDS = 100;

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
        qt().withFixedSeed(Settings.seed("stateful/" + config))
            .withExamples(Settings.statefulExamples())
            .withShrinkCycles(Settings.shrinkCycles())
            .forAll(setups(config), Gens.commands(MAX_COMMANDS))
            .checkAssert(StatefulModelTest::check);
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
