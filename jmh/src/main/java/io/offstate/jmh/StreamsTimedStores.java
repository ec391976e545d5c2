package io.offstate.jmh;

import java.util.Arrays;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.query.PositionBound;
import org.apache.kafka.streams.query.Query;
import org.apache.kafka.streams.query.QueryConfig;
import org.apache.kafka.streams.query.QueryResult;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;
import org.apache.kafka.streams.state.DslKeyValueParams;
import org.apache.kafka.streams.state.DslSessionParams;
import org.apache.kafka.streams.state.DslStoreSuppliers;
import org.apache.kafka.streams.state.DslWindowParams;
import org.apache.kafka.streams.state.KeyValueBytesStoreSupplier;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.SessionBytesStoreSupplier;
import org.apache.kafka.streams.state.TimestampedBytesStore;
import org.apache.kafka.streams.state.WindowBytesStoreSupplier;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;

import io.offstate.kafka.streams.OffstateDslStoreSuppliers;

/**
 * Store read/write latency for {@link StreamsTopologyBenchmark}: DSL store suppliers that wrap the
 * innermost bytes stores of a base supplier (Kafka's RocksDB or offstate's) in delegates that time
 * every {@value #SAMPLE_EVERY}th read ({@code get}, window {@code fetch(key, time)}) and write
 * ({@code put}) with {@link System#nanoTime()}. The delegates keep the {@link TimestampedBytesStore}
 * marker (both bases give timestamped stores to the DSL's count), so Kafka's builders wrap them
 * exactly as the base stores.
 *
 * <p>Samples go to static arrays (one store kind per JMH fork; one stream thread writes them):
 * not thread-safe beyond that. {@link #reset()} clears them, {@link #percentile} reads them.
 */
public final class StreamsTimedStores {
    /** One call in this many is timed. */
    static final int SAMPLE_EVERY = 64;
    private static final int CAPACITY = 1 << 20;
    private static final long[] READS = new long[CAPACITY];
    private static final long[] WRITES = new long[CAPACITY];
    private static int reads;
    private static int writes;
    private static long readCalls;
    private static long writeCalls;

    private StreamsTimedStores() {
    }

    /** Forgets every sample (before the measured records). */
    static void reset() {
        reads = 0;
        writes = 0;
    }

    /** The {@code p}-th percentile (0..100) of the sampled read or write latencies in ns, or -1 if none. */
    static long percentile(boolean read, double p) {
        int n = read ? reads : writes;
        if (n == 0) {
            return -1;
        }
        long[] sorted = Arrays.copyOf(read ? READS : WRITES, Math.min(n, CAPACITY));
        Arrays.sort(sorted);
        return sorted[(int) Math.min(sorted.length - 1, Math.round(p / 100.0 * (sorted.length - 1)))];
    }

    /** Counted apart for reads and writes: a count goes get, put, get, put, so one counter would time only one kind. */
    static boolean sampleRead() {
        return (++readCalls & (SAMPLE_EVERY - 1)) == 0;
    }

    static boolean sampleWrite() {
        return (++writeCalls & (SAMPLE_EVERY - 1)) == 0;
    }

    static void read(long nanos) {
        if (reads < CAPACITY) {
            READS[reads] = nanos;
        }
        reads++;
    }

    static void write(long nanos) {
        if (writes < CAPACITY) {
            WRITES[writes] = nanos;
        }
        writes++;
    }

    /** Kafka's RocksDB stores, timed. */
    public static final class RocksDb extends Timed {
        public RocksDb() {
            super(new BuiltInDslStoreSuppliers.RocksDBDslStoreSuppliers());
        }
    }

    /** offstate's stores, timed. */
    public static final class Offstate extends Timed {
        public Offstate() {
            super(new OffstateDslStoreSuppliers());
        }
    }

    /** Wraps the key-value and window stores of {@code base}; session stores are the base's. */
    abstract static class Timed implements DslStoreSuppliers {
        private final DslStoreSuppliers base;

        Timed(DslStoreSuppliers base) {
            this.base = base;
        }

        @Override
        public void configure(Map<String, ?> configs) {
            base.configure(configs);
        }

        @Override
        public KeyValueBytesStoreSupplier keyValueStore(DslKeyValueParams params) {
            KeyValueBytesStoreSupplier s = base.keyValueStore(params);
            return new KeyValueBytesStoreSupplier() {
                @Override
                public String name() {
                    return s.name();
                }

                @Override
                public KeyValueStore<Bytes, byte[]> get() {
                    KeyValueStore<Bytes, byte[]> inner = s.get();
                    if (!(inner instanceof TimestampedBytesStore)) {
                        throw new IllegalStateException("the timed delegate is for timestamped stores; " + inner);
                    }
                    return new TimedKeyValueStore(inner);
                }

                @Override
                public String metricsScope() {
                    return s.metricsScope();
                }
            };
        }

        @Override
        public WindowBytesStoreSupplier windowStore(DslWindowParams params) {
            WindowBytesStoreSupplier s = base.windowStore(params);
            return new WindowBytesStoreSupplier() {
                @Override
                public String name() {
                    return s.name();
                }

                @Override
                public WindowStore<Bytes, byte[]> get() {
                    WindowStore<Bytes, byte[]> inner = s.get();
                    if (!(inner instanceof TimestampedBytesStore)) {
                        throw new IllegalStateException("the timed delegate is for timestamped stores; " + inner);
                    }
                    return new TimedWindowStore(inner);
                }

                @Override
                public String metricsScope() {
                    return s.metricsScope();
                }

                @Override
                public long segmentIntervalMs() {
                    return s.segmentIntervalMs();
                }

                @Override
                public long windowSize() {
                    return s.windowSize();
                }

                @Override
                public boolean retainDuplicates() {
                    return s.retainDuplicates();
                }

                @Override
                public long retentionPeriod() {
                    return s.retentionPeriod();
                }
            };
        }

