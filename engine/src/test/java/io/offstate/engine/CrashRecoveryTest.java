package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Deque;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.CrashWorkload.Config;
import io.offstate.engine.CrashWorkload.Value;
import io.offstate.offheap.file.JournalDescriptor;

/**
 * Crash consistency against a real process death: a child JVM ({@link CrashChild}) writes and
 * flushes a file-backed store in a loop and is killed with SIGKILL at a random moment; then the
 * directory is reopened and must hold <b>exactly</b> the state of the last flush the child
 * acknowledged (generation A), or of generation A+1 if the child had announced that flush and died
 * before acknowledging it — never anything else, never a mix.
 *
 * <p>Each configuration ({@link Config}: hash only, sorted index, dictionary, 4 KiB pages) keeps
 * one directory for the whole run and is killed again and again: after each kill either this JVM
 * reopens the directory and checks it in full (generation, every key and value, {@code size()},
 * the cursor's order for sorted stores, {@code verify()}, {@code verifyFiles()}), or the next child
 * recovers it and reports its generation and a digest of its contents, which are checked against the
 * model; some of those children are killed while opening, that is while replaying a journal. The
 * parent computes the expected contents of any generation by replaying {@link CrashWorkload}.
 *
 * <p>Every kill is asserted to be a SIGKILL (exit status 137). The default run kills
 * {@value #DEFAULT_KILLS} times; for hundreds:
 * <pre>
 * ./mvnw -B -ntp -o -pl engine verify -Dtest=CrashRecoveryTest -Dsurefire.failIfNoSpecifiedTests=false -Doffstate.crash.kills=300
 * </pre>
 * ({@code -Doffstate.crash.seed=N} repeats a run's workload; the kill moments are not repeatable.)
 */
final class CrashRecoveryTest {
    static final int DEFAULT_KILLS = 40;
    /** Exit status of a process killed by signal 9. */
    static final int SIGKILL_STATUS = 128 + 9;
    private static final long TIMEOUT_SECONDS = 60;

    @TempDir
    Path temp;

    @Test
    void aKilledWriterLeavesTheLastAcknowledgedFlushOrTheOneItWasWriting() throws Exception {
        int kills = Integer.getInteger("offstate.crash.kills", DEFAULT_KILLS);
        long seed = Long.getLong("offstate.crash.seed", System.nanoTime());
        System.out.println("[crash] seed " + seed + ", " + kills + " kills");
        Random random = new Random(seed);
        Stats stats = new Stats();
        List<Directory> directories = new ArrayList<>();
        for (Config config : Config.values()) {
            directories.add(new Directory(config, temp.resolve(config.name().toLowerCase()), seed + config.ordinal(), stats));
        }
        long started = System.nanoTime();
        Directory current = null;
        try {
            for (int i = 0; i < kills; i++) {
                current = directories.get(i % directories.size());
                current.killOnce(random);
            }
            for (Directory d : directories) {
                current = d;
                d.checkInParent(); // the last kill of each directory is resolved too
            }
        } catch (AssertionError e) {
            throw current.failure(e, seed);
        }
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        System.out.println("[crash] " + stats.summary(kills, seconds));
        assertEquals(kills, stats.kills);
        assertEquals(0, stats.pending(), "every kill's outcome was checked");
    }

    /** What the directory may hold: its generation and the contents it must have then. */
    /** A state the directory may hold: its generation, contents, and the generation its flush metadata names. */
    record Candidate(long generation, TreeMap<byte[], Value> model, long metadataGeneration) {
    }

    /**
     * A kill that landed in a flush: whether the store kept A or A+1 is known once it is reopened.
     * {@code mustBe} is the generation the commit step reached demands, or -1 if either may be.
     */
    record PendingFlush(long announced, String phase, long mustBe) {
    }

    /** One configuration's directory across all its kills. */
    static final class Directory {
        final Config config;
        final Path path;
        final long seed;
        final Stats stats;
        /** One or two states the directory may be in: the last acknowledged flush, and the announced one. */
        List<Candidate> candidates = new ArrayList<>();
        /** The last kill, if it came mid-flush and the directory has not been opened since. */
        PendingFlush pending;
        /** Whether a kill happened since the directory was last opened to the end (by the parent or a child). */
        boolean unopened;
        /** The last events, for a failure's message. */
        final Deque<String> history = new ArrayDeque<>();

