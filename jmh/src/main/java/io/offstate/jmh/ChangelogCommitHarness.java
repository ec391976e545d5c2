package io.offstate.jmh;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;

import io.offstate.changelog.Changelog;
import io.offstate.changelog.ChangelogOptions;
import io.offstate.changelog.ChangelogPartition;
import io.offstate.changelog.ChangelogTransaction;
import io.offstate.changelog.Guarantee;
import io.offstate.changelog.KafkaBroker;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StoreOptions;

/**
 * Issue 17's commit latency: the added latency of exactly-once against at-least-once, a timed
 * harness against the in-JVM KRaft broker ({@link KafkaBroker}, 127.0.0.1). Per guarantee, in the
 * same run and on the same broker: a fresh state manager (default options: write-ahead log fsynced
 * at every commit), a changelog on a 1-partition input topic, then {@code commits} commits of a small
 * transaction ({@value #PUTS} puts of 16 B keys and 100 B values through
 * {@link ChangelogPartition#begin()}), each timed from begin to the end of
 * {@link ChangelogTransaction#commit()}: at-least-once waits for the changelog records'
 * acknowledgements, then applies; exactly-once runs a Kafka transaction (records, commit) first.
 * The first tenth of the commits is warmup, not counted. No consumer offsets are committed (no input
 * consumer), which costs exactly-once one {@code sendOffsetsToTransaction} less than a real app.
 *
 * <p>{@code java -cp jmh/target/benchmarks.jar io.offstate.jmh.ChangelogCommitHarness [commits]};
 * results to stdout and the {@link Report} side files ({@code changelog.commit.<guarantee>.p50/p99}, µs).
 * Not thread-safe; single use.
 */
public final class ChangelogCommitHarness {
    static final int PUTS = 10;

    private ChangelogCommitHarness() {
    }

    public static void main(String[] args) throws Exception {
        int commits = args.length > 0 ? Integer.parseInt(args[0]) : 1000;
        int warmup = commits / 10;
        double[] p50 = new double[2];
        StringBuilder md = new StringBuilder("| guarantee | commits | p50 ms | p90 ms | p99 ms | max ms |\n|---|---:|---:|---:|---:|---:|\n");
        try (KafkaBroker broker = KafkaBroker.start()) {
            for (Guarantee g : Guarantee.values()) {
                String app = "commit-" + g.name().toLowerCase(Locale.ROOT);
                broker.createTopic(app + "-in", 1);
                Path dir = Files.createTempDirectory("offstate-commit-");
                long[] lat = new long[commits];
                try (StateManager m = StateManager.open(StateManagerOptions.builder(dir).build())) {
                    m.define(StoreOptions.builder().name("counts").build());
                    try (Changelog c = Changelog.open(m, null, ChangelogOptions.builder(app, broker.bootstrap(), app + "-in")
                        .guarantee(g).build())) {
                        c.assign(0);
                        c.restoreAll(Duration.ofMinutes(1));
                        ChangelogPartition p = c.partition(0);
                        KeyValueStore counts = p.store("counts");
                        byte[] value = new byte[100];
                        byte[][] keys = new byte[PUTS][];
                        for (int j = 0; j < PUTS; j++) {
                            keys[j] = String.format(Locale.ROOT, "key-%012d", j).getBytes(StandardCharsets.US_ASCII);
                        }
                        for (int i = 0; i < warmup + commits; i++) {
                            value[0] = (byte) i;
                            long t0 = System.nanoTime();
                            try (ChangelogTransaction tx = p.begin()) {
                                for (byte[] k : keys) {
                                    tx.state().put(counts, k, value);
                                }
                                tx.commit();
                            }
                            if (i >= warmup) {
                                lat[i - warmup] = System.nanoTime() - t0;
                            }
                        }
                    }
                } finally {
                    FileStores.delete(dir);
                }
                Arrays.sort(lat);
                double q50 = lat[commits / 2] / 1e6;
                double q90 = lat[commits * 9 / 10] / 1e6;
                double q99 = lat[Math.min(commits - 1, commits * 99 / 100)] / 1e6;
                double max = lat[commits - 1] / 1e6;
                p50[g.ordinal()] = q50;
                String name = g.name().toLowerCase(Locale.ROOT);
                Report.metric("changelog.commit." + name + ".p50", q50 * 1000);
                Report.metric("changelog.commit." + name + ".p99", q99 * 1000);
                md.append(String.format(Locale.ROOT, "| %s | %d | %.2f | %.2f | %.2f | %.2f |%n", g, commits, q50, q90, q99, max));
            }
        }
        String verdict = String.format(Locale.ROOT, "commit of %d puts: exactly-once adds %.2f ms at the median over"
            + " at-least-once (%.2f vs %.2f ms)", PUTS, p50[1] - p50[0], p50[1], p50[0]);
        md.append('\n').append(verdict).append('\n');
        Report.note("changelog-commit", verdict);
        System.out.println(md);
        String out = System.getProperty(Report.OUT_PROPERTY);
        if (out != null && !out.isEmpty()) {
            Report.write(Path.of(out), "changelog-commit.md", md.toString());
        }
    }
}
