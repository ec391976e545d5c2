package io.offstate.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;

/**
 * SIGKILL during a checkpoint never leaves one that restores to a wrong state. A child JVM
 * ({@link Child}) resumes from the newest checkpoint of a local checkpoint directory, then writes a
 * deterministic sequence of puts and deletes to an in-memory store and takes checkpoints, full and
 * incremental, with retention (so merges and deletions happen too), in a loop; the test SIGKILLs it
 * ({@code destroyForcibly}) at a random moment, several times. The child logs, forced to disk,
 * {@code intent N} before each checkpoint and {@code published ID N} after it ("the state after
 * write N"); the checkpoint carries N in its positions.
 *
 * <p>Then every checkpoint the storage lists as published must restore to exactly the state after
 * its N (regenerated from the sequence), where N is what the log says for it (or, killed between
 * publication and the log line, an intent the log never saw published); unpublished leftovers are
 * never listed nor restorable; restore-latest gives the newest one and skips nothing.
 *
 * <p>Rounds: {@code -Doffstate.killtest.rounds=N} (default 6, about 20 s); the seed:
 * {@code -Doffstate.killtest.seed}.
 */
class CheckpointKillTest {
    private static final String SERIES = "kill";
    private static final int KEYS = 3000;

    @TempDir
    Path dir;

    /** Write {@code n} (1-based) of the sequence, applied to a model. */
    static void apply(long n, Map<String, String> model) {
        long r = mix(n);
        String key = "k" + Math.floorMod(r, KEYS);
        if (Math.floorMod(r >>> 20, 10) == 0) {
            model.remove(key);
        } else {
            model.put(key, value(n, r));
        }
    }

    /** Write {@code n} applied to the store. */
    static void apply(long n, KeyValueStore store) {
        long r = mix(n);
        byte[] key = ("k" + Math.floorMod(r, KEYS)).getBytes(StandardCharsets.UTF_8);
        if (Math.floorMod(r >>> 20, 10) == 0) {
            store.delete(key);
        } else {
            store.put(key, value(n, r).getBytes(StandardCharsets.UTF_8));
        }
    }

    private static String value(long n, long r) {
        return ("v" + n + ":").repeat(1 + (int) Math.floorMod(r >>> 32, 12));
    }

