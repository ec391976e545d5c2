package io.offstate.jmh;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

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

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.log.WalOptions;
import io.offstate.engine.log.WriteAheadLog;

/**
 * Group commit (issue 14): commits/s with an fsync per commit ({@code EVERY_COMMIT}) from 1, 2 and
 * 4 threads, each committing one put per transaction to its own store, all through one shared
 * write-ahead log, so commits waiting at the same time share one fsync. Peer:
 * {@link RocksDbCommitBenchmark#syncCommit1} etc. (one RocksDB, {@code setSync(true)}, same thread
 * counts, same keys and values). Throughput over all threads, ops/s.
 *
 * <p>Each thread's state opens its store on that thread (stores are confined to their owner), in
 * a directory of its own; the log is in the shared state's directory, from {@link FileStores}. Keys:
 * {@value #KEYS} random 16-byte keys per thread (a seed per thread), 64-byte values; the stores
 * start empty, so the first pass over a thread's keys inserts them and the rest update.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class GroupCommitBenchmark {
    /** Keys per writer thread (a power of two: the cursor wraps with a mask). */
    static final int KEYS = 1 << 16;

    /** The key seed of writer number {@code id}, the same for offstate and RocksDB. */
    static long keySeed(int id) {
        return 0x6C0_0000L + id;
    }

    /** The shared log, fsync per commit. */
    @State(Scope.Benchmark)
    public static class SharedLog {
        Path directory;
        WriteAheadLog log;
        final AtomicInteger writers = new AtomicInteger();

        @Setup(Level.Trial)
        public void setUp() {
            directory = FileStores.newDirectory("offstate-group-");
            log = WriteAheadLog.open(directory.resolve("log"), WalOptions.defaults());
            FileStores.syncAll();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (log != null) {
                log.close();
            }
            FileStores.delete(directory);
        }
    }

    /** One writer thread: its store (opened on this thread), keys, values and log sink. */
    @State(Scope.Thread)
    public static class Writer {
        KeyValueStore store;
        LogSink sink;
        byte[][] keys;
        final byte[] updateA = Keys.updateValue(0);
        final byte[] updateB = Keys.updateValue(1);
        int next;
        boolean phase;

        @Setup(Level.Trial)
        public void setUp(SharedLog shared) {
            int id = shared.writers.getAndIncrement();
            keys = Keys.randomKeys(KEYS, Keys.KEY_LENGTH, keySeed(id));
            store = KeyValueStore.open(shared.directory.resolve("store-" + id),
                OffstateBenchmark.options(KEYS).name("bench-" + id).build());
            sink = new LogSink(shared.log);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (store != null) {
                store.closeWithoutFlush();
            }
        }
    }

    static void commit(Writer w) {
        int i = w.next = (w.next + 1) & (KEYS - 1);
        if (i == 0) {
            w.phase = !w.phase;
        }
        try (Transaction tx = Transaction.begin(w.store)) {
            tx.addSink(w.sink);
            tx.put(w.store, w.keys[i], w.phase ? w.updateA : w.updateB);
            tx.commit();
        }
    }

    @Benchmark
    @Threads(1)
    public void commit1(SharedLog log, Writer w) {
        commit(w);
    }

    @Benchmark
    @Threads(2)
    public void commit2(SharedLog log, Writer w) {
        commit(w);
    }

    @Benchmark
    @Threads(4)
    public void commit4(SharedLog log, Writer w) {
        commit(w);
    }
}
