package io.offstate.changelog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.List;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The test harness itself: the in-JVM broker serves topics, produce, consume and admin calls. */
class KafkaBrokerTest {
    private static KafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        broker = KafkaBroker.start();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    @Test
    void brokerBindsToLoopbackAndRoundTripsRecords() {
        assertTrue(broker.bootstrap().startsWith("127.0.0.1:"), broker.bootstrap());
        broker.createTopic("harness-roundtrip", 2);
        assertEquals(2, broker.partitionCount("harness-roundtrip"));
        TopicPartition tp = new TopicPartition("harness-roundtrip", 1);
        broker.produce(List.of(
            new ProducerRecord<>("harness-roundtrip", 1, "k".getBytes(StandardCharsets.UTF_8), "v1".getBytes(StandardCharsets.UTF_8)),
            new ProducerRecord<>("harness-roundtrip", 1, "k".getBytes(StandardCharsets.UTF_8), null)));
        List<ConsumerRecord<byte[], byte[]>> read = broker.readAll(tp, true);
        assertEquals(2, read.size());
        assertArrayEquals("v1".getBytes(StandardCharsets.UTF_8), read.get(0).value());
        assertEquals(null, read.get(1).value());
        assertEquals(2, broker.offsets(tp)[1]);
    }

    @Test
    void deleteRecordsMovesTheLogStartOffsetOfACompactDeleteTopic() {
        // (a topic with cleanup.policy=compact alone refuses DeleteRecords: PolicyViolationException)
        broker.createTopic("harness-delete", 1, java.util.Map.of("cleanup.policy", "compact,delete"));
        TopicPartition tp = new TopicPartition("harness-delete", 0);
        broker.produce(List.of(
            new ProducerRecord<>("harness-delete", 0, new byte[] {1}, new byte[] {1}),
            new ProducerRecord<>("harness-delete", 0, new byte[] {2}, new byte[] {2}),
            new ProducerRecord<>("harness-delete", 0, new byte[] {3}, new byte[] {3})));
        broker.deleteRecordsBefore(tp, 2);
        assertArrayEquals(new long[] {2, 3}, broker.offsets(tp));
        assertEquals("compact,delete", broker.topicConfig("harness-delete", "cleanup.policy"));
    }
}
