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
import io.offstate.engine.time.SessionCursor;
import io.offstate.engine.time.SessionStore;

/**
 * offstate's {@link SessionStore} (issue 15) on the {@link WindowDataset}'s keys, each with
 * {@value WindowDataset#WINDOWS} sessions {@code [w * 10 min, w * 10 min + 5 min]} (one per segment;
 * retention 1 h, segment interval 10 min, stream time 55 min: everything live), 64 B aggregates, on
 * an in-memory store with a sorted index. The peer is {@link RocksDbSessionBenchmark}: RocksDB with
 * Kafka Streams' session layout, same data, access order and operations, in the same run.
 *
 * <ul>
 *   <li>{@link #put}: put-update of the newest session (50-55 min) of the next key, two alternating
 *       aggregates, into a {@code Transaction.reusable(store)} committed and restarted every
 *       {@value WindowDataset#PUTS_PER_COMMIT} puts (score and B/op include 1/100 of a commit).</li>
 *   <li>{@link #findSessions}: {@code findSessions(null, cursor, key, 0, stream time)} and every
 *       session it returns: the key's {@value WindowDataset#WINDOWS} sessions, one per segment.</li>
 * </ul>
 * Each step reads the key's length, start, end and the aggregate's first 8 bytes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class SessionStoreBenchmark {

    @State(Scope.Benchmark)
    public static class Sessions {
        SessionStore sessions;
        SessionCursor cursor;
        Transaction tx;
        byte[][] hitKeys;
        byte[] updateA;
        byte[] updateB;
        int mask;
        int next;
        int pending;
        boolean phase;

        @Setup(Level.Trial)
        public void setUp(WindowDataset wd) {
            long t0 = System.nanoTime();
            Dataset ds = wd.ds;
            KeyValueStore store = KeyValueStore.create(OffstateBenchmark.options(wd.entries() + ds.keys)
                .name("sessions").sortedIndex(true).build());
            sessions = SessionStore.on(store, WindowDataset.RETENTION, WindowDataset.SEGMENT_INTERVAL);
            WindowDataset.load(store, (int) wd.entries(), (tx, n) -> {
                long start = WindowDataset.windowStart(n / ds.keys);
                sessions.put(tx, ds.loadKeys[n % ds.keys], start, start + WindowDataset.SESSION_LENGTH,
                    ds.value(n % ds.keys));
            });
            cursor = sessions.cursor();
            hitKeys = ds.hitKeys;
            updateA = ds.updateA;
            updateB = ds.updateB;
            mask = ds.mask;
            if (sessions.streamTime(null) != WindowDataset.SESSION_STREAM_TIME) {
                throw new IllegalStateException("session stream time " + sessions.streamTime(null));
            }
            WindowDataset.checkSessions("offstate", mask, i -> findSessions(this, i, null));
            Report.metric("session.memory.offstate", (double) store.memoryUsed() / wd.entries());
            System.out.printf("%n[offstate-jmh] session store setup: load + check %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);
            tx = Transaction.reusable(store);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (tx != null) {
                tx.close();
            }
            if (sessions != null) {
                sessions.store().close();
            }
        }
    }

    static long findSessions(Sessions s, int i, Blackhole bh) {
        SessionCursor c = s.sessions.findSessions(null, s.cursor, s.hitKeys[i], 0, WindowDataset.SESSION_STREAM_TIME);
        long n = 0;
        while (c.next()) {
            if (bh != null) {
                bh.consume(c.key().length());
                bh.consume(c.start());
                bh.consume(c.end());
                bh.consume(c.value().getLong(0));
            }
            n++;
        }
        return n;
    }

    @Benchmark
    public void put(Sessions s) {
        int i = s.next = (s.next + 1) & s.mask;
        if (i == 0) {
            s.phase = !s.phase;
        }
        s.sessions.put(s.tx, s.hitKeys[i], WindowDataset.STREAM_TIME, WindowDataset.SESSION_STREAM_TIME,
            s.phase ? s.updateA : s.updateB);
        if (++s.pending == WindowDataset.PUTS_PER_COMMIT) {
            s.tx.commit();
            s.tx.restart();
            s.pending = 0;
        }
    }

    @Benchmark
    public long findSessions(Sessions s, Blackhole bh) {
        int i = s.next = (s.next + 1) & s.mask;
        return findSessions(s, i, bh);
    }
}
