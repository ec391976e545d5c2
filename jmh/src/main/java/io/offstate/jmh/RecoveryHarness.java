package io.offstate.jmh;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.Stores;

import io.offstate.changelog.Changelog;
import io.offstate.changelog.ChangelogOptions;
import io.offstate.changelog.KafkaBroker;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StoreOptions;

/**
 * Issue 17's recovery benchmark, a timed harness (not JMH: one restore of a 10M-record changelog
 * is one measurement of a minute, and both sides must read the same topic of the same broker):
 * a real single-node KRaft broker in this JVM ({@link KafkaBroker}, 127.0.0.1), one compacted
 * changelog partition pre-filled with {@code records} distinct keys, then restored
 * <ol>
 *   <li>by offstate, as a new owner of the partition does: a fresh state directory, a
 *       {@link StateManager} with the store defined (default options: file-backed, write-ahead log
 *       fsynced at every commit), {@link Changelog#open}, {@link Changelog#assign},
 *       {@link Changelog#restoreAll};</li>
 *   <li>by Kafka Streams, the same topic: a {@link KafkaStreams} app whose persistent RocksDB
 *       key-value store {@code counts} has that topic as its changelog ({@code <app>-counts-changelog}),
 *       empty state directory, timed from {@link KafkaStreams#start()} until its
 *       {@link StateRestoreListener} reports the restore's end (and, separately, from its start);
 *       once with Kafka Streams' default restore consumer and once with the restore consumer given
 *       offstate's fetch sizes.</li>
 * </ol>
 * Keys are {@value #KEY_LENGTH} B, values {@value #VALUE_LENGTH} B; MB/s counts key and value bytes
 * (MiB). Results go to stdout, {@code recovery.md} and the {@link Report} side files (metrics
 * {@code recovery.<side>.recordsPerSec@<records>}, notes).
 *
 * <p>Run by {@link MainJob} in a child JVM ({@link #runCase}), or by hand:
 * {@code java -cp jmh/target/benchmarks.jar io.offstate.jmh.RecoveryHarness <records>... [--no-ks-default] [--offstate-only] [--warmup N]}
 * ({@code --offstate-only}: offstate's row alone, for iterating; the ratio needs both sides).
 * Before the timed restores, each side restores a changelog of {@code N} records (default 200,000
 * or the smallest size if less; 0: none), untimed, so that neither is timed while the JIT compiles the Kafka consumer's code
 * (otherwise the side that runs first pays for it and the other reuses it).
 * Not thread-safe; single use.
 */
public final class RecoveryHarness {
    static final int KEY_LENGTH = 16;
    static final int VALUE_LENGTH = 100;
    private static final String STORE = "counts";

    private RecoveryHarness() {
    }

    /** A result row: the side, the records restored, seconds from start and of the restore itself. */
    record Row(String side, long records, double totalSeconds, double restoreSeconds) {
        double rate() {
            return records / restoreSeconds;
        }

        double mbPerSecond() {
            return records * (double) (KEY_LENGTH + VALUE_LENGTH) / (1 << 20) / restoreSeconds;
        }

        double totalRate() {
            return records / totalSeconds;
        }
    }

