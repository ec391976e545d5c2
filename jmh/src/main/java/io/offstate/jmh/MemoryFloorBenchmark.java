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
 * {@link MemorySegment} the size of the store's data ({@code keys} slots of
 * {@code keyLength + valueLength + 16} bytes rounded up to 8, i.e. 96 bytes for 16-byte keys and
 * 64-byte values, the 96 B/entry target), so the reads miss the caches and the TLB like a store
 * lookup does. Compared against every peer's point operations, and (copy) against offstate's
 * snapshot and restore.
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
 *   <li>{@link #copy}: one {@code MemorySegment.copy} of the whole segment into another one of the
 *       same size (both allocated and touched at setup): the memory-bandwidth floor under
 *       {@code snapshot()} and {@code restore()}, which copy the store's memory ({@code
 *       floor.copyBytes} records the bytes per copy).</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class MemoryFloorBenchmark {

    /** Bytes per entry of the floor's segment: key + value + 16 (index slot and headers), rounded up to 8. */
    static int slotBytes(int keyLength, int valueLength) {
        return (keyLength + valueLength + 16 + 7) & ~7;
    }

    /** The data-set shape; the same parameter names as {@link Dataset}'s, so MainJob sets both at once. */
    @State(Scope.Benchmark)
    public static class Shape {
        @Param("1000000")
        public int keys;
        @Param("16")
        public int keyLength;
        @Param("64")
        public int valueLength;
    }

    @State(Scope.Benchmark)
    public static class Memory {

        Arena arena;
        MemorySegment segment;
        long[] offsets;
        int mask;
        int cursor;
        long position;

        @Setup(Level.Trial)
        public void setUp(Shape shape) {
            int keys = shape.keys;
            int slot = slotBytes(shape.keyLength, shape.valueLength);
            arena = Arena.ofShared();
            segment = arena.allocate((long) keys * slot, 4096);
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
                segment.set(ValueLayout.JAVA_LONG, (long) i * slot, (long) next[i] * slot);
            }
            int length = Keys.accessLength(keys);
            mask = length - 1;
            offsets = new long[length];
            for (int i = 0; i < length; i++) {
                offsets[i] = (long) rnd.nextInt(keys) * slot + 8L * rnd.nextInt(slot / 8);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    /** Source and target of {@link #copy}: two touched segments of the floor's size. */
    @State(Scope.Benchmark)
    public static class CopyPair {
        Arena arena;
        MemorySegment source;
        MemorySegment target;

        @Setup(Level.Trial)
        public void setUp(Shape shape) {
            long bytes = (long) shape.keys * slotBytes(shape.keyLength, shape.valueLength);
            arena = Arena.ofShared();
            source = arena.allocate(bytes, 4096); // allocate() zeroes, so both are touched
            target = arena.allocate(bytes, 4096);
            source.fill((byte) 0x5A);
            Report.metric("floor.copyBytes", shape.keys, bytes);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            arena.close();
        }
    }

    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
    public long dependentRead(Memory m) {
        return m.position = m.segment.get(ValueLayout.JAVA_LONG, m.position);
    }

    @Benchmark
    public long independentRead(Memory m) {
        int i = m.cursor = (m.cursor + 1) & m.mask;
        return m.segment.get(ValueLayout.JAVA_LONG, m.offsets[i]);
    }

    @Benchmark
    @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public void copy(CopyPair p) {
        MemorySegment.copy(p.source, 0, p.target, 0, p.source.byteSize());
    }
}
