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

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.time.Aggregators;
import io.offstate.engine.time.TimeWindows;
import io.offstate.engine.time.WindowedAggregation;
import io.offstate.engine.time.WindowedAggregationOptions;
import io.offstate.engine.time.WindowedResult;

/**
 * Windowed-count throughput of offstate's {@link WindowedAggregation} with {@code Aggregators.count()}
 * (issue 15): one operation is one record, so records/s = 10⁹ / score. The peer is
 * {@link RocksDbWindowedCountBenchmark}: the same count done the Kafka Streams way on RocksDB, same
 * record stream, in the same run.
 *
 * <h2>Record stream</h2>
 * Record {@code n} has the key of access {@code n % k} of the {@link Dataset}, {@code k} = the
 * first {@value WindowDataset#COUNT_KEYS} of the access order (so each key comes back every
 * {@code k} records) and timestamp {@link WindowDataset#countTimestamp}: time
 * advances evenly, {@value WindowDataset#COUNT_PER_KEY_WINDOW} records of each key per 1-min window,
 * in order (no late records). Windows of 1 min, grace 0: {@link #tumbling}, and {@link #hopping}
 * with a 15 s advance (each record in 4 windows). The setup processes and commits the first 1.5
 * windows' worth of records (so windows already close in the measured part) and checks their
 * counts; the measured records go on from there.
 *
 * <p>offstate: an in-memory store with a sorted index, emit on close (the default; the listener
 * only sums the final counts), closing by partition, up to
 * {@value WindowDataset#COUNT_CLOSES_PER_CALL} windows per record (the default: every window the
 * record makes due); a {@code Transaction.reusable(store)} committed
 * and restarted every {@value WindowDataset#PUTS_PER_COMMIT} records (score and B/op include 1/100
 * of a commit). Each record does one get and one put per window it lands in; closing a window (at
 * stream time = its end) emits it and deletes its entries, within the records' calls.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class WindowedCountBenchmark {

    /** The aggregation, its transaction and the position in the record stream. */
    abstract static class Counting {
        WindowedAggregation counts;
        Transaction tx;
        byte[][] hitKeys;
        int mask;
        int accessLength;
        long n;
        int pending;
        long closedWindows;
        long closedRecords;

        void setUp(Dataset ds, long advance) {
            long t0 = System.nanoTime();
            hitKeys = ds.hitKeys;
            accessLength = WindowDataset.countKeys(ds.mask + 1);
            mask = accessLength - 1;
            long live = (WindowDataset.COUNT_SIZE / advance + 1) * accessLength;
            // windows and their close entries
            KeyValueStore store = KeyValueStore.create(OffstateBenchmark.options(2 * live).name("counts")
                .sortedIndex(true).build());
            TimeWindows windows = advance == WindowDataset.COUNT_SIZE ? TimeWindows.tumbling(WindowDataset.COUNT_SIZE)
                : TimeWindows.hopping(WindowDataset.COUNT_SIZE, advance);
            counts = WindowedAggregation.on(store, WindowedAggregationOptions.builder(windows.grace(0))
                .aggregators(Aggregators.count())
                .onResult(this::closed)
                .maxClosesPerCall(WindowDataset.COUNT_CLOSES_PER_CALL)
                .build());
            tx = Transaction.reusable(store);
            long prefix = WindowDataset.countPrefix(accessLength);
            while (n < prefix) {
                process(this);
            }
            tx.commit();
            tx.restart();
            pending = 0;
            WindowDataset.checkCounts("offstate", accessLength, prefix, advance, (j, start) -> {
                WindowedResult r = counts.fetch(null, hitKeys[j], start + WindowDataset.COUNT_SIZE);
                return r == null ? 0 : (long) r.value(0);
            });
            if (closedWindows == 0) {
                throw new IllegalStateException("no window closed in the first " + prefix + " records");
            }
            System.out.printf("%n[offstate-jmh] windowed count setup: %,d records + check %d ms%n", prefix,
                (System.nanoTime() - t0) / 1_000_000);
        }

        private void closed(WindowedResult r) {
            closedWindows++;
            closedRecords += (long) r.value(0);
        }

        void close() {
            if (tx != null) {
                tx.close();
            }
            if (counts != null) {
                counts.store().close();
            }
        }
    }

    @State(Scope.Benchmark)
    public static class Tumbling extends Counting {
        @Setup(Level.Trial)
        public void setUp(Dataset ds) {
            setUp(ds, WindowDataset.COUNT_SIZE);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    @State(Scope.Benchmark)
    public static class Hopping extends Counting {
        @Setup(Level.Trial)
        public void setUp(Dataset ds) {
            setUp(ds, WindowDataset.COUNT_ADVANCE);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            close();
        }
    }

    static boolean process(Counting s) {
        long n = s.n++;
        boolean taken = s.counts.process(s.tx, s.hitKeys[(int) (n & s.mask)], 1.0,
            WindowDataset.countTimestamp(n, s.accessLength));
        if (++s.pending == WindowDataset.PUTS_PER_COMMIT) {
            s.tx.commit();
            s.tx.restart();
            s.pending = 0;
        }
        return taken;
    }

    @Benchmark
    public boolean tumbling(Tumbling s) {
        return process(s);
    }

    @Benchmark
    public boolean hopping(Hopping s) {
        return process(s);
    }
}
