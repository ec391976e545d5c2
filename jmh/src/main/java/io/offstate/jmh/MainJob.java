package io.offstate.jmh;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatFactory;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * The benchmark main job: runs the {@link Suite} through the JMH {@link Runner} API, one JMH run
 * per case (data-set size and shape, file-backed stores, growth, scans, value reads through
 * buffer(), transactions, commits through the write-ahead log), then prints ONE summary (offstate
 * vs Chronicle Map, RocksDB, HashMap and the memory floor; file-backed vs in-memory and vs
 * Chronicle Map persisted, flush and open costs; SegmentBuffer vs UnsafeBuffer; get/put inside a
 * transaction vs on the store; commit latency and group commit vs RocksDB's WriteBatch; batched
 * lookups (getAll) per key vs Chronicle Map's get-hit of the same run; window,
 * session and versioned stores and windowed-count throughput vs RocksDB with Kafka Streams' layouts;
 * with the issues' targets) and writes it to
 * {@code summary.md}, and all raw JMH results to {@code results.json}, next to
 * {@code benchmarks.jar} (normally {@code jmh/target/}).
 *
 * <pre>
 * java -cp jmh/target/benchmarks.jar io.offstate.jmh.MainJob            # quick suite, ~16 min on 2 shared cores
 * java -cp jmh/target/benchmarks.jar io.offstate.jmh.MainJob --smoke    # every benchmark once, 10k keys (CI)
 * java -cp jmh/target/benchmarks.jar io.offstate.jmh.MainJob --full     # 1M and 10M keys, all shapes
 *   options: --keys N (data-set size), --out DIR (where summary.md/results.json go),
 *            --list (print the cases, their benchmarks, forks and heap, and run nothing),
 *            --case ID (repeatable: run only the cases whose id starts with ID, e.g. file, flush-open, buffer),
 *            --fail-peer NAME (chronicle, rocksdb, hashmap or treemap: make that peer's setup fail,
 *            to check that the summary reports it as missing)
 * </pre>
 * A peer that cannot run (its setup fails, e.g. a native library that does not load) is reported
 * in its cells as "missing: reason"; the job still exits 0. Exit status: 0 when the suite ran
 * (missed targets and missing peers are reported, not fatal), 1 on usage errors, 2 when offstate
 * itself produced no result for some point workload (the main job has rotted).
 */
public final class MainJob {

    private MainJob() {
    }

    public static void main(String[] args) throws Exception {
        Suite.Scale scale = Suite.Scale.QUICK;
        Integer keys = null;
        Path out = null;
        String failPeer = null;
        boolean list = false;
        List<String> only = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--full" -> scale = Suite.Scale.FULL;
                case "--smoke" -> scale = Suite.Scale.SMOKE;
                case "--quick" -> scale = Suite.Scale.QUICK;
                case "--keys" -> {
                    if (i + 1 >= args.length) {
                        usage("--keys needs a number");
                    }
                    int n;
                    try {
                        n = Integer.parseInt(args[++i].replace("_", ""));
                    } catch (NumberFormatException e) {
                        n = -1;
                    }
                    if (n < 2) {
                        usage("--keys needs a number >= 2, was " + args[i]);
                    }
                    keys = n;
                }
                case "--out" -> {
                    if (i + 1 >= args.length) {
                        usage("--out needs a directory");
                    }
                    out = Path.of(args[++i]);
                }
                case "--fail-peer" -> {
                    if (i + 1 >= args.length || !List.of("chronicle", "rocksdb", "hashmap", "treemap").contains(args[i + 1])) {
                        usage("--fail-peer needs one of chronicle, rocksdb, hashmap, treemap");
                    }
                    failPeer = args[++i];
                }
                case "--case" -> {
                    if (i + 1 >= args.length) {
                        usage("--case needs a case id (or its start), e.g. file, flush-open or buffer; --list shows them");
                    }
                    only.add(args[++i]);
                }
                case "--list" -> list = true;
                case "-h", "--help" -> usage(null);
                default -> usage("unknown option " + args[i]);
            }
        }
        Suite suite = Suite.of(scale, keys);
        if (!only.isEmpty()) {
            try {
                suite = suite.only(only);
            } catch (IllegalArgumentException e) {
                usage(e.getMessage());
            }
        }
        if (list) {
            System.out.print(suite.describe());
            return;
        }
        if (out == null) {
            out = defaultOutDir();
        }
        out = out.toAbsolutePath();
        boolean smoke = scale == Suite.Scale.SMOKE;
        Path side = out.resolve(smoke ? "jmh-side-smoke" : "jmh-side");
        deleteTree(side);
        Files.createDirectories(side);
        // a smoke run must not overwrite the last real measurement
        String suffix = smoke ? "-smoke" : "";
        Path json = out.resolve("results" + suffix + ".json");
        Path summaryFile = out.resolve("summary" + suffix + ".md");

        String loadBefore = loadAverage();
        long start = System.nanoTime();
        Map<String, List<RunResult>> results = new LinkedHashMap<>();
        Map<String, Duration> took = new LinkedHashMap<>();
        List<Suite.Case> runnable = suite.runnable().toList();
        for (int n = 0; n < runnable.size(); n++) {
            Suite.Case c = runnable.get(n);
            System.out.printf("%n[offstate-jmh] case %d/%d: %s (%s), %d benchmarks, heap %d GiB%n",
                n + 1, runnable.size(), c.id(), c.title(), c.benchmarks().size(), c.heapGiB());
            long t0 = System.nanoTime();
            results.put(c.id(), run(suite, c, side.resolve(c.id()), failPeer));
            took.put(c.id(), Duration.ofNanos(System.nanoTime() - t0));
        }
        Duration total = Duration.ofNanos(System.nanoTime() - start);

        List<RunResult> all = results.values().stream().flatMap(List::stream).toList();
        try (PrintStream ps = new PrintStream(Files.newOutputStream(json), false, StandardCharsets.UTF_8)) {
            ResultFormatFactory.getInstance(ResultFormatType.JSON, ps).writeOut(all);
        }

        Summary summary = new Summary(suite, results, side, total, took, loadBefore, loadAverage());
        String table = summary.render();
        System.out.println();
        System.out.println(table);
        Files.writeString(summaryFile, table, StandardCharsets.UTF_8);
        System.out.println("summary: " + summaryFile);
        System.out.println("raw results: " + json);
        System.exit(summary.offstateMissing() ? 2 : 0);
    }

    /**
     * One JMH run for {@code c}; never throws (a failed run yields what it produced, maybe nothing).
     * The file and commit cases' stores and logs go to a directory of this run's own under {@code java.io.tmpdir}
     * (a disk, not the repository's target/), deleted afterwards even if a fork died.
     */
    private static List<RunResult> run(Suite suite, Suite.Case c, Path caseSide, String failPeer) {
        Path stores = null;
        try {
            Files.createDirectories(caseSide);
            if (c.kind() == Suite.Kind.RECOVERY) {
                return RecoveryHarness.runCase(suite, c, caseSide); // timed harnesses with a broker, not JMH
            }
            List<String> props = new ArrayList<>();
            props.add("-D" + Report.OUT_PROPERTY + "=" + caseSide);
            if (failPeer != null) {
                props.add("-D" + Report.FAIL_PEER_PROPERTY + "=" + failPeer);
            }
            boolean fileCase = c.kind() == Suite.Kind.FILE || c.kind() == Suite.Kind.FLUSH_OPEN
                || c.kind() == Suite.Kind.COMMIT || c.kind() == Suite.Kind.CHECKPOINT;
            if (fileCase) {
                stores = Files.createTempDirectory("offstate-jmh-" + c.id() + "-");
                props.add("-D" + FileStores.DIR_PROPERTY + "=" + stores);
            }
            int heap = c.heapGiB();
            List<String> jvm = new ArrayList<>(List.of("-Xms" + Math.min(heap, 4) + "g", "-Xmx" + heap + "g",
                "--enable-native-access=ALL-UNNAMED"));
            if (c.kind() == Suite.Kind.BUFFER) {
                jvm.add("--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"); // Agrona's UnsafeBuffer, the peer
            }
            ChainedOptionsBuilder b = new OptionsBuilder()
                .include(Suite.includePattern(c.benchmarks()))
                .shouldFailOnError(false)
                .addProfiler(GCProfiler.class)
                .jvmArgsPrepend(props.toArray(String[]::new))
                // replaces the classes' @Fork(jvmArgs); Chronicle Map's flags stay in its own jvmArgsAppend
                .jvmArgs(jvm.toArray(String[]::new))
                .resultFormat(ResultFormatType.JSON)
                .result(caseSide.resolve("results.json").toString())
                .forks(1)
                .warmupIterations(warmupIterations(suite, c))
                .warmupTime(TimeValue.milliseconds(suite.iterationMillis))
                .measurementIterations(singleShot(c) ? suite.singleShotIterations
                    : suite.measurementIterations)
                .measurementTime(TimeValue.milliseconds(suite.iterationMillis))
                .param("growthKeys", Integer.toString(suite.growthKeys));
            if (c.kind() == Suite.Kind.BUFFER) {
                b.param("keys", suite.bufferKeys.stream().map(String::valueOf).toArray(String[]::new));
            } else if (c.kind() != Suite.Kind.GROWTH) {
                b.param("keys", Integer.toString(c.keys()))
                    .param("keyLength", Integer.toString(c.keyLength()))
                    .param("valueLength", Integer.toString(c.valueLength()));
            }
            if (!c.hashMapImpls().isEmpty()) {
                b.param("impl", c.hashMapImpls().toArray(String[]::new));
            }
            if (c.kind() == Suite.Kind.SCANS) {
                b.param("sortedIndex", "true"); // offstate's put-update/delete+reinsert with the index
            }
            if (c.kind() == Suite.Kind.FILE) {
                b.param("backing", "memory", "file").param("persisted", "true");
            }
            if (c.kind() == Suite.Kind.FLUSH_OPEN) {
                b.param("dirtyChunks", suite.dirtyChunks.stream().map(String::valueOf).toArray(String[]::new))
                    .param("openKeys", suite.openKeys.stream().map(String::valueOf).toArray(String[]::new));
            }
            if (c.kind() == Suite.Kind.COMMIT) {
                // the suite's lists, not the annotations', so --list and the summary name what ran
                b.param("writes", Suite.COMMIT_WRITES.stream().map(String::valueOf).toArray(String[]::new))
                    .param("durability", Suite.DURABILITIES.toArray(String[]::new))
                    .param("wal", Suite.ROCKSDB_WALS.toArray(String[]::new));
            }
            if (c.kind() == Suite.Kind.STREAMS) {
                b.param("store", Suite.STREAMS_STORES.toArray(String[]::new));
            }
            if (c.kind() == Suite.Kind.CHECKPOINT) {
                b.param("dirtyPercent", Suite.CHECKPOINT_DIRTY.toArray(String[]::new))
                    .param("during", Suite.CHECKPOINT_DURING.toArray(String[]::new));
            }
            if (c.averageTimeOnly()) {
                b.mode(Mode.AverageTime);
            }
            Collection<RunResult> r = new Runner(b.build()).run();
            return new ArrayList<>(r);
        } catch (Exception e) {
            System.err.println("[offstate-jmh] JMH run of case " + c.id() + " failed: " + e);
            Report.write(caseSide, "error-run.txt", e.toString());
            return List.of();
        } finally {
            if (stores != null) {
                FileStores.delete(stores);
            }
        }
    }

    /**
     * The suite's warmup iterations, two more for the scans: a full scan takes 0.1-0.5 s, so a single
     * 1 s warmup iteration runs it only a few times, not enough for the JIT to finish with it. The
     * flush/open case runs one call per iteration: its own count.
     */
    /** The cases timed one call per iteration: the suite's single-shot iteration counts. */
    private static boolean singleShot(Suite.Case c) {
        return c.kind() == Suite.Kind.FLUSH_OPEN || c.kind() == Suite.Kind.CHECKPOINT;
    }

    private static int warmupIterations(Suite suite, Suite.Case c) {
        if (singleShot(c)) {
            return suite.singleShotWarmup;
        }
        return c.kind() == Suite.Kind.SCANS && suite.warmupIterations > 0 ? suite.warmupIterations + 2
            : suite.warmupIterations;
    }

    /** The 1/5/15-minute load averages, from /proc/loadavg (Linux), or "n/a". */
    static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " / " + f[1] + " / " + f[2];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }

    private static Path defaultOutDir() {
        try {
            Path jar = Path.of(MainJob.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            return jar.getParent(); // jmh/target/ for benchmarks.jar, jmh/target for jmh/target/classes
        } catch (Exception e) {
            return Path.of("jmh", "target");
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted((a, b) -> b.getNameCount() - a.getNameCount()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void usage(String error) {
        if (error != null) {
            System.err.println("MainJob: " + error);
        }
        System.err.println(String.format(Locale.ROOT, """
            usage: java -cp jmh/target/benchmarks.jar io.offstate.jmh.MainJob [--smoke | --full] [--keys N] [--out DIR] [--list] [--case ID]... [--fail-peer NAME]
              (default) quick suite: 1M keys (16 B keys/64 B values in full, 64 B/1 KiB get/put, file-backed get/put,
                        flush, open at 1M and 10M, growth, scans, buffer() reads, batched getAll,
                        transactions, commits and group commit vs RocksDB, window/session/versioned stores and
                        windowed counts vs RocksDB with Kafka Streams' layouts), ~20 minutes on 2 cores
              --smoke   every benchmark once, 10k keys, 100 ms (CI: keeps the job from rotting), 1-2 minutes
              --full    1M and 10M keys, all four key/value shapes (those over %d GiB of data skipped), ~55 minutes
              --keys N  data-set size instead of the scale's
              --out DIR where summary.md and results.json go (default: next to benchmarks.jar)
              --list    print the scale's cases (benchmarks, forks, heap) and exit without running anything
              --case ID run only the cases whose id starts with ID (repeatable; ids as --list prints them)
              --fail-peer chronicle|rocksdb|hashmap|treemap  make that peer's setup fail (checks the "missing" path)""",
            Suite.MAX_DATA_BYTES >> 30));
        System.exit(error == null ? 0 : 1);
    }
}
