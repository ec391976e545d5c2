package io.offstate.jmh;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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
import org.rocksdb.RocksIterator;

/**
 * The LSM ordered peer of {@link OffstateScanBenchmark}: RocksDB's iterator over the
 * {@link ScanDataset}, configured as in {@link RocksDbStore} (bulk-loaded into the bottom level, so
 * the data lie in key order, block cache holding all of it). One {@link RocksIterator} is created at
 * setup and re-positioned for every scan (nothing is written meanwhile). Per entry it copies the key
 * and the value into reusable direct buffers ({@code key(ByteBuffer)}, {@code value(ByteBuffer)}:
 * no allocation) and reads the key's length and the value's first 8 bytes, as the other peers do.
 *
 * <ul>
 *   <li>{@link #fullScan}: {@code seekToFirst()} then {@code next()} to the end.</li>
 *   <li>{@link #prefixScan}: {@code seek(p)} then {@code next()} while the key starts with the
 *       one-byte prefix.</li>
 *   <li>{@link #rangeScan}: {@code seek(start)} then the next 100 entries.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RocksDbScanBenchmark {

    @State(Scope.Benchmark)
    public static class Db {
        RocksDbStore rocks;
        RocksIterator it;
        final ByteBuffer key = ByteBuffer.allocateDirect(256);
        final ByteBuffer value = ByteBuffer.allocateDirect(Keys.VALUE_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        byte[][] prefixes;
        byte[][] rangeStarts;
        int prefix;
        int range;

        @Setup(Level.Trial)
        public void setUp(ScanDataset ds) throws Exception {
            try {
                Report.failIfRequested("rocksdb");
                rocks = RocksDbStore.open(RocksDbStore.cacheBytesFor(ds.keys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH));
                long loaded = rocks.bulkLoad(ds.loadKeys, ds::value);
                if (loaded != ds.keys) {
                    throw new IllegalStateException("RocksDB holds " + loaded + " entries, not " + ds.keys);
                }
                it = rocks.db.newIterator(rocks.read);
                prefixes = ds.prefixes;
                rangeStarts = ds.rangeStarts;
                for (byte[] p : prefixes) {
                    long n = prefixScan(this, p, null);
                    if (n != ds.groupSize(p)) {
                        throw new IllegalStateException("RocksDB prefix " + p[0] + " scan saw " + n);
                    }
                }
                it.status();
                Report.metric("memory.rocksdb", ds.keys, (double) rocks.residentBytes() / ds.keys);
            } catch (Throwable t) {
                Report.failure("rocksdb", t);
                tearDown();
                throw t;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (it != null) {
                it.close();
                it = null;
            }
            if (rocks != null) {
                rocks.close();
                rocks = null;
            }
        }
    }

    /** Copies the current key into the state's key buffer; returns its length. */
    static int readKey(Db s) {
        s.key.clear();
        return s.it.key(s.key);
    }

    /** Copies the current value into the state's value buffer and consumes it with the key's length. */
    static void consumeValue(Db s, int keyLength, Blackhole bh) {
        ByteBuffer v = s.value;
        v.clear();
        s.it.value(v);
        if (bh != null) {
            bh.consume(keyLength);
            bh.consume(v.getLong(0));
        }
    }

    /** Scans the entries whose key starts with the one-byte prefix {@code p} (bh may be null at setup). */
    static long prefixScan(Db s, byte[] p, Blackhole bh) {
        RocksIterator it = s.it;
        long n = 0;
        for (it.seek(p); it.isValid(); it.next()) {
            int keyLength = readKey(s);
            if (s.key.get(0) != p[0]) {
                break;
            }
            consumeValue(s, keyLength, bh);
            n++;
        }
        return n;
    }

    @Benchmark
    public long fullScan(Db s, Blackhole bh) {
        RocksIterator it = s.it;
        long n = 0;
        for (it.seekToFirst(); it.isValid(); it.next()) {
            consumeValue(s, readKey(s), bh);
            n++;
        }
        return n;
    }

    @Benchmark
    public long prefixScan(Db s, Blackhole bh) {
        int i = s.prefix = s.prefix + 1 == ScanDataset.GROUPS ? 0 : s.prefix + 1;
        return prefixScan(s, s.prefixes[i], bh);
    }

    @Benchmark
    public long rangeScan(Db s, Blackhole bh) {
        int i = s.range = (s.range + 1) & (ScanDataset.RANGES - 1);
        RocksIterator it = s.it;
        long n = 0;
        for (it.seek(s.rangeStarts[i]); n < ScanDataset.RANGE_LENGTH && it.isValid(); it.next()) {
            consumeValue(s, readKey(s), bh);
            n++;
        }
        return n;
    }
}
