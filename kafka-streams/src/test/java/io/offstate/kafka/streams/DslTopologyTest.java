package io.offstate.kafka.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.function.Consumer;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.JoinWindows;
import org.apache.kafka.streams.kstream.KStream;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.SessionWindows;
import org.apache.kafka.streams.kstream.SlidingWindows;
import org.apache.kafka.streams.kstream.StreamJoined;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.ValueAndTimestamp;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Whole DSL topologies on {@link TopologyTestDriver}: the same topology and input with offstate stores
 * (switched by {@code dsl.store.suppliers.class}) and with Kafka's in-memory stores must give the
 * same output records — keys, values and timestamps — in the same order.
 */
class DslTopologyTest {
    @TempDir
    Path stateDir;

    private static final List<String> WORDS = List.of("apple", "pear", "plum", "fig", "kiwi", "lime", "date");

    /** 1000 records over 7 keys, timestamps mostly rising with some out of order (within and beyond grace). */
    private static List<TestRecord<String, String>> input(long seed) {
        Random r = new Random(seed);
        List<TestRecord<String, String>> records = new ArrayList<>();
        long time = 1_000;
        for (int i = 0; i < 1_000; i++) {
            time += r.nextInt(700);
            long ts = r.nextInt(10) == 0 ? Math.max(0, time - r.nextInt(30_000)) : time;
            String word = WORDS.get(r.nextInt(WORDS.size()));
            records.add(new TestRecord<>(word, word + ":" + r.nextInt(100), Instant.ofEpochMilli(ts)));
        }
        return records;
    }

