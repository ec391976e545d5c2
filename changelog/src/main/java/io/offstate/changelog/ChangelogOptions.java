package io.offstate.changelog;

import java.time.Duration;
import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;
import java.util.regex.Pattern;

/**
 * How a {@link Changelog} names, creates and uses its topics. Immutable; build with
 * {@link #builder(String, String, String)}.
 *
 * @param applicationId         names the changelog topics and transactional ids (letters, digits, {@code . _ -})
 * @param bootstrapServers      the Kafka cluster
 * @param inputTopic            the topic whose partitions are the state partitions; its partition
 *                              count is every changelog's
 * @param guarantee             at-least-once or exactly-once
 * @param topicName             store name → changelog topic (default {@code <applicationId>-<store>-changelog})
 * @param windowedRetention     stores whose changelog is {@code compact,delete}, with their store
 *                              retention; the topic's {@code retention.ms} is it plus {@code retentionMargin}
 * @param retentionMargin       added to a windowed store's retention (default one day)
 * @param replicationFactor     of created topics; -1 for the broker's default
 * @param clientConfigs         extra configs for every client created (security, timeouts)
 * @param restoreBatchRecords   records a restore applies before its first flush (default 100,000; it then
 *                              flushes after twice as many each time, and when it ends or is suspended), and
 *                              between progress reports; restore polls return at most this many (and at most
 *                              10,000) records. A restore stages nothing: memory stays bounded whatever the value
 * @param commitTimeout         how long a commit waits for Kafka before it fails in doubt
 * @param transactionalIdPrefix exactly-once: partition {@code p}'s producer has transactional id {@code <prefix>-<p>}
 * @param restoreListener       told of recovery progress
 * @param restoreFetchAhead     whether the restore consumer is polled on a thread of its own, ahead of the
 *                              thread that applies the records (default true: fetching overlaps applying;
 *                              false: one thread, for a single-core host)
 */
