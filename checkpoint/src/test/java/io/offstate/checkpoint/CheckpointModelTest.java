package io.offstate.checkpoint;

import static io.offstate.checkpoint.TestStores.b;
import static io.offstate.checkpoint.TestStores.contents;
import static io.offstate.checkpoint.TestStores.model;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.core.Gen;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.offheap.KeyComponent;

/**
 * Random puts (small and large values), deletes, full and incremental checkpoints, retention,
 * merges, restores of a random kept checkpoint and "move" restores (the live store replaced by its
 * latest checkpoint, the chain going on from there), against a model that remembers the contents
 * at each checkpoint. Three store configurations: in memory hash-only, in memory sorted with
 * dictionary keys, and file-backed with flushes and reopens.
 */
class CheckpointModelTest {
    @TempDir
    Path dir;

    private static final int KEYS = 60;

    /** One step: {@code kind} selects the operation, {@code a} and {@code b} parameterize it. */
    record Op(int kind, int a, int b) {
        @Override
        public String toString() {
            return switch (kind) {
                case 0, 1, 2, 3 -> "put(k" + a + ", " + b % 50 + " B)";
                case 4 -> "putLarge(k" + a + ")";
                case 5 -> "delete(k" + a + ")";
                case 6 -> "checkpointFull";
                case 7, 8 -> "checkpointIncremental";
                case 9 -> "retention(keepLast " + (1 + b % 3) + ")";
                case 10 -> "restoreKept(" + b + ")";
                case 11 -> "moveToLatest";
                case 12 -> "mergeLatest";
                default -> "flushOrReopen";
            };
        }
    }

    private static Gen<Op> ops() {
        return integers().between(0, 13).zip(integers().between(0, KEYS - 1), integers().between(0, 1_000_000), Op::new);
    }

    @Test
    void inMemoryHashOnly() {
        run("mem", StoreOptions.builder().name("m").pageSize(4096).memoryBudget(64L << 20).build(), false, 40);
    }

    @Test
    void inMemorySortedWithDictionary() {
        run("rich", StoreOptions.builder().name("m").pageSize(4096).memoryBudget(64L << 20).sortedIndex(true)
            .dictionaryKeyComponent(KeyComponent.fixedPrefix(2)).build(), false, 40);
    }

    @Test
    void fileBacked() {
        run("file", StoreOptions.builder().name("m").pageSize(4096).memoryBudget(64L << 20).build(), true, 25);
    }

    private void run(String label, StoreOptions options, boolean files, int examples) {
        int[] n = {0};
        qt().withExamples(examples).withShrinkCycles(50)
            .forAll(lists().of(ops()).ofSizeBetween(1, 70))
            .checkAssert(steps -> {
                try {
                    check(dir.resolve(label + "-" + n[0]++), options, files, steps);
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            });
    }

    private static byte[] value(int seed, int length) {
        byte[] v = new byte[length];
        for (int i = 0; i < length; i++) {
            v[i] = (byte) (seed * 7 + i * 13);
        }
        return v;
    }

    private static void check(Path root, StoreOptions options, boolean files, List<Op> steps) throws IOException {
        Files.createDirectories(root);
        Path storeDir = root.resolve("store");
        int moves = 0;
        Map<String, byte[]> live = new TreeMap<>();
        Map<String, Map<String, String>> atCheckpoint = new HashMap<>();
        try (LocalCheckpointStorage st = LocalCheckpointStorage.open(root.resolve("ckpt"))) {
            Checkpoints c = Checkpoints.builder(st, "m").blockSize(8192).maxChain(4).build();
            KeyValueStore store = files ? KeyValueStore.open(storeDir, options) : KeyValueStore.create(options);
            try {
                for (Op op : steps) {
                    String key = "k" + op.a();
                    switch (op.kind()) {
                        case 0, 1, 2, 3 -> {
                            byte[] v = value(op.b(), op.b() % 50);
                            store.put(b(key), v);
                            live.put(key, v);
                        }
                        case 4 -> {
                            byte[] v = value(op.b(), 1500 + op.b() % 3000); // above a quarter page: a segment of its own
                            store.put(b(key), v);
                            live.put(key, v);
                        }
                        case 5 -> {
                            store.delete(b(key));
                            live.remove(key);
                        }
                        case 6, 7, 8 -> {
                            CheckpointManifest m = c.checkpoint(store, op.kind() != 6);
                            atCheckpoint.put(m.id(), model(live));
                        }
                        case 9 -> {
                            c.applyRetention(Retention.keepLast(1 + op.b() % 3));
                            for (String id : c.ids()) {
                                if (id.contains("-b")) {
                                    atCheckpoint.putIfAbsent(id, atCheckpoint.get(id.substring(0, id.indexOf("-b"))));
                                }
                            }
                        }
                        case 10 -> {
                            List<String> ids = c.ids();
                            if (!ids.isEmpty()) {
                                String id = ids.get(op.b() % ids.size());
                                try (KeyValueStore r = c.restore(id, options, null).store()) {
                                    assertEquals(atCheckpoint.get(id), contents(r), "restore of " + id);
                                    r.verify();
                                }
                            }
                        }
                        case 11 -> {
                            if (!c.ids().isEmpty()) {
                                RestoreResult r = c.restoreLatest(options, files ? root.resolve("moved" + moves++) : null);
                                assertEquals(atCheckpoint.get(r.checkpoint().id()), contents(r.store()), "move to " + r.checkpoint().id());
                                store.close();
                                store = r.store();
                                live.clear();
                                for (var e : atCheckpoint.get(r.checkpoint().id()).entrySet()) {
                                    live.put(e.getKey(), java.util.HexFormat.of().parseHex(e.getValue()));
                                }
                            }
                        }
                        case 12 -> {
                            List<String> ids = c.ids();
                            if (!ids.isEmpty()) {
                                CheckpointManifest m = c.merge(ids.getLast());
                                atCheckpoint.putIfAbsent(m.id(), atCheckpoint.get(ids.getLast()));
                            }
                        }
                        default -> {
                            if (files) {
                                if (op.b() % 2 == 0) {
                                    store.flush();
                                } else {
                                    Path d = store.directory();
                                    store.close();
                                    store = KeyValueStore.open(d, options);
                                }
                            }
                        }
                    }
                    assertEquals(model(live), contents(store), "live store after " + op);
                }
                for (String id : c.ids()) {
                    try (KeyValueStore r = c.restore(id, options, null).store()) {
                        assertEquals(atCheckpoint.get(id), contents(r), "final restore of " + id);
                    }
                }
            } finally {
                store.close();
            }
        } finally {
            try (var walk = Files.walk(root)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }
}
