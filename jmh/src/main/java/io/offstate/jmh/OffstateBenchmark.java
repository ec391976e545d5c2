package io.offstate.jmh;

import java.nio.file.Path;
import java.util.HashSet;
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

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.ValueView;
import io.offstate.offheap.KeyComponent;

/**
 * offstate's point operations (hash-only store, the default configuration) on a store holding
 * {@link Dataset#keys} entries ({@link Dataset#keyLength}-byte random keys,
 * {@link Dataset#valueLength}-byte values), in random access order. Peers, on the same data set and
 * access order: {@link ChronicleMapBenchmark} and {@link RocksDbBenchmark} (off-heap),
 * {@link HashMapBenchmark} (on-heap), {@link MemoryFloorBenchmark} (hardware floor).
 *
 * <ul>
 *   <li>{@link #getHit}: {@code store.get(byte[] key, view)} of a present key, then reads the value
 *       through the zero-copy view ({@code view.getLong(0)} and {@code view.length()}). Average time
 *       and, as a second run, SampleTime percentiles.</li>
 *   <li>{@link #getMiss}: the same lookup of an absent key.</li>
 *   <li>{@link #putUpdate}: overwrites a present key with a different value of the same length (two
 *       prepared values, alternating on every pass over the keys, so every put really changes the
 *       value). Average time and SampleTime.</li>
 *   <li>{@link #deleteReinsert}: deletes a present key and puts it back (the same prepared values):
 *       the time of the pair, so the store's size stays constant.</li>
 *   <li>With {@code sortedIndex=true} (the scans case), put-update and delete+reinsert on a store
 *       that also keeps a sorted index: the write cost of the index.</li>
 *   <li>With {@code backing=file} (the file case, which runs {@code memory} and {@code file} in one
 *       JMH run): the same get-hit, get-miss and put-update on a store opened with
 *       {@code KeyValueStore.open} on a fresh directory, loaded and flushed once before measuring.
 *       Gets then read clean, privately mapped file pages (in the page cache; the setup's check of
 *       every key faults them in). put-update's first write to each page after the flush copies
 *       the page (private copy-on-write); the warmup's first pass over the keys pays that, so the
 *       measured put-update is the write into private pages plus the dirty-chunk bookkeeping. No
 *       flush runs while measuring: its cost against dirty chunks is {@link OffstateFileBenchmark}'s.
 *       The directory's bytes per entry are recorded as {@code disk.offstate}; the store is closed
 *       without flushing and its directory deleted at the end of the fork.</li>
 *   <li>Dictionary encoding ({@code tenant*}): keys {@code tenant-<4 digits>|} + 8 random bytes over
 *       {@value #TENANTS} tenants, stored plainly vs with
 *       {@code dictionaryKeyComponent(KeyComponent.untilDelimiter('|'))}: get-hit and put-update time
 *       of both; memory per entry of both is recorded at setup.</li>
 * </ul>
 * Expected: 0 B/op ({@code -prof gc}, {@code gc.alloc.rate.norm}) on every method, file-backed too.
 * Memory per entry ({@code store.memoryUsed() / keys}) is recorded as {@code memory.offstate} etc.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class OffstateBenchmark {
    static final int TENANTS = 100;

    static StoreOptions.Builder options(long entries) {
        return StoreOptions.builder().name("bench").expectedEntries(entries).hashSeed(0x0FF5_7A7EL);
    }

    /**
     * A store loaded with the data set; hash-only unless {@code sortedIndex} (the scans case sets
     * it); in memory unless {@code backing} is {@code file} (the file case runs both).
     */
    @State(Scope.Benchmark)
    public static class Store {
        /** Whether the store also keeps a sorted index: put/delete cost with vs without it. */
        @Param("false")
        public boolean sortedIndex;

        /**
         * {@code memory}: {@code KeyValueStore.create}. {@code file}: {@code KeyValueStore.open} on a
         * fresh directory ({@link FileStores}), loaded, then flushed once, so every page is a clean
         * privately mapped file page (in the page cache) when the measurement starts, as after a
         * restart.
         */
        @Param("memory")
        public String backing;

        KeyValueStore store;
        Path directory;
        final ValueView view = new ValueView();
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
        public void setUp(Dataset ds) {
            StoreOptions o = options(ds.keys).sortedIndex(sortedIndex).build();
            switch (backing) {
                case "memory" -> store = KeyValueStore.create(o);
                case "file" -> {
                    directory = FileStores.newDirectory("offstate-");
                    store = KeyValueStore.open(directory, o);
                }
                default -> throw new IllegalArgumentException("backing must be memory or file, was " + backing);
            }
            for (int i = 0; i < ds.keys; i++) {
                store.put(ds.loadKeys[i], ds.value(i));
            }
            store.flush(); // file: written out and remapped clean; memory: does nothing
            hitKeys = ds.hitKeys;
            missKeys = ds.missKeys;
            updateA = ds.updateA;
            updateB = ds.updateB;
            mask = ds.mask;
            for (int i = 0; i <= mask; i++) {
                if (!store.get(hitKeys[i], view) || view.length() != ds.valueLength) {
                    throw new IllegalStateException("offstate lost key #" + i);
                }
                if (store.get(missKeys[i], view)) {
                    throw new IllegalStateException("offstate finds absent key #" + i);
                }
            }
            if (directory != null) {
                Report.metric("disk.offstate", ds.keys, (double) FileStores.bytes(directory) / ds.keys);
            } else {
                Report.metric(sortedIndex ? "memory.offstate-sorted-point" : "memory.offstate", ds.keys,
                    (double) store.memoryUsed() / ds.keys);
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (store != null) {
                // the directory is deleted next: writing put-update's dirty pages back would only slow the teardown
                store.closeWithoutFlush();
            }
            FileStores.delete(directory);
        }
    }

    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
    public void getHit(Store s, Blackhole bh) {
        int i = s.hit = (s.hit + 1) & s.mask;
        ValueView v = s.view;
        bh.consume(s.store.get(s.hitKeys[i], v));
        bh.consume(v.getLong(0));
        bh.consume(v.length());
    }

    @Benchmark
    public boolean getMiss(Store s) {
        int i = s.miss = (s.miss + 1) & s.mask;
        return s.store.get(s.missKeys[i], s.view);
    }

    @Benchmark
    @BenchmarkMode({Mode.AverageTime, Mode.SampleTime})
    public void putUpdate(Store s) {
        int i = s.put = (s.put + 1) & s.mask;
        if (i == 0) {
            s.phase = !s.phase;
        }
        s.store.put(s.hitKeys[i], s.phase ? s.updateA : s.updateB);
    }

    @Benchmark
    public boolean deleteReinsert(Store s) {
        int i = s.del = (s.del + 1) & s.mask;
        if (i == 0) {
            s.delPhase = !s.delPhase;
        }
        byte[] key = s.hitKeys[i];
        boolean deleted = s.store.delete(key);
        s.store.put(key, s.delPhase ? s.updateA : s.updateB);
        return deleted;
    }

    // ------------------------------------------------------------ dictionary encoding

    /** Tenant keys ({@code tenant-<4 digits>|} + 8 random bytes) in load and access order. */
    @State(Scope.Benchmark)
    public static class TenantDataset {
        @Param("1000000")
        public int keys;
        byte[][] loadKeys;
        byte[][] hitKeys;
        int mask;

        @Setup(Level.Trial)
        public void setUp() {
            loadKeys = Keys.tenantKeys(keys, TENANTS, 0x7E_4A47L, (HashSet<ByteArrayKey>) null);
            int length = Keys.accessLength(keys);
            mask = length - 1;
            int[] order = Keys.shuffled(keys, Dataset.ORDER_SEED);
            hitKeys = new byte[length][];
            for (int i = 0; i < length; i++) {
                hitKeys[i] = loadKeys[order[i]].clone();
            }
        }
    }

    /** Common part of the plain and the dictionary-encoded tenant stores. */
    public abstract static class TenantStore {
        KeyValueStore store;
        final ValueView view = new ValueView();
        final byte[] updateA = Keys.updateValue(0);
        final byte[] updateB = Keys.updateValue(1);
        byte[][] hitKeys;
        int mask;
        int hit;
        int put;
        boolean phase;

        void load(TenantDataset ds, KeyComponent component, String name) {
            store = KeyValueStore.create(options(ds.keys).dictionaryKeyComponent(component).build());
            for (int i = 0; i < ds.keys; i++) {
                store.put(ds.loadKeys[i], Keys.initialValue(i));
            }
            hitKeys = ds.hitKeys;
            mask = ds.mask;
            for (int i = 0; i <= mask; i++) {
                if (!store.get(hitKeys[i], view)) {
                    throw new IllegalStateException(name + " lost key #" + i);
                }
            }
            Report.metric("memory." + name, ds.keys, (double) store.memoryUsed() / ds.keys);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            store.close();
        }
    }

    @State(Scope.Benchmark)
    public static class PlainTenantStore extends TenantStore {
        @Setup(Level.Trial)
        public void setUp(TenantDataset ds) {
            load(ds, null, "offstate-tenant-plain");
        }
    }

    @State(Scope.Benchmark)
    public static class DictTenantStore extends TenantStore {
        @Setup(Level.Trial)
        public void setUp(TenantDataset ds) {
            load(ds, KeyComponent.untilDelimiter((byte) '|'), "offstate-tenant-dict");
            if (store.dictionarySize() > TENANTS) {
                throw new IllegalStateException("dictionary holds " + store.dictionarySize() + " components");
            }
        }
    }

    static void tenantGet(TenantStore s, Blackhole bh) {
        int i = s.hit = (s.hit + 1) & s.mask;
        ValueView v = s.view;
        bh.consume(s.store.get(s.hitKeys[i], v));
        bh.consume(v.getLong(0));
        bh.consume(v.length());
    }

    static void tenantPut(TenantStore s) {
        int i = s.put = (s.put + 1) & s.mask;
        if (i == 0) {
            s.phase = !s.phase;
        }
        s.store.put(s.hitKeys[i], s.phase ? s.updateA : s.updateB);
    }

    @Benchmark
    public void tenantPlainGetHit(PlainTenantStore s, Blackhole bh) {
        tenantGet(s, bh);
    }

    @Benchmark
    public void tenantDictGetHit(DictTenantStore s, Blackhole bh) {
        tenantGet(s, bh);
    }

    @Benchmark
    public void tenantPlainPutUpdate(PlainTenantStore s) {
        tenantPut(s);
    }

    @Benchmark
    public void tenantDictPutUpdate(DictTenantStore s) {
        tenantPut(s);
    }
}