        Directory(Config config, Path path, long seed, Stats stats) {
            this.config = config;
            this.path = path;
            this.seed = seed;
            this.stats = stats;
            try (KeyValueStore s = KeyValueStore.open(path, config.options())) {
                candidates.add(new Candidate(s.flushGeneration(), CrashWorkload.emptyModel(), 0));
                s.closeWithoutFlush();
            }
        }

        void killOnce(Random random) throws Exception {
            // a child that opens a directory left by a kill recovers it; half of those die doing so
            boolean killWhileOpening = unopened && random.nextBoolean();
            boolean replayDue = unopened && journalNeedsReplay(path);
            Path stdout = path.resolveSibling(path.getFileName() + ".out");
            Files.deleteIfExists(stdout);
            Process child = ChildJvm.start(List.of("-Xmx128m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1"), CrashChild.class,
                stdout, path.toString(), config.name(), Long.toString(seed));
            Output lines = new Output(stdout);
            try {
                if (killWhileOpening) {
                    lines.await("OPENING", child);
                    // OPENING to OPENED takes ~150 ms of a cold JVM (class loading, recovery, digest)
                    LockSupport.parkNanos(random.nextInt(150_000) * 1000L);
                } else {
                    lines.await("OPENED", child);
                    // mostly long enough for several flushes, sometimes right after open
                    int millis = random.nextInt(4) == 0 ? random.nextInt(20) : random.nextInt(400);
                    Thread.sleep(millis);
                }
                child.destroyForcibly();
                assertTrue(child.waitFor(TIMEOUT_SECONDS, TimeUnit.SECONDS), "killed child did not end");
            } finally {
                child.destroyForcibly();
            }
            List<String> out = lines.all();
            log("kill " + (stats.kills + 1) + (killWhileOpening ? " while opening" : "") + ", child said "
                + out.stream().filter(l -> !l.startsWith("STEP applying")).toList() + "; journals " + journals(path));
            assertEquals(SIGKILL_STATUS, child.exitValue(), "the child must die of SIGKILL, not by itself; it said: " + out);
            stats.kills++;
            stats.killsPerConfig.merge(config, 1, Integer::sum);
            account(out);
            if (replayDue) {
                if (out.stream().anyMatch(l -> l.startsWith("OPENED"))) {
                    stats.replaysByChild++;
                } else if (out.contains("OPENING")) {
                    stats.killedWhileReplayDue++;
                }
            }
            if (random.nextInt(3) != 0) {
                checkInParent();
            }
        }

        /** Turns what the killed child said into the states the directory may be in now. */
        private void account(List<String> said) {
            Iterator<String> it = said.iterator();
            if (!it.hasNext()) {
                stats.phase("startup");
                return; // killed before it touched the directory: the candidates stand
            }
            assertEquals("OPENING", it.next(), "child output " + said);
            if (!it.hasNext()) {
                stats.phase("opening");
                return; // killed in open, possibly mid-replay: the candidates stand
            }
            String[] opened = it.next().split(" ");
            assertEquals("OPENED", opened[0], "child output " + said);
            Candidate base = resolve(Long.parseLong(opened[1]), "the child opened");
            assertEquals(CrashWorkload.digest(base.model), opened[2],
                "contents the child found at generation " + base.generation + " (count:sha256), output " + said);
            assertEquals(Long.toString(base.metadataGeneration), opened[3],
                "flush metadata the child found at generation " + base.generation + " (the flush it names), output " + said);
            long metadataGeneration = base.metadataGeneration;
            long acknowledged = base.generation;
            TreeMap<byte[], Value> model = base.model;
            TreeMap<byte[], Value> announced = null;
            String step = null;
            while (it.hasNext()) {
                String line = it.next();
                if (line.startsWith("STEP ")) {
                    assertTrue(announced != null, "a commit step outside a flush: " + said);
                    step = line.substring(5);
                    continue;
                }
                long g = Long.parseLong(line.substring(line.indexOf(' ') + 1));
                if (line.startsWith("FLUSHING ")) {
                    assertTrue(announced == null, "FLUSHING twice: " + said);
                    assertEquals(acknowledged + 1, g, "generations go up by one: " + line + " in " + said);
                    announced = new TreeMap<>(model);
                    CrashWorkload.batch(config, seed, g, CrashWorkload.modelTarget(announced));
                    step = null;
                } else {
                    assertTrue(announced != null && line.equals("FLUSHED " + (acknowledged + 1)), "unexpected line " + line + " in " + said);
                    acknowledged = g;
                    metadataGeneration = g;
                    model = announced;
                    announced = null;
                    stats.acknowledged++;
                }
            }
            unopened = true;
            candidates = new ArrayList<>(List.of(new Candidate(acknowledged, model, metadataGeneration)));
            if (announced != null) {
                candidates.add(new Candidate(acknowledged + 1, announced, acknowledged + 1));
                String phase = "mid-flush " + (step == null ? "(writing journal)" : "after " + step);
                pending = new PendingFlush(acknowledged + 1, phase, expectedGeneration(step, acknowledged));
                stats.phase(phase);
            } else {
                stats.phase(acknowledged == base.generation ? "first batch" : "between flushes");
            }
        }

