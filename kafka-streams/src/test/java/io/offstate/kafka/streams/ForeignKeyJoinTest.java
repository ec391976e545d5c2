package io.offstate.kafka.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Function;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.ValueJoiner;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.BuiltInDslStoreSuppliers;
import org.apache.kafka.streams.state.internals.WrappedStateStore;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Foreign-key table-table joins ({@code KTable.join(other, foreignKeyExtractor, joiner)}, inner and left)
 * on {@link TopologyTestDriver}: the same topology and input with offstate stores (switched by
 * {@code dsl.store.suppliers.class}) and with Kafka's in-memory stores must give the same output records
 * — keys, values (tombstones included) and timestamps — in the same order.
 *
 * <p>The point is the subscription store: when a right-hand (customer) row changes, Kafka Streams finds
 * the left-hand (order) rows that reference it with a prefix scan of that store. Kafka 4.3.1 does it as
 * {@code range(prefix, BytesUtils.increment(prefix))} (in {@code ForeignTableJoinProcessorSupplier}), not
 * with {@code prefixScan}: an offstate {@code range} that returns nothing makes every test here fail. The
 * customer ids are chosen so that one is a byte prefix of others ({@code c}, {@code c1}, {@code c10}),
 * which the scan must keep apart (Kafka's combined key length-prefixes the foreign key).
 */
class ForeignKeyJoinTest {
    @TempDir
    Path stateDir;

    /** Customer ids, some byte prefixes of others; "none" makes the extractor return a null foreign key. */
    private static final List<String> CUSTOMERS = List.of("c", "c1", "c10", "c2", "d", "c1x");

    private static final ValueJoiner<String, String, String> JOINER = (order, customer) -> order + "|" + customer;

    /** The order's value is {@code customer:item}; customer "none" has no foreign key (null). */
    private static String customerOf(String order) {
        String customer = order.substring(0, order.indexOf(':'));
        return customer.equals("none") ? null : customer;
    }

    /** One input record: a topic, a key, a value (null is a tombstone) and a timestamp. */
    private record Input(String topic, String key, String value, long timestamp) {
    }

    /**
     * Orders and customers interleaved: inserts, value updates, foreign-key changes, deletes of either side
     * (also of keys never written), re-inserts after deletes, timestamps mostly rising with some older ones.
     */
    private static List<Input> randomInput(long seed, int records, boolean nullForeignKeys) {
        Random r = new Random(seed);
        List<Input> in = new ArrayList<>();
        long time = 1_000;
        for (int i = 0; i < records; i++) {
            time += r.nextInt(50);
            long ts = r.nextInt(8) == 0 ? Math.max(0, time - r.nextInt(5_000)) : time;
            if (r.nextInt(3) == 0) {
                String customer = CUSTOMERS.get(r.nextInt(CUSTOMERS.size()));
                String value = r.nextInt(5) == 0 ? null : "name" + r.nextInt(1_000);
                in.add(new Input("customers", customer, value, ts));
            } else {
                String order = "o" + r.nextInt(25);
                String customer = nullForeignKeys && r.nextInt(12) == 0 ? "none"
                    : CUSTOMERS.get(r.nextInt(CUSTOMERS.size()));
                String value = r.nextInt(7) == 0 ? null : customer + ":item" + r.nextInt(1_000);
                in.add(new Input("orders", order, value, ts));
            }
        }
        return in;
    }

    /** A short script whose joined results are easy to check by hand. */
    private static List<Input> scriptedInput() {
        return List.of(
            new Input("orders", "o1", "c1:apples", 10),
            new Input("customers", "c1", "Ada", 20),            // joins o1
            new Input("orders", "o2", "c1:pears", 30),           // joins at once
            new Input("customers", "c10", "Bob", 40),           // "c1" is a prefix of "c10": o1, o2 untouched
            new Input("customers", "c", "Cy", 45),              // and of "c1": nothing joins
            new Input("customers", "c1", "Ada L.", 50),         // update reaches o1 and o2 (prefix scan)
            new Input("orders", "o1", "c10:apples", 60),         // foreign key change: o1 now with Bob
            new Input("customers", "c1", "Ada Lovelace", 70),   // reaches only o2 now
            new Input("orders", "o3", "c2:plums", 80),           // no customer c2: inner drops, left emits null
            new Input("customers", "c1", null, 90),             // customer delete: o2 loses its match
            new Input("orders", "o1", null, 100),               // order delete
            new Input("customers", "c2", "Dee", 110),           // o3 joins
            new Input("customers", "c1", "Ada again", 120),     // o2 joins again
            new Input("orders", "o9", null, 130));              // delete of an order never written
    }

    private record Run(List<TestRecord<String, String>> output, Map<String, StateStore> stores) {
    }

    private Run run(Class<?> suppliers, boolean leftJoin, List<Input> input) {
        StreamsBuilder builder = new StreamsBuilder();
        KTable<String, String> orders = builder.table("orders", Consumed.with(Serdes.String(), Serdes.String()));
        KTable<String, String> customers = builder.table("customers", Consumed.with(Serdes.String(), Serdes.String()));
        Function<String, String> foreignKey = ForeignKeyJoinTest::customerOf;
        KTable<String, String> joined = leftJoin ? orders.leftJoin(customers, foreignKey, JOINER)
            : orders.join(customers, foreignKey, JOINER);
        joined.toStream().to("out", Produced.with(Serdes.String(), Serdes.String()));
        String app = "fk-" + (leftJoin ? "left-" : "inner-") + suppliers.getSimpleName();
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.resolve(app).toString());
        props.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
        props.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, suppliers);
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
            Map<String, TestInputTopic<String, String>> topics = Map.of(
                "orders", driver.createInputTopic("orders", Serdes.String().serializer(), Serdes.String().serializer()),
                "customers", driver.createInputTopic("customers", Serdes.String().serializer(),
                    Serdes.String().serializer()));
            for (Input i : input) {
                topics.get(i.topic()).pipeInput(new TestRecord<>(i.key(), i.value(), Instant.ofEpochMilli(i.timestamp())));
            }
            List<TestRecord<String, String>> out = driver.createOutputTopic("out", Serdes.String().deserializer(),
                Serdes.String().deserializer()).readRecordsToList();
            Map<String, StateStore> stores = new TreeMap<>();
            driver.getAllStateStores().forEach((name, store) -> stores.put(name, innermost(store)));
            return new Run(out, stores);
        }
    }

    /**
     * The store under Kafka's metering, change-logging and caching layers, and under the adapter Kafka
     * 4.3 puts around a timestamped store where it wants one with headers (the FK subscription store);
     * that adapter is not a {@link WrappedStateStore} and keeps its store in a package-private field.
     */
    private static StateStore innermost(StateStore store) {
        StateStore s = store;
        while (true) {
            if (s instanceof WrappedStateStore<?, ?, ?> wrapped) {
                s = wrapped.wrapped();
            } else if (s.getClass().getName().equals(
                "org.apache.kafka.streams.state.internals.TimestampedToHeadersStoreAdapter")) {
                try {
                    java.lang.reflect.Field inner = s.getClass().getDeclaredField("store");
                    inner.setAccessible(true);
                    s = (StateStore) inner.get(s);
                } catch (ReflectiveOperationException e) {
                    throw new AssertionError("Kafka's TimestampedToHeadersStoreAdapter changed: " + e, e);
                }
            } else {
                return s;
            }
        }
    }

    private static String show(TestRecord<String, String> r) {
        return r.key() + "=" + r.value() + "@" + r.timestamp();
    }

    /** Runs both, checks which stores each used, compares record for record and returns the offstate output. */
    private List<TestRecord<String, String>> assertSameAsInMemory(boolean leftJoin, List<Input> input) {
        Run kafka = run(BuiltInDslStoreSuppliers.InMemoryDslStoreSuppliers.class, leftJoin, input);
        Run offstate = run(OffstateDslStoreSuppliers.class, leftJoin, input);

        assertTrue(offstate.stores().keySet().stream().anyMatch(n -> n.contains("SUBSCRIPTION-STATE-STORE")),
            "the topology has a subscription store: " + offstate.stores().keySet());
        assertEquals(kafka.stores().keySet(), offstate.stores().keySet(), "the same stores");
        // orders, customers and the subscription store
        assertTrue(offstate.stores().size() >= 3, "stores: " + offstate.stores().keySet());
        offstate.stores().forEach((name, store) -> assertEquals(OffstateTimestampedKeyValueStore.class,
            store.getClass(), "offstate run: store " + name + " is offstate's"));
        kafka.stores().forEach((name, store) -> assertFalse(store.getClass().getName().startsWith("io.offstate"),
            "in-memory run: store " + name + " is Kafka's, not " + store.getClass()));

        assertFalse(kafka.output().isEmpty(), "the topology produced output");
        assertEquals(kafka.output().size(), offstate.output().size(), "as many output records");
        for (int i = 0; i < kafka.output().size(); i++) {
            assertEquals(show(kafka.output().get(i)), show(offstate.output().get(i)), "output record " + i);
        }
        return offstate.output();
    }

    /** The joined table as the output stream builds it: the last value per key, a tombstone removes it. */
    private static Map<String, String> table(List<TestRecord<String, String>> output) {
        Map<String, String> table = new TreeMap<>();
        for (TestRecord<String, String> r : output) {
            if (r.value() == null) {
                table.remove(r.key());
            } else {
                table.put(r.key(), r.value());
            }
        }
        return table;
    }

    /** The join computed directly from the final orders and customers (no stores, no Kafka). */
    private static Map<String, String> expectedTable(List<Input> input, boolean leftJoin) {
        Map<String, String> orders = new HashMap<>();
        Map<String, String> customers = new HashMap<>();
        for (Input i : input) {
            Map<String, String> side = i.topic().equals("orders") ? orders : customers;
            if (i.value() == null) {
                side.remove(i.key());
            } else {
                side.put(i.key(), i.value());
            }
        }
        Map<String, String> joined = new TreeMap<>();
        orders.forEach((order, value) -> {
            String foreignKey = customerOf(value);
            String customer = foreignKey == null ? null : customers.get(foreignKey);
            if (customer != null || leftJoin) {
                joined.put(order, JOINER.apply(value, customer));
            }
        });
        return joined;
    }

    @Test
    void innerJoinScriptEqualsInMemoryStoresAndIsRight() {
        List<TestRecord<String, String>> out = assertSameAsInMemory(false, scriptedInput());
        List<String> values = out.stream().filter(r -> r.value() != null).map(r -> r.key() + "=" + r.value()).toList();
        assertEquals(List.of(
            "o1=c1:apples|Ada",
            "o2=c1:pears|Ada",
            "o1=c1:apples|Ada L.",
            "o2=c1:pears|Ada L.",
            "o1=c10:apples|Bob",
            "o2=c1:pears|Ada Lovelace",
            "o3=c2:plums|Dee",
            "o2=c1:pears|Ada again"), values);
        assertEquals(Map.of("o2", "c1:pears|Ada again", "o3", "c2:plums|Dee"), table(out));
    }

    @Test
    void leftJoinScriptEqualsInMemoryStoresAndIsRight() {
        List<TestRecord<String, String>> out = assertSameAsInMemory(true, scriptedInput());
        assertEquals(expectedTable(scriptedInput(), true), table(out));
        assertEquals(Map.of("o2", "c1:pears|Ada again", "o3", "c2:plums|Dee"), table(out));
        assertTrue(out.stream().anyMatch(r -> show(r).equals("o3=c2:plums|null@80")),
            "a left join emits an order without its customer: " + out.stream().map(ForeignKeyJoinTest::show).toList());
    }

    @Test
    void innerJoinWithUpdatesForeignKeyChangesAndDeletesEqualsInMemoryStores() {
        for (long seed : new long[] {1, 2}) {
            List<Input> input = randomInput(seed, 1_000, false);
            List<TestRecord<String, String>> out = assertSameAsInMemory(false, input);
            assertEquals(expectedTable(input, false), table(out), "final joined table, seed " + seed);
        }
    }

    @Test
    void leftJoinWithUpdatesForeignKeyChangesDeletesAndNullForeignKeysEqualsInMemoryStores() {
        for (long seed : new long[] {4, 5}) {
            List<Input> input = randomInput(seed, 1_000, true);
            List<TestRecord<String, String>> out = assertSameAsInMemory(true, input);
            assertEquals(expectedTable(input, true), table(out), "final joined table, seed " + seed);
        }
    }
}
