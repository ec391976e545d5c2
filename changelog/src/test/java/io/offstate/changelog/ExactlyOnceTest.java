package io.offstate.changelog;

import static io.offstate.changelog.ChangelogTestSupport.contents;
import static io.offstate.changelog.ChangelogTestSupport.manager;
import static io.offstate.changelog.ChangelogTestSupport.str;
import static io.offstate.changelog.ChangelogTestSupport.tempDir;
import static io.offstate.changelog.ChangelogTestSupport.unique;
import static io.offstate.changelog.ChangelogTestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.offstate.engine.StateManager;
import io.offstate.engine.Transaction;

/** Exactly-once: Kafka transactions, fencing, and a local state ahead of Kafka after a crash. */
class ExactlyOnceTest {
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

    private static ChangelogOptions.Builder options(String app, String input) {
        return ChangelogOptions.builder(app, broker.bootstrap(), input).guarantee(Guarantee.EXACTLY_ONCE)
            .commitTimeout(Duration.ofSeconds(20));
    }

    private static KafkaConsumer<byte[], byte[]> groupConsumer(String group) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        c.put(ConsumerConfig.GROUP_ID_CONFIG, group);
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(c);
    }

    private static Map<TopicPartition, OffsetAndMetadata> groupOffsets(String group) {
        try {
            return broker.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static Map<String, String> committed(String topic, int partition) {
        Map<String, String> m = new LinkedHashMap<>();
        for (ConsumerRecord<byte[], byte[]> r : broker.readAll(new TopicPartition(topic, partition), true)) {
            m.put(str(r.key()), str(r.value()));
        }
        return m;
    }

    @Test
    void aCommitPutsChangesOutputsAndInputOffsetsInOneKafkaTransaction() {
        String app = unique("eos");
        String input = app + "-in";
        String output = app + "-out";
        broker.createTopic(input, 2);
        broker.createTopic(output, 1);
        TopicPartition in1 = new TopicPartition(input, 1);
        try (KafkaConsumer<byte[], byte[]> consumer = groupConsumer(app);
             StateManager m = manager(tempDir("eos-"), "counts");
             Changelog c = Changelog.open(m, consumer, options(app, input).build())) {
            consumer.assign(List.of(in1));
            c.assign(1);
            ChangelogPartition p = c.partition(1);
            try (ChangelogTransaction tx = p.begin()) {
                tx.state().put(p.store("counts"), utf8("a"), utf8("1"));
                tx.send(new ProducerRecord<>(output, 0, utf8("a"), utf8("1")));
                tx.commit(Map.of(in1, new OffsetAndMetadata(5)));
            }
            assertEquals(Map.of("a", "1"), committed(app + "-counts-changelog", 1));
            assertEquals(Map.of("a", "1"), committed(output, 0));
            assertEquals(5L, groupOffsets(app).get(in1).offset());

            try (ChangelogTransaction tx = p.begin()) {
                tx.state().put(p.store("counts"), utf8("a"), utf8("2"));
                tx.send(new ProducerRecord<>(output, 0, utf8("a"), utf8("2")));
                tx.abort();
            }
            assertEquals(Map.of("a", "1"), contents(p.store("counts")));
            assertEquals(Map.of("a", "1"), committed(output, 0), "an aborted transaction's output is not visible read-committed");
            assertEquals(5L, groupOffsets(app).get(in1).offset());
        }
    }

    @Test
    void aFencedOwnersCommitFailsAndItsStateStaysAtTheLastCommittedTransaction() {
        String app = unique("fence");
        String input = app + "-in";
        broker.createTopic(input, 1);
        try (StateManager ma = manager(tempDir("eos-a-"), "counts");
             Changelog a = Changelog.open(ma, null, options(app, input).build())) {
            a.assign(0);
            ChangelogPartition pa = a.partition(0);
            try (ChangelogTransaction tx = pa.begin()) {
                tx.state().put(pa.store("counts"), utf8("k"), utf8("1"));
                tx.commit();
            }
            ChangelogTransaction zombie = pa.begin();
            zombie.state().put(pa.store("counts"), utf8("k"), utf8("zombie"));
            zombie.state().put(pa.store("counts"), utf8("z"), utf8("zombie"));

            try (StateManager mb = manager(tempDir("eos-b-"), "counts");
                 Changelog b = Changelog.open(mb, null, options(app, input).build())) {
                b.assign(0);   // same transactional id: fences A
                assertTrue(b.restoreAll(Duration.ofSeconds(30)));
                ChangelogPartition pb = b.partition(0);
                assertEquals(Map.of("k", "1"), contents(pb.store("counts")));

                ChangelogFencedException e = assertThrows(ChangelogFencedException.class, zombie::commit);
                assertEquals(0, e.partition());
                assertTrue(zombie.isDone());
                assertEquals(ChangelogPartition.Phase.FENCED, pa.phase());
                assertEquals(Map.of("k", "1"), contents(pa.store("counts")), "the zombie's commit was not applied");
                assertThrows(IllegalStateException.class, pa::begin);

                try (ChangelogTransaction tx = pb.begin()) {
                    tx.state().put(pb.store("counts"), utf8("k"), utf8("2"));
                    tx.commit();
                }
                assertEquals(Map.of("k", "2"), committed(app + "-counts-changelog", 0),
                    "read committed, the changelog holds no zombie record");
            }
            a.revoke(0);
            assertTrue(a.assigned().isEmpty());
        }
    }

    /** The state a crash leaves between the local log and the Kafka commit: a local commit Kafka lacks. */
    private static void commitLocallyOnly(Path dir, Map<String, String> writes) {
        try (StateManager m = manager(dir, "counts")) {
            m.assign(0);
            var sp = m.partition(0);
            ChangelogPositions now = ChangelogPositions.decode(sp.committedPositions());
            ChangelogPositions.StoreOffset so = now.store("counts");
            ChangelogPositions ahead = new ChangelogPositions(0x5EED, now.inputOffsets(),
                Map.of("counts", new ChangelogPositions.StoreOffset(so == null ? 0 : so.offset(), true, false)));
            try (Transaction tx = sp.begin()) {
                writes.forEach((k, v) -> tx.put(sp.store("counts"), utf8(k), utf8(v)));
                tx.commit(ahead.encode());
            }
        }
    }

    @Test
    void aLocalCommitThatKafkaNeverCommittedIsRolledBack() {
        String app = unique("ahead");
        String input = app + "-in";
        broker.createTopic(input, 1);
        Path dir = tempDir("eos-");
        try (StateManager m = manager(dir, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            try (ChangelogTransaction tx = c.partition(0).begin()) {
                tx.state().put(c.partition(0).store("counts"), utf8("k"), utf8("1"));
                tx.commit();
            }
        }
        commitLocallyOnly(dir, Map.of("k", "lost", "ghost", "lost"));
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dir, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreListener(listener).build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(30)));
            assertEquals(1, listener.rebuilds.size(), listener.rebuilds.toString());
            assertTrue(listener.rebuilds.get(0).contains("the local state is ahead"), listener.rebuilds.get(0));
            assertEquals(Map.of("k", "1"), contents(c.partition(0).store("counts")));
        }
    }

    @Test
    void aLocalCommitAheadOfKafkaIsRolledBackAlsoWhenAnotherOwnerWroteSince() {
        String app = unique("ahead2");
        String input = app + "-in";
        broker.createTopic(input, 1);
        Path dir = tempDir("eos-");
        try (StateManager m = manager(dir, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            try (ChangelogTransaction tx = c.partition(0).begin()) {
                tx.state().put(c.partition(0).store("counts"), utf8("k"), utf8("1"));
                tx.commit();
            }
        }
        commitLocallyOnly(dir, Map.of("ghost", "lost"));
        try (StateManager m = manager(tempDir("eos-b-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(30)));
            try (ChangelogTransaction tx = c.partition(0).begin()) {
                tx.state().put(c.partition(0).store("counts"), utf8("k"), utf8("2"));
                tx.commit();
            }
        }
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dir, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreListener(listener).build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(30)));
            assertEquals(1, listener.rebuilds.size(), listener.rebuilds.toString());
            assertTrue(listener.rebuilds.get(0).contains("belongs to commit"), listener.rebuilds.get(0));
            assertEquals(Map.of("k", "2"), contents(c.partition(0).store("counts")));
        }
    }

    @Test
    void afterACrashPastTheKafkaCommitOnlyTheGapIsReplayedAndNothingIsWiped() {
        String app = unique("gap");
        String input = app + "-in";
        broker.createTopic(input, 1);
        Path dir = tempDir("eos-");
        try (StateManager m = manager(dir, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            for (int round = 0; round < 3; round++) {
                try (ChangelogTransaction tx = c.partition(0).begin()) {
                    for (int i = 0; i < 100; i++) {
                        tx.state().put(c.partition(0).store("counts"), utf8("k" + i), utf8("r" + round));
                    }
                    tx.commit();
                }
            }
        }
        // Put back what the last commit itself recorded, as a crash right after it would leave it:
        // the base offset of its records, flagged as written by it.
        List<ConsumerRecord<byte[], byte[]>> log = broker.readAll(new TopicPartition(app + "-counts-changelog", 0), true);
        ConsumerRecord<byte[], byte[]> firstOfLast = log.get(200);
        long lastId = ChangelogPositions.commitOf(firstOfLast.headers().lastHeader(ChangelogPositions.COMMIT_HEADER).value());
        try (StateManager m = manager(dir, "counts")) {
            m.assign(0);
            try (Transaction tx = m.partition(0).begin()) {
                tx.commit(new ChangelogPositions(lastId, Map.of(),
                    Map.of("counts", new ChangelogPositions.StoreOffset(firstOfLast.offset(), true, false))).encode());
            }
        }
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dir, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreListener(listener).build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(30)));
            assertEquals(List.of(), listener.rebuilds, "the local state is not wiped");
            assertEquals(100L, listener.restored.get(0).records(), "only the last commit's records are replayed");
            Map<String, String> state = contents(c.partition(0).store("counts"));
            assertEquals(100, state.size());
            assertTrue(state.values().stream().allMatch("r2"::equals));
        }
    }

    @Test
    void aRestoreReadsCommittedRecordsOnly() {
        String app = unique("rc");
        String input = app + "-in";
        broker.createTopic(input, 1);
        try (StateManager m = manager(tempDir("eos-a-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            ChangelogPartition p = c.partition(0);
            try (ChangelogTransaction tx = p.begin()) {
                tx.state().put(p.store("counts"), utf8("kept"), utf8("1"));
                tx.commit();
            }
            try (ChangelogTransaction tx = p.begin()) {
                tx.state().put(p.store("counts"), utf8("dropped"), utf8("1"));
                tx.abort();
            }
        }
        try (StateManager m = manager(tempDir("eos-b-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(30)));
            assertEquals(Map.of("kept", "1"), contents(c.partition(0).store("counts")));
            assertFalse(c.isRestoring());
        }
    }

    // ---------------------------------------------------------------- model

    /** One instance at a time owning partition 0, on one of several state directories. */
    private static final class Instance implements AutoCloseable {
        final String app;
        final String input;
        final List<Path> dirs = new java.util.ArrayList<>();
        Path dir;
        StateManager manager;
        Changelog changelog;

        Instance(String app, String input) {
            this.app = app;
            this.input = input;
        }

        void open(Path d) {
            dir = d;
            if (!dirs.contains(d)) {
                dirs.add(d);
            }
            manager = manager(d, "counts");
            changelog = Changelog.open(manager, null, options(app, input).build());
            changelog.assign(0);
            assertTrue(changelog.restoreAll(Duration.ofSeconds(30)));
        }

        ChangelogPartition partition() {
            return changelog.partition(0);
        }

        @Override
        public void close() {
            if (changelog != null) {
                changelog.close();
                manager.close();
                changelog = null;
            }
        }
    }

    private static String describe(int op) {
        int kind = op % 7;
        int key = (op / 7) % 5;
        int value = op / 35;
        return switch (kind) {
            case 0 -> "put k" + key + "=v" + value + ", k" + (key + 1) + "=v" + value;
            case 1 -> "delete k" + key;
            case 2 -> "put k" + key + "=x then abort";
            case 3 -> "restart on the same directory";
            case 4 -> "move to a new directory";
            case 5 -> "move to directory #" + (value % 3);
            default -> "crash after the local log, before the Kafka commit, of k" + key + "=ghost";
        };
    }

    @Test
    void randomCommitsAbortsRestartsMovesAndCrashesKeepTheStateOfTheCommittedKafkaTransactions() {
        org.quicktheories.QuickTheory.qt().withExamples(8).withShrinkCycles(0)
            .forAll(org.quicktheories.generators.SourceDSL.lists()
                .of(org.quicktheories.generators.SourceDSL.integers().between(0, 9_999)).ofSizeBetween(1, 10))
            .checkAssert(ops -> {
                String app = unique("model");
                String input = app + "-in";
                broker.createTopic(input, 1);
                Map<String, String> model = new java.util.TreeMap<>();
                List<String> done = new java.util.ArrayList<>();
                try (Instance in = new Instance(app, input)) {
                    in.open(tempDir("model-"));
                    for (int op : ops) {
                        done.add(describe(op));
                        int kind = op % 7;
                        int key = (op / 7) % 5;
                        int value = op / 35;
                        ChangelogPartition p = in.partition();
                        switch (kind) {
                            case 0 -> {
                                try (ChangelogTransaction tx = p.begin()) {
                                    tx.state().put(p.store("counts"), utf8("k" + key), utf8("v" + value));
                                    tx.state().put(p.store("counts"), utf8("k" + (key + 1)), utf8("v" + value));
                                    tx.commit();
                                }
                                model.put("k" + key, "v" + value);
                                model.put("k" + (key + 1), "v" + value);
                            }
                            case 1 -> {
                                try (ChangelogTransaction tx = p.begin()) {
                                    tx.state().delete(p.store("counts"), utf8("k" + key));
                                    tx.commit();
                                }
                                model.remove("k" + key);
                            }
                            case 2 -> {
                                try (ChangelogTransaction tx = p.begin()) {
                                    tx.state().put(p.store("counts"), utf8("k" + key), utf8("x"));
                                    tx.abort();
                                }
                            }
                            case 3 -> {
                                in.close();
                                in.open(in.dir);
                            }
                            case 4 -> {
                                in.close();
                                in.open(tempDir("model-"));
                            }
                            case 5 -> {
                                in.close();
                                in.open(in.dirs.get(value % in.dirs.size()));
                            }
                            default -> {
                                in.close();
                                commitLocallyOnly(in.dir, Map.of("k" + key, "ghost"));
                                in.open(in.dir);
                            }
                        }
                        assertEquals(model, contents(in.partition().store("counts")), "after " + done);
                    }
                }
            });
    }
}
