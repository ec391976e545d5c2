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
import org.openjdk.jmh.infra.Blackhole;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/**
 * The RocksDB peer of {@link VersionedStoreBenchmark}, modelled on Kafka Streams'
 * {@code RocksDBVersionedStore} (KIP-889): a latest-value store plus time segments of older
 * versions, segmented by the versions' validTo, on {@link RocksDbSegments}; same data, access order
 * and lookups, in the same run.
 *
 * <h2>Layout (a simplified equivalent of Kafka's)</h2>
 * <pre>
 * latest column family:   [user key: 16]                        → [validFrom: 8 BE][value: 64]
 * segment column families, segment id = validTo / 10 min:
 *                         [user key: 16][validTo: 8 BE]         → [validFrom: 8 BE][value: 64]
 * </pre>
 * Kafka keeps one entry per key per segment whose value packs all of that key's versions in the
 * segment ({@code RocksDBVersionedStoreSegmentValueFormatter}: next timestamp, min timestamp, a
 * timestamp/size index, the values), and a lookup gets that blob from each segment, newest first,
 * until one covers {@code asOf}, then searches inside it. Here a version is an entry of its own,
 * so one seek finds it: no blob is copied or searched. Both sides hold one version per segment in
 * this data set, so the work per lookup is the same in shape; this model does less of it than
 * Kafka Streams (no blob deserialisation, no on-heap copies): a lower bound for its cost.
 *
 * <ul>
 *   <li>{@link #getLatest}, {@link #getAsOf}, as Kafka's {@code get(key, asOf)}: a point
 *       {@code get} in the latest store, which answers if its validFrom ≤ asOf (the latest
 *       lookup ends here); otherwise, unless {@code asOf} is behind the history horizon, the
 *       segments from that of {@code asOf} on: {@code seek(key ‖ asOf + 1)} under the iterate upper
 *       bound {@code key ‖ Long.MAX_VALUE}; the first entry is the version with the smallest
 *       validTo after {@code asOf}, the one valid at {@code asOf} if its validFrom ≤ asOf. One
 *       reusable iterator per segment; keys and values copied into direct buffers.</li>
 * </ul>
 * After loading, every column family is flushed to an SST file and read once (block cache warm).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RocksDbVersionedBenchmark {

    @State(Scope.Benchmark)
    public static class Db {
        RocksDbSegments segments;
        ColumnFamilyHandle latest;
        RocksDbSegments.Bounds bounds;
        RocksIterator[] iterators;
        ByteBuffer key;
        ByteBuffer value;
        byte[][] hitKeys;
        int mask;
        int next;

        @Setup(Level.Trial)
        public void setUp(WindowDataset wd) throws Exception {
            try {
                Report.failIfRequested("rocksdb");
                long t0 = System.nanoTime();
                Dataset ds = wd.ds;
                long entries = (long) ds.keys * WindowDataset.VERSIONS;
                segments = new RocksDbSegments(entries, ds.keyLength + 8, ds.valueLength + 8, WindowDataset.RETENTION,
                    WindowDataset.SEGMENT_INTERVAL);
                latest = segments.extraColumnFamily("latest");
                key = ByteBuffer.allocateDirect(ds.keyLength + 8);
                value = ByteBuffer.allocateDirect(ds.valueLength + 8);
                ByteBuffer v = ByteBuffer.allocateDirect(ds.valueLength + 8);
                segments.load((int) entries, (batch, n) -> {
                    int i = n % ds.keys;
                    int w = n / ds.keys;
                    v.clear().putLong(WindowDataset.windowStart(w)).put(ds.value(i)).flip();
                    if (w == WindowDataset.VERSIONS - 1) {
                        batch.put(latest, key.clear().put(ds.loadKeys[i]).flip(), v);
                    } else {
                        long validTo = WindowDataset.windowStart(w + 1);
                        batch.put(segments.liveSegment(validTo), key.clear().put(ds.loadKeys[i]).putLong(validTo).flip(), v);
                    }
                });
                bounds = new RocksDbSegments.Bounds(ds.keyLength + 8);
                iterators = segments.iterators(bounds.read);
                hitKeys = ds.hitKeys;
                mask = ds.mask;
                if (segments.streamTime != WindowDataset.STREAM_TIME) {
                    throw new IllegalStateException("RocksDB versioned stream time " + segments.streamTime);
                }
                WindowDataset.checkVersions("RocksDB", mask, i -> checked(this, i, WindowDataset.STREAM_TIME),
                    i -> checked(this, i, WindowDataset.historyAsOf(i)));
                Report.metric("versioned.memory.rocksdb", (double) segments.rocks.residentBytes() / entries);
                System.out.printf("%n[offstate-jmh] RocksDB versioned setup: load + flush + check %d ms%n",
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
            if (bounds != null) {
                bounds.close();
            }
            if (segments != null) {
                segments.close();
                segments = null;
            }
        }
    }

    /** {@link #get} for the setup's check. */
    static long checked(Db s, int i, long asOf) {
        try {
            return get(s, i, asOf, null);
        } catch (RocksDBException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The validFrom of the version of access {@code i}'s key valid at {@code asOf}, or -1 (Kafka's get(key, asOf)). */
    static long get(Db s, int i, long asOf, Blackhole bh) throws RocksDBException {
        byte[] k = s.hitKeys[i];
        RocksDbSegments g = s.segments;
        ByteBuffer v = s.value;
        v.clear();
        int n = g.rocks.db.get(s.latest, g.rocks.read, s.key.clear().put(k).flip(), v);
        if (n != RocksDB.NOT_FOUND) {
            long validFrom = v.getLong(0);
            if (validFrom <= asOf) {
                if (bh != null) {
                    bh.consume(v.getLong(8));
                }
                return validFrom;
            }
        }
        if (asOf < g.streamTime - g.retention) {
            return -1; // the history is gone: only the latest value answers
        }
        RocksDbSegments.Bounds b = s.bounds;
        b.lower.clear().put(k).putLong(asOf + 1).flip();
        b.upper.clear().put(k).putLong(Long.MAX_VALUE).flip();
        for (long id = g.segmentId(asOf); id <= g.segmentId(g.streamTime); id++) {
            if (g.segment(id) == null) {
                continue;
            }
            RocksIterator it = RocksDbSegments.iterator(s.iterators, id);
            b.lower.position(0);
            it.seek(b.lower);
            if (!it.isValid()) {
                continue;
            }
            v.clear();
            it.value(v);
            long validFrom = v.getLong(0);
            if (validFrom > asOf) {
                return -1; // the oldest version after asOf began after it: nothing was valid at asOf
            }
            if (bh != null) {
                ByteBuffer ek = s.key;
                ek.clear();
                int length = it.key(ek);
                bh.consume(ek.getLong(length - 8)); // validTo
                bh.consume(v.getLong(8));
            }
            return validFrom;
        }
        return -1;
    }

    @Benchmark
    public long getLatest(Db s, Blackhole bh) throws RocksDBException {
        int i = s.next = (s.next + 1) & s.mask;
        return get(s, i, WindowDataset.STREAM_TIME, bh);
    }

    @Benchmark
    public long getAsOf(Db s, Blackhole bh) throws RocksDBException {
        int i = s.next = (s.next + 1) & s.mask;
        return get(s, i, WindowDataset.historyAsOf(i), bh);
    }
}
