package io.offstate.jmh;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
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
import org.openjdk.jmh.infra.IterationParams;
import org.openjdk.jmh.runner.IterationType;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.ValueView;
import io.offstate.offheap.memory.MappedRegion;

/**
 * The costs only a file-backed store ({@code KeyValueStore.open}) has: {@link #flush} against the
 * number of dirty 4 KiB chunks, and {@link #open} of an existing, flushed directory against its
 * number of entries. Both are single operations of 0.1-100 ms, timed one at a time
 * ({@link Mode#SingleShotTime}, one call per iteration, many iterations per fork), with the state
 * each call needs prepared in {@code Level.Iteration} fixtures, outside the timed call. That
 * avoids {@code Level.Invocation} setups, whose per-call timestamps and fixture calls JMH warns
 * about; with one call per iteration, an iteration fixture is exactly a per-call fixture.
 * File get/put against in-memory get/put is {@link OffstateBenchmark} with {@code backing=file}.
 *
 * <h2>{@link #flush}: flush cost against dirty chunks</h2>
 * A file-backed store of the {@link Dataset} (loaded in key order, then flushed). Before each
 * measured flush, the iteration setup overwrites the values of {@code dirtyChunks} = K keys spread
 * evenly over the store ({@code keys[j * stride + offset]}, {@code stride = keys / K}, another
 * offset each iteration): entries are allocated in load order, so these entries lie at least
 * {@code stride} entries ({@code >= 8 KiB}) apart, each in its own chunk, and every put dirties
 * exactly the chunk (or, when the entry straddles a chunk boundary, the two chunks) it lies in.
 * The timed call is {@code store.flush()} alone: CRC32C of each dirty chunk, the journal write
 * and its {@code force}, marking the previous journal superseded ({@code force}), the in-place
 * writes and their {@code force}, and remapping every written region (FORMAT.md, "Commit").
 * The puts, including their copy-on-write page faults, are not timed. K = 0 is an empty flush
 * (metadata only): the fixed cost. The dirty chunks each flush really wrote are counted in the
 * setup from the store's dirty bitmaps ({@link FileStores#dirtyChunks}) and recorded
 * ({@code flush.dirtyChunks.<K>}, min and max over iterations).
 *
 * <h2>{@link #open}: open time against entries</h2>
 * A store directory of {@code openKeys} entries (16 B random keys, 64 B values; keys generated on
 * the fly, not kept), built once per fork ({@code Level.Trial}) in a fresh directory, closed
 * (flushed), and deleted at the end of the fork. The timed call is
 * {@code KeyValueStore.open(directory, options)}: lock, read both journals' headers and metadata,
 * map every page and index file. The JVM is warm (the build ran the same code, and the get path
 * was run 200,000 times so the JIT compiled it) and so is the page cache (the files were just
 * written): this is the store's own cost, not class loading or disk reads. After each open, the
 * iteration teardown times the first {@code get} of a present key with {@code System.nanoTime()}
 * (a single call, as SingleShotTime would; it faults in the hash slot's and the entry's pages of
 * the fresh mappings) and closes the store without flushing, so every open sees the same
 * directory. The first-get times of measurement iterations are recorded as
 * {@code open.firstGetMicros} (median) and {@code open.firstGetMicrosMax}; the directory's size as
 * {@code open.diskBytes}.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5)
@Measurement(iterations = 20)
public class OffstateFileBenchmark {
    /** Keys of the open benchmark's stores, and how many of them are kept for the first get. */
    static final int OPEN_KEY_LENGTH = Keys.KEY_LENGTH;
    static final int OPEN_VALUE_LENGTH = Keys.VALUE_LENGTH;
    static final int PROBES = 1024;

    /** A flushed file-backed store of the data set, and K entries dirtied before each flush. */
    @State(Scope.Benchmark)
    public static class Dirty {
        /** Distinct 4 KiB chunks to dirty before each flush (0: an empty flush). */
        @Param("16")
        public int dirtyChunks;

        KeyValueStore store;
        Path directory;
        byte[][] keys;
        byte[] updateA;
        byte[] updateB;
        int stride;
        int round;
        long countedMin = Long.MAX_VALUE;
        long countedMax = Long.MIN_VALUE;

        @Setup(Level.Trial)
        public void setUp(Dataset ds) {
            if (dirtyChunks < 0) {
                throw new IllegalArgumentException("dirtyChunks must be >= 0, was " + dirtyChunks);
            }
            stride = dirtyChunks == 0 ? 0 : ds.keys / dirtyChunks;
            // entries at least two chunks apart: an entry is bigger than its key and value bytes
            if (dirtyChunks > 0 && (long) stride * (ds.keyLength + ds.valueLength) < 2L * MappedRegion.CHUNK_SIZE) {
                throw new IllegalArgumentException(ds.keys + " keys are too few to dirty " + dirtyChunks
                    + " chunks at least 8 KiB apart");
            }
            directory = FileStores.newDirectory("offstate-flush-");
            store = KeyValueStore.open(directory, OffstateBenchmark.options(ds.keys).build());
            for (int i = 0; i < ds.keys; i++) {
                store.put(ds.loadKeys[i], ds.value(i));
            }
            store.flush();
            keys = ds.loadKeys;
            updateA = ds.updateA;
            updateB = ds.updateB;
        }

        @Setup(Level.Iteration)
        public void dirty() {
            round++;
            int offset = stride == 0 ? 0 : (int) ((round * 7919L) % stride); // other entries, other chunks each time
            byte[] v = (round & 1) == 0 ? updateA : updateB;
            for (int j = 0; j < dirtyChunks; j++) {
                store.put(keys[j * stride + offset], v);
            }
            long n = FileStores.dirtyChunks(store);
            countedMin = Math.min(countedMin, n);
            countedMax = Math.max(countedMax, n);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (countedMax >= 0) {
                Report.metric("flush.dirtyChunks." + dirtyChunks, countedMin);
                Report.metric("flush.dirtyChunksMax." + dirtyChunks, countedMax);
            }
            if (store != null) {
                store.closeWithoutFlush();
            }
            FileStores.delete(directory);
        }
    }

    @Benchmark
    public void flush(Dirty d) {
        d.store.flush();
    }

    /** A flushed store directory of {@code openKeys} entries, and the store each measured open returned. */
    @State(Scope.Benchmark)
    public static class Directory {
        /** Entries in the store that is opened. */
        @Param("1000000")
        public int openKeys;

        Path directory;
        StoreOptions options;
        byte[][] probes;
        int probe;
        KeyValueStore opened;
        final ValueView view = new ValueView();
        final List<Long> firstGetNanos = new ArrayList<>();
        long sink;

        @Setup(Level.Trial)
        public void build() {
            directory = FileStores.newDirectory("offstate-open-");
            options = OffstateBenchmark.options(openKeys).build();
            SplittableRandom rnd = new SplittableRandom(Dataset.KEY_SEED);
            byte[] key = new byte[OPEN_KEY_LENGTH];
            byte[] value = new byte[OPEN_VALUE_LENGTH];
            int kept = Math.min(PROBES, openKeys);
            probes = new byte[kept][];
            int every = openKeys / kept;
            long t0 = System.nanoTime();
            try (KeyValueStore s = KeyValueStore.open(directory, options)) {
                for (int i = 0; i < openKeys; i++) {
                    rnd.nextBytes(key);
                    rnd.nextBytes(value);
                    s.put(key, value); // copies: the arrays are reused
                    if (i % every == 0 && i / every < kept) {
                        probes[i / every] = key.clone();
                    }
                }
                // the measured first get must time the store's memory, not the interpreter
                for (int r = 0; r < 200_000; r++) {
                    if (!s.get(probes[r % kept], view)) {
                        throw new IllegalStateException("built store lost probe key #" + r % kept);
                    }
                }
            } // close() flushes: the directory now holds exactly this state
            Report.note("open-build-" + openKeys, String.format(java.util.Locale.ROOT,
                "built and flushed %,d entries in %.1f s", openKeys, (System.nanoTime() - t0) / 1e9));
            Report.metric("open.diskBytes", openKeys, FileStores.bytes(directory));
        }

        @TearDown(Level.Iteration)
        public void firstGetAndClose(IterationParams iteration) {
            if (opened == null) {
                return;
            }
            try {
                byte[] key = probes[probe++ % probes.length];
                long t0 = System.nanoTime();
                boolean found = opened.get(key, view);
                sink += view.getLong(0); // reads the value: the entry's page is touched too
                long t = System.nanoTime() - t0;
                if (!found || view.length() != OPEN_VALUE_LENGTH) {
                    throw new IllegalStateException("reopened store lost a key");
                }
                if (iteration.getType() == IterationType.MEASUREMENT) {
                    firstGetNanos.add(t);
                }
            } finally {
                opened.closeWithoutFlush(); // no flush: every open sees the same directory
                opened = null;
            }
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (!firstGetNanos.isEmpty()) {
                List<Long> sorted = new ArrayList<>(firstGetNanos);
                Collections.sort(sorted);
                Report.metric("open.firstGetMicros", openKeys, sorted.get(sorted.size() / 2) / 1e3);
                Report.metric("open.firstGetMicrosMax", openKeys, sorted.get(sorted.size() - 1) / 1e3);
            }
            if (opened != null) {
                opened.closeWithoutFlush();
            }
            FileStores.delete(directory);
        }
    }

    @Benchmark
    public KeyValueStore open(Directory d) {
        return d.opened = KeyValueStore.open(d.directory, d.options);
    }
}
