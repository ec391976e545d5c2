package io.offstate.jmh;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
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
import io.offstate.engine.StoreOptions;
import io.offstate.engine.ValueView;

/**
 * Reading a value through {@link ValueView#buffer()} (offstate's {@code SegmentBuffer}, which reads
 * through the {@link MemorySegment} and checks, on every read, that the store is open, owned and
 * not written since) against Agrona's {@link UnsafeBuffer} re-pointed at the same memory by raw
 * address (what {@code buffer()} returned before issue 13: unchecked, and a SIGSEGV after close or
 * delete). Each operation is a get-hit of a random present key ({@link #keys} 16-byte keys,
 * 64-byte values, hash-only store) followed by reading the value's 8 longs:
 * <ul>
 *   <li>{@link #segmentBuffer}: {@code view.buffer()} then 8 × {@code getLong(i)} — the default;</li>
 *   <li>{@link #unsafeBuffer}: {@code unsafe.wrap(address, length)} then 8 × {@code getLong(i)} —
 *       the peer (needs {@code --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED});</li>
 *   <li>{@link #valueView}: 8 × {@code view.getLong(i)} — the view's own checked accessor;</li>
 *   <li>{@link #segment}: 8 × {@code view.memory().get(LONG, offset + i)} — FFM with no staleness
 *       check, the floor for reading through a segment.</li>
 * </ul>
 * The {@code reread*} methods leave the get out: the view is filled once at setup, and each
 * operation re-points the buffer (or wraps the UnsafeBuffer) and reads the 8 longs, so the
 * per-read cost of the checks is not hidden behind the lookup's cache misses.
 * Expected: 0 B/op ({@code -prof gc}) on every method; the get dominates, so the differences are
 * the per-read checks.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms1g", "-Xmx1g", "--add-exports=java.base/jdk.internal.misc=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@State(Scope.Thread)
public class ValueBufferBenchmark {
    private static final int KEY_LENGTH = 16;
    private static final int VALUE_LENGTH = 64;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.nativeOrder());

    @Param({"1000", "100000"})
    public int keys;

    private KeyValueStore store;
    private byte[][] keyBytes;
    private int[] order;
    private int next;
    private final ValueView view = new ValueView();
    private final ValueView held = new ValueView();
    private final UnsafeBuffer unsafe = new UnsafeBuffer(0, 0);

    @Setup
    public void setUp() {
        store = KeyValueStore.create(StoreOptions.builder().name("buffer-bench").expectedEntries(keys).hashSeed(0x0FF5_7A7EL).build());
        SplittableRandom random = new SplittableRandom(42);
        keyBytes = new byte[keys][];
        byte[] value = new byte[VALUE_LENGTH];
        for (int i = 0; i < keys; i++) {
            keyBytes[i] = new byte[KEY_LENGTH];
            random.nextBytes(keyBytes[i]);
            random.nextBytes(value);
            store.put(keyBytes[i], value);
        }
        store.get(keyBytes[0], held);
        order = new int[1 << 20];
        for (int i = 0; i < order.length; i++) {
            order[i] = random.nextInt(keys);
        }
    }

    @TearDown
    public void tearDown() {
        store.close();
    }

    private byte[] nextKey() {
        int i = next;
        next = (i + 1) & (order.length - 1);
        return keyBytes[order[i]];
    }

    @Benchmark
    public long segmentBuffer() {
        store.get(nextKey(), view);
        DirectBuffer buffer = view.buffer();
        long sum = 0;
        for (int i = 0; i < VALUE_LENGTH; i += Long.BYTES) {
            sum += buffer.getLong(i);
        }
        return sum;
    }

    @Benchmark
    public long unsafeBuffer() {
        store.get(nextKey(), view);
        unsafe.wrap(view.memory().address() + view.offset(), view.length());
        long sum = 0;
        for (int i = 0; i < VALUE_LENGTH; i += Long.BYTES) {
            sum += unsafe.getLong(i);
        }
        return sum;
    }

    @Benchmark
    public long valueView() {
        store.get(nextKey(), view);
        long sum = 0;
        for (int i = 0; i < VALUE_LENGTH; i += Long.BYTES) {
            sum += view.getLong(i);
        }
        return sum;
    }

    @Benchmark
    public long segment() {
        store.get(nextKey(), view);
        MemorySegment memory = view.memory();
        long offset = view.offset();
        long sum = 0;
        for (int i = 0; i < VALUE_LENGTH; i += Long.BYTES) {
            sum += memory.get(LONG, offset + i);
        }
        return sum;
    }

    @Benchmark
    public long rereadSegmentBuffer() {
        DirectBuffer buffer = held.buffer();
        long sum = 0;
        for (int i = 0; i < VALUE_LENGTH; i += Long.BYTES) {
            sum += buffer.getLong(i);
        }
        return sum;
    }

    @Benchmark
    public long rereadUnsafeBuffer() {
        unsafe.wrap(held.memory().address() + held.offset(), held.length());
        long sum = 0;
        for (int i = 0; i < VALUE_LENGTH; i += Long.BYTES) {
            sum += unsafe.getLong(i);
        }
        return sum;
    }

    @Benchmark
    public long rereadValueView() {
        long sum = 0;
        for (int i = 0; i < VALUE_LENGTH; i += Long.BYTES) {
            sum += held.getLong(i);
        }
        return sum;
    }

    @Benchmark
    public long rereadSegment() {
        MemorySegment memory = held.memory();
        long offset = held.offset();
        long sum = 0;
        for (int i = 0; i < VALUE_LENGTH; i += Long.BYTES) {
            sum += memory.get(LONG, offset + i);
        }
        return sum;
    }
}
