package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash consistency of {@link BulkRestore} against a real process death: a child JVM
 * ({@link BulkRestoreCrashChild}) bulk-restores a deterministic change log into two stores of a
 * partition, flushing on the doubling schedule, and is killed with SIGKILL (exit status 137
 * asserted) at a random moment. This JVM reopens the directory and checks that the positions the
 * partition recovered (record count {@code P}) are never ahead of the data: every key of both
 * stores holds a value the model gives it at some record count {@code q >= P} (so a replay from
 * {@code P} ends exact), that {@code P} is at least the last flush the child reported, and that
 * the next child resumes from {@code P}. Once a child reports
 * {@code done}, the content must be exactly the model after every record. Repeated until
 * {@value #DEFAULT_RESTORES} restores completed (more: {@code -Doffstate.bulk.restores=N}).
 */
final class BulkRestoreCrashTest {
    static final int DEFAULT_RESTORES = 3;
    static final int SIGKILL_STATUS = 128 + 9;
    /**
     * A kill at most this long after the child's start line comes before a restore from scratch
     * ends: the child pauses {@link BulkRestoreCrashChild#POLL_PAUSE_MS} after each of its
     * {@code TOTAL / POLL} (515) polls, so such a restore lasts over 515 ms however fast the machine.
     */
    static final int MID_RESTORE_MS = 400;
    private static final List<String> CHILD_JVM = List.of("-Xmx256m", "-XX:+UseSerialGC");

    @TempDir
    Path temp;

    /** The model: each store's content after {@code n} records, and which keys differ from the stores read. */
    static final class Model implements BulkRestoreCrashChild.Ops {
        final Map<String, String> a = new HashMap<>();
        final Map<String, String> b = new HashMap<>();
        long n;

        void advanceTo(long target) {
            while (n < target) {
                BulkRestoreCrashChild.record(n++, this);
            }
        }

        @Override
        public void put(String store, String key, String value) {
            map(store).put(key, value);
        }

        @Override
        public void delete(String store, String key) {
            map(store).remove(key);
        }

        Map<String, String> map(String store) {
            return store.equals(BulkRestoreCrashChild.STORE_A) ? a : b;
        }
    }

    @Test
    void positionsNeverRunAheadOfTheDataAndAResumedRestoreEndsExact() throws Exception {
        int restores = Integer.getInteger("offstate.bulk.restores", DEFAULT_RESTORES);
        long seed = Long.getLong("offstate.bulk.seed", System.nanoTime());
        Random random = new Random(seed);
        Path dir = temp.resolve("state");
        int completed = 0;
        int kills = 0;
        int midRestoreKills = 0;
        int mixedStores = 0;
        long expectedStart = 0;
        long flushedAtLeast = 0;
        for (int run = 0; completed < restores; run++) {
            assertTrue(run < 200, "restores did not complete in 200 runs (seed " + seed + ")");
            Path stdout = temp.resolve("child-" + run + ".out");
            Process child = ChildJvm.start(CHILD_JVM, BulkRestoreCrashChild.class, stdout, dir.toString());
            // Most kills are timed from the child's "start" line, not from its launch: how long a JVM
            // takes to start differs between machines far more than the restore does, and the child
            // paces its polls (BulkRestoreCrashChild.POLL_PAUSE_MS) so that a restore from scratch
            // lasts longer than MID_RESTORE_MS on any machine. The first run is always such a kill.
            // One run in five is timed from the launch instead, so kills also land in open/recovery.
            boolean fromLaunch = run > 0 && random.nextInt(5) == 0;
            long delay;
            if (fromLaunch) {
                delay = random.nextInt(2500);
            } else {
                awaitStartLine(child, stdout, seed);
                delay = run == 0 || random.nextInt(3) > 0 ? random.nextInt(MID_RESTORE_MS) : MID_RESTORE_MS + random.nextInt(2000);
            }
            if (child.waitFor(delay, TimeUnit.MILLISECONDS)) {
                throw new AssertionError("child ended by itself with status " + child.exitValue() + " (seed " + seed + ")");
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS), "killed child ended");
            assertEquals(SIGKILL_STATUS, child.exitValue(), "killed by SIGKILL");
            kills++;
            boolean done = false;
            boolean started = false;
            for (String line : completeLines(stdout)) {
                String[] parts = line.split(" ");
                switch (parts[0]) {
                    case "start" -> {
                        assertEquals(expectedStart, Long.parseLong(parts[1]), "the child resumed where this JVM recovered (seed " + seed + ")");
                        started = true;
                    }
                    case "flushed" -> flushedAtLeast = Math.max(flushedAtLeast, Long.parseLong(parts[1]));
                    case "done" -> done = true;
                    default -> throw new AssertionError("unexpected child line '" + line + "'");
                }
            }
            if (started && !done) {
                midRestoreKills++;
            }
            try (StateManager m = StateManager.open(BulkRestoreCrashChild.options(dir))) {
                BulkRestoreCrashChild.define(m);
                m.assign(0);
                StatePartition p = m.partition(0);
                long recovered = BulkRestoreCrashChild.recordsOf(p.committedPositions());
                String where = "run " + run + " (delay " + delay + " ms from " + (fromLaunch ? "launch" : "start") + ", seed " + seed + "): recovered positions " + recovered;
                assertTrue(recovered >= flushedAtLeast, where + " below the last reported flush " + flushedAtLeast);
                if (done) {
                    assertEquals(BulkRestoreCrashChild.TOTAL, recovered, where + ": the restore closed");
                }
                boolean[] wholeA = new boolean[1];
                boolean[] wholeB = new boolean[1];
                assertTrue(eachKeyAtOrAfter(p.store(BulkRestoreCrashChild.STORE_A), BulkRestoreCrashChild.STORE_A, recovered, wholeA),
                    where + ": a key of store a holds a value from before the positions");
                assertTrue(eachKeyAtOrAfter(p.store(BulkRestoreCrashChild.STORE_B), BulkRestoreCrashChild.STORE_B, recovered, wholeB),
                    where + ": a key of store b holds a value from before the positions");
                if (!wholeA[0] || !wholeB[0]) {
                    mixedStores++; // a resumed restore flushed while rewriting keys that were further on
                }
                if (done) {
                    completed++;
                    Model all = new Model();
                    all.advanceTo(BulkRestoreCrashChild.TOTAL);
                    assertEquals(all.a, contents(p.store(BulkRestoreCrashChild.STORE_A)), where);
                    assertEquals(all.b, contents(p.store(BulkRestoreCrashChild.STORE_B)), where);
                    m.revoke(0);
                    deleteTree(dir); // the next restore starts from scratch
                    expectedStart = 0;
                    flushedAtLeast = 0;
                } else {
                    expectedStart = recovered;
                    flushedAtLeast = recovered;
                }
            }
            Files.delete(stdout);
        }
        System.out.println("[bulk restore crash] " + kills + " kills, " + midRestoreKills + " in the middle of a restore, "
            + mixedStores + " recoveries with a store matching no single record count (keys at different counts, all at or after the positions), " + completed + " restores completed (seed "
            + seed + ")");
        assertTrue(midRestoreKills > 0, "some kills came in the middle of a restore");
    }

    /**
     * Whether every key of {@code storeName} holds a value it has in the model at some record
     * count {@code q >= from} (absent counts as a value): what a replay from {@code from} needs to
     * end exact, since a key written after {@code from} is rewritten by the replay and any other key
     * must already be final. (A store as a whole need not match one count: a restore resumed from
     * {@code from} over data that was further on rewrites its keys one by one.) Also returns, in
     * {@code wholeStore[0]}, whether the store matches the model at one count.
     */
    private static boolean eachKeyAtOrAfter(KeyValueStore store, String storeName, long from, boolean[] wholeStore) {
        Map<String, String> actual = contents(store);
        Model model = new Model();
        model.advanceTo(from);
        Map<String, String> m = model.map(storeName);
        Map<String, java.util.Set<String>> seen = new HashMap<>();
        java.util.Set<String> keys = new java.util.HashSet<>(actual.keySet());
        keys.addAll(m.keySet());
        int differing = 0;
        for (String k : keys) {
            seen.computeIfAbsent(k, x -> new java.util.HashSet<>()).add(String.valueOf(m.get(k)));
            if (!Objects.equals(actual.get(k), m.get(k))) {
                differing++;
            }
        }
        boolean whole = differing == 0;
        String[] touched = new String[2];
        BulkRestoreCrashChild.Ops probe = new BulkRestoreCrashChild.Ops() {
            @Override
            public void put(String s, String key, String value) {
                touched[0] = s;
                touched[1] = key;
            }

            @Override
            public void delete(String s, String key) {
                touched[0] = s;
                touched[1] = key;
            }
        };
        for (long q = from; q < BulkRestoreCrashChild.TOTAL; q++) {
            BulkRestoreCrashChild.record(q, probe);
            boolean mine = touched[0].equals(storeName);
            boolean before = mine && !Objects.equals(actual.get(touched[1]), m.get(touched[1]));
            if (mine) {
                seen.computeIfAbsent(touched[1], x -> new java.util.HashSet<>()).add(String.valueOf(m.get(touched[1])));
            }
            BulkRestoreCrashChild.record(q, model);
            if (mine) {
                boolean after = !Objects.equals(actual.get(touched[1]), m.get(touched[1]));
                differing += (after ? 1 : 0) - (before ? 1 : 0);
                whole |= differing == 0;
                seen.computeIfAbsent(touched[1], x -> new java.util.HashSet<>()).add(String.valueOf(m.get(touched[1])));
            }
        }
        wholeStore[0] = whole;
        for (Map.Entry<String, String> e : actual.entrySet()) {
            java.util.Set<String> values = seen.get(e.getKey());
            if (values == null || !values.contains(e.getValue())) {
                return false;
            }
        }
        for (Map.Entry<String, java.util.Set<String>> e : seen.entrySet()) {
            if (!actual.containsKey(e.getKey()) && !e.getValue().contains("null")) {
                return false; // a key the model never lacks from here on is missing
            }
        }
        return true;
    }

    private static Map<String, String> contents(KeyValueStore store) {
        Map<String, String> c = new HashMap<>();
        store.forEach((k, v) -> c.put(new String(k.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8),
            new String(v.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)));
        return c;
    }

    /** Waits until the child has printed its {@code start} line (the positions are read, the restore begins). */
    private static void awaitStartLine(Process child, Path stdout, long seed) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (completeLines(stdout).isEmpty()) {
            if (!child.isAlive()) {
                throw new AssertionError("child ended before its start line with status " + child.exitValue() + " (seed " + seed + ")");
            }
            if (System.nanoTime() > deadline) {
                child.destroyForcibly();
                throw new AssertionError("child printed no start line in 120 s (seed " + seed + ")");
            }
            Thread.sleep(2);
        }
    }

    private static List<String> completeLines(Path stdout) throws IOException {
        String text = Files.readString(stdout, StandardCharsets.US_ASCII);
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : text.substring(0, end).lines().toList();
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var walk = Files.walk(dir)) {
            for (Path p : walk.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
