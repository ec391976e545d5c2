package io.offstate.kafka.streams;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;

import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Materialized;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.StateRestoreListener;

/**
 * The application {@link StreamsAppKillTest} kills: a windowed word count (tumbling 10 s windows,
 * 60 s grace) on a real broker, exactly-once v2, every DSL store offstate's through
 * {@code dsl.store.suppliers.class}. Runs in its own JVM until killed; prints its state changes and
 * restores ({@code STATE <state>}, {@code RESTORED <store> <partition> <records>}) on stdout for the
 * test to read.
 *
 * <p>{@code main(bootstrap, applicationId, stateDir, inputTopic, outputTopic[, guarantee])}, guarantee
 * {@code exactly_once_v2} (default) or {@code at_least_once}; at least once runs without the record
 * cache and makes a commit durable every {@value #ALOS_DURABLE_DELTA} changelog records, so that
 * kills land between durable and merely recorded commits. Output: key
 * {@code <word>@<window start>}, value the count as a decimal string.
 */
public final class WindowedWordCountApp {
    /** The name of the windowed count store (its directory in each task's state directory). */
    static final String STORE = "word-counts";
    static final Duration WINDOW = Duration.ofSeconds(10);
    static final Duration GRACE = Duration.ofSeconds(60);
    /** At least once: {@link OffstateStreamsConfig#COMMIT_DURABLE_OFFSET_DELTA_CONFIG}. */
    static final long ALOS_DURABLE_DELTA = 300;

    private WindowedWordCountApp() {
    }

    public static void main(String[] args) throws InterruptedException {
        String bootstrap = args[0];
        String application = args[1];
        String stateDir = args[2];
        String input = args[3];
        String output = args[4];
        String guarantee = args.length > 5 ? args[5] : StreamsConfig.EXACTLY_ONCE_V2;

        StreamsBuilder builder = new StreamsBuilder();
        builder.stream(input, Consumed.with(Serdes.String(), Serdes.String()))
            .groupByKey()
            .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW, GRACE))
            .count(Materialized.as(STORE))
            .toStream()
            .map((w, c) -> KeyValue.pair(w.key() + "@" + w.window().start(), c.toString()))
            .to(output, Produced.with(Serdes.String(), Serdes.String()));

        Properties p = new Properties();
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, application);
        p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap);
        p.put(StreamsConfig.STATE_DIR_CONFIG, stateDir);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, guarantee);
        if (StreamsConfig.AT_LEAST_ONCE.equals(guarantee)) {
            p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, 0);
            p.put(OffstateStreamsConfig.COMMIT_DURABLE_OFFSET_DELTA_CONFIG, ALOS_DURABLE_DELTA);
        }
        p.put(StreamsConfig.DSL_STORE_SUPPLIERS_CLASS_CONFIG, OffstateDslStoreSuppliers.class);
        p.put(StreamsConfig.REPLICATION_FACTOR_CONFIG, 1);
        p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, 100);
        p.put(StreamsConfig.DEFAULT_KEY_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        p.put(StreamsConfig.DEFAULT_VALUE_SERDE_CLASS_CONFIG, Serdes.StringSerde.class);
        // static membership: a restarted instance takes its killed predecessor's place at once instead of
        // waiting for the dead member's session to expire
        p.put(StreamsConfig.mainConsumerPrefix(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG), "kill-test-instance");
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG), 10_000);
        // small batches: many commits, so that the kills land between and inside many transactions
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.MAX_POLL_RECORDS_CONFIG), 50);

        KafkaStreams streams = new KafkaStreams(builder.build(), p);
        streams.setStateListener((now, before) -> System.out.println("STATE " + now));
        streams.setGlobalStateRestoreListener(new StateRestoreListener() {
            @Override
            public void onRestoreStart(TopicPartition tp, String store, long start, long end) {
                System.out.println("RESTORING " + store + " " + tp.partition() + " " + start + ".." + end);
            }

            @Override
            public void onBatchRestored(TopicPartition tp, String store, long batchEnd, long records) {
            }

            @Override
            public void onRestoreEnd(TopicPartition tp, String store, long total) {
                System.out.println("RESTORED " + store + " " + tp.partition() + " " + total);
            }
        });
        streams.start();
        new CountDownLatch(1).await();   // until SIGKILL
    }
}
