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
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

/**
 * The cost of reading and writing <em>inside</em> a {@link Transaction} against the same call on
 * the store directly (issue 14), on the {@link Dataset} (1M keys, 16 B keys, 64 B values in the
 * suites), same access order as {@link OffstateBenchmark}; every pair runs in one JMH run, so the
 * ratio tx/store is measured on one machine state. Target: get inside a transaction at most 1.3x
 * the store's get; 0 B/op everywhere ({@code -prof gc}).
 *
 * <ul>
 *   <li>{@link #storeGetHit} / {@link #txGetHit}: a present key; the transaction holds
 *       {@value #PENDING} pending puts of other keys, so its get first misses the pending writes
 *       (a lookup in the transaction's staging store), then reads the store.</li>
 *   <li>{@link #storeGetMiss} / {@link #txGetMiss}: an absent key, absent from the pending writes too.</li>
 *   <li>{@link #storePut} / {@link #txPut}: put-update of a present key, the same key sequence and the
 *       same two alternating values. {@code txPut} stages the write in one long-lived transaction
 *       that is never committed: it overwrites the same bounded key set (the access sequence,
 *       {@code mask + 1} keys, 524,288 at 1M), so its pending writes stop growing after the first
 *       pass over the keys, which the warmup covers; what is measured is a put into a staging
 *       store of that many pending entries (with its sorted index) against a put into the loaded store.</li>
 *   <li>{@link #txPutSmall}: a put into a transaction that writes only {@value #SMALL} keys
 *       (overwritten in turn): the staging cost when the pending set is cache-resident.</li>
 *   <li>{@link #beginAbort}: {@code Transaction.begin(store)} then {@code abort()} with nothing
 *       staged: the fixed cost every transaction pays (its staging store is created and freed), which
 *       the commit benchmarks include.</li>
 * </ul>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class TransactionBenchmark {
    /** Pending puts the get benchmarks' transaction holds (of keys never probed). */
    static final int PENDING = 8;
    /** Keys {@link #txPutSmall}'s transaction writes, a power of two. */
    static final int SMALL = 64;

    /**
     * The loaded store and, on it, three transactions begun at setup and aborted at teardown: one
     * holding {@value #PENDING} pending puts for the gets, one for {@link #txPut}, one for
     * {@link #txPutSmall}. Each benchmark method uses only its own, so a fork of one method
     * measures exactly that path.
     */
    @State(Scope.Benchmark)
    public static class Tx {
        KeyValueStore store;
        Transaction reads;
        Transaction writes;
        Transaction smallWrites;
        final ValueView view = new ValueView();
        byte[][] hitKeys;
        byte[][] missKeys;
        byte[] updateA;
        byte[] updateB;
        int mask;
        int hit;
        int miss;
        int put;
        int small;
        boolean phase;
        boolean smallPhase;

        @Setup(Level.Trial)
        public void setUp(Dataset ds) {
            store = KeyValueStore.create(OffstateBenchmark.options(ds.keys).build());
            for (int i = 0; i < ds.keys; i++) {
                store.put(ds.loadKeys[i], ds.value(i));
            }
            hitKeys = ds.hitKeys;
            missKeys = ds.missKeys;
            updateA = ds.updateA;
            updateB = ds.updateB;
            mask = ds.mask;
            reads = Transaction.begin(store);
            // pending puts of keys that no get probes: fresh keys from a seed of their own
            byte[][] pendingKeys = Keys.randomKeys(PENDING, ds.keyLength, 0x7A_0000L);
            for (byte[] k : pendingKeys) {
                reads.put(store, k, updateA);
            }
            for (int i = 0; i <= mask; i++) {
                if (!reads.get(store, hitKeys[i], view) || view.length() != ds.valueLength) {
                    throw new IllegalStateException("transaction does not see key #" + i);
                }
                if (reads.get(store, missKeys[i], view)) {
                    throw new IllegalStateException("transaction finds absent key #" + i);
                }
            }
            if (reads.pendingWrites(store) != PENDING) {
                throw new IllegalStateException("expected " + PENDING + " pending writes, has " + reads.pendingWrites(store));
            }
            writes = Transaction.begin(store);
            smallWrites = Transaction.begin(store);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (writes != null) {
                // txPut's pending set must have stopped growing at the access sequence's length
                long pending = writes.pendingWrites(store);
                if (pending > mask + 1) {
                    throw new IllegalStateException("txPut's transaction grew to " + pending + " pending writes");
                }
                if (pending > 0) { // only txPut's fork staged anything: the others must not overwrite its figure
                    Report.metric("tx.putPendingWrites", pending);
                }
            }
            for (Transaction t : new Transaction[] {reads, writes, smallWrites}) {
                if (t != null) {
                    t.close();
                }
            }
            if (store != null) {
                store.close();
            }
        }
    }

    @Benchmark
    public void storeGetHit(Tx s, Blackhole bh) {
        int i = s.hit = (s.hit + 1) & s.mask;
        ValueView v = s.view;
        bh.consume(s.store.get(s.hitKeys[i], v));
        bh.consume(v.getLong(0));
        bh.consume(v.length());
    }

    @Benchmark
    public void txGetHit(Tx s, Blackhole bh) {
        int i = s.hit = (s.hit + 1) & s.mask;
        ValueView v = s.view;
        bh.consume(s.reads.get(s.store, s.hitKeys[i], v));
        bh.consume(v.getLong(0));
        bh.consume(v.length());
    }

    @Benchmark
    public boolean storeGetMiss(Tx s) {
        int i = s.miss = (s.miss + 1) & s.mask;
        return s.store.get(s.missKeys[i], s.view);
    }

    @Benchmark
    public boolean txGetMiss(Tx s) {
        int i = s.miss = (s.miss + 1) & s.mask;
        return s.reads.get(s.store, s.missKeys[i], s.view);
    }

    @Benchmark
    public void storePut(Tx s) {
        int i = s.put = (s.put + 1) & s.mask;
        if (i == 0) {
            s.phase = !s.phase;
        }
        s.store.put(s.hitKeys[i], s.phase ? s.updateA : s.updateB);
    }

    @Benchmark
    public void txPut(Tx s) {
        int i = s.put = (s.put + 1) & s.mask;
        if (i == 0) {
            s.phase = !s.phase;
        }
        s.writes.put(s.store, s.hitKeys[i], s.phase ? s.updateA : s.updateB);
    }

    @Benchmark
    public void txPutSmall(Tx s) {
        int i = s.small = (s.small + 1) & (SMALL - 1);
        if (i == 0) {
            s.smallPhase = !s.smallPhase;
        }
        s.smallWrites.put(s.store, s.hitKeys[i], s.smallPhase ? s.updateA : s.updateB);
    }

    @Benchmark
    public void beginAbort(Tx s) {
        Transaction t = Transaction.begin(s.store);
        t.abort();
    }
}
