package io.offstate.changelog;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerConfig;
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
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StoreOptions;

/**
 * The README's processor loop, a word count under exactly-once, against a real broker: one
 * instance, a restart on an empty state directory (state restored from the changelog), two
 * instances sharing the consumer group while partitions move between them, and an instance in a
 * child JVM SIGKILLed at random moments, once also with the broker (a child JVM too) SIGKILLed and
 * restarted. Two instances with standbys of each other's partitions: {@link TwoInstanceStandbyTest}.
 */
class WordCountExampleTest {
    private static KafkaBroker broker;

    @BeforeAll
    static void startBroker() {
        // a child JVM: the kill test's broker restart is a SIGKILL of the broker's process
        broker = KafkaBroker.startInChildJvm();
    }

    @AfterAll
    static void stopBroker() {
        if (broker != null) {
            broker.close();
        }
    }

    /**
     * The example: consume words (each record's key is a word), count them in a transaction, send
     * each new count to {@code word-counts}, commit — until {@code stop} is set.
     */
    static void wordCount(Path stateDir, String bootstrap, String words, String wordCounts, AtomicBoolean stop,
                          AtomicLong processed) {
        wordCount(stateDir, bootstrap, "wordcount", words, wordCounts, Map.of(), stop, processed);
    }

    /** As above, as application {@code application} (group id and changelog prefix), with extra consumer configs. */
    static void wordCount(Path stateDir, String bootstrap, String application, String words, String wordCounts,
                          Map<String, Object> extraConsumerConfig, AtomicBoolean stop, AtomicLong processed) {
        Map<String, Object> consumerConfig = new HashMap<>(Map.of(
            ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
            ConsumerConfig.GROUP_ID_CONFIG, application,
            ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed",       // exactly-once needs both
            ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false,
            ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest",
            ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class,
            ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class));
        consumerConfig.putAll(extraConsumerConfig);
        // --- README example: begin
        try (StateManager manager = StateManager.open(StateManagerOptions.builder(stateDir).build());
             KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(consumerConfig)) {
            manager.define(StoreOptions.builder().name("counts").build());
            ChangelogOptions options = ChangelogOptions.builder(application, bootstrap, words)
                .guarantee(Guarantee.EXACTLY_ONCE)                      // changelog topic: <application>-counts-changelog
                .build();
            try (Changelog changelog = Changelog.open(manager, consumer, options)) {
                consumer.subscribe(List.of(words), changelog.rebalanceListener());  // assign = restore, revoke = flush
                while (!stop.get()) {
                    ConsumerRecords<byte[], byte[]> records = changelog.poll(consumer, Duration.ofMillis(100));
                    for (TopicPartition tp : records.partitions()) {
                        ChangelogPartition partition = changelog.partition(tp.partition());
                        KeyValueStore counts = partition.store("counts");
                        List<ConsumerRecord<byte[], byte[]>> batch = records.records(tp);
                        try (ChangelogTransaction tx = partition.begin()) {
                            for (ConsumerRecord<byte[], byte[]> record : batch) {
                                byte[] old = tx.state().getCopy(counts, record.key());
                                long count = (old == null ? 0 : ByteBuffer.wrap(old).getLong()) + 1;
                                tx.state().put(counts, record.key(), ByteBuffer.allocate(8).putLong(count).array(), record.timestamp());
                                tx.send(new ProducerRecord<>(wordCounts, record.key(),
                                    Long.toString(count).getBytes(StandardCharsets.UTF_8)));
                            }
                            long next = batch.get(batch.size() - 1).offset() + 1;
                            tx.commit(Map.of(tp, new OffsetAndMetadata(next)));   // state, changelog, output, offsets: all or nothing
                        } catch (ChangelogCommitException e) {   // nothing applied, input rewound (e.g. the group rebalanced)
                            if (e.inDoubt()) {
                                throw e;                                  // Kafka may have it: revoke and assign the partition
                            }
                            continue;                                     // the next poll brings the batch again
                        }
                        processed.addAndGet(batch.size());
                    }
                }
            }
        }
        // --- README example: end
    }

