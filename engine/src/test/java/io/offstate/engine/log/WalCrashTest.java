package io.offstate.engine.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Crash durability against a real process death: a child JVM ({@link WalCrashChild}) appends
 * batches from three threads under fsync-every-commit and prints each acknowledged position; it is
 * killed with SIGKILL ({@code Process.destroyForcibly} on Linux; exit status 137 is asserted) at a
 * random moment, sometimes before or while it opens (recovers) the log. Then this JVM reopens the
 * directory and checks: every batch ever acknowledged is present at its position and intact; every
 * batch present is whole (its bytes are exactly those of its id: no batch partly present) and
 * appears once; positions increase. The same directory is killed again and again.
 *
 * <p>{@value #DEFAULT_KILLS} kills by default; {@code -Doffstate.wal.kills=N} for more,
 * {@code -Doffstate.wal.seed=S} repeats the kill delays' draw (not the moments themselves).
 */
final class WalCrashTest {
    static final int DEFAULT_KILLS = 20;
    static final int SIGKILL_STATUS = 128 + 9;

    @TempDir
    Path temp;

    @Test
    void everyAcknowledgedBatchSurvivesSigkillAndNoBatchIsPartlyPresent() throws Exception {
        int kills = Integer.getInteger("offstate.wal.kills", DEFAULT_KILLS);
        long seed = Long.getLong("offstate.wal.seed", System.nanoTime());
        System.out.println("[wal crash] seed " + seed + ", " + kills + " kills");
        Random random = new Random(seed);
        Path dir = temp.resolve("log");
        Map<Long, Long> acknowledged = new HashMap<>(); // id -> position
        int tornTails = 0;
        int opened = 0;
        for (int run = 0; run < kills; run++) {
            Path stdout = temp.resolve("child-" + run + ".out");
            Process child = start(dir, run, stdout);
            long delay = random.nextInt(10) == 0 ? random.nextInt(400) : 300 + random.nextInt(1200);
            if (child.waitFor(delay, TimeUnit.MILLISECONDS)) {
                throw new AssertionError("child " + run + " ended by itself with " + child.exitValue());
            }
            child.destroyForcibly();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            assertEquals(SIGKILL_STATUS, child.exitValue(), "killed by SIGKILL");
            for (String line : Files.readAllLines(stdout)) {
                String[] parts = line.split(" ");
                if (parts[0].equals("open")) {
                    opened++;
                } else if (parts[0].equals("ack") && parts.length == 3) {
                    acknowledged.put(Long.parseLong(parts[1]), Long.parseLong(parts[2]));
                }
                // a last line cut short by the kill was not an acknowledgement the child finished printing
            }
            if (Files.isDirectory(dir)) {
                tornTails += check(dir, acknowledged, "after kill " + run);
            }
        }
        System.out.println("[wal crash] " + kills + " kills, " + opened + " children opened the log, "
            + acknowledged.size() + " acknowledged batches, " + tornTails + " torn tails cut");
        assertTrue(acknowledged.size() > 0, "children acknowledged batches");
    }

    private static Process start(Path dir, int run, Path stdout) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("-Xmx128m");
        command.add("-XX:+UseSerialGC");
        command.add("-XX:TieredStopAtLevel=1");
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(WalCrashChild.class.getName());
        command.add(dir.toString());
        command.add(Integer.toString(run));
        command.add("3");
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT)
            .redirectOutput(stdout.toFile()).start();
    }

    /** Reopens the log and checks it against the acknowledgements; returns 1 if a torn tail was cut. */
    private static int check(Path dir, Map<Long, Long> acknowledged, String where) {
        Map<Long, Long> present = new HashMap<>(); // id -> position
        long[] previous = {-1};
        int torn;
        try (WriteAheadLog log = WriteAheadLog.open(dir, WalOptions.defaults().withSegmentBytes(WalCrashChild.SEGMENT_BYTES))) {
            torn = log.recovery().tornTail() ? 1 : 0;
            assertTrue(!log.recovery().truncatedAtDamage(), where);
            log.replay(log.firstPosition(), batch -> {
                byte[] payload = batch.toByteArray();
                assertTrue(payload.length >= 8, where + ": batch at " + batch.position() + " too short");
                long id = WalCrashChild.idOf(payload);
                assertArrayEquals(WalCrashChild.batch(id), payload, where + ": batch " + id + " intact");
                assertTrue(batch.position() > previous[0], where + ": positions increase");
                previous[0] = batch.position();
                Long before = present.put(id, batch.position());
                assertEquals(null, before, where + ": batch " + id + " appears once");
            });
        }
        for (Map.Entry<Long, Long> ack : acknowledged.entrySet()) {
            Long position = present.get(ack.getKey());
            assertNotNull(position, where + ": acknowledged batch " + ack.getKey() + " is present");
            assertEquals(ack.getValue(), position, where + ": acknowledged batch " + ack.getKey() + " at its position");
        }
        return torn;
    }
}
