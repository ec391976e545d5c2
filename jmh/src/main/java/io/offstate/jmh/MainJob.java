package io.offstate.jmh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.results.format.ResultFormatType;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.util.Statistics;

/**
 * The benchmark main job: runs the suite through the JMH {@link Runner} API, then prints ONE summary
 * table (offstate vs Chronicle Map vs HashMap vs the memory floor, with the issue's targets) and
 * writes it to {@code summary.md}, the raw JMH results to {@code results.json}, next to
 * {@code benchmarks.jar} (normally {@code jmh/target/}).
 *
 * <pre>
 * java -cp jmh/target/benchmarks.jar io.offstate.jmh.MainJob            # quick suite, ~5 min on 2 cores
 * java -cp jmh/target/benchmarks.jar io.offstate.jmh.MainJob --smoke    # every benchmark once, tiny N (CI)
 * java -cp jmh/target/benchmarks.jar io.offstate.jmh.MainJob --full     # longer, 1M and 10M keys
 *   options: --keys N (data-set size), --out DIR (where summary.md/results.json go)
 * </pre>
 * Exit status: 0 when the suite ran (targets missed are reported, not fatal), 1 on usage errors,
 * 2 when offstate itself produced no result for some workload.
 */
public final class MainJob {
    private static final String PKG = "io.offstate.jmh.";
    private static final String OFF = PKG + "OffstateBenchmark.";
    private static final String HM = PKG + "HashMapBenchmark.";
    private static final String CM = PKG + "ChronicleMapBenchmark.";
    private static final String RDB = PKG + "RocksDbBenchmark.";
    private static final String FLOOR = PKG + "MemoryFloorBenchmark.";
    private static final String GROWTH = PKG + "PutInsertGrowthBenchmark.";
    private static final double ZERO_BYTES = 1.0; // gc.alloc.rate.norm below this counts as 0 B/op (JMH noise)

    private enum Mode { QUICK, FULL, SMOKE }

    private MainJob() {
    }

