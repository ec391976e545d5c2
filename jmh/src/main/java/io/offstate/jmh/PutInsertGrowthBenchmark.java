package io.offstate.jmh;

import java.nio.ByteBuffer;
import java.util.HashMap;
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

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import net.openhft.chronicle.map.ChronicleMap;

/**
 * put-insert: latency distribution of inserting fresh keys into a store that starts empty, reset
 * at every iteration, for offstate and every peer that can insert. {@link Mode#SampleTime}: the
 * summary reports the mean and p50/p99/p99.9/p99.99/max.
 *
 * <ul>
 *   <li>{@link #offstateInsert}: offstate with the default {@code expectedEntries} (small), so each
 *       iteration spans many index growths; offstate grows its index incrementally (a few clusters
 *       migrated per write).</li>
 *   <li>{@link #offstateSortedInsert}: the same with a sorted index ({@code sortedIndex(true)}): the
 *       insert cost of the B+tree.</li>
 *   <li>{@link #hashMapInsert}: {@code new HashMap<>()}, which rehashes the whole table at once
 *       (and whose nodes add GC work), which shows in the tail.</li>
 *   <li>{@link #chronicleInsert}: Chronicle Map cannot grow much past the {@code entries} it was
 *       created with, so it is created for the whole key pool ({@code entries(growthKeys)}): it
 *       never grows; that is how it must be used.</li>
 *   <li>{@link #rocksDbInsert}: RocksDB as configured in {@link RocksDbStore} (a fresh database per
 *       iteration); inserts go to the memtable, and flushes and compactions run in the background,
 *       so its tail shows write stalls, not growth.</li>
 * </ul>
 *
 * <p>Keys: {@code growthKeys} distinct 16-byte random keys, values 64 bytes (the HashMap peer
 * stores preallocated key wrappers and one shared value array by reference: its best case). If an
 * iteration inserts more than {@code growthKeys}, later operations become overwrites; this is
 * recorded as a note and shown in the summary (raise {@code growthKeys} or shorten iterations).
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
public class PutInsertGrowthBenchmark {

    /** Common part: the fresh-key pool and cursor. */
    @State(Scope.Benchmark)
    public abstract static class Pool {
        @Param("10000000")
        public int growthKeys;
        byte[][] keys;
        final byte[] value = Keys.updateValue(0);
        int cursor;
        int inserted;
        int maxInserted;
        boolean exhausted;

        void generate() {
            keys = Keys.randomKeys(growthKeys, Keys.KEY_LENGTH, 0x6_0A7L);
        }

        /** Next key index; wraps (turning inserts into overwrites) when the pool is used up. */
        final int next() {
            int i = cursor;
            if (++cursor == keys.length) {
                cursor = 0;
                exhausted = true;
            }
            return i;
        }

        void endIteration(String peer) {
            maxInserted = Math.max(maxInserted, inserted);
        }

        void endTrial(String peer) {
            Report.metric("growth.maxInsertsPerIteration." + peer, maxInserted);
            if (exhausted) {
                Report.note("growth-" + peer, "key pool of " + keys.length
                    + " exhausted within an iteration: later operations were overwrites, not inserts");
            }
        }
    }

    @State(Scope.Benchmark)
    public static class OffstateGrowth extends Pool {
        KeyValueStore store;

        StoreOptions options() {
            return StoreOptions.builder().name("growth").hashSeed(7).build();
        }

        @Setup(Level.Trial)
        public void trial() {
            generate();
        }

        @Setup(Level.Iteration)
        public void reset() {
            if (store != null) {
                store.close();
            }
            System.gc();
            store = KeyValueStore.create(options());
            cursor = 0;
        }

        String peer() {
            return "offstate";
        }

        @TearDown(Level.Iteration)
        public void iterationDone() {
            inserted = (int) store.size();
            endIteration(peer());
        }

        @TearDown(Level.Trial)
        public void done() {
            store.close();
            endTrial(peer());
        }
    }

    /** offstate with a sorted index: each insert also goes into the B+tree. */
    @State(Scope.Benchmark)
    public static class OffstateSortedGrowth extends OffstateGrowth {
        @Override
        StoreOptions options() {
            return StoreOptions.builder().name("growth-sorted").hashSeed(7).sortedIndex(true).build();
        }

        @Override
        String peer() {
            return "offstate-sorted";
        }
    }

    @State(Scope.Benchmark)
    public static class HashMapGrowth extends Pool {
        ByteArrayKey[] wrapped;
        HashMap<ByteArrayKey, byte[]> map;

        @Setup(Level.Trial)
        public void trial() {
            try {
                Report.failIfRequested("hashmap");
            } catch (RuntimeException e) {
                Report.failure("hashmap", e);
                throw e;
            }
            generate();
            wrapped = new ByteArrayKey[keys.length];
            for (int i = 0; i < keys.length; i++) {
                wrapped[i] = new ByteArrayKey(keys[i]);
            }
        }

        @Setup(Level.Iteration)
        public void reset() {
            map = null;
            System.gc();
            map = new HashMap<>();
            cursor = 0;
        }

        @TearDown(Level.Iteration)
        public void iterationDone() {
            inserted = map.size();
            endIteration("hashmap");
        }

        @TearDown(Level.Trial)
        public void done() {
            endTrial("hashmap");
        }
    }

    @State(Scope.Benchmark)
    public static class ChronicleGrowth extends Pool {
        ChronicleMap<byte[], byte[]> map;

        @Setup(Level.Trial)
        public void trial() {
            generate();
        }

        @Setup(Level.Iteration)
        public void reset() {
            try {
                Report.failIfRequested("chronicle");
                if (map != null) {
                    map.close();
                }
                System.gc();
                map = ChronicleMap.of(byte[].class, byte[].class)
                    .name("growth")
                    .entries(growthKeys)
                    .keyMarshallers(ByteArrayMarshaller.INSTANCE, ByteArrayMarshaller.INSTANCE)
                    .valueMarshallers(ByteArrayMarshaller.INSTANCE, ByteArrayMarshaller.INSTANCE)
                    .constantKeySizeBySample(new byte[Keys.KEY_LENGTH])
                    .constantValueSizeBySample(new byte[Keys.VALUE_LENGTH])
                    .create();
                cursor = 0;
            } catch (Throwable t) {
                Report.failure("chronicle", t);
                throw t;
            }
        }

        @TearDown(Level.Iteration)
        public void iterationDone() {
            inserted = (int) map.longSize();
            endIteration("chronicle");
        }

        @TearDown(Level.Trial)
        public void done() {
            map.close();
            endTrial("chronicle");
        }
    }

    @State(Scope.Benchmark)
    public static class RocksDbGrowth extends Pool {
        RocksDbStore rocks;
        ByteBuffer packedKeys;
        ByteBuffer directValue;

        @Setup(Level.Trial)
        public void trial() {
            generate();
            packedKeys = RocksDbBenchmark.packed(keys, Keys.KEY_LENGTH);
            directValue = ByteBuffer.allocateDirect(value.length).put(value).flip();
        }

        @Setup(Level.Iteration)
        public void reset() throws Exception {
            try {
                Report.failIfRequested("rocksdb");
                if (rocks != null) {
                    rocks.close();
                }
                System.gc();
                rocks = RocksDbStore.open(RocksDbStore.cacheBytesFor(growthKeys, Keys.KEY_LENGTH, Keys.VALUE_LENGTH));
                cursor = 0;
                inserted = 0;
            } catch (Throwable t) {
                Report.failure("rocksdb", t);
                throw t;
            }
        }

        @TearDown(Level.Iteration)
        public void iterationDone() throws Exception {
            // the number of distinct keys written this iteration (RocksDB's own count is an estimate)
            inserted = exhausted ? keys.length : cursor;
            endIteration("rocksdb");
        }

        @TearDown(Level.Trial)
        public void done() {
            if (rocks != null) {
                rocks.close();
            }
            endTrial("rocksdb");
        }
    }

    @Benchmark
    public void offstateInsert(OffstateGrowth g) {
        g.store.put(g.keys[g.next()], g.value);
    }

    @Benchmark
    public void offstateSortedInsert(OffstateSortedGrowth g) {
        g.store.put(g.keys[g.next()], g.value);
    }

    @Benchmark
    public Object hashMapInsert(HashMapGrowth g) {
        return g.map.put(g.wrapped[g.next()], g.value);
    }

    @Benchmark
    @Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"}, jvmArgsAppend = {
        ChronicleMapBenchmark.OPENS_LANG, ChronicleMapBenchmark.OPENS_REFLECT, ChronicleMapBenchmark.EXPORTS_NIO,
        ChronicleMapBenchmark.EXPORTS_JAVAC, ChronicleMapBenchmark.EXPORTS_REF, ChronicleMapBenchmark.UNSAFE_ALLOW,
        ChronicleMapBenchmark.NO_ANALYTICS, ChronicleMapBenchmark.NO_ANNOUNCER})
    public void chronicleInsert(ChronicleGrowth g) {
        ChronicleMapBenchmark.put(g.map, g.keys[g.next()], g.value);
    }

    @Benchmark
    public void rocksDbInsert(RocksDbGrowth g) throws Exception {
        ByteBuffer v = g.directValue;
        v.position(0);
        g.rocks.db.put(g.rocks.write, RocksDbBenchmark.window(g.packedKeys, g.next(), Keys.KEY_LENGTH), v);
    }
}
