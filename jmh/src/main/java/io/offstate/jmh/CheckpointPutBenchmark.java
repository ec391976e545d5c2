package io.offstate.jmh;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
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

import io.offstate.checkpoint.Checkpoints;
import io.offstate.checkpoint.LocalCheckpointStorage;
import io.offstate.checkpoint.Retention;
import io.offstate.engine.KeyValueStore;

/**
 * Issue 16: the writer's put latency ({@link Mode#SampleTime}) on the {@link CheckpointDataset}
 * store, {@code during=idle} (no checkpoint) against {@code during=checkpoint}: full checkpoints
 * back to back. The owner thread (the benchmark thread) pins each one inside the timed call that
 * finds the previous one published ({@code Checkpoints.begin}: the writer's stall is measured, as a
 * processor would pay it), and a background thread publishes it (LZ4, CRC32C, writes, forces) to a
 * local directory and keeps the last one only. Updates overwrite random existing keys with values
 * of the data set, 64 Ki pre-built pairs, so the timed path allocates nothing of its own. The count
 * of checkpoints taken during the measurement is recorded ({@code checkpoint.duringPuts}). Target:
 * p99 with checkpoints ≤ 2 × idle.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2)
@Measurement(iterations = 5)
@State(Scope.Benchmark)
public class CheckpointPutBenchmark {
    private static final int PAIRS = 1 << 16;

    @Param("1000000")
    public int keys;

    /** {@code idle}: no checkpoint; {@code checkpoint}: full checkpoints back to back while putting. */
    @Param({"idle", "checkpoint"})
    public String during;

    KeyValueStore store;
    byte[][] putKeys;
    byte[][] putValues;
    int next;
    boolean checkpointing;
    Path root;
    LocalCheckpointStorage storage;
    Checkpoints checkpoints;
    ExecutorService publisher;
    Future<?> inFlight;
    long taken;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        if (!during.equals("idle") && !during.equals("checkpoint")) {
            throw new IllegalArgumentException("during must be idle or checkpoint, was " + during);
        }
        checkpointing = during.equals("checkpoint");
        store = CheckpointDataset.load(keys);
        SplittableRandom r = new SplittableRandom(99);
        putKeys = new byte[PAIRS][];
        putValues = new byte[PAIRS][];
        for (int i = 0; i < PAIRS; i++) {
            int k = r.nextInt(keys);
            putKeys[i] = CheckpointDataset.key(k);
            putValues[i] = CheckpointDataset.value(k, r);
        }
        if (checkpointing) {
            root = FileStores.newDirectory("offstate-checkpoint-put-");
            storage = LocalCheckpointStorage.open(root);
            checkpoints = Checkpoints.builder(storage, "bench").retention(Retention.keepLast(1)).build();
            publisher = Executors.newSingleThreadExecutor(t -> {
                Thread th = new Thread(t, "checkpoint-publisher");
                th.setDaemon(true);
                return th;
            });
        }
    }

    @Benchmark
    public void put() throws Exception {
        if (checkpointing && (inFlight == null || inFlight.isDone())) {
            if (inFlight != null) {
                inFlight.get(); // a failed checkpoint fails the benchmark
            }
            Checkpoints.Pending p = checkpoints.begin(store, false, null);
            taken++;
            inFlight = publisher.submit(() -> {
                try (p) {
                    p.publish();
                    checkpoints.applyRetention();
                }
                return null;
            });
        }
        int i = next++ & (PAIRS - 1);
        store.put(putKeys[i], putValues[i]);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        if (checkpointing) {
            if (inFlight != null) {
                inFlight.get();
            }
            publisher.shutdown();
            Report.metric("checkpoint.duringPuts", keys, taken);
            storage.close();
            FileStores.delete(root);
        }
        store.close();
    }
}
