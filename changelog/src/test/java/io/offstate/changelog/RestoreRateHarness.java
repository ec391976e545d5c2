package io.offstate.changelog;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;

import io.offstate.engine.StateManager;

/**
 * A timed harness, not a test: restore rate of a changelog into offstate, and commit latency of
 * at-least-once vs exactly-once, against the in-JVM broker. Run by hand:
 * {@code java -cp <test classpath> io.offstate.changelog.RestoreRateHarness [records] [valueBytes]}.
 * Figures include the shared machine's noise; it asserts nothing.
 */
public final class RestoreRateHarness {
    private RestoreRateHarness() {
    }

    public static void main(String[] args) throws Exception {
        int records = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int valueBytes = args.length > 1 ? Integer.parseInt(args[1]) : 100;
        try (KafkaBroker broker = KafkaBroker.start()) {
            String app = "bench";
            broker.createTopic("bench-in", 1);
            broker.createTopic("bench-counts-changelog", 1, Map.of("cleanup.policy", "compact"));
            byte[] value = new byte[valueBytes];
            try (KafkaProducer<byte[], byte[]> p = broker.producer()) {
                for (int i = 0; i < records; i++) {
                    p.send(new ProducerRecord<>("bench-counts-changelog", 0, ChangelogTestSupport.utf8("key-" + i), value));
                }
                p.flush();
            }
            for (int round = 0; round < 3; round++) {
                Path dir = ChangelogTestSupport.tempDir("bench-");
                try (StateManager m = ChangelogTestSupport.manager(dir, "counts");
                     Changelog c = Changelog.open(m, null, ChangelogOptions.builder(app, broker.bootstrap(), "bench-in")
                         .restoreBatchRecords(10_000).build())) {
                    long t0 = System.nanoTime();
                    c.assign(0);
                    if (!c.restoreAll(Duration.ofMinutes(10))) {
                        throw new AssertionError("restore did not finish");
                    }
                    double s = (System.nanoTime() - t0) / 1e9;
                    long n = c.partition(0).store("counts").size();
                    double mb = (double) records * (valueBytes + 10) / (1 << 20);
                    System.out.printf("restore round %d: %d records (%d B values) in %.2f s: %.0f records/s, %.1f MB/s%n",
                        round, n, valueBytes, s, records / s, mb / s);
                }
            }
            for (Guarantee g : Guarantee.values()) {
                Path dir = ChangelogTestSupport.tempDir("bench-");
                try (StateManager m = ChangelogTestSupport.manager(dir, "counts");
                     Changelog c = Changelog.open(m, null, ChangelogOptions.builder(app + g.ordinal(), broker.bootstrap(), "bench-in")
                         .guarantee(g).build())) {
                    c.assign(0);
                    c.restoreAll(Duration.ofMinutes(1));
                    ChangelogPartition p = c.partition(0);
                    int commits = 300;
                    long[] lat = new long[commits];
                    for (int i = 0; i < commits; i++) {
                        long t0 = System.nanoTime();
                        try (ChangelogTransaction tx = p.begin()) {
                            for (int j = 0; j < 10; j++) {
                                tx.state().put(p.store("counts"), ChangelogTestSupport.utf8("k" + j), value);
                            }
                            tx.commit();
                        }
                        lat[i] = System.nanoTime() - t0;
                    }
                    java.util.Arrays.sort(lat);
                    System.out.printf("%s: commit of 10 records: median %.2f ms, p90 %.2f ms, p99 %.2f ms (%d commits)%n",
                        g, lat[commits / 2] / 1e6, lat[commits * 9 / 10] / 1e6, lat[commits * 99 / 100] / 1e6, commits);
                }
            }
        }
    }
}
