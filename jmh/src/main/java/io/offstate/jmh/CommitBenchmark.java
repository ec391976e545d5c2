package io.offstate.jmh;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

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

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.log.Durability;
import io.offstate.engine.log.WalOptions;
import io.offstate.engine.log.WriteAheadLog;

/**
 * Commit latency of a transaction of {@code writes} put-updates (issue 14) under each durability
 * policy of the write-ahead log, against RocksDB's {@code WriteBatch} ({@link RocksDbCommitBenchmark},
 * same data set, keys, values and access order). One operation = begin a transaction, stage
 * {@code writes} put-updates of present keys (the next keys of the {@link Dataset}'s access
 * sequence, two alternating values), commit it with 8 bytes of input positions: the batch goes to
 * the log (forced before the commit returns under {@code EVERY_COMMIT}; forced by the log's
 * background thread every 10 ms under {@code INTERVAL}; written to the OS only under
 * {@code NEVER}), then is applied to the file-backed store. SampleTime, µs.
 *
 * <p>The store and the log live in a fresh directory from {@link FileStores} (a real disk: on
 * tmpfs an fsync costs nothing). Before each iteration (untimed) the store is flushed and the log
 * segments it covers deleted, so the log does not pile up gigabytes across a fork.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CommitBenchmark {

    /** The log options of a {@code durability} parameter value: fsync per commit, every 10 ms, never. */
    static WalOptions logOptions(String durability) {
        WalOptions o = WalOptions.defaults();
        return switch (durability) {
            case "EVERY_COMMIT" -> o.withDurability(Durability.EVERY_COMMIT);
            case "INTERVAL" -> o.withFlushInterval(10);
            case "NEVER" -> o.withDurability(Durability.NEVER);
            default -> throw new IllegalArgumentException("durability must be EVERY_COMMIT, INTERVAL or NEVER, was "
                + durability);
        };
    }

    @State(Scope.Benchmark)
    public static class Committer {
        /** Put-updates per transaction. */
        @Param({"1", "10", "100"})
        public int writes;

        /** The log's policy: EVERY_COMMIT (fsync per commit), INTERVAL (10 ms), NEVER. */
        @Param({"EVERY_COMMIT", "INTERVAL", "NEVER"})
        public String durability;

        Path directory;
        WriteAheadLog log;
        LogSink sink;
        KeyValueStore store;
        byte[][] hitKeys;
        byte[] updateA;
        byte[] updateB;
        /** The input positions each commit carries: a counter, as a stream processor's offset would be. */
        final byte[] positions = new byte[8];
        long commits;
        int mask;
        int next;
        boolean phase;

        @Setup(Level.Trial)
        public void setUp(Dataset ds) {
            directory = FileStores.newDirectory("offstate-commit-");
            log = WriteAheadLog.open(directory.resolve("log"), logOptions(durability));
            sink = new LogSink(log);
            store = KeyValueStore.open(directory.resolve("store"), OffstateBenchmark.options(ds.keys).build());
            // the initial data set goes in directly (not through the log): a restored state
            for (int i = 0; i < ds.keys; i++) {
                store.put(ds.loadKeys[i], ds.value(i));
            }
            store.flush();
            hitKeys = ds.hitKeys;
            updateA = ds.updateA;
            updateB = ds.updateB;
            mask = ds.mask;
            FileStores.syncAll();
        }

        /** Untimed: flushes the store and drops the log it covers, so the log stays small. */
        @Setup(Level.Iteration)
        public void checkpoint() {
            store.flush();
            if (sink.lastPosition >= 0) {
                log.deleteUpTo(log.endPosition());
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (store != null) {
                store.closeWithoutFlush();
            }
            if (log != null) {
                log.close();
            }
            FileStores.delete(directory);
        }
    }

    @Benchmark
    public void commit(Committer s) {
        try (Transaction tx = Transaction.begin(s.store)) {
            tx.addSink(s.sink);
            for (int w = 0; w < s.writes; w++) {
                int i = s.next = (s.next + 1) & s.mask;
                if (i == 0) {
                    s.phase = !s.phase;
                }
                tx.put(s.store, s.hitKeys[i], s.phase ? s.updateA : s.updateB);
            }
            long c = ++s.commits;
            for (int b = 0; b < 8; b++) {
                s.positions[b] = (byte) (c >>> (8 * b));
            }
            tx.commit(s.positions);
        }
    }
}
