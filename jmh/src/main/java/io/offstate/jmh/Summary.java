package io.offstate.jmh;

import java.nio.file.Path;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.Statistics;

/**
 * Renders the main job's one summary from the JMH results and the side-channel files
 * ({@link Report}): per data-set shape a table of offstate's time and its ratio to each peer and to
 * the memory floor, offstate's B/op, memory per entry, latency percentiles, snapshot/restore
 * throughput; file-backed against in-memory get/put (and against Chronicle Map persisted), flush
 * cost against dirty chunks and open time against entries; then insert growth, ordered scans, value
 * reads through {@code ValueView.buffer()} against Agrona's UnsafeBuffer, get/put inside a
 * transaction against the store, commit latency and group commit against RocksDB's WriteBatch, the
 * window, session and versioned stores and windowed-count throughput against RocksDB with Kafka
 * Streams' layouts, and where offstate is behind. Targets from the
 * issue are judged PASS/MISS where they apply. A peer without a result is shown as
 * "missing: reason", never left out.
 */
final class Summary {
    private static final double[] PERCENTILES = {50, 99, 99.9, 99.99};

    /** A peer column: display name, benchmark class, error-file key, HashMap impl parameter (or null). */
    private record Peer(String name, String bench, String key, String impl) {
    }

    private static final Peer CHRONICLE = new Peer("Chronicle Map", Suite.CM, "chronicle", null);
    private static final Peer ROCKSDB = new Peer("RocksDB", Suite.RDB, "rocksdb", null);

    private final Suite suite;
    private final Measured measured;
    private final Cells cells = new Cells();
    private final Duration total;
    private final Map<String, Duration> took;
    private final String loadBefore;
    private final String loadAfter;
    private boolean offstateMissing;

