package io.offstate.jmh;

import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.ValueView;

/**
 * offstate's batched lookup, {@code KeyValueStore.getAll(byte[][] keys, ValueView[] views)}, on the
 * point benchmarks' data set and store ({@link Dataset}, {@link OffstateBenchmark#options}: a
 * hash-only in-memory store of {@code keys} entries), in the same random access order. Scores are
 * per key ({@link OperationsPerInvocation}), so they compare directly with a single get-hit of
 * {@link OffstateBenchmark} and {@link ChronicleMapBenchmark} (the summary's peer).
 *
 * <ul>
 *   <li>{@link #getAll16}, {@link #getAll64}: one {@code getAll} of 16 or 64 present keys (the next
 *       batch of the access order: batches are precomputed arrays of key copies, so the harness
 *       copies nothing), then each view's value read as get-hit reads it ({@code getLong(0)} and
 *       {@code length()}).</li>
 *   <li>{@link #getLoop16}: the same 16 keys through 16 single {@code get}s: what the batch saves on
 *       the same harness.</li>
 *   <li>{@link #getAll16Mixed}: 16 keys of which every other one is absent: misses and hits mixed.</li>
 * </ul>
 * Expected: 0 B/op ({@code -prof gc}).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class BatchedGetBenchmark {

    /** A loaded store and the access order cut into batches of 16 and 64 keys. */
    @State(Scope.Benchmark)
    public static class Store {
        KeyValueStore store;
        byte[][][] batches16;
        byte[][][] batches64;
        byte[][][] mixed16;
        final ValueView[] views16 = views(16);
        final ValueView[] views64 = views(64);
        int mask16;
        int mask64;
        int next16;
        int next64;
        int nextMixed;

        @Setup(Level.Trial)
        public void setUp(Dataset ds) {
            store = KeyValueStore.create(OffstateBenchmark.options(ds.keys).build());
            for (int i = 0; i < ds.keys; i++) {
                store.put(ds.loadKeys[i], ds.value(i));
            }
            batches16 = cut(ds.hitKeys, null, 16);
            batches64 = cut(ds.hitKeys, null, 64);
            mixed16 = cut(ds.hitKeys, ds.missKeys, 16);
            mask16 = batches16.length - 1;
            mask64 = batches64.length - 1;
            for (byte[][] batch : batches64) {
                if (store.getAll(batch, views64) != 64) {
                    throw new IllegalStateException("getAll lost keys of a batch of 64");
                }
                for (int j = 0; j < 64; j++) {
                    if (views64[j].length() != ds.valueLength) {
                        throw new IllegalStateException("getAll read a value of " + views64[j].length() + " bytes");
                    }
                }
            }
            for (byte[][] batch : mixed16) {
                if (store.getAll(batch, views16) != 8) {
                    throw new IllegalStateException("getAll of 8 present and 8 absent keys did not find 8");
                }
            }
        }

        private static ValueView[] views(int n) {
            ValueView[] v = new ValueView[n];
            for (int i = 0; i < n; i++) {
                v[i] = new ValueView();
            }
            return v;
        }

        /**
         * The access order (power-of-two length) as consecutive batches of {@code size} keys; with
         * {@code misses}, every odd position holds an absent key instead.
         */
        private static byte[][][] cut(byte[][] keys, byte[][] misses, int size) {
            int n = keys.length / size;
            byte[][][] out = new byte[n][size][];
            for (int b = 0; b < n; b++) {
                for (int j = 0; j < size; j++) {
                    int i = b * size + j;
                    out[b][j] = misses != null && (j & 1) == 1 ? misses[i] : keys[i];
                }
            }
            return out;
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            store.close();
        }
    }

    /** What get-hit reads of each value, summed so nothing is optimised away. */
    private static long read(ValueView[] views, int n) {
        long sum = 0;
        for (int j = 0; j < n; j++) {
            ValueView v = views[j];
            sum += v.getLong(0) + v.length();
        }
        return sum;
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public long getAll16(Store s) {
        int b = s.next16 = (s.next16 + 1) & s.mask16;
        s.store.getAll(s.batches16[b], s.views16);
        return read(s.views16, 16);
    }

    @Benchmark
    @OperationsPerInvocation(64)
    public long getAll64(Store s) {
        int b = s.next64 = (s.next64 + 1) & s.mask64;
        s.store.getAll(s.batches64[b], s.views64);
        return read(s.views64, 64);
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public long getLoop16(Store s) {
        int b = s.next16 = (s.next16 + 1) & s.mask16;
        byte[][] batch = s.batches16[b];
        ValueView[] views = s.views16;
        for (int j = 0; j < 16; j++) {
            s.store.get(batch[j], views[j]);
        }
        return read(views, 16);
    }

    @Benchmark
    @OperationsPerInvocation(16)
    public int getAll16Mixed(Store s) {
        int b = s.nextMixed = (s.nextMixed + 1) & s.mask16;
        return s.store.getAll(s.mixed16[b], s.views16);
    }
}
