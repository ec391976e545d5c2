package io.offstate.jmh;

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

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreSnapshot;

/**
 * Throughput of offstate's {@code snapshot()} and {@code restore()} on a store loaded with the
 * {@link Dataset} (any key and value length). Both deep-copy the store's memory (DESIGN.md,
 * Snapshots), so the peer is the hardware: {@link MemoryFloorBenchmark#copy}, one
 * {@code MemorySegment.copy} of a segment the size of the data into memory that is already
 * touched. None of the other peers has an equivalent in-memory operation, so none is compared.
 *
 * <ul>
 *   <li>{@link #snapshot}: {@code store.snapshot()} and closing it again (the snapshot's memory is
 *       allocated, copied and freed in every operation; freeing is part of the cost).</li>
 *   <li>{@link #restore}: {@code store.restore(snapshot)} of one snapshot taken at setup: copies the
 *       snapshot into fresh memory, swaps it in and frees the store's previous memory.</li>
 * </ul>
 * {@code snapshot.bytes} (the snapshot's {@code memoryUsed()}) and the entry count let the summary
 * turn ms/op into MB/s and entries/s. {@code -prof gc} B/op is reported, not judged: these are not
 * per-entry hot paths (each operation allocates a few small objects for the page table).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class OffstateSnapshotBenchmark {

    @State(Scope.Benchmark)
    public static class Loaded {
        KeyValueStore store;
        StoreSnapshot snapshot;
        long entries;

        @Setup(Level.Trial)
        public void setUp(Dataset ds) {
            store = KeyValueStore.create(OffstateBenchmark.options(ds.keys).build());
            for (int i = 0; i < ds.keys; i++) {
                store.put(ds.loadKeys[i], ds.value(i));
            }
            snapshot = store.snapshot();
            entries = store.size();
            if (snapshot.size() != ds.keys) {
                throw new IllegalStateException("snapshot holds " + snapshot.size() + " of " + ds.keys + " entries");
            }
            Report.metric("snapshot.bytes", ds.keys, snapshot.memoryUsed());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (store.size() != entries) {
                throw new IllegalStateException("store holds " + store.size() + " entries after restores, not " + entries);
            }
            snapshot.close();
            store.close();
        }
    }

    @Benchmark
    public long snapshot(Loaded s) {
        try (StoreSnapshot snap = s.store.snapshot()) {
            return snap.size();
        }
    }

    @Benchmark
    public long restore(Loaded s) {
        s.store.restore(s.snapshot);
        return s.store.size();
    }
}
