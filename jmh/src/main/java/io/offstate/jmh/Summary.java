package io.offstate.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.Statistics;

/**
 * Renders the main job's one summary from the JMH results and the side-channel files
 * ({@link Report}): per data-set shape a table of offstate's time and its ratio to each peer and to
 * the memory floor, offstate's B/op, memory per entry, latency percentiles, snapshot/restore
 * throughput; then insert growth, ordered scans, and where offstate is behind. Targets from the
 * issue are judged PASS/MISS where they apply. A peer without a result is shown as
 * "missing: reason", never left out.
 */
final class Summary {
    private static final String PKG = "io.offstate.jmh.";
    /** gc.alloc.rate.norm below this counts as 0 B/op (JMH's own noise). */
    private static final double ZERO_BYTES = 1.0;
    private static final double[] PERCENTILES = {50, 99, 99.9, 99.99};

    /** A peer column: display name, benchmark class, error-file key, HashMap impl parameter (or null). */
    private record Peer(String name, String bench, String key, String impl) {
    }

    private static final Peer CHRONICLE = new Peer("Chronicle Map", Suite.CM, "chronicle", null);
    private static final Peer ROCKSDB = new Peer("RocksDB", Suite.RDB, "rocksdb", null);

    private final Suite suite;
    private final Map<String, List<RunResult>> results;
    private final Path side;
    private final Duration total;
    private final Map<String, Duration> took;
    private final String loadBefore;
    private final String loadAfter;
    private final List<String> behind = new ArrayList<>();
    private int pass;
    private int miss;
    private boolean offstateMissing;

    Summary(Suite suite, Map<String, List<RunResult>> results, Path side, Duration total, Map<String, Duration> took,
            String loadBefore, String loadAfter) {
        this.suite = suite;
        this.results = results;
        this.side = side;
        this.total = total;
        this.took = took;
        this.loadBefore = loadBefore;
        this.loadAfter = loadAfter;
    }

    boolean offstateMissing() {
        return offstateMissing;
    }

    String render() {
        StringBuilder sb = new StringBuilder();
        sb.append("# offstate benchmark summary\n\n");
        sb.append(String.format(Locale.ROOT, "- scale: %s, took %s; %s; JDK %s (%s); %s %s; %d cores; "
                + "load average (1/5/15 min) before %s, after %s%n",
            suite.scale.name().toLowerCase(Locale.ROOT), duration(total),
            ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
            System.getProperty("java.runtime.version"), System.getProperty("java.vm.vendor"),
            System.getProperty("os.name"), System.getProperty("os.arch"),
            Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter));
        if (suite.scale == Suite.Scale.SMOKE) {
            sb.append("- **smoke run: one unwarmed 100 ms iteration on a tiny data set; the numbers and verdicts"
                + " only show that every benchmark runs, they measure nothing**\n");
        }
        sb.append(String.format(Locale.ROOT, "- each benchmark: 1 fork, 1 thread, %d warmup + %d measured iterations"
                + " of %d ms; random keys in a precomputed shuffled access order; times are AverageTime ns/op"
                + " unless marked; ± is JMH's 99.9%% confidence half-width%n",
            suite.warmupIterations, suite.measurementIterations, suite.iterationMillis));
        sb.append("- ratios are offstate / peer in this one run (below 1: offstate is faster); floor = one dependent"
            + " random 8-byte read in an off-heap segment of keys x (key + value + 16 B)"
            + " (MemoryFloorBenchmark.dependentRead); B/op = JMH -prof gc gc.alloc.rate.norm, < 1 counts as 0\n");
        sb.append("- peers: Chronicle Map in-memory, constant key/value sizes, allocation-free marshaller and query"
            + " contexts; RocksDB (rocksdbjni) direct ByteBuffer get/put/delete, no WAL, LRU block cache holding the"
            + " data, 10-bit Bloom filters, data-block hash index, no compression, bulk-loaded into the bottom level;"
            + " HashMap/ConcurrentHashMap of a byte[] wrapper with cached hash, presized, values stored by reference;"
            + " delete = delete + re-put of the same key (the pair's time)\n");
        if (!took.isEmpty()) {
            sb.append("- time per case: ");
            sb.append(String.join(", ", took.entrySet().stream()
                .map(e -> e.getKey() + " " + duration(e.getValue())).toList())).append('\n');
        }
        for (Suite.Case c : suite.cases) {
            switch (c.kind()) {
                case POINT -> renderPoint(sb, c);
                case GROWTH -> renderGrowth(sb, c);
                case SCANS -> renderScans(sb, c);
            }
        }
        renderBehind(sb);
        renderNotes(sb);
        sb.append(String.format(Locale.ROOT, "%n**Targets: %d PASS, %d MISS.**%n", pass, miss));
        return sb.toString();
    }

