package io.offstate.jmh;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.infra.BenchmarkParams;
import org.openjdk.jmh.infra.Blackhole;

/**
 * The on-heap peers of {@link OffstateBenchmark}: {@code HashMap<ByteArrayKey, byte[]>} (and, with
 * {@code impl=ConcurrentHashMap}, {@code ConcurrentHashMap}) with the same data set and access
 * order, {@link ByteArrayKey} caching {@code Arrays.hashCode} and comparing with
 * {@code Arrays.equals}. Measures get-hit, get-miss, put-update (average time and SampleTime for
 * get-hit and put-update) and delete+reinsert ({@code remove} then {@code put} of the same key:
 * the time of the pair; the re-put allocates a new map node, which the B/op column shows).
 *
 * <p>The peer gets its best case, as a careful user would write it: lookup key wrappers are
 * preallocated in access order (so lookups allocate nothing), the map is presized, and
 * {@link #putUpdate} stores the caller's prepared value array by reference (no copy, no
 * allocation), whereas offstate copies the value bytes into its own memory.
 *
 * <p>Memory per entry ({@code memory.hashmap} / {@code memory.concurrenthashmap}) is the
 * heap-in-use difference around loading the map with freshly allocated keys, wrappers and values,
 * each measured after {@code System.gc()} (an approximation to within a few hundred KB in total),
 * in the get-hit fork only (the full GCs take seconds at 10M keys).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class HashMapBenchmark {
    static final VarHandle LONG_LE = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    @State(Scope.Benchmark)
    public static class Loaded {
        /** Which on-heap map: {@code HashMap} or {@code ConcurrentHashMap}. */
        @Param("HashMap")
        public String impl;

        Map<ByteArrayKey, byte[]> map;
        ByteArrayKey[] hitKeys;
        ByteArrayKey[] missKeys;
        byte[] updateA;
        byte[] updateB;
        int mask;
        int hit;
        int miss;
        int put;
        int del;
        boolean phase;
        boolean delPhase;

        @Setup(Level.Trial)
        public void setUp(Dataset ds, BenchmarkParams params) {
            try {
                // the settled-heap measurement costs seconds of full GCs at 10M keys: one fork does it
                load(ds, params.getBenchmark().endsWith(".getHit") && params.getMode() == Mode.AverageTime);
            } catch (Throwable t) {
                Report.failure(impl.toLowerCase(Locale.ROOT), t);
                throw t;
            }
        }

        private void load(Dataset ds, boolean measureMemory) {
            Report.failIfRequested("hashmap");
            // wrappers for lookups, allocated in access order, each next to its key copy
            mask = ds.mask;
            hitKeys = new ByteArrayKey[mask + 1];
            missKeys = new ByteArrayKey[mask + 1];
            for (int i = 0; i <= mask; i++) {
                hitKeys[i] = new ByteArrayKey(ds.hitKeys[i].clone());
            }
            for (int i = 0; i <= mask; i++) {
                missKeys[i] = new ByteArrayKey(ds.missKeys[i].clone());
            }
            updateA = ds.updateA;
            updateB = ds.updateB;

            long t0 = System.nanoTime();
            long before = measureMemory ? Report.settledHeapUsed() : 0;
            map = switch (impl) {
                case "HashMap" -> HashMap.newHashMap(ds.keys);
                case "ConcurrentHashMap" -> new ConcurrentHashMap<>(ds.keys);
                default -> throw new IllegalArgumentException("impl must be HashMap or ConcurrentHashMap, was " + impl);
            };
            for (int i = 0; i < ds.keys; i++) {
                map.put(new ByteArrayKey(ds.loadKeys[i].clone()), ds.value(i));
            }
            long after = measureMemory ? Report.settledHeapUsed() : 0;
            System.out.printf("%n[offstate-jmh] %s setup: load %d ms%s%n", impl, (System.nanoTime() - t0) / 1_000_000,
                measureMemory ? " (with heap measurement)" : "");
            for (int i = 0; i <= mask; i++) {
                if (map.get(hitKeys[i]) == null || map.get(missKeys[i]) != null) {
                    throw new IllegalStateException(impl + " peer inconsistent at #" + i);
                }
            }
            if (measureMemory) {
                Report.metric("memory." + impl.toLowerCase(Locale.ROOT), ds.keys, (double) (after - before) / ds.keys);
            }
        }
    }

    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
    public void getHit(Loaded s, Blackhole bh) {
        int i = s.hit = (s.hit + 1) & s.mask;
        byte[] v = s.map.get(s.hitKeys[i]);
        // same consumption as offstate: first 8 bytes (as a long) and the length
        bh.consume((long) LONG_LE.get(v, 0));
        bh.consume(v.length);
    }

    @Benchmark
    public Object getMiss(Loaded s) {
        int i = s.miss = (s.miss + 1) & s.mask;
        return s.map.get(s.missKeys[i]);
    }

    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
    public Object putUpdate(Loaded s) {
        int i = s.put = (s.put + 1) & s.mask;
        if (i == 0) {
            s.phase = !s.phase;
        }
        return s.map.put(s.hitKeys[i], s.phase ? s.updateA : s.updateB);
    }

    @Benchmark
    public Object deleteReinsert(Loaded s) {
        int i = s.del = (s.del + 1) & s.mask;
        if (i == 0) {
            s.delPhase = !s.delPhase;
        }
        ByteArrayKey key = s.hitKeys[i];
        Object removed = s.map.remove(key);
        s.map.put(key, s.delPhase ? s.updateA : s.updateB);
        return removed;
    }
}
