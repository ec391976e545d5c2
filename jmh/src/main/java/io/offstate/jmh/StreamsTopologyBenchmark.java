package io.offstate.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KGroupedStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
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

import io.offstate.kafka.streams.OffstateDslStoreSuppliers;

/**
 * A whole Kafka Streams DSL topology on {@link TopologyTestDriver} (no broker), with Kafka's default
 * RocksDB stores or offstate's ({@code dsl.store.suppliers.class} =
 * {@link OffstateDslStoreSuppliers}), same topology and input in the same run (issue 18). One
 * operation is one record piped, so records/s = 10⁹ / score.
 *
 * <p>Topology: one input stream, {@code groupByKey()} then both {@code count()} (a key-value store)
 * and {@code windowedBy(TimeWindows.ofSizeWithNoGrace(1 min)).count()} (a window store), each
 * with its changelog disabled (the driver would otherwise keep every changelog record on the heap)
 * and no sink; the record cache is off ({@code statestore.cache.max.bytes = 0}), so every record
 * does a get and a put on each store. State directory: a fresh temporary directory per fork, deleted
 * afterwards.
 *
 * <p>Input: keys {@code key-000000..} from a space of {@link #keys}, in a precomputed random order;
 * an 8 B value; timestamps advance by 1 ms every {@value #RECORDS_PER_MS} records (about 10 records
 * of each key per window at 100k keys), in order, so windows close and old segments are dropped as
 * stream time advances. The record stream continues across iterations.
 *
 * <p>What the driver adds to both: it processes each piped record at once and then commits the
 * task with a forced checkpoint ({@code postCommit(true)}), which flushes every store after every
 * record; a real application flushes once per {@code commit.interval.ms}. The score therefore
 * includes one flush per store per record (RocksDB: a memtable flush whenever it holds data;
 * offstate file-backed: a durable flush of the dirty chunks).
 *
 * <p>Memory: at the end of each fork the process's resident set ({@code VmRSS} of
 * {@code /proc/self/status}) and the heap in use are reported as metrics
 * ({@code streams.rss.<store>}, {@code streams.heap.<store>}, bytes); the stores' own footprint is
 * not separated out.
 *
 * <p>Not thread-safe (JMH {@code @Threads(1)}); each fork owns its driver and state directory.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 4, time = 1)
@State(Scope.Thread)
public class StreamsTopologyBenchmark {
    /** Records per millisecond of event time. */
    static final int RECORDS_PER_MS = 16;
    /** Window size of the windowed count. */
    static final Duration WINDOW = Duration.ofMinutes(1);
    /** Records piped in the setup, before measuring: this many, or 10 per key if fewer (the smoke run). */
    static final int PREFILL = 1_000_000;
    /** Length of the precomputed access order (a power of two). */
    static final int ACCESSES = 1 << 20;

    /** Kafka's default RocksDB stores ({@code rocksdb}) or offstate's ({@code offstate}). */
    @Param({"rocksdb", "offstate"})
    public String store;

    /** Size of the key space. */
    @Param({"100000"})
    public int keys;

    private Path stateDir;
    private TopologyTestDriver driver;
    private TestInputTopic<String, byte[]> input;
    private String[] order;
    private final byte[] value = new byte[8];
    private long n;

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        Report.failIfRequested(store);
        String[] keySpace = new String[keys];
        for (int i = 0; i < keys; i++) {
            keySpace[i] = String.format("key-%06d", i);
        }
        order = new String[ACCESSES];
        SplittableRandom random = new SplittableRandom(42);
        for (int i = 0; i < ACCESSES; i++) {
            order[i] = keySpace[random.nextInt(keys)];
        }
        stateDir = Files.createTempDirectory("offstate-jmh-streams-" + store + "-");

        StreamsBuilder builder = new StreamsBuilder();
        KGroupedStream<String, byte[]> grouped = builder.stream("in", Consumed.with(Serdes.String(), Serdes.ByteArray()))
            .groupByKey();
        grouped.count(Materialized.<String, Long, KeyValueStore<Bytes, byte[]>>with(Serdes.String(), Serdes.Long())
            .withLoggingDisabled());
        grouped.windowedBy(TimeWindows.ofSizeWithNoGrace(WINDOW))
            .count(Materialized.<String, Long, WindowStore<Bytes, byte[]>>with(Serdes.String(), Serdes.Long())
                .withLoggingDisabled());

        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "streams-topology-" + store);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, switch (store) {
            case "rocksdb" -> StreamsTimedStores.RocksDb.class;
            case "offstate" -> StreamsTimedStores.Offstate.class;
            default -> throw new IllegalArgumentException("store " + store + ": rocksdb or offstate");
        });
        driver = new TopologyTestDriver(builder.build(), props);
        input = driver.createInputTopic("in", new StringSerializer(), new ByteArraySerializer());
        // every key in both stores, and the bulk of the >= 1M records of the fork, before measuring
        long prefill = Math.min(PREFILL, 10L * keys);
        for (long i = 0; i < prefill; i++) {
            pipe();
        }
        StreamsTimedStores.reset();
    }

    private void pipe() {
        long i = n++;
        input.pipeInput(order[(int) (i & (ACCESSES - 1))], value, i / RECORDS_PER_MS);
    }

    /** Pipes one record through both counts. */
    @Benchmark
    public void record() {
        pipe();
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        Report.metric("streams.records." + store, n);
        Report.metric("streams.heap." + store, Report.settledHeapUsed());
        Report.metric("streams.rss." + store, residentBytes());
        for (boolean read : new boolean[] {true, false}) {
            for (double p : new double[] {50, 99, 99.9}) {
                Report.metric("streams." + (read ? "read" : "write") + ".p" + p + "." + store,
                    StreamsTimedStores.percentile(read, p));
            }
        }
        driver.close();
        FileStores.delete(stateDir);
    }

    /** The process's resident set in bytes (Linux {@code VmRSS}), or -1 where there is none. */
    static long residentBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            // not Linux: no RSS
        }
        return -1;
    }
}