public record ChangelogOptions(String applicationId, String bootstrapServers, String inputTopic, Guarantee guarantee,
                               Function<String, String> topicName, Map<String, Duration> windowedRetention,
                               Duration retentionMargin, short replicationFactor, Map<String, Object> clientConfigs,
                               int restoreBatchRecords, Duration commitTimeout, String transactionalIdPrefix,
                               RestoreListener restoreListener, boolean restoreFetchAhead) {
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9._-]{1,200}");

    /**
     * Validates.
     *
     * @throws NullPointerException     if a reference is null
     * @throws IllegalArgumentException if the application id is not a valid topic-name part, a
     *                                  duration is negative or zero, the batch is not positive, the
     *                                  replication factor is neither -1 nor positive
     */
    public ChangelogOptions {
        Objects.requireNonNull(applicationId, "applicationId");
        Objects.requireNonNull(bootstrapServers, "bootstrapServers");
        Objects.requireNonNull(inputTopic, "inputTopic");
        Objects.requireNonNull(guarantee, "guarantee");
        Objects.requireNonNull(topicName, "topicName");
        Objects.requireNonNull(retentionMargin, "retentionMargin");
        Objects.requireNonNull(commitTimeout, "commitTimeout");
        Objects.requireNonNull(transactionalIdPrefix, "transactionalIdPrefix");
        Objects.requireNonNull(restoreListener, "restoreListener");
        if (!ID.matcher(applicationId).matches()) {
            throw new IllegalArgumentException("application id '" + applicationId + "' must be 1 to 200 letters, digits, '.', '_' or '-'"
                + " (it is part of topic names)");
        }
        if (retentionMargin.isNegative()) {
            throw new IllegalArgumentException("retention margin must not be negative, was " + retentionMargin);
        }
        if (!commitTimeout.isPositive()) {
            throw new IllegalArgumentException("commit timeout must be positive, was " + commitTimeout);
        }
        if (restoreBatchRecords <= 0) {
            throw new IllegalArgumentException("restore batch must be positive, was " + restoreBatchRecords);
        }
        if (replicationFactor != -1 && replicationFactor <= 0) {
            throw new IllegalArgumentException("replication factor must be -1 (broker default) or positive, was " + replicationFactor);
        }
        Map<String, Duration> w = new HashMap<>();
        for (Map.Entry<String, Duration> e : Objects.requireNonNull(windowedRetention, "windowedRetention").entrySet()) {
            Duration d = Objects.requireNonNull(e.getValue(), "retention");
            if (!d.isPositive()) {
                throw new IllegalArgumentException("retention of windowed store '" + e.getKey() + "' must be positive, was " + d);
            }
            w.put(Objects.requireNonNull(e.getKey(), "store"), d);
        }
        windowedRetention = Collections.unmodifiableMap(w);
        clientConfigs = Collections.unmodifiableMap(new HashMap<>(Objects.requireNonNull(clientConfigs, "clientConfigs")));
    }

    /** The changelog topic of {@code store}. */
    public String topicOf(String store) {
        return Objects.requireNonNull(topicName.apply(store), "topic name");
    }

    /** A builder with every default: at-least-once, one day margin, broker replication, 10 000 records per batch, 60 s commit timeout. */
    public static Builder builder(String applicationId, String bootstrapServers, String inputTopic) {
        return new Builder(applicationId, bootstrapServers, inputTopic);
    }

    /** Builds {@link ChangelogOptions}; not thread-safe. */
    public static final class Builder {
        private final String applicationId;
        private final String bootstrapServers;
        private final String inputTopic;
        private Guarantee guarantee = Guarantee.AT_LEAST_ONCE;
        private Function<String, String> topicName;
        private final Map<String, Duration> windowed = new HashMap<>();
        private Duration retentionMargin = Duration.ofDays(1);
        private short replicationFactor = -1;
        private final Map<String, Object> clientConfigs = new HashMap<>();
        private int restoreBatchRecords = 100_000;
        private Duration commitTimeout = Duration.ofSeconds(60);
        private String transactionalIdPrefix;
        private RestoreListener restoreListener = RestoreListener.NONE;
        private boolean restoreFetchAhead = true;

        private Builder(String applicationId, String bootstrapServers, String inputTopic) {
            this.applicationId = Objects.requireNonNull(applicationId, "applicationId");
            this.bootstrapServers = Objects.requireNonNull(bootstrapServers, "bootstrapServers");
            this.inputTopic = Objects.requireNonNull(inputTopic, "inputTopic");
        }

        /** See {@link ChangelogOptions#guarantee()}. */
        public Builder guarantee(Guarantee g) {
            this.guarantee = Objects.requireNonNull(g, "guarantee");
            return this;
        }

        /** See {@link ChangelogOptions#topicName()}. */
        public Builder topicName(Function<String, String> naming) {
            this.topicName = Objects.requireNonNull(naming, "topicName");
            return this;
        }

        /** Marks {@code store} windowed (or session): its changelog is {@code compact,delete} with {@code retention} + margin. */
        public Builder windowedStore(String store, Duration retention) {
            windowed.put(Objects.requireNonNull(store, "store"), Objects.requireNonNull(retention, "retention"));
            return this;
        }

        /** See {@link ChangelogOptions#retentionMargin()}. */
        public Builder retentionMargin(Duration margin) {
            this.retentionMargin = Objects.requireNonNull(margin, "retentionMargin");
            return this;
        }

        /** See {@link ChangelogOptions#replicationFactor()}. */
        public Builder replicationFactor(short factor) {
            this.replicationFactor = factor;
            return this;
        }

        /** Adds a config for every client (producer, consumer, admin) the changelog creates. */
        public Builder clientConfig(String key, Object value) {
            clientConfigs.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** See {@link ChangelogOptions#restoreBatchRecords()}. */
        public Builder restoreBatchRecords(int records) {
            this.restoreBatchRecords = records;
            return this;
        }

        /** See {@link ChangelogOptions#commitTimeout()}. */
        public Builder commitTimeout(Duration timeout) {
            this.commitTimeout = Objects.requireNonNull(timeout, "commitTimeout");
            return this;
        }

        /** See {@link ChangelogOptions#transactionalIdPrefix()} (default {@code <applicationId>-<inputTopic>}). */
        public Builder transactionalIdPrefix(String prefix) {
            this.transactionalIdPrefix = Objects.requireNonNull(prefix, "transactionalIdPrefix");
            return this;
        }

        /** See {@link ChangelogOptions#restoreListener()}. */
        public Builder restoreListener(RestoreListener listener) {
            this.restoreListener = Objects.requireNonNull(listener, "restoreListener");
            return this;
        }

        /** See {@link ChangelogOptions#restoreFetchAhead()}. */
        public Builder restoreFetchAhead(boolean fetchAhead) {
            this.restoreFetchAhead = fetchAhead;
            return this;
        }

        /** @throws IllegalArgumentException as the record's constructor */
        public ChangelogOptions build() {
            String app = applicationId;
            Function<String, String> naming = topicName != null ? topicName : store -> app + "-" + store + "-changelog";
            String prefix = transactionalIdPrefix != null ? transactionalIdPrefix : applicationId + "-" + inputTopic;
            return new ChangelogOptions(applicationId, bootstrapServers, inputTopic, guarantee, naming, windowed,
                retentionMargin, replicationFactor, clientConfigs, restoreBatchRecords, commitTimeout, prefix, restoreListener,
                restoreFetchAhead);
        }
    }
}
