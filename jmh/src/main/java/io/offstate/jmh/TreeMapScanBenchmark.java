package io.offstate.jmh;

import java.util.Arrays;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The on-heap ordered peer of {@link OffstateScanBenchmark}: {@code TreeMap<byte[], byte[]>} with
 * {@link Arrays#compareUnsigned(byte[], byte[])} as comparator (the same unsigned order as
 * offstate and RocksDB), loaded with the {@link ScanDataset} in the same order, values stored by
 * reference. The same three scans, reading each entry's key length and the value's first 8 bytes:
 * {@link #fullScan} ({@code entrySet()}), {@link #prefixScan} ({@code subMap(p, p + 1)}) and
 * {@link #rangeScan} (100 entries of {@code tailMap(start, true)}). Each scan allocates its view
 * and iterator (a few dozen bytes per scan, shown as B/op). Memory per entry
 * ({@code memory.treemap}) is the heap-in-use difference around loading (measured in the full-scan
 * fork only).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TreeMapScanBenchmark {

    @State(Scope.Benchmark)
    public static class Loaded {
        TreeMap<byte[], byte[]> map;
        byte[][] prefixes;
        byte[][] prefixEnds;
        byte[][] rangeStarts;
        int prefix;
        int range;

        @Setup(Level.Trial)
        public void setUp(ScanDataset ds, BenchmarkParams params) {
            boolean measureMemory = params.getBenchmark().endsWith(".fullScan"); // one fork pays for the full GCs
            try {
                Report.failIfRequested("treemap");
                prefixes = ds.prefixes;
                prefixEnds = new byte[prefixes.length][];
                for (int i = 0; i < prefixes.length; i++) {
                    prefixEnds[i] = new byte[] {(byte) (prefixes[i][0] + 1)}; // groups are 0..99: no overflow
                }
                rangeStarts = ds.rangeStarts;
                long before = measureMemory ? Report.settledHeapUsed() : 0;
                map = new TreeMap<>(Arrays::compareUnsigned);
                for (int i = 0; i < ds.keys; i++) {
                    map.put(ds.loadKeys[i].clone(), ds.value(i));
                }
                long after = measureMemory ? Report.settledHeapUsed() : 0;
                for (int i = 0; i < prefixes.length; i++) {
                    int n = map.subMap(prefixes[i], true, prefixEnds[i], false).size();
                    if (n != ds.groupSize(prefixes[i])) {
                        throw new IllegalStateException("TreeMap prefix " + prefixes[i][0] + " holds " + n);
                    }
                }
                if (measureMemory) {
                    Report.metric("memory.treemap", ds.keys, (double) (after - before) / ds.keys);
                }
            } catch (Throwable t) {
                Report.failure("treemap", t);
                throw t;
            }
        }
    }

    static void consume(Map.Entry<byte[], byte[]> e, Blackhole bh) {
        bh.consume(e.getKey().length);
        bh.consume((long) HashMapBenchmark.LONG_LE.get(e.getValue(), 0));
    }

    @Benchmark
    public long fullScan(Loaded s, Blackhole bh) {
        long n = 0;
        for (Map.Entry<byte[], byte[]> e : s.map.entrySet()) {
            consume(e, bh);
            n++;
        }
        return n;
    }

    @Benchmark
    public long prefixScan(Loaded s, Blackhole bh) {
        int i = s.prefix = s.prefix + 1 == ScanDataset.GROUPS ? 0 : s.prefix + 1;
        long n = 0;
        for (Map.Entry<byte[], byte[]> e : s.map.subMap(s.prefixes[i], true, s.prefixEnds[i], false).entrySet()) {
            consume(e, bh);
            n++;
        }
        return n;
    }

    @Benchmark
    public long rangeScan(Loaded s, Blackhole bh) {
        int i = s.range = (s.range + 1) & (ScanDataset.RANGES - 1);
        long n = 0;
        for (Map.Entry<byte[], byte[]> e : s.map.tailMap(s.rangeStarts[i], true).entrySet()) {
            if (n == ScanDataset.RANGE_LENGTH) {
                break;
            }
            consume(e, bh);
            n++;
        }
        return n;
    }
}
