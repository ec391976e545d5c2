package io.offstate.jmh;

import java.nio.ByteBuffer;
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
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;

/**
 * The RocksDB peer of {@link WindowedCountBenchmark}: a windowed count the way Kafka Streams'
 * {@code KStreamWindowAggregate} does it on its RocksDB window store, same record stream, in the
 * same run. One operation is one record.
 *
 * <h2>Per record</h2>
 * Stream time = max(stream time, ts); for each window {@code [s, s + 1 min)} holding ts whose end
 * is after stream time − grace (0): {@code fetch(key, s)} — a point {@code get} of
 * {@code [key][s][seq 0]} in the segment of {@code s} — then the count + 1 put back as
 * {@code [ts 8][count 8]} (Kafka's {@code ValueAndTimestamp<Long>} bytes) into a {@code WriteBatch}
 * written every {@value WindowDataset#PUTS_PER_COMMIT} records (WAL disabled); after each write the
 * segments behind the horizon are dropped whole (Kafka's {@code cleanupEarlierThan}).
 *
 * <p>Store: Kafka Streams' window-store layout ({@code [key][window start 8][seq 4]}) on
 * {@link RocksDbSegments}, retention = size + grace = 1 min (Kafka's default for a windowed
 * aggregation), segment interval max(retention / 2, 1 min) = 1 min: 2-3 live segments, all in
 * memtables. Windows are not deleted when they close, only with their segment (as in Kafka).
 *
 * <p>Not modelled: Kafka Streams' record cache and its forwarding of each update downstream, and
 * its on-heap {@code Bytes}/serde work: a lower bound for its cost. A get does not see the
 * unwritten batch (RocksDB's WriteBatch cannot be read; WriteBatchWithIndex only into a new
 * {@code byte[]}); the stream brings a key back only after {@code k} records (its keys), so the
 * setup requires {@code k >= } {@value WindowDataset#PUTS_PER_COMMIT}, and the counts are checked.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RocksDbWindowedCountBenchmark {
    static final int SUFFIX = 12;
    static final int VALUE = 16;

    abstract static class Counting {
        RocksDbSegments segments;
        WriteBatch batch;
        ByteBuffer key;
        ByteBuffer value;
        long advance;
        byte[][] hitKeys;
        int mask;
        int accessLength;
        long n;
        int pending;

        void setUp(Dataset ds, long advance) throws Exception {
            try {
                Report.failIfRequested("rocksdb");
                long t0 = System.nanoTime();
                this.advance = advance;
                hitKeys = ds.hitKeys;
                accessLength = WindowDataset.countKeys(ds.mask + 1);
                mask = accessLength - 1;
                if (accessLength < WindowDataset.PUTS_PER_COMMIT) {
                    throw new IllegalArgumentException("the RocksDB windowed count needs at least "
                        + WindowDataset.PUTS_PER_COMMIT + " keys in the access order, has " + accessLength);
                }
                long retention = WindowDataset.COUNT_SIZE; // size + grace 0
                long live = 3 * (WindowDataset.COUNT_SIZE / advance) * accessLength;
                segments = new RocksDbSegments(live, ds.keyLength + SUFFIX, VALUE, retention,
                    Math.max(retention / 2, 60_000));
                batch = new WriteBatch();
                key = ByteBuffer.allocateDirect(ds.keyLength + SUFFIX);
                value = ByteBuffer.allocateDirect(VALUE);
                long prefix = WindowDataset.countPrefix(accessLength);
                while (n < prefix) {
                    process(this);
                }
                commit(this);
                WindowDataset.checkCounts("RocksDB", accessLength, prefix, advance, (j, start) -> {
                    try {
                        ColumnFamilyHandle h = segments.segment(segments.segmentId(start));
                        return h == null ? 0 : count(this, h, hitKeys[j], start);
                    } catch (RocksDBException e) {
                        throw new IllegalStateException(e);
                    }
                });
                System.out.printf("%n[offstate-jmh] RocksDB windowed count setup: %,d records + check %d ms%n", prefix,
                    (System.nanoTime() - t0) / 1_000_000);
            } catch (Throwable t) {
                Report.failure("rocksdb", t);
                close();
                throw t;
            }
        }

        void close() {
            if (batch != null) {
                batch.close();
                batch = null;
            }
            if (segments != null) {
                segments.close();
                segments = null;
            }
        }
    }

    @State(Scope.Benchmark)
    public static class Tumbling extends Counting {
        @Setup(Level.Trial)
        public void setUp(Dataset ds) throws Exception {
            setUp(ds, WindowDataset.COUNT_SIZE);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    @State(Scope.Benchmark)
    public static class Hopping extends Counting {
        @Setup(Level.Trial)
        public void setUp(Dataset ds) throws Exception {
            setUp(ds, WindowDataset.COUNT_ADVANCE);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    /** The stored count of {@code k}'s window at {@code start} in segment {@code h}; leaves its key in {@code s.key}. */
    static long count(Counting s, ColumnFamilyHandle h, byte[] k, long start) throws RocksDBException {
        ByteBuffer v = s.value.clear();
        int found = s.segments.rocks.db.get(h, s.segments.rocks.read, s.key.clear().put(k).putLong(start).putInt(0).flip(), v);
        return found == RocksDB.NOT_FOUND ? 0 : v.getLong(8);
    }

    static void commit(Counting s) throws RocksDBException {
        s.segments.rocks.db.write(s.segments.rocks.write, s.batch);
        s.batch.clear();
        s.segments.dropExpired();
        s.pending = 0;
    }

    /** One record through Kafka's window-aggregate steps; returns whether a window took it. */
    static boolean process(Counting s) throws RocksDBException {
        long n = s.n++;
        byte[] k = s.hitKeys[(int) (n & s.mask)];
        long ts = WindowDataset.countTimestamp(n, s.accessLength);
        RocksDbSegments g = s.segments;
        g.streamTime = Math.max(g.streamTime, ts);
        long closeTime = g.streamTime; // - grace 0
        long size = WindowDataset.COUNT_SIZE;
        long first = Math.max(0, ts - size + s.advance) / s.advance * s.advance; // Kafka's TimeWindows.windowsFor
        boolean taken = false;
        for (long start = first; start <= ts; start += s.advance) {
            if (start + size <= closeTime) {
                continue; // closed: Kafka skips the window as late
            }
            ColumnFamilyHandle live = g.liveSegment(start);
            if (live == null) {
                continue; // behind the horizon: Kafka's fetch finds nothing and its put drops the record
            }
            long count = count(s, live, k, start);
            s.value.clear().putLong(ts).putLong(count + 1).flip();
            s.key.position(0); // the get consumed it
            s.batch.put(live, s.key, s.value);
            taken = true;
        }
        if (++s.pending == WindowDataset.PUTS_PER_COMMIT) {
            commit(s);
        }
        return taken;
    }

    @Benchmark
    public boolean tumbling(Tumbling s) throws RocksDBException {
        return process(s);
    }

    @Benchmark
    public boolean hopping(Hopping s) throws RocksDBException {
        return process(s);
    }
}