    private static final int WORDS = 41;

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

    /** The last committed count per word in the changelog (across partitions). */
    private static Map<String, Long> changelogCounts(String topic, int partitions) {
        Map<String, Long> m = new TreeMap<>();
        for (int p = 0; p < partitions; p++) {
            for (ConsumerRecord<byte[], byte[]> r : broker.readAll(new TopicPartition(topic, p), true)) {
                m.put(new String(r.key(), StandardCharsets.UTF_8), ByteBuffer.wrap(r.value()).getLong());
            }
        }
        return m;
    }

    /** The last committed count per word in the output topic. */
    private static Map<String, Long> outputCounts(String topic) {
        Map<String, Long> m = new TreeMap<>();
        for (ConsumerRecord<byte[], byte[]> r : broker.readAll(new TopicPartition(topic, 0), true)) {
            m.put(new String(r.key(), StandardCharsets.UTF_8), Long.parseLong(new String(r.value(), StandardCharsets.UTF_8)));
        }
        return m;
    }

    private static CompletableFuture<Void> start(Path dir, AtomicBoolean stop, AtomicLong processed) {
        // a thread of its own: the common pool runAsync would use has one thread on a 2-core machine,
        // where a second instance would only start once the first stopped (no partition would move)
        return CompletableFuture.runAsync(() -> wordCount(dir, broker.bootstrap(), "words", "word-counts", stop, processed),
            task -> {
                Thread t = new Thread(task, "wordcount-" + dir.getFileName());
                t.setDaemon(true);
                t.start();
            });
    }

