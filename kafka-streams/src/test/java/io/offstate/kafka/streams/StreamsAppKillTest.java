package io.offstate.kafka.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.changelog.KafkaBroker;

/**
 * Issue 18's proof on a real broker: {@link WindowedWordCountApp} (Kafka Streams, exactly-once v2,
 * offstate stores) runs in a child JVM against an in-JVM KRaft broker (changelog's test
 * {@code KafkaBroker}, from its test-jar) while input arrives; it is SIGKILLed at random moments
 * three times and restarted on the same state directory. The final count of every (word, window),
 * the last committed output value per key, must equal the count of the input, and no committed
 * output may ever count a record twice.
 */
class StreamsAppKillTest {
    private static final List<String> WORDS = List.of("apple", "pear", "plum", "fig", "kiwi", "lime", "date", "sloe");
    private static final int PARTITIONS = 2;
    /** Event time starts an hour ago: older records would fall to the topics' 7-day retention. */
    private static final long BASE_TIME = (System.currentTimeMillis() - 3_600_000L) / 10_000 * 10_000;

    private static KafkaBroker broker;

    @TempDir
    Path tmp;

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
    void windowedCountsAreExactAfterSigkillsAndRestartsOnTheSameStateDirectory() throws Exception {
        killAndRestart("wc-kill", StreamsConfig.EXACTLY_ONCE_V2);
    }

    /**
     * At least once, no record cache, a durable commit every
     * {@value WindowedWordCountApp#ALOS_DURABLE_DELTA} changelog records, commits every 100 ms: the
     * kills land between durable commits and merely recorded ones. At least once may count a record
     * twice, never lose one: a store that claimed a changelog offset beyond its durable state would
     * lose the counts in between (Kafka Streams would not restore them, and their input is already
     * committed), so every final count must be at least the input's. The restarts restored from the
     * stores' own offsets, not from the start.
     */
    @Test
    void atLeastOnceCountsLoseNothingAfterSigkillsBetweenDurableAndRecordedCommits() throws Exception {
        killAndRestart("wc-kill-alos", StreamsConfig.AT_LEAST_ONCE);
    }

    private void killAndRestart(String app, String guarantee) throws Exception {
        boolean exactlyOnce = StreamsConfig.EXACTLY_ONCE_V2.equals(guarantee);
        String in = app + "-words";
        String out = app + "-counts";
        broker.createTopic(in, PARTITIONS);
        broker.createTopic(out, PARTITIONS);
        Path stateDir = Files.createDirectories(tmp.resolve("state"));
        // kept after the run (target/), to read when the test fails
        Path log = Files.createDirectories(Path.of("target")).resolve("StreamsAppKillTest-" + app + "-child.log");
        Files.deleteIfExists(log);
        Files.createFile(log);
        Random random = new Random(18);

        Map<String, Long> expected = new TreeMap<>();
        try (KafkaProducer<String, String> producer = producer()) {
            Process child = null;
            try {
                long produced = 0;
                // three lives, each killed at a random moment after it committed progress, input arriving throughout
                for (int kill = 0; kill < 3; kill++) {
                    child = startChild(app, stateDir, in, out, log, guarantee);
                    long before = committedInput(app);
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    // at least once: a longer life, so that every store makes some commits durable before the kill
                    long progress = exactlyOnce ? 1 : 3 * WindowedWordCountApp.ALOS_DURABLE_DELTA * PARTITIONS;
                    while (committedInput(app) < before + progress) {
                        assertTrue(child.isAlive(), "the application died by itself; its output is in " + log.toAbsolutePath());
                        assertTrue(System.nanoTime() < deadline, "the application committed nothing in 30 s; its output is in "
                            + log.toAbsolutePath());
                        produced = produce(producer, in, produced, 50, random, expected);
                        Thread.sleep(50);
                    }
                    long killAt = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(random.nextInt(1_500));
                    while (System.nanoTime() < killAt) {
                        produced = produce(producer, in, produced, 50, random, expected);
                        Thread.sleep(50);
                    }
                    assertTrue(child.isAlive(), "the application died by itself; its output is in " + log.toAbsolutePath());
                    child.destroyForcibly();   // SIGKILL: no close, no checkpoint, open transaction left behind
                    assertTrue(child.waitFor(30, TimeUnit.SECONDS));
                    Files.writeString(log, "---- KILLED after " + produced + " input records\n",
                        java.nio.file.StandardOpenOption.APPEND);
                }
                produced = produce(producer, in, produced, 500, random, expected);

                // the last life runs until its committed output holds the expected counts
                child = startChild(app, stateDir, in, out, log, guarantee);
                if (exactlyOnce) {
                    Map<String, Long> counts = awaitCounts(out, expected, child, log);
                    assertEquals(expected, counts, () -> "final count per (word, window) from the committed output; "
                        + differences(expected, counts) + "; the application's output is in " + log.toAbsolutePath());
                } else {
                    Map<String, Long> counts = awaitAtLeast(out, expected, child, log);
                    for (Map.Entry<String, Long> e : expected.entrySet()) {
                        long seen = counts.getOrDefault(e.getKey(), 0L);
                        assertTrue(seen >= e.getValue(), () -> e.getKey() + ": final count " + seen + " < "
                            + e.getValue() + " records in the input (a lost update); " + differences(expected, counts)
                            + "; the application's output is in " + log.toAbsolutePath());
                    }
                    assertRestoredFromTheStoresOwnOffsets(log);
                }
                long commitDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (committedInput(app) < produced && System.nanoTime() < commitDeadline) {
                    Thread.sleep(100); // at least once: the output is visible before the commit that follows it
                }
                assertEquals(produced, committedInput(app), "the application committed all its input");
                assertTrue(child.isAlive(), "the last life is still running; its output is in " + log.toAbsolutePath());

                assertRestoredIntoOffstateStores(app, stateDir, log);
            } finally {
                if (child != null) {
                    child.destroyForcibly();
                    child.waitFor(30, TimeUnit.SECONDS);
                }
            }
        }
    }