    public static void main(String[] args) throws Exception {
        List<Integer> sizes = new ArrayList<>();
        boolean ksDefault = true;
        boolean offstateOnly = false;
        int warmup = -1;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (a.equals("--warmup")) {
                warmup = Integer.parseInt(args[++i].replace("_", ""));
            } else if (a.equals("--no-ks-default")) {
                ksDefault = false;
            } else if (a.equals("--offstate-only")) {
                offstateOnly = true; // iterating on offstate's side: no Kafka Streams rows, no ratio
            } else {
                sizes.add(Integer.parseInt(a.replace("_", "")));
            }
        }
        if (sizes.isEmpty()) {
            sizes.add(1_000_000);
        }
        StringBuilder md = new StringBuilder();
        md.append("| records | side | restore s | records/s | MB/s | start-to-end s | records/s start-to-end |\n");
        md.append("|---:|---|---:|---:|---:|---:|---:|\n");
        if (warmup < 0) {
            warmup = Math.min(200_000, java.util.Collections.min(sizes));
        }
        try (KafkaBroker broker = KafkaBroker.start()) {
            if (warmup > 0) {
                // Both sides restore a small changelog first, untimed: otherwise the side that runs
                // first also pays for compiling the Kafka consumer's code, which the other then reuses.
                String app = "warm" + warmup;
                broker.createTopic(app + "-in", 1);
                broker.createTopic(app + "-" + STORE + "-changelog", 1, Map.of("cleanup.policy", "compact"));
                prefill(broker.bootstrap(), app + "-" + STORE + "-changelog", warmup);
                offstate(broker.bootstrap(), app, app + "-in", app + "-" + STORE + "-changelog", warmup);
                if (!offstateOnly) {
                    kafkaStreams(broker.bootstrap(), app, app + "-in", warmup, true);
                }
                System.out.printf(Locale.ROOT, "[recovery] warm-up of %,d records done (not reported)%n", warmup);
            }
            for (int n : sizes) {
                String app = "rec" + n;
                String input = app + "-in";
                String topic = app + "-" + STORE + "-changelog";
                broker.createTopic(input, 1);
                broker.createTopic(topic, 1, Map.of("cleanup.policy", "compact"));
                long t0 = System.nanoTime();
                prefill(broker.bootstrap(), topic, n);
                System.out.printf(Locale.ROOT, "[recovery] prefilled %,d records in %.1f s%n", n, (System.nanoTime() - t0) / 1e9);
                List<Row> rows = new ArrayList<>();
                rows.add(offstate(broker.bootstrap(), app, input, topic, n));
                if (offstateOnly) {
                    Row r = rows.get(0);
                    md.append(String.format(Locale.ROOT, "| %,d | %s | %.2f | %,.0f | %.1f | %.2f | %,.0f |%n", n, r.side(),
                        r.restoreSeconds(), r.rate(), r.mbPerSecond(), r.totalSeconds(), r.totalRate()));
                    continue;
                }
                rows.add(kafkaStreams(broker.bootstrap(), app, input, n, true));
                if (ksDefault) {
                    rows.add(kafkaStreams(broker.bootstrap(), app, input, n, false));
                }
                Row off = rows.get(0);
                double bestKs = 0;
                for (Row r : rows) {
                    md.append(String.format(Locale.ROOT, "| %,d | %s | %.2f | %,.0f | %.1f | %.2f | %,.0f |%n", n, r.side(),
                        r.restoreSeconds(), r.rate(), r.mbPerSecond(), r.totalSeconds(), r.totalRate()));
                    Report.metric("recovery." + r.side() + ".recordsPerSec", n, r.rate());
                    Report.metric("recovery." + r.side() + ".mbPerSec", n, r.mbPerSecond());
                    if (r != off) {
                        bestKs = Math.max(bestKs, r.rate());
                    }
                }
                double ratio = off.rate() / bestKs;
                Report.metric("recovery.ratio", n, ratio);
                String verdict = String.format(Locale.ROOT, "%,d records: offstate %,.0f records/s (%.1f MB/s) vs Kafka Streams"
                    + " RocksDB %,.0f records/s at best: %.2fx (target >= 3x: %s)", n, off.rate(), off.mbPerSecond(), bestKs,
                    ratio, ratio >= 3 ? "PASS" : "MISS");
                md.append('\n').append(verdict).append("\n\n");
                Report.note("recovery-" + n, verdict);
                System.out.println("[recovery] " + verdict);
            }
        }
        String text = md.toString();
        System.out.println(text);
        String out = System.getProperty(Report.OUT_PROPERTY);
        if (out != null && !out.isEmpty()) {
            Report.write(Path.of(out), "recovery.md", text);
        }
    }

    /** Distinct keys {@code key-000000000000..}, {@value #VALUE_LENGTH} B values, acknowledged. */
    static void prefill(String bootstrap, String topic, int n) {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        c.put(ProducerConfig.LINGER_MS_CONFIG, 20);
        c.put(ProducerConfig.BATCH_SIZE_CONFIG, 1 << 20);
        c.put(ProducerConfig.ACKS_CONFIG, "1");
        c.put(ProducerConfig.ENABLE_IDEMPOTENCE_CONFIG, false);
        try (KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(c)) {
            for (int i = 0; i < n; i++) {
                byte[] key = String.format(Locale.ROOT, "key-%012d", i).getBytes(StandardCharsets.US_ASCII);
                byte[] value = new byte[VALUE_LENGTH];
                for (int j = 0; j < VALUE_LENGTH; j += 4) {
                    value[j] = (byte) (i >>> (8 * ((j >> 2) & 3)));
                }
                p.send(new ProducerRecord<>(topic, 0, 1_000_000L + i, key, value));
            }
            p.flush();
        }
    }

    /** offstate: open, assign, restore to the end; the manager's default log and store options. */
    static Row offstate(String bootstrap, String app, String input, String topic, int n) throws IOException {
        Path dir = Files.createTempDirectory("offstate-recovery-");
        try {
            long t0 = System.nanoTime();
            long t1;
            long restored;
            try (StateManager m = StateManager.open(StateManagerOptions.builder(dir).build())) {
                m.define(StoreOptions.builder().name(STORE).build());
                try (Changelog c = Changelog.open(m, null, ChangelogOptions.builder("offstate-" + app, bootstrap, input)
                    .topicName(store -> topic)
                    .restoreBatchRecords(Integer.getInteger("offstate.recovery.batch", 100_000))
                    .restoreFetchAhead(!"false".equals(System.getProperty("offstate.recovery.fetchAhead"))).build())) {
                    t1 = System.nanoTime();
                    c.assign(0);
                    if (!c.restoreAll(Duration.ofMinutes(30))) {
                        throw new IllegalStateException("offstate restore did not finish in 30 minutes");
                    }
                    restored = c.partition(0).store(STORE).size();
                }
            }
            long t2 = System.nanoTime();
            if (restored != n) {
                throw new IllegalStateException("offstate restored " + restored + " keys, expected " + n);
            }
            Row r = new Row("offstate", n, (t2 - t0) / 1e9, (t2 - t1) / 1e9);
            System.out.printf(Locale.ROOT, "[recovery] offstate: %,d records in %.2f s (%.2f s from open): %,.0f records/s%n",
                n, r.restoreSeconds(), r.totalSeconds(), r.rate());
            return r;
        } finally {
            FileStores.delete(dir);
        }
    }

    /**
     * Kafka Streams restoring {@code <app>-counts-changelog} into its persistent RocksDB store;
     * {@code tuned}: the restore consumer with offstate's fetch sizes (10,000 records a poll, 8 MiB
     * per partition, 64 MiB per fetch), else Kafka Streams' defaults.
     */
    static Row kafkaStreams(String bootstrap, String app, String input, int n, boolean tuned) throws Exception {
        Path dir = Files.createTempDirectory("offstate-recovery-ks-");
        try {
            StreamsBuilder b = new StreamsBuilder();
            b.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(STORE), Serdes.ByteArray(),
                Serdes.ByteArray()));
            b.stream(input, Consumed.with(Serdes.ByteArray(), Serdes.ByteArray()))
                .process(() -> new Processor<byte[], byte[], Void, Void>() {
                    private org.apache.kafka.streams.state.KeyValueStore<byte[], byte[]> store;

                    @Override
                    public void init(ProcessorContext<Void, Void> context) {
                        store = context.getStateStore(STORE);
                    }

                    @Override
                    public void process(Record<byte[], byte[]> record) {
                        store.put(record.key(), record.value());
                    }
                }, STORE);
            Properties p = new Properties();
            p.put(StreamsConfig.APPLICATION_ID_CONFIG, app); // its changelog: <app>-counts-changelog, pre-filled
            p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
            p.put(StreamsConfig.STATE_DIR_CONFIG, dir.toString());
            p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, 1);
            p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
            if (tuned) {
                p.put(StreamsConfig.restoreConsumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 10_000);
                p.put(StreamsConfig.restoreConsumerPrefix(ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG), 8 << 20);
                p.put(StreamsConfig.restoreConsumerPrefix(ConsumerConfig.FETCH_MAX_BYTES_CONFIG), 64 << 20);
            }
            CountDownLatch done = new CountDownLatch(1);
            AtomicLong startNanos = new AtomicLong();
            AtomicLong endNanos = new AtomicLong();
            AtomicLong total = new AtomicLong();
            long t0;
            try (KafkaStreams ks = new KafkaStreams(b.build(), p)) {
                ks.setGlobalStateRestoreListener(new StateRestoreListener() {
                    @Override
                    public void onRestoreStart(TopicPartition tp, String storeName, long startingOffset, long endingOffset) {
                        startNanos.compareAndSet(0, System.nanoTime());
                    }

                    @Override
                    public void onBatchRestored(TopicPartition tp, String storeName, long batchEndOffset, long numRestored) {
                    }

                    @Override
                    public void onRestoreEnd(TopicPartition tp, String storeName, long totalRestored) {
                        total.set(totalRestored);
                        endNanos.set(System.nanoTime());
                        done.countDown();
                    }
                });
                t0 = System.nanoTime();
                ks.start();
                if (!done.await(30, TimeUnit.MINUTES)) {
                    throw new IllegalStateException("Kafka Streams restore did not end in 30 minutes (state " + ks.state() + ")");
                }
                // leave the group: the next run of the same application must not wait out a session timeout
                ks.close(org.apache.kafka.streams.CloseOptions.groupMembershipOperation(
                    org.apache.kafka.streams.CloseOptions.GroupMembershipOperation.LEAVE_GROUP).withTimeout(Duration.ofSeconds(60)));
            }
            if (total.get() != n) {
                throw new IllegalStateException("Kafka Streams restored " + total.get() + " records, expected " + n);
            }
            String side = tuned ? "kafka-streams-rocksdb-tuned" : "kafka-streams-rocksdb-default";
            Row r = new Row(side, n, (endNanos.get() - t0) / 1e9, (endNanos.get() - startNanos.get()) / 1e9);
            System.out.printf(Locale.ROOT, "[recovery] %s: %,d records in %.2f s (%.2f s from start): %,.0f records/s%n",
                side, n, r.restoreSeconds(), r.totalSeconds(), r.rate());
            return r;
        } finally {
            FileStores.delete(dir);
        }
    }

    /**
     * MainJob's way in: runs {@link #main} (or {@link ChangelogCommitHarness#main} for the commit
     * case) in a child JVM with the side directory set, its output inherited; never throws (a
     * failure is written as the case's {@code error-run.txt}). The case's {@code keys} is the
     * changelog's record count (0: the commit case).
     */
    static List<org.openjdk.jmh.results.RunResult> runCase(Suite suite, Suite.Case c, Path caseSide) {
        try {
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> cmd = new ArrayList<>(List.of(java, "-Xms1g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED",
                "-D" + Report.OUT_PROPERTY + "=" + caseSide, "-cp", System.getProperty("java.class.path")));
            if (c.keys() == 0) {
                cmd.add(ChangelogCommitHarness.class.getName());
                cmd.add(Integer.toString(suite.scale == Suite.Scale.SMOKE ? 50 : 1000));
            } else {
                cmd.add(RecoveryHarness.class.getName());
                cmd.add(Integer.toString(c.keys()));
                if (suite.scale == Suite.Scale.SMOKE) {
                    cmd.add("--no-ks-default");
                }
            }
            Process proc = new ProcessBuilder(cmd).inheritIO().start();
            int rc = proc.waitFor();
            if (rc != 0) {
                Report.write(caseSide, "error-run.txt", c.id() + ": the harness JVM exited with " + rc + " (its output is above)");
            }
        } catch (Exception e) {
            Report.write(caseSide, "error-run.txt", e.toString());
        }
        return List.of();
    }
}
