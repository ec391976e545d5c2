package io.offstate.kafka.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.file.Path;
import java.util.List;
import java.util.Properties;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TopologyTestDriver;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.KTable;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.state.VersionedKeyValueStore;
import org.apache.kafka.streams.state.VersionedRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stream-table join on an offstate versioned table: each order meets the price valid at its own time. */
class VersionedTableJoinTest {
    @TempDir
    Path stateDir;

    @Test
    void ordersJoinThePriceValidAtTheirTimestampAlsoAfterOutOfOrderPriceUpdates() {
        StreamsBuilder builder = new StreamsBuilder();
        KTable<String, String> prices = builder.table("prices", Consumed.with(Serdes.String(), Serdes.String()),
            Materialized.as(OffstateVersionedBytesStoreSupplier.persistent("prices", 60_000)));
        builder.stream("orders", Consumed.with(Serdes.String(), Serdes.String()))
            .join(prices, (order, price) -> order + "@" + price)
            .to("out", Produced.with(Serdes.String(), Serdes.String()));
        Properties props = new Properties();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, "versioned");
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        props.put(StreamsConfig.STATE_DIR_CONFIG, stateDir.toString());
        try (TopologyTestDriver driver = new TopologyTestDriver(builder.build(), props)) {
            TestInputTopic<String, String> priceIn = driver.createInputTopic("prices", Serdes.String().serializer(),
                Serdes.String().serializer());
            TestInputTopic<String, String> orderIn = driver.createInputTopic("orders", Serdes.String().serializer(),
                Serdes.String().serializer());
            priceIn.pipeInput("sku", "9.99", 1_000);
            priceIn.pipeInput("sku", "12.50", 5_000);
            priceIn.pipeInput("sku", "10.00", 3_000);           // out of order: lands between the two
            orderIn.pipeInput("sku", "o1", 2_000);
            orderIn.pipeInput("sku", "o2", 4_000);
            orderIn.pipeInput("sku", "o3", 9_000);
            orderIn.pipeInput("sku", "o0", 500);                // before any price: no join
            List<String> out = driver.createOutputTopic("out", Serdes.String().deserializer(),
                Serdes.String().deserializer()).readValuesToList();
            assertEquals(List.of("o1@9.99", "o2@10.00", "o3@12.50"), out);

            VersionedKeyValueStore<String, String> store = driver.getVersionedKeyValueStore("prices");
            VersionedRecord<String> at4000 = store.get("sku", 4_000);
            assertEquals("10.00", at4000.value());
            assertEquals(3_000, at4000.timestamp());
            // validTo does not survive Kafka's bytes adapter (VersionedBytesStore.get returns timestamp + value)
            assertEquals("12.50", store.get("sku").value());
        }
    }

    @Test
    void storeItselfReportsValidToAndDeleteReturnsThePreviousVersion() {
        OffstateVersionedStore store = new OffstateVersionedStore("v", false, 60_000, 0);
        store.init(new org.apache.kafka.test.InternalMockProcessorContext<>(stateDir.toFile(), Serdes.Bytes(),
            Serdes.ByteArray(), new StreamsConfig(java.util.Map.of(StreamsConfig.APPLICATION_ID_CONFIG, "t",
                StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9"))), store);
        try {
            org.apache.kafka.common.utils.Bytes k = org.apache.kafka.common.utils.Bytes.wrap(new byte[] {1});
            assertEquals(VersionedKeyValueStore.PUT_RETURN_CODE_VALID_TO_UNDEFINED, store.put(k, new byte[] {10}, 1_000));
            assertEquals(VersionedKeyValueStore.PUT_RETURN_CODE_VALID_TO_UNDEFINED, store.put(k, new byte[] {30}, 5_000));
            assertEquals(5_000, store.put(k, new byte[] {20}, 3_000), "an out-of-order version is valid until the next");
            VersionedRecord<byte[]> at4000 = store.get(k, 4_000);
            assertEquals(3_000, at4000.timestamp());
            assertEquals(5_000, at4000.validTo().orElseThrow());
            assertEquals(20, at4000.value()[0]);
            VersionedRecord<byte[]> deleted = store.delete(k, 6_000);
            assertEquals(30, deleted.value()[0]);
            assertEquals(null, store.get(k));
            store.put(k, new byte[] {40}, 100_000);
            assertEquals(VersionedKeyValueStore.PUT_RETURN_CODE_NOT_PUT, store.put(k, new byte[] {1}, 39_999),
                "behind the history horizon (stream time 100 000 - history 60 000)");
            assertEquals(VersionedKeyValueStore.PUT_RETURN_CODE_NOT_PUT, store.put(k, new byte[] {1}, -1));
        } finally {
            store.close();
        }
    }
}
