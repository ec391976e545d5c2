package io.offstate.jmh;

import java.util.function.IntToLongFunction;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The data set of the time-store benchmarks (issue 15): the window store ({@link WindowStoreBenchmark},
 * {@link RocksDbWindowBenchmark}), the session store ({@link SessionStoreBenchmark},
 * {@link RocksDbSessionBenchmark}), the versioned store ({@link VersionedStoreBenchmark},
 * {@link RocksDbVersionedBenchmark}) and the windowed count ({@link WindowedCountBenchmark},
 * {@link RocksDbWindowedCountBenchmark}): the {@link Dataset}'s keys (100k in the suites, 16 B
 * random keys, 64 B values), each with {@value #WINDOWS} windows, sessions or versions, the time
 * layout both sides of each pair use, the count's record stream, the loaders and the checks both
 * sides of a pair run on their loaded stores.
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
    /**
     * Sessions ({@link SessionStoreBenchmark}): key {@code i}'s session {@code w} is
     * {@code [windowStart(w), windowStart(w) + 5 min]}, one per segment (segments by end time).
     */
    static final long SESSION_LENGTH = 300_000;
    /** The session store's stream time after loading: the newest session's end. */
    static final long SESSION_STREAM_TIME = STREAM_TIME + SESSION_LENGTH;
    /**
     * Versions ({@link VersionedStoreBenchmark}): key {@code i} has a version at each
     * {@code windowStart(w)}, {@code w = 0..5}; the one of {@code w} is valid until {@code windowStart(w + 1)}
     * and the latest (50 min) is open. History retention {@link #RETENTION}: all of it readable.
     */
    static final int VERSIONS = WINDOWS;

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

    /**
     * Checks a loaded session store: the first {@value #CHECKED} accesses' {@code find} (returning
     * the sessions it saw) see the key's {@value #WINDOWS} sessions.
     *
     * @throws IllegalStateException naming {@code peer} and the access
     */
    static void checkSessions(String peer, int mask, IntToLongFunction find) {
        for (int i = 0; i < Math.min(mask + 1, CHECKED); i++) {
            long n = find.applyAsLong(i);
            if (n != WINDOWS) {
                throw new IllegalStateException(peer + " findSessions of key #" + i + " saw " + n + " sessions, not "
                    + WINDOWS);
            }
        }
    }

    /** The as-of time of access {@code i}'s history lookup: 5 min into version {@code historyVersion(i)}. */
    static long historyAsOf(int i) {
        return windowStart(historyVersion(i)) + SESSION_LENGTH;
    }

    /** The version access {@code i}'s history lookup finds: one of the {@value #VERSIONS} - 1 superseded ones. */
    static int historyVersion(int i) {
        return i % (VERSIONS - 1);
    }

    /**
     * Checks a loaded versioned store: the first {@value #CHECKED} accesses' as-of lookups
     * ({@code latest} at stream time, {@code history} at {@link #historyAsOf}; each returns the
     * found version's timestamp, -1 if none) find the right version.
     *
     * @throws IllegalStateException naming {@code peer} and the access
     */
    static void checkVersions(String peer, int mask, IntToLongFunction latest, IntToLongFunction history) {
        for (int i = 0; i < Math.min(mask + 1, CHECKED); i++) {
            long ts = latest.applyAsLong(i);
            if (ts != STREAM_TIME) {
                throw new IllegalStateException(peer + " get(key #" + i + ", " + STREAM_TIME + ") found version " + ts);
            }
            ts = history.applyAsLong(i);
            if (ts != windowStart(historyVersion(i))) {
                throw new IllegalStateException(peer + " get(key #" + i + ", " + historyAsOf(i) + ") found version " + ts
                    + ", not " + windowStart(historyVersion(i)));
            }
        }
    }

    // ------------------------------------------------------------ windowed count (WindowedCountBenchmark)

    /** Windowed count: window size 1 min, hopping advance 15 s (4 windows per record), grace 0. */
    static final long COUNT_SIZE = 60_000;
    static final long COUNT_ADVANCE = 15_000;
    /**
     * Keys of the count stream: the first this many of the access order (all of them on a smaller
     * data set), a power of two. Bounds the setup's prefix and the windows closing together.
     */
    static final int COUNT_KEYS = 8192;
    /**
     * offstate's {@code maxClosesPerCall} in the count: the default, so a record closes every window
     * it makes due, as Kafka Streams does. (Until the engine resumed its close scan after the last
     * closed key, closing k windows in one transaction cost k^2 and this was 1.)
     */
    static final int COUNT_CLOSES_PER_CALL = 10_000;

    /** The number of keys of the count stream on a data set whose access order has {@code accessLength} keys. */
    static int countKeys(int accessLength) {
        return Math.min(accessLength, COUNT_KEYS);
    }

    /** Records of each key per window: the stream's time advances so that each key gets this many. */
    static final int COUNT_PER_KEY_WINDOW = 8;
    /** Records processed (and committed) before measuring, in windows' worth: windows already close. */
    static final double COUNT_PREFIX_WINDOWS = 1.5;

    /**
     * The timestamp of record {@code n} of the count stream, whose key is access {@code n & mask}:
     * time advances evenly, {@value #COUNT_PER_KEY_WINDOW} records of each key per
     * {@value #COUNT_SIZE} ms.
     */
    static long countTimestamp(long n, int accessLength) {
        return n * COUNT_SIZE / ((long) COUNT_PER_KEY_WINDOW * accessLength);
    }

    /** Records before measuring: {@link #COUNT_PREFIX_WINDOWS} windows of the stream. */
    static long countPrefix(int accessLength) {
        return (long) (COUNT_PREFIX_WINDOWS * COUNT_PER_KEY_WINDOW * accessLength);
    }

    /** A peer's count of access {@code j}'s key in the window starting at {@code start} (0 if none). */
    interface CountFetch {
        long count(int j, long start);
    }

    /**
     * Checks a windowed count after the first {@code records} records of the stream: for the first
     * {@value #CHECKED} keys of the access order, every still open window (end after stream time)
     * holding the key's last record has the count of that key's records in it.
     *
     * @throws IllegalStateException naming {@code peer}, the key and the window
     */
    static void checkCounts(String peer, int accessLength, long records, long advance, CountFetch fetch) {
        long streamTime = countTimestamp(records - 1, accessLength);
        for (int j = 0; j < Math.min(accessLength, CHECKED) && j < records; j++) {
            long last = j + (records - 1 - j) / accessLength * accessLength;
            long ts = countTimestamp(last, accessLength);
            long kMin = ts < COUNT_SIZE ? 0 : (ts - COUNT_SIZE) / advance + 1;
            for (long k = kMin; k <= ts / advance; k++) {
                long start = k * advance;
                if (start + COUNT_SIZE <= streamTime) {
                    continue; // closed
                }
                long expected = 0;
                for (long n = j; n < records; n += accessLength) {
                    long t = countTimestamp(n, accessLength);
                    if (t >= start && t < start + COUNT_SIZE) {
                        expected++;
                    }
                }
                long seen = fetch.count(j, start);
                if (seen != expected) {
                    throw new IllegalStateException(peer + " count of key #" + j + " in window " + start + " is " + seen
                        + ", not " + expected);
                }
            }
        }
    }

    /** One write of a load: the {@code n}-th of its items, into {@code tx}. */
    interface Write {
        void write(Transaction tx, int n);
    }

    /**
     * Loads an offstate store: {@code write(tx, n)} for {@code n = 0..count-1} through one reusable
     * transaction committed every 10 000 writes.
     */
    static void load(KeyValueStore store, int count, Write write) {
        try (Transaction tx = Transaction.reusable(store)) {
            for (int n = 0; n < count; n++) {
                write.write(tx, n);
                if (n % 10_000 == 9_999) {
                    tx.commit();
                    tx.restart();
                }
            }
            tx.commit();
        }
    }

    /** Entries after loading: keys x windows. */
    long entries() {
        return (long) ds.keys * WINDOWS;
    }
}
