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
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StatePartition;
import io.offstate.engine.Transaction;
import io.offstate.engine.log.Durability;
import io.offstate.engine.log.WalOptions;

/**
 * Commit latency of a transaction of {@code writes} put-updates (issue 14) through a
 * {@link StatePartition} under each durability policy of the state manager's write-ahead log,
 * against RocksDB's {@code WriteBatch} ({@link RocksDbCommitBenchmark}, same data set, keys, values
 * and access order). One operation = {@code partition.begin()}, stage {@code writes} put-updates
 * of present keys (the next keys of the {@link Dataset}'s access sequence, two alternating
 * values), {@code commit(positions)} with 8 bytes of input positions: the commit is encoded as one
 * log batch and appended (forced before the commit returns under {@code EVERY_COMMIT}; forced by
 * the log's background thread every 10 ms under {@code INTERVAL}; written to the OS only under
 * {@code NEVER}), then applied to the partition's file-backed store. SampleTime, µs.
 *
 * <p>The manager's directory (store files and log) comes from {@link FileStores}: a real disk (on
 * tmpfs an fsync costs nothing). The data set is loaded through transactions of
 * {@value #LOAD_BATCH} puts and flushed before measuring. The manager keeps its default
 * checkpointing (a partition flushes once 256 MiB of log are unflushed), so a measured commit may
 * include a flush, as in production; nothing else flushes while measuring.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class CommitBenchmark {
    /** Puts per transaction while loading the data set. */
    static final int LOAD_BATCH = 16_384;

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

    /** Puts {@code keys[i] -> value(i)} for every key through transactions of {@value #LOAD_BATCH}, then flushes. */
    static void load(StatePartition partition, KeyValueStore store, byte[][] keys, java.util.function.IntFunction<byte[]> value) {
        for (int from = 0; from < keys.length; from += LOAD_BATCH) {
            try (Transaction tx = partition.begin()) {
                for (int i = from; i < Math.min(keys.length, from + LOAD_BATCH); i++) {
                    tx.put(store, keys[i], value.apply(i));
                }
                tx.commit();
            }
        }
        partition.flush();
    }

    /** A state manager with one store definition and partition 0 assigned on the benchmark thread. */
    @State(Scope.Benchmark)
    public static class Partition {
        /** Put-updates per transaction. */
        @Param({"1", "10", "100"})
        public int writes;

        /** The log's policy: EVERY_COMMIT (fsync per commit), INTERVAL (10 ms), NEVER. */
        @Param({"EVERY_COMMIT", "INTERVAL", "NEVER"})
        public String durability;

        Path directory;
        StateManager manager;
        StatePartition partition;
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
            long t0 = System.nanoTime();
            manager = StateManager.open(StateManagerOptions.builder(directory).log(logOptions(durability)).build());
            manager.define(OffstateBenchmark.options(ds.keys).build());
            manager.assign(0); // on this (the benchmark's) thread, which then owns the partition
            partition = manager.partition(0);
            store = partition.store("bench");
            load(partition, store, ds.loadKeys, ds::value);
            if (store.size() != ds.keys) {
                throw new IllegalStateException("partition store holds " + store.size() + " entries, not " + ds.keys);
            }
            System.out.printf("%n[offstate-jmh] state manager setup: load + flush %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);
            hitKeys = ds.hitKeys;
            updateA = ds.updateA;
            updateB = ds.updateB;
            mask = ds.mask;
            FileStores.syncAll();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            try {
                if (manager != null) {
                    // checkpoints during the fork, setup's included: shows whether measured commits paid for flushes
                    Report.metric("commit.flushes." + durability + "." + writes, partition.stats().flushes());
                    manager.close();
                }
            } finally {
                FileStores.delete(directory);
            }
        }
    }

    @Benchmark
    public void commit(Partition s) {
        try (Transaction tx = s.partition.begin()) {
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
