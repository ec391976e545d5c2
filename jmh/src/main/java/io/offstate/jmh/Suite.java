package io.offstate.jmh;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What one run of the {@link MainJob} measures: its scale (smoke, quick, full), the iteration
 * settings, and the cases. A case is one JMH run with one set of parameters: a data-set size and
 * shape with the benchmarks that run on it, the insert-growth benchmarks, the ordered scans, the
 * file-backed get/put (offstate in memory and file-backed, Chronicle Map persisted), flush and
 * open of file-backed stores (single calls, {@link OffstateFileBenchmark}), or reading a value
 * through {@code ValueView.buffer()} against Agrona's {@code UnsafeBuffer} and raw segment reads
 * ({@link ValueBufferBenchmark}, at its own key counts, not {@code --keys}).
 *
 * <p>Per scale:
 * <ul>
 *   <li><b>quick</b> (the default; 94 forks, 9m17s measured on 2 cores next to other builds, of
 *       which the file cases took 1m23s): 1M keys; 16 B keys and 64 B values with every point
 *       workload (SampleTime percentiles for get-hit and put-update), snapshot/restore and dictionary
 *       encoding; 64 B keys and 1 KiB values with get-hit, get-miss and put-update (average time
 *       only); batched lookups ({@link BatchedGetBenchmark}, issue 19: getAll of 16 and 64 keys,
 *       per key, with offstate's and Chronicle Map's get-hit and the floors in the same JMH run, 8
 *       forks); file-backed vs in-memory get/put with Chronicle Map persisted (16/64 B); flush with
 *       0-4096 dirty chunks and open of 1M- and 10M-entry stores (5 untimed + 20 timed single
 *       calls); insert growth; ordered scans; value reads through buffer() at 1k and 100k keys (16 forks,
 *       1m19s measured on its own under load, not in the 9m17s); get/put inside a transaction vs on the
 *       store (8 forks) and commit latency / group commit through the state manager vs RocksDB's
 *       WriteBatch (24 forks; both issue 14, about 5 more minutes, see BENCHMARKS.md); the window store's
 *       put, fetches and segment expiry vs RocksDB with Kafka Streams' segmented layout at
 *       {@link #WINDOW_KEYS} keys x 6 windows (10 forks, issue 15, see BENCHMARKS.md); the session
 *       store's put and find, the versioned store's get as of the latest and a past time, and
 *       windowed-count throughput (tumbling, hopping) vs RocksDB with Kafka Streams' layouts on the
 *       same keys (the {@code time} case, 12 forks, issue 15, see BENCHMARKS.md). 1 warmup + 3
 *       measured 1 s iterations.</li>
 *   <li><b>full</b> (179 forks, ~55 minutes estimated from single 10M-key forks; not run yet): 1M
 *       keys in all four shapes (16/64 B keys x 64/1024 B values; ConcurrentHashMap next to HashMap, RocksDB's byte[] read path and
 *       the independent-read floor at 16/64 B); 10M keys, average time only, at 16/64 B (with
 *       delete and snapshots) and 64/64 B; the 1 KiB-value shapes at 10M do not fit this machine
 *       and are listed as skipped, with the reason; the file cases at 1M and 10M keys, flush and
 *       open as in quick with 10 untimed + 40 timed calls; buffer() reads as in quick. 2 warmup + 4
 *       measured 1 s iterations; the transaction and commit cases at 1M keys; the Kafka Streams
 *       topology case ({@link StreamsTopologyBenchmark}, RocksDB vs offstate stores on
 *       TopologyTestDriver, {@link #WINDOW_KEYS} keys, 2 forks; full and smoke only).</li>
 *   <li><b>smoke</b>: every benchmark once, for 100 ms, on 10k keys (the 64 B/1 KiB shape with one
 *       benchmark per peer; flush with 0 and 16 dirty chunks and open at 10k, 3 calls each; buffer() reads at 1k keys): only
 *       shows that everything runs; CI runs it.</li>
 * </ul>
 */
final class Suite {
    static final String OFF = "OffstateBenchmark";
    static final String SNAP = "OffstateSnapshotBenchmark";
    static final String CM = "ChronicleMapBenchmark";
    static final String RDB = "RocksDbBenchmark";
    static final String HM = "HashMapBenchmark";
    static final String FLOOR = "MemoryFloorBenchmark";
    static final String GROWTH = "PutInsertGrowthBenchmark";
    static final String OFF_SCAN = "OffstateScanBenchmark";
    static final String TREE_SCAN = "TreeMapScanBenchmark";
    static final String RDB_SCAN = "RocksDbScanBenchmark";
    static final String FILE = "OffstateFileBenchmark";
    static final String BUF = "ValueBufferBenchmark";
    static final String TX = "TransactionBenchmark";
    static final String COMMIT = "CommitBenchmark";
    static final String GROUP = "GroupCommitBenchmark";
    static final String RDB_COMMIT = "RocksDbCommitBenchmark";
    static final String WINDOW = "WindowStoreBenchmark";
    static final String RDB_WINDOW = "RocksDbWindowBenchmark";
    static final String SESSION = "SessionStoreBenchmark";
    static final String RDB_SESSION = "RocksDbSessionBenchmark";
    static final String VERSIONED = "VersionedStoreBenchmark";
    static final String RDB_VERSIONED = "RocksDbVersionedBenchmark";
    static final String COUNT = "WindowedCountBenchmark";
    static final String RDB_COUNT = "RocksDbWindowedCountBenchmark";
    static final String STREAMS = "StreamsTopologyBenchmark";
    static final String BATCHED = "BatchedGetBenchmark";
    /** BATCHED: {@link BatchedGetBenchmark}'s methods in table order (scores per key). */
    static final List<String> BATCHED_OPS = List.of("getAll16", "getAll64", "getAll16Mixed", "getLoop16");
    /** STREAMS: the store choices of {@link StreamsTopologyBenchmark#store}, one fork each. */
    static final List<String> STREAMS_STORES = List.of("rocksdb", "offstate");
    static final String CHECKPOINT = "CheckpointBenchmark";
    static final String CHECKPOINT_INC = "CheckpointIncrementalBenchmark";
    static final String CHECKPOINT_PUT = "CheckpointPutBenchmark";
    /** CHECKPOINT: {@link CheckpointBenchmark}'s methods, one fork each. */
    static final List<String> CHECKPOINT_OPS = List.of("full", "fullFloor", "restore", "restoreFloor");
    /** CHECKPOINT: {@link CheckpointIncrementalBenchmark#dirtyPercent}, one fork each. */
    static final List<String> CHECKPOINT_DIRTY = List.of("1", "10", "100");
    /** CHECKPOINT: {@link CheckpointPutBenchmark#during}, one fork each. */
    static final List<String> CHECKPOINT_DURING = List.of("idle", "checkpoint");

    /** The point workloads every peer runs, in table order. */
    static final List<String> POINT_OPS = List.of("getHit", "getMiss", "putUpdate", "deleteReinsert");
    /** Point workloads that also run in SampleTime mode (percentiles), where the mode is not forced. */
    static final List<String> SAMPLED_OPS = List.of("getHit", "putUpdate");
    static final List<String> TENANT_OPS = List.of("tenantPlainGetHit", "tenantDictGetHit", "tenantPlainPutUpdate",
        "tenantDictPutUpdate");
    static final List<String> GROWTH_OPS = List.of("offstateInsert", "offstateSortedInsert", "chronicleInsert",
        "rocksDbInsert", "hashMapInsert");
    static final List<String> SCAN_OPS = List.of("fullScan", "prefixScan", "rangeScan");
    /** The point workloads of the file case: offstate in memory and file-backed, Chronicle Map persisted. */
    static final List<String> FILE_OPS = List.of("getHit", "getMiss", "putUpdate");
    /**
     * {@link ValueBufferBenchmark}'s methods in table order: get-hit then 8 reads, per reader
     * (SegmentBuffer, UnsafeBuffer, the view's getLong, raw segment), then the same reads without
     * the get.
     */
    static final List<String> BUFFER_OPS = List.of("segmentBuffer", "unsafeBuffer", "valueView", "segment",
        "rereadSegmentBuffer", "rereadUnsafeBuffer", "rereadValueView", "rereadSegment");
    /**
     * {@link TransactionBenchmark}'s methods in table order: each pair is the call on the store, then
     * inside a transaction; then the small transaction's put and the empty begin+abort.
     */
    static final List<String> TX_OPS = List.of("storeGetHit", "txGetHit", "storeGetMiss", "txGetMiss", "storePut",
        "txPut", "txPutSmall", "beginAbort");
    /**
     * WINDOW: the window-store operations, each run by {@link WindowStoreBenchmark} and its RocksDB
     * peer {@link RocksDbWindowBenchmark} (same method names), in table order.
     */
    static final List<String> WINDOW_OPS = List.of("put", "fetchKey", "fetchKeyRange", "fetchAll", "expireSegment");
    /**
     * TIME: the session, versioned and windowed-count operations, each pair run by offstate's
     * benchmark and its RocksDB peer (same method names), in table order.
     */
    static final List<String> SESSION_OPS = List.of("put", "findSessions");
    static final List<String> VERSIONED_OPS = List.of("getLatest", "getAsOf");
    static final List<String> COUNT_OPS = List.of("tumbling", "hopping");
    /** WINDOW: keys of the window data set in the quick and full suites unless {@code --keys} (x 6 windows each). */
    static final int WINDOW_KEYS = 100_000;
    /** COMMIT: writes per transaction, offstate's log policies and RocksDB's WAL modes (one fork each combination). */
    static final List<Integer> COMMIT_WRITES = List.of(1, 10, 100);
    static final List<String> DURABILITIES = List.of("EVERY_COMMIT", "INTERVAL", "NEVER");
    static final List<String> ROCKSDB_WALS = List.of("sync", "wal", "nowal");
    /** COMMIT: writer threads of the group-commit benchmarks (one method per count: {@code commit1}, {@code syncCommit1}...). */
    static final List<Integer> GROUP_THREADS = List.of(1, 2, 4);
    /** BUFFER: the store sizes of the quick and full suites (smoke runs the first only). */
    static final List<Integer> BUFFER_KEYS = List.of(1_000, 100_000);
    /** Dirty chunks before a measured flush; those a data set is too small for are dropped per suite. */
    static final List<Integer> DIRTY_CHUNKS = List.of(0, 1, 16, 256, 4096);
    /** The larger store whose open time is measured next to the data-set size (not with --keys). */
    static final int BIG_OPEN_KEYS = 10_000_000;

    /**
     * Cases whose key and value bytes exceed this are skipped (and listed as skipped): offstate's
     * restore briefly holds three copies of the data, RocksDB its block cache plus the page cache,
     * and the on-heap peers about twice the data on the heap; on a 24 GiB machine shared with other
     * builds, 4 GiB of raw data is the most every peer can hold.
     */
    static final long MAX_DATA_BYTES = 4L << 30;

    enum Scale { SMOKE, QUICK, FULL }

    /**
     * POINT: point workloads of every peer on one data set; GROWTH: put-insert from empty; SCANS:
     * ordered scans; FILE: get/put of offstate in memory vs file-backed and of Chronicle Map
     * persisted; FLUSH_OPEN: flush and open of file-backed stores, one timed call per iteration;
     * BUFFER: a value read through {@code ValueView.buffer()} vs Agrona's UnsafeBuffer and raw
     * segment reads, at {@link #bufferKeys}; TX: get/put inside a transaction vs on the store;
     * COMMIT: commit latency per log policy and writes per commit, and group-commit throughput, each
     * against RocksDB's WriteBatch (file-backed, on a disk directory); WINDOW: the window store's
     * put, fetches and segment expiry against RocksDB with Kafka Streams' segmented layout; TIME: the
     * session store's put and find, the versioned store's as-of lookups and windowed-count
     * throughput, each against RocksDB with Kafka Streams' layouts; STREAMS: a whole Kafka Streams
     * DSL topology on TopologyTestDriver with Kafka's RocksDB stores vs offstate's (full and smoke only);
     * CHECKPOINT: full and incremental checkpoints and restore against their floors, and the writer's put
     * latency while checkpoints are taken.
     */
    enum Kind { POINT, GROWTH, SCANS, FILE, FLUSH_OPEN, BUFFER, TX, COMMIT, WINDOW, TIME, STREAMS, CHECKPOINT,
        /** Issue 19: batched lookups (getAll) per key vs Chronicle Map's and offstate's single get-hit, same run. */
        BATCHED,
        /** Issue 17: changelog recovery vs Kafka Streams and EOS vs ALOS commit latency (timed harnesses, not JMH). */
        RECOVERY }

    /**
     * One JMH run. {@code benchmarks} are {@code Class.method} names; {@code averageTimeOnly} forces
     * AverageTime (no SampleTime second runs); {@code skipped} (or null) says why the case does not
     * run at all.
     */
    record Case(String id, Kind kind, int keys, int keyLength, int valueLength, List<String> benchmarks,
                boolean averageTimeOnly, List<String> hashMapImpls, String skipped) {

        String title() {
            return switch (kind) {
                case POINT -> String.format(Locale.ROOT, "%,d keys, %d B keys, %d B values", keys, keyLength, valueLength);
                case GROWTH -> "Insert while growing from empty (put-insert)";
                case SCANS -> String.format(Locale.ROOT, "Ordered scans, %,d keys", keys);
                case FILE -> String.format(Locale.ROOT, "File-backed vs in-memory, %,d keys, %d B keys, %d B values", keys,
                    keyLength, valueLength);
                case FLUSH_OPEN -> String.format(Locale.ROOT, "Flush and open of file-backed stores (flush on %,d keys)", keys);
                case BUFFER -> "Reading a value through ValueView.buffer(): SegmentBuffer vs Agrona UnsafeBuffer vs raw"
                    + " segment reads";
                case TX -> String.format(Locale.ROOT, "Get and put inside a transaction vs on the store, %,d keys, %d B"
                    + " keys, %d B values", keys, keyLength, valueLength);
                case COMMIT -> String.format(Locale.ROOT, "Transaction commit through the write-ahead log vs RocksDB"
                    + " WriteBatch, %,d keys, %d B keys, %d B values", keys, keyLength, valueLength);
                case WINDOW -> String.format(Locale.ROOT, "Window store vs RocksDB with Kafka Streams' segmented layout,"
                    + " %,d keys x %d windows, %d B keys, %d B values", keys, WindowDataset.WINDOWS, keyLength, valueLength);
                case TIME -> String.format(Locale.ROOT, "Session and versioned stores, windowed count vs RocksDB with Kafka"
                    + " Streams' layouts, %,d keys, %d B keys, %d B values", keys, keyLength, valueLength);
                case BATCHED -> String.format(Locale.ROOT, "Batched lookups (getAll) vs single gets, %,d keys, %d B keys,"
                    + " %d B values", keys, keyLength, valueLength);
                case STREAMS -> String.format(Locale.ROOT, "Kafka Streams topology (count + windowed count) on"
                    + " TopologyTestDriver, RocksDB stores vs offstate stores, %,d keys", keys);
                case CHECKPOINT -> String.format(Locale.ROOT, "Checkpoints of an in-memory store to a local"
                    + " directory, %,d entries of the checkpoint data set", keys);
                case RECOVERY -> keys == 0 ? "Changelog commit latency, exactly-once vs at-least-once (real broker)"
                    : String.format(Locale.ROOT, "Changelog recovery of %,d records, offstate vs Kafka Streams RocksDB"
                    + " (real broker)", keys);
            };
        }

        long dataBytes() {
            return (long) keys * (keyLength + valueLength);
        }

        boolean primaryShape() {
            return keyLength == Keys.KEY_LENGTH && valueLength == Keys.VALUE_LENGTH;
        }

        /**
         * Heap per forked JVM, in GiB: the data set's key arrays (load, hit and miss copies), the
         * biggest on-heap peer (HashMap: key array, wrapper, node, table slot, value array, lookup
         * wrappers) with half again as headroom, and 1 GiB; at least 4 GiB. BUFFER: 1 GiB, as in
         * {@link ValueBufferBenchmark}'s own {@code @Fork} (a hash-only store of at most 100k entries).
         */
        int heapGiB() {
            if (kind == Kind.BUFFER) {
                return 1;
            }
            long keyArray = align8(keyLength + 16) + 8;
            long dataset = 3 * keyArray;
            long hashMapPeer = keyArray + 24 + 40 + 12 + align8(valueLength + 16) + 2 * 24;
            long bytes = (long) keys * (dataset + hashMapPeer) * 3 / 2 + (1L << 30);
            return (int) Math.max(4, (bytes + (1L << 30) - 1) >> 30);
        }

        private static long align8(long n) {
            return (n + 7) & ~7L;
        }
    }

    final Scale scale;
    final List<Case> cases;
    final int warmupIterations;
    final int measurementIterations;
    /** Milliseconds per warmup and measurement iteration. */
    final int iterationMillis;
    final int growthKeys;
    /** FLUSH_OPEN: dirty chunks before each measured flush (one fork each). */
    final List<Integer> dirtyChunks;
    /** FLUSH_OPEN: entries of the stores whose open is measured (one fork each). */
    final List<Integer> openKeys;
    /** FLUSH_OPEN: untimed and timed single calls (iterations) per fork. */
    final int singleShotWarmup;
    final int singleShotIterations;
    /** BUFFER: the store sizes ({@link ValueBufferBenchmark#keys}, one fork per method each). */
    final List<Integer> bufferKeys;

    private Suite(Scale scale, List<Case> cases, int warmupIterations, int measurementIterations, int iterationMillis,
                  int growthKeys, List<Integer> dirtyChunks, List<Integer> openKeys, int singleShotWarmup,
                  int singleShotIterations, List<Integer> bufferKeys) {
        this.scale = scale;
        this.cases = cases;
        this.warmupIterations = warmupIterations;
        this.measurementIterations = measurementIterations;
        this.iterationMillis = iterationMillis;
        this.growthKeys = growthKeys;
        this.dirtyChunks = dirtyChunks;
        this.openKeys = openKeys;
        this.singleShotWarmup = singleShotWarmup;
        this.singleShotIterations = singleShotIterations;
        this.bufferKeys = bufferKeys;
    }

    /** The suite of {@code scale}; {@code keysOverride} (or null) replaces every case's key count. */
    static Suite of(Scale scale, Integer keysOverride) {
        List<Case> cases = new ArrayList<>();
        List<String> hashMap = List.of("HashMap");
        int flushKeys;
        List<Integer> openKeys = new ArrayList<>();
        switch (scale) {
            case SMOKE -> {
                int k = keysOverride != null ? keysOverride : 10_000;
                cases.add(point(k, 16, 64, primary(true), false, hashMap));
                cases.add(batched(k));
                // the other shape's code paths, one fork per peer
                cases.add(point(k, 64, 1024, List.of(OFF + ".getHit", CM + ".getHit", RDB + ".getHit", HM + ".getHit",
                    FLOOR + ".dependentRead", SNAP + ".snapshot"), true, hashMap));
                cases.add(file(k));
                cases.add(flushOpen(k));
                flushKeys = k;
                openKeys.add(k);
                cases.add(growth());
                cases.add(scans(k));
                cases.add(buffer());
                cases.add(tx(k));
                cases.add(commit(k));
                cases.add(window(k));
                cases.add(time(k));
                cases.add(streams(k));
                cases.add(checkpoint(k));
                cases.add(recovery(20_000));
                cases.add(recovery(0));
            }
            case QUICK -> {
                int k = keysOverride != null ? keysOverride : 1_000_000;
                cases.add(point(k, 16, 64, primary(false), false, hashMap));
                cases.add(batched(k));
                cases.add(point(k, 64, 1024, core(false, false), true, hashMap));
                cases.add(file(k));
                cases.add(flushOpen(k));
                flushKeys = k;
                openKeys.add(k);
                if (keysOverride == null) {
                    openKeys.add(BIG_OPEN_KEYS); // building it takes ~12 s: cheap enough for the quick suite
                }
                cases.add(growth());
                cases.add(scans(k));
                cases.add(buffer());
                cases.add(tx(k));
                cases.add(commit(k));
                cases.add(window(keysOverride != null ? keysOverride : WINDOW_KEYS));
                cases.add(time(keysOverride != null ? keysOverride : WINDOW_KEYS));
                cases.add(checkpoint(k));
            }
            case FULL -> {
                // 1M keys: everything, in all four shapes. 10M keys: setups take 20-45 s per fork
                // there (HashMap's most), so average time only, no dictionary/ConcurrentHashMap, and
                // the shapes whose data fit; the two 1 KiB-value shapes are listed as skipped.
                int small = keysOverride != null ? keysOverride : 1_000_000;
                List<String> maps = List.of("HashMap", "ConcurrentHashMap");
                cases.add(point(small, 16, 64, primary(true), false, maps));
                cases.add(batched(small));
                cases.add(point(small, 64, 64, core(false, true), true, hashMap));
                cases.add(point(small, 16, 1024, core(false, true), true, hashMap));
                cases.add(point(small, 64, 1024, core(false, true), true, hashMap));
                if (keysOverride == null) {
                    int big = 10_000_000;
                    cases.add(point(big, 16, 64, core(true, true), true, hashMap));
                    cases.add(point(big, 64, 64, core(false, false), true, hashMap));
                    cases.add(point(big, 16, 1024, core(false, false), true, hashMap));
                    cases.add(point(big, 64, 1024, core(false, false), true, hashMap));
                }
                cases.add(file(small));
                if (keysOverride == null) {
                    cases.add(file(10_000_000));
                }
                cases.add(flushOpen(small));
                flushKeys = small;
                openKeys.add(small);
                if (keysOverride == null) {
                    openKeys.add(BIG_OPEN_KEYS);
                }
                cases.add(growth());
                cases.add(scans(small));
                cases.add(buffer());
                cases.add(tx(small));
                cases.add(commit(small));
                cases.add(window(keysOverride != null ? keysOverride : WINDOW_KEYS));
                cases.add(time(keysOverride != null ? keysOverride : WINDOW_KEYS));
                cases.add(streams(keysOverride != null ? keysOverride : WINDOW_KEYS));
                cases.add(checkpoint(small));
                cases.add(recovery(1_000_000));
                cases.add(recovery(10_000_000));
                cases.add(recovery(0));
            }
            default -> throw new IllegalArgumentException("scale " + scale);
        }
        List<Integer> dirty = DIRTY_CHUNKS.stream().filter(k -> fitsDirtyChunks(flushKeys, k)).toList();
        List<Integer> open = openKeys.stream().distinct().toList();
        return switch (scale) {
            case SMOKE -> new Suite(scale, cases, 0, 1, 100, 200_000, List.of(0, 16), open, 0, 3, BUFFER_KEYS.subList(0, 1));
            case QUICK -> new Suite(scale, cases, 1, 3, 1000, 10_000_000, dirty, open, 5, 20, BUFFER_KEYS);
            case FULL -> new Suite(scale, cases, 2, 4, 1000, 12_000_000, dirty, open, 10, 40, BUFFER_KEYS);
        };
    }

    /**
     * Whether {@code keys} entries of 16 B keys and 64 B values can hold {@code chunks} dirty
     * chunks at least 8 KiB apart, as {@link OffstateFileBenchmark#flush} needs.
     */
    static boolean fitsDirtyChunks(int keys, int chunks) {
        return chunks == 0 || (long) (keys / chunks) * (Keys.KEY_LENGTH + Keys.VALUE_LENGTH) >= 8192;
    }

    /**
     * Every peer's get-hit, get-miss and put-update (and delete+reinsert if {@code withDelete}), the
     * memory floor, and (if {@code withSnapshots}) offstate's snapshot and restore with their memcpy
     * floor.
     */
    static List<String> core(boolean withDelete, boolean withSnapshots) {
        List<String> b = new ArrayList<>();
        for (String peer : List.of(OFF, CM, RDB, HM)) {
            for (String op : POINT_OPS) {
                if (withDelete || !op.equals("deleteReinsert")) {
                    b.add(peer + "." + op);
                }
            }
        }
        b.add(FLOOR + ".dependentRead");
        if (withSnapshots) {
            b.add(SNAP + ".snapshot");
            b.add(SNAP + ".restore");
            b.add(FLOOR + ".copy");
        }
        return b;
    }

    /**
     * {@link #core(boolean, boolean)} with delete+reinsert and snapshots, plus dictionary encoding; {@code extras} adds
     * RocksDB's byte[] read path and the independent-read floor (full and smoke).
     */
    static List<String> primary(boolean extras) {
        List<String> b = core(true, true);
        TENANT_OPS.forEach(op -> b.add(OFF + "." + op));
        if (extras) {
            b.add(RDB + ".getHitArray");
            b.add(FLOOR + ".independentRead");
        }
        return b;
    }

    static Case point(int keys, int keyLength, int valueLength, List<String> benchmarks, boolean averageTimeOnly,
                      List<String> maps) {
        long data = (long) keys * (keyLength + valueLength);
        String skipped = data > MAX_DATA_BYTES
            ? String.format(Locale.ROOT, "%.1f GiB of keys and values is more than the %d GiB per case this 24 GiB"
                + " machine can hold for every peer (offstate's restore holds 3 copies, RocksDB block cache"
                + " + page cache, HashMap ~2x on the heap)", data / (double) (1L << 30), MAX_DATA_BYTES >> 30)
            : null;
        String id = "point-" + keys + "-" + keyLength + "x" + valueLength;
        return new Case(id, Kind.POINT, keys, keyLength, valueLength, benchmarks, averageTimeOnly, maps, skipped);
    }

    /**
     * Issue 19: {@link BatchedGetBenchmark} (getAll of 16 and 64 keys, 16 keys half absent, 16
     * single gets on the same harness; all per key) with offstate's and Chronicle Map's single
     * get-hit and the memory floors (dependent and independent reads), in one JMH run on the
     * {@code keys} data set (16 B keys, 64 B values), average time: the summary's ratios to
     * Chronicle Map's get-hit come from this run, not from the point case's.
     */
    static Case batched(int keys) {
        List<String> b = new ArrayList<>();
        BATCHED_OPS.forEach(op -> b.add(BATCHED + "." + op));
        b.add(OFF + ".getHit");
        b.add(CM + ".getHit");
        b.add(FLOOR + ".dependentRead");
        b.add(FLOOR + ".independentRead");
        return new Case("batched-" + keys, Kind.BATCHED, keys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH, b, true, List.of(), null);
    }

    static Case growth() {
        List<String> b = GROWTH_OPS.stream().map(op -> GROWTH + "." + op).toList();
        return new Case("growth", Kind.GROWTH, 0, Keys.KEY_LENGTH, Keys.VALUE_LENGTH, b, false, List.of(), null);
    }

    /**
     * Ordered scans on {@link ScanDataset} (16 B keys, 64 B values): full, 1%-prefix and 100-key
     * range scans of offstate with its sorted index, TreeMap and RocksDB's iterator; and offstate's
     * put-update and delete+reinsert on a store with a sorted index (the point case has them
     * without), all average time. Insert growth with the index is in the growth case.
     */
    static Case scans(int keys) {
        List<String> b = new ArrayList<>();
        for (String peer : List.of(OFF_SCAN, TREE_SCAN, RDB_SCAN)) {
            SCAN_OPS.forEach(op -> b.add(peer + "." + op));
        }
        b.add(OFF + ".putUpdate");
        b.add(OFF + ".deleteReinsert");
        return new Case("scans-" + keys, Kind.SCANS, keys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH, b, true, List.of(), null);
    }

    /**
     * get-hit, get-miss and put-update of offstate in memory and file-backed ({@code backing} =
     * memory, file: two forks each, in the same JMH run) and of Chronicle Map persisted to a file,
     * on the 16 B/64 B data set, average time.
     */
    static Case file(int keys) {
        List<String> b = new ArrayList<>();
        FILE_OPS.forEach(op -> b.add(OFF + "." + op));
        FILE_OPS.forEach(op -> b.add(CM + "." + op));
        return new Case("file-" + keys, Kind.FILE, keys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH, b, true, List.of(), null);
    }

    /**
     * {@link OffstateFileBenchmark}: flush against dirty chunks on a store of {@code keys} (the data
     * set), and open of stores of {@link #openKeys} entries; SingleShotTime with the suite's
     * single-shot iteration counts.
     */
    static Case flushOpen(int keys) {
        return new Case("flush-open-" + keys, Kind.FLUSH_OPEN, keys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH,
            List.of(FILE + ".flush", FILE + ".open"), false, List.of(), null);
    }

    /**
     * {@link ValueBufferBenchmark}: every method at each of {@link #bufferKeys} (16 B keys, 64 B
     * values, hash-only store), average time; the forks get Agrona's UnsafeBuffer its
     * {@code --add-exports} ({@link MainJob} replaces the class's {@code @Fork} arguments).
     */
    static Case buffer() {
        List<String> b = BUFFER_OPS.stream().map(op -> BUF + "." + op).toList();
        return new Case("buffer", Kind.BUFFER, 0, Keys.KEY_LENGTH, Keys.VALUE_LENGTH, b, true, List.of(), null);
    }

    /**
     * {@link TransactionBenchmark}: get-hit, get-miss and put-update on the store and inside a
     * transaction, the small transaction's put and begin+abort, on the {@code keys} data set (16 B
     * keys, 64 B values), average time.
     */
    static Case tx(int keys) {
        List<String> b = TX_OPS.stream().map(op -> TX + "." + op).toList();
        return new Case("tx-" + keys, Kind.TX, keys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH, b, true, List.of(), null);
    }

    /**
     * Commit latency ({@link CommitBenchmark} at each of {@link #COMMIT_WRITES} x {@link #DURABILITIES},
     * {@link RocksDbCommitBenchmark#commit} at each of {@link #COMMIT_WRITES} x {@link #ROCKSDB_WALS},
     * SampleTime) and group-commit throughput at {@link #GROUP_THREADS} writer threads (offstate's
     * shared log and RocksDB's sync writes, Throughput), on the {@code keys} data set; the stores and
     * logs in a directory of the run's own under {@code java.io.tmpdir} (a disk).
     */
    static Case commit(int keys) {
        List<String> b = new ArrayList<>(List.of(COMMIT + ".commit", RDB_COMMIT + ".commit"));
        GROUP_THREADS.forEach(t -> b.add(GROUP + ".commit" + t));
        GROUP_THREADS.forEach(t -> b.add(RDB_COMMIT + ".syncCommit" + t));
        return new Case("commit-" + keys, Kind.COMMIT, keys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH, b, false, List.of(), null);
    }

    /**
     * {@link WindowStoreBenchmark} and {@link RocksDbWindowBenchmark}: put, the three fetches and the
     * expiry of a segment on the {@link WindowDataset} of {@code keys} keys x 6 windows (16 B keys,
     * 64 B values), average time; RocksDB in a directory of its own under {@code java.io.tmpdir}.
     */
    static Case window(int keys) {
        List<String> b = new ArrayList<>();
        for (String peer : List.of(WINDOW, RDB_WINDOW)) {
            WINDOW_OPS.forEach(op -> b.add(peer + "." + op));
        }
        return new Case("window-" + keys, Kind.WINDOW, keys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH, b, true, List.of(), null);
    }

    /**
     * {@link SessionStoreBenchmark}, {@link VersionedStoreBenchmark} and {@link WindowedCountBenchmark}
     * with their RocksDB peers: session put and find, versioned get as of the latest and a past
     * time, windowed-count throughput with tumbling and hopping windows, on the {@link WindowDataset}
     * of {@code keys} keys (16 B keys, 64 B values), average time (the count: ns per record).
     */
    static Case time(int keys) {
        List<String> b = new ArrayList<>();
        for (String peer : List.of(SESSION, RDB_SESSION)) {
            SESSION_OPS.forEach(op -> b.add(peer + "." + op));
        }
        for (String peer : List.of(VERSIONED, RDB_VERSIONED)) {
            VERSIONED_OPS.forEach(op -> b.add(peer + "." + op));
        }
        for (String peer : List.of(COUNT, RDB_COUNT)) {
            COUNT_OPS.forEach(op -> b.add(peer + "." + op));
        }
        return new Case("time-" + keys, Kind.TIME, keys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH, b, true, List.of(), null);
    }

    /**
     * {@link StreamsTopologyBenchmark}: one record piped through a count and a windowed count, with
     * each of {@link #STREAMS_STORES} (one fork each), on a key space of {@code keys}, average time
     * (ns per record). Full and smoke suites only.
     */
    static Case streams(int keys) {
        return new Case("streams-" + keys, Kind.STREAMS, keys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH,
            List.of(STREAMS + ".record"), true, List.of(), null);
    }

    /**
     * Issue 16: {@link CheckpointBenchmark} (full checkpoint, restore and their floors),
     * {@link CheckpointIncrementalBenchmark} (1, 10, 100 % dirty) and {@link CheckpointPutBenchmark}
     * (put latency idle vs while checkpointing) on the {@link CheckpointDataset} of {@code keys}
     * entries; one timed call per iteration (the put: SampleTime) with the flush/open case's
     * iteration counts; checkpoint directories under {@code java.io.tmpdir}.
     */
    static Case checkpoint(int keys) {
        List<String> b = new ArrayList<>();
        CHECKPOINT_OPS.forEach(op -> b.add(CHECKPOINT + "." + op));
        b.add(CHECKPOINT_INC + ".incremental");
        b.add(CHECKPOINT_PUT + ".put");
        return new Case("checkpoint-" + keys, Kind.CHECKPOINT, keys, 13, 100, b, false, List.of(), null);
    }

    /**
     * Issue 17 ({@link RecoveryHarness}, {@link ChangelogCommitHarness}, each in a child JVM of its own):
     * restore of a changelog of {@code records} records into offstate vs Kafka Streams' RocksDB store,
     * or with {@code records} 0 the commit latency of exactly-once vs at-least-once. Full and smoke only.
     */
    static Case recovery(int records) {
        return records == 0
            ? new Case("changelog-commit", Kind.RECOVERY, 0, 16, 100, List.of("ChangelogCommitHarness.main"), true, List.of(), null)
            : new Case("recovery-" + records, Kind.RECOVERY, records, 16, 100, List.of("RecoveryHarness.main"), true,
                List.of(), null);
    }

    /** The JMH include pattern for {@code benchmarks}: each {@code Class.method} exactly. */
    static String includePattern(List<String> benchmarks) {
        return "^io\\.offstate\\.jmh\\.(" + String.join("|",
            benchmarks.stream().map(b -> b.replace(".", "\\.")).toList()) + ")$";
    }

    /**
     * The number of JMH forks (one per benchmark, mode and HashMap implementation) {@code c} runs:
     * benchmarks annotated with SampleTime as a second mode run twice unless the case forces
     * AverageTime. Mirrors the annotations; {@link #describe()} prints it.
     */
    int forks(Case c) {
        int n = 0;
        for (String b : c.benchmarks()) {
            if (c.kind() == Kind.FILE) {
                n += b.startsWith(OFF + ".") ? 2 : 1; // offstate: backing memory and file
                continue;
            }
            if (c.kind() == Kind.FLUSH_OPEN) {
                n += b.equals(FILE + ".flush") ? dirtyChunks.size() : openKeys.size();
                continue;
            }
            if (c.kind() == Kind.BUFFER) {
                n += bufferKeys.size();
                continue;
            }
            if (c.kind() == Kind.STREAMS) {
                n += STREAMS_STORES.size();
                continue;
            }
            if (c.kind() == Kind.CHECKPOINT) {
                n += b.startsWith(CHECKPOINT_INC + ".") ? CHECKPOINT_DIRTY.size()
                    : b.startsWith(CHECKPOINT_PUT + ".") ? CHECKPOINT_DURING.size() : 1;
                continue;
            }
            if (c.kind() == Kind.COMMIT) {
                n += b.equals(COMMIT + ".commit") ? COMMIT_WRITES.size() * DURABILITIES.size()
                    : b.equals(RDB_COMMIT + ".commit") ? COMMIT_WRITES.size() * ROCKSDB_WALS.size() : 1;
                continue;
            }
            String method = b.substring(b.indexOf('.') + 1);
            boolean sampled = !c.averageTimeOnly() && (b.equals(FLOOR + ".dependentRead")
                || (SAMPLED_OPS.contains(method) && List.of(OFF, CM, RDB, HM).contains(b.substring(0, b.indexOf('.')))));
            int modes = sampled ? 2 : 1;
            int impls = b.startsWith(HM + ".") ? Math.max(1, c.hashMapImpls().size()) : 1;
            n += modes * impls;
        }
        return n;
    }

    /** The plan: every case with its benchmarks, forks and heap, or why it is skipped. */
    String describe() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%s suite: %d warmup + %d measured iterations of %d ms per fork%n",
            scale.name().toLowerCase(Locale.ROOT), warmupIterations, measurementIterations, iterationMillis));
        int total = 0;
        for (Case c : cases) {
            sb.append(String.format(Locale.ROOT, "%n%s: %s%n", c.id(), c.title()));
            if (c.skipped() != null || c.benchmarks().isEmpty()) {
                sb.append("  skipped: ").append(c.skipped()).append('\n');
                continue;
            }
            int forks = forks(c);
            total += forks;
            sb.append(String.format(Locale.ROOT, "  %d forks, heap %d GiB%s%s%n", forks, c.heapGiB(),
                c.averageTimeOnly() ? ", AverageTime only" : "",
                c.hashMapImpls().size() > 1 ? ", maps " + c.hashMapImpls() : ""));
            if (c.kind() == Kind.FILE) {
                sb.append("  offstate backing memory and file (store files under java.io.tmpdir), Chronicle Map persisted\n");
            }
            if (c.kind() == Kind.FLUSH_OPEN) {
                sb.append(String.format(Locale.ROOT, "  SingleShotTime, %d untimed + %d timed calls per fork; flush with"
                    + " dirtyChunks %s, open of stores with openKeys %s%n", singleShotWarmup, singleShotIterations,
                    dirtyChunks, openKeys));
            }
            if (c.kind() == Kind.COMMIT) {
                sb.append(String.format(Locale.ROOT, "  writes per commit %s; offstate log %s; RocksDB %s; group commit"
                    + " with %s threads; stores and logs under java.io.tmpdir%n", COMMIT_WRITES, DURABILITIES,
                    ROCKSDB_WALS, GROUP_THREADS));
            }
            if (c.kind() == Kind.BUFFER) {
                sb.append(String.format(Locale.ROOT, "  keys %s (not --keys), 16 B keys, 64 B values; forks get"
                    + " --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED for UnsafeBuffer%n", bufferKeys));
            }
            sb.append("  ").append(String.join(" ", c.benchmarks())).append('\n');
        }
        sb.append(String.format(Locale.ROOT, "%ntotal: %d forks%n", total));
        return sb.toString();
    }

    /**
     * This suite with only the cases whose id starts with one of {@code prefixes} ({@code MainJob
     * --case}); the others are left out of the run and the summary.
     *
     * @throws IllegalArgumentException naming the ids if a prefix matches no case
     */
    Suite only(List<String> prefixes) {
        for (String p : prefixes) {
            if (cases.stream().noneMatch(c -> c.id().startsWith(p))) {
                throw new IllegalArgumentException("no case id starts with " + p + "; the cases are "
                    + cases.stream().map(Case::id).toList());
            }
        }
        List<Case> kept = cases.stream().filter(c -> prefixes.stream().anyMatch(p -> c.id().startsWith(p))).toList();
        return new Suite(scale, kept, warmupIterations, measurementIterations, iterationMillis, growthKeys, dirtyChunks,
            openKeys, singleShotWarmup, singleShotIterations, bufferKeys);
    }

    Stream<Case> runnable() {
        return cases.stream().filter(c -> c.skipped() == null && !c.benchmarks().isEmpty());
    }
}
