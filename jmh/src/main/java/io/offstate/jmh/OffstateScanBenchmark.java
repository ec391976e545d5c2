package io.offstate.jmh;

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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.Blackhole;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.ValueView;

/**
 * offstate's ordered scans: a store with a sorted index ({@code StoreOptions.sortedIndex(true)})
 * loaded with the {@link ScanDataset}, read through one reused {@link Cursor}. Peers on the same
 * data: {@link TreeMapScanBenchmark} ({@code TreeMap<byte[], byte[]>}, unsigned order) and
 * {@link RocksDbScanBenchmark} (RocksDB's iterator). Every scan reads, for each entry, the key's
 * length and the value's first 8 bytes through the zero-copy views.
 *
 * <ul>
 *   <li>{@link #fullScan}: {@code range(null, null)}, every entry in key order.</li>
 *   <li>{@link #prefixScan}: {@code prefix(p)} of a one-byte prefix that selects 1% of the keys.</li>
 *   <li>{@link #rangeScan}: {@code range(start, null)} from a present key, the next 100 entries.</li>
 * </ul>
 * Expected 0 B/op ({@code -prof gc}): positioning and stepping allocate nothing. Memory per entry
 * with the index is recorded as {@code memory.offstate-sorted}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class OffstateScanBenchmark {

    @State(Scope.Benchmark)
    public static class Sorted {
        KeyValueStore store;
        Cursor cursor;
        byte[][] prefixes;
        byte[][] rangeStarts;
        int prefix;
        int range;

        @Setup(Level.Trial)
        public void setUp(ScanDataset ds) {
            store = KeyValueStore.create(OffstateBenchmark.options(ds.keys).sortedIndex(true).build());
            for (int i = 0; i < ds.keys; i++) {
                store.put(ds.loadKeys[i], ds.value(i));
            }
            cursor = store.cursor();
            prefixes = ds.prefixes;
            rangeStarts = ds.rangeStarts;
            long all = countAll(cursor.range(null, null));
            if (all != ds.keys) {
                throw new IllegalStateException("full scan saw " + all + " of " + ds.keys + " entries");
            }
            for (byte[] p : prefixes) {
                long n = countAll(cursor.prefix(p));
                if (n != ds.groupSize(p)) {
                    throw new IllegalStateException("prefix " + p[0] + " scan saw " + n + ", not " + ds.groupSize(p));
                }
            }
            Report.metric("memory.offstate-sorted", ds.keys, (double) store.memoryUsed() / ds.keys);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            store.close();
        }

        private static long countAll(Cursor c) {
            long n = 0;
            while (c.next()) {
                n++;
            }
            return n;
        }
    }

    /** Reads every remaining entry of {@code c}; returns how many. */
    static long drain(Cursor c, Blackhole bh) {
        long n = 0;
        while (c.next()) {
            ValueView key = c.key();
            ValueView value = c.value();
            bh.consume(key.length());
            bh.consume(value.getLong(0));
            n++;
        }
        return n;
    }

    @Benchmark
    public long fullScan(Sorted s, Blackhole bh) {
        return drain(s.cursor.range(null, null), bh);
    }

    @Benchmark
    public long prefixScan(Sorted s, Blackhole bh) {
        int i = s.prefix = s.prefix + 1 == ScanDataset.GROUPS ? 0 : s.prefix + 1;
        return drain(s.cursor.prefix(s.prefixes[i]), bh);
    }

    @Benchmark
    public long rangeScan(Sorted s, Blackhole bh) {
        int i = s.range = (s.range + 1) & (ScanDataset.RANGES - 1);
        Cursor c = s.cursor.range(s.rangeStarts[i], null);
        long n = 0;
        while (n < ScanDataset.RANGE_LENGTH && c.next()) {
            bh.consume(c.key().length());
            bh.consume(c.value().getLong(0));
            n++;
        }
        return n;
    }
}