    private List<TestRecord<String, String>> run(Class<?> suppliers, Consumer<StreamsBuilder> topology) {
        StreamsBuilder builder = new StreamsBuilder();
        topology.accept(builder);
        org.apache.kafka.streams.Topology built = builder.build();
        boolean twoInputs = built.describe().toString().contains("[other]");
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "dsl-" + suppliers.getSimpleName());
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve(suppliers.getSimpleName()).toString());
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, suppliers);
        try (TopologyTestDriver driver = new TopologyTestDriver(built, props)) {
            TestInputTopic<String, String> in = driver.createInputTopic("in", Serdes.String().serializer(),
                Serdes.String().serializer());
            TestInputTopic<String, String> other = twoInputs ? driver.createInputTopic("other",
                Serdes.String().serializer(), Serdes.String().serializer()) : null;
            List<TestRecord<String, String>> a = input(42);
            List<TestRecord<String, String>> b = input(7);
            for (int i = 0; i < a.size(); i++) {
                in.pipeInput(a.get(i));
                if (other != null) {
                    other.pipeInput(b.get(i));
                }
            }
            TestOutputTopic<String, String> out = driver.createOutputTopic("out", Serdes.String().deserializer(),
                Serdes.String().deserializer());
            return out.readRecordsToList();
        }
    }

    private void assertSameAsInMemory(Consumer<StreamsBuilder> topology) {
        List<TestRecord<String, String>> kafka = run(BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class, topology);
        List<TestRecord<String, String>> offstate = run(OffstateDslStoreSuppliers.class, topology);
        assertFalse(kafka.isEmpty(), "the topology produced output");
        assertEquals(kafka.size(), offstate.size(), "as many output records");
        for (int i = 0; i < kafka.size(); i++) {
            TestRecord<String, String> k = kafka.get(i);
            TestRecord<String, String> o = offstate.get(i);
            assertEquals(k.key() + "=" + k.value() + "@" + k.timestamp(), o.key() + "=" + o.value() + "@" + o.timestamp(),
                "output record " + i);
        }
    }

    private static KStream<String, String> words(StreamsBuilder b) {
        return b.stream("in", Consumed.with(Serdes.String(), Serdes.String()));
    }

    @Test
    void countEqualsInMemoryStores() {
        assertSameAsInMemory(b -> words(b).groupByKey().count().toStream()
            .mapValues(Object::toString).to("out", Produced.with(Serdes.String(), Serdes.String())));
    }

    @Test
    void reduceEqualsInMemoryStores() {
        assertSameAsInMemory(b -> words(b).groupBy((k, v) -> v.substring(v.length() - 1), Grouped.with(Serdes.String(),
                Serdes.String()))
            .reduce((x, y) -> x.length() > 40 ? y : x + "," + y).toStream()
            .to("out", Produced.with(Serdes.String(), Serdes.String())));
    }

    @Test
    void tumblingAndHoppingWindowedCountsEqualInMemoryStores() {
        assertSameAsInMemory(b -> words(b).groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofSeconds(10), Duration.ofSeconds(5))).count().toStream()
            .map((w, c) -> KeyValue.pair(w.key() + "@" + w.window().start(), c.toString()))
            .to("out", Produced.with(Serdes.String(), Serdes.String())));
        assertSameAsInMemory(b -> words(b).groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofSeconds(10), Duration.ofSeconds(5))
                .advanceBy(Duration.ofSeconds(3))).count().toStream()
            .map((w, c) -> KeyValue.pair(w.key() + "@" + w.window().start(), c.toString()))
            .to("out", Produced.with(Serdes.String(), Serdes.String())));
    }

    @Test
    void slidingWindowedAggregateEqualsInMemoryStores() {
        assertSameAsInMemory(b -> words(b).groupByKey()
            .windowedBy(SlidingWindows.ofTimeDifferenceAndGrace(Duration.ofSeconds(4), Duration.ofSeconds(10)))
            .aggregate(() -> 0L, (k, v, agg) -> agg + v.length(), Materialized.with(Serdes.String(), Serdes.Long()))
            .toStream()
            .map((w, s) -> KeyValue.pair(w.key() + "@" + w.window().start() + "-" + w.window().end(), String.valueOf(s)))
            .to("out", Produced.with(Serdes.String(), Serdes.String())));
    }

    @Test
    void sessionWindowedCountEqualsInMemoryStores() {
        assertSameAsInMemory(b -> words(b).groupByKey()
            .windowedBy(SessionWindows.ofInactivityGapAndGrace(Duration.ofSeconds(2), Duration.ofSeconds(10))).count()
            .toStream()
            .map((w, c) -> KeyValue.pair(w.key() + "@" + w.window().start() + "-" + w.window().end(),
                String.valueOf(c)))
            .to("out", Produced.with(Serdes.String(), Serdes.String())));
    }

    @Test
    void streamStreamJoinEqualsInMemoryStores() {
        assertSameAsInMemory(b -> words(b).join(b.stream("other", Consumed.with(Serdes.String(), Serdes.String())),
                (x, y) -> x + "+" + y, JoinWindows.ofTimeDifferenceAndGrace(Duration.ofSeconds(1), Duration.ofSeconds(5)),
                StreamJoined.with(Serdes.String(), Serdes.String(), Serdes.String()))
            .to("out", Produced.with(Serdes.String(), Serdes.String())));
    }

    @Test
    void oneConfigLineMakesEveryDslStoreAnOffstateStore() {
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("in", Consumed.with(Serdes.String(), Serdes.String())).groupByKey()
            .count(Materialized.as("counts")).toStream().mapValues(Object::toString)
            .to("out", Produced.with(Serdes.String(), Serdes.String()));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "one-line");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        // README config line begins
        props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, OffstateDslStoreSuppliers.class);
        // README config line ends
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
            TestInputTopic<String, String> in = driver.createInputTopic("in", Serdes.String().serializer(),
                Serdes.String().serializer());
            in.pipeInput("alice", "x", 5);
            in.pipeInput("alice", "y", 9);
            assertOffstateFiles("one-line", "counts");
            KeyValueStore<String, ValueAndTimestamp<Long>> counts = driver.getTimestampedKeyValueStore("counts");
            assertEquals(ValueAndTimestamp.make(2L, 9), counts.get("alice"), "count and its record timestamp kept");
        }
    }

    @Test
    void oneSupplierMakesOneStoreAnOffstateStore() {
        Map<String, Long> expected = new HashMap<>();
        // README example begins
        StreamsBuilder builder = new StreamsBuilder();
        builder.stream("clicks", Consumed.with(Serdes.String(), Serdes.String()))
            .groupByKey()
            .count(Materialized.as(OffstateKeyValueBytesStoreSupplier.persistent("clicks-per-user")));
        // README example ends
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "one-supplier");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
            TestInputTopic<String, String> in = driver.createInputTopic("clicks", Serdes.String().serializer(),
                Serdes.String().serializer());
            for (TestRecord<String, String> r : input(3)) {
                in.pipeInput(r);
                expected.merge(r.key(), 1L, Long::sum);
            }
            assertOffstateFiles("one-supplier", "clicks-per-user");
            KeyValueStore<String, Long> counts = driver.getKeyValueStore("clicks-per-user");
            for (Map.Entry<String, Long> e : expected.entrySet()) {
                assertEquals(e.getValue(), counts.get(e.getKey()), e.getKey());
            }
        }
    }

    @Test
    void memoryBudgetConfigReachesEveryStore() {
        OffstateDslStoreSuppliers suppliers = new OffstateDslStoreSuppliers();
        suppliers.configure(Map.of(OffstateDslStoreSuppliers.STORE_MEMORY_BUDGET_CONFIG, "16777216"));
        String description = suppliers.keyValueStore(new org.apache.kafka.streams.state.DslKeyValueParams("s", org.apache.kafka.streams.DslStoreFormat.TIMESTAMPED))
            .toString();
        assertTrue(description.contains("budget 16777216"), description);
    }

    /** An offstate store keeps its files in {@code <state.dir>/<app>/<task>/<store>}; RocksDB's would be under {@code rocksdb/}. */
    private void assertOffstateFiles(String app, String store) {
        Path task = stateDir.resolve(app).resolve("0_0");
        assertTrue(task.resolve(store).toFile().isDirectory(), "offstate store directory " + task.resolve(store));
        assertFalse(task.resolve("rocksdb").toFile().exists(), "no RocksDB store");
    }
}
