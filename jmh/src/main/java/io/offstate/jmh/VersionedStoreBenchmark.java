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
import io.offstate.engine.time.VersionedRecord;
import io.offstate.engine.time.VersionedStore;

/**
 * offstate's {@link VersionedStore} (issue 15) on the {@link WindowDataset}'s keys, each with
 * {@value WindowDataset#VERSIONS} versions at 0, 10, ... 50 min (64 B values, history retention
 * 1 h, stream time 50 min: the whole history readable), on an in-memory store with a sorted index,
 * read on committed state. The peer is {@link RocksDbVersionedBenchmark} (RocksDB modelled on Kafka
 * Streams' {@code RocksDBVersionedStore}), same data, access order and lookups, in the same run.
 *
 * <ul>
 *   <li>{@link #getLatest}: {@code get(null, key, asOf = stream time, record)}: the latest version.</li>
 *   <li>{@link #getAsOf}: {@code get(null, key, asOf, record)} with {@code asOf} 5 min into one of the
 *       5 superseded versions (access {@code i}: version {@code i % 5}): a version from the history.</li>
 * </ul>
 * Each lookup reads the version's timestamp, validTo and the value's first 8 bytes.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
public class VersionedStoreBenchmark {

    @State(Scope.Benchmark)
    public static class Versions {
        VersionedStore versions;
        final VersionedRecord record = new VersionedRecord();
        byte[][] hitKeys;
        int mask;
        int next;

        @Setup(Level.Trial)
        public void setUp(WindowDataset wd) {
            long t0 = System.nanoTime();
            Dataset ds = wd.ds;
            long entries = (long) ds.keys * WindowDataset.VERSIONS;
            // a version entry each, and an expiry entry per superseded version
            KeyValueStore store = KeyValueStore.create(OffstateBenchmark.options(2 * entries)
                .name("versions").sortedIndex(true).build());
            versions = VersionedStore.on(store, WindowDataset.RETENTION);
            WindowDataset.load(store, (int) entries, (tx, n) -> versions.put(tx, ds.loadKeys[n % ds.keys],
                ds.value(n % ds.keys), WindowDataset.windowStart(n / ds.keys)));
            hitKeys = ds.hitKeys;
            mask = ds.mask;
            if (versions.streamTime(null) != WindowDataset.STREAM_TIME) {
                throw new IllegalStateException("versioned stream time " + versions.streamTime(null));
            }
            WindowDataset.checkVersions("offstate", mask, i -> get(this, i, WindowDataset.STREAM_TIME, null),
                i -> get(this, i, WindowDataset.historyAsOf(i), null));
            Report.metric("versioned.memory.offstate", (double) store.memoryUsed() / entries);
            System.out.printf("%n[offstate-jmh] versioned store setup: load + check %d ms%n",
                (System.nanoTime() - t0) / 1_000_000);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            if (versions != null) {
                versions.store().close();
            }
        }
    }

    /** The timestamp of the version of access {@code i}'s key valid at {@code asOf}, or -1. */
    static long get(Versions s, int i, long asOf, Blackhole bh) {
        VersionedRecord r = s.record;
        if (!s.versions.get(null, s.hitKeys[i], asOf, r)) {
            return -1;
        }
        if (bh != null) {
            bh.consume(r.validTo());
            bh.consume(r.value().getLong(0));
        }
        return r.timestamp();
    }

    @Benchmark
    public long getLatest(Versions s, Blackhole bh) {
        int i = s.next = (s.next + 1) & s.mask;
        return get(s, i, WindowDataset.STREAM_TIME, bh);
    }

    @Benchmark
    public long getAsOf(Versions s, Blackhole bh) {
        int i = s.next = (s.next + 1) & s.mask;
        return get(s, i, WindowDataset.historyAsOf(i), bh);
    }
}
