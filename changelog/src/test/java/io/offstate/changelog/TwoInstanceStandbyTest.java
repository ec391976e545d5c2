package io.offstate.changelog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
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
 * Two instances of the word count in one consumer group, each keeping standbys of the partitions
 * it does not own (issue 17's "partitions move between them, state follows, standbys promote,
 * counts stay exact"), against a real broker, while input keeps arriving: A starts alone, B joins
 * (it takes partitions from A; A keeps standbys of them), A leaves politely (B promotes its
 * standbys of A's partitions, replaying only their lag), then C, a child JVM, joins, takes
 * partitions from B and is SIGKILLed (B promotes its standbys of them once C's session expires).
 * Every key's count is exact in the output topic, the changelog and B's stores.
 *
 * <p>The consumers use the default (eager) assignment protocol, as the README's example: every
 * rebalance revokes every partition, each instance makes them standbys at once and promotes the
 * ones it gets back (lag about 0); the partitions that moved must be among the promotions, each
 * with a lag far below its changelog's length.
 *
 * <p>The instances run on threads of their own: on the common fork-join pool (what
 * {@code CompletableFuture.runAsync} uses) a 2-core machine runs one task at a time, so a second
 * instance would only start once the first stopped and no partition would ever move to a standby.
 */
class TwoInstanceStandbyTest {
    private static final int PARTITIONS = 4;
    private static final int WORDS = 41;
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

    /** A partition assigned while it was a standby here: how far the standby was and what the promotion replayed. */
    record Promotion(int partition, long standbyOffset, long toDo) {
    }

    /**
     * One instance: the README's word count plus standbys of every partition it does not own
     * (a partition revoked from it becomes a standby at once). What the test reads (assignment,
     * promotions, a snapshot of the counts) is published by its thread.
     */
    static final class Instance implements Runnable {
        final String name;
        final Path dir;
        final String bootstrap;
        final String app;
        final String words;
        final String out;
        final Map<String, Object> extraConsumerConfig;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong processed;
        final List<String> events = new CopyOnWriteArrayList<>();
        final List<Promotion> promotions = new CopyOnWriteArrayList<>();
        /** Partition -> records applied by its last restore (promotion or full restore). */
        final Map<Integer, Long> restoredRecords = new ConcurrentHashMap<>();
        volatile Set<Integer> assigned = Set.of();
        volatile Set<Integer> standbys = Set.of();
        volatile Set<Integer> restoring = Set.of();
        /** Standby partition -> the changelog offset it reached. */
        volatile Map<Integer, Long> standbyOffsets = Map.of();
        volatile CompletableFuture<Map<String, Long>> snapshot;
        final CompletableFuture<Void> done = new CompletableFuture<>();
        private final Map<Integer, Long> started = new HashMap<>();

        Instance(String name, Path dir, String bootstrap, String app, String words, String out,
                 Map<String, Object> extraConsumerConfig, AtomicLong processed) {
            this.name = name;
            this.dir = dir;
            this.bootstrap = bootstrap;
            this.app = app;
            this.words = words;
            this.out = out;
            this.extraConsumerConfig = extraConsumerConfig;
            this.processed = processed;
        }

        Instance start() {
            Thread t = new Thread(this, "instance-" + name);
            t.setDaemon(true);
            t.start();
            return this;
        }

        void event(String e) {
            events.add(e);
            System.err.println("[" + name + "] " + e);
        }

        @Override
        public void run() {
            try {
                loop();
                done.complete(null);
            } catch (Throwable e) {
                event("died: " + e);
                done.completeExceptionally(e);
            }
        }

        private void loop() {
            Map<String, Object> cc = new HashMap<>(Map.of(
                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.GROUP_ID_CONFIG, app,
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",
                ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
                ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
                // small batches: many commits, a changelog much longer than a standby's lag
                ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 20));
            cc.putAll(extraConsumerConfig);
            RestoreListener restores = new RestoreListener() {
                @Override
                public void started(int partition, long toDo) {
                    started.put(partition, toDo);
                }

                @Override
                public void restored(RestoreProgress p) {
                    restoredRecords.put(p.partition(), p.records());
                    event("restored " + p);
                }
            };
            try (StateManager manager = ChangelogTestSupport.manager(dir, "counts");
                 KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(cc)) {
                ChangelogOptions options = ChangelogOptions.builder(app, bootstrap, words)
                    .guarantee(Guarantee.EXACTLY_ONCE).restoreListener(restores).build();
                try (Changelog changelog = Changelog.open(manager, consumer, options)) {
                    consumer.subscribe(List.of(words), listener(changelog));
                    while (!stop.get()) {
                        ConsumerRecords<byte[], byte[]> records = changelog.poll(consumer, Duration.ofMillis(50));
                        for (TopicPartition tp : records.partitions()) {
                            count(changelog.partition(tp.partition()), tp, records.records(tp));
                        }
                        publish(changelog);
                        CompletableFuture<Map<String, Long>> s = snapshot;
                        if (s != null && changelog.assigned().size() == PARTITIONS && !changelog.isRestoring()) {
                            snapshot = null;
                            s.complete(counts(changelog));
                        }
                    }
                }
            }
        }

        private void count(ChangelogPartition partition, TopicPartition tp, List<ConsumerRecord<byte[], byte[]>> batch) {
            KeyValueStore counts = partition.store("counts");
            try (ChangelogTransaction tx = partition.begin()) {
                for (ConsumerRecord<byte[], byte[]> record : batch) {
                    byte[] old = tx.state().getCopy(counts, record.key());
                    long count = (old == null ? 0 : ByteBuffer.wrap(old).getLong()) + 1;
                    tx.state().put(counts, record.key(), ByteBuffer.allocate(8).putLong(count).array(), record.timestamp());
                    tx.send(new ProducerRecord<>(out, record.key(), Long.toString(count).getBytes(StandardCharsets.UTF_8)));
                }
                tx.commit(Map.of(tp, new OffsetAndMetadata(batch.get(batch.size() - 1).offset() + 1)));
            }
            processed.addAndGet(batch.size());
        }

        private ConsumerRebalanceListener listener(Changelog changelog) {
            ConsumerRebalanceListener inner = changelog.rebalanceListener();
            return new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> tps) {
                    inner.onPartitionsRevoked(tps);
                    if (!tps.isEmpty()) {
                        event("revoked " + ids(tps));
                    }
                    standbyTheRest(changelog);
                }

                @Override
                public void onPartitionsLost(Collection<TopicPartition> tps) {
                    inner.onPartitionsLost(tps);
                    event("lost " + ids(tps));
                    standbyTheRest(changelog);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> tps) {
                    Map<Integer, Long> standbyOffsets = new TreeMap<>();
                    for (TopicPartition tp : tps) {
                        if (changelog.standbys().contains(tp.partition())) {
                            ChangelogPositions.StoreOffset so = changelog.standby(tp.partition()).positions().store("counts");
                            standbyOffsets.put(tp.partition(), so == null ? 0 : so.offset());
                        }
                    }
                    started.clear();
                    inner.onPartitionsAssigned(tps);   // promotes the standbys among them
                    List<String> now = new ArrayList<>();
                    for (Map.Entry<Integer, Long> e : standbyOffsets.entrySet()) {
                        Promotion p = new Promotion(e.getKey(), e.getValue(), started.getOrDefault(e.getKey(), -1L));
                        promotions.add(p);
                        now.add(p.partition() + "@" + p.standbyOffset() + "+" + p.toDo());
                    }
                    if (!tps.isEmpty()) {
                        event("assigned " + ids(tps) + ", promoted from standbys (partition@offset+lag): " + now
                            + ", restores (offsets to do) " + started);
                    }
                    standbyTheRest(changelog);
                }
            };
        }

        private void standbyTheRest(Changelog changelog) {
            if (stop.get()) {
                return; // closing: the consumer's close revokes after the changelog closed
            }
            for (int p = 0; p < changelog.partitionCount(); p++) {
                if (!changelog.assigned().contains(p) && !changelog.standbys().contains(p)) {
                    changelog.assignStandby(p);
                }
            }
            publish(changelog);
        }

        private void publish(Changelog changelog) {
            assigned = changelog.assigned();
            standbys = changelog.standbys();
            Set<Integer> r = new TreeSet<>();
            for (int p : assigned) {
                if (changelog.partition(p).isRestoring()) {
                    r.add(p);
                }
            }
            restoring = r;
            Map<Integer, Long> offsets = new TreeMap<>();
            for (int p : standbys) {
                ChangelogPositions.StoreOffset so = changelog.standby(p).positions().store("counts");
                offsets.put(p, so == null ? 0 : so.offset());
            }
            standbyOffsets = offsets;
        }

        private static Map<String, Long> counts(Changelog changelog) {
            Map<String, Long> m = new TreeMap<>();
            for (int p : changelog.assigned()) {
                changelog.partition(p).store("counts").forEach((k, v) -> m.put(
                    new String(k.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8),
                    ByteBuffer.wrap(v.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)).getLong()));
            }
            return m;
        }

        /** The counts in this instance's stores, once it owns every partition and none is restoring. */
        Map<String, Long> snapshot(int seconds) throws Exception {
            CompletableFuture<Map<String, Long>> s = new CompletableFuture<>();
            snapshot = s;
            try {
                return s.get(seconds, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError(name + " did not come to own every partition, restored, within " + seconds
                    + " s (assigned " + assigned + ", restoring " + restoring + "); events: " + events);
            }
        }

        void close() throws Exception {
            stop.set(true);
            try {
                done.get(60, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new AssertionError(name + " did not close within 60 s; events: " + events);
            }
        }

        private static Set<Integer> ids(Collection<TopicPartition> tps) {
            Set<Integer> s = new TreeSet<>();
            for (TopicPartition tp : tps) {
                s.add(tp.partition());
            }
            return s;
        }
    }

    /** An instance in a child JVM: {@code main(stateDir, bootstrap, application, words, out)}; runs until killed. */
    static final class Child {
        public static void main(String[] args) throws Exception {
            Instance c = new Instance("C", Path.of(args[0]), args[1], args[2], args[3], args[4],
                // its death is noticed when its session expires: the shortest the broker allows
                Map.of(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 6_000, ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, 1_000),
                new AtomicLong());
            c.run();
            c.done.get();
        }
    }

    // ---------------------------------------------------------------- the test

    @Test
    void partitionsMoveBetweenTwoInstancesStandbysArePromotedReplayingOnlyTheirLagAndCountsStayExact() throws Exception {
        String app = ChangelogTestSupport.unique("two-standby");
        String words = app + "-words";
        String out = app + "-out";
        String changelogTopic = app + "-counts-changelog";
        broker.createTopic(words, PARTITIONS);
        broker.createTopic(out, 1);
        AtomicLong processed = new AtomicLong();
        List<Instance> running = new CopyOnWriteArrayList<>();
        Path childLog = Files.createTempFile("two-standby-child-", ".log");
        Process child = null;
        try {
            // 1. A alone owns every partition
            Instance a = new Instance("A", ChangelogTestSupport.tempDir("two-a-"), broker.bootstrap(), app, words, out, Map.of(), processed);
            running.add(a.start());
            produceWords(words, 0, 1_500);
            await(() -> processed.get() >= 1_500, () -> "A processed " + processed.get() + " of 1500", running);
            assertEquals(Set.of(0, 1, 2, 3), a.assigned);

            // 2. B joins while input keeps coming: it takes partitions from A (a full restore there),
            //    A keeps standbys of what it gave up, B standbys of what A kept
            Instance b = new Instance("B", ChangelogTestSupport.tempDir("two-b-"), broker.bootstrap(), app, words, out, Map.of(), processed);
            running.add(b.start());
            CompletableFuture<Void> feed = feed(words, 1_500, 3_500);
            await(() -> !b.assigned.isEmpty() && b.restoring.isEmpty() && b.assigned.size() + a.assigned.size() == PARTITIONS,
                () -> "B took no partitions from A (A " + a.assigned + ", B " + b.assigned + ", B restoring " + b.restoring + ")", running);
            feed.get(30, TimeUnit.SECONDS);
            await(() -> processed.get() >= 3_500, () -> "A and B processed " + processed.get() + " of 3500", running);
            Set<Integer> fromA = Set.copyOf(a.assigned);
            Set<Integer> ofB = Set.copyOf(b.assigned);
            assertFalse(fromA.isEmpty(), "A kept no partition: " + a.events);
            assertEquals(complement(fromA), a.standbys, "A keeps standbys of the partitions it does not own");
            assertEquals(complement(ofB), b.standbys, "B keeps standbys of the partitions it does not own");
            // the standbys follow the owners' commits: both reach the changelog's end once the input is done
            awaitStandbysLevel(changelogTopic, b, running);
            awaitStandbysLevel(changelogTopic, a, running);

            // 3. A leaves politely while input keeps coming: B promotes its standbys of A's partitions
            feed = feed(words, 3_500, 5_500);
            running.remove(a);
            a.close();
            feed.get(30, TimeUnit.SECONDS);
            await(() -> b.assigned.size() == PARTITIONS && processed.get() >= 5_500,
                () -> "B owns " + b.assigned + " and A and B processed " + processed.get() + " of 5500", running);
            assertEquals(5_500, processed.get(), "no record processed twice (the hand-overs are polite)");
            assertPromoted(b, fromA, changelogTopic, "A left");
            assertEquals(expectedCounts(5_500), b.snapshot(30), "B's stores hold every key's count: the state followed the partitions");

            // 4. C (a child JVM) joins, takes partitions from B, and is SIGKILLed: B promotes its standbys of them
            child = startChild(ChangelogTestSupport.tempDir("two-c-"), app, words, out, childLog);
            Process c = child;
            // the input comes once C owns partitions (its JVM takes a while to start): C must have some to process
            java.util.concurrent.atomic.AtomicReference<CompletableFuture<Void>> feeding = new java.util.concurrent.atomic.AtomicReference<>();
            Set<Integer> ofC = awaitCWorking(app, b, childLog, running, () -> feeding.set(feed(words, 5_500, 7_500, 40)));
            feed = feeding.get();
            assertTrue(c.isAlive(), "C died by itself; its output:\n" + read(childLog));
            int promotedBefore = b.promotions.size();
            c.destroyForcibly();   // SIGKILL: C's open transaction is aborted when B's producer fences it
            assertTrue(c.waitFor(30, TimeUnit.SECONDS), "C did not die on SIGKILL");
            feed.get(30, TimeUnit.SECONDS);
            await(() -> b.assigned.size() == PARTITIONS && committed(app, Set.of(0, 1, 2, 3)) >= 7_500,
                () -> "after C was killed B owns " + b.assigned + ", committed " + committed(app, Set.of(0, 1, 2, 3)) + " of 7500", running);
            assertPromoted(b, ofC, changelogTopic, "C was killed", promotedBefore);
            assertEquals(expectedCounts(7_500), b.snapshot(30), "B's stores hold every key's count after C's death");

            running.remove(b);
            b.close();
            assertEquals(7_500, committed(app, Set.of(0, 1, 2, 3)), "every input record committed once");
            assertEquals(expectedCounts(7_500), outputCounts(out), "the output's last count per key is exact");
            assertEquals(expectedCounts(7_500), changelogCounts(changelogTopic), "the changelog's last count per key is exact");
        } finally {
            for (Instance i : running) {
                i.stop.set(true);
            }
            if (child != null) {
                child.destroyForcibly();
                child.waitFor(30, TimeUnit.SECONDS);
            }
        }
    }

    /**
     * {@code moved} were all promoted on {@code to} from standbys, each replaying a lag well below
     * the changelog it would otherwise have replayed whole.
     */
    private static void assertPromoted(Instance to, Set<Integer> moved, String changelogTopic, String why) throws Exception {
        assertPromoted(to, moved, changelogTopic, why, 0);
    }

    private static void assertPromoted(Instance to, Set<Integer> moved, String changelogTopic, String why, int from) throws Exception {
        List<Promotion> ps = to.promotions.subList(from, to.promotions.size());
        Set<Integer> promoted = new TreeSet<>();
        for (Promotion p : ps) {
            promoted.add(p.partition());
        }
        // the default (eager) protocol revokes every partition at a rebalance: the instance's own
        // partitions become standbys too and are promoted back; the moved ones must be among them
        assertTrue(promoted.containsAll(moved), "after " + why + ", " + to.name + " promoted " + promoted
            + " from standbys, not all of the moved " + moved + "; events: " + to.events);
        Map<TopicPartition, Long> ends = endOffsets(changelogTopic);
        for (Promotion p : ps) {
            long end = ends.get(new TopicPartition(changelogTopic, p.partition()));
            assertTrue(p.toDo() >= 0, "promotion of " + p + " restored nothing? events: " + to.events);
            // a changelog of hundreds of commits; the standby had followed it to within a few of them
            assertTrue(p.standbyOffset() > 0 && p.toDo() * 4 < p.standbyOffset() + p.toDo(),
                "after " + why + ", partition " + p.partition() + " was promoted at offset " + p.standbyOffset() + " and replayed "
                    + p.toDo() + " offsets: not just a lag (changelog end now " + end + "); events: " + to.events);
            long records = to.restoredRecords.getOrDefault(p.partition(), -1L);
            assertTrue(records >= 0 && records * 4 < end, "partition " + p.partition() + "'s promotion applied " + records
                + " records of a changelog of " + end + " offsets; events: " + to.events);
        }
    }

    /**
     * Waits until C owns some partitions (B the others, restored, with standbys of C's) and has
     * committed input on them; returns C's partitions. A rebalance in between starts the wait over.
     */
    private static Set<Integer> awaitCWorking(String app, Instance b, Path childLog, List<Instance> running, Runnable startFeed)
            throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            await(() -> {
                Set<Integer> owned = b.assigned;
                return !owned.isEmpty() && owned.size() < PARTITIONS && b.restoring.isEmpty() && b.standbys.equals(complement(owned));
            }, () -> "C took no partition from B (B owns " + b.assigned + ", standbys " + b.standbys + "); C's output:\n" + read(childLog),
                running);
            Set<Integer> owned = b.assigned;
            Set<Integer> ofC = complement(owned);
            long baseline = committed(app, ofC);
            if (startFeed != null) {
                startFeed.run();
                startFeed = null;
            }
            while (owned.equals(b.assigned) && committed(app, ofC) <= baseline + 50) {
                assertTrue(System.nanoTime() < deadline, "C committed nothing on " + ofC + " in 60 s; C's output:\n" + read(childLog));
                Thread.sleep(50);
            }
            if (owned.equals(b.assigned)) {
                return ofC;
            }
        }
    }

    /** Waits until every standby of {@code i} reached its changelog's end (the input is idle then). */
    private static void awaitStandbysLevel(String changelogTopic, Instance i, List<Instance> running) throws Exception {
        // the owners' last commits must be in before the ends are read: wait until the ends stop moving
        await(() -> {
            Map<TopicPartition, Long> ends = endOffsets(changelogTopic);
            return ends.equals(endOffsets(changelogTopic));
        }, () -> "the changelog keeps growing with no input", running);
        Map<TopicPartition, Long> ends = endOffsets(changelogTopic);
        await(() -> i.standbyOffsets.entrySet().stream().allMatch(e ->
                e.getValue() >= ends.get(new TopicPartition(changelogTopic, e.getKey())) - 1),
            () -> i.name + "'s standbys " + i.standbyOffsets + " did not reach the changelog's ends " + ends, running);
    }

    // ---------------------------------------------------------------- helpers

    private static Set<Integer> complement(Set<Integer> s) {
        Set<Integer> c = new TreeSet<>();
        for (int p = 0; p < PARTITIONS; p++) {
            if (!s.contains(p)) {
                c.add(p);
            }
        }
        return Collections.unmodifiableSet(c);
    }

    private static void await(BooleanSupplier condition, Supplier<String> failure, List<Instance> running) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!condition.getAsBoolean()) {
            for (Instance i : running) {
                if (i.done.isDone()) {
                    i.done.join(); // rethrows what it died of
                    throw new AssertionError(i.name + " stopped by itself; events: " + i.events);
                }
            }
            if (System.nanoTime() > deadline) {
                StringBuilder events = new StringBuilder();
                for (Instance i : running) {
                    events.append("\n").append(i.name).append(": ").append(i.events);
                }
                throw new AssertionError("not within 60 s: " + failure.get() + events);
            }
            Thread.sleep(50);
        }
    }

    /** Produces {@code [from, to)} in small paced batches on a thread of its own: input arrives while partitions move. */
    private static CompletableFuture<Void> feed(String topic, int from, int to) {
        return feed(topic, from, to, 20);
    }

    /** As above, pausing {@code pauseMillis} between batches of 100. */
    private static CompletableFuture<Void> feed(String topic, int from, int to, long pauseMillis) {
        CompletableFuture<Void> f = new CompletableFuture<>();
        Thread t = new Thread(() -> {
            try {
                for (int i = from; i < to; i += 100) {
                    produceWords(topic, i, Math.min(to, i + 100));
                    Thread.sleep(pauseMillis);
                }
                f.complete(null);
            } catch (Throwable e) {
                f.completeExceptionally(e);
            }
        }, "feed");
        t.setDaemon(true);
        t.start();
        return f;
    }

    private static void produceWords(String topic, int from, int to) {
        List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
        for (int i = from; i < to; i++) {
            byte[] w = ("w" + (i * 7 % WORDS)).getBytes(StandardCharsets.UTF_8);
            records.add(new ProducerRecord<>(topic, w, w));
        }
        broker.produce(records);
    }

    private static Map<String, Long> expectedCounts(int n) {
        Map<String, Long> m = new TreeMap<>();
        for (int i = 0; i < n; i++) {
            m.merge("w" + (i * 7 % WORDS), 1L, Long::sum);
        }
        return m;
    }

    private static Map<String, Long> outputCounts(String topic) {
        Map<String, Long> m = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : broker.readAll(new TopicPartition(topic, 0), true)) {
            m.put(new String(r.key(), StandardCharsets.UTF_8), Long.parseLong(new String(r.value(), StandardCharsets.UTF_8)));
        }
        return m;
    }

    private static Map<String, Long> changelogCounts(String topic) {
        Map<String, Long> m = new TreeMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            for (ConsumerRecord<byte[], byte[]> r : broker.readAll(new TopicPartition(topic, p), true)) {
                m.put(new String(r.key(), StandardCharsets.UTF_8), ByteBuffer.wrap(r.value()).getLong());
            }
        }
        return m;
    }

    private static Map<TopicPartition, Long> endOffsets(String topic) {
        Map<TopicPartition, OffsetSpec> specs = new HashMap<>();
        for (int p = 0; p < PARTITIONS; p++) {
            specs.put(new TopicPartition(topic, p), OffsetSpec.latest());
        }
        try {
            Map<TopicPartition, Long> ends = new HashMap<>();
            broker.admin().listOffsets(specs).all().get(30, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
            return ends;
        } catch (Exception e) {
            throw new AssertionError("listing the end offsets of " + topic + " failed: " + e, e);
        }
    }

    private static long committed(String group, Set<Integer> partitions) {
        try {
            long sum = 0;
            for (Map.Entry<TopicPartition, OffsetAndMetadata> e : broker.admin().listConsumerGroupOffsets(group)
                    .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS).entrySet()) {
                if (e.getValue() != null && partitions.contains(e.getKey().partition())) {
                    sum += e.getValue().offset();
                }
            }
            return sum;
        } catch (Exception e) {
            throw new AssertionError("reading the group's offsets failed: " + e, e);
        }
    }

    private static Process startChild(Path dir, String app, String words, String out, Path log) throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "--enable-native-access=ALL-UNNAMED", "-cp",
            System.getProperty("java.class.path"), Child.class.getName(), dir.toString(), broker.bootstrap(), app, words, out);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return pb.start();
    }

    private static String read(Path log) {
        try {
            String s = Files.readString(log);
            return s.length() > 20_000 ? s.substring(s.length() - 20_000) : s;
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }
}