        @Override
        public SessionBytesStoreSupplier sessionStore(DslSessionParams params) {
            return base.sessionStore(params);
        }
    }

    /** The {@link StateStore} part of a delegate. */
    @SuppressWarnings("deprecation")
    abstract static class Delegate<S extends StateStore> implements StateStore, TimestampedBytesStore {
        final S inner;

        Delegate(S inner) {
            this.inner = inner;
        }

        @Override
        public String name() {
            return inner.name();
        }

        @Override
        public void init(StateStoreContext context, StateStore root) {
            inner.init(context, root);
        }

        @Override
        public void flush() {
            inner.flush();
        }

        @Override
        public void commit(Map<TopicPartition, Long> changelogOffsets) {
            inner.commit(changelogOffsets);
        }

        @Override
        public Long committedOffset(TopicPartition partition) {
            return inner.committedOffset(partition);
        }

        @Override
        public boolean managesOffsets() {
            return inner.managesOffsets();
        }

        @Override
        public void close() {
            inner.close();
        }

        @Override
        public boolean persistent() {
            return inner.persistent();
        }

        @Override
        public boolean isOpen() {
            return inner.isOpen();
        }

        @Override
        public <R> QueryResult<R> query(Query<R> query, PositionBound positionBound, QueryConfig config) {
            return inner.query(query, positionBound, config);
        }

        @Override
        public Position getPosition() {
            return inner.getPosition();
        }
    }

    static final class TimedKeyValueStore extends Delegate<KeyValueStore<Bytes, byte[]>>
            implements KeyValueStore<Bytes, byte[]> {
        TimedKeyValueStore(KeyValueStore<Bytes, byte[]> inner) {
            super(inner);
        }

        @Override
        public void put(Bytes key, byte[] value) {
            if (sampleWrite()) {
                long t = System.nanoTime();
                inner.put(key, value);
                write(System.nanoTime() - t);
            } else {
                inner.put(key, value);
            }
        }

        @Override
        public byte[] get(Bytes key) {
            if (sampleRead()) {
                long t = System.nanoTime();
                byte[] v = inner.get(key);
                read(System.nanoTime() - t);
                return v;
            }
            return inner.get(key);
        }

        @Override
        public byte[] putIfAbsent(Bytes key, byte[] value) {
            return inner.putIfAbsent(key, value);
        }

        @Override
        public void putAll(List<KeyValue<Bytes, byte[]>> entries) {
            inner.putAll(entries);
        }

        @Override
        public byte[] delete(Bytes key) {
            return inner.delete(key);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> range(Bytes from, Bytes to) {
            return inner.range(from, to);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> reverseRange(Bytes from, Bytes to) {
            return inner.reverseRange(from, to);
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> all() {
            return inner.all();
        }

        @Override
        public KeyValueIterator<Bytes, byte[]> reverseAll() {
            return inner.reverseAll();
        }

        @Override
        public <PS extends Serializer<P>, P> KeyValueIterator<Bytes, byte[]> prefixScan(P prefix, PS serializer) {
            return inner.prefixScan(prefix, serializer);
        }

        @Override
        public long approximateNumEntries() {
            return inner.approximateNumEntries();
        }
    }

    static final class TimedWindowStore extends Delegate<WindowStore<Bytes, byte[]>>
            implements WindowStore<Bytes, byte[]> {
        TimedWindowStore(WindowStore<Bytes, byte[]> inner) {
            super(inner);
        }

        @Override
        public void put(Bytes key, byte[] value, long windowStartTimestamp) {
            if (sampleWrite()) {
                long t = System.nanoTime();
                inner.put(key, value, windowStartTimestamp);
                write(System.nanoTime() - t);
            } else {
                inner.put(key, value, windowStartTimestamp);
            }
        }

        @Override
        public byte[] fetch(Bytes key, long time) {
            if (sampleRead()) {
                long t = System.nanoTime();
                byte[] v = inner.fetch(key, time);
                read(System.nanoTime() - t);
                return v;
            }
            return inner.fetch(key, time);
        }

        @Override
        public WindowStoreIterator<byte[]> fetch(Bytes key, long timeFrom, long timeTo) {
            return inner.fetch(key, timeFrom, timeTo);
        }

        @Override
        public WindowStoreIterator<byte[]> backwardFetch(Bytes key, long timeFrom, long timeTo) {
            return inner.backwardFetch(key, timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> fetch(Bytes keyFrom, Bytes keyTo, long timeFrom, long timeTo) {
            return inner.fetch(keyFrom, keyTo, timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetch(Bytes keyFrom, Bytes keyTo, long timeFrom,
                                                                       long timeTo) {
            return inner.backwardFetch(keyFrom, keyTo, timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> fetchAll(long timeFrom, long timeTo) {
            return inner.fetchAll(timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> backwardFetchAll(long timeFrom, long timeTo) {
            return inner.backwardFetchAll(timeFrom, timeTo);
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> all() {
            return inner.all();
        }

        @Override
        public KeyValueIterator<Windowed<Bytes>, byte[]> backwardAll() {
            return inner.backwardAll();
        }
    }
}
