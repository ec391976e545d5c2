package io.offstate.jmh;

import java.util.function.IntToLongFunction;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The data set of the window-store benchmarks ({@link WindowStoreBenchmark} and its RocksDB peer
 * {@link RocksDbWindowBenchmark}): the {@link Dataset}'s keys (100k in the suites, 16 B random
 * keys, 64 B values), each with {@value #WINDOWS} windows, and the time layout both sides use.
 *
 * <pre>
 * window size 1 min, retention 1 h, segment interval 10 min  (Kafka Streams: 7 live segments)
 *
 * window start:  0      10 min   20 min   30 min   40 min   50 min  = stream time
 * segment:       0      1        2        3        4        5
 * entries:       keys   keys     keys     keys     keys     keys      (one window per key per segment)
 * </pre>
 *
 * Key {@code i} has a window at every start {@code w * 10 min}, {@code w = 0..5}, with value
 * {@code Dataset.value(i)}; stream time is 50 min, the horizon (stream time − retention + 1) is 0:
 * everything is live. Operations follow the data set's shuffled access order
 * ({@link Dataset#hitKeys}); key ranges are {@value #RANGE_KEYS} keys that are consecutive in
 * unsigned byte order, starting at a random one per access ({@link #rangeFrom}, {@link #rangeTo}).
 */
@State(Scope.Benchmark)
public class WindowDataset {
    static final long WINDOW_SIZE = 60_000;
    static final long RETENTION = 3_600_000;
    static final long SEGMENT_INTERVAL = 600_000;
    /** Windows per key, one per segment. */
    static final int WINDOWS = 6;
    /** Puts per commit (offstate: one transaction; RocksDB: one WriteBatch). */
    static final int PUTS_PER_COMMIT = 100;
    /** Keys per key-range fetch. */
    static final int RANGE_KEYS = 16;
    /** Accesses whose fetch results the setups check (the first of the access order). */
    static final int CHECKED = 2048;
    /** The stream time after loading: the newest window start. */
    static final long STREAM_TIME = windowStart(WINDOWS - 1);

    Dataset ds;
    /** Per access {@code i}: the first and last key of a range of {@value #RANGE_KEYS} consecutive keys. */
    byte[][] rangeFrom;
    byte[][] rangeTo;

    @Setup(Level.Trial)
    public void setUp(Dataset ds) {
        this.ds = ds;
        if (ds.keys < RANGE_KEYS) {
            throw new IllegalArgumentException("the window data set needs at least " + RANGE_KEYS + " keys, has " + ds.keys);
        }
        int[] sorted = RocksDbStore.sortedOrder(ds.loadKeys);
        rangeFrom = new byte[ds.mask + 1][];
        rangeTo = new byte[ds.mask + 1][];
        for (int i = 0; i <= ds.mask; i++) {
            // a start position derived from the access order: random, fixed, in [0, keys - RANGE_KEYS]
            int p = (int) ((long) ds.order[i] * (ds.keys - RANGE_KEYS + 1) / ds.keys);
            rangeFrom[i] = ds.loadKeys[sorted[p]].clone();
            rangeTo[i] = ds.loadKeys[sorted[p + RANGE_KEYS - 1]].clone();
        }
    }

    /** The start of window number {@code w} (of every key). */
    static long windowStart(int w) {
        return w * SEGMENT_INTERVAL;
    }

    /**
     * Checks a loaded window store through the benchmark's own fetches (each returns the windows it
     * saw): every window start's {@code fetchAll} sees every key, and the first {@value #CHECKED}
     * accesses' one-key and key-range fetches see {@value #WINDOWS} and {@value #RANGE_KEYS} x
     * {@value #WINDOWS} windows (a sample: all of them took 30-70 s).
     *
     * @throws IllegalStateException naming {@code peer} and the fetch that saw something else
     */
    void check(String peer, IntToLongFunction fetchKey, IntToLongFunction fetchKeyRange, IntToLongFunction fetchAll) {
        for (int w = 0; w < WINDOWS; w++) {
            long n = fetchAll.applyAsLong(w);
            if (n != ds.keys) {
                throw new IllegalStateException(peer + " fetchAll of window " + w + " saw " + n + " windows, not " + ds.keys);
            }
        }
        for (int i = 0; i < Math.min(ds.mask + 1, CHECKED); i++) {
            long n = fetchKey.applyAsLong(i);
            if (n != WINDOWS) {
                throw new IllegalStateException(peer + " fetch of key #" + i + " saw " + n + " windows");
            }
            n = fetchKeyRange.applyAsLong(i);
            if (n != (long) RANGE_KEYS * WINDOWS) {
                throw new IllegalStateException(peer + " range fetch #" + i + " saw " + n + " windows");
            }
        }
    }

    /** Entries after loading: keys x windows. */
    long entries() {
        return (long) ds.keys * WINDOWS;
    }
}
