package io.offstate.changelog;

import static io.offstate.changelog.ChangelogTestSupport.contents;
import static io.offstate.changelog.ChangelogTestSupport.manager;
import static io.offstate.changelog.ChangelogTestSupport.str;
import static io.offstate.changelog.ChangelogTestSupport.tempDir;
import static io.offstate.changelog.ChangelogTestSupport.unique;
import static io.offstate.changelog.ChangelogTestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.CommitFailedException;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;

/**
 * A commit whose consumer's group generation went stale (the group rebalanced, or dropped this
 * member, since its last poll) is a failed commit, not a fencing: under exactly-once the broker
 * refuses the offsets ({@link CommitFailedException}), the Kafka transaction is aborted, nothing is
 * applied, the consumer is rewound, and the partition goes on after the next poll. It used to be
 * reported as {@link ChangelogFencedException}, which ended the partition (and the app) on any
 * rebalance that raced a commit, as cooperative rebalancing does.
 */
class GroupGenerationCommitTest {
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

    private static KafkaConsumer<byte[], byte[]> groupConsumer(String group) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        c.put(ConsumerConfig.PARTITION_ASSIGNMENT_STRATEGY_CONFIG, CooperativeStickyAssignor.class.getName());
        // a member that does not poll for a second leaves the group: the test's way to make its
        // generation stale at a moment of its choosing
        c.put(ConsumerConfig.MAX_POLL_INTERVAL_MS_CONFIG, 1000);
        c.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 200);
        return new KafkaConsumer<>(c);
    }

    private static Map<String, String> committedChangelog(String topic) {
        Map<String, String> m = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : broker.readAll(new TopicPartition(topic, 0), true)) {
            m.put(str(r.key()), str(r.value()));
        }
        return m;
    }

    /**
     * The group's committed offset once it equals {@code expected} (a transaction's offsets become
     * visible when its markers are written, a moment after the commit returned), or the last seen
     * after 15 s.
     */
    private static Long awaitGroupOffset(String group, TopicPartition tp, long expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        Long seen = groupOffset(group, tp);
        while ((seen == null || seen != expected) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            seen = groupOffset(group, tp);
        }
        return seen;
    }

    /** As {@link #awaitGroupOffset}, for the committed changelog's contents. */
    private static Map<String, String> awaitChangelog(String topic, Map<String, String> expected) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        Map<String, String> seen = committedChangelog(topic);
        while (!seen.equals(expected) && System.nanoTime() < deadline) {
            Thread.sleep(50);
            seen = committedChangelog(topic);
        }
        return seen;
    }

    private static Long groupOffset(String group, TopicPartition tp) {
        try {
            OffsetAndMetadata o = broker.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS).get(tp);
            return o == null ? null : o.offset();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Polls (through the changelog, so restores run) until records of {@code tp} come. */
    private static List<ConsumerRecord<byte[], byte[]>> pollBatch(Changelog c, KafkaConsumer<byte[], byte[]> consumer,
                                                                TopicPartition tp) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (System.nanoTime() < deadline) {
            ConsumerRecords<byte[], byte[]> records = c.poll(consumer, Duration.ofMillis(100));
            if (!records.records(tp).isEmpty()) {
                return records.records(tp);
            }
        }
        throw new AssertionError("no records of " + tp + " within 60 s");
    }

    /** Counts the batch's keys in a transaction; the caller commits. */
    private static ChangelogTransaction count(ChangelogPartition p, List<ConsumerRecord<byte[], byte[]>> batch) {
        KeyValueStore counts = p.store("counts");
        ChangelogTransaction tx = p.begin();
        for (ConsumerRecord<byte[], byte[]> r : batch) {
            byte[] old = tx.state().getCopy(counts, r.key());
            int n = (old == null ? 0 : Integer.parseInt(str(old))) + 1;
            tx.state().put(counts, r.key(), utf8(Integer.toString(n)));
        }
        return tx;
    }

    /** Produces keys k0..k4 to partition 0 of {@code input}. */
    private static void produceFiveKeys(String input) {
        List<ProducerRecord<byte[], byte[]>> five = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
            five.add(new ProducerRecord<>(input, 0, utf8("k" + i), utf8("x")));
        }
        broker.produce(five);
    }

    /** k0..k4, each with count {@code count}, as the store's contents would read. */
    private static Map<String, String> fiveKeysCounted(String count) {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < 5; i++) {
            m.put("k" + i, count);
        }
        return m;
    }

    /** Polls, counts and commits batches of {@code tp} until {@code records} records were committed. */
    private static void countAndCommit(Changelog c, KafkaConsumer<byte[], byte[]> consumer, TopicPartition tp, int records) {
        int processed = 0;
        while (processed < records) {
            List<ConsumerRecord<byte[], byte[]>> batch = pollBatch(c, consumer, tp);
            try (ChangelogTransaction tx = count(c.partition(0), batch)) {
                tx.commit(Map.of(tp, new OffsetAndMetadata(batch.getLast().offset() + 1)));
            }
            processed += batch.size();
        }
    }

    @Test
    void aCommitAfterTheGroupMovedOnIsAbortedRewoundAndItsBatchCountsOnceWhenProcessedAgain() throws Exception {
        String app = unique("generation");
        String input = app + "-in";
        broker.createTopic(input, 1);
        TopicPartition tp = new TopicPartition(input, 0);
        produceFiveKeys(input);
        ChangelogOptions options = ChangelogOptions.builder(app, broker.bootstrap(), input).guarantee(Guarantee.EXACTLY_ONCE)
            .commitTimeout(Duration.ofSeconds(20)).build();
        try (StateManager m = manager(tempDir("generation-"), "counts");
             KafkaConsumer<byte[], byte[]> consumer = groupConsumer(app);
             Changelog c = Changelog.open(m, consumer, options)) {
            consumer.subscribe(List.of(input), c.rebalanceListener());
            countAndCommit(c, consumer, tp, 5);
            Map<String, String> once = fiveKeysCounted("1");
            assertEquals(once, contents(c.partition(0).store("counts")));
            assertEquals(5L, awaitGroupOffset(app, tp, 5));

            produceFiveKeys(input); // the same keys again: a batch applied twice would count 3
            List<ConsumerRecord<byte[], byte[]>> second = pollBatch(c, consumer, tp);
            assertEquals(5L, second.getFirst().offset());
            ChangelogTransaction stale = count(c.partition(0), second);
            Thread.sleep(3000); // no poll for 3 max.poll.interval.ms: the member leaves, its generation is stale
            ChangelogCommitException e = assertThrows(ChangelogCommitException.class,
                () -> stale.commit(Map.of(tp, new OffsetAndMetadata(second.getLast().offset() + 1))));
            assertInstanceOf(CommitFailedException.class, e.getCause(), e.toString());
            assertFalse(e.inDoubt());
            assertTrue(e.getMessage().contains("rebalanced"), e.getMessage());
            assertTrue(stale.isDone());
            assertEquals(once, contents(c.partition(0).store("counts")), "nothing of the refused commit was applied");
            assertEquals(once, awaitChangelog(app + "-counts-changelog", once), "read committed, its change records were aborted");
            assertEquals(5L, groupOffset(app, tp));
            assertEquals(5L, consumer.position(tp), "the consumer was rewound to the last committed offset");

            // the next poll rejoins the group (the partition lost and assigned again: a quick restore)
            // and brings the batch again; this time it commits
            countAndCommit(c, consumer, tp, 5);
            Map<String, String> twice = fiveKeysCounted("2");
            assertEquals(twice, contents(c.partition(0).store("counts")));
            assertEquals(twice, awaitChangelog(app + "-counts-changelog", twice));
            assertEquals(10L, awaitGroupOffset(app, tp, 10));
            assertEquals(ChangelogPartition.Phase.ACTIVE, c.partition(0).phase());
        }
    }

    @Test
    void aRefusedFirstCommitOfAPartitionRewindsToItsBeginningSoNoRecordIsSkipped() throws Exception {
        String app = unique("generation-first");
        String input = app + "-in";
        broker.createTopic(input, 1);
        TopicPartition tp = new TopicPartition(input, 0);
        produceFiveKeys(input);
        ChangelogOptions options = ChangelogOptions.builder(app, broker.bootstrap(), input).guarantee(Guarantee.EXACTLY_ONCE)
            .commitTimeout(Duration.ofSeconds(20)).build();
        try (StateManager m = manager(tempDir("generation-"), "counts");
             KafkaConsumer<byte[], byte[]> consumer = groupConsumer(app);
             Changelog c = Changelog.open(m, consumer, options)) {
            consumer.subscribe(List.of(input), c.rebalanceListener());
            List<ConsumerRecord<byte[], byte[]>> first = pollBatch(c, consumer, tp);
            ChangelogTransaction stale = count(c.partition(0), first);
            Thread.sleep(3000); // the member leaves the group: its first commit is refused
            assertThrows(ChangelogCommitException.class,
                () -> stale.commit(Map.of(tp, new OffsetAndMetadata(first.getLast().offset() + 1))));
            assertEquals(null, groupOffset(app, tp), "nothing was ever committed for the partition");
            assertEquals(0L, consumer.position(tp), "no committed offset: rewound to the beginning, not left past the batch");
            countAndCommit(c, consumer, tp, 5);
            Map<String, String> once = fiveKeysCounted("1");
            assertEquals(once, contents(c.partition(0).store("counts")), "every record counted once");
            assertEquals(5L, awaitGroupOffset(app, tp, 5));
        }
    }
}