    /**
     * At least once: some restore of the window store started from an offset the store itself kept
     * (a {@code RESTORING} line with a start above 0), so restarts used its offsets.
     */
    private static void assertRestoredFromTheStoresOwnOffsets(Path log) throws IOException {
        boolean fromOwnOffset = false;
        for (String line : Files.readString(log).split("\n")) {
            if (line.startsWith("RESTORING " + WindowedWordCountApp.STORE + " ")) {
                String range = line.substring(line.lastIndexOf(' ') + 1).trim();
                fromOwnOffset |= Long.parseLong(range.substring(0, range.indexOf(".."))) > 0;
            }
        }
        assertTrue(fromOwnOffset, "a restart restored the window store from the offset in its own files; its output is in "
            + log.toAbsolutePath());
    }

    /** Reads the output until every key's last value reaches its expected count (or 60 s pass); the last values. */
    private static Map<String, Long> awaitAtLeast(String topic, Map<String, Long> expected, Process child, Path log)
            throws Exception {
        Map<String, Long> last = new TreeMap<>();
        try (KafkaConsumer<String, String> c = consumer()) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!reached(last, expected) && System.nanoTime() < deadline) {
                assertTrue(child.isAlive(), "the last life died by itself; its output is in " + log.toAbsolutePath());
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    last.put(r.key(), Long.parseLong(r.value()));
                }
            }
        }
        return last;
    }

    private static boolean reached(Map<String, Long> last, Map<String, Long> expected) {
        for (Map.Entry<String, Long> e : expected.entrySet()) {
            if (last.getOrDefault(e.getKey(), 0L) < e.getValue()) {
                return false;
            }
        }
        return true;
    }

    private static String differences(Map<String, Long> expected, Map<String, Long> actual) {
        List<String> d = new ArrayList<>();
        java.util.Set<String> keys = new java.util.TreeSet<>(expected.keySet());
        keys.addAll(actual.keySet());
        for (String k : keys) {
            if (!java.util.Objects.equals(expected.get(k), actual.get(k))) {
                d.add(k + ": expected " + expected.get(k) + ", was " + actual.get(k));
            }
        }
        return d.size() + " of " + keys.size() + " keys differ, e.g. " + d.subList(0, Math.min(10, d.size()));
    }

    /**
     * Kafka Streams restored the windowed store from its changelog after the kills (the restore
     * listener saw records), and the store is offstate's: its files sit in each task's directory,
     * and there is no RocksDB directory anywhere.
     */
    private static void assertRestoredIntoOffstateStores(String app, Path stateDir, Path log) throws IOException {
        String childLog = Files.readString(log);
        long restored = 0;
        for (String line : childLog.split("\n")) {
            if (line.startsWith("RESTORED " + WindowedWordCountApp.STORE + " ")) {
                restored += Long.parseLong(line.substring(line.lastIndexOf(' ') + 1).trim());
            }
        }
        assertTrue(restored > 0, "Kafka Streams restored records into the window store after the kills; its output is in " + log.toAbsolutePath());
        for (int partition = 0; partition < PARTITIONS; partition++) {
            Path store = stateDir.resolve(app).resolve("0_" + partition).resolve(WindowedWordCountApp.STORE);
            assertTrue(Files.isDirectory(store), "offstate's store directory " + store);
            try (Stream<Path> files = Files.walk(store)) {
                List<Path> regular = files.filter(Files::isRegularFile).toList();
                assertFalse(regular.isEmpty(), "offstate's store files in " + store);
            }
        }
        try (Stream<Path> all = Files.walk(stateDir)) {
            assertEquals(List.of(), all.filter(f -> f.getFileName().toString().equals("rocksdb")).toList(),
                "no RocksDB store");
        }
    }

    /**
     * Reads the committed output until the last value per key equals {@code expected} (or 60 s
     * pass); checks on the way that each key's committed values rise and never exceed the expected
     * count (no input counted twice, no aborted output visible).
     */
    private static Map<String, Long> awaitCounts(String topic, Map<String, Long> expected, Process child, Path log)
            throws Exception {
        Map<String, Long> last = new TreeMap<>();
        try (KafkaConsumer<String, String> c = consumer()) {
            List<TopicPartition> tps = new ArrayList<>();
            for (int p = 0; p < PARTITIONS; p++) {
                tps.add(new TopicPartition(topic, p));
            }
            c.assign(tps);
            c.seekToBeginning(tps);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (!last.equals(expected) && System.nanoTime() < deadline) {
                assertTrue(child.isAlive(), "the last life died by itself; its output is in " + log.toAbsolutePath());
                for (ConsumerRecord<String, String> r : c.poll(Duration.ofMillis(200))) {
                    long count = Long.parseLong(r.value());
                    Long previous = last.put(r.key(), count);
                    assertTrue(previous == null || previous < count, r.key() + ": committed count " + count
                        + " after " + previous + " (at " + r.partition() + "/" + r.offset() + ")");
                    long max = expected.getOrDefault(r.key(), 0L);
                    assertTrue(count <= max, r.key() + ": committed count " + count + " > " + max + " records in the input");
                }
            }
        }
        return last;
    }

    /** Produces {@code n} more records (record i: a random word at {@code BASE_TIME + 20 i} ms, sometimes up to 5 s late). */
    private static long produce(KafkaProducer<String, String> producer, String topic, long from, int n, Random random,
            Map<String, Long> expected) throws Exception {
        List<java.util.concurrent.Future<?>> acks = new ArrayList<>();
        for (long i = from; i < from + n; i++) {
            String word = WORDS.get(random.nextInt(WORDS.size()));
            long ts = Math.max(BASE_TIME, BASE_TIME + 20 * i - (random.nextInt(10) == 0 ? random.nextInt(5_000) : 0));
            long window = WindowedWordCountApp.WINDOW.toMillis();
            expected.merge(word + "@" + (ts - Math.floorMod(ts, window)), 1L, Long::sum);
            acks.add(producer.send(new ProducerRecord<>(topic, null, ts, word, word)));
        }
        for (java.util.concurrent.Future<?> a : acks) {
            a.get(30, TimeUnit.SECONDS);
        }
        return from + n;
    }

    private Process startChild(String app, Path stateDir, String in, String out, Path log, String guarantee)
            throws IOException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "--enable-native-access=ALL-UNNAMED",
            "-cp", System.getProperty("java.class.path"), WindowedWordCountApp.class.getName(),
            broker.bootstrap(), app, stateDir.toString(), in, out, guarantee);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        return pb.start();
    }

    /** The input offsets the application committed, summed over partitions. */
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

    private static KafkaProducer<String, String> producer() {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, StringSerializer.class);
        c.put(ProducerConfig.ACKS_CONFIG, "all");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, true);   // each input record exactly once in the topic
        c.put(ProducerConfig.LINGER_MS_CONFIG, 5);
        return new KafkaProducer<>(c);
    }

    private static KafkaConsumer<String, String> consumer() {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap());
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        return new KafkaConsumer<>(c);
    }
}
