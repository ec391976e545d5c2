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
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StatePartition;
import io.offstate.engine.Transaction;
import io.offstate.engine.log.WalOptions;

/**
 * Group commit (issue 14): commits/s with an fsync per commit ({@code EVERY_COMMIT}, the
 * default) from 1, 2 and 4 threads, each committing one put per transaction to its own
 * {@link StatePartition} of one {@link StateManager}: the partitions share the manager's
 * write-ahead log, so commits waiting at the same time share one fsync. Peer:
 * {@link RocksDbCommitBenchmark#syncCommit1} etc. (one RocksDB, {@code setSync(true)}, same thread
 * counts, same keys and values). Throughput over all threads, ops/s.
 *
 * <p>Each JMH thread assigns its own partition in its thread-scoped state's setup, on that thread,
 * which therefore owns it (partitions are confined to their owner), and revokes it in its
 * teardown. Keys: {@value #KEYS} random 16-byte keys per thread (a seed per thread), 64-byte
 * values; the partitions start empty, so the first pass over a thread's keys inserts them and the
 * rest update. The manager's directory comes from {@link FileStores} (a disk).
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

    /**
     * The manager, shared by the writer threads. It is closed by whichever comes last, its own
     * teardown or the last writer's revoke: a partition must be revoked on its owner thread before
     * the manager closes, and JMH does not order one thread's teardown against another's.
     */
    @State(Scope.Benchmark)
    public static class SharedManager {
        Path directory;
        StateManager manager;
        final AtomicInteger writers = new AtomicInteger();
        private int active;
        private boolean closeRequested;

        @Setup(Level.Trial)
        public void setUp() {
            directory = FileStores.newDirectory("offstate-group-");
            manager = StateManager.open(StateManagerOptions.builder(directory).log(WalOptions.defaults()).build());
            manager.define(OffstateBenchmark.options(KEYS).build());
            FileStores.syncAll();
        }

        synchronized StatePartition assign(int id) {
            manager.assign(id);
            active++;
            return manager.partition(id);
        }

        synchronized void revoke(int id) {
            manager.revoke(id);
            if (--active == 0 && closeRequested) {
                close();
            }
        }

        @TearDown(Level.Trial)
        public synchronized void tearDown() {
            closeRequested = true;
            if (active == 0) {
                close();
            }
        }

        private void close() {
            try {
                if (manager != null) {
                    manager.close();
                    manager = null;
                }
            } finally {
                FileStores.delete(directory);
            }
        }
    }

    /** One writer thread: its partition (assigned on this thread), keys and values. */
    @State(Scope.Thread)
    public static class Writer {
        SharedManager shared;
        int id = -1;
        StatePartition partition;
        KeyValueStore store;
        byte[][] keys;
        final byte[] updateA = Keys.updateValue(0);
        final byte[] updateB = Keys.updateValue(1);
        int next;
        boolean phase;

        @Setup(Level.Trial)
        public void setUp(SharedManager s) {
            shared = s;
            id = s.writers.getAndIncrement();
            keys = Keys.randomKeys(KEYS, Keys.KEY_LENGTH, keySeed(id));
            partition = s.assign(id);
            store = partition.store("bench");
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (partition != null) {
                shared.revoke(id);
            }
        }
    }

    static void commit(Writer w) {
        int i = w.next = (w.next + 1) & (KEYS - 1);
        if (i == 0) {
            w.phase = !w.phase;
        }
        try (Transaction tx = w.partition.begin()) {
            tx.put(w.store, w.keys[i], w.phase ? w.updateA : w.updateB);
            tx.commit();
        }
    }

    @Benchmark
    @Threads(1)
    public void commit1(Writer w) {
        commit(w);
    }

    @Benchmark
    @Threads(2)
    public void commit2(Writer w) {
        commit(w);
    }

    @Benchmark
    @Threads(4)
    public void commit4(Writer w) {
        commit(w);
    }
}
