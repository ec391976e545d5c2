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
import org.openjdk.jmh.infra.Blackhole;

import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * The off-heap peer of {@link OffstateBenchmark}: Chronicle Map ({@code net.openhft:chronicle-map},
 * in-memory, not persisted) with {@code byte[]} keys and values of constant size (16 and 64 bytes,
 * {@code constantKeySizeBySample}/{@code constantValueSizeBySample}), {@code entries(keys)}, the
 * same data set and access order.
 *
 * <p>Its allocation-free paths are used:
 * <ul>
 *   <li>Keys and values go through {@link ByteArrayMarshaller} (a {@code SizedReader/SizedWriter}):
 *       Chronicle's default {@code byte[]} access allocates a {@code HeapBytesStore} per call.</li>
 *   <li>{@link #getHit}/{@link #getMiss}: {@code map.getUsing(key, reusable)} — the reader fills a
 *       reusable 64-byte array — then the same consumption as offstate (a long at 0, the length).</li>
 *   <li>{@link #putUpdate}: {@code map.put} deserialises and returns the previous value (an
 *       allocation per call), so the update goes through a query context instead:
 *       {@code queryContext(key)}, update lock, {@code replaceValue(entry, wrapValueAsData(v))}.</li>
 * </ul>
 * Memory per entry ({@code memory.chronicle}) is {@code offHeapMemoryUsed() / keys}.
 *
 * <p>On JDK 25 Chronicle Map needs the {@code --add-opens/--add-exports} and
 * {@code --sun-misc-unsafe-memory-access=allow} flags below (they are this class's only). If it
 * fails anyway, the reason is recorded and {@link MainJob} shows it in the summary.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"}, jvmArgsAppend = {
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED",
    "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow",
    "-Dchronicle.analytics.disable=true",
    "-Dchronicle.announcer.disable=true"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ChronicleMapBenchmark {

    @State(Scope.Benchmark)
    public static class Map {
        ChronicleMap<byte[], byte[]> map;
        final byte[] using = new byte[Keys.VALUE_LENGTH];
        byte[][] hitKeys;
        byte[][] missKeys;
        byte[] updateA;
        byte[] updateB;
        int mask;
        int hit;
        int miss;
        int put;
        boolean phase;

        @Setup(Level.Trial)
        public void setUp(Dataset ds) {
            try {
                map = ChronicleMap.of(byte[].class, byte[].class)
                    .name("peer")
                    .entries(ds.keys)
                    .keyMarshallers(ByteArrayMarshaller.INSTANCE, ByteArrayMarshaller.INSTANCE)
                    .valueMarshallers(ByteArrayMarshaller.INSTANCE, ByteArrayMarshaller.INSTANCE)
                    .constantKeySizeBySample(new byte[Keys.KEY_LENGTH])
                    .constantValueSizeBySample(new byte[Keys.VALUE_LENGTH])
                    .create();
                for (int i = 0; i < ds.keys; i++) {
                    map.put(ds.loadKeys[i], ds.value(i));
                }
                hitKeys = ds.hitKeys;
                missKeys = ds.missKeys;
                updateA = ds.updateA;
                updateB = ds.updateB;
                mask = ds.mask;
                for (int i = 0; i <= mask; i++) {
                    if (map.getUsing(hitKeys[i], using) == null || map.getUsing(missKeys[i], using) != null) {
                        throw new IllegalStateException("Chronicle Map inconsistent at #" + i);
                    }
                }
                Report.metric("memory.chronicle", ds.keys, (double) map.offHeapMemoryUsed() / ds.keys);
            } catch (Throwable t) {
                Report.failure("chronicle", t);
                throw t;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (map != null) {
                map.close();
            }
        }
    }

    @Benchmark
    public void getHit(Map s, Blackhole bh) {
        int i = s.hit = (s.hit + 1) & s.mask;
        byte[] v = s.map.getUsing(s.hitKeys[i], s.using);
        bh.consume((long) HashMapBenchmark.LONG_LE.get(v, 0));
        bh.consume(v.length);
    }

    @Benchmark
    public Object getMiss(Map s) {
        int i = s.miss = (s.miss + 1) & s.mask;
        return s.map.getUsing(s.missKeys[i], s.using);
    }

    @Benchmark
    public void putUpdate(Map s) {
        int i = s.put = (s.put + 1) & s.mask;
        if (i == 0) {
            s.phase = !s.phase;
        }
        byte[] value = s.phase ? s.updateA : s.updateB;
        try (ExternalMapQueryContext<byte[], byte[], ?> c = s.map.queryContext(s.hitKeys[i])) {
            c.updateLock().lock();
            MapEntry<byte[], byte[]> entry = c.entry();
            Data<byte[]> data = c.wrapValueAsData(value);
            if (entry != null) {
                c.replaceValue(entry, data);
            } else {
                c.insert(c.absentEntry(), data);
            }
        }
    }
}
