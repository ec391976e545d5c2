package io.offstate.jmh;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;

/**
 * What one run of the {@link MainJob} measures: its scale (smoke, quick, full), the iteration
 * settings, and the cases. A case is one JMH run with one set of parameters: a data-set size and
 * shape with the benchmarks that run on it, the insert-growth benchmarks, or the ordered scans.
 *
 * <p>Per scale:
 * <ul>
 *   <li><b>quick</b> (the default, ~7 minutes on 2 cores): 1M keys, 16 B keys and 64 B values with
 *       every point benchmark, SampleTime percentiles, snapshot/restore and dictionary encoding; 64 B
 *       keys and 1 KiB values with the core set (average time only); growth from empty.</li>
 *   <li><b>full</b>: 1M keys in all four shapes (16/64 B keys x 64/1024 B values), 10M keys in the
 *       shapes whose data fit this machine (the others are listed as skipped, with the reason),
 *       ConcurrentHashMap next to HashMap, and longer iterations.</li>
 *   <li><b>smoke</b>: every benchmark once, for 100 ms, on 10k keys: only shows that everything runs
 *       (CI runs it).</li>
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

    /** The point workloads every peer runs, in table order. */
    static final List<String> POINT_OPS = List.of("getHit", "getMiss", "putUpdate", "deleteReinsert");
    /** Point workloads that also run in SampleTime mode (percentiles), where the mode is not forced. */
    static final List<String> SAMPLED_OPS = List.of("getHit", "putUpdate");
    static final List<String> TENANT_OPS = List.of("tenantPlainGetHit", "tenantDictGetHit", "tenantPlainPutUpdate",
        "tenantDictPutUpdate");
    static final List<String> GROWTH_OPS = List.of("offstateInsert", "chronicleInsert", "rocksDbInsert", "hashMapInsert");

    /**
     * Cases whose key and value bytes exceed this are skipped (and listed as skipped): offstate's
     * restore briefly holds three copies of the data, RocksDB its block cache plus the page cache,
     * and the on-heap peers about twice the data on the heap; on a 24 GiB machine shared with other
     * builds, 4 GiB of raw data is the most every peer can hold.
     */
    static final long MAX_DATA_BYTES = 4L << 30;

    enum Scale { SMOKE, QUICK, FULL }

    enum Kind { POINT, GROWTH, SCANS }

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
         * wrappers) with half again as headroom, and 1 GiB; at least 4 GiB.
         */
        int heapGiB() {
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

    private Suite(Scale scale, List<Case> cases, int warmupIterations, int measurementIterations, int iterationMillis,
                  int growthKeys) {
        this.scale = scale;
        this.cases = cases;
        this.warmupIterations = warmupIterations;
        this.measurementIterations = measurementIterations;
        this.iterationMillis = iterationMillis;
        this.growthKeys = growthKeys;
    }

    /** The suite of {@code scale}; {@code keysOverride} (or null) replaces every case's key count. */
    static Suite of(Scale scale, Integer keysOverride) {
        List<Case> cases = new ArrayList<>();
        switch (scale) {
            case SMOKE -> {
                int k = keysOverride != null ? keysOverride : 10_000;
                cases.add(point(k, 16, 64, primary(true), false, List.of("HashMap")));
                cases.add(point(k, 64, 1024, core(), true, List.of("HashMap")));
                cases.add(growth());
                cases.add(scans(k));
            }
            case QUICK -> {
                int k = keysOverride != null ? keysOverride : 1_000_000;
                cases.add(point(k, 16, 64, primary(true), false, List.of("HashMap")));
                cases.add(point(k, 64, 1024, core(), true, List.of("HashMap")));
                cases.add(growth());
                cases.add(scans(k));
            }
            case FULL -> {
                List<Integer> sizes = keysOverride != null ? List.of(keysOverride) : List.of(1_000_000, 10_000_000);
                List<String> maps = List.of("HashMap", "ConcurrentHashMap");
                for (int k : sizes) {
                    cases.add(point(k, 16, 64, primary(true), false, maps));
                    cases.add(point(k, 64, 64, core(), true, maps));
                    cases.add(point(k, 16, 1024, core(), true, maps));
                    cases.add(point(k, 64, 1024, core(), true, maps));
                }
                cases.add(growth());
                cases.add(scans(sizes.getFirst()));
            }
        }
        return switch (scale) {
            case SMOKE -> new Suite(scale, cases, 0, 1, 100, 200_000);
            case QUICK -> new Suite(scale, cases, 2, 3, 1000, 10_000_000);
            case FULL -> new Suite(scale, cases, 3, 5, 1000, 12_000_000);
        };
    }

    /** Every peer's point workloads, the memory floor, offstate's snapshot and restore. */
    static List<String> core() {
        List<String> b = new ArrayList<>();
        for (String peer : List.of(OFF, CM, RDB, HM)) {
            POINT_OPS.forEach(op -> b.add(peer + "." + op));
        }
        b.add(FLOOR + ".dependentRead");
        b.add(SNAP + ".snapshot");
        b.add(SNAP + ".restore");
        b.add(FLOOR + ".copy");
        return b;
    }

    /** {@link #core()}, plus the independent-read floor, dictionary encoding and RocksDB's byte[] read path. */
    static List<String> primary(boolean withRocksArrayPath) {
        List<String> b = core();
        b.add(FLOOR + ".independentRead");
        TENANT_OPS.forEach(op -> b.add(OFF + "." + op));
        if (withRocksArrayPath) {
            b.add(RDB + ".getHitArray");
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

    static Case growth() {
        List<String> b = GROWTH_OPS.stream().map(op -> GROWTH + "." + op).toList();
        return new Case("growth", Kind.GROWTH, 0, Keys.KEY_LENGTH, Keys.VALUE_LENGTH, b, false, List.of(), null);
    }

    /**
     * The ordered-scan case. Empty until offstate has a sorted index on this branch: it then lists
     * the scan benchmarks (full scan, 1%-prefix scan, 100-key range scans: offstate with sorted index
     * vs TreeMap vs RocksDB's iterator; put-update/put-insert with vs without the index).
     */
    static Case scans(int keys) {
        return new Case("scans-" + keys, Kind.SCANS, keys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH, List.of(), false,
            List.of(), "not measured yet: offstate has no sorted index (range/prefix cursor) on this branch");
    }

    /** The JMH include pattern for {@code benchmarks}: each {@code Class.method} exactly. */
    static String includePattern(List<String> benchmarks) {
        return "^io\\.offstate\\.jmh\\.(" + String.join("|",
            benchmarks.stream().map(b -> b.replace(".", "\\.")).toList()) + ")$";
    }

    Stream<Case> runnable() {
        return cases.stream().filter(c -> c.skipped() == null && !c.benchmarks().isEmpty());
    }
}
