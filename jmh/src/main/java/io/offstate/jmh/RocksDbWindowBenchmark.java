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
 * The RocksDB peer of {@link WindowStoreBenchmark}: Kafka Streams' segmented window-store layout
 * ({@code RocksDBSegmentedBytesStore} with {@code WindowKeySchema}) on a RocksDB configured as in
 * {@link RocksDbStore}, same {@link WindowDataset}, access order and operations, in the same run.
 *
 * <h2>Layout</h2>
 * <pre>
 * one column family per segment, segment id = window start / segment interval (10 min)
 * key:   [user key: 16][window start: 8, big-endian][sequence: 4, big-endian, 0 without duplicates]
 * value: the 64 B value
 * </pre>
 * Kafka Streams keeps one RocksDB instance per segment; here a segment is a column family of one
 * database (same key order, same per-segment files and memtables, one block cache). Segments older
 * than the horizon are dropped whole ({@code dropColumnFamily}), as Kafka Streams deletes a whole
 * segment store. The WAL is disabled (Kafka Streams disables it). After loading, each segment is
 * flushed to one SST file (Kafka Streams flushes its stores at every commit) and read once, so the
 * block cache holds everything; puts then go to the newest segment's memtable.
 *
 * <p>This is RocksDB with Kafka's layout driven from Java without Kafka Streams' own on-heap work:
 * no {@code Bytes} wrappers or {@code byte[]} per key and value, no {@code TreeMap} of segments.
 * Keys and values go through reusable direct buffers, one iterator per segment is created at setup
 * and re-positioned per fetch (Kafka Streams opens new iterators per fetch): a lower bound for what
 * Kafka Streams' window store costs on RocksDB.
 *
 * <ul>
 *   <li>{@link #put}: the newest window of the next key into a {@code WriteBatch}, written with
 *       {@code db.write} (WAL disabled) every {@value WindowDataset#PUTS_PER_COMMIT} puts (offstate's
 *       commit interval); stream time and the segment are checked per put as Kafka Streams does.</li>
 *   <li>{@link #fetchKey}: per live segment in range, {@code seek(key ‖ from ‖ 0)} under an
 *       iterate upper bound {@code key ‖ to + 1 ‖ 0}: 6 windows.</li>
 *   <li>{@link #fetchKeyRange}: per live segment, {@code seek(keyFrom ‖ from ‖ 0)} under the upper
 *       bound {@code keyTo ‖ to + 1 ‖ 0}, window start checked per entry (Kafka's
 *       {@code hasNextCondition}); the bounds make the key check exact for 16 B keys, so it is left
 *       out. 96 windows.</li>
 *   <li>{@link #fetchAll}: the segments of the time range scanned whole ({@code seekToFirst}), window
 *       start checked per entry, as Kafka Streams' {@code fetchAll(from, to)} does.</li>
 *   <li>{@link #expireSegment}: with 7 segments, an untimed per-invocation setup creates the next
 *       segment's column family, writes {@code keys} windows into it (batches of
 *       {@value WindowDataset#PUTS_PER_COMMIT}) and flushes it; the measured call drops the oldest
 *       column family and closes its handle (RocksDB may delete the files later, in the
 *       background).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RocksDbWindowBenchmark {
    static final int SUFFIX = 12;

    /** The shared time segments with Kafka's window key layout on top. */
    static final class Segments extends RocksDbSegments {
        final ByteBuffer key;

        Segments(long entries, int keyLength, int valueLength) throws Exception {
            super(entries, keyLength + SUFFIX, valueLength, WindowDataset.RETENTION, WindowDataset.SEGMENT_INTERVAL);
            this.key = ByteBuffer.allocateDirect(keyLength + SUFFIX); // big-endian, as Kafka's layout
        }

        /** Writes {@code [k][windowStart][seq 0]} into {@link #key}, flipped for reading. */
        ByteBuffer storeKey(byte[] k, long windowStart) {
            return key.clear().put(k).putLong(windowStart).putInt(0).flip();
        }

        /**
         * Kafka's put path: drop a window behind the horizon, advance stream time, find (or create)
         * the live segment, then put into the batch.
         */
        void put(WriteBatch batch, byte[] k, ByteBuffer value, long windowStart) throws RocksDBException {
            ColumnFamilyHandle h = liveSegment(windowStart);
            if (h == null) {
                return; // expired: Kafka Streams drops it
            }
            value.position(0);
            batch.put(h, storeKey(k, windowStart), value);
        }

        /** Loads key {@code i} → {@code value(i)} for windows {@code 0..windows-1}, each segment flushed. */
        void load(Dataset ds, int windows) throws RocksDBException {
            ByteBuffer v = ByteBuffer.allocateDirect(ds.valueLength);
            load(ds.keys * windows, (batch, n) -> {
                v.clear().put(ds.value(n % ds.keys)).flip();
                put(batch, ds.loadKeys[n % ds.keys], v, WindowDataset.windowStart(n / ds.keys));
            });
        }
    }

    /** The loaded segments for put and the fetches, one reusable batch, iterators per segment. */
    @State(Scope.Benchmark)
    public static class Db {
        Segments segments;
        WriteBatch batch;
        /** Iterators under the shared movable upper bound {@link #bounds}, and unbounded ones, per slot. */
        RocksIterator[] bounded;
        RocksIterator[] unbounded;
        RocksDbSegments.Bounds bounds;
        final ByteBuffer entryKey = ByteBuffer.allocateDirect(256);
        final ByteBuffer entryValue = ByteBuffer.allocateDirect(Keys.VALUE_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
        byte[][] hitKeys;
        byte[][] rangeFrom;
        byte[][] rangeTo;
        ByteBuffer updateA;
        ByteBuffer updateB;
        int keyLength;
        int mask;
        int next;
        int pending;
        int window;
        boolean phase;

        @Setup(Level.Trial)
        public void setUp(WindowDataset wd) throws Exception {
            try {
                Report.failIfRequested("rocksdb");
                long t0 = System.nanoTime();
                Dataset ds = wd.ds;
                segments = new Segments(wd.entries(), ds.keyLength, ds.valueLength);
                segments.load(ds, WindowDataset.WINDOWS);
                keyLength = ds.keyLength;
                bounds = new RocksDbSegments.Bounds(keyLength + SUFFIX);
                bounded = segments.iterators(bounds.read);
                unbounded = segments.iterators(segments.rocks.read);
                batch = new WriteBatch();
                hitKeys = ds.hitKeys;
                rangeFrom = wd.rangeFrom;
                rangeTo = wd.rangeTo;
                mask = ds.mask;
                updateA = ByteBuffer.allocateDirect(ds.valueLength).put(ds.updateA).flip();
                updateB = ByteBuffer.allocateDirect(ds.valueLength).put(ds.updateB).flip();
                // fetchAll first: it also fills the block cache
                wd.check("RocksDB", i -> fetchKey(this, i, null), i -> fetchKeyRange(this, i, null),
                    w -> fetchAll(this, w, null));
                Report.metric("window.memory.rocksdb", (double) segments.rocks.residentBytes() / wd.entries());
                System.out.printf("%n[offstate-jmh] RocksDB window setup: load + flush + check %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
            } catch (Throwable t) {
                Report.failure("rocksdb", t);
                tearDown();
                throw t;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            RocksDbSegments.closeAll(bounded);
            RocksDbSegments.closeAll(unbounded);
            if (batch != null) {
                batch.close();
            }
            if (segments != null) {
                segments.close();
                segments = null;
            }
            if (bounds != null) {
                bounds.close();
            }
        }
    }

    /** Copies the current entry's key into the state's key buffer; returns its window start. */
    static long windowStart(Db s, RocksIterator it) {
        ByteBuffer k = s.entryKey;
        k.clear();
        int length = it.key(k);
        return k.getLong(length - SUFFIX);
    }

    /** Copies the current entry's value into the state's value buffer and consumes it (bh may be null). */
    static void consume(Db s, RocksIterator it, long windowStart, Blackhole bh) {
        if (bh != null) {
            ByteBuffer v = s.entryValue;
            v.clear();
            it.value(v);
            bh.consume(s.entryKey.limit() - SUFFIX);
            bh.consume(windowStart);
            bh.consume(v.getLong(0));
        }
    }

    /** Scans one key's or a key range's windows in [from, to] segment by segment, under the upper bound. */
    static long fetchRange(Db s, byte[] keyFrom, byte[] keyTo, long from, long to, Blackhole bh) {
        Segments g = s.segments;
        long lo = Math.max(from, g.horizon());
        long hi = Math.min(to, g.streamTime);
        s.bounds.lower.clear().put(keyFrom).putLong(lo).putInt(0).flip();
        s.bounds.upper.clear().put(keyTo).putLong(hi + 1).putInt(0).flip(); // the slice's bytes: the bound moves
        long n = 0;
        for (long id = g.segmentId(lo); id <= g.segmentId(hi); id++) {
            if (g.segment(id) == null) {
                continue;
            }
            RocksIterator it = RocksDbSegments.iterator(s.bounded, id);
            s.bounds.lower.position(0);
            for (it.seek(s.bounds.lower); it.isValid(); it.next()) {
                long start = windowStart(s, it);
                if (start < lo || start > hi) {
                    continue;
                }
                consume(s, it, start, bh);
                n++;
            }
        }
        return n;
    }

    static long fetchKey(Db s, int i, Blackhole bh) {
        return fetchRange(s, s.hitKeys[i], s.hitKeys[i], 0, WindowDataset.STREAM_TIME, bh);
    }

    static long fetchKeyRange(Db s, int i, Blackhole bh) {
        return fetchRange(s, s.rangeFrom[i], s.rangeTo[i], 0, WindowDataset.STREAM_TIME, bh);
    }

    static long fetchAll(Db s, int w, Blackhole bh) {
        Segments g = s.segments;
        long from = Math.max(WindowDataset.windowStart(w), g.horizon());
        long to = Math.min(WindowDataset.windowStart(w) + WindowDataset.WINDOW_SIZE - 1, g.streamTime);
        long n = 0;
        for (long id = g.segmentId(from); id <= g.segmentId(to); id++) {
            if (g.segment(id) == null) {
                continue;
            }
            RocksIterator it = RocksDbSegments.iterator(s.unbounded, id);
            for (it.seekToFirst(); it.isValid(); it.next()) {
                long start = windowStart(s, it);
                if (start >= from && start <= to) {
                    consume(s, it, start, bh);
                    n++;
                }
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
        s.segments.put(s.batch, s.hitKeys[i], s.phase ? s.updateA : s.updateB, WindowDataset.STREAM_TIME);
        if (++s.pending == WindowDataset.PUTS_PER_COMMIT) {
            s.segments.rocks.db.write(s.segments.rocks.write, s.batch);
            s.batch.clear();
            s.pending = 0;
        }
    }

    @Benchmark
    public long fetchKey(Db s, Blackhole bh) {
        int i = s.next = (s.next + 1) & s.mask;
        return fetchKey(s, i, bh);
    }

    @Benchmark
    public long fetchKeyRange(Db s, Blackhole bh) {
        int i = s.next = (s.next + 1) & s.mask;
        return fetchKeyRange(s, i, bh);
    }

    @Benchmark
    public long fetchAll(Db s, Blackhole bh) {
        int w = s.window = s.window + 1 == WindowDataset.WINDOWS ? 0 : s.window + 1;
        return fetchAll(s, w, bh);
    }

    // ------------------------------------------------------------ expiry

    /** Seven flushed segments; each invocation adds one (untimed) and the measured call drops the oldest. */
    @State(Scope.Benchmark)
    public static class Expiring {
        Segments segments;
        Dataset ds;
        WriteBatch batch;
        ByteBuffer value;
        int nextWindow;
        long oldest;

        @Setup(Level.Trial)
        public void setUp(WindowDataset wd) throws Exception {
            try {
                Report.failIfRequested("rocksdb");
                ds = wd.ds;
                segments = new Segments((long) ds.keys * (WindowStoreBenchmark.Expiring.SEGMENTS + 1), ds.keyLength,
                    ds.valueLength);
                segments.load(ds, WindowStoreBenchmark.Expiring.SEGMENTS);
                nextWindow = WindowStoreBenchmark.Expiring.SEGMENTS;
                batch = new WriteBatch();
                value = ByteBuffer.allocateDirect(ds.valueLength).put(ds.updateA).flip();
            } catch (Throwable t) {
                Report.failure("rocksdb", t);
                tearDown();
                throw t;
            }
        }

        /** Writes and flushes the next segment; the oldest falls behind the horizon. Not timed. */
        @Setup(Level.Invocation)
        public void nextSegment() throws RocksDBException {
            long start = WindowDataset.windowStart(nextWindow++);
            for (int i = 0; i < ds.keys; i++) {
                segments.put(batch, ds.loadKeys[i], value, start);
                if (batch.count() == WindowDataset.PUTS_PER_COMMIT) {
                    segments.rocks.db.write(segments.rocks.write, batch);
                    batch.clear();
                }
            }
            segments.rocks.db.write(segments.rocks.write, batch);
            batch.clear();
            segments.flush(segments.segmentId(start));
            if (segments.segmentId(segments.horizon()) <= oldest) {
                throw new IllegalStateException("segment " + oldest + " is not behind the horizon " + segments.horizon());
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (batch != null) {
                batch.close();
            }
            if (segments != null) {
                segments.close();
                segments = null;
            }
        }
    }

    @Benchmark
    public int expireSegment(Expiring s) throws RocksDBException {
        s.segments.drop(s.oldest++);
        return s.ds.keys;
    }
}