    public static void main(String[] args) throws Exception {
        Mode mode = Mode.QUICK;
        List<String> keys = null;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--full" -> mode = Mode.FULL;
                case "--smoke" -> mode = Mode.SMOKE;
                case "--quick" -> mode = Mode.QUICK;
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
                    keys = List.of(Integer.toString(n));
                }
                case "--out" -> {
                    if (i + 1 >= args.length) {
                        usage("--out needs a directory");
                    }
                    out = Path.of(args[++i]);
                }
                case "-h", "--help" -> {
                    usage(null);
                }
                default -> usage("unknown option " + args[i]);
            }
        }
        if (keys == null) {
            keys = switch (mode) {
                case QUICK -> List.of("1000000");
                case FULL -> List.of("1000000", "10000000");
                case SMOKE -> List.of("10000");
            };
        }
        if (out == null) {
            out = defaultOutDir();
        }
        out = out.toAbsolutePath();
        Path side = out.resolve(mode == Mode.SMOKE ? "jmh-side-smoke" : "jmh-side");
        Files.createDirectories(side);
        try (Stream<Path> old = Files.list(side)) {
            for (Path p : old.toList()) {
                Files.deleteIfExists(p);
            }
        }
        // a smoke run must not overwrite the last real measurement
        String suffix = mode == Mode.SMOKE ? "-smoke" : "";
        Path json = out.resolve("results" + suffix + ".json");
        Path summary = out.resolve("summary" + suffix + ".md");

        ChainedOptionsBuilder b = new OptionsBuilder()
            .include("^" + java.util.regex.Pattern.quote(OFF))
            .include("^" + java.util.regex.Pattern.quote(HM))
            .include("^" + java.util.regex.Pattern.quote(CM))
            .include("^" + java.util.regex.Pattern.quote(RDB) + "(getHit|getMiss|putUpdate)$")
            .include("^" + java.util.regex.Pattern.quote(FLOOR))
            .include("^" + java.util.regex.Pattern.quote(GROWTH))
            .shouldFailOnError(false)
            .addProfiler(GCProfiler.class)
            .jvmArgsPrepend("-D" + Report.OUT_PROPERTY + "=" + side)
            .resultFormat(ResultFormatType.JSON)
            .result(json.toString())
            .param("keys", keys.toArray(String[]::new))
            .forks(1);
        switch (mode) {
            case SMOKE -> b.warmupIterations(0).measurementIterations(1)
                .measurementTime(TimeValue.milliseconds(100)).param("growthKeys", "200000");
            case QUICK -> b.warmupIterations(3).warmupTime(TimeValue.seconds(1))
                .measurementIterations(4).measurementTime(TimeValue.seconds(1)).param("growthKeys", "10000000");
            case FULL -> b.warmupIterations(5).warmupTime(TimeValue.seconds(2))
                .measurementIterations(8).measurementTime(TimeValue.seconds(2)).param("growthKeys", "12000000")
                // 10M entries of the HashMap peer plus its lookup wrappers need more than 4g
                .jvmArgs("-Xms12g", "-Xmx12g", "--enable-native-access=ALL-UNNAMED");
        }

        long start = System.nanoTime();
        Collection<RunResult> results;
        try {
            results = new Runner(b.build()).run();
        } catch (Exception e) {
            System.err.println("JMH run failed: " + e);
            results = List.of();
        }
        Duration took = Duration.ofNanos(System.nanoTime() - start);

        Summary s = new Summary(results, side, mode.name().toLowerCase(Locale.ROOT), took);
        String table = s.render(keys);
        System.out.println();
        System.out.println(table);
        Files.writeString(summary, table, StandardCharsets.UTF_8);
        System.out.println("summary: " + summary);
        System.out.println("raw results: " + json);
        System.exit(s.offstateMissing ? 2 : 0);
    }

    private static Path defaultOutDir() {
        try {
            Path jar = Path.of(MainJob.class.getProtectionDomain().getCodeSource().getLocation().toURI());
            if (Files.isRegularFile(jar)) {
                return jar.getParent(); // jmh/target/ when run from benchmarks.jar
            }
            return jar.getParent(); // jmh/target/classes -> jmh/target
        } catch (Exception e) {
            return Path.of("jmh", "target");
        }
    }

    private static void usage(String error) {
        if (error != null) {
            System.err.println("MainJob: " + error);
        }
        System.err.println("""
            usage: java -cp jmh/target/benchmarks.jar io.offstate.jmh.MainJob [--smoke | --full] [--keys N] [--out DIR]
              (default) quick suite, 1M keys, about 5 minutes on 2 cores
              --smoke   every benchmark once, 10k keys, 100 ms (CI: keeps the job from rotting)
              --full    longer iterations, 1M and 10M keys
              --keys N  data-set size instead of the mode's
              --out DIR where summary.md and results.json go (default: next to benchmarks.jar)""");
        System.exit(error == null ? 0 : 1);
    }

    /** Builds the summary table from JMH results and the side-channel files. */
    static final class Summary {
        final Map<String, RunResult> byKey = new LinkedHashMap<>();
        final Path side;
        final String mode;
        final Duration took;
        boolean offstateMissing;
        int pass;
        int miss;

        Summary(Collection<RunResult> results, Path side, String mode, Duration took) {
            this.side = side;
            this.mode = mode;
            this.took = took;
            for (RunResult r : results) {
                if (r.getParams().getMode() != org.openjdk.jmh.annotations.Mode.AverageTime
                    && !r.getParams().getBenchmark().startsWith(GROWTH)) {
                    continue; // SampleTime runs are not in this table yet
                }
                String k = r.getParams().getParam("keys");
                byKey.put(r.getParams().getBenchmark() + "@" + (k == null ? "" : k), r);
            }
        }

        RunResult get(String benchmark, String keys) {
            RunResult r = byKey.get(benchmark + "@" + keys);
            return r != null ? r : byKey.get(benchmark + "@");
        }

        Double score(String benchmark, String keys) {
            RunResult r = get(benchmark, keys);
            return r == null ? null : r.getPrimaryResult().getScore();
        }

        String scoreCell(String benchmark, String keys, String peerError) {
            RunResult r = get(benchmark, keys);
            if (r == null) {
                return peerError != null ? "n/a (" + peerError + ")" : "n/a (no result: see log)";
            }
            Result<?> p = r.getPrimaryResult();
            double err = p.getScoreError();
            return Double.isNaN(err) || err == 0 ? fmt(p.getScore()) : fmt(p.getScore()) + " ± " + fmt(err);
        }

        Double bytesPerOp(String benchmark, String keys) {
            RunResult r = get(benchmark, keys);
            if (r == null) {
                return null;
            }
            Result<?> a = r.getSecondaryResults().get("gc.alloc.rate.norm");
            return a == null ? null : a.getScore();
        }

        Double metric(String name) {
            Path p = side.resolve("metric-" + name + ".txt");
            try {
                return Files.isRegularFile(p) ? Double.parseDouble(Files.readString(p).trim()) : null;
            } catch (IOException | NumberFormatException e) {
                return null;
            }
        }

        String text(String file) {
            Path p = side.resolve(file);
            try {
                return Files.isRegularFile(p) ? Files.readString(p).trim() : null;
            } catch (IOException e) {
                return null;
            }
        }

        String peerError(String peer) {
            String e = text("error-" + peer + ".txt");
            if (e == null) {
                return null;
            }
            String first = e.lines().findFirst().orElse(e);
            return first.length() > 160 ? first.substring(0, 160) + "…" : first;
        }

        String ratioCell(Double off, Double peer, double target) {
            if (off == null || peer == null || peer == 0) {
                return "n/a";
            }
            double r = off / peer;
            boolean ok = r <= target;
            if (ok) {
                pass++;
            } else {
                miss++;
            }
            return String.format(Locale.ROOT, "%.2f (≤ %.2f %s)", r, target, ok ? "PASS" : "MISS");
        }

        String plainRatio(Double a, Double b) {
            return a == null || b == null || b == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", a / b);
        }

        String bytesCell(Double bop, boolean judged) {
            if (bop == null) {
                return "n/a";
            }
            String v = String.format(Locale.ROOT, "%.3f", bop);
            if (!judged) {
                return v;
            }
            boolean ok = bop < ZERO_BYTES;
            if (ok) {
                pass++;
            } else {
                miss++;
            }
            return v + (ok ? " (0 PASS)" : " (0 MISS)");
        }

        String render(List<String> keysList) {
            StringBuilder sb = new StringBuilder();
            String chronicleError = peerError("chronicle");
            String rocksError = peerError("rocksdb");
            sb.append("# offstate benchmark summary\n\n");
            sb.append(String.format(Locale.ROOT, "- mode: %s, took %dm%02ds; %s; JDK %s (%s); %s %s; %d cores%n",
                mode, took.toMinutes(), took.toSecondsPart(),
                ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
                System.getProperty("java.runtime.version"), System.getProperty("java.vm.vendor"),
                System.getProperty("os.name"), System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors()));
            if (mode.equals("smoke")) {
                sb.append("- **smoke run: one unwarmed 100 ms iteration on a tiny data set; the numbers and verdicts"
                    + " only show that every benchmark runs, they measure nothing**\n");
            }
            sb.append("- 16-byte random keys, 64-byte values, random access order; AverageTime ns/op, 1 thread, 1 fork; "
                + "B/op = JMH -prof gc gc.alloc.rate.norm (< 1 counts as 0)\n");
            sb.append("- ratios are offstate / peer in this one run; floor = one dependent random 8-byte read "
                + "in a segment of keys x 96 B (MemoryFloorBenchmark.dependentRead)\n");
            for (String keys : keysList) {
                renderKeys(sb, keys, chronicleError, rocksError);
            }
            renderGrowth(sb);
            List<String> notes = new ArrayList<>();
            if (chronicleError != null) {
                notes.add("Chronicle Map could not run: " + text("error-chronicle.txt").replace("\n", " / "));
            }
            if (rocksError != null) {
                notes.add("RocksDB could not run: " + text("error-rocksdb.txt").replace("\n", " / "));
            }
            try (Stream<Path> files = Files.list(side)) {
                for (Path p : files.sorted().toList()) {
                    String name = p.getFileName().toString();
                    if (name.startsWith("note-")) {
                        notes.add(name.substring(5, name.length() - 4) + ": " + Files.readString(p).trim());
                    }
                }
            } catch (IOException e) {
                notes.add("cannot read side results: " + e);
            }
            if (!notes.isEmpty()) {
                sb.append("\n## Notes\n\n");
                for (String n : notes) {
                    sb.append("- ").append(n).append('\n');
                }
            }
            sb.append(String.format(Locale.ROOT, "%n**Targets: %d PASS, %d MISS.**%n", pass, miss));
            return sb.toString();
        }

        private void renderKeys(StringBuilder sb, String keys, String chronicleError, String rocksError) {
            Double floor = score(FLOOR + "dependentRead", keys);
            sb.append("\n## ").append(String.format(Locale.ROOT, "%,d", Long.parseLong(keys))).append(" keys\n\n");
            sb.append("| workload | offstate ns/op | Chronicle Map ns/op | RocksDB ns/op | HashMap ns/op | offstate/Chronicle | offstate/RocksDB | offstate/HashMap | offstate/floor | offstate B/op |\n");
            sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
            String[][] rows = {
                {"get-hit", "getHit", "0.25", "0.40"},
                {"get-miss", "getMiss", "0.30", ""},
                {"put-update", "putUpdate", "0.30", ""},
            };
            for (String[] row : rows) {
                String m = row[1];
                Double off = score(OFF + m, keys);
                if (off == null) {
                    offstateMissing = true;
                }
                Double cm = score(CM + m, keys);
                Double hm = score(HM + m, keys);
                sb.append("| ").append(row[0])
                    .append(" | ").append(scoreCell(OFF + m, keys, null))
                    .append(" | ").append(scoreCell(CM + m, keys, chronicleError))
                    .append(" | ").append(scoreCell(RDB + m, keys, rocksError))
                    .append(" | ").append(scoreCell(HM + m, keys, null))
                    .append(" | ").append(ratioCell(off, cm, Double.parseDouble(row[2])))
                    .append(" | ").append(plainRatio(off, score(RDB + m, keys)))
                    .append(" | ").append(row[3].isEmpty() ? plainRatio(off, hm) : ratioCell(off, hm, Double.parseDouble(row[3])))
                    .append(" | ").append(plainRatio(off, floor))
                    .append(" | ").append(bytesCell(bytesPerOp(OFF + m, keys), true))
                    .append(" |\n");
            }
            Double mo = metric("memory.offstate@" + keys);
            Double mc = metric("memory.chronicle@" + keys);
            Double mh = metric("memory.hashmap@" + keys);
            Double mr = metric("memory.rocksdb@" + keys);
            String memOff;
            if (mo == null) {
                memOff = "n/a";
            } else {
                boolean ok = mo <= 96.0;
                if (ok) {
                    pass++;
                } else {
                    miss++;
                }
                memOff = String.format(Locale.ROOT, "%.1f (≤ 96 %s)", mo, ok ? "PASS" : "MISS");
            }
            sb.append("| memory B/entry | ").append(memOff)
                .append(" | ").append(mc == null ? (chronicleError != null ? "n/a (" + chronicleError + ")" : "n/a") : fmt(mc))
                .append(" | ").append(mr == null ? (rocksError != null ? "n/a (" + rocksError + ")" : "n/a")
                    : fmt(mr) + " (block cache + table readers + memtables)")
                .append(" | ").append(mh == null ? "n/a" : fmt(mh) + " (heap Δ, approx.)")
                .append(" | ").append(plainRatio(mo, mc))
                .append(" | ").append(plainRatio(mo, mr))
                .append(" | ").append(plainRatio(mo, mh))
                .append(" | | |\n");

            sb.append("\nRocksDB: direct ByteBuffer get/put (no WAL, block cache holding the data, Bloom filters, bulk-loaded); "
                + "SST files on disk ").append(metric("memory.rocksdb-sst@" + keys) == null ? "n/a"
                : fmt(metric("memory.rocksdb-sst@" + keys))).append(" B/entry.\n");
            sb.append("\nPeers' allocation (B/op): Chronicle Map get-hit/get-miss/put-update ")
                .append(bytesCell(bytesPerOp(CM + "getHit", keys), false)).append(" / ")
                .append(bytesCell(bytesPerOp(CM + "getMiss", keys), false)).append(" / ")
                .append(bytesCell(bytesPerOp(CM + "putUpdate", keys), false))
                .append("; HashMap ")
                .append(bytesCell(bytesPerOp(HM + "getHit", keys), false)).append(" / ")
                .append(bytesCell(bytesPerOp(HM + "getMiss", keys), false)).append(" / ")
                .append(bytesCell(bytesPerOp(HM + "putUpdate", keys), false)).append(".\n");
            sb.append("Memory floor: dependent random read ").append(scoreCell(FLOOR + "dependentRead", keys, null))
                .append(" ns; independent random read (overlapping misses) ")
                .append(scoreCell(FLOOR + "independentRead", keys, null)).append(" ns.\n");

            sb.append("\n### Dictionary encoding (keys `tenant-<4 digits>|` + 8 random bytes, 100 tenants)\n\n");
            sb.append("| workload | plain ns/op | dictionary ns/op | dictionary/plain | plain B/op | dictionary B/op |\n");
            sb.append("|---|---|---|---|---|---|\n");
            for (String[] row : new String[][] {{"get-hit", "GetHit"}, {"put-update", "PutUpdate"}}) {
                String plain = OFF + "tenantPlain" + row[1];
                String dict = OFF + "tenantDict" + row[1];
                sb.append("| ").append(row[0])
                    .append(" | ").append(scoreCell(plain, keys, null))
                    .append(" | ").append(scoreCell(dict, keys, null))
                    .append(" | ").append(plainRatio(score(dict, keys), score(plain, keys)))
                    .append(" | ").append(bytesCell(bytesPerOp(plain, keys), false))
                    .append(" | ").append(bytesCell(bytesPerOp(dict, keys), false))
                    .append(" |\n");
            }
            Double mp = metric("memory.offstate-tenant-plain@" + keys);
            Double md = metric("memory.offstate-tenant-dict@" + keys);
            sb.append("| memory B/entry | ").append(mp == null ? "n/a" : fmt(mp))
                .append(" | ").append(md == null ? "n/a" : fmt(md))
                .append(" | ").append(plainRatio(md, mp)).append(" | | |\n");
        }

        private void renderGrowth(StringBuilder sb) {
            sb.append("\n## Insert latency while growing from empty (SampleTime, ns; store reset every iteration)\n\n");
            sb.append("| peer | p50 | p99 | p99.9 | p99.99 | max | samples | inserts/iteration (max) |\n");
            sb.append("|---|---|---|---|---|---|---|---|\n");
            for (String[] peer : new String[][] {{"offstate", "offstateInsert"}, {"HashMap", "hashMapInsert"}}) {
                RunResult r = get(GROWTH + peer[1], "");
                sb.append("| ").append(peer[0]);
                if (r == null) {
                    sb.append(" | n/a (no result: see log) | | | | | | |\n");
                    continue;
                }
                Statistics st = r.getPrimaryResult().getStatistics();
                for (double pc : new double[] {50, 99, 99.9, 99.99}) {
                    sb.append(" | ").append(fmt(st.getPercentile(pc)));
                }
                Double ins = metric("growth.maxInsertsPerIteration." + peer[0].toLowerCase(Locale.ROOT));
                sb.append(" | ").append(fmt(st.getMax()))
                    .append(" | ").append(st.getN())
                    .append(" | ").append(ins == null ? "n/a" : String.format(Locale.ROOT, "%,d", ins.longValue()))
                    .append(" |\n");
            }
        }

        static String fmt(double v) {
            if (v >= 100_000) {
                return String.format(Locale.ROOT, "%,.0f", v);
            }
            return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
        }
    }

    @SuppressWarnings("unused")
    private static TreeSet<String> names(Collection<RunResult> results) {
        TreeSet<String> s = new TreeSet<>();
        results.forEach(r -> s.add(r.getParams().getBenchmark()));
        return s;
    }
}
