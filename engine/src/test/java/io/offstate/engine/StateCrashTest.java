package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash consistency of the state manager against a real process death: a child JVM
 * ({@link StateCrashChild}) commits transactions to two partitions from two threads concurrently
 * (group commit, fsync every commit) over two stores, with small log segments and a small
 * auto-flush threshold (segments roll, partitions checkpoint, the log is trimmed) and an explicit
 * flush now and then; it prints every acknowledged commit. It is killed with SIGKILL
 * ({@code destroyForcibly}; exit status 137 asserted) at a random moment, sometimes while it is
 * still opening and recovering. This JVM then reopens the directory and checks each partition:
 * its input positions name a commit {@code n} with {@code acked <= n <= acked + 1} (acked: the
 * last commit acknowledged, or the commit recovered before the child ran), and <b>every</b> key
 * of both stores is exactly as the deterministic model has it after commit {@code n} — no commit
 * lost, none partly present. It then closes (or, one time in three, crashes without flushing, so
 * that the next child recovers by replay) and the next child continues on the same directory from
 * the recovered commit, which it reports and which is checked too.
 *
 * <p>{@value #DEFAULT_KILLS} kills by default; for more:
 * <pre>
 * ./mvnw -B -ntp -o verify -pl offheap,engine -Dtest=StateCrashTest -Dsurefire.failIfNoSpecifiedTests=false -Doffstate.state.kills=1000
 * </pre>
 * ({@code -Doffstate.state.seed=S} repeats the draw of kill delays and parent actions, not the
 * kill moments themselves.)
 */
final class StateCrashTest {
    static final int DEFAULT_KILLS = 50;
    static final int SIGKILL_STATUS = 128 + 9;
    private static final List<String> CHILD_JVM = List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1");

    @TempDir
    Path temp;

    /** The model of one partition: the state after commit {@link #n}. */
    static final class Model implements StateCrashChild.Ops {
        final int partition;
        long n;
        final TreeMap<String, String> a = new TreeMap<>();
        final TreeMap<String, String> b = new TreeMap<>();

        Model(int partition) {
            this.partition = partition;
        }

        void advanceTo(long target) {
            assertTrue(target >= n, "partition " + partition + " went back from commit " + n + " to " + target);
            while (n < target) {
                n++;
                StateCrashChild.transaction(partition, n, this);
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

        TreeMap<String, String> map(String store) {
            return store.equals(StateCrashChild.STORE_A) ? a : b;
        }
    }

    @Test
    void everyPartitionRecoversExactlyACommitAtOrJustAfterItsLastAcknowledgedOne() throws Exception {
        int kills = Integer.getInteger("offstate.state.kills", DEFAULT_KILLS);
        long seed = Long.getLong("offstate.state.seed", System.nanoTime());
        System.out.println("[state crash] seed " + seed + ", " + kills + " kills");
        Random random = new Random(seed);
        Path dir = temp.resolve("state");
        int partitions = StateCrashChild.PARTITIONS;
        Model[] models = new Model[partitions];
        for (int p = 0; p < partitions; p++) {
            models[p] = new Model(p);
        }
        Deque<String> history = new ArrayDeque<>();
        long started = System.nanoTime();
        long acks = 0;
        int beforeStart = 0;
        int tornTails = 0;
        int unacknowledgedPresent = 0;
        int parentCrashes = 0;
        int replays = 0;
        long trimmedTo = 0;
        int maxSegments = 0;
        for (int run = 0; run < kills; run++) {
            try {
                Path stdout = temp.resolve("child.out");
                Process child = ChildJvm.start(CHILD_JVM, StateCrashChild.class, stdout, dir.toString());
                long delay = random.nextInt(8) == 0 ? random.nextInt(600) : 500 + random.nextInt(1000);
                if (child.waitFor(delay, TimeUnit.MILLISECONDS)) {
                    throw new AssertionError("child ended by itself with status " + child.exitValue());
                }
                child.destroyForcibly();
                assertTrue(child.waitFor(60, TimeUnit.SECONDS), "killed child ended");
                assertEquals(SIGKILL_STATUS, child.exitValue(), "killed by SIGKILL");

                long[] acked = new long[partitions];
                boolean[] startSeen = new boolean[partitions];
                for (int p = 0; p < partitions; p++) {
                    acked[p] = models[p].n;
                }
                for (String line : completeLines(stdout)) {
                    String[] parts = line.split(" ");
                    if (parts[0].equals("start")) {
                        int p = Integer.parseInt(parts[1]);
                        assertEquals(models[p].n, Long.parseLong(parts[2]),
                            "the child recovered partition " + p + " to the commit this JVM checked last");
                        startSeen[p] = true;
                    } else {
                        int p = Integer.parseInt(parts[0]);
                        long n = Long.parseLong(parts[1]);
                        assertTrue(startSeen[p], "partition " + p + " acknowledged after its start line");
                        assertEquals(acked[p] + 1, n, "partition " + p + " acknowledges commits in order");
                        acked[p] = n;
                        acks++;
                    }
                }
                if (!startSeen[0]) {
                    beforeStart++;
                }
                Files.delete(stdout);

                StateManager m = StateManager.open(StateCrashChild.options(dir));
                boolean crash = random.nextInt(3) == 0;
                try {
                    StateCrashChild.define(m);
                    assertFalse(m.logRecovery().truncatedAtDamage(), "no damage in the middle of the log");
                    if (m.logRecovery().tornTail()) {
                        tornTails++;
                    }
                    trimmedTo = Math.max(trimmedTo, m.logRecovery().firstPosition());
                    maxSegments = Math.max(maxSegments, m.logRecovery().segments());
                    int[] ids = new int[partitions];
                    for (int p = 0; p < partitions; p++) {
                        ids[p] = p;
                    }
                    m.assign(ids);
                    StringBuilder event = new StringBuilder("run " + run + " (delay " + delay + " ms):");
                    for (int p = 0; p < partitions; p++) {
                        StatePartition sp = m.partition(p);
                        if (sp.recovery().batchesReplayed() > 0) {
                            replays++;
                        }
                        long n = StateCrashChild.commitOf(sp.committedPositions());
                        event.append(" p").append(p).append(" acked ").append(acked[p]).append(" recovered ").append(n)
                            .append(" (replayed ").append(sp.recovery().batchesReplayed()).append(')');
                        assertTrue(n >= acked[p] && n <= acked[p] + 1, "partition " + p + " recovered commit " + n
                            + " but the last acknowledged is " + acked[p]);
                        if (n == acked[p] + 1) {
                            unacknowledgedPresent++;
                        }
                        models[p].advanceTo(n);
                        check(sp, models[p]);
                    }
                    remember(history, event.append(crash ? ", parent crashes" : ", parent closes").toString());
                } finally {
                    if (crash) {
                        parentCrashes++;
                        m.crashForTests();
                    } else {
                        m.close();
                    }
                }
            } catch (AssertionError | RuntimeException e) {
                throw new AssertionError("state crash run " + run + " of " + kills + " failed (seed " + seed
                    + "); last runs:\n  " + String.join("\n  ", history), e);
            }
        }
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        System.out.println("[state crash] " + kills + " kills in " + seconds + " s: " + acks + " acknowledged commits, "
            + "commits reached " + models[0].n + " / " + models[1].n + ", " + unacknowledgedPresent
            + " unacknowledged last commits present, " + beforeStart + " kills before the child recovered, "
            + tornTails + " torn tails cut, " + replays + " partition recoveries replayed, " + parentCrashes
            + " parent crashes; the log held up to " + maxSegments + " segments and was trimmed up to position " + trimmedTo);
        assertTrue(acks > 0, "children acknowledged commits");
        if (acks > 2000) {
            assertTrue(trimmedTo > 0, "segments rolled and the log was trimmed");
        }
    }

    /** Lines the child finished writing (a line the kill cut short has no newline). */
    private static List<String> completeLines(Path stdout) throws IOException {
        String text = Files.readString(stdout, StandardCharsets.US_ASCII);
        int end = text.lastIndexOf('\n');
        return end < 0 ? List.of() : text.substring(0, end).lines().toList();
    }

    private static void remember(Deque<String> history, String event) {
        history.addLast(event);
        while (history.size() > 8) {
            history.removeFirst();
        }
    }

    /** Every key of both stores of {@code sp} is as {@code model} has it. */
    static void check(StatePartition sp, Model model) {
        for (String store : List.of(StateCrashChild.STORE_A, StateCrashChild.STORE_B)) {
            KeyValueStore s = sp.store(store);
            TreeMap<String, String> actual = contents(s);
            TreeMap<String, String> expected = model.map(store);
            if (!actual.equals(expected)) {
                throw new AssertionError("partition " + model.partition + " store '" + store + "' differs from the model after"
                    + " commit " + model.n + ": " + difference(expected, actual));
            }
            assertEquals(expected.size(), s.size(), "partition " + model.partition + " store '" + store + "' size");
        }
    }

    static TreeMap<String, String> contents(KeyValueStore s) {
        TreeMap<String, String> actual = new TreeMap<>();
        s.forEach((k, v) -> actual.put(new String(k.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8),
            new String(v.toArray(ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)));
        return actual;
    }

    static String difference(Map<String, String> expected, Map<String, String> actual) {
        StringBuilder b = new StringBuilder();
        TreeSet<String> keys = new TreeSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        int shown = 0;
        for (String k : keys) {
            String e = expected.get(k);
            String a = actual.get(k);
            if (!Objects.equals(e, a) && shown++ < 10) {
                b.append("\n    ").append(k).append(": expected ").append(abbreviate(e)).append(", found ").append(abbreviate(a));
            }
        }
        return b.toString();
    }

    private static String abbreviate(String v) {
        if (v == null) {
            return "absent";
        }
        int x = v.indexOf(":x");
        return x < 0 ? v : v.substring(0, x) + ":x*" + (v.length() - x - 1);
    }
}
