package io.offstate.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
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

/**
 * The hardware floor under every point operation: random 8-byte reads in an off-heap
 * {@link MemorySegment} the size of the store's data ({@code keys * 96} bytes, i.e. the 96 B/entry
 * target), so the reads miss the caches and the TLB like a store lookup does.
 *
 * <ul>
 *   <li>{@link #dependentRead}: one <em>dependent</em> random access per operation — a pointer
 *       chase through a random single cycle over all 96-byte slots (each slot holds the offset of
 *       the next; the offsets are precomputed at setup). This is the load-to-use latency of one
 *       random access, the floor for a lookup that must read memory it could not predict; the
 *       summary's "x floor" column divides by it.</li>
 *   <li>{@link #independentRead}: one random read per operation at precomputed offsets, read
 *       sequentially from an array, so consecutive operations overlap in the memory system
 *       (memory-level parallelism): the throughput floor.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MemoryFloorBenchmark {
    static final int SLOT = 96;

    @State(Scope.Benchmark)
    public static class Memory {
        @Param("1000000")
        public int keys;

        Arena arena;
        MemorySegment segment;
        long[] offsets;
        int mask;
        int cursor;
        long position;

        @Setup(Level.Trial)
        public void setUp() {
            arena = Arena.ofShared();
            long slots = keys;
            segment = arena.allocate(slots * SLOT, 4096);
            // Sattolo: a random permutation that is a single cycle, so the chase visits every slot
            int[] next = new int[keys];
            for (int i = 0; i < keys; i++) {
                next[i] = i;
            }
            SplittableRandom rnd = new SplittableRandom(0xF100_4L);
            for (int i = keys - 1; i > 0; i--) {
                int j = rnd.nextInt(i);
                int t = next[i];
                next[i] = next[j];
                next[j] = t;
            }
            for (int i = 0; i < keys; i++) {
                segment.set(ValueLayout.JAVA_LONG, (long) i * SLOT, (long) next[i] * SLOT);
            }
            int length = Keys.accessLength(keys);
            mask = length - 1;
            offsets = new long[length];
            for (int i = 0; i < length; i++) {
                offsets[i] = (long) rnd.nextInt(keys) * SLOT + 8L * rnd.nextInt(SLOT / 8);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    @Benchmark
    public long dependentRead(Memory m) {
        return m.position = m.segment.get(ValueLayout.JAVA_LONG, m.position);
    }

    @Benchmark
    public long independentRead(Memory m) {
        int i = m.cursor = (m.cursor + 1) & m.mask;
        return m.segment.get(ValueLayout.JAVA_LONG, m.offsets[i]);
    }
}