    // ------------------------------------------------------------ point workloads, per shape

    private List<Peer> peers(Suite.Case c) {
        List<Peer> peers = new ArrayList<>(List.of(CHRONICLE, ROCKSDB));
        for (String impl : c.hashMapImpls()) {
            peers.add(new Peer(impl, Suite.HM, impl.toLowerCase(Locale.ROOT), impl));
        }
        return peers;
    }

    private void renderPoint(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append("\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        List<Peer> peers = peers(c);
        Double floor = score(c, Suite.FLOOR + ".dependentRead", Mode.AverageTime, null);
        StringBuilder head = new StringBuilder("| workload | offstate");
        StringBuilder rule = new StringBuilder("|---|---");
        for (Peer p : peers) {
            head.append(" | ").append(p.name);
            rule.append("|---");
        }
        for (Peer p : peers) {
            head.append(" | offstate/").append(p.name);
            rule.append("|---");
        }
        head.append(" | offstate/floor | offstate B/op |\n");
        rule.append("|---|---|\n");
        sb.append(head).append(rule);

        String[][] rows = {
            // label, method, Chronicle target, HashMap target ("" = none)
            {"get-hit", "getHit", "0.25", "0.40"},
            {"get-miss", "getMiss", "0.30", ""},
            {"put-update", "putUpdate", "0.30", ""},
            {"delete+reinsert", "deleteReinsert", "", ""},
        };
        for (String[] row : rows) {
            String m = row[1];
            if (!c.benchmarks().contains(Suite.OFF + "." + m)) {
                continue; // not part of this case at this scale
            }
            RunResult off = find(c, Suite.OFF + "." + m, Mode.AverageTime, null);
            if (off == null) {
                offstateMissing = true;
            }
            Double offScore = primary(off);
            sb.append("| ").append(row[0]).append(" | ").append(off == null ? missing(c, "offstate") : timeCell(off));
            List<Double> peerScores = new ArrayList<>();
            for (Peer p : peers) {
                RunResult r = find(c, p.bench + "." + m, Mode.AverageTime, p.impl);
                String cell = r == null ? missing(c, p.key) : timeCell(r);
                Double s = primary(r);
                if (p == ROCKSDB && m.equals("getHit")) {
                    // the faster of RocksDB's two Java read paths
                    RunResult arr = find(c, Suite.RDB + ".getHitArray", Mode.AverageTime, null);
                    if (arr != null && (s == null || primary(arr) < s)) {
                        s = primary(arr);
                        cell = timeCell(arr) + " (byte[] path)";
                    }
                }
                peerScores.add(s);
                sb.append(" | ").append(cell);
            }
            for (int i = 0; i < peers.size(); i++) {
                Peer p = peers.get(i);
                String target = p == CHRONICLE ? row[2] : p.impl != null && p.impl.equals("HashMap") ? row[3] : "";
                sb.append(" | ").append(target.isEmpty()
                    ? plainRatio(offScore, peerScores.get(i))
                    : ratioCell(offScore, peerScores.get(i), Double.parseDouble(target)));
                noteBehind(c, row[0], p.name, offScore, peerScores.get(i));
            }
            sb.append(" | ").append(plainRatio(offScore, floor))
                .append(" | ").append(bytesCell(bytesPerOp(off), true)).append(" |\n");
        }

        // memory per entry
        Double mo = metric(c, "memory.offstate");
        sb.append("| memory B/entry | ");
        if (mo == null) {
            sb.append(missing(c, "offstate"));
        } else if (c.primaryShape()) {
            boolean ok = mo <= 96.0;
            count(ok);
            sb.append(String.format(Locale.ROOT, "%.1f (≤ 96 %s)", mo, ok ? "PASS" : "MISS"));
        } else {
            sb.append(fmt(mo));
        }
        List<Double> mems = new ArrayList<>();
        for (Peer p : peers) {
            Double m = metric(c, "memory." + p.key);
            mems.add(m);
            String how = p == ROCKSDB ? " (block cache + table readers + memtables)"
                : p == CHRONICLE ? " (off-heap)" : " (heap Δ, approx.)";
            sb.append(" | ").append(m == null ? missing(c, p.key) : fmt(m) + how);
        }
        for (int i = 0; i < peers.size(); i++) {
            sb.append(" | ").append(plainRatio(mo, mems.get(i)));
        }
        sb.append(" | | |\n");

        // notes under the table
        sb.append('\n');
        Double sst = metric(c, "memory.rocksdb-sst");
        if (sst != null) {
            sb.append("- RocksDB memory is its own accounting (rocksdb.block-cache-usage + estimate-table-readers-mem"
                + " + cur-size-all-mem-tables) after the load and one full scan; its SST files take ")
                .append(fmt(sst)).append(" B/entry on disk (and in the OS page cache once read).\n");
        }
        RunResult arr = find(c, Suite.RDB + ".getHitArray", Mode.AverageTime, null);
        RunResult dir = find(c, Suite.RDB + ".getHit", Mode.AverageTime, null);
        if (arr != null && dir != null) {
            sb.append("- RocksDB get-hit by read path: direct ByteBuffers ").append(timeCell(dir))
                .append(" ns, byte[] into a preallocated array ").append(timeCell(arr))
                .append(" ns; the table shows the faster.\n");
        }
        sb.append("- Peers' allocation, B/op (get-hit / get-miss / put-update / delete+reinsert):");
        for (Peer p : peers) {
            sb.append(' ').append(p.name).append(' ');
            List<String> cells = new ArrayList<>();
            for (String m : Suite.POINT_OPS) {
                RunResult r = find(c, p.bench + "." + m, Mode.AverageTime, p.impl);
                cells.add(c.benchmarks().contains(p.bench + "." + m) ? bytesCell(bytesPerOp(r), false) : "-");
            }
            sb.append(String.join(" / ", cells)).append(';');
        }
        sb.setLength(sb.length() - 1);
        sb.append(".\n");
        sb.append("- Memory floor: dependent random read ")
            .append(cellOrNa(find(c, Suite.FLOOR + ".dependentRead", Mode.AverageTime, null))).append(" ns");
        RunResult independent = find(c, Suite.FLOOR + ".independentRead", Mode.AverageTime, null);
        if (independent != null) {
            sb.append("; independent random reads (overlapping misses) ").append(timeCell(independent)).append(" ns");
        }
        sb.append(".\n");

        renderPercentiles(sb, c, peers);
        renderSnapshots(sb, c);
        renderDictionary(sb, c);
    }

    private void renderPercentiles(StringBuilder sb, Suite.Case c, List<Peer> peers) {
        boolean any = results(c).stream().anyMatch(r -> r.getParams().getMode() == Mode.SampleTime);
        if (!any) {
            return;
        }
        sb.append("\n### Latency percentiles (SampleTime, ns; beyond p99 this shared machine dominates)\n\n");
        sb.append("| workload | who | mean | p50 | p99 | p99.9 | p99.99 | samples | offstate/who p50 | offstate/who p99 |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        RunResult floorRun = find(c, Suite.FLOOR + ".dependentRead", Mode.SampleTime, null);
        for (String m : Suite.SAMPLED_OPS) {
            String label = m.equals("getHit") ? "get-hit" : "put-update";
            RunResult off = find(c, Suite.OFF + "." + m, Mode.SampleTime, null);
            percentileRow(sb, c, label, "offstate", "offstate", off, null);
            for (Peer p : peers) {
                percentileRow(sb, c, label, p.name, p.key, find(c, p.bench + "." + m, Mode.SampleTime, p.impl), off);
            }
            percentileRow(sb, c, label, "floor (dependent read)", "floor", floorRun, off);
        }
    }

    private void percentileRow(StringBuilder sb, Suite.Case c, String label, String who, String key, RunResult r,
                               RunResult off) {
        sb.append("| ").append(label).append(" | ").append(who);
        if (r == null) {
            sb.append(" | ").append(missing(c, key)).append(" | | | | | | | |\n");
            return;
        }
        Statistics st = r.getPrimaryResult().getStatistics();
        sb.append(" | ").append(fmt(st.getMean()));
        for (double pc : PERCENTILES) {
            sb.append(" | ").append(fmt(st.getPercentile(pc)));
        }
        sb.append(" | ").append(String.format(Locale.ROOT, "%,d", st.getN()));
        if (off == null) {
            sb.append(" | | |\n");
            return;
        }
        Statistics o = off.getPrimaryResult().getStatistics();
        sb.append(" | ").append(plainRatio(o.getPercentile(50), st.getPercentile(50)))
            .append(" | ").append(plainRatio(o.getPercentile(99), st.getPercentile(99))).append(" |\n");
    }

    private void renderSnapshots(StringBuilder sb, Suite.Case c) {
        RunResult snap = find(c, Suite.SNAP + ".snapshot", Mode.AverageTime, null);
        RunResult rest = find(c, Suite.SNAP + ".restore", Mode.AverageTime, null);
        RunResult copy = find(c, Suite.FLOOR + ".copy", Mode.AverageTime, null);
        if (!c.benchmarks().contains(Suite.SNAP + ".snapshot")) {
            return;
        }
        Double bytes = metric(c, "snapshot.bytes");
        Double copyBytes = metric(c, "floor.copyBytes");
        sb.append("\n### Snapshot and restore throughput (offstate; ms/op; the peer is the hardware: one memcpy)\n\n");
        sb.append("| operation | offstate ms/op | offstate MB/s | offstate M entries/s | floor: memcpy ms/op | floor MB/s"
            + " | offstate/floor (time per byte) | offstate B/op |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        Double copyMBs = mbPerSecond(copyBytes, primary(copy));
        for (String op : List.of("snapshot", "restore")) {
            if (!c.benchmarks().contains(Suite.SNAP + "." + op)) {
                continue;
            }
            RunResult r = op.equals("snapshot") ? snap : rest;
            String label = op.equals("snapshot") ? "snapshot (+ close)" : "restore";
            sb.append("| ").append(label).append(" | ");
            if (r == null) {
                sb.append(missing(c, "offstate")).append(" | | | ");
            } else {
                Double ms = primary(r);
                Double mbs = mbPerSecond(bytes, ms);
                sb.append(timeCell(r)).append(" | ").append(mbs == null ? "n/a" : fmt(mbs))
                    .append(" | ").append(String.format(Locale.ROOT, "%.1f", c.keys() / (ms / 1000.0) / 1e6)).append(" | ");
            }
            sb.append(copy != null ? timeCell(copy)
                    : c.benchmarks().contains(Suite.FLOOR + ".copy") ? missing(c, "floor") : "not run")
                .append(" | ").append(copyMBs == null ? "n/a" : fmt(copyMBs))
                .append(" | ").append(plainRatio(copyMBs, mbPerSecond(bytes, primary(r))))
                .append(" | ").append(bytesCell(bytesPerOp(r), false)).append(" |\n");
        }
        if (bytes != null) {
            sb.append(String.format(Locale.ROOT, "%nSnapshot size %s MB (offstate's memoryUsed); memcpy floor copies %s MB.%n",
                fmt(bytes / 1e6), copyBytes == null ? "n/a" : fmt(copyBytes / 1e6)));
        }
    }

    private void renderDictionary(StringBuilder sb, Suite.Case c) {
        if (!c.benchmarks().contains(Suite.OFF + ".tenantDictGetHit")) {
            return;
        }
        sb.append("\n### Dictionary encoding (keys `tenant-<4 digits>|` + 8 random bytes, 100 tenants, 64 B values)\n\n");
        sb.append("| workload | plain ns/op | dictionary ns/op | dictionary/plain | plain B/op | dictionary B/op |\n");
        sb.append("|---|---|---|---|---|---|\n");
        for (String[] row : new String[][] {{"get-hit", "GetHit"}, {"put-update", "PutUpdate"}}) {
            RunResult plain = find(c, Suite.OFF + ".tenantPlain" + row[1], Mode.AverageTime, null);
            RunResult dict = find(c, Suite.OFF + ".tenantDict" + row[1], Mode.AverageTime, null);
            sb.append("| ").append(row[0])
                .append(" | ").append(plain == null ? missing(c, "offstate") : timeCell(plain))
                .append(" | ").append(dict == null ? missing(c, "offstate") : timeCell(dict))
                .append(" | ").append(plainRatio(primary(dict), primary(plain)))
                .append(" | ").append(bytesCell(bytesPerOp(plain), true))
                .append(" | ").append(bytesCell(bytesPerOp(dict), true)).append(" |\n");
        }
        Double mp = metric(c, "memory.offstate-tenant-plain");
        Double md = metric(c, "memory.offstate-tenant-dict");
        sb.append("| memory B/entry | ").append(mp == null ? "n/a" : fmt(mp))
            .append(" | ").append(md == null ? "n/a" : fmt(md))
            .append(" | ").append(plainRatio(md, mp)).append(" | | |\n");
    }

    // ------------------------------------------------------------ growth

    private void renderGrowth(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append(" (SampleTime, ns; 16 B keys, 64 B values; store reset every"
            + " iteration)\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        sb.append("| peer | mean | p50 | p99 | p99.9 | p99.99 | max | samples | inserts/iteration (max)"
            + " | offstate/peer p50 | offstate/peer p99 | B/op |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        String[][] peers = {
            {"offstate (grows its index incrementally)", "offstateInsert", "offstate"},
            {"offstate with sorted index", "offstateSortedInsert", "offstate-sorted"},
            {"Chronicle Map (presized for the whole pool)", "chronicleInsert", "chronicle"},
            {"RocksDB (memtable; background flush/compaction)", "rocksDbInsert", "rocksdb"},
            {"HashMap (default capacity, rehashes)", "hashMapInsert", "hashmap"},
        };
        RunResult off = find(c, Suite.GROWTH + ".offstateInsert", Mode.SampleTime, null);
        if (off == null) {
            offstateMissing = true;
        }
        for (String[] p : peers) {
            RunResult r = find(c, Suite.GROWTH + "." + p[1], Mode.SampleTime, null);
            sb.append("| ").append(p[0]);
            if (r == null) {
                sb.append(" | ").append(missing(c, p[2])).append(" | | | | | | | | | | |\n");
                continue;
            }
            Statistics st = r.getPrimaryResult().getStatistics();
            sb.append(" | ").append(fmt(st.getMean()));
            for (double pc : PERCENTILES) {
                sb.append(" | ").append(fmt(st.getPercentile(pc)));
            }
            Double ins = metric(c, "growth.maxInsertsPerIteration." + p[2]);
            sb.append(" | ").append(fmt(st.getMax()))
                .append(" | ").append(String.format(Locale.ROOT, "%,d", st.getN()))
                .append(" | ").append(ins == null ? "n/a" : String.format(Locale.ROOT, "%,d", ins.longValue()));
            if (p[2].startsWith("offstate") || off == null) {
                sb.append(" | | ");
            } else {
                Statistics o = off.getPrimaryResult().getStatistics();
                sb.append(" | ").append(plainRatio(o.getPercentile(50), st.getPercentile(50)))
                    .append(" | ").append(plainRatio(o.getPercentile(99), st.getPercentile(99)));
                noteBehind(c, "put-insert p50", p[0].substring(0, p[0].indexOf(" (")),
                    o.getPercentile(50), st.getPercentile(50));
            }
            sb.append(" | ").append(bytesCell(bytesPerOp(r), p[2].startsWith("offstate"))).append(" |\n");
        }
    }

    // ------------------------------------------------------------ ordered scans

    /**
     * Ordered scans: offstate with its sorted index vs {@code TreeMap<byte[], byte[]>} (unsigned
     * comparator) vs RocksDB's iterator, per scan and per entry; the 1%-prefix scan against the full
     * scan; memory with the index; and the write cost of the index (put-update and delete+reinsert
     * from this case against the point case at the same size, put-insert from the growth case).
     */
    private void renderScans(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append(" (16 B keys, 64 B values; a one-byte prefix selects 1%)\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        String[] who = {Suite.OFF_SCAN, Suite.TREE_SCAN, Suite.RDB_SCAN};
        String[] keys = {"offstate", "treemap", "rocksdb"};
        sb.append("| workload | offstate (sorted index) | TreeMap | RocksDB iterator | offstate/TreeMap"
            + " | offstate/RocksDB | offstate B/op (per entry) |\n");
        sb.append("|---|---|---|---|---|---|---|\n");
        double[] perScan = {c.keys(), c.keys() / (double) ScanDataset.GROUPS, ScanDataset.RANGE_LENGTH};
        String[] labels = {"full scan", "1%-prefix scan", "100-key range scan"};
        Double[][] scores = new Double[3][3];
        for (int op = 0; op < 3; op++) {
            String m = Suite.SCAN_OPS.get(op);
            sb.append("| ").append(labels[op]).append(", µs per scan (ns per entry)");
            for (int p = 0; p < 3; p++) {
                RunResult r = find(c, who[p] + "." + m, Mode.AverageTime, null);
                scores[op][p] = primary(r);
                if (p == 0 && r == null) {
                    offstateMissing = true;
                }
                sb.append(" | ").append(r == null ? missing(c, keys[p])
                    : timeCell(r) + String.format(Locale.ROOT, " (%s)", fmt(primary(r) * 1000 / perScan[op])));
            }
            sb.append(" | ").append(plainRatio(scores[op][0], scores[op][1]))
                .append(" | ").append(ratioCell(scores[op][0], scores[op][2], 0.2))
                .append(" | ").append(scanBytesCell(bytesPerOp(find(c, Suite.OFF_SCAN + "." + m, Mode.AverageTime, null)),
                    perScan[op]))
                .append(" |\n");
            noteBehind(c, labels[op], "TreeMap", scores[op][0], scores[op][1]);
            noteBehind(c, labels[op], "RocksDB iterator", scores[op][0], scores[op][2]);
        }
        // the 1%-prefix scan should cost about 1% of the full scan: it touches only its keys
        sb.append("| 1%-prefix scan / full scan (ideal 0.010)");
        for (int p = 0; p < 3; p++) {
            Double full = scores[0][p];
            Double prefix = scores[1][p];
            if (p == 0) {
                sb.append(" | ").append(full == null || prefix == null ? "n/a" : prefixCell(prefix / full));
            } else {
                sb.append(" | ").append(full == null || prefix == null ? "n/a"
                    : String.format(Locale.ROOT, "%.4f", prefix / full));
            }
        }
        sb.append(" | | | |\n");
        Double mo = metric(c, "memory.offstate-sorted");
        Double mt = metric(c, "memory.treemap");
        Double mr = metric(c, "memory.rocksdb");
        sb.append("| memory B/entry | ").append(mo == null ? missing(c, "offstate") : fmt(mo))
            .append(" | ").append(mt == null ? missing(c, "treemap") : fmt(mt) + " (heap Δ, approx.)")
            .append(" | ").append(mr == null ? missing(c, "rocksdb") : fmt(mr) + " (block cache + table readers + memtables)")
            .append(" | ").append(plainRatio(mo, mt)).append(" | ").append(plainRatio(mo, mr)).append(" | |\n");

        // write cost of the index
        Suite.Case point = suite.cases.stream()
            .filter(x -> x.kind() == Suite.Kind.POINT && x.keys() == c.keys() && x.primaryShape()).findFirst().orElse(null);
        sb.append("\nWrite cost of the sorted index (offstate, same 16 B/64 B data set):\n\n");
        sb.append("| workload | without sorted index | with sorted index | with/without | with: B/op |\n");
        sb.append("|---|---|---|---|---|\n");
        for (String[] row : new String[][] {{"put-update, ns/op", "putUpdate"}, {"delete+reinsert, ns/op", "deleteReinsert"}}) {
            RunResult without = point == null ? null : find(point, Suite.OFF + "." + row[1], Mode.AverageTime, null);
            RunResult with = find(c, Suite.OFF + "." + row[1], Mode.AverageTime, null);
            sb.append("| ").append(row[0])
                .append(" | ").append(without == null ? "n/a (point case not run)" : timeCell(without))
                .append(" | ").append(with == null ? missing(c, "offstate") : timeCell(with))
                .append(" | ").append(plainRatio(primary(with), primary(without)))
                .append(" | ").append(bytesCell(bytesPerOp(with), true)).append(" |\n");
        }
        Suite.Case growth = suite.cases.stream().filter(x -> x.kind() == Suite.Kind.GROWTH).findFirst().orElse(null);
        if (growth != null) {
            RunResult without = find(growth, Suite.GROWTH + ".offstateInsert", Mode.SampleTime, null);
            RunResult with = find(growth, Suite.GROWTH + ".offstateSortedInsert", Mode.SampleTime, null);
            for (double pc : new double[] {50, 99}) {
                Double a = without == null ? null : without.getPrimaryResult().getStatistics().getPercentile(pc);
                Double b = with == null ? null : with.getPrimaryResult().getStatistics().getPercentile(pc);
                sb.append("| put-insert while growing, p").append((int) pc).append(" ns")
                    .append(" | ").append(a == null ? "n/a" : fmt(a))
                    .append(" | ").append(b == null ? missing(growth, "offstate") : fmt(b))
                    .append(" | ").append(plainRatio(b, a)).append(" | |\n");
            }
        }
        Double mp = metric(c, "memory.offstate-sorted-point");
        Double mplain = point == null ? null : metric(point, "memory.offstate");
        sb.append("| memory B/entry (point data set) | ").append(mplain == null ? "n/a" : fmt(mplain))
            .append(" | ").append(mp == null ? "n/a" : fmt(mp)).append(" | ").append(plainRatio(mp, mplain))
            .append(" | |\n");
    }

    /**
     * A scan's B/op, judged per entry scanned: a scan of a million entries that allocates nothing
     * per entry still shows the harness's few bytes per iteration divided by few operations.
     */
    private String scanBytesCell(Double bop, double entries) {
        if (bop == null) {
            return "n/a";
        }
        double perEntry = bop / entries;
        boolean ok = perEntry < ZERO_BYTES;
        count(ok);
        return String.format(Locale.ROOT, "%.3f (%.5f, 0 %s)", bop, perEntry, ok ? "PASS" : "MISS");
    }

    /** The prefix/full ratio, judged: about 1% means at most 1.5% (positioning adds a little). */
    private String prefixCell(double ratio) {
        boolean ok = ratio <= 0.015;
        count(ok);
        return String.format(Locale.ROOT, "%.4f (≈ 0.01, ≤ 0.015 %s)", ratio, ok ? "PASS" : "MISS");
    }

    // ------------------------------------------------------------ behind, notes

    private void noteBehind(Suite.Case c, String workload, String peer, Double off, Double other) {
        if (off != null && other != null && other > 0 && off / other > 1.0) {
            String where = c.kind() == Suite.Kind.POINT
                ? String.format(Locale.ROOT, "%,d keys, %d/%d B", c.keys(), c.keyLength(), c.valueLength())
                : c.id();
            behind.add(String.format(Locale.ROOT, "%s (%s): %.2f × %s", workload, where, off / other, peer));
        }
    }

    private void renderBehind(StringBuilder sb) {
        sb.append("\n## Where offstate is slower than a peer in this run (offstate/peer > 1)\n\n");
        if (behind.isEmpty()) {
            sb.append("Nowhere.\n");
            return;
        }
        for (String b : behind) {
            sb.append("- ").append(b).append('\n');
        }
    }

    private void renderNotes(StringBuilder sb) {
        List<String> notes = new ArrayList<>();
        for (Suite.Case c : suite.cases) {
            Path dir = side.resolve(c.id());
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.sorted().toList()) {
                    String name = p.getFileName().toString();
                    if (name.startsWith("note-") || name.startsWith("error-")) {
                        notes.add(c.id() + ", " + name.substring(0, name.length() - 4) + ": "
                            + Files.readString(p).trim().replace("\n", " / "));
                    }
                }
            } catch (IOException e) {
                notes.add(c.id() + ": cannot read side results: " + e);
            }
        }
        if (!notes.isEmpty()) {
            sb.append("\n## Notes and errors\n\n");
            for (String n : notes) {
                sb.append("- ").append(n).append('\n');
            }
        }
    }

    // ------------------------------------------------------------ lookups and cells

    private List<RunResult> results(Suite.Case c) {
        return results.getOrDefault(c.id(), List.of());
    }

    private RunResult find(Suite.Case c, String benchmark, Mode mode, String impl) {
        for (RunResult r : results(c)) {
            var p = r.getParams();
            if (p.getBenchmark().equals(PKG + benchmark) && p.getMode() == mode
                && (impl == null || impl.equals(p.getParam("impl")))) {
                return r;
            }
        }
        return null;
    }

    private Double score(Suite.Case c, String benchmark, Mode mode, String impl) {
        return primary(find(c, benchmark, mode, impl));
    }

    private static Double primary(RunResult r) {
        return r == null ? null : r.getPrimaryResult().getScore();
    }

    private static Double bytesPerOp(RunResult r) {
        if (r == null) {
            return null;
        }
        Result<?> a = r.getSecondaryResults().get("gc.alloc.rate.norm");
        return a == null ? null : a.getScore();
    }

    private Double metric(Suite.Case c, String name) {
        Path p = side.resolve(c.id()).resolve("metric-" + name + "@" + c.keys() + ".txt");
        if (!Files.isRegularFile(p)) {
            p = side.resolve(c.id()).resolve("metric-" + name + ".txt");
        }
        try {
            return Files.isRegularFile(p) ? Double.parseDouble(Files.readString(p).trim()) : null;
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** "missing: reason" for a peer without a result in case {@code c}. */
    private String missing(Suite.Case c, String key) {
        Path dir = side.resolve(c.id());
        for (String file : new String[] {"error-" + key + ".txt", "error-run.txt"}) {
            Path p = dir.resolve(file);
            if (Files.isRegularFile(p)) {
                try {
                    String first = Files.readString(p).trim().lines().findFirst().orElse("?");
                    first = first.replace("|", "/");
                    return "missing: " + (first.length() > 140 ? first.substring(0, 140) + "…" : first);
                } catch (IOException e) {
                    break;
                }
            }
        }
        return "missing: no result (the benchmark failed; see the JMH log)";
    }

    private static String timeCell(RunResult r) {
        Result<?> p = r.getPrimaryResult();
        double err = p.getScoreError();
        return Double.isNaN(err) || err == 0 ? fmt(p.getScore()) : fmt(p.getScore()) + " ± " + fmt(err);
    }

    private static String cellOrNa(RunResult r) {
        return r == null ? "n/a (no result)" : timeCell(r);
    }

    private String ratioCell(Double off, Double peer, double target) {
        if (off == null || peer == null || peer == 0) {
            return "n/a";
        }
        double r = off / peer;
        boolean ok = r <= target;
        count(ok);
        return String.format(Locale.ROOT, "%.2f (≤ %.2f %s)", r, target, ok ? "PASS" : "MISS");
    }

    private static String plainRatio(Double a, Double b) {
        return a == null || b == null || b == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", a / b);
    }

    private String bytesCell(Double bop, boolean judged) {
        if (bop == null) {
            return "n/a";
        }
        String v = String.format(Locale.ROOT, "%.3f", bop);
        if (!judged) {
            return v;
        }
        boolean ok = bop < ZERO_BYTES;
        count(ok);
        return v + (ok ? " (0 PASS)" : " (0 MISS)");
    }

    private void count(boolean ok) {
        if (ok) {
            pass++;
        } else {
            miss++;
        }
    }

    private static Double mbPerSecond(Double bytes, Double msPerOp) {
        return bytes == null || msPerOp == null || msPerOp == 0 ? null : bytes / 1e6 / (msPerOp / 1000.0);
    }

    private static String duration(Duration d) {
        return String.format(Locale.ROOT, "%dm%02ds", d.toMinutes(), d.toSecondsPart());
    }

    static String fmt(double v) {
        if (v >= 100_000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
