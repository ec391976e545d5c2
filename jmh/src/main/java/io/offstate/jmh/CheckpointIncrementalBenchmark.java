package io.offstate.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
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

import io.offstate.checkpoint.CheckpointManifest;
import io.offstate.checkpoint.Checkpoints;
import io.offstate.checkpoint.LocalCheckpointStorage;
import io.offstate.engine.KeyValueStore;

/**
 * Issue 16: an incremental checkpoint (pin + publish) after {@code dirtyPercent} % of the store
 * changed since a full one, to a local directory. Before each timed call the iteration fixture,
 * untimed, takes a full checkpoint into a fresh directory and then overwrites the values of a
 * contiguous range of {@code dirtyPercent} % of the keys (another range each iteration) with new
 * values of the same data set: the store was loaded in key order, so about that fraction of its data
 * chunks is dirty (an overwrite of another size class moves its entry, so a few more). The bytes
 * each incremental carried are recorded ({@code checkpoint.incrementalRawBytes.<percent>}, mean).
 * Compare with {@link CheckpointBenchmark#full} of the same run: the target is 1 % ≤ 3 % of a full one.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5)
@Measurement(iterations = 20)
@State(Scope.Benchmark)
public class CheckpointIncrementalBenchmark {
    @Param("1000000")
    public int keys;

    /** Percent of the keys overwritten between the full checkpoint and the timed incremental one. */
    @Param({"1", "10", "100"})
    public int dirtyPercent;

    KeyValueStore store;
    Path root;
    Path dir;
    LocalCheckpointStorage storage;
    Checkpoints checkpoints;
    final SplittableRandom random = new SplittableRandom(7);
    int round;
    long carried;
    int measured;

    @Setup(Level.Trial)
    public void setUp() {
        if (dirtyPercent <= 0 || dirtyPercent > 100) {
            throw new IllegalArgumentException("dirtyPercent must be 1..100, was " + dirtyPercent);
        }
        store = CheckpointDataset.load(keys);
        root = FileStores.newDirectory("offstate-checkpoint-inc-");
    }

    @Setup(Level.Iteration)
    public void fullThenDirty() throws IOException {
        if (storage != null) {
            storage.close();
            FileStores.delete(dir);
        }
        dir = root.resolve("round-" + round++);
        Files.createDirectories(dir);
        storage = LocalCheckpointStorage.open(dir);
        checkpoints = Checkpoints.builder(storage, "bench").maxChain(Integer.MAX_VALUE).build();
        checkpoints.checkpoint(store, false);
        int n = Math.max(1, (int) ((long) keys * dirtyPercent / 100));
        int from = n >= keys ? 0 : random.nextInt(keys - n + 1);
        for (int i = from; i < from + n; i++) {
            store.put(CheckpointDataset.key(i), CheckpointDataset.value(i, random));
        }
    }

    @Benchmark
    public CheckpointManifest incremental() throws IOException {
        CheckpointManifest m;
        try (Checkpoints.Pending p = checkpoints.begin(store, true, null)) {
            m = p.publish();
        }
        if (!m.stores().getFirst().incremental()) {
            throw new IllegalStateException("the checkpoint after " + dirtyPercent + " % dirty was not incremental");
        }
        carried += m.stores().getFirst().rawBytes();
        measured++;
        return m;
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (measured > 0) {
            Report.metric("checkpoint.incrementalRawBytes." + dirtyPercent, keys, (double) carried / measured);
        }
        if (storage != null) {
            storage.close();
        }
        store.close();
        FileStores.delete(root);
    }
}
