package io.offstate.changelog;

import static io.offstate.changelog.ChangelogTestSupport.contents;
import static io.offstate.changelog.ChangelogTestSupport.manager;
import static io.offstate.changelog.ChangelogTestSupport.str;
import static io.offstate.changelog.ChangelogTestSupport.tempDir;
import static io.offstate.changelog.ChangelogTestSupport.unique;
import static io.offstate.changelog.ChangelogTestSupport.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.Transaction;

/** The broker harness, topics, at-least-once commits, recovery and standbys against a real broker. */
class ChangelogTest {
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
        return ChangelogOptions.builder(app, broker.bootstrap(), input);
    }

    // ---------------------------------------------------------------- the harness itself

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
        assertNull(read.get(1).value());
        assertEquals(2, broker.offsets(tp)[1]);
    }

    @Test
    void deleteRecordsMovesTheLogStartOffsetOfACompactDeleteTopic() {
        // (a topic with cleanup.policy=compact alone refuses DeleteRecords: PolicyViolationException)
        broker.createTopic("harness-delete", 1, Map.of("cleanup.policy", "compact,delete"));
        TopicPartition tp = new TopicPartition("harness-delete", 0);
        broker.produce(List.of(
            new ProducerRecord<>("harness-delete", 0, new byte[] {1}, new byte[] {1}),
            new ProducerRecord<>("harness-delete", 0, new byte[] {2}, new byte[] {2}),
            new ProducerRecord<>("harness-delete", 0, new byte[] {3}, new byte[] {3})));
        broker.deleteRecordsBefore(tp, 2);
        assertArrayEquals(new long[] {2, 3}, broker.offsets(tp));
        assertEquals("compact,delete", broker.topicConfig("harness-delete", "cleanup.policy"));
    }

    // ---------------------------------------------------------------- topics

    @Test
    void openCreatesCompactedChangelogsWithTheInputsPartitionCount() {
        String app = unique("topics");
        String input = app + "-in";
        broker.createTopic(input, 3);
        try (StateManager m = manager(tempDir("cl-"), "counts", "windows");
             Changelog c = Changelog.open(m, null, options(app, input)
                 .windowedStore("windows", Duration.ofHours(1)).retentionMargin(Duration.ofMinutes(10)).build())) {
            assertEquals(3, c.partitionCount());
            assertEquals(3, broker.partitionCount(app + "-counts-changelog"));
            assertEquals("compact", broker.topicConfig(app + "-counts-changelog", "cleanup.policy"));
            assertEquals(3, broker.partitionCount(app + "-windows-changelog"));
            assertEquals("compact,delete", broker.topicConfig(app + "-windows-changelog", "cleanup.policy"));
            assertEquals(Long.toString(Duration.ofMinutes(70).toMillis()), broker.topicConfig(app + "-windows-changelog", "retention.ms"));
        }
    }

    @Test
    void openAcceptsExistingFittingTopicsAndCustomNames() {
        String app = unique("names");
        String input = app + "-in";
        broker.createTopic(input, 2);
        broker.createTopic("custom-" + app, 2, Map.of("cleanup.policy", "compact"));
        try (StateManager m = manager(tempDir("cl-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).topicName(s -> "custom-" + app).build())) {
            assertEquals(2, c.partitionCount());
            assertFalse(broker.topicExists(app + "-counts-changelog"));
        }
    }

    @Test
    void aChangelogWithTheWrongPartitionCountIsRefusedAndNothingIsCreated() {
        String app = unique("wrongparts");
        String input = app + "-in";
        broker.createTopic(input, 3);
        broker.createTopic(app + "-b-changelog", 2, Map.of("cleanup.policy", "compact"));
        try (StateManager m = manager(tempDir("cl-"), "a", "b")) {
            ChangelogTopicException e = assertThrows(ChangelogTopicException.class, () -> Changelog.open(m, null, options(app, input).build()));
            assertEquals(app + "-b-changelog", e.topic());
            assertTrue(e.getMessage().contains("has 2 partitions but input topic"), e.getMessage());
            assertFalse(broker.topicExists(app + "-a-changelog"), "the fitting store's topic must not be created");
        }
    }

    @Test
    void aChangelogWithTheWrongCleanupPolicyIsRefused() {
        String app = unique("wrongpolicy");
        String input = app + "-in";
        broker.createTopic(input, 1);
        broker.createTopic(app + "-a-changelog", 1, Map.of("cleanup.policy", "delete"));
        broker.createTopic(app + "-w-changelog", 1, Map.of("cleanup.policy", "compact"));
        try (StateManager m = manager(tempDir("cl-"), "a")) {
            ChangelogTopicException e = assertThrows(ChangelogTopicException.class, () -> Changelog.open(m, null, options(app, input).build()));
            assertTrue(e.getMessage().contains("cleanup.policy=delete but needs compact"), e.getMessage());
        }
        try (StateManager m = manager(tempDir("cl-"), "w")) {
            ChangelogTopicException e = assertThrows(ChangelogTopicException.class, () -> Changelog.open(m, null,
                options(app, input).windowedStore("w", Duration.ofHours(1)).build()));
            assertTrue(e.getMessage().contains("needs compact,delete"), e.getMessage());
        }
    }

    @Test
    void aMissingInputTopicIsRefused() {
        String app = unique("noinput");
        try (StateManager m = manager(tempDir("cl-"), "a")) {
            ChangelogTopicException e = assertThrows(ChangelogTopicException.class, () -> Changelog.open(m, null,
                options(app, app + "-missing").build()));
            assertEquals(app + "-missing", e.topic());
            assertFalse(broker.topicExists(app + "-a-changelog"));
        }
    }

    // ---------------------------------------------------------------- commits

    @Test
    void commitsProducePutsTombstonesTimestampsAndHeaders() {
        String app = unique("records");
        String input = app + "-in";
        broker.createTopic(input, 2);
        try (StateManager m = manager(tempDir("cl-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(1);
            assertFalse(c.isRestoring(), "an empty changelog needs no restore");
            ChangelogPartition p = c.partition(1);
            KeyValueStore counts = p.store("counts");
            TopicPartition in = new TopicPartition(input, 1);
            try (ChangelogTransaction tx = p.begin()) {
                tx.state().put(counts, utf8("a"), utf8("1"), 1_000L);
                tx.state().put(counts, utf8("b"), utf8("2"), 2_000L);
                tx.commit(Map.of(in, new OffsetAndMetadata(7)));
            }
            try (ChangelogTransaction tx = p.begin()) {
                assertTrue(tx.state().delete(counts, utf8("a"), 3_000L));
                tx.commit(Map.of(in, new OffsetAndMetadata(9)));
            }
            assertEquals(Map.of("b", "2"), contents(counts));
            assertEquals(9L, p.positions().inputOffsets().get(in));
            assertEquals(3L, p.positions().store("counts").offset(), "the next commit's base is after the 3 records");

            List<ConsumerRecord<byte[], byte[]>> log = broker.readAll(new TopicPartition(app + "-counts-changelog", 1), false);
            assertEquals(3, log.size());
            assertEquals("a", str(log.get(0).key()));
            assertEquals("1", str(log.get(0).value()));
            assertEquals(1_000L, log.get(0).timestamp());
            assertEquals("b", str(log.get(1).key()));
            assertEquals(2_000L, log.get(1).timestamp());
            assertEquals("a", str(log.get(2).key()));
            assertNull(log.get(2).value(), "a delete is a tombstone");
            assertEquals(3_000L, log.get(2).timestamp());
            Header input0 = log.get(0).headers().lastHeader(ChangelogPositions.INPUT_HEADER);
            assertEquals(Map.of(in, 7L), ChangelogPositions.decodeInputs(input0.value()));
            assertEquals(Map.of(in, 9L), ChangelogPositions.decodeInputs(log.get(2).headers().lastHeader(ChangelogPositions.INPUT_HEADER).value()));
            long id0 = ChangelogPositions.commitOf(log.get(0).headers().lastHeader(ChangelogPositions.COMMIT_HEADER).value());
            long id1 = ChangelogPositions.commitOf(log.get(1).headers().lastHeader(ChangelogPositions.COMMIT_HEADER).value());
            long id2 = ChangelogPositions.commitOf(log.get(2).headers().lastHeader(ChangelogPositions.COMMIT_HEADER).value());
            assertEquals(id0, id1, "records of one commit share its id");
            assertTrue(id0 != id2 && id0 != 0 && id2 != 0);
        }
    }

    @Test
    void anAbortedOrRefusedTransactionProducesNothing() {
        String app = unique("abort");
        String input = app + "-in";
        broker.createTopic(input, 1);
        try (StateManager m = manager(tempDir("cl-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            ChangelogPartition p = c.partition(0);
            KeyValueStore counts = p.store("counts");
            try (ChangelogTransaction tx = p.begin()) {
                tx.state().put(counts, utf8("a"), utf8("1"));
                tx.abort();
                assertThrows(IllegalStateException.class, () -> tx.commit());
            }
            try (ChangelogTransaction tx = p.begin()) {
                tx.state().put(counts, utf8("b"), utf8("1"));
            } // closed without commit: aborted
            assertThrows(IllegalStateException.class, () -> c.assign(0));
            assertThrows(IllegalArgumentException.class, () -> c.assign(1));
            assertThrows(IllegalStateException.class, () -> c.revoke(1));
            assertEquals(0, counts.size());
            assertEquals(0, broker.readAll(new TopicPartition(app + "-counts-changelog", 0), false).size());
        }
    }

    // ---------------------------------------------------------------- recovery

    /** Commits {@code n} keys k0..k(n-1) with value v{round}, in transactions of {@code perTx}. */
    private static void write(ChangelogPartition p, String store, int n, int perTx, String round) {
        KeyValueStore s = p.store(store);
        for (int i = 0; i < n; i += perTx) {
            try (ChangelogTransaction tx = p.begin()) {
                for (int j = i; j < Math.min(n, i + perTx); j++) {
                    tx.state().put(s, utf8("k" + j), utf8(round + ":" + j));
                }
                tx.commit();
            }
        }
    }

    private static Map<String, String> expected(int n, String round) {
        Map<String, String> m = new TreeMap<>();
        for (int j = 0; j < n; j++) {
            m.put("k" + j, round + ":" + j);
        }
        return m;
    }

    @Test
    void aNewOwnerRestoresTheStateFromTheChangelogWithProgress() {
        String app = unique("restore");
        String input = app + "-in";
        broker.createTopic(input, 2);
        try (StateManager m = manager(tempDir("cl-a-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0, 1);
            write(c.partition(0), "counts", 3_000, 500, "r1");
            write(c.partition(1), "counts", 10, 10, "p1");
            try (ChangelogTransaction tx = c.partition(0).begin()) {
                tx.state().delete(c.partition(0).store("counts"), utf8("k5"));
                tx.commit();
            }
        }
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(tempDir("cl-b-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreBatchRecords(700).restoreListener(listener).build())) {
            c.assign(0);
            assertTrue(c.isRestoring());
            assertEquals(ChangelogPartition.Phase.RESTORING, c.partition(0).phase());
            assertThrows(IllegalStateException.class, () -> c.partition(0).begin(), "no commits while restoring");
            assertTrue(c.restoreAll(Duration.ofSeconds(60)));
            ChangelogPartition p = c.partition(0);
            assertEquals(ChangelogPartition.Phase.ACTIVE, p.phase());
            Map<String, String> want = expected(3_000, "r1");
            want.remove("k5");
            assertEquals(want, contents(p.store("counts")));
            assertEquals(List.of(3_001L), listener.started);
            assertTrue(listener.progress.size() >= 4, "batches of at most 700 records: " + listener.progress);
            RestoreProgress last = listener.restored.get(0);
            assertEquals(3_001L, last.toDo());
            assertEquals(3_001L, last.done());
            assertEquals(3_001L, last.records());
            assertTrue(last.rate() > 0);
            assertEquals(List.of(), listener.rebuilds);
            assertEquals(3_001L, p.positions().store("counts").offset());
            // the restored partition continues the changelog
            write(p, "counts", 1, 1, "r2");
            assertEquals(3_002L, p.positions().store("counts").offset());
        }
    }

    @Test
    void withoutFetchAheadARestoreEndsInTheSameStateAndResumesAfterARevoke() {
        String app = unique("nofetch");
        String input = app + "-in";
        broker.createTopic(input, 1);
        try (StateManager m = manager(tempDir("cl-a-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            write(c.partition(0), "counts", 2_000, 500, "a");
        }
        Path dirB = tempDir("cl-b-");
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dirB, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreFetchAhead(false).restoreBatchRecords(300)
                 .restoreListener(listener).build())) {
            assertFalse(c.options().restoreFetchAhead());
            c.assign(0);
            while (listener.progress.isEmpty() || listener.progress.get(listener.progress.size() - 1).done() < 300) {
                assertTrue(c.restore());
            }
            c.revoke(0);
            assertTrue(listener.suspended.get(0).done() < 2_000, "revoked part way: " + listener.suspended.get(0));
        }
        long restoredBefore = listener.suspended.get(0).done();
        var again = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dirB, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreFetchAhead(false).restoreListener(again).build())) {
            c.assign(0);
            assertEquals(List.of(2_000L - restoredBefore), again.started, "resumes where the revoke stopped it");
            assertTrue(c.restoreAll(Duration.ofSeconds(60)));
            assertEquals(expected(2_000, "a"), contents(c.partition(0).store("counts")));
        }
    }

    @Test
    void aReturningOwnerReplaysOnlyTheGap() {
        String app = unique("gap");
        String input = app + "-in";
        broker.createTopic(input, 1);
        Path dirA = tempDir("cl-a-");
        try (StateManager m = manager(dirA, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            write(c.partition(0), "counts", 1_000, 250, "a");
        }
        try (StateManager m = manager(tempDir("cl-b-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(60)));
            write(c.partition(0), "counts", 100, 50, "b");
        }
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dirA, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreListener(listener).build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(60)));
            assertEquals(List.of(100L), listener.started, "only B's 100 records after A's offset");
            assertEquals(100L, listener.restored.get(0).records());
            Map<String, String> want = expected(1_000, "a");
            want.putAll(expected(100, "b"));
            assertEquals(want, contents(c.partition(0).store("counts")));
            assertEquals(List.of(), listener.rebuilds);
        }
    }

    @Test
    void anOffsetBelowTheEarliestRebuildsFromTheEarliestAndSaysSo() {
        String app = unique("range");
        String input = app + "-in";
        broker.createTopic(input, 1);
        Path dirA = tempDir("cl-a-");
        ChangelogOptions.Builder opts = options(app, input).windowedStore("w", Duration.ofDays(7));
        try (StateManager m = manager(dirA, "w");
             Changelog c = Changelog.open(m, null, opts.build())) {
            c.assign(0);
            write(c.partition(0), "w", 10, 10, "a");   // offsets 0..9, A records 10
        }
        try (StateManager m = manager(tempDir("cl-b-"), "w");
             Changelog c = Changelog.open(m, null, opts.build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(60)));
            try (ChangelogTransaction tx = c.partition(0).begin()) {   // offsets 10..14
                for (int j = 0; j < 5; j++) {
                    tx.state().put(c.partition(0).store("w"), utf8("x" + j), utf8("b"));
                }
                tx.commit();
            }
        }
        TopicPartition tp = new TopicPartition(app + "-w-changelog", 0);
        broker.deleteRecordsBefore(tp, 12);   // A's offset 10 is gone; x2..x4 remain
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dirA, "w");
             Changelog c = Changelog.open(m, null, opts.restoreListener(listener).build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(60)));
            assertEquals(1, listener.rebuilds.size(), listener.rebuilds.toString());
            assertTrue(listener.rebuilds.get(0).contains("offset out of range"), listener.rebuilds.get(0));
            assertTrue(listener.rebuilds.get(0).contains("below the changelog's earliest offset 12"), listener.rebuilds.get(0));
            assertEquals(Map.of("x2", "b", "x3", "b", "x4", "b"), contents(c.partition(0).store("w")),
                "the local keys not in the changelog any more are gone");
        }
    }

    @Test
    void anOffsetBeyondTheEndOfARecreatedTopicRebuilds() {
        String app = unique("beyond");
        String input = app + "-in";
        broker.createTopic(input, 1);
        Path dirA = tempDir("cl-a-");
        try (StateManager m = manager(dirA, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            write(c.partition(0), "counts", 20, 20, "a");
        }
        broker.deleteTopics(List.of(app + "-counts-changelog"));
        awaitGone(app + "-counts-changelog");
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dirA, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreListener(listener).build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(60)));
            assertEquals(1, listener.rebuilds.size());
            assertTrue(listener.rebuilds.get(0).contains("beyond the changelog's end offset 0"), listener.rebuilds.get(0));
            assertEquals(0, c.partition(0).store("counts").size());
        }
    }

    private static void awaitGone(String topic) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (broker.topicExists(topic)) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError(topic + " still exists 30 s after its deletion");
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void aRevokeDuringRecoveryStopsItAndTheNextAssignResumes() {
        String app = unique("suspend");
        String input = app + "-in";
        broker.createTopic(input, 1);
        try (StateManager m = manager(tempDir("cl-a-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            write(c.partition(0), "counts", 5_000, 1_000, "a");
        }
        Path dirB = tempDir("cl-b-");
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dirB, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreBatchRecords(500).restoreListener(listener).build())) {
            c.assign(0);
            while (listener.progress.isEmpty() || listener.progress.get(listener.progress.size() - 1).done() < 1_000) {
                assertTrue(c.restore());
            }
            c.revoke(0);
            assertEquals(1, listener.suspended.size());
            assertTrue(listener.suspended.get(0).done() < 5_000, "revoked part way: " + listener.suspended.get(0));
            assertTrue(c.assigned().isEmpty());
        }
        long restoredBefore = listener.suspended.get(0).done();
        var again = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dirB, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreBatchRecords(500).restoreListener(again).build())) {
            c.assign(0);
            assertEquals(List.of(5_000L - restoredBefore), again.started, "resumes where the revoke stopped it");
            assertTrue(c.restoreAll(Duration.ofSeconds(60)));
            assertEquals(expected(5_000, "a"), contents(c.partition(0).store("counts")));
            assertEquals(List.of(), again.rebuilds);
        }
    }

    @Test
    void aLocalStoreWithEntriesButNoChangelogOffsetIsRebuilt() {
        String app = unique("nooffset");
        String input = app + "-in";
        broker.createTopic(input, 1);
        Path dir = tempDir("cl-");
        try (StateManager m = manager(dir, "counts")) {
            m.assign(0);
            try (Transaction tx = m.partition(0).begin()) {
                tx.put(m.partition(0).store("counts"), utf8("stale"), utf8("x"));
                tx.commit();  // no positions at all
            }
        }
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dir, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreListener(listener).build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(30)));
            assertEquals(1, listener.rebuilds.size());
            assertEquals(0, c.partition(0).store("counts").size());
        }
        try (StateManager m = manager(tempDir("cl-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            m.assign(0);
            try (Transaction tx = m.partition(0).begin()) {
                tx.put(m.partition(0).store("counts"), utf8("k"), utf8("x"));
                tx.commit(utf8("not changelog positions"));
            }
            m.revoke(0);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> c.assign(0));
            assertTrue(e.getMessage().contains("committed without a changelog"), e.getMessage());
            assertTrue(c.assigned().isEmpty());
            assertTrue(m.assigned().isEmpty(), "the state partition is released again");
        }
    }

    @Test
    void positionsSurviveALocalRestartAndNothingIsReplayed() {
        String app = unique("restart");
        String input = app + "-in";
        broker.createTopic(input, 1);
        Path dir = tempDir("cl-");
        try (StateManager m = manager(dir, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            write(c.partition(0), "counts", 100, 100, "a");
        }
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(dir, "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreListener(listener).build())) {
            c.assign(0);
            // the revoke at close recorded where the last commit's records end
            assertFalse(c.isRestoring());
            assertEquals(expected(100, "a"), contents(c.partition(0).store("counts")));
            assertNotNull(c.partition(0).restoreProgress());
            assertEquals(List.of(0L), listener.started);
        }
    }

    // ---------------------------------------------------------------- standbys

    private static void tailUntilLevel(Changelog c, int p, long end) {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (c.standby(p).positions().store("counts") == null || c.standby(p).positions().store("counts").offset() < end) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("standby " + p + " did not reach offset " + end + ": " + c.standby(p).positions());
            }
            c.restore();
        }
    }

    @Test
    void aStandbyTailsTheChangelogAndIsPromotedReplayingOnlyItsLag() {
        String app = unique("standby");
        String input = app + "-in";
        broker.createTopic(input, 2);
        TopicPartition tp = new TopicPartition(app + "-counts-changelog", 0);
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager ma = manager(tempDir("sb-a-"), "counts");
             Changelog a = Changelog.open(ma, null, options(app, input).build());
             StateManager mb = manager(tempDir("sb-b-"), "counts");
             Changelog b = Changelog.open(mb, null, options(app, input).restoreListener(listener).build())) {
            a.assign(0);
            write(a.partition(0), "counts", 1_000, 250, "a");
            b.assignStandby(0);
            assertEquals(java.util.Set.of(0), b.standbys());
            assertFalse(b.isRestoring(), "a standby does not hold up the input");
            assertThrows(IllegalStateException.class, () -> b.standby(0).begin());
            assertThrows(IllegalStateException.class, () -> b.assignStandby(0));
            tailUntilLevel(b, 0, 1_000);
            assertEquals(expected(1_000, "a"), contents(b.standby(0).store("counts")));

            write(a.partition(0), "counts", 300, 300, "a2");
            tailUntilLevel(b, 0, 1_300);
            Map<String, String> want = expected(1_000, "a");
            want.putAll(expected(300, "a2"));
            assertEquals(want, contents(b.standby(0).store("counts")), "the standby follows");

            write(a.partition(0), "counts", 50, 50, "a3");
            a.revoke(0);
            assertEquals(1_350, broker.offsets(tp)[1]);
            b.assign(0);   // promotion
            assertTrue(b.standbys().isEmpty());
            assertEquals(List.of(50L), listener.started, "only the lag is replayed");
            assertTrue(b.restoreAll(Duration.ofSeconds(30)));
            want.putAll(expected(50, "a3"));
            assertEquals(want, contents(b.partition(0).store("counts")));
            write(b.partition(0), "counts", 1, 1, "b");
            assertEquals(1_351, broker.offsets(tp)[1]);

            b.assignStandby(1);
            b.revokeStandby(1);
            assertThrows(IllegalStateException.class, () -> b.revokeStandby(1));
            assertEquals(java.util.Set.of(0), mb.assigned());
        }
    }

    @Test
    void aChangelogWhoseHeadWasCompactedRestoresTheLatestValues() throws InterruptedException {
        String app = unique("compacted");
        String input = app + "-in";
        broker.createTopic(input, 1);
        String topic = app + "-counts-changelog";
        // a topic that compacts at once: segments roll after 100 ms, any dirty ratio is cleaned
        broker.createTopic(topic, 1, Map.of("cleanup.policy", "compact", "segment.ms", "100",
            "min.cleanable.dirty.ratio", "0.001", "delete.retention.ms", "0", "min.compaction.lag.ms", "0"));
        TopicPartition tp = new TopicPartition(topic, 0);
        try (StateManager m = manager(tempDir("cp-a-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).build())) {
            c.assign(0);
            for (int round = 0; round < 10; round++) {
                write(c.partition(0), "counts", 50, 50, "r" + round);
                Thread.sleep(150); // let the segment roll, so that the earlier rounds become cleanable
            }
            try (ChangelogTransaction tx = c.partition(0).begin()) {
                tx.state().delete(c.partition(0).store("counts"), utf8("k0"));
                tx.commit();
            }
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            do {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("the broker did not compact " + topic + " within 90 s");
                }
                Thread.sleep(200);
                try (ChangelogTransaction tx = c.partition(0).begin()) {   // rolls the active segment again
                    tx.state().put(c.partition(0).store("counts"), utf8("roll"), utf8("x"));
                    tx.commit();
                }
            } while (broker.readAll(tp, false).size() >= 502);
        }
        long end = broker.offsets(tp)[1];
        var listener = new ChangelogTestSupport.RecordingListener();
        try (StateManager m = manager(tempDir("cp-b-"), "counts");
             Changelog c = Changelog.open(m, null, options(app, input).restoreListener(listener).build())) {
            c.assign(0);
            assertTrue(c.restoreAll(Duration.ofSeconds(30)));
            Map<String, String> want = expected(50, "r9");
            want.remove("k0");
            want.put("roll", "x");
            assertEquals(want, contents(c.partition(0).store("counts")));
            RestoreProgress done = listener.restored.get(0);
            assertEquals(end, done.toDo(), "every offset up to the end is covered");
            assertTrue(done.records() < end, "fewer records than offsets: the head was compacted (" + done + ")");
            assertEquals(List.of(), listener.rebuilds);
        }
    }

    // ---------------------------------------------------------------- global table

    private static List<ProducerRecord<byte[], byte[]>> tableRecords(String topic, int from, int to, int partitions) {
        List<ProducerRecord<byte[], byte[]>> rs = new java.util.ArrayList<>();
        for (int i = from; i < to; i++) {
            rs.add(new ProducerRecord<>(topic, i % partitions, utf8("g" + (i % 300)), utf8("v" + i)));
        }
        return rs;
    }

    private static Map<String, String> tableModel(int to) {
        Map<String, String> m = new TreeMap<>();
        for (int i = 0; i < to; i++) {
            m.put("g" + (i % 300), "v" + i);
        }
        return m;
    }

    @Test
    void aGlobalTableHoldsEveryPartitionResumesAfterReopenAndBootstrapsToTheEndAsOfItsStart() throws Exception {
        String topic = unique("global");
        broker.createTopic(topic, 3);
        broker.produce(tableRecords(topic, 0, 900, 3));
        // g0 lives in partition 0 only (900 % 3 == 0): a tombstone there deletes it
        broker.produce(List.of(new ProducerRecord<>(topic, 0, utf8("g0"), null)));
        Path dir = tempDir("global-");
        Map<String, Object> config = Map.of("bootstrap.servers", broker.bootstrap());
        io.offstate.engine.StoreOptions so = io.offstate.engine.StoreOptions.builder().name("global").build();
        Map<String, String> want = tableModel(900);
        want.remove("g0");
        try (GlobalTable t = GlobalTable.open(dir, so, topic, config, 100)) {
            assertEquals(900 + 1, t.bootstrap(Duration.ofSeconds(30)));
            assertEquals(want, contents(t.store()));
            broker.produce(tableRecords(topic, 900, 1_200, 3));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            long got = 0;
            while (got < 300) {
                assertTrue(System.nanoTime() < deadline, "update() applied " + got + " of 300 in 30 s");
                got += t.update();
            }
            want = tableModel(1_200);
            assertEquals(want, contents(t.store()), "kept up to date");
        }
        broker.produce(tableRecords(topic, 1_200, 1_230, 3));
        // a producer that never stops: bootstrap must still return
        AtomicBoolean stop = new AtomicBoolean();
        Thread writer = new Thread(() -> {
            try (var producer = broker.producer()) {
                int i = 10_000;
                while (!stop.get()) {
                    producer.send(new ProducerRecord<>(topic, i % 3, utf8("live" + (i % 10)), utf8("x")));
                    i++;
                    java.util.concurrent.locks.LockSupport.parkNanos(200_000); // about 5 000 records/s
                }
            }
        });
        writer.start();
        try (GlobalTable t = GlobalTable.open(dir, so, topic, config, 100)) {
            long n = t.bootstrap(Duration.ofSeconds(60));
            assertTrue(n >= 30, "resumes from the last flush: " + n);
            Map<String, String> now = contents(t.store());
            Map<String, String> base = tableModel(1_230);
            for (Map.Entry<String, String> e : base.entrySet()) {
                assertEquals(e.getValue(), now.get(e.getKey()));
            }
        } finally {
            stop.set(true);
            writer.join();
        }
        assertThrows(IllegalArgumentException.class, () -> GlobalTable.open(tempDir("global-"), so, unique("missing"), config, 100));
    }

    @Test
    void atLeastOnceCommitsTheInputOffsetsThroughTheConsumerAfterTheState() throws Exception {
        String app = unique("aloso");
        String input = app + "-in";
        broker.createTopic(input, 1);
        TopicPartition in = new TopicPartition(input, 0);
        Map<String, Object> cc = new java.util.HashMap<>();
        cc.put("bootstrap.servers", broker.bootstrap());
        cc.put("group.id", app);
        cc.put("enable.auto.commit", false);
        cc.put("key.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
        cc.put("value.deserializer", org.apache.kafka.common.serialization.ByteArrayDeserializer.class);
        try (var consumer = new org.apache.kafka.clients.consumer.KafkaConsumer<byte[], byte[]>(cc);
             StateManager m = manager(tempDir("cl-"), "counts");
             Changelog c = Changelog.open(m, consumer, options(app, input).build())) {
            consumer.assign(List.of(in));
            c.assign(0);
            ChangelogPartition p = c.partition(0);
            try (ChangelogTransaction tx = p.begin()) {
                tx.state().put(p.store("counts"), utf8("a"), utf8("1"));
                tx.commit(Map.of(in, new OffsetAndMetadata(11)));
            }
            var offsets = broker.admin().listConsumerGroupOffsets(app).partitionsToOffsetAndMetadata()
                .get(30, java.util.concurrent.TimeUnit.SECONDS);
            assertEquals(11L, offsets.get(in).offset());
            assertEquals(11L, p.positions().inputOffsets().get(in), "and in the positions committed with the state");
            try (var other = broker.consumer(false)) {
                assertThrows(IllegalArgumentException.class, () -> c.poll(other, Duration.ZERO),
                    "poll only the changelog's own consumer");
            }
        }
    }
}
