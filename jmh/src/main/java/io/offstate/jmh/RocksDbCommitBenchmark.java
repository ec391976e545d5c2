package io.offstate.jmh;

import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.rocksdb.RocksDBException;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * The RocksDB peer of {@link CommitBenchmark} and {@link GroupCommitBenchmark}: an atomic batch of
 * writes ({@code WriteBatch}, {@code db.write(options, batch)}) on a RocksDB configured as in
 * {@link RocksDbStore} (bulk-loaded with the {@link Dataset}, block cache holding it), with the
 * same keys, values and access order as offstate's side. The database lives in a fresh directory
 * under {@code java.io.tmpdir} (a disk; the file system is recorded with the results).
 *
 * <ul>
 *   <li>{@link #commit}: one batch of {@code writes} put-updates of present keys (the next keys of
 *       the access sequence, two alternating values), written with {@code wal}:
 *       {@code sync} = {@code WriteOptions.setSync(true)} (the WAL is fsynced before the write
 *       returns: the peer of offstate's {@code EVERY_COMMIT}); {@code wal} = the default, WAL written
 *       but not fsynced (survives a process crash, not a machine crash: the peer of offstate's
 *       {@code NEVER}, and an upper bound for {@code INTERVAL}); {@code nowal} =
 *       {@code setDisableWAL(true)} (nothing is durable until a memtable flush: no offstate
 *       counterpart, the speed limit of RocksDB's write path). SampleTime, µs.</li>
 *   <li>{@link #syncCommit1}, {@link #syncCommit2}, {@link #syncCommit4}: 1, 2 and 4 threads, each
 *       writing a batch of one put with {@code setSync(true)} to its own keys of one shared
 *       database, as fast as it can. RocksDB groups concurrent writers into one WAL write and one
 *       fsync (its write group), as offstate's log does: throughput, commits/s over all threads.</li>
 * </ul>
 * Allocation: the batch, options and buffers are reused; a commit allocates nothing on the Java side.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class RocksDbCommitBenchmark {

    /** {@code WriteOptions} for a {@link RocksDbCommitBenchmark} {@code wal} parameter value. */
    static WriteOptions writeOptions(String wal) {
        return switch (wal) {
            case "sync" -> new WriteOptions().setSync(true);
            case "wal" -> new WriteOptions();
            case "nowal" -> new WriteOptions().setDisableWAL(true);
            default -> throw new IllegalArgumentException("wal must be sync, wal or nowal, was " + wal);
        };
    }

    /** The loaded database and one reusable batch for {@link #commit}. */
    @State(Scope.Benchmark)
    public static class Db {
        /** Puts per batch (commit). */
        @Param({"1", "10", "100"})
        public int writes;

        /** sync (fsync per write), wal (WAL written, not fsynced), nowal (WAL disabled). */
        @Param({"sync", "wal", "nowal"})
        public String wal;

        RocksDbStore rocks;
        WriteOptions options;
        WriteBatch batch;
        ByteBuffer hitKeys;
        ByteBuffer updateA;
        ByteBuffer updateB;
        int keyLength;
        int mask;
        int next;
        boolean phase;

        @Setup(Level.Trial)
        public void setUp(Dataset ds) throws Exception {
            try {
                Report.failIfRequested("rocksdb");
                long t0 = System.nanoTime();
                rocks = RocksDbStore.open(RocksDbStore.cacheBytesFor(ds.keys, ds.keyLength, ds.valueLength));
                Report.note("file-system-rocksdb", FileStores.describe(rocks.root));
                long loaded = rocks.bulkLoad(ds.loadKeys, ds::value);
                if (loaded != ds.keys) {
                    throw new IllegalStateException("RocksDB holds " + loaded + " entries, not " + ds.keys);
                }
                System.out.printf("%n[offstate-jmh] RocksDB commit setup: bulk load + scan %d ms%n",
                    (System.nanoTime() - t0) / 1_000_000);
                options = writeOptions(wal);
                batch = new WriteBatch();
                keyLength = ds.keyLength;
                mask = ds.mask;
                hitKeys = RocksDbBenchmark.packed(ds.hitKeys, ds.keyLength);
                updateA = ByteBuffer.allocateDirect(ds.valueLength).put(ds.updateA).flip();
                updateB = ByteBuffer.allocateDirect(ds.valueLength).put(ds.updateB).flip();
                FileStores.syncAll();
            } catch (Throwable t) {
                Report.failure("rocksdb", t);
                tearDown();
                throw t;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (batch != null) {
                batch.close();
            }
            if (options != null) {
                options.close();
            }
            if (rocks != null) {
                rocks.close();
                rocks = null;
            }
        }
    }

    @Benchmark
    public void commit(Db s) throws RocksDBException {
        WriteBatch b = s.batch;
        b.clear();
        for (int w = 0; w < s.writes; w++) {
            int i = s.next = (s.next + 1) & s.mask;
            if (i == 0) {
                s.phase = !s.phase;
            }
            ByteBuffer v = s.phase ? s.updateA : s.updateB;
            v.position(0); // put(ByteBuffer, ByteBuffer) consumes the value buffer
            b.put(RocksDbBenchmark.window(s.hitKeys, i, s.keyLength), v);
        }
        s.rocks.db.write(s.options, b);
    }

    // ------------------------------------------------------------ group commit

    /** One database shared by the writer threads, opened empty (each writer's first pass inserts its keys). */
    @State(Scope.Benchmark)
    public static class SharedDb {
        RocksDbStore rocks;
        WriteOptions sync;
        final AtomicInteger writers = new AtomicInteger();

        @Setup(Level.Trial)
        public void setUp() throws Exception {
            try {
                Report.failIfRequested("rocksdb");
                rocks = RocksDbStore.open(64L << 20);
                Report.note("file-system-rocksdb", FileStores.describe(rocks.root));
                sync = writeOptions("sync");
                FileStores.syncAll();
            } catch (Throwable t) {
                Report.failure("rocksdb", t);
                tearDown();
                throw t;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (sync != null) {
                sync.close();
            }
            if (rocks != null) {
                rocks.close();
                rocks = null;
            }
        }
    }

    /** One writer thread: its own keys (a seed per writer) in a direct buffer, its own batch. */
    @State(Scope.Thread)
    public static class Writer {
        WriteBatch batch;
        ByteBuffer keys;
        ByteBuffer updateA;
        ByteBuffer updateB;
        int next;
        boolean phase;

        @Setup(Level.Trial)
        public void setUp(SharedDb db) {
            int id = db.writers.getAndIncrement();
            keys = RocksDbBenchmark.packed(Keys.randomKeys(GroupCommitBenchmark.KEYS, Keys.KEY_LENGTH,
                GroupCommitBenchmark.keySeed(id)), Keys.KEY_LENGTH);
            updateA = ByteBuffer.allocateDirect(Keys.VALUE_LENGTH).put(Keys.updateValue(0)).flip();
            updateB = ByteBuffer.allocateDirect(Keys.VALUE_LENGTH).put(Keys.updateValue(1)).flip();
            batch = new WriteBatch();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (batch != null) {
                batch.close();
            }
        }
    }

    static void syncCommit(SharedDb db, Writer w) throws RocksDBException {
        WriteBatch b = w.batch;
        b.clear();
        int i = w.next = (w.next + 1) & (GroupCommitBenchmark.KEYS - 1);
        if (i == 0) {
            w.phase = !w.phase;
        }
        ByteBuffer v = w.phase ? w.updateA : w.updateB;
        v.position(0);
        b.put(RocksDbBenchmark.window(w.keys, i, Keys.KEY_LENGTH), v);
        db.rocks.db.write(db.sync, b);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(1)
    public void syncCommit1(SharedDb db, Writer w) throws RocksDBException {
        syncCommit(db, w);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(2)
    public void syncCommit2(SharedDb db, Writer w) throws RocksDBException {
        syncCommit(db, w);
    }

    @Benchmark
    @BenchmarkMode(Mode.Throughput)
    @OutputTimeUnit(TimeUnit.SECONDS)
    @Threads(4)
    public void syncCommit4(SharedDb db, Writer w) throws RocksDBException {
        syncCommit(db, w);
    }
}
