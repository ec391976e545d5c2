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
import org.rocksdb.RocksDBException;

/**
 * The LSM peer of {@link OffstateBenchmark}: RocksDB through rocksdbjni, configured as in
 * {@link RocksDbStore} (no WAL, block cache holding the whole data set, Bloom filters, bulk-loaded
 * into the bottom level), with the same data set and access order. Measures get-hit, get-miss, put-update
 * (average time and SampleTime for get-hit and put-update) and delete+reinsert.
 *
 * <p>RocksDB gets its fastest allocation-free Java path. Keys are laid out in access order in one
 * direct {@link ByteBuffer} and passed as a window of it (position/limit), values are read into a
 * reusable direct buffer: {@code get(ReadOptions, ByteBuffer, ByteBuffer)},
 * {@code put(WriteOptions, ByteBuffer, ByteBuffer)} and {@code delete(WriteOptions, ByteBuffer)}.
 * The JNI side then uses the key in place and copies the value once (the {@code byte[]} variants
 * additionally copy the key into a native array on every call). {@link #getHitArray} measures the
 * {@code byte[]} read path, {@code get(ReadOptions, byte[] key, byte[] value)} into a preallocated
 * array, for comparison; the summary's RocksDB get-hit is {@link #getHit} (direct buffers).
 *
 * <ul>
 *   <li>{@link #getHit}: a present key; consumes the value's first 8 bytes and its length, as the
 *       other peers do.</li>
 *   <li>{@link #getMiss}: an absent key (the Bloom filter answers most of these).</li>
 *   <li>{@link #putUpdate}: overwrites a present key with one of two prepared values, alternating
 *       on every pass (a memtable insert; flushes and compactions run on RocksDB's background
 *       threads, i.e. on the machine's other core).</li>
 *   <li>{@link #deleteReinsert}: a delete (a tombstone) then a put of the same key: the pair.</li>
 * </ul>
 * Memory per entry ({@code memory.rocksdb}) is RocksDB's own accounting after the bulk load and
 * one scan of everything: {@code rocksdb.block-cache-usage +
 * rocksdb.estimate-table-readers-mem + rocksdb.cur-size-all-mem-tables}, divided by the keys;
 * {@code memory.rocksdb-sst} is {@code rocksdb.total-sst-files-size} per key (on disk, and in the
 * OS page cache once read). If RocksDB cannot run here (e.g. its native library does not load), the
 * reason is recorded and the summary says so.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RocksDbBenchmark {

    @State(Scope.Benchmark)
    public static class Db {
        RocksDbStore rocks;
        /** Present keys, packed in access order; {@link #key} is a window onto it. */
        ByteBuffer hitKeys;
        /** Absent keys, packed in access order. */
        ByteBuffer missKeys;
        ByteBuffer value;
        ByteBuffer updateA;
        ByteBuffer updateB;
        byte[][] hitKeyArrays;
        byte[] valueArray;
        int keyLength;
        int mask;
        int hit;
        int miss;
        int put;
        int del;
        boolean phase;
        boolean delPhase;

        @Setup(Level.Trial)
        public void setUp(Dataset ds) throws Exception {
            try {
                Report.failIfRequested("rocksdb");
                long t0 = System.nanoTime();
                rocks = RocksDbStore.open(RocksDbStore.cacheBytesFor(ds.keys, ds.keyLength, ds.valueLength));
                long loaded = rocks.bulkLoad(ds.loadKeys, ds::value);
                if (loaded != ds.keys) {
                    throw new IllegalStateException("RocksDB holds " + loaded + " entries, not " + ds.keys);
                }
                long t1 = System.nanoTime();
                keyLength = ds.keyLength;
                mask = ds.mask;
                hitKeys = packed(ds.hitKeys, ds.keyLength);
                missKeys = packed(ds.missKeys, ds.keyLength);
                hitKeyArrays = ds.hitKeys;
                valueArray = new byte[ds.valueLength];
                value = ByteBuffer.allocateDirect(ds.valueLength).order(ByteOrder.LITTLE_ENDIAN);
                updateA = ByteBuffer.allocateDirect(ds.valueLength).put(ds.updateA).flip();
                updateB = ByteBuffer.allocateDirect(ds.valueLength).put(ds.updateB).flip();
                // bulkLoad's scan warmed the block cache and counted the entries; spot-check the reads
                // (every 16th key: a full check would cost seconds per fork at RocksDB's speed)
                for (int i = 0; i <= mask; i += 16) {
                    value.clear();
                    if (rocks.db.get(rocks.read, window(hitKeys, i, keyLength), value) != ds.valueLength) {
                        throw new IllegalStateException("RocksDB lost key #" + i);
                    }
                    value.clear();
                    if (rocks.db.get(rocks.read, window(missKeys, i, keyLength), value) != org.rocksdb.RocksDB.NOT_FOUND) {
                        throw new IllegalStateException("RocksDB finds absent key #" + i);
                    }
                }
                System.out.printf("%n[offstate-jmh] RocksDB setup: bulk load + scan %d ms, spot checks %d ms%n",
                    (t1 - t0) / 1_000_000, (System.nanoTime() - t1) / 1_000_000);
                Report.metric("memory.rocksdb", ds.keys, (double) rocks.residentBytes() / ds.keys);
                Report.metric("memory.rocksdb-sst", ds.keys, (double) rocks.sstBytes() / ds.keys);
            } catch (Throwable t) {
                Report.failure("rocksdb", t);
                tearDown();
                throw t;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (rocks != null) {
                rocks.close();
                rocks = null;
            }
        }
    }

    /** {@code keys} copied one after the other into a direct buffer. */
    static ByteBuffer packed(byte[][] keys, int keyLength) {
        ByteBuffer b = ByteBuffer.allocateDirect(Math.multiplyExact(keys.length, keyLength));
        for (byte[] k : keys) {
            b.put(k);
        }
        return b.clear();
    }

    /** Points {@code packed}'s position and limit at key number {@code i}; returns it. */
    static ByteBuffer window(ByteBuffer packed, int i, int keyLength) {
        int from = i * keyLength;
        packed.limit(from + keyLength).position(from);
        return packed;
    }

    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
    public void getHit(Db s, Blackhole bh) throws RocksDBException {
        int i = s.hit = (s.hit + 1) & s.mask;
        ByteBuffer v = s.value;
        v.clear();
        bh.consume(s.rocks.db.get(s.rocks.read, window(s.hitKeys, i, s.keyLength), v));
        bh.consume(v.getLong(0));
    }

    @Benchmark
    public void getHitArray(Db s, Blackhole bh) throws RocksDBException {
        int i = s.hit = (s.hit + 1) & s.mask;
        byte[] v = s.valueArray;
        bh.consume(s.rocks.db.get(s.rocks.read, s.hitKeyArrays[i], v));
        bh.consume((long) HashMapBenchmark.LONG_LE.get(v, 0));
    }

    @Benchmark
    public int getMiss(Db s) throws RocksDBException {
        int i = s.miss = (s.miss + 1) & s.mask;
        ByteBuffer v = s.value;
        v.clear();
        return s.rocks.db.get(s.rocks.read, window(s.missKeys, i, s.keyLength), v);
    }

    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
    public void putUpdate(Db s) throws RocksDBException {
        int i = s.put = (s.put + 1) & s.mask;
        if (i == 0) {
            s.phase = !s.phase;
        }
        ByteBuffer v = s.phase ? s.updateA : s.updateB;
        v.position(0);
        s.rocks.db.put(s.rocks.write, window(s.hitKeys, i, s.keyLength), v);
    }

    @Benchmark
    public void deleteReinsert(Db s) throws RocksDBException {
        int i = s.del = (s.del + 1) & s.mask;
        if (i == 0) {
            s.delPhase = !s.delPhase;
        }
        s.rocks.db.delete(s.rocks.write, window(s.hitKeys, i, s.keyLength));
        ByteBuffer v = s.delPhase ? s.updateA : s.updateB;
        v.position(0);
        s.rocks.db.put(s.rocks.write, window(s.hitKeys, i, s.keyLength), v);
    }
}
