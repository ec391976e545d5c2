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
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * The RocksDB peer of {@link SessionStoreBenchmark}: Kafka Streams' session-store layout
 * ({@code RocksDBSegmentedBytesStore} with {@code SessionKeySchema}) on {@link RocksDbSegments},
 * same data, access order and operations, in the same run.
 *
 * <h2>Layout</h2>
 * <pre>
 * one column family per segment, segment id = session end / segment interval (10 min)
 * key:   [user key: 16][end: 8, big-endian][start: 8, big-endian]
 * value: the 64 B aggregate
 * </pre>
 * After loading every segment is flushed to one SST file and read once (block cache warm).
 *
 * <ul>
 *   <li>{@link #put}: the newest session of the next key into a {@code WriteBatch} written every
 *       {@value WindowDataset#PUTS_PER_COMMIT} puts (WAL disabled); stream time and the live segment
 *       checked per put as Kafka does.</li>
 *   <li>{@link #findSessions}: Kafka's {@code findSessions(key, earliestEnd, latestStart)}: every
 *       existing segment from that of {@code max(earliestEnd, horizon)} on
 *       ({@code SessionKeySchema.segmentsToSearch}: up to {@code Long.MAX_VALUE}), per segment
 *       {@code seek(key ‖ earliestEnd ‖ 0)} under the iterate upper bound
 *       {@code key ‖ Long.MAX_VALUE ‖ latestStart} (Kafka's {@code lowerRangeFixedSize} and
 *       {@code upperRangeFixedSize}), and its {@code hasNextCondition} per entry
 *       ({@code end >= earliestEnd && start <= latestStart}; the bounds make the key check exact for
 *       16 B keys). One reusable iterator per segment, keys and values copied into direct buffers: a
 *       lower bound for Kafka Streams' own session store.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RocksDbSessionBenchmark {
    static final int SUFFIX = 16;

    @State(Scope.Benchmark)
    public static class Db {
        RocksDbSegments segments;
        RocksDbSegments.Bounds bounds;
        RocksIterator[] iterators;
        WriteBatch batch;
        ByteBuffer key;
        final ByteBuffer entryKey = ByteBuffer.allocateDirect(256);
        final ByteBuffer entryValue = ByteBuffer.allocateDirect(Keys.VALUE_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        byte[][] hitKeys;
        ByteBuffer updateA;
        ByteBuffer updateB;
        int mask;
        int next;
        int pending;
        boolean phase;

        @Setup(Level.Trial)
        public void setUp(WindowDataset wd) throws Exception {
            try {
                Report.failIfRequested("rocksdb");
                long t0 = System.nanoTime();
                Dataset ds = wd.ds;
                segments = new RocksDbSegments(wd.entries(), ds.keyLength + SUFFIX, ds.valueLength,
                    WindowDataset.RETENTION, WindowDataset.SEGMENT_INTERVAL);
                key = ByteBuffer.allocateDirect(ds.keyLength + SUFFIX);
                ByteBuffer v = ByteBuffer.allocateDirect(ds.valueLength);
                segments.load((int) wd.entries(), (b, n) -> {
                    long start = WindowDataset.windowStart(n / ds.keys);
                    v.clear().put(ds.value(n % ds.keys)).flip();
                    put(this, b, ds.loadKeys[n % ds.keys], start, start + WindowDataset.SESSION_LENGTH, v);
                });
                bounds = new RocksDbSegments.Bounds(ds.keyLength + SUFFIX);
                iterators = segments.iterators(bounds.read);
                batch = new WriteBatch();
                hitKeys = ds.hitKeys;
                mask = ds.mask;
                updateA = ByteBuffer.allocateDirect(ds.valueLength).put(ds.updateA).flip();
                updateB = ByteBuffer.allocateDirect(ds.valueLength).put(ds.updateB).flip();
                WindowDataset.checkSessions("RocksDB", mask, i -> findSessions(this, i, null));
                Report.metric("session.memory.rocksdb", (double) segments.rocks.residentBytes() / wd.entries());
                System.out.printf("%n[offstate-jmh] RocksDB session setup: load + flush + check %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
            } catch (Throwable t) {
                Report.failure("rocksdb", t);
                tearDown();
                throw t;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            RocksDbSegments.closeAll(iterators);
            if (batch != null) {
                batch.close();
            }
            if (bounds != null) {
                bounds.close();
            }
            if (segments != null) {
                segments.close();
                segments = null;
            }
        }
    }

    /** Kafka's put: the session's segment if live (by its end), then {@code [key][end][start]} into the batch. */
    static void put(Db s, WriteBatch batch, byte[] k, long start, long end, ByteBuffer value) throws RocksDBException {
        ColumnFamilyHandle h = s.segments.liveSegment(end);
        if (h == null) {
            return; // expired: Kafka Streams drops it
        }
        value.position(0);
        batch.put(h, s.key.clear().put(k).putLong(end).putLong(start).flip(), value);
    }

    static long findSessions(Db s, int i, Blackhole bh) {
        return findSessions(s, s.hitKeys[i], 0, WindowDataset.SESSION_STREAM_TIME, bh);
    }

    static long findSessions(Db s, byte[] k, long earliestEnd, long latestStart, Blackhole bh) {
        RocksDbSegments g = s.segments;
        RocksDbSegments.Bounds b = s.bounds;
        long from = Math.max(earliestEnd, g.horizon());
        b.lower.clear().put(k).putLong(earliestEnd).putLong(0).flip();
        b.upper.clear().put(k).putLong(Long.MAX_VALUE).putLong(latestStart).flip();
        long n = 0;
        for (long id = g.segmentId(from); id <= g.segmentId(g.streamTime); id++) {
            if (g.segment(id) == null) {
                continue;
            }
            RocksIterator it = RocksDbSegments.iterator(s.iterators, id);
            b.lower.position(0);
            for (it.seek(b.lower); it.isValid(); it.next()) {
                ByteBuffer ek = s.entryKey;
                ek.clear();
                int length = it.key(ek);
                long end = ek.getLong(length - 16);
                long start = ek.getLong(length - 8);
                if (end < from || start > latestStart) {
                    continue;
                }
                if (bh != null) {
                    ByteBuffer v = s.entryValue;
                    v.clear();
                    it.value(v);
                    bh.consume(length - SUFFIX);
                    bh.consume(start);
                    bh.consume(end);
                    bh.consume(v.getLong(0));
                }
                n++;
            }
        }
        return n;
    }

    @Benchmark
    public void put(Db s) throws RocksDBException {
        int i = s.next = (s.next + 1) & s.mask;
        if (i == 0) {
            s.phase = !s.phase;
        }
        put(s, s.batch, s.hitKeys[i], WindowDataset.STREAM_TIME, WindowDataset.SESSION_STREAM_TIME,
            s.phase ? s.updateA : s.updateB);
        if (++s.pending == WindowDataset.PUTS_PER_COMMIT) {
            s.segments.rocks.db.write(s.segments.rocks.write, s.batch);
            s.batch.clear();
            s.pending = 0;
        }
    }

    @Benchmark
    public long findSessions(Db s, Blackhole bh) {
        int i = s.next = (s.next + 1) & s.mask;
        return findSessions(s, i, bh);
    }
}