    Summary(Suite suite, Map<String, List<RunResult>> results, Path side, Duration total, Map<String, Duration> took,
            String loadBefore, String loadAfter) {
        this.suite = suite;
        this.measured = new Measured(results, side);
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
            suite.scale.name().toLowerCase(Locale.ROOT), Cells.duration(total),
            ZonedDateTime.now().format(DateTimeFormatter.ISO_OFFSET_DATE_TIME),
            System.getProperty("java.runtime.version"), System.getProperty("java.vm.vendor"),
            System.getProperty("os.name"), System.getProperty("os.arch"),
            Runtime.getRuntime().availableProcessors(), loadBefore, loadAfter));
        if (suite.scale == Suite.Scale.SMOKE) {
            sb.append("- **smoke run: one unwarmed 100 ms iteration on a tiny data set; the numbers and verdicts"
                + " only show that every benchmark runs, they measure nothing**\n");
        }
        sb.append(String.format(Locale.ROOT, "- each benchmark: 1 fork, 1 thread, %d warmup%s + %d measured iterations"
                + " of %d ms; random keys in a precomputed shuffled access order; times are AverageTime ns/op"
                + " unless marked; ± is JMH's 99.9%% confidence half-width%n",
            suite.warmupIterations, suite.warmupIterations > 0 ? " (scans: 2 more)" : "",
            suite.measurementIterations, suite.iterationMillis));
        sb.append("- ratios are offstate / peer in this one run (below 1: offstate is faster); floor = one dependent"
            + " random 8-byte read in an off-heap segment of keys x (key + value + 16 B)"
            + " (MemoryFloorBenchmark.dependentRead); B/op = JMH -prof gc gc.alloc.rate.norm, < 1 counts as 0\n");
        sb.append("- offstate: a hash-only store (the default) unless marked; \"with sorted index\" adds"
            + " StoreOptions.sortedIndex(true); dictionary encoding has its own table\n");
        sb.append("- peers: Chronicle Map in-memory (persisted to a file in the file-backed tables), constant key/value sizes, allocation-free marshaller and query"
            + " contexts; RocksDB (rocksdbjni) direct ByteBuffer get/put/delete and iterator, no WAL, LRU block cache"
            + " holding the data, 10-bit Bloom filters, data-block hash index, no compression, bulk-loaded into the"
            + " bottom level; HashMap/ConcurrentHashMap of a byte[] wrapper with cached hash, presized, values stored"
            + " by reference; TreeMap<byte[], byte[]> with Arrays::compareUnsigned for scans;"
            + " delete = delete + re-put of the same key (the pair's time)\n");
        if (!took.isEmpty()) {
            sb.append("- time per case: ");
            sb.append(String.join(", ", took.entrySet().stream()
                .map(e -> e.getKey() + " " + Cells.duration(e.getValue())).toList())).append('\n');
        }
        for (Suite.Case c : suite.cases) {
            switch (c.kind()) {
                case POINT -> renderPoint(sb, c);
                case GROWTH -> renderGrowth(sb, c);
                case SCANS -> renderScans(sb, c);
                case FILE -> renderFile(sb, c);
                case FLUSH_OPEN -> renderFlushOpen(sb, c);
                case BUFFER -> renderBuffer(sb, c);
                case TX -> renderTx(sb, c);
                case COMMIT -> renderCommit(sb, c);
                case WINDOW -> renderWindow(sb, c);
                case TIME -> renderTime(sb, c);
                case STREAMS -> renderStreams(sb, c);
                case BATCHED -> renderBatched(sb, c);
                case CHECKPOINT -> renderCheckpoint(sb, c);
                case RECOVERY -> renderRecovery(sb, c);
            }
        }
        renderBehind(sb);
        renderNotes(sb);
        sb.append(String.format(Locale.ROOT, "%n**Targets: %d PASS, %d MISS.**%n", cells.pass(), cells.miss()));
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
        Double floor = Measured.primary(measured.find(c, Suite.FLOOR + ".dependentRead", Mode.AverageTime, null));
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
            RunResult off = measured.find(c, Suite.OFF + "." + m, Mode.AverageTime, null);
            if (off == null) {
                offstateMissing = true;
            }
            Double offScore = Measured.primary(off);
            sb.append("| ").append(row[0]).append(" | ").append(off == null ? measured.missing(c, "offstate") : Cells.time(off));
            List<Double> peerScores = new ArrayList<>();
            for (Peer p : peers) {
                RunResult r = measured.find(c, p.bench + "." + m, Mode.AverageTime, p.impl);
                String cell = r == null ? measured.missing(c, p.key) : Cells.time(r);
                Double s = Measured.primary(r);
                if (p == ROCKSDB && m.equals("getHit")) {
                    // the faster of RocksDB's two Java read paths
                    RunResult arr = measured.find(c, Suite.RDB + ".getHitArray", Mode.AverageTime, null);
                    if (arr != null && (s == null || Measured.primary(arr) < s)) {
                        s = Measured.primary(arr);
                        cell = Cells.time(arr) + " (byte[] path)";
                    }
                }
                peerScores.add(s);
                sb.append(" | ").append(cell);
            }
            for (int i = 0; i < peers.size(); i++) {
                Peer p = peers.get(i);
                String target = p == CHRONICLE ? row[2] : p.impl != null && p.impl.equals("HashMap") ? row[3] : "";
                sb.append(" | ").append(target.isEmpty()
                    ? Cells.plainRatio(offScore, peerScores.get(i))
                    : cells.ratio(offScore, peerScores.get(i), Double.parseDouble(target)));
                cells.noteBehind(where(c), row[0], p.name, offScore, peerScores.get(i));
            }
            sb.append(" | ").append(Cells.plainRatio(offScore, floor))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(off), true)).append(" |\n");
        }

        // memory per entry
        Double mo = measured.metric(c, "memory.offstate");
        sb.append("| memory B/entry | ");
        if (mo == null) {
            sb.append(measured.missing(c, "offstate"));
        } else {
            sb.append(cells.memory(mo, c.primaryShape()));
        }
        List<Double> mems = new ArrayList<>();
        for (Peer p : peers) {
            Double m = measured.metric(c, "memory." + p.key);
            mems.add(m);
            String how = p == ROCKSDB ? " (block cache + table readers + memtables)"
                : p == CHRONICLE ? " (off-heap)" : " (heap Δ, approx.)";
            sb.append(" | ").append(m == null ? measured.missing(c, p.key) : Cells.fmt(m) + how);
        }
        for (int i = 0; i < peers.size(); i++) {
            sb.append(" | ").append(Cells.plainRatio(mo, mems.get(i)));
        }
        sb.append(" | | |\n");

        // notes under the table
        sb.append('\n');
        Double sst = measured.metric(c, "memory.rocksdb-sst");
        if (sst != null) {
            sb.append("- RocksDB memory is its own accounting (rocksdb.block-cache-usage + estimate-table-readers-mem"
                + " + cur-size-all-mem-tables) after the load and one full scan; its SST files take ")
                .append(Cells.fmt(sst)).append(" B/entry on disk (and in the OS page cache once read).\n");
        }
        RunResult arr = measured.find(c, Suite.RDB + ".getHitArray", Mode.AverageTime, null);
        RunResult dir = measured.find(c, Suite.RDB + ".getHit", Mode.AverageTime, null);
        if (arr != null && dir != null) {
            sb.append("- RocksDB get-hit by read path: direct ByteBuffers ").append(Cells.time(dir))
                .append(" ns, byte[] into a preallocated array ").append(Cells.time(arr))
                .append(" ns; the table shows the faster.\n");
        }
        sb.append("- Peers' allocation, B/op (get-hit / get-miss / put-update / delete+reinsert):");
        for (Peer p : peers) {
            sb.append(' ').append(p.name).append(' ');
            List<String> allocations = new ArrayList<>();
            for (String m : Suite.POINT_OPS) {
                RunResult r = measured.find(c, p.bench + "." + m, Mode.AverageTime, p.impl);
                allocations.add(c.benchmarks().contains(p.bench + "." + m) ? cells.bytes(Measured.bytesPerOp(r), false) : "-");
            }
            sb.append(String.join(" / ", allocations)).append(';');
        }
        sb.setLength(sb.length() - 1);
        sb.append(".\n");
        sb.append("- Memory floor: dependent random read ")
            .append(Cells.timeOrNa(measured.find(c, Suite.FLOOR + ".dependentRead", Mode.AverageTime, null))).append(" ns");
        RunResult independent = measured.find(c, Suite.FLOOR + ".independentRead", Mode.AverageTime, null);
        if (independent != null) {
            sb.append("; independent random reads (overlapping misses) ").append(Cells.time(independent)).append(" ns");
        }
        sb.append(".\n");

        renderPercentiles(sb, c, peers);
        renderSnapshots(sb, c);
        renderDictionary(sb, c);
    }

    private void renderPercentiles(StringBuilder sb, Suite.Case c, List<Peer> peers) {
        boolean any = measured.results(c).stream().anyMatch(r -> r.getParams().getMode() == Mode.SampleTime);
        if (!any) {
            return;
        }
        sb.append("\n### Latency percentiles (SampleTime, ns; beyond p99 this shared machine dominates)\n\n");
        sb.append("| workload | who | mean | p50 | p99 | p99.9 | p99.99 | samples | offstate/who p50 | offstate/who p99 |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        RunResult floorRun = measured.find(c, Suite.FLOOR + ".dependentRead", Mode.SampleTime, null);
        for (String m : Suite.SAMPLED_OPS) {
            String label = m.equals("getHit") ? "get-hit" : "put-update";
            RunResult off = measured.find(c, Suite.OFF + "." + m, Mode.SampleTime, null);
            percentileRow(sb, c, label, "offstate", "offstate", off, null);
            for (Peer p : peers) {
                percentileRow(sb, c, label, p.name, p.key, measured.find(c, p.bench + "." + m, Mode.SampleTime, p.impl), off);
            }
            percentileRow(sb, c, label, "floor (dependent read)", "floor", floorRun, off);
        }
    }

    private void percentileRow(StringBuilder sb, Suite.Case c, String label, String who, String key, RunResult r,
                               RunResult off) {
        sb.append("| ").append(label).append(" | ").append(who);
        if (r == null) {
            sb.append(" | ").append(measured.missing(c, key)).append(" | | | | | | | |\n");
            return;
        }
        Statistics st = r.getPrimaryResult().getStatistics();
        sb.append(" | ").append(Cells.fmt(st.getMean()));
        for (double pc : PERCENTILES) {
            sb.append(" | ").append(Cells.fmt(st.getPercentile(pc)));
        }
        sb.append(" | ").append(String.format(Locale.ROOT, "%,d", st.getN()));
        if (off == null) {
            sb.append(" | | |\n");
            return;
        }
        Statistics o = off.getPrimaryResult().getStatistics();
        sb.append(" | ").append(Cells.plainRatio(o.getPercentile(50), st.getPercentile(50)))
            .append(" | ").append(Cells.plainRatio(o.getPercentile(99), st.getPercentile(99))).append(" |\n");
    }

    private void renderSnapshots(StringBuilder sb, Suite.Case c) {
        RunResult snap = measured.find(c, Suite.SNAP + ".snapshot", Mode.AverageTime, null);
        RunResult rest = measured.find(c, Suite.SNAP + ".restore", Mode.AverageTime, null);
        RunResult copy = measured.find(c, Suite.FLOOR + ".copy", Mode.AverageTime, null);
        if (!c.benchmarks().contains(Suite.SNAP + ".snapshot")) {
            return;
        }
        Double bytes = measured.metric(c, "snapshot.bytes");
        Double copyBytes = measured.metric(c, "floor.copyBytes");
        sb.append("\n### Snapshot and restore throughput (offstate; ms/op; the peer is the hardware: one memcpy)\n\n");
        sb.append("| operation | offstate ms/op | offstate MB/s | offstate M entries/s | floor: memcpy ms/op | floor MB/s"
            + " | offstate/floor (time per byte) | offstate B/op |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        Double copyMBs = Cells.mbPerSecond(copyBytes, Measured.primary(copy));
        for (String op : List.of("snapshot", "restore")) {
            if (!c.benchmarks().contains(Suite.SNAP + "." + op)) {
                continue;
            }
            RunResult r = op.equals("snapshot") ? snap : rest;
            String label = op.equals("snapshot") ? "snapshot (+ close)" : "restore";
            sb.append("| ").append(label).append(" | ");
            if (r == null) {
                sb.append(measured.missing(c, "offstate")).append(" | | | ");
            } else {
                Double ms = Measured.primary(r);
                Double mbs = Cells.mbPerSecond(bytes, ms);
                sb.append(Cells.time(r)).append(" | ").append(mbs == null ? "n/a" : Cells.fmt(mbs))
                    .append(" | ").append(String.format(Locale.ROOT, "%.1f", c.keys() / (ms / 1000.0) / 1e6)).append(" | ");
            }
            sb.append(copy != null ? Cells.time(copy)
                    : c.benchmarks().contains(Suite.FLOOR + ".copy") ? measured.missing(c, "floor") : "not run")
                .append(" | ").append(copyMBs == null ? "n/a" : Cells.fmt(copyMBs))
                .append(" | ").append(Cells.plainRatio(copyMBs, Cells.mbPerSecond(bytes, Measured.primary(r))))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(r), false)).append(" |\n");
        }
        if (bytes != null) {
            sb.append(String.format(Locale.ROOT, "%nSnapshot size %s MB (offstate's memoryUsed); memcpy floor copies %s MB.%n",
                Cells.fmt(bytes / 1e6), copyBytes == null ? "n/a" : Cells.fmt(copyBytes / 1e6)));
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
            RunResult plain = measured.find(c, Suite.OFF + ".tenantPlain" + row[1], Mode.AverageTime, null);
            RunResult dict = measured.find(c, Suite.OFF + ".tenantDict" + row[1], Mode.AverageTime, null);
            sb.append("| ").append(row[0])
                .append(" | ").append(plain == null ? measured.missing(c, "offstate") : Cells.time(plain))
                .append(" | ").append(dict == null ? measured.missing(c, "offstate") : Cells.time(dict))
                .append(" | ").append(Cells.plainRatio(Measured.primary(dict), Measured.primary(plain)))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(plain), true))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(dict), true)).append(" |\n");
        }
        Double mp = measured.metric(c, "memory.offstate-tenant-plain");
        Double md = measured.metric(c, "memory.offstate-tenant-dict");
        sb.append("| memory B/entry | ").append(mp == null ? "n/a" : Cells.fmt(mp))
            .append(" | ").append(md == null ? "n/a" : Cells.fmt(md))
            .append(" | ").append(Cells.plainRatio(md, mp)).append(" | | |\n");
    }

    // ------------------------------------------------------------ file-backed stores

    /**
     * offstate file-backed against in memory (same JMH run, same data set) and against Chronicle Map
     * persisted to a file: get-hit, get-miss, put-update, with offstate's file-backed B/op judged
     * against 0, and the bytes per entry each keeps.
     */
    private void renderFile(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append("\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        sb.append("| workload | offstate in memory | offstate file-backed | file/memory | Chronicle Map persisted"
            + " | offstate file/Chronicle Map persisted | offstate file B/op | offstate memory B/op"
            + " | Chronicle Map persisted B/op |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        String[][] rows = {{"get-hit", "getHit"}, {"get-miss", "getMiss"}, {"put-update", "putUpdate"}};
        for (String[] row : rows) {
            RunResult mem = measured.find(c, Suite.OFF + "." + row[1], Mode.AverageTime, "backing", "memory");
            RunResult file = measured.find(c, Suite.OFF + "." + row[1], Mode.AverageTime, "backing", "file");
            RunResult cm = measured.find(c, Suite.CM + "." + row[1], Mode.AverageTime, "persisted", "true");
            if (mem == null || file == null) {
                offstateMissing = true;
            }
            Double f = Measured.primary(file);
            Double cmScore = Measured.primary(cm);
            sb.append("| ").append(row[0])
                .append(" | ").append(mem == null ? measured.missing(c, "offstate") : Cells.time(mem))
                .append(" | ").append(file == null ? measured.missing(c, "offstate") : Cells.time(file))
                .append(" | ").append(Cells.plainRatio(f, Measured.primary(mem)))
                .append(" | ").append(cm == null ? measured.missing(c, "chronicle") : Cells.time(cm))
                .append(" | ").append(Cells.plainRatio(f, cmScore))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(file), true))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(mem), false))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(cm), false)).append(" |\n");
            cells.noteBehind(where(c), row[0], "Chronicle Map persisted", f, cmScore);
        }
        Double mo = measured.metric(c, "memory.offstate");
        Double disk = measured.metric(c, "disk.offstate");
        Double cmMem = measured.metric(c, "memory.chronicle-persisted");
        sb.append("| bytes per entry | ").append(mo == null ? "n/a" : Cells.fmt(mo) + " (memoryUsed)")
            .append(" | ").append(disk == null ? "n/a" : Cells.fmt(disk) + " (directory, disk blocks)")
            .append(" | ").append(Cells.plainRatio(disk, mo))
            .append(" | ").append(cmMem == null ? "n/a" : Cells.fmt(cmMem) + " (offHeapMemoryUsed: its file)")
            .append(" | ").append(Cells.plainRatio(disk, cmMem)).append(" | | | |\n");

        Suite.Case point = suite.cases.stream().filter(x -> x.kind() == Suite.Kind.POINT && x.keys() == c.keys()
            && x.keyLength() == c.keyLength() && x.valueLength() == c.valueLength()).findFirst().orElse(null);
        sb.append('\n');
        if (point != null) {
            List<String> inMemory = new ArrayList<>();
            for (String[] row : rows) {
                RunResult r = measured.find(point, Suite.CM + "." + row[1], Mode.AverageTime, null);
                inMemory.add(row[0] + " " + Cells.timeOrNa(r));
            }
            sb.append("- For reference, Chronicle Map in memory in the point case (another JMH run): ")
                .append(String.join(", ", inMemory)).append(" ns.\n");
        }
        sb.append("- Both offstate columns come from this one JMH run (same data set, same access order, forks one"
            + " after the other). File-backed: KeyValueStore.open on a fresh directory, loaded, flushed once, then"
            + " measured: gets read clean, privately mapped file pages (page cache); put-update's first write to"
            + " a page after the flush copies it (private copy-on-write, in the warmup), so the measured"
            + " put-update is the write into private pages plus dirty-chunk tracking; flushing them is the flush"
            + " table's cost. Nothing is flushed while measuring.\n");
        sb.append("- Chronicle Map persisted: createPersistedTo(file), a shared mapping: its writes reach the page"
            + " cache at once and the kernel writes them back when it likes (no flush, no atomic commit, no crash"
            + " consistency), so the pair compares access paths, not durability.\n");
    }

    /**
     * Flush time against dirty chunks (per flush, per chunk, marginal per chunk over the empty flush)
     * and open time against entries, judged: the median open of the largest store within 1.5x of
     * the smallest's (the issue: open time must not grow with entries).
     */
    private void renderFlushOpen(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append("\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        sb.append(String.format(Locale.ROOT, "SingleShotTime: one timed call per iteration, %d untimed + %d timed per"
            + " fork; ± is JMH's 99.9%% confidence half-width over the timed calls.%n%n", suite.singleShotWarmup,
            suite.singleShotIterations));
        sb.append(String.format(Locale.ROOT, "### flush() against dirty 4 KiB chunks (%,d keys, 16 B keys, 64 B values)%n%n",
            c.keys()));
        sb.append("| dirty chunks (K puts) | chunks written (counted) | flush µs | flush µs, median | µs per dirty chunk"
            + " | marginal µs per chunk (over K = 0) | MB/s of chunks | B/op |\n");
        sb.append("|---|---|---|---|---|---|---|---|\n");
        Double empty = Measured.primary(measured.find(c, Suite.FILE + ".flush", Mode.SingleShotTime, "dirtyChunks", "0"));
        for (int k : suite.dirtyChunks) {
            RunResult r = measured.find(c, Suite.FILE + ".flush", Mode.SingleShotTime, "dirtyChunks", Integer.toString(k));
            if (r == null) {
                offstateMissing = true;
            }
            Double min = measured.metric(c, "flush.dirtyChunks." + k);
            Double max = measured.metric(c, "flush.dirtyChunksMax." + k);
            Double us = Measured.primary(r);
            double chunks = min == null ? k : (min + (max == null ? min : max)) / 2;
            sb.append("| ").append(k == 0 ? "0 (empty flush: metadata only)" : Integer.toString(k))
                .append(" | ").append(min == null ? "n/a" : max == null || min.equals(max) ? count(min)
                    : count(min) + "-" + count(max))
                .append(" | ").append(r == null ? measured.missing(c, "offstate") : Cells.time(r))
                .append(" | ").append(r == null ? "" : Cells.fmt(median(r)));
            if (k == 0 || us == null) {
                sb.append(" | | | ");
            } else {
                sb.append(" | ").append(Cells.fmt(us / chunks))
                    .append(" | ").append(empty == null ? "n/a" : Cells.fmt((us - empty) / chunks))
                    .append(" | ").append(Cells.fmt(chunks * 4096 / us));
            }
            sb.append(" | ").append(cells.bytes(Measured.bytesPerOp(r), false)).append(" |\n");
        }
        sb.append("\n- Before each timed flush, an untimed setup overwrites the values of K entries at least 8 KiB"
            + " apart (the puts and their copy-on-write faults are not timed); an entry that straddles a chunk"
            + " boundary dirties two, hence the counted chunks. A flush writes each chunk twice (journal, then in"
            + " place), forces both, and maps every written region again.\n");

        sb.append("\n### KeyValueStore.open of a flushed directory against entries (16 B keys, 64 B values)\n\n");
        sb.append("| entries | directory MB (disk) | open ms | open ms, median | first get after open µs (median / max)"
            + " | open B/op |\n");
        sb.append("|---|---|---|---|---|---|\n");
        Double smallest = null;
        Double largest = null;
        for (int n : suite.openKeys) {
            RunResult r = measured.find(c, Suite.FILE + ".open", Mode.SingleShotTime, "openKeys", Integer.toString(n));
            if (r == null) {
                offstateMissing = true;
            }
            Double bytes = measured.metric(c, "open.diskBytes@" + n);
            Double get = measured.metric(c, "open.firstGetMicros@" + n);
            Double getMax = measured.metric(c, "open.firstGetMicrosMax@" + n);
            sb.append(String.format(Locale.ROOT, "| %,d", n))
                .append(" | ").append(bytes == null ? "n/a" : Cells.fmt(bytes / 1e6))
                .append(" | ").append(r == null ? measured.missing(c, "offstate") : msTime(r))
                .append(" | ").append(r == null ? "" : Cells.fmt(median(r) / 1000))
                .append(" | ").append(get == null ? "n/a" : Cells.fmt(get) + " / " + (getMax == null ? "n/a" : Cells.fmt(getMax)))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(r), false)).append(" |\n");
            Double ms = r == null ? null : median(r);
            if (smallest == null) {
                smallest = ms;
            }
            largest = ms;
        }
        if (suite.openKeys.size() > 1) {
            int a = suite.openKeys.get(0);
            int b = suite.openKeys.get(suite.openKeys.size() - 1);
            sb.append(String.format(Locale.ROOT, "| open time %,d / %,d entries, medians (target: flat, ≤ 1.5) | | | %s | | |%n",
                b, a, smallest == null || largest == null ? "n/a" : cells.openRatio(largest / smallest)));
        }
        sb.append("\n- Each fork builds its directory once (untimed) and closes it (a flush); each timed open is"
            + " followed by an untimed get of a present key, timed alone with System.nanoTime() (\"first get\": it"
            + " faults in the fresh mappings' slot and entry pages), and a close without flush. The JVM and the"
            + " page cache are warm: this is the store's own cost, not class loading or disk reads.\n");
    }

    private static String count(double n) {
        return String.format(Locale.ROOT, "%,d", Math.round(n));
    }

    /** The median of a result's samples: a single stalled fsync on a shared disk moves the mean. */
    private static double median(RunResult r) {
        return r.getPrimaryResult().getStatistics().getPercentile(50);
    }

    /** A SingleShotTime result in µs, shown in ms. */
    private static String msTime(RunResult r) {
        double score = r.getPrimaryResult().getScore() / 1000;
        double err = r.getPrimaryResult().getScoreError() / 1000;
        return Double.isNaN(err) || err == 0 ? Cells.fmt(score) : Cells.fmt(score) + " ± " + Cells.fmt(err);
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
        RunResult off = measured.find(c, Suite.GROWTH + ".offstateInsert", Mode.SampleTime, null);
        if (off == null) {
            offstateMissing = true;
        }
        for (String[] p : peers) {
            RunResult r = measured.find(c, Suite.GROWTH + "." + p[1], Mode.SampleTime, null);
            sb.append("| ").append(p[0]);
            if (r == null) {
                sb.append(" | ").append(measured.missing(c, p[2])).append(" | | | | | | | | | | |\n");
                continue;
            }
            Statistics st = r.getPrimaryResult().getStatistics();
            sb.append(" | ").append(Cells.fmt(st.getMean()));
            for (double pc : PERCENTILES) {
                sb.append(" | ").append(Cells.fmt(st.getPercentile(pc)));
            }
            Double ins = measured.metric(c, "growth.maxInsertsPerIteration." + p[2]);
            sb.append(" | ").append(Cells.fmt(st.getMax()))
                .append(" | ").append(String.format(Locale.ROOT, "%,d", st.getN()))
                .append(" | ").append(ins == null ? "n/a" : String.format(Locale.ROOT, "%,d", ins.longValue()));
            if (p[2].startsWith("offstate") || off == null) {
                sb.append(" | | ");
            } else {
                Statistics o = off.getPrimaryResult().getStatistics();
                sb.append(" | ").append(Cells.plainRatio(o.getPercentile(50), st.getPercentile(50)))
                    .append(" | ").append(Cells.plainRatio(o.getPercentile(99), st.getPercentile(99)));
                String peer = p[0].substring(0, p[0].indexOf(" ("));
                cells.noteBehind(where(c), "put-insert p50", peer, o.getPercentile(50), st.getPercentile(50));
                cells.noteBehind(where(c), "put-insert p99", peer, o.getPercentile(99), st.getPercentile(99));
            }
            sb.append(" | ").append(cells.bytes(Measured.bytesPerOp(r), false)).append(" |\n");
        }
        sb.append("\nB/op here is not judged: in SampleTime mode JMH's own sample bookkeeping and the per-iteration"
            + " store reset are divided by fewer operations; offstate's put paths are judged in the point tables"
            + " (put-update, delete+reinsert).\n");
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
                RunResult r = measured.find(c, who[p] + "." + m, Mode.AverageTime, null);
                scores[op][p] = Measured.primary(r);
                if (p == 0 && r == null) {
                    offstateMissing = true;
                }
                sb.append(" | ").append(r == null ? measured.missing(c, keys[p])
                    : Cells.time(r) + String.format(Locale.ROOT, " (%s)", Cells.fmt(Measured.primary(r) * 1000 / perScan[op])));
            }
            sb.append(" | ").append(Cells.plainRatio(scores[op][0], scores[op][1]))
                .append(" | ").append(cells.ratio(scores[op][0], scores[op][2], 0.2))
                .append(" | ").append(cells.scanBytes(Measured.bytesPerOp(measured.find(c, Suite.OFF_SCAN + "." + m, Mode.AverageTime, null)),
                    perScan[op]))
                .append(" |\n");
            cells.noteBehind(where(c), labels[op], "TreeMap", scores[op][0], scores[op][1]);
            cells.noteBehind(where(c), labels[op], "RocksDB iterator", scores[op][0], scores[op][2]);
        }
        // the 1%-prefix scan should cost about 1% of the full scan: it touches only its keys
        sb.append("| 1%-prefix scan / full scan (ideal 0.010)");
        for (int p = 0; p < 3; p++) {
            Double full = scores[0][p];
            Double prefix = scores[1][p];
            if (p == 0) {
                sb.append(" | ").append(full == null || prefix == null ? "n/a" : cells.prefixRatio(prefix / full));
            } else {
                sb.append(" | ").append(full == null || prefix == null ? "n/a"
                    : String.format(Locale.ROOT, "%.4f", prefix / full));
            }
        }
        sb.append(" | | | |\n");
        Double mo = measured.metric(c, "memory.offstate-sorted");
        Double mt = measured.metric(c, "memory.treemap");
        Double mr = measured.metric(c, "memory.rocksdb");
        sb.append("| memory B/entry | ").append(mo == null ? measured.missing(c, "offstate") : Cells.fmt(mo))
            .append(" | ").append(mt == null ? measured.missing(c, "treemap") : Cells.fmt(mt) + " (heap Δ, approx.)")
            .append(" | ").append(mr == null ? measured.missing(c, "rocksdb") : Cells.fmt(mr) + " (block cache + table readers + memtables)")
            .append(" | ").append(Cells.plainRatio(mo, mt)).append(" | ").append(Cells.plainRatio(mo, mr)).append(" | |\n");

        // write cost of the index
        Suite.Case point = suite.cases.stream()
            .filter(x -> x.kind() == Suite.Kind.POINT && x.keys() == c.keys() && x.primaryShape()).findFirst().orElse(null);
        sb.append("\nWrite cost of the sorted index (offstate, same 16 B/64 B data set):\n\n");
        sb.append("| workload | without sorted index | with sorted index | with/without | with: B/op |\n");
        sb.append("|---|---|---|---|---|\n");
        for (String[] row : new String[][] {{"put-update, ns/op", "putUpdate"}, {"delete+reinsert, ns/op", "deleteReinsert"}}) {
            RunResult without = point == null ? null : measured.find(point, Suite.OFF + "." + row[1], Mode.AverageTime, null);
            RunResult with = measured.find(c, Suite.OFF + "." + row[1], Mode.AverageTime, null);
            sb.append("| ").append(row[0])
                .append(" | ").append(without == null ? "n/a (point case not run)" : Cells.time(without))
                .append(" | ").append(with == null ? measured.missing(c, "offstate") : Cells.time(with))
                .append(" | ").append(Cells.plainRatio(Measured.primary(with), Measured.primary(without)))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(with), true)).append(" |\n");
        }
        Suite.Case growth = suite.cases.stream().filter(x -> x.kind() == Suite.Kind.GROWTH).findFirst().orElse(null);
        if (growth != null) {
            RunResult without = measured.find(growth, Suite.GROWTH + ".offstateInsert", Mode.SampleTime, null);
            RunResult with = measured.find(growth, Suite.GROWTH + ".offstateSortedInsert", Mode.SampleTime, null);
            for (double pc : new double[] {50, 99}) {
                Double a = without == null ? null : without.getPrimaryResult().getStatistics().getPercentile(pc);
                Double b = with == null ? null : with.getPrimaryResult().getStatistics().getPercentile(pc);
                sb.append("| put-insert while growing, p").append((int) pc).append(" ns")
                    .append(" | ").append(a == null ? "n/a" : Cells.fmt(a))
                    .append(" | ").append(b == null ? measured.missing(growth, "offstate") : Cells.fmt(b))
                    .append(" | ").append(Cells.plainRatio(b, a)).append(" | |\n");
            }
        }
        Double mp = measured.metric(c, "memory.offstate-sorted-point");
        Double mplain = point == null ? null : measured.metric(point, "memory.offstate");
        sb.append("| memory B/entry (point data set) | ").append(mplain == null ? "n/a" : Cells.fmt(mplain))
            .append(" | ").append(mp == null ? "n/a" : Cells.fmt(mp)).append(" | ").append(Cells.plainRatio(mp, mplain))
            .append(" | |\n");
    }

    // ------------------------------------------------------------ value reads through buffer()

    /**
     * {@link ValueBufferBenchmark} per store size: ns/op of each reader with and without the get,
     * SegmentBuffer over UnsafeBuffer (the cost of its per-read checks) and over raw segment reads,
     * SegmentBuffer's B/op judged against 0, the others' B/op.
     */
    private void renderBuffer(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append(" (16 B keys, 64 B values, hash-only store)\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        sb.append("| keys | operation | SegmentBuffer (buffer()) | UnsafeBuffer (wrap(address)) | ValueView.getLong"
            + " | raw segment | SegmentBuffer/UnsafeBuffer | SegmentBuffer/segment | SegmentBuffer B/op"
            + " | B/op UnsafeBuffer / getLong / segment |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        String[][] rows = {
            // label, then the methods in column order
            {"get-hit + 8 getLong", "segmentBuffer", "unsafeBuffer", "valueView", "segment"},
            {"8 getLong, no get (reread)", "rereadSegmentBuffer", "rereadUnsafeBuffer", "rereadValueView", "rereadSegment"},
        };
        String[] keys = {"offstate", "unsafe", "offstate", "offstate"};
        for (int k : suite.bufferKeys) {
            for (String[] row : rows) {
                RunResult[] r = new RunResult[4];
                sb.append(String.format(Locale.ROOT, "| %,d | %s", k, row[0]));
                for (int i = 0; i < 4; i++) {
                    r[i] = measured.find(c, Suite.BUF + "." + row[i + 1], Mode.AverageTime, "keys", Integer.toString(k));
                    if (r[i] == null && i != 1) {
                        offstateMissing = true;
                    }
                    sb.append(" | ").append(r[i] == null ? measured.missing(c, keys[i]) : Cells.time(r[i]));
                }
                Double seg = Measured.primary(r[0]);
                sb.append(" | ").append(Cells.plainRatio(seg, Measured.primary(r[1])))
                    .append(" | ").append(Cells.plainRatio(seg, Measured.primary(r[3])))
                    .append(" | ").append(cells.bytes(Measured.bytesPerOp(r[0]), true))
                    .append(" | ").append(cells.bytes(Measured.bytesPerOp(r[1]), false))
                    .append(" / ").append(cells.bytes(Measured.bytesPerOp(r[2]), false))
                    .append(" / ").append(cells.bytes(Measured.bytesPerOp(r[3]), false)).append(" |\n");
                cells.noteBehind(String.format(Locale.ROOT, "buffer, %,d keys", k), "SegmentBuffer " + row[0],
                    "UnsafeBuffer", seg, Measured.primary(r[1]));
            }
        }
        sb.append("\n- SegmentBuffer: view.buffer(), then getLong(i) through the view's MemorySegment, each read"
            + " checking that the store is open, owned by this thread and not written since the get. UnsafeBuffer:"
            + " Agrona's, re-pointed by raw address (what buffer() returned before issue 13: unchecked, a SIGSEGV"
            + " after close). ValueView.getLong: the view's own checked accessor. Raw segment: view.memory().get"
            + " (JAVA_LONG_UNALIGNED) with no staleness check, the floor for reading through a segment.\n");
        sb.append("- get-hit rows: a random present key per operation, then the value's 8 longs (the lookup's"
            + " cache misses dominate); reread rows: the view is filled once at setup, so the ratio there is"
            + " the per-read cost of the checks.\n");
    }

    // ------------------------------------------------------------ transactions

    /**
     * {@link TransactionBenchmark}: each call inside a transaction against the same call on the
     * store (same run, same keys), the get judged against at most 1.3x, the transaction's B/op
     * against 0; begin+abort with its allocation, not judged.
     */
    private void renderTx(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append(" (ns/op, AverageTime)\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        sb.append("| operation | on the store | inside a transaction | transaction/store | transaction B/op | store B/op |\n");
        sb.append("|---|---|---|---|---|---|\n");
        String[][] rows = {
            // label, store method, transaction method, target ("" = none)
            {"get-hit (the key is not among the " + TransactionBenchmark.PENDING + " pending writes)", "storeGetHit",
                "txGetHit", "1.3"},
            {"get-miss (absent from the store and the pending writes)", "storeGetMiss", "txGetMiss", ""},
            {"put-update (staged; the transaction overwrites the access sequence's keys)", "storePut", "txPut", ""},
            {"put-update into a transaction of " + TransactionBenchmark.SMALL + " keys", "storePut", "txPutSmall", ""},
        };
        for (String[] row : rows) {
            RunResult store = measured.find(c, Suite.TX + "." + row[1], Mode.AverageTime, null);
            RunResult tx = measured.find(c, Suite.TX + "." + row[2], Mode.AverageTime, null);
            if (store == null || tx == null) {
                offstateMissing = true;
            }
            Double t = Measured.primary(tx);
            Double st = Measured.primary(store);
            sb.append("| ").append(row[0])
                .append(" | ").append(store == null ? measured.missing(c, "offstate") : Cells.time(store))
                .append(" | ").append(tx == null ? measured.missing(c, "offstate") : Cells.time(tx))
                .append(" | ").append(row[3].isEmpty() ? Cells.plainRatio(t, st) : cells.ratio(t, st, Double.parseDouble(row[3])))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(tx), true))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(store), false)).append(" |\n");
        }
        RunResult ba = measured.find(c, Suite.TX + ".beginAbort", Mode.AverageTime, null);
        sb.append("| begin + abort of an empty transaction | | ").append(ba == null ? measured.missing(c, "offstate") : Cells.time(ba))
            .append(" | | ").append(cells.bytes(Measured.bytesPerOp(ba), false)).append(" (not judged) | |\n");
        Double pending = measured.metric(c, "tx.putPendingWrites");
        sb.append("\n- All rows from one JMH run on one loaded store (hash-only, in memory), the point benchmarks' data set and"
            + " access order. The get's transaction holds ").append(TransactionBenchmark.PENDING)
            .append(" pending puts of keys never probed: each get looks in the pending writes (the transaction's"
                + " staging store), misses, then reads the store.\n");
        sb.append("- The put's transaction is never committed; it overwrites the access sequence's keys, so its pending"
            + " writes stop growing after the first pass (the warmup)")
            .append(pending == null ? "" : String.format(Locale.ROOT, ": %,d pending entries at the end", pending.longValue()))
            .append(". A pending put writes a staging store with a sorted index, the store put writes the hash-only"
                + " store.\n");
        sb.append("- begin + abort of a plain Transaction.begin(store) creates and frees its staging store; a partition's"
            + " transactions (the next table) reuse theirs.\n");
    }

    // ------------------------------------------------------------ commits

    /**
     * Commit latency per writes/commit and log policy against RocksDB's WriteBatch with the nearest
     * durability (mean, p50, p99 of SampleTime), and group-commit throughput per thread count;
     * ratios are offstate/RocksDB time per commit.
     */
    private void renderCommit(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append("\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        sb.append("### Commit latency (SampleTime, µs per commit: begin, stage the writes, commit)\n\n");
        sb.append("| writes/commit | offstate log policy | offstate mean | p50 | p99 | RocksDB WriteBatch | RocksDB mean"
            + " | p50 | p99 | offstate/RocksDB mean | offstate/RocksDB p50 | offstate B/op |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        String[][] pairs = {
            // offstate policy, label, RocksDB wal, label
            {"EVERY_COMMIT", "EVERY_COMMIT (fsync per commit)", "sync", "sync (setSync(true))"},
            {"INTERVAL", "INTERVAL (fsync every 10 ms)", "wal", "WAL, not synced"},
            {"NEVER", "NEVER (to the OS only)", "wal", "WAL, not synced"},
            {"NEVER", "NEVER (to the OS only)", "nowal", "no WAL (setDisableWAL(true))"},
        };
        for (int w : Suite.COMMIT_WRITES) {
            for (String[] pair : pairs) {
                RunResult off = measured.findWith(c, Suite.COMMIT + ".commit", Mode.SampleTime, "writes",
                    Integer.toString(w), "durability", pair[0]);
                RunResult rdb = measured.findWith(c, Suite.RDB_COMMIT + ".commit", Mode.SampleTime, "writes",
                    Integer.toString(w), "wal", pair[2]);
                if (off == null) {
                    offstateMissing = true;
                }
                sb.append("| ").append(w).append(" | ").append(pair[1]);
                latencyCells(sb, c, off, "offstate");
                sb.append(" | ").append(pair[3]);
                latencyCells(sb, c, rdb, "rocksdb");
                Double a = Measured.primary(off);
                Double b = Measured.primary(rdb);
                sb.append(" | ").append(Cells.plainRatio(a, b))
                    .append(" | ").append(Cells.plainRatio(percentile(off, 50), percentile(rdb, 50)))
                    .append(" | ").append(cells.bytes(Measured.bytesPerOp(off), false)).append(" |\n");
                cells.noteBehind(w + " writes/commit", "commit " + pair[0], "RocksDB " + pair[3], a, b);
            }
        }
        sb.append("\n- offstate: a StateManager with one store definition and partition 0 (a file-backed store), loaded with"
            + " the data set through transactions and flushed; a commit (partition.begin(), the puts, commit(8 bytes of"
            + " input positions)) encodes one batch into the manager's write-ahead log, waits for durability per the"
            + " policy, then applies it. Default checkpointing (flush once 256 MiB of log are unflushed)");
        List<String> flushes = new ArrayList<>();
        for (int w : Suite.COMMIT_WRITES) {
            for (String d : Suite.DURABILITIES) {
                Double f = measured.metric(c, "commit.flushes." + d + "." + w);
                if (f != null) {
                    flushes.add(String.format(Locale.ROOT, "%s/%d: %d", d, w, f.longValue()));
                }
            }
        }
        if (!flushes.isEmpty()) {
            sb.append("; flushes per fork, the setup's included (policy/writes): ").append(String.join(", ", flushes));
        }
        sb.append(".\n- RocksDB: configured as in the point tables, bulk-loaded with the same data set;"
            + " db.write(WriteOptions, WriteBatch) with the same puts. \"WAL, not synced\" survives a process crash like"
            + " NEVER and is weaker than INTERVAL; \"no WAL\" is not durable at all: RocksDB's speed limit. Before"
            + " measuring, both setups run sync(1), so the measured fsyncs do not wait for the setup's writeback.\n");
        sb.append("- B/op for offstate is per commit (begin + writes + commit), not judged: the transaction object, its"
            + " plan cursors and the positions' copies.\n");

        sb.append("\n### Group commit: fsync per commit, one put per commit, each thread its own store, one shared log"
            + " (Throughput, commits/s over all threads)\n\n");
        sb.append("| threads | offstate commits/s | RocksDB sync commits/s | offstate/RocksDB time per commit"
            + " | offstate vs 1 thread | RocksDB vs 1 thread | offstate B/op |\n");
        sb.append("|---|---|---|---|---|---|---|\n");
        Double off1 = null;
        Double rdb1 = null;
        for (int t : Suite.GROUP_THREADS) {
            RunResult off = measured.find(c, Suite.GROUP + ".commit" + t, Mode.Throughput, null);
            RunResult rdb = measured.find(c, Suite.RDB_COMMIT + ".syncCommit" + t, Mode.Throughput, null);
            if (off == null) {
                offstateMissing = true;
            }
            Double a = Measured.primary(off);
            Double b = Measured.primary(rdb);
            if (t == Suite.GROUP_THREADS.getFirst()) {
                off1 = a;
                rdb1 = b;
            }
            sb.append("| ").append(t)
                .append(" | ").append(off == null ? measured.missing(c, "offstate") : Cells.time(off))
                .append(" | ").append(rdb == null ? measured.missing(c, "rocksdb") : Cells.time(rdb))
                .append(" | ").append(Cells.plainRatio(b, a))
                .append(" | ").append(Cells.plainRatio(a, off1))
                .append(" | ").append(Cells.plainRatio(b, rdb1))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(off), false)).append(" |\n");
            if (a != null && b != null && a > 0 && b > 0) {
                cells.noteBehind(t + " threads", "group commit (time per commit)", "RocksDB sync", 1 / a, 1 / b);
            }
        }
        sb.append("\n- offstate: one StateManager (EVERY_COMMIT); each JMH thread assigns its own partition on that thread"
            + " (so it owns it) and commits one put per transaction; the partitions share the manager's log, and commits"
            + " waiting at the same time share one fsync. RocksDB: one database, each thread db.write(sync, a one-put WriteBatch) to its own keys"
            + " (RocksDB's write group shares the WAL fsync). Each thread writes its own ")
            .append(String.format(Locale.ROOT, "%,d", GroupCommitBenchmark.KEYS))
            .append(" keys (16 B, 64 B values), inserting on the first pass. The machine has ")
            .append(Runtime.getRuntime().availableProcessors()).append(" cores.\n");
    }

    private void latencyCells(StringBuilder sb, Suite.Case c, RunResult r, String key) {
        if (r == null) {
            sb.append(" | ").append(measured.missing(c, key)).append(" | | ");
            return;
        }
        sb.append(" | ").append(Cells.time(r))
            .append(" | ").append(Cells.fmt(percentile(r, 50)))
            .append(" | ").append(Cells.fmt(percentile(r, 99)));
    }

    private static Double percentile(RunResult r, double p) {
        return r == null ? null : r.getPrimaryResult().getStatistics().getPercentile(p);
    }

    // ------------------------------------------------------------ window store

    /**
     * {@link WindowStoreBenchmark} against {@link RocksDbWindowBenchmark}: time per operation and per
     * window (entry) it touches, offstate/RocksDB, B/op of both; put and the one-key and key-range
     * fetches judged against 0 B/op, fetchAll per entry; the expiry of a segment per expired entry.
     */
    private void renderWindow(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append(" (ns/op, AverageTime)\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        int perRange = WindowDataset.RANGE_KEYS * WindowDataset.WINDOWS;
        pairTable(sb, c, "window", Suite.WINDOW, Suite.RDB_WINDOW, new String[][] {
            // label, method, windows per op ("keys": the data set's keys), how offstate's B/op is judged
            {"put-update of the newest window, commit / WriteBatch every " + WindowDataset.PUTS_PER_COMMIT, "put", "1",
                "op"},
            {"fetch(key, 0, stream time)", "fetchKey", Integer.toString(WindowDataset.WINDOWS), "op"},
            {"fetch(keyFrom, keyTo, 0, stream time), " + WindowDataset.RANGE_KEYS + " keys", "fetchKeyRange",
                Integer.toString(perRange), "op"},
            {"fetchAll(start, start + 1 min - 1): one segment", "fetchAll", "keys", "entry"},
            {"expire a segment (sweep / dropColumnFamily)", "expireSegment", "keys", ""},
        });
        Double mo = measured.metric(c, "window.memory.offstate");
        Double mr = measured.metric(c, "window.memory.rocksdb");
        sb.append(String.format(Locale.ROOT, "| memory B/window | | %s | %s (block cache + table readers + memtables) | %s"
                + " | | | | |%n", mo == null ? measured.missing(c, "offstate") : Cells.fmt(mo),
            mr == null ? measured.missing(c, "rocksdb") : Cells.fmt(mr), Cells.plainRatio(mo, mr)));
        sb.append(String.format(Locale.ROOT, "%n- Data: %,d random 16 B keys x %d windows (starts 0, 10, ... 50 min),"
                + " 64 B values; window size 1 min, retention 1 h, segment interval 10 min: one window per key per"
                + " segment, stream time 50 min, everything live. Operations in the data set's shuffled key order;"
                + " key ranges are %d keys consecutive in byte order.%n", c.keys(), WindowDataset.WINDOWS,
            WindowDataset.RANGE_KEYS));
        sb.append("- offstate: WindowStore on an in-memory KeyValueStore with a sorted index; reads through a reusable"
            + " WindowCursor on committed state (tx = null); puts in a Transaction.reusable(store) committed every ")
            .append(WindowDataset.PUTS_PER_COMMIT).append(" puts and restarted (put's time and B/op include 1/")
            .append(WindowDataset.PUTS_PER_COMMIT).append(" of a commit + restart).\n");
        sb.append("- RocksDB: configured as in the point tables (block cache holding the data, Bloom filters, no"
            + " compression), one column family per segment, keys [key][window start 8 B BE][seq 4 B BE], WAL"
            + " disabled (as Kafka Streams), each loaded segment flushed to an SST file; puts into a WriteBatch written"
            + " every ").append(WindowDataset.PUTS_PER_COMMIT).append(" puts; fetches seek one reusable iterator per"
            + " live segment under an iterate upper bound, keys and values copied into direct buffers. Driven from"
            + " Java without Kafka Streams' own wrappers and per-fetch iterators: a lower bound for Kafka Streams'"
            + " RocksDB window store.\n");
        sb.append("- Expiry: 7 live segments; an untimed per-invocation setup writes the next segment (")
            .append(String.format(Locale.ROOT, "%,d", c.keys()))
            .append(" windows; RocksDB also flushes it), which puts the oldest behind the horizon; measured: offstate's"
                + " restart + sweep(tx, MAX_VALUE) + commit of a reusable transaction, RocksDB's dropColumnFamily + handle close (file deletion may"
                + " happen later in the background). ns/window = per expired entry; the B/op of both include the"
                + " untimed setup's writes.\n");
    }

    /**
     * Rows of offstate's {@code off} benchmark against the RocksDB peer {@code rdb}: time per
     * operation and per {@code unit} it touches, offstate/RocksDB, B/op of both. A row is {label,
     * method, units per op (a number, or "keys": the case's keys), how offstate's B/op is judged
     * ("op": 0 B/op, "entry": 0 per unit, else not judged)}; a missing offstate result marks the run.
     */
    private void pairTable(StringBuilder sb, Suite.Case c, String unit, String off, String rdb, String[][] rows) {
        sb.append("| operation | ").append(unit).append("s/op | offstate | RocksDB (Kafka layout) | offstate/RocksDB"
            + " | offstate ns/").append(unit).append(" | RocksDB ns/").append(unit).append(" | offstate B/op | RocksDB B/op |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        for (String[] row : rows) {
            RunResult o = measured.find(c, off + "." + row[1], Mode.AverageTime, null);
            RunResult r = measured.find(c, rdb + "." + row[1], Mode.AverageTime, null);
            if (o == null) {
                offstateMissing = true;
            }
            double per = row[2].equals("keys") ? c.keys() : Double.parseDouble(row[2]);
            Double a = Measured.primary(o);
            Double b = Measured.primary(r);
            String offBytes = switch (row[3]) {
                case "op" -> cells.bytes(Measured.bytesPerOp(o), true);
                case "entry" -> cells.scanBytes(Measured.bytesPerOp(o), per);
                default -> cells.bytes(Measured.bytesPerOp(o), false) + " (not judged)";
            };
            sb.append("| ").append(row[0])
                .append(" | ").append(String.format(Locale.ROOT, "%,.0f", per))
                .append(" | ").append(o == null ? measured.missing(c, "offstate") : Cells.time(o))
                .append(" | ").append(r == null ? measured.missing(c, "rocksdb") : Cells.time(r))
                .append(" | ").append(Cells.plainRatio(a, b))
                .append(" | ").append(a == null ? "n/a" : Cells.fmt(a / per))
                .append(" | ").append(b == null ? "n/a" : Cells.fmt(b / per))
                .append(" | ").append(offBytes)
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(r), false)).append(" |\n");
            cells.noteBehind(c.id(), unit + " " + row[1], "RocksDB (Kafka layout)", a, b);
        }
    }

    /** One "memory B/entry" line under a table: offstate's and RocksDB's metric and their ratio. */
    private void memoryLine(StringBuilder sb, Suite.Case c, String what, String metric) {
        Double mo = measured.metric(c, metric + ".offstate");
        Double mr = measured.metric(c, metric + ".rocksdb");
        sb.append(String.format(Locale.ROOT, "%n- memory per %s: offstate %s B, RocksDB %s B (block cache + table"
                + " readers + memtables), offstate/RocksDB %s%n", what,
            mo == null ? measured.missing(c, "offstate") : Cells.fmt(mo),
            mr == null ? measured.missing(c, "rocksdb") : Cells.fmt(mr), Cells.plainRatio(mo, mr)));
    }

    // ------------------------------------------------------------ session, versioned, windowed count

    /**
     * {@link SessionStoreBenchmark}, {@link VersionedStoreBenchmark} and {@link WindowedCountBenchmark}
     * against their RocksDB peers, one table each; the count also as records/s.
     */
    private void renderTime(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append(" (ns/op, AverageTime)\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        sb.append("### Session store\n\n");
        pairTable(sb, c, "session", Suite.SESSION, Suite.RDB_SESSION, new String[][] {
            {"put-update of the newest session, commit / WriteBatch every " + WindowDataset.PUTS_PER_COMMIT, "put", "1",
                "op"},
            {"findSessions(key, 0, stream time): one per segment", "findSessions", Integer.toString(WindowDataset.WINDOWS),
                "op"},
        });
        memoryLine(sb, c, "session", "session.memory");
        sb.append(String.format(Locale.ROOT, "- Data: %,d random 16 B keys x %d sessions [w x 10 min, w x 10 min + 5 min],"
                + " 64 B aggregates; retention 1 h, segment interval 10 min (segments by session end), stream time 55 min,"
                + " everything live. RocksDB: Kafka Streams' session layout [key][end 8][start 8], one column family per"
                + " segment; find = Kafka's findSessions (every segment from that of earliestEnd on, seek under an"
                + " upper bound, end/start checked per entry).%n%n", c.keys(), WindowDataset.WINDOWS));

        sb.append("### Versioned store\n\n");
        pairTable(sb, c, "lookup", Suite.VERSIONED, Suite.RDB_VERSIONED, new String[][] {
            {"get(key, asOf = stream time): the latest version", "getLatest", "1", "op"},
            {"get(key, asOf in the history): one of 5 older versions", "getAsOf", "1", "op"},
        });
        memoryLine(sb, c, "version", "versioned.memory");
        sb.append(String.format(Locale.ROOT, "- Data: %,d random 16 B keys x %d versions (0, 10, ... 50 min), 64 B values;"
                + " history retention 1 h, all readable. RocksDB modelled on Kafka Streams' RocksDBVersionedStore: a"
                + " latest-value column family [key] -> [validFrom][value] and segments by validTo (10 min) keyed"
                + " [key][validTo] -> [validFrom][value], one entry per version (Kafka packs a key's versions of a segment"
                + " into one value): latest get, then one seek per segment from that of asOf on. A lower bound for Kafka's"
                + " cost.%n%n", c.keys(), WindowDataset.VERSIONS));

        sb.append("### Windowed count throughput (one op = one record)\n\n");
        pairTable(sb, c, "record", Suite.COUNT, Suite.RDB_COUNT, new String[][] {
            {"tumbling 1 min, count", "tumbling", "1", "op"},
            {"hopping 1 min / 15 s (4 windows per record), count", "hopping", "1", "op"},
        });
        sb.append("\n| windows | offstate records/s | RocksDB records/s | offstate/RocksDB (throughput) |\n|---|---|---|---|\n");
        for (String m : Suite.COUNT_OPS) {
            Double a = Measured.primary(measured.find(c, Suite.COUNT + "." + m, Mode.AverageTime, null));
            Double b = Measured.primary(measured.find(c, Suite.RDB_COUNT + "." + m, Mode.AverageTime, null));
            Double ra = a == null ? null : 1e9 / a;
            Double rb = b == null ? null : 1e9 / b;
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s |%n", m,
                ra == null ? measured.missing(c, "offstate") : String.format(Locale.ROOT, "%,.0f", ra),
                rb == null ? measured.missing(c, "rocksdb") : String.format(Locale.ROOT, "%,.0f", rb),
                Cells.plainRatio(ra, rb)));
        }
        sb.append(String.format(Locale.ROOT, "%n- Stream: record n has the key of access n %% k (k = %,d keys in turn) and a"
                + " timestamp advancing evenly, %d records of each key per 1-min window, in order, grace 0; 1.5 windows of"
                + " records processed and checked before measuring. A commit (offstate: reusable transaction; RocksDB:"
                + " WriteBatch, WAL off) every %d records. offstate: WindowedAggregation with Aggregators.count(), emit on"
                + " close, closed windows emitted and deleted, maxClosesPerCall %d (every due window closes with the"
                + " record that makes it due). RocksDB: Kafka's KStreamWindowAggregate steps on its window"
                + " layout [key][start][seq], per window a get, +1, a put of [ts][count] into the batch; retention = size"
                + " (1 min), 1-min segments dropped whole behind it; no record cache, no downstream forwarding.%n",
            WindowDataset.countKeys(Keys.accessLength(c.keys())), WindowDataset.COUNT_PER_KEY_WINDOW,
            WindowDataset.PUTS_PER_COMMIT, WindowDataset.COUNT_CLOSES_PER_CALL));
    }

    // ------------------------------------------------------------ batched lookups (issue 19)

    /**
     * getAll per key against Chronicle Map's single get-hit from the same JMH run (target: at most
     * 0.15), against offstate's own get-hit and the memory floors, with B/op judged against 0.
     */
    private void renderBatched(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append(" (ns per key)\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        RunResult cm = measured.find(c, Suite.CM + ".getHit", Mode.AverageTime, null);
        RunResult single = measured.find(c, Suite.OFF + ".getHit", Mode.AverageTime, null);
        RunResult independent = measured.find(c, Suite.FLOOR + ".independentRead", Mode.AverageTime, null);
        Double cmScore = Measured.primary(cm);
        Double singleScore = Measured.primary(single);
        Double floor = Measured.primary(independent);
        sb.append("| workload | offstate ns/key | ÷ Chronicle Map get-hit | ÷ offstate get-hit | ÷ independent-read floor"
            + " | B/op (per key) |\n|---|---|---|---|---|---|\n");
        String[][] rows = {
            // label, method, Chronicle target ("" = none)
            {"getAll, 16 present keys", "getAll16", "0.15"},
            {"getAll, 64 present keys", "getAll64", "0.15"},
            {"getAll, 16 keys, every other absent", "getAll16Mixed", ""},
            {"16 single gets (same harness)", "getLoop16", ""},
        };
        for (String[] row : rows) {
            RunResult r = measured.find(c, Suite.BATCHED + "." + row[1], Mode.AverageTime, null);
            if (r == null) {
                offstateMissing = true;
            }
            Double score = Measured.primary(r);
            sb.append("| ").append(row[0]).append(" | ").append(r == null ? measured.missing(c, "offstate") : Cells.time(r))
                .append(" | ").append(row[2].isEmpty() ? Cells.plainRatio(score, cmScore)
                    : cells.ratio(score, cmScore, Double.parseDouble(row[2])))
                .append(" | ").append(Cells.plainRatio(score, singleScore))
                .append(" | ").append(Cells.plainRatio(score, floor))
                .append(" | ").append(cells.bytes(Measured.bytesPerOp(r), true)).append(" |\n");
        }
        sb.append("| offstate get-hit (one get) | ").append(single == null ? measured.missing(c, "offstate") : Cells.time(single))
            .append(" | ").append(Cells.plainRatio(singleScore, cmScore)).append(" | 1.00 | ")
            .append(Cells.plainRatio(singleScore, floor)).append(" | ").append(cells.bytes(Measured.bytesPerOp(single), false))
            .append(" |\n");
        sb.append("| Chronicle Map get-hit | ").append(cm == null ? measured.missing(c, "chronicle") : Cells.time(cm))
            .append(" | 1.00 | | | ").append(cells.bytes(Measured.bytesPerOp(cm), false)).append(" |\n");
        sb.append("\n- Memory floor in this run: dependent random read ")
            .append(Cells.timeOrNa(measured.find(c, Suite.FLOOR + ".dependentRead", Mode.AverageTime, null)))
            .append(" ns, independent random reads ").append(Cells.timeOrNa(independent)).append(" ns.\n");
        sb.append("- getAll(byte[][] keys, ValueView[] views) of the next 16 or 64 keys of the shuffled access order"
            + " (precomputed batches of key copies), then each view's value read as get-hit reads it (getLong(0),"
            + " length()); scores are per key (@OperationsPerInvocation). A lookup costs two dependent cache misses"
            + " (index slot, entry); getAll pipelines groups of keys so that independent keys' misses overlap.\n");
    }

    // ------------------------------------------------------------ Kafka Streams topology

    /**
     * {@link StreamsTopologyBenchmark} with Kafka's RocksDB stores and with offstate's: records/s, the
     * throughput ratio (target: offstate at least 2x RocksDB, i.e. ns/record at most 0.5x) and the
     * process memory at the end of each fork.
     */
    private void renderStreams(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append(" (one op = one record)\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        RunResult off = measured.find(c, Suite.STREAMS + ".record", Mode.AverageTime, "store", "offstate");
        RunResult rdb = measured.find(c, Suite.STREAMS + ".record", Mode.AverageTime, "store", "rocksdb");
        Double a = Measured.primary(off);
        Double b = Measured.primary(rdb);
        sb.append("| stores | ns/record | records/s | records in the fork | RSS at the end (MiB) | heap used (MiB) |\n"
            + "|---|---|---|---|---|---|\n");
        for (String store : Suite.STREAMS_STORES) {
            RunResult r = store.equals("offstate") ? off : rdb;
            Double ns = Measured.primary(r);
            Double records = measured.metric(c, "streams.records." + store);
            Double rss = measured.metric(c, "streams.rss." + store);
            Double heap = measured.metric(c, "streams.heap." + store);
            sb.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s | %s |%n", store,
                r == null ? measured.missing(c, store) : Cells.time(r),
                ns == null ? "n/a" : String.format(Locale.ROOT, "%,.0f", 1e9 / ns),
                records == null ? "n/a" : String.format(Locale.ROOT, "%,.0f", records),
                rss == null || rss < 0 ? "n/a" : String.format(Locale.ROOT, "%,.0f", rss / (1 << 20)),
                heap == null ? "n/a" : String.format(Locale.ROOT, "%,.0f", heap / (1 << 20))));
        }
        sb.append("\n| stores | read p50 | read p99 | read p99.9 | write p50 | write p99 | write p99.9 (ns, 1 in 64 calls timed) |\n"
            + "|---|---|---|---|---|---|---|\n");
        for (String store : Suite.STREAMS_STORES) {
            sb.append("| ").append(store);
            for (String op : new String[] {"read", "write"}) {
                for (String p : new String[] {"50.0", "99.0", "99.9"}) {
                    Double v = measured.metric(c, "streams." + op + ".p" + p + "." + store);
                    sb.append(" | ").append(v == null || v < 0 ? "n/a" : Cells.fmt(v));
                }
            }
            sb.append(" |\n");
        }
        sb.append(String.format(Locale.ROOT, "%n- offstate/RocksDB throughput: %s (target ≥ 2); offstate/RocksDB ns/record: %s%n",
            a == null || b == null ? "n/a" : Cells.plainRatio(1e9 / a, 1e9 / b), cells.ratio(a, b, 0.5)));
        sb.append(String.format(Locale.ROOT, "- Topology: groupByKey().count() and groupByKey().windowedBy(1-min"
                + " tumbling, no grace).count() on one input stream, changelogs disabled, no sink, record cache off"
                + " (statestore.cache.max.bytes=0); stores from dsl.store.suppliers.class (Kafka's"
                + " RocksDBDslStoreSuppliers, the default, vs OffstateDslStoreSuppliers, file-backed), state dir in a"
                + " temporary directory. Input: String keys from a space of %,d in a fixed random order, 8 B values,"
                + " event time +1 ms every %d records, in order; %,d records processed before measuring."
                + " TopologyTestDriver commits after every record; both stores manage their offsets (KIP-1035):"
                + " RocksDB puts them in its memtable, offstate records them and makes a commit durable (a journaled"
                + " flush) only every %,d changelog offsets or 10 s. Read/write latencies: the DSL's calls on the"
                + " stores (StreamsTimedStores wraps both sides' suppliers). RSS = VmRSS of the fork at its end,"
                + " the whole JVM, not the stores alone.%n",
            c.keys(), StreamsTopologyBenchmark.RECORDS_PER_MS,
            Math.min(StreamsTopologyBenchmark.PREFILL, 10L * c.keys()), 10_000));
    }

    // ------------------------------------------------------------ changelog recovery and commit (issue 17)

    private void renderRecovery(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append("\n\n");
        String file = c.keys() == 0 ? "changelog-commit.md" : "recovery.md";
        String text = measured.sideFile(c, file);
        sb.append(text == null ? "No result (see the notes and errors below).\n" : text.strip() + "\n");
        if (c.keys() > 0) {
            Double ratio = measured.metric(c, "recovery.ratio");
            sb.append(String.format(Locale.ROOT, "%n- offstate / Kafka Streams (RocksDB) restore rate: %s%n",
                cells.rateRatio(ratio, 3.0)));
            cells.noteBehindRate(String.format(Locale.ROOT, "%,d records", c.keys()), "changelog recovery time",
                "Kafka Streams into RocksDB", ratio);
        }
    }

    // ------------------------------------------------------------ checkpoints (issue 16)

    private void renderCheckpoint(StringBuilder sb, Suite.Case c) {
        sb.append("\n## ").append(c.title()).append("\n\n");
        if (c.skipped() != null) {
            sb.append("Skipped: ").append(c.skipped()).append(".\n");
            return;
        }
        Double rawBytes = measured.metric(c, "checkpoint.rawBytes");
        Double storedBytes = measured.metric(c, "checkpoint.storedBytes");
        sb.append(String.format(Locale.ROOT, "SingleShotTime: one timed call per iteration, %d untimed + %d timed per"
            + " fork, ms; ± is JMH's 99.9%% confidence half-width. Image: %s MB raw, %s MB stored (LZ4 ratio %s).%n%n",
            suite.singleShotWarmup, suite.singleShotIterations,
            rawBytes == null ? "n/a" : Cells.fmt(rawBytes / 1e6), storedBytes == null ? "n/a" : Cells.fmt(storedBytes / 1e6),
            rawBytes == null || storedBytes == null ? "n/a" : String.format(Locale.ROOT, "%.3f", storedBytes / rawBytes)));
        sb.append("| operation | offstate ms | GB/s (raw bytes) | floor ms | floor GB/s | offstate/floor |\n"
            + "|---|---|---|---|---|---|\n");
        RunResult full = measured.find(c, Suite.CHECKPOINT + ".full", Mode.SingleShotTime, null);
        checkpointRow(sb, c, "full checkpoint (pin + publish)", full,
            measured.find(c, Suite.CHECKPOINT + ".fullFloor", Mode.SingleShotTime, null), rawBytes);
        checkpointRow(sb, c, "restore into a new store",
            measured.find(c, Suite.CHECKPOINT + ".restore", Mode.SingleShotTime, null),
            measured.find(c, Suite.CHECKPOINT + ".restoreFloor", Mode.SingleShotTime, null), rawBytes);
        sb.append("\n| incremental, keys overwritten | ms | raw MB carried | ÷ full checkpoint (time) |\n|---|---|---|---|\n");
        Double fullMs = Measured.primary(full);
        for (String pct : Suite.CHECKPOINT_DIRTY) {
            RunResult r = measured.find(c, Suite.CHECKPOINT_INC + ".incremental", Mode.SingleShotTime, "dirtyPercent", pct);
            Double carried = measured.metric(c, "checkpoint.incrementalRawBytes." + pct);
            Double ms = Measured.primary(r);
            sb.append("| ").append(pct).append(" % | ").append(r == null ? measured.missing(c, "offstate") : Cells.time(r))
                .append(" | ").append(carried == null ? "n/a" : Cells.fmt(carried / 1e6))
                .append(" | ").append(pct.equals("1") ? cells.ratio(ms, fullMs, 0.03) : Cells.plainRatio(ms, fullMs))
                .append(" |\n");
        }
        RunResult idle = measured.find(c, Suite.CHECKPOINT_PUT + ".put", Mode.SampleTime, "during", "idle");
        RunResult busy = measured.find(c, Suite.CHECKPOINT_PUT + ".put", Mode.SampleTime, "during", "checkpoint");
        sb.append("\n| writer put (SampleTime, ns) | p50 | p99 | p99.9 | ÷ idle p99 |\n|---|---|---|---|---|\n");
        for (RunResult r : new RunResult[] {idle, busy}) {
            String label = r == idle ? "no checkpoint" : "full checkpoints back to back";
            if (r == null) {
                sb.append("| ").append(label).append(" | ").append(measured.missing(c, "offstate")).append(" | | | |\n");
                continue;
            }
            var st = r.getPrimaryResult().getStatistics();
            sb.append("| ").append(label).append(" | ").append(Cells.fmt(st.getPercentile(50)))
                .append(" | ").append(Cells.fmt(st.getPercentile(99))).append(" | ").append(Cells.fmt(st.getPercentile(99.9)))
                .append(" | ").append(r == idle || idle == null ? "" : cells.ratio(st.getPercentile(99),
                    idle.getPrimaryResult().getStatistics().getPercentile(99), 2.0))
                .append(" |\n");
        }
        Double taken = measured.metric(c, "checkpoint.duringPuts");
        sb.append(String.format(Locale.ROOT, "%n- Data set: %s (CheckpointDataset: 13 B keys user:%%08d, 90-110 B"
                + " JSON-like values with random fields, loaded in key order), an in-memory store; checkpoints to a"
                + " local directory under java.io.tmpdir (each block its own forced file, then the manifest)."
                + " Full-checkpoint floor: memcpy of the same image bytes + LZ4 (lz4-java fast, 1 MiB blocks) + one"
                + " sequential forced write. Restore floor: reading the checkpoint's blocks + LZ4 decompression +"
                + " memcpy into one segment. Incremental: a full checkpoint, then a contiguous range of that percent"
                + " of the keys overwritten, untimed; the timed call pins and publishes the incremental one."
                + " Put with checkpoints: the benchmark thread pins the next full checkpoint inside the timed put that"
                + " finds the previous one published, a background thread publishes it (%s checkpoints in the fork).%n",
            String.format(Locale.ROOT, "%,d entries", c.keys()), taken == null ? "n/a" : String.format(Locale.ROOT, "%.0f", taken)));
    }

    private void checkpointRow(StringBuilder sb, Suite.Case c, String label, RunResult off, RunResult floor, Double raw) {
        Double a = Measured.primary(off);
        Double b = Measured.primary(floor);
        sb.append("| ").append(label).append(" | ").append(off == null ? measured.missing(c, "offstate") : Cells.time(off))
            .append(" | ").append(a == null || raw == null ? "n/a" : String.format(Locale.ROOT, "%.2f", raw / 1e6 / a))
            .append(" | ").append(floor == null ? measured.missing(c, "floor") : Cells.time(floor))
            .append(" | ").append(b == null || raw == null ? "n/a" : String.format(Locale.ROOT, "%.2f", raw / 1e6 / b))
            .append(" | ").append(cells.ratio(a, b, 1.5)).append(" |\n");
    }

    // ------------------------------------------------------------ behind, notes

    /** Where a case is, for the list of places offstate is behind. */
    private static String where(Suite.Case c) {
        return switch (c.kind()) {
            case POINT -> String.format(Locale.ROOT, "%,d keys, %d/%d B", c.keys(), c.keyLength(), c.valueLength());
            case FILE -> String.format(Locale.ROOT, "%,d keys, %d/%d B, file-backed", c.keys(), c.keyLength(),
                c.valueLength());
            default -> c.id();
        };
    }

    private void renderBehind(StringBuilder sb) {
        sb.append("\n## Where offstate is slower than a peer in this run (offstate/peer > 1)\n\n");
        if (cells.behind().isEmpty()) {
            sb.append("Nowhere.\n");
            return;
        }
        for (String b : cells.behind()) {
            sb.append("- ").append(b).append('\n');
        }
    }

    private void renderNotes(StringBuilder sb) {
        List<String> notes = measured.notes(suite.cases);
        if (!notes.isEmpty()) {
            sb.append("\n## Notes and errors\n\n");
            for (String n : notes) {
                sb.append("- ").append(n).append('\n');
            }
        }
    }
}