        /**
         * The one generation a kill mid-flush must leave, if the last commit step the child reported
         * decides it; else -1. Before the journal header is written no journal holds A+1; from the
         * commit point on (the header forced) the new generation is the state.
         */
        private static long expectedGeneration(String lastStep, long acknowledged) {
            if (lastStep == null || lastStep.equals("journal-body-written")) {
                return acknowledged;
            }
            if (lastStep.equals("journal-body-forced") || lastStep.equals("journal-written")) {
                return -1; // the header is being written, or written but not yet forced
            }
            return acknowledged + 1;
        }

        /** The candidate of the generation found; fails if it is none of them. */
        private Candidate resolve(long generation, String who) {
            Candidate found = null;
            for (Candidate c : candidates) {
                if (c.generation == generation) {
                    found = c;
                }
            }
            if (found == null) {
                fail(config + ": " + who + " generation " + generation + ", but only " + generations() + " may be there");
            }
            log(who + " generation " + generation + " (candidates " + generations() + ")");
            if (pending != null) {
                if (pending.mustBe >= 0) {
                    assertEquals(pending.mustBe, generation, config + ": a kill " + pending.phase + " of generation "
                        + pending.announced + " must leave generation " + pending.mustBe);
                }
                stats.flushOutcome(pending.phase, generation == pending.announced);
                pending = null;
            }
            candidates = new ArrayList<>(List.of(found));
            return found;
        }

        void log(String event) {
            history.addLast(event);
            if (history.size() > 30) {
                history.removeFirst();
            }
        }