    private static void awaitProcessed(AtomicLong processed, long n, List<CompletableFuture<Void>> running) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        while (processed.get() < n) {
            for (CompletableFuture<Void> f : running) {
                if (f.isDone()) {
                    f.join(); // rethrows what the instance died of
                    throw new AssertionError("an instance stopped before processing " + n + " records");
                }
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("processed " + processed.get() + " of " + n + " records in 120 s");
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void wordCountIsExactAcrossARestartOnAnEmptyDirectoryAndAcrossTwoInstances() throws Exception {
        broker.createTopic("words", 4);
        broker.createTopic("word-counts", 1);
        AtomicLong processed = new AtomicLong();

        // one instance
        produceWords("words", 0, 2_000);
        AtomicBoolean stop1 = new AtomicBoolean();
        CompletableFuture<Void> one = start(ChangelogTestSupport.tempDir("wc-1-"), stop1, processed);
        awaitProcessed(processed, 2_000, List.of(one));
        stop1.set(true);
        one.get(60, TimeUnit.SECONDS);
        assertEquals(2_000, processed.get(), "each record processed once");
        assertEquals(expectedCounts(2_000), changelogCounts("wordcount-counts-changelog", 4));
        assertEquals(expectedCounts(2_000), outputCounts("word-counts"));

        // a new instance on an empty directory restores the counts from the changelog and goes on
        produceWords("words", 2_000, 3_000);
        AtomicBoolean stop2 = new AtomicBoolean();
        CompletableFuture<Void> two = start(ChangelogTestSupport.tempDir("wc-2-"), stop2, processed);
        awaitProcessed(processed, 3_000, List.of(two));

        // a third instance joins the group: partitions move, state follows
        AtomicBoolean stop3 = new AtomicBoolean();
        CompletableFuture<Void> three = start(ChangelogTestSupport.tempDir("wc-3-"), stop3, processed);
        Thread.sleep(2_000); // let the group rebalance (not a timing assertion: the counts below must hold either way)
        produceWords("words", 3_000, 4_000);
        awaitProcessed(processed, 4_000, List.of(two, three));
        // the first of the two leaves: its partitions move to the other
        stop2.set(true);
        two.get(60, TimeUnit.SECONDS);
        produceWords("words", 4_000, 5_000);
        awaitProcessed(processed, 5_000, List.of(three));
        stop3.set(true);
        three.get(60, TimeUnit.SECONDS);

        assertEquals(5_000, processed.get(), "no record processed twice");
        assertEquals(expectedCounts(5_000), changelogCounts("wordcount-counts-changelog", 4));
        assertEquals(expectedCounts(5_000), outputCounts("word-counts"));
        Map<TopicPartition, OffsetAndMetadata> offsets = broker.admin().listConsumerGroupOffsets("wordcount")
            .partitionsToOffsetAndMetadata().get(30, TimeUnit.SECONDS);
        long committed = 0;
        for (OffsetAndMetadata o : offsets.values()) {
            committed += o.offset();
        }
        assertEquals(5_000, committed);
        assertTrue(new HashMap<>(offsets).size() == 4);
    }

    /** The word count in a child JVM: {@code main(stateDir, bootstrap, application, words, wordCounts)}; runs until killed. */
    static final class Child {
        public static void main(String[] args) {
            wordCount(Path.of(args[0]), args[1], args[2], args[3], args[4],
                // static membership: a restarted child takes its dead predecessor's place without waiting for its session to expire
                // small batches: many commits, so that the kills land at many different steps
                Map.of(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, "child", ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, 10_000,
                    ConsumerConfig.MAX_POLL_RECORDS_CONFIG, 40),
                new AtomicBoolean(), new AtomicLong());
        }
    }

    private static Process startChild(Path dir, String app, String words, String out, Path logFile) throws java.io.IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
            Child.class.getName(), dir.toString(), broker.bootstrap(), app, words, out);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(logFile.toFile()));
        return pb.start();
    }

    private static long committedInput(String group) throws Exception {
        long sum = 0;
        for (OffsetAndMetadata o : broker.admin().listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                .get(30, TimeUnit.SECONDS).values()) {
            if (o != null) {
                sum += o.offset();
            }
        }
        return sum;
    }

    @Test
    void countsStayExactWhenTheInstanceIsKilledAtRandomMomentsAndRestartedOnItsOwnStateAlsoAcrossABrokerRestart() throws Exception {
        String app = "killed";
        String words = "killed-words";
        String out = "killed-counts";
        broker.createTopic(words, 4);
        broker.createTopic(out, 1);
        int total = 6_000;
        produceWords(words, 0, total);
        Path dir = ChangelogTestSupport.tempDir("wc-kill-");
        Path log = Files.createTempFile("wc-kill-", ".log");
        java.util.Random random = new java.util.Random(17);
        int kills = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(180);
        long before = -1;
        while (kills < 4) {
            Process child = startChild(dir, app, words, out, log);
            try {
                // wait until this child made progress, then kill it at a random moment
                long progressDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (committedInput(app) <= before && child.isAlive() && System.nanoTime() < progressDeadline) {
                    Thread.sleep(50);
                }
                assertTrue(child.isAlive(), "the child died by itself; its output is in " + log + ":\n" + Files.readString(log));
                Thread.sleep(random.nextInt(1_500));
            } finally {
                child.destroyForcibly();   // SIGKILL
                child.waitFor(30, TimeUnit.SECONDS);
            }
            kills++;
            if (kills == 2) {
                broker.restart();   // SIGKILL of the broker's JVM, restarted on its data: the state survives that too
            }
            before = committedInput(app);
            if (before >= total) {
                break;
            }
            assertTrue(System.nanoTime() < deadline, "not done in 180 s");
        }
        Process last = startChild(dir, app, words, out, log);
        try {
            long doneDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
            while (committedInput(app) < total) {
                assertTrue(last.isAlive(), "the last child died; its output is in " + log + ":\n" + Files.readString(log));
                assertTrue(System.nanoTime() < doneDeadline, "the last child committed " + committedInput(app) + " of " + total);
                Thread.sleep(100);
            }
        } finally {
            last.destroyForcibly();
            last.waitFor(30, TimeUnit.SECONDS);
        }
        assertTrue(kills >= 1);
        assertEquals(total, committedInput(app));
        assertEquals(expectedCounts(total), changelogCounts(app + "-counts-changelog", 4), "no update lost, none applied twice");
        assertEquals(expectedCounts(total), outputCounts(out));
    }
}
