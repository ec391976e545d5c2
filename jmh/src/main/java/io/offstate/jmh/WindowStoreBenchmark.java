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

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;
import io.offstate.engine.time.WindowCursor;
import io.offstate.engine.time.WindowStore;
import io.offstate.engine.time.WindowStoreOptions;

/**
 * offstate's {@link WindowStore} (issue 15) on the {@link WindowDataset} (100k keys x 6 windows in
 * the suites, 16 B keys, 64 B values, window size 1 min, retention 1 h, segment interval 10 min), in
 * memory, on a store with a sorted index. The peer is {@link RocksDbWindowBenchmark}: RocksDB with
 * Kafka Streams' window-store layout, the same data, access order and operations, in the same run.
 * Reads see committed state ({@code tx = null}); writes go through a {@link Transaction}.
 *
 * <ul>
 *   <li>{@link #put}: put-update of the newest window (start 50 min) of the next key of the access
 *       order, two alternating values, into a {@code Transaction.reusable(store)} that is
 *       committed every {@value WindowDataset#PUTS_PER_COMMIT} puts and restarted: the score and
 *       B/op include 1/{@value WindowDataset#PUTS_PER_COMMIT} of a commit + restart. Stream time does
 *       not move, so no put sweeps.</li>
 *   <li>{@link #fetchKey}: {@code WindowCursor.fetch(null, key, 0, 50 min)} and every window it
 *       returns ({@value WindowDataset#WINDOWS}: one per segment).</li>
 *   <li>{@link #fetchKeyRange}: {@code fetch(null, keyFrom, keyTo, 0, 50 min)} over
 *       {@value WindowDataset#RANGE_KEYS} consecutive keys: 96 windows.</li>
 *   <li>{@link #fetchAll}: {@code fetchAll(null, start, start + 1 min - 1)} of one window start
 *       (the next of the six in turn): every key's window in that segment, {@code keys} entries.</li>
 *   <li>{@link #expireSegment}: on a store of 7 segments, an untimed per-invocation setup writes a
 *       new segment ({@code keys} puts at the next window start, committed every
 *       {@value WindowDataset#PUTS_PER_COMMIT}; the store's sweep limit is 0 so puts never sweep),
 *       which puts the oldest segment behind the horizon; the measured call is
 *       {@code restart, sweep(tx, MAX_VALUE), commit} of one reusable transaction: removes the {@code keys} entries of that
 *       segment. Score / keys = cost per expired entry. B/op includes the untimed setup's
 *       allocation (JMH counts the whole iteration).</li>
 * </ul>
 * Each fetch step reads the key's length, the window start and the value's first 8 bytes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class WindowStoreBenchmark {

    static WindowStoreOptions windowOptions(int sweepLimit) {
        return WindowStoreOptions.builder()
            .windowSize(WindowDataset.WINDOW_SIZE)
            .retention(WindowDataset.RETENTION)
            .segmentInterval(WindowDataset.SEGMENT_INTERVAL)
            .sweepLimit(sweepLimit)
            .build();
    }

    /** An in-memory sorted store with a window store on it, loaded with windows {@code 0..windows-1}. */
    static WindowStore loaded(WindowDataset wd, int windows, int sweepLimit) {
        Dataset ds = wd.ds;
        KeyValueStore store = KeyValueStore.create(OffstateBenchmark.options((long) ds.keys * (windows + 1))
            .name("windows").sortedIndex(true).build());
        WindowStore w = WindowStore.on(store, windowOptions(sweepLimit));
        WindowDataset.load(store, ds.keys * windows,
            (tx, n) -> w.put(tx, ds.loadKeys[n % ds.keys], ds.value(n % ds.keys), WindowDataset.windowStart(n / ds.keys)));
        return w;
    }

    /** The loaded window store for put and the fetches; each method uses its own part. */
    @State(Scope.Benchmark)
    public static class Windows {
        WindowStore windows;
        WindowCursor cursor;
        Transaction tx;
        byte[][] hitKeys;
        byte[][] rangeFrom;
        byte[][] rangeTo;
        byte[] updateA;
        byte[] updateB;
        int mask;
        int next;
        int pending;
        int window;
        boolean phase;

        @Setup(Level.Trial)
        public void setUp(WindowDataset wd) {
            long t0 = System.nanoTime();
            windows = loaded(wd, WindowDataset.WINDOWS, WindowStoreOptions.DEFAULT_SWEEP_LIMIT);
            Dataset ds = wd.ds;
            cursor = windows.cursor();
            hitKeys = ds.hitKeys;
            rangeFrom = wd.rangeFrom;
            rangeTo = wd.rangeTo;
            updateA = ds.updateA;
            updateB = ds.updateB;
            mask = ds.mask;
            if (windows.store().size() != wd.entries() + 1) { // + the window store's metadata entry
                throw new IllegalStateException("window store holds " + windows.store().size() + " entries, not "
                    + wd.entries() + " + 1");
            }
            wd.check("offstate", i -> fetchKey(this, i, null), i -> fetchKeyRange(this, i, null),
                w -> fetchAll(this, w, null));
            Report.metric("window.memory.offstate", (double) windows.store().memoryUsed() / wd.entries());
            System.out.printf("%n[offstate-jmh] window store setup: load + check %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);
            tx = Transaction.reusable(windows.store());
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (tx != null) {
                tx.close();
            }
            if (windows != null) {
                windows.store().close();
            }
        }
    }

    static void consume(WindowCursor c, Blackhole bh) {
        if (bh != null) {
            bh.consume(c.key().length());
            bh.consume(c.windowStart());
            bh.consume(c.value().getLong(0));
        }
    }

    static long fetchKey(Windows s, int i, Blackhole bh) {
        WindowCursor c = s.cursor.fetch(null, s.hitKeys[i], 0, WindowDataset.STREAM_TIME);
        long n = 0;
        while (c.next()) {
            consume(c, bh);
            n++;
        }
        return n;
    }

    static long fetchKeyRange(Windows s, int i, Blackhole bh) {
        WindowCursor c = s.cursor.fetch(null, s.rangeFrom[i], s.rangeTo[i], 0, WindowDataset.STREAM_TIME);
        long n = 0;
        while (c.next()) {
            consume(c, bh);
            n++;
        }
        return n;
    }

    static long fetchAll(Windows s, int w, Blackhole bh) {
        long start = WindowDataset.windowStart(w);
        WindowCursor c = s.cursor.fetchAll(null, start, start + WindowDataset.WINDOW_SIZE - 1);
        long n = 0;
        while (c.next()) {
            consume(c, bh);
            n++;
        }
        return n;
    }

    @Benchmark
    public void put(Windows s) {
        int i = s.next = (s.next + 1) & s.mask;
        if (i == 0) {
            s.phase = !s.phase;
        }
        s.windows.put(s.tx, s.hitKeys[i], s.phase ? s.updateA : s.updateB, WindowDataset.STREAM_TIME);
        if (++s.pending == WindowDataset.PUTS_PER_COMMIT) {
            s.tx.commit();
            s.tx.restart();
            s.pending = 0;
        }
    }

    @Benchmark
    public long fetchKey(Windows s, Blackhole bh) {
        int i = s.next = (s.next + 1) & s.mask;
        return fetchKey(s, i, bh);
    }

    @Benchmark
    public long fetchKeyRange(Windows s, Blackhole bh) {
        int i = s.next = (s.next + 1) & s.mask;
        return fetchKeyRange(s, i, bh);
    }

    @Benchmark
    public long fetchAll(Windows s, Blackhole bh) {
        int w = s.window = s.window + 1 == WindowDataset.WINDOWS ? 0 : s.window + 1;
        return fetchAll(s, w, bh);
    }

    // ------------------------------------------------------------ expiry

    /** A window store of 7 segments whose sweep limit is 0: only the measured sweep removes anything. */
    @State(Scope.Benchmark)
    public static class Expiring {
        /** Live segments before each measured expiry (Kafka Streams: retention / interval + 1). */
        static final int SEGMENTS = (int) (WindowDataset.RETENTION / WindowDataset.SEGMENT_INTERVAL) + 1;

        WindowStore windows;
        Dataset ds;
        /** One reusable transaction for the setup's writes and the measured sweep. */
        Transaction tx;
        /** The window (and segment) the next setup writes. */
        int nextWindow;
        long removed;
        long sweeps;

        @Setup(Level.Trial)
        public void setUp(WindowDataset wd) {
            ds = wd.ds;
            windows = loaded(wd, SEGMENTS, 0);
            nextWindow = SEGMENTS;
            tx = Transaction.reusable(windows.store());
            tx.abort(); // every use restarts it
        }

        /** Writes the next segment: the oldest one falls behind the horizon. Not timed. */
        @Setup(Level.Invocation)
        public void nextSegment() {
            long start = WindowDataset.windowStart(nextWindow++);
            tx.restart();
            int pending = 0;
            for (int i = 0; i < ds.keys; i++) {
                windows.put(tx, ds.loadKeys[i], ds.updateA, start);
                if (++pending == WindowDataset.PUTS_PER_COMMIT) {
                    tx.commit();
                    tx.restart();
                    pending = 0;
                }
            }
            tx.commit();
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (tx != null) {
                tx.close();
            }
            if (windows != null) {
                if (sweeps > 0 && removed != sweeps * ds.keys) {
                    throw new IllegalStateException(sweeps + " sweeps removed " + removed + " entries, not "
                        + ds.keys + " each");
                }
                windows.store().close();
            }
        }
    }

    @Benchmark
    public int expireSegment(Expiring s) {
        Transaction tx = s.tx;
        tx.restart();
        int n = s.windows.sweep(tx, Integer.MAX_VALUE);
        tx.commit();
        s.removed += n;
        s.sweeps++;
        return n;
    }
}