    private static long mix(long z) {
        z = (z + 0x9E3779B97F4A7C15L) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    static byte[] positions(long n) {
        return ByteBuffer.allocate(Long.BYTES).putLong(n).array();
    }

    static long writesOf(CheckpointManifest m) {
        return ByteBuffer.wrap(m.positions()).getLong();
    }

    static Checkpoints checkpoints(CheckpointStorage storage) {
        return Checkpoints.builder(storage, SERIES).maxChain(4).retention(Retention.keepLast(6)).blockSize(64 * 1024).build();
    }

    // ---------------------------------------------------------------- the child

    /** The writer: {@code main(checkpointDir, logFile, seed)}; runs until killed. */
    public static final class Child {
        public static void main(String[] args) throws Exception {
            Path root = Path.of(args[0]);
            Path log = Path.of(args[1]);
            Random random = new Random(Long.parseLong(args[2]));
            try (FileChannel out = FileChannel.open(log, StandardOpenOption.CREATE, StandardOpenOption.WRITE, StandardOpenOption.APPEND);
                 LocalCheckpointStorage storage = LocalCheckpointStorage.open(root)) {
                Checkpoints c = checkpoints(storage);
                StoreOptions options = StoreOptions.builder().name(SERIES).pageSize(64 * 1024).build();
                KeyValueStore store;
                long n;
                if (c.ids().isEmpty()) {
                    store = KeyValueStore.create(options);
                    n = 0;
                } else {
                    RestoreResult r = c.restoreLatest(options, null);
                    store = r.store();
                    n = writesOf(r.checkpoint());
                    line(out, "resumed " + r.checkpoint().id() + " " + n + " skipped " + r.skipped().size());
                }
                System.out.println("ready");
                System.out.flush();
                while (true) {
                    int writes = 1 + random.nextInt(random.nextBoolean() ? 50 : 2000);
                    for (int i = 0; i < writes; i++) {
                        apply(++n, store);
                    }
                    boolean incremental = random.nextInt(4) != 0;
                    line(out, "intent " + n);
                    CheckpointManifest m = c.checkpoint(store, incremental, positions(n));
                    line(out, "published " + m.id() + " " + n);
                }
            }
        }

        private static void line(FileChannel out, String s) throws IOException {
            ByteBuffer b = ByteBuffer.wrap((s + "\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) {
                out.write(b);
            }
            out.force(false);
        }
    }

    // ---------------------------------------------------------------- the test

    @Test
    void sigkillDuringCheckpointsNeverLeavesAWrongOne() throws Exception {
        int rounds = Integer.getInteger("offstate.killtest.rounds", 6);
        long seed = Long.getLong("offstate.killtest.seed", System.nanoTime());
        Random random = new Random(seed);
        Path root = dir.resolve("checkpoints");
        Path log = dir.resolve("child.log");
        String context = "seed " + seed + " (-Doffstate.killtest.seed=" + seed + ")";
        for (int round = 0; round < rounds; round++) {
            Process child = start(root, log, random.nextLong());
            try {
                awaitReady(child, context);
                Thread.sleep(200 + random.nextInt(1200));
            } finally {
                child.destroyForcibly();
                assertTrue(child.waitFor(30, TimeUnit.SECONDS), "child did not die");
            }
            assertEquals(137, child.exitValue(), "the child must have been SIGKILLed, " + context);
        }
        verify(root, log, context);
    }

    private static Process start(Path root, Path log, long seed) throws IOException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx256m",
            "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"), Child.class.getName(),
            root.toString(), log.toString(), Long.toString(seed));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    }

    private static void awaitReady(Process child, String context) throws IOException {
        BufferedReader r = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
        String line = r.readLine();
        assertEquals("ready", line, "the child did not start, " + context);
    }

    private static void verify(Path root, Path log, String context) throws IOException {
        Map<String, Long> published = new HashMap<>();
        Set<Long> intents = new HashSet<>();
        int resumed = 0;
        int killedInCheckpoint = 0; // runs whose last line is an intent: killed while taking a checkpoint
        String previous = "";
        for (String line : Files.readAllLines(log)) {
            String[] f = line.split(" ");
            if (previous.startsWith("intent") && f[0].equals("resumed")) {
                killedInCheckpoint++;
            }
            previous = line;
            switch (f[0]) {
                case "intent" -> intents.add(Long.parseLong(f[1]));
                case "published" -> {
                    published.put(f[1], Long.parseLong(f[2]));
                    intents.remove(Long.parseLong(f[2]));
                }
                case "resumed" -> {
                    resumed++;
                    assertEquals("0", f[4], "a resume skipped a damaged checkpoint: " + line + ", " + context);
                }
                default -> {
                    // a line cut by the kill: the child forces each line, so only the last can be partial
                }
            }
        }
        if (previous.startsWith("intent")) {
            killedInCheckpoint++;
        }
        assertFalse(published.isEmpty(), "the child published no checkpoint in the time given, " + context);

        try (LocalCheckpointStorage storage = LocalCheckpointStorage.open(root)) {
            Checkpoints c = checkpoints(storage);
            List<String> ids = c.ids();
            assertFalse(ids.isEmpty(), context);
            // the claimed N of every listed checkpoint, checked against the log
            TreeMap<Long, List<String>> byWrites = new TreeMap<>();
            for (String id : ids) {
                CheckpointManifest m = c.verify(id); // every block of its chain reads back intact
                long n = writesOf(m);
                String logged = id.contains("-b") ? id.substring(0, id.indexOf("-b")) : id; // a merged base keeps its N
                Long expected = published.get(logged);
                if (expected != null) {
                    assertEquals(expected, n, id + " claims the state after write " + n + " but the log says " + expected + ", " + context);
                } else {
                    // killed after publication, before the log line: it must be an intent never logged as published
                    assertTrue(intents.contains(n), id + " claims the state after write " + n + ", which no unpublished intent "
                        + "of the log had, " + context);
                }
                byWrites.computeIfAbsent(n, k -> new ArrayList<>()).add(id);
            }
            // restore each, comparing with the model folded once in order of N
            Map<String, String> model = new TreeMap<>();
            long at = 0;
            StoreOptions options = StoreOptions.builder().name(SERIES).pageSize(64 * 1024).build();
            for (Map.Entry<Long, List<String>> e : byWrites.entrySet()) {
                while (at < e.getKey()) {
                    apply(++at, model);
                }
                for (String id : e.getValue()) {
                    try (KeyValueStore s = c.restore(id, options, null).store()) {
                        assertEquals(model, contents(s), id + " does not restore to the state after write " + at + ", " + context);
                    }
                }
            }
            // unpublished leftovers are neither listed nor served
            for (String id : storage.listUnpublished()) {
                assertFalse(ids.contains(id), context);
                assertThrows(NoSuchFileException.class, () -> c.restore(id, options, null), id + " is not published, " + context);
            }
            // restore-latest: the newest, nothing skipped
            RestoreResult latest = c.restoreLatest(options, null);
            try (KeyValueStore s = latest.store()) {
                assertEquals(ids.getLast(), latest.checkpoint().id(), context);
                assertFalse(latest.fellBack(), context);
                Map<String, String> expected = new TreeMap<>();
                for (long i = 1; i <= writesOf(latest.checkpoint()); i++) {
                    apply(i, expected);
                }
                assertEquals(expected, contents(s), context);
            }
            System.out.println("CheckpointKillTest: " + published.size() + " checkpoints published over the runs, " + ids.size()
                + " listed at the end, " + storage.listUnpublished().size() + " unpublished leftovers, " + resumed + " resumes, " + killedInCheckpoint + " kills during a checkpoint, "
                + context);
        }
    }

    private static Map<String, String> contents(KeyValueStore store) {
        Map<String, String> m = new TreeMap<>();
        store.forEach((k, v) -> m.put(new String(k.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8),
            new String(v.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)));
        return m;
    }
}
