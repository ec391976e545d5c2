package io.offstate.propertytests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.ValueView;
import io.offstate.offheap.StoreFullException;

/**
 * Model check of the batched lookup {@link KeyValueStore#getAll}: random sequences of puts,
 * deletes and batches against a {@code HashMap<Bytes, Bytes>} model, over every
 * {@link StoreConfig} (dictionary keys, no fingerprints, a growing index, small pages with large
 * values, tight budgets, sorted). A batch holds 0..90 keys (more than one 64-key group), drawn from
 * a small key space so that it repeats keys, hits keys deleted or never put, and passes its keys as
 * {@code byte[]}s, as whole segments, or as ranges of one padded segment. After every batch: each
 * view holds exactly the model's value (or is empty, {@code isValid()} false, for an absent key),
 * agrees with a single {@code get} of the same key, and the returned count is the model's number
 * of present keys.
 *
 * <p>Each command is derived from one generated int (so QuickTheories shrinks a failing sequence
 * by dropping commands); the key space and lengths cover one-byte and two-byte length varints
 * (short entries and the general decode path) and every dictionary component of {@link Gens}.
 */
class GetAllModelTest {
    /** Default examples per configuration. */
    static final int EXAMPLES = 200;
    static final int MAX_COMMANDS = 60;
    /** Distinct keys: ids at and above {@link #PUT_KEYS} are never put, so they always miss. */
    static final int KEY_SPACE = 70;
    static final int PUT_KEYS = 50;
    private static final int[] KEY_LENGTHS = {0, 1, 5, 8, 13, 16, 24, 130};
    private static final int[] VALUE_LENGTHS = {0, 1, 8, 64, 127, 128, 300, 2000};

    @ParameterizedTest(name = "{0}")
    @EnumSource(StoreConfig.class)
    void getAllAnswersAsTheModelAndAsGetDo(StoreConfig config) {
        qt().withFixedSeed(Settings.seed("get-all/" + config))
            .withExamples(Settings.scaled(EXAMPLES))
            .withShrinkCycles(Settings.shrinkCycles())
            .forAll(StatefulModelTest.setups(config), lists().of(integers().allPositive()).ofSizeBetween(1, MAX_COMMANDS))
            .checkAssert(GetAllModelTest::check);
    }

    /** The key of id {@code id}: a dictionary component and '|' before random bytes, or random bytes alone. */
    static byte[] key(int id) {
        byte[] rest = Gens.randomBytes(KEY_LENGTHS[(id / 7) % KEY_LENGTHS.length], id);
        if (id % 5 == 0) {
            return rest;
        }
        byte[] component = Gens.COMPONENTS.get(id % Gens.COMPONENTS.size()).getBytes(StandardCharsets.ISO_8859_1);
        return Gens.concat(component, new byte[] {'|'}, rest);
    }

    static void check(StoreSetup setup, List<Integer> commands) {
        Map<Bytes, Bytes> model = new HashMap<>();
        ValueView single = new ValueView();
        try (KeyValueStore store = setup.create(); Arena arena = Arena.ofConfined()) {
            for (int c = 0; c < commands.size(); c++) {
                SplittableRandom rnd = new SplittableRandom(commands.get(c));
                int kind = rnd.nextInt(10);
                if (kind < 5) {
                    byte[] k = key(rnd.nextInt(PUT_KEYS));
                    byte[] v = Gens.randomBytes(VALUE_LENGTHS[rnd.nextInt(VALUE_LENGTHS.length)], rnd.nextLong());
                    try {
                        store.put(k, v);
                        model.put(Bytes.wrap(k), Bytes.wrap(v));
                    } catch (StoreFullException e) {
                        // refused whole: the model stays as it is
                    }
                } else if (kind < 7) {
                    byte[] k = key(rnd.nextInt(PUT_KEYS));
                    assertEquals(model.remove(Bytes.wrap(k)) != null, store.delete(k), "delete, command " + c);
                } else {
                    batch(store, model, rnd, arena, single, c);
                }
            }
        }
    }

    private static void batch(KeyValueStore store, Map<Bytes, Bytes> model, SplittableRandom rnd, Arena arena,
                              ValueView single, int command) {
        int n = rnd.nextInt(rnd.nextInt(4) == 0 ? 91 : 20);
        byte[][] keys = new byte[n][];
        for (int i = 0; i < n; i++) {
            keys[i] = key(rnd.nextInt(KEY_SPACE));
        }
        int spare = rnd.nextInt(3); // arrays longer than the batch, passed with a count
        ValueView[] views = new ValueView[n + spare];
        for (int i = 0; i < views.length; i++) {
            views[i] = new ValueView();
        }
        int form = rnd.nextInt(3);
        int hits = switch (form) {
            case 0 -> spare == 0 ? store.getAll(keys, views) : store.getAll(java.util.Arrays.copyOf(keys, n + spare), views, n);
            case 1 -> {
                MemorySegment[] segments = new MemorySegment[n];
                for (int i = 0; i < n; i++) {
                    MemorySegment s = arena.allocate(keys[i].length + 2L);
                    s.fill((byte) '|'); // junk around the key: reading past it changes the key
                    MemorySegment.copy(keys[i], 0, s, ValueLayout.JAVA_BYTE, 1, keys[i].length);
                    segments[i] = s.asSlice(1, keys[i].length);
                }
                yield store.getAll(segments, java.util.Arrays.copyOf(views, n));
            }
            default -> {
                long total = 1;
                for (byte[] k : keys) {
                    total += k.length + 1;
                }
                MemorySegment buffer = arena.allocate(total);
                buffer.fill((byte) 0xEE);
                long[] offsets = new long[n];
                int[] lengths = new int[n];
                long at = 1;
                for (int i = 0; i < n; i++) {
                    MemorySegment.copy(keys[i], 0, buffer, ValueLayout.JAVA_BYTE, at, keys[i].length);
                    offsets[i] = at;
                    lengths[i] = keys[i].length;
                    at += keys[i].length + 1;
                }
                yield store.getAll(buffer, offsets, lengths, views, n);
            }
        };
        int expectedHits = 0;
        for (int i = 0; i < n; i++) {
            Bytes expected = model.get(Bytes.wrap(keys[i]));
            String where = "command " + command + ", form " + form + ", key " + i + " of " + n + " " + Bytes.wrap(keys[i]);
            assertEquals(expected != null, store.get(keys[i], single), "get, " + where);
            if (expected == null) {
                assertFalse(views[i].isValid(), "an absent key's view must be empty, " + where);
            } else {
                expectedHits++;
                assertTrue(views[i].isValid(), "a present key's view, " + where);
                assertArrayEquals(expected.array(), views[i].toByteArray(), "value, " + where);
            }
        }
        assertEquals(expectedHits, hits, "keys found, command " + command);
        for (int i = n; i < views.length; i++) {
            assertFalse(views[i].isValid(), "a view beyond the count was touched");
        }
    }
}
