package io.offstate.jmh;

import java.io.IOException;
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
import org.openjdk.jmh.infra.Blackhole;

import net.openhft.chronicle.hash.Data;
import net.openhft.chronicle.map.ChronicleMap;
import net.openhft.chronicle.map.ChronicleMapBuilder;
import net.openhft.chronicle.map.ExternalMapQueryContext;
import net.openhft.chronicle.map.MapEntry;

/**
 * The off-heap peer of {@link OffstateBenchmark}: Chronicle Map ({@code net.openhft:chronicle-map};
 * in memory, or with {@code persisted=true} persisted to a file as the peer of offstate's
 * file-backed store) with {@code byte[]} keys and values of constant size (the data set's
 * key and value lengths, {@code constantKeySizeBySample}/{@code constantValueSizeBySample}),
 * {@code entries(keys)}, the same data set and access order. Measures get-hit, get-miss,
 * put-update (average time and SampleTime for get-hit and put-update) and delete+reinsert, as
 * {@link OffstateBenchmark} does.
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
 *   <li>{@link #deleteReinsert}: {@code map.remove(key)} returns the previous value (an allocation),
 *       so the delete is {@code queryContext(key)}, update lock, {@code remove(entry)}, and the
 *       reinsert is {@link #putUpdate}'s context path: the time of the pair.</li>
 * </ul>
 * Memory per entry ({@code memory.chronicle}) is {@code offHeapMemoryUsed() / keys}.
 *
 * <p>Persisted ({@code createPersistedTo(file)}): Chronicle Map maps the file shared
 * ({@code MAP_SHARED}), so its writes go to the page cache at once and the kernel writes dirty pages
 * back in the background whenever it likes: there is no flush, no atomic commit point and no
 * recovery to a consistent state after a crash (offstate's file-backed store keeps writes private
 * until {@code flush()}, see {@link OffstateFileBenchmark}). The measured operations are the same code
 * as in memory, on a file mapping; the background write-back and the write-protect faults it
 * causes on pages written again are part of what put-update pays.
 *
 * <p>On JDK 25 Chronicle Map needs the {@code --add-opens/--add-exports} and
 * {@code --sun-misc-unsafe-memory-access=allow} flags below (they are this class's only). If it
 * fails anyway, the reason is recorded and {@link MainJob} shows it in the summary.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"}, jvmArgsAppend = {
    ChronicleMapBenchmark.OPENS_LANG, ChronicleMapBenchmark.OPENS_REFLECT, ChronicleMapBenchmark.EXPORTS_NIO,
    ChronicleMapBenchmark.EXPORTS_JAVAC, ChronicleMapBenchmark.EXPORTS_REF, ChronicleMapBenchmark.UNSAFE_ALLOW,
    ChronicleMapBenchmark.NO_ANALYTICS, ChronicleMapBenchmark.NO_ANNOUNCER})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class ChronicleMapBenchmark {
    // Chronicle Map's JDK 25 flags: only forks that run Chronicle Map get them (this class's @Fork and
    // PutInsertGrowthBenchmark#chronicleInsert's).
    static final String OPENS_LANG = "--add-opens=java.base/java.lang=ALL-UNNAMED";
    static final String OPENS_REFLECT = "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED";
    static final String EXPORTS_NIO = "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED";
    static final String EXPORTS_JAVAC = "--add-exports=jdk.compiler/com.sun.tools.javac.file=ALL-UNNAMED";
    static final String EXPORTS_REF = "--add-exports=java.base/jdk.internal.ref=ALL-UNNAMED";
    static final String UNSAFE_ALLOW = "--sun-misc-unsafe-memory-access=allow";
    static final String NO_ANALYTICS = "-Dchronicle.analytics.disable=true";
    static final String NO_ANNOUNCER = "-Dchronicle.announcer.disable=true";

    @State(Scope.Benchmark)
    public static class Map {
        /**
         * {@code true} (the file case): {@code createPersistedTo(file)} on a fresh directory
         * ({@link FileStores}), the peer of offstate's file-backed store; else in memory.
         */
        @Param("false")
        public boolean persisted;

        ChronicleMap<byte[], byte[]> map;
        Path directory;
        byte[] using;
        byte[][] hitKeys;
        byte[][] missKeys;
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
        public void setUp(Dataset ds) throws IOException {
            try {
                Report.failIfRequested("chronicle");
                using = new byte[ds.valueLength];
                ChronicleMapBuilder<byte[], byte[]> builder = ChronicleMap.of(byte[].class, byte[].class)
                    .name("peer")
                    .entries(ds.keys)
                    .keyMarshallers(ByteArrayMarshaller.INSTANCE, ByteArrayMarshaller.INSTANCE)
                    .valueMarshallers(ByteArrayMarshaller.INSTANCE, ByteArrayMarshaller.INSTANCE)
                    .constantKeySizeBySample(new byte[ds.keyLength])
                    .constantValueSizeBySample(new byte[ds.valueLength]);
                if (persisted) {
                    directory = FileStores.newDirectory("chronicle-");
                    map = builder.createPersistedTo(directory.resolve("peer.dat").toFile());
                } else {
                    map = builder.create();
                }
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
                Report.metric(persisted ? "memory.chronicle-persisted" : "memory.chronicle", ds.keys,
                    (double) map.offHeapMemoryUsed() / ds.keys);
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
            FileStores.delete(directory);
        }
    }

    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
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
    @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
    public void putUpdate(Map s) {
        int i = s.put = (s.put + 1) & s.mask;
        if (i == 0) {
            s.phase = !s.phase;
        }
        put(s.map, s.hitKeys[i], s.phase ? s.updateA : s.updateB);
    }

    @Benchmark
    public boolean deleteReinsert(Map s) {
        int i = s.del = (s.del + 1) & s.mask;
        if (i == 0) {
            s.delPhase = !s.delPhase;
        }
        byte[] key = s.hitKeys[i];
        boolean deleted;
        try (ExternalMapQueryContext<byte[], byte[], ?> c = s.map.queryContext(key)) {
            c.updateLock().lock();
            MapEntry<byte[], byte[]> entry = c.entry();
            deleted = entry != null;
            if (deleted) {
                c.remove(entry);
            }
        }
        put(s.map, key, s.delPhase ? s.updateA : s.updateB);
        return deleted;
    }

    /** Insert or overwrite without deserialising the previous value (allocation-free). */
    static void put(ChronicleMap<byte[], byte[]> map, byte[] key, byte[] value) {
        try (ExternalMapQueryContext<byte[], byte[], ?> c = map.queryContext(key)) {
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