        /** The failure with this directory's recent history; the directory is copied to target/crash-failures. */
        AssertionError failure(AssertionError e, long seed) {
            Path copy = Path.of("target", "crash-failures", config.name().toLowerCase() + "-" + seed).toAbsolutePath();
            try {
                Files.createDirectories(copy);
                try (var files = Files.list(path)) {
                    for (Path f : files.toList()) {
                        Files.copy(f, copy.resolve(f.getFileName()), StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            } catch (IOException io) {
                e.addSuppressed(io);
            }
            return new AssertionError(e.getMessage() + "\n(seed " + seed + "; directory copied to " + copy
                + "; journals now " + journals(path) + ")\nrecent history of " + config + ":\n  " + String.join("\n  ", history), e);
        }

        private List<Long> generations() {
            return candidates.stream().map(Candidate::generation).toList();
        }

        /** Reopens the directory here and compares everything with the model, then checks the files. */
        void checkInParent() {
            if (unopened && journalNeedsReplay(path)) {
                stats.replaysByParent++;
            }
            try (KeyValueStore s = KeyValueStore.open(path, config.options())) {
                Candidate c = resolve(s.flushGeneration(), "reopened");
                assertContents(s, c.model);
                assertArrayEquals(CrashWorkload.flushMetadata(c.metadataGeneration), s.lastFlushMetadata(),
                    config + " generation " + s.flushGeneration() + ": flush metadata must name generation " + c.metadataGeneration);
                s.verify();
                s.verifyFiles(); // flushes (an empty generation) and reads every chunk against its checksum
                assertEquals(c.generation + 1, s.flushGeneration());
                candidates = new ArrayList<>(List.of(new Candidate(s.flushGeneration(), c.model, c.metadataGeneration)));
                unopened = false;
                stats.parentChecks++;
                log("parent checked it and flushed generation " + s.flushGeneration() + "; journals " + journals(path));
                s.closeWithoutFlush();
            }
        }

        private void assertContents(KeyValueStore s, TreeMap<byte[], Value> model) {
            String where = config + " generation " + s.flushGeneration();
            assertEquals(model.size(), s.size(), where + ": size");
            ValueView view = new ValueView();
            for (Map.Entry<byte[], Value> e : model.entrySet()) {
                assertTrue(s.get(e.getKey(), view), where + ": missing key " + Arrays.toString(e.getKey()));
                assertTrue(view.contentEquals(e.getValue().bytes()), where + ": wrong value of key " + Arrays.toString(e.getKey()));
            }
            long[] seen = {0};
            s.forEach((k, v) -> {
                seen[0]++;
                byte[] key = k.toArray(ValueLayout.JAVA_BYTE);
                assertTrue(model.containsKey(key), where + ": unexpected key " + Arrays.toString(key));
            });
            assertEquals(model.size(), seen[0], where + ": entries visited by forEach");
            if (config.sorted()) {
                Cursor cursor = s.cursor();
                Iterator<Map.Entry<byte[], Value>> expected = model.entrySet().iterator();
                for (boolean on = cursor.first(); on; on = cursor.next()) {
                    assertTrue(expected.hasNext(), where + ": cursor reads more keys than the model holds");
                    Map.Entry<byte[], Value> e = expected.next();
                    assertTrue(cursor.key().contentEquals(e.getKey()), where + ": cursor order: expected key "
                        + Arrays.toString(e.getKey()) + ", read " + Arrays.toString(cursor.key().toByteArray()));
                    assertTrue(cursor.value().contentEquals(e.getValue().bytes()), where + ": cursor value of " + Arrays.toString(e.getKey()));
                }
                assertTrue(!expected.hasNext(), where + ": cursor reads fewer keys than the model holds");
            }
        }
    }

    /** The journals' headers (generation, flags) and sizes, for messages. */
    static String journals(Path directory) {
        StringBuilder text = new StringBuilder();
        for (int i = 0; i < 2; i++) {
            Path file = directory.resolve("journal-" + i);
            text.append(i == 0 ? "" : ", ").append(file.getFileName());
            if (!Files.exists(file)) {
                text.append(" missing");
                continue;
            }
            try (FileChannel ch = FileChannel.open(file)) {
                ByteBuffer h = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
                while (h.hasRemaining() && ch.read(h) > 0) {
                    // header fields up to the generation
                }
                text.append(" size ").append(ch.size());
                if (h.position() == 24) {
                    text.append(" gen ").append(h.getLong(16)).append(" flags ").append(h.getInt(12));
                }
            } catch (IOException e) {
                text.append(' ').append(e);
            }
        }
        return text.toString();
    }

    /**
     * Whether the newest journal (by its header's generation) is not marked applied, so opening the
     * directory will write its records into the data files: a statistic only (see FORMAT.md, Journal).
     */
    static boolean journalNeedsReplay(Path directory) {
        long newest = -1;
        int flags = 0;
        for (int i = 0; i < 2; i++) {
            Path file = directory.resolve("journal-" + i);
            if (!Files.exists(file)) {
                continue;
            }
            try (FileChannel ch = FileChannel.open(file)) {
                ByteBuffer h = ByteBuffer.allocate(JournalDescriptor.GENERATION_OFFSET + Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                while (h.hasRemaining() && ch.read(h) > 0) {
                    // read the header up to the generation: magic, version, flags, generation
                }
                if (!h.hasRemaining() && h.getLong(JournalDescriptor.MAGIC_OFFSET) == JournalDescriptor.MAGIC
                    && h.getLong(JournalDescriptor.GENERATION_OFFSET) > newest) {
                    newest = h.getLong(JournalDescriptor.GENERATION_OFFSET);
                    flags = h.getInt(JournalDescriptor.FLAGS_OFFSET);
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return newest >= 0 && (flags & JournalDescriptor.FLAG_APPLIED) == 0;
    }

    /**
     * A child's stdout, written to a file (see {@link ChildJvm#start(List, Class, Path, String...)}:
     * a pipe can lose a killed child's last lines) and read as it grows. Only complete lines count:
     * a line cut short by the kill was not acknowledged.
     */
    static final class Output {
        private final Path file;
        private final List<String> lines = new ArrayList<>();
        private final StringBuilder partial = new StringBuilder();
        private long position;
        private int awaited;

        Output(Path file) {
            this.file = file;
        }

        /** Waits for a line that starts with {@code prefix}; fails if the child ends first or takes too long. */
        void await(String prefix, Process child) throws IOException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
            while (true) {
                boolean alive = child.isAlive();
                read();
                for (; awaited < lines.size(); awaited++) {
                    if (lines.get(awaited).startsWith(prefix)) {
                        awaited++;
                        return;
                    }
                }
                if (!alive || System.nanoTime() > deadline) {
                    fail("child " + (alive ? "silent for " + TIMEOUT_SECONDS + " s" : "ended with status " + child.exitValue())
                        + " before saying " + prefix + "; it said " + lines);
                }
                LockSupport.parkNanos(100_000);
            }
        }

        /** Every complete line the child wrote; call it once the child is dead. */
        List<String> all() throws IOException {
            read();
            return List.copyOf(lines);
        }

        private void read() throws IOException {
            try (FileChannel ch = FileChannel.open(file)) {
                ByteBuffer buffer = ByteBuffer.allocate((int) Math.max(0, ch.size() - position));
                while (buffer.hasRemaining() && ch.read(buffer, position + buffer.position()) > 0) {
                    // read what was appended since the last call
                }
                position += buffer.position();
                partial.append(new String(buffer.array(), 0, buffer.position(), StandardCharsets.UTF_8));
            }
            for (int nl; (nl = partial.indexOf("\n")) >= 0; ) {
                lines.add(partial.substring(0, nl));
                partial.delete(0, nl + 1);
            }
        }
    }

    /** Counts of the run, for the log. */
    static final class Stats {
        int kills;
        final Map<Config, Integer> killsPerConfig = new EnumMap<>(Config.class);
        /** Phases in the order a child passes them (commit steps as StoreFiles.commit reports them). */
        static final List<String> ORDER = Stream.concat(
            Stream.of("startup", "opening", "first batch", "between flushes", "mid-flush (writing journal)"),
            CrashChild.STEPS.stream().map(step -> "mid-flush after " + step)).toList();
        static final Comparator<String> BY_ORDER = Comparator.<String>comparingInt(
            p -> ORDER.contains(p) ? ORDER.indexOf(p) : ORDER.size()).thenComparing(Comparator.naturalOrder());
        final Map<String, Integer> phases = new TreeMap<>(BY_ORDER);
        /** Per mid-flush phase: how many reopened at A, and at A+1. */
        final Map<String, int[]> outcomes = new TreeMap<>(BY_ORDER);
        long acknowledged;
        int parentChecks;
        int replaysByParent;
        int replaysByChild;
        int killedWhileReplayDue;
        int pendingCount;

        void phase(String phase) {
            phases.merge(phase, 1, Integer::sum);
            if (phase.startsWith("mid-flush")) {
                pendingCount++;
            }
        }

        void flushOutcome(String phase, boolean newer) {
            pendingCount--;
            outcomes.computeIfAbsent(phase, p -> new int[2])[newer ? 1 : 0]++;
        }

        private String outcomesText() {
            int a = 0;
            int b = 0;
            StringBuilder text = new StringBuilder();
            for (Map.Entry<String, int[]> e : outcomes.entrySet()) {
                a += e.getValue()[0];
                b += e.getValue()[1];
                text.append(", ").append(e.getKey()).append(' ').append(Arrays.toString(e.getValue()));
            }
            return "total [" + a + ", " + b + "]" + text;
        }

        int pending() {
            return pendingCount;
        }

        String summary(int planned, long seconds) {
            return kills + " SIGKILLs (of " + planned + " planned) in " + seconds + " s, per configuration " + killsPerConfig
                + "; phase at the kill " + phases + "; kills mid-flush reopened at [A, A+1]: " + outcomesText()
                + "; flushes acknowledged " + acknowledged + "; full checks in the parent " + parentChecks
                + "; reopens that replayed an unapplied journal: by the parent " + replaysByParent + ", by a child " + replaysByChild
                + " (children killed while opening such a directory " + killedWhileReplayDue + ")";
        }
    }
}
