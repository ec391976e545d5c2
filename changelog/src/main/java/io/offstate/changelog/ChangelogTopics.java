package io.offstate.changelog;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.Config;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.TopicDescription;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.config.TopicConfig;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.errors.UnknownTopicOrPartitionException;

/**
 * Creates missing changelog topics and checks existing ones (partition count, cleanup policy)
 * through {@link Admin}. Stateless; called once by {@link Changelog#open}.
 */
final class ChangelogTopics {
    private static final long TIMEOUT_SECONDS = 60;

    private ChangelogTopics() {
    }

    /**
     * Ensures the changelog of every store; returns the input topic's partition count.
     *
     * @throws ChangelogTopicException if the input topic is missing or a changelog does not fit
     */
    static int ensure(Admin admin, ChangelogOptions options, List<String> stores) {
        Map<String, String> topicOfStore = new HashMap<>();
        Set<String> topics = new HashSet<>();
        for (String store : stores) {
            String topic = options.topicOf(store);
            if (!topics.add(topic) || topic.equals(options.inputTopic())) {
                throw new IllegalArgumentException("store '" + store + "' would use changelog topic '" + topic
                    + "', which another store or the input already uses");
            }
            topicOfStore.put(store, topic);
        }
        Map<String, TopicDescription> input = describe(admin, List.of(options.inputTopic()));
        TopicDescription in = input.get(options.inputTopic());
        if (in == null) {
            throw new ChangelogTopicException(options.inputTopic(), "input topic '" + options.inputTopic()
                + "' does not exist: create it first (its partition count is the changelogs')");
        }
        int partitions = in.partitions().size();
        // Check the existing ones first: a misfit refuses to start before anything is created.
        Map<String, TopicDescription> existing = describe(admin, new ArrayList<>(topics));
        List<String> missing = new ArrayList<>();
        for (String store : stores) {
            String topic = topicOfStore.get(store);
            TopicDescription d = existing.get(topic);
            if (d == null) {
                missing.add(store);
            } else {
                check(admin, options, store, topic, d, partitions);
            }
        }
        List<String> created = new ArrayList<>();
        for (String store : missing) {
            create(admin, options, store, topicOfStore.get(store), partitions);
            created.add(topicOfStore.get(store));
        }
        awaitVisible(admin, created, partitions);
        return partitions;
    }

    /** The cleanup policy a store's changelog must have. */
    static Set<String> policyOf(ChangelogOptions options, String store) {
        return options.windowedRetention().containsKey(store)
            ? Set.of(TopicConfig.CLEANUP_POLICY_COMPACT, TopicConfig.CLEANUP_POLICY_DELETE)
            : Set.of(TopicConfig.CLEANUP_POLICY_COMPACT);
    }

    private static void check(Admin admin, ChangelogOptions options, String store, String topic, TopicDescription d,
                              int partitions) {
        if (d.partitions().size() != partitions) {
            throw new ChangelogTopicException(topic, "changelog topic '" + topic + "' of store '" + store + "' has "
                + d.partitions().size() + " partitions but input topic '" + options.inputTopic() + "' has " + partitions
                + ": partition p of the state must be changelog partition p. Delete the topic (it is rebuilt from the"
                + " stores' input) or name another one (ChangelogOptions.topicName)");
        }
        ConfigResource resource = new ConfigResource(ConfigResource.Type.TOPIC, topic);
        Config config = get(admin.describeConfigs(List.of(resource)).all(), "describing configs of " + topic).get(resource);
        String value = config.get(TopicConfig.CLEANUP_POLICY_CONFIG).value();
        Set<String> found = new HashSet<>();
        for (String s : value.split(",")) {
            if (!s.isBlank()) {
                found.add(s.trim());
            }
        }
        Set<String> wanted = policyOf(options, store);
        if (!found.equals(wanted)) {
            throw new ChangelogTopicException(topic, "changelog topic '" + topic + "' of store '" + store + "' has "
                + TopicConfig.CLEANUP_POLICY_CONFIG + "=" + value + " but needs " + String.join(",", sorted(wanted))
                + (wanted.size() == 1 ? " (a delete policy loses keys that were not updated within the retention)"
                   : " (a windowed store: compaction keeps the latest window values, deletion drops expired ones)")
                + ": change the topic's config or delete it");
        }
    }

    private static void create(Admin admin, ChangelogOptions options, String store, String topic, int partitions) {
        Map<String, String> configs = new HashMap<>();
        configs.put(TopicConfig.CLEANUP_POLICY_CONFIG, String.join(",", sorted(policyOf(options, store))));
        var retention = options.windowedRetention().get(store);
        if (retention != null) {
            long ms;
            try {
                ms = Math.addExact(retention.toMillis(), options.retentionMargin().toMillis());
            } catch (ArithmeticException e) {
                ms = Long.MAX_VALUE;
            }
            configs.put(TopicConfig.RETENTION_MS_CONFIG, Long.toString(ms));
        }
        Optional<Short> rf = options.replicationFactor() == -1 ? Optional.empty() : Optional.of(options.replicationFactor());
        NewTopic t = new NewTopic(topic, Optional.of(partitions), rf).configs(configs);
        try {
            admin.createTopics(List.of(t)).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TopicExistsException) {
                // another instance created it meanwhile: check what it created
                TopicDescription d = describe(admin, List.of(topic)).get(topic);
                if (d != null) {
                    check(admin, options, store, topic, d, partitions);
                    return;
                }
            }
            throw new org.apache.kafka.common.KafkaException("creating changelog topic '" + topic + "' failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException("creating changelog topic '" + topic + "' timed out", e);
        }
    }

    /** Created topics reach the brokers' metadata a moment after the create returns: wait for them. */
    private static void awaitVisible(Admin admin, List<String> topics, int partitions) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(TIMEOUT_SECONDS);
        for (String t : topics) {
            while (true) {
                TopicDescription d = describe(admin, List.of(t)).get(t);
                if (d != null && d.partitions().size() == partitions
                    && d.partitions().stream().allMatch(p -> p.leader() != null && !p.leader().isEmpty())) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new org.apache.kafka.common.errors.TimeoutException("changelog topic '" + t + "' was created but has no"
                        + " leaders after " + TIMEOUT_SECONDS + " s");
                }
                try {
                    Thread.sleep(50);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new org.apache.kafka.common.errors.InterruptException(e);
                }
            }
        }
    }

    private static List<String> sorted(Set<String> s) {
        String[] a = s.toArray(new String[0]);
        Arrays.sort(a);
        return List.of(a);
    }

    /** Descriptions of those of {@code topics} that exist. */
    private static Map<String, TopicDescription> describe(Admin admin, List<String> topics) {
        Map<String, TopicDescription> out = new HashMap<>();
        var futures = admin.describeTopics(topics).topicNameValues();
        for (String t : topics) {
            try {
                out.put(t, futures.get(t).get(TIMEOUT_SECONDS, TimeUnit.SECONDS));
            } catch (ExecutionException e) {
                if (!(e.getCause() instanceof UnknownTopicOrPartitionException)) {
                    throw new org.apache.kafka.common.KafkaException("describing topic '" + t + "' failed: " + e.getCause(), e.getCause());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new org.apache.kafka.common.errors.InterruptException(e);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new org.apache.kafka.common.errors.TimeoutException("describing topic '" + t + "' timed out", e);
            }
        }
        return out;
    }

    private static <T> T get(org.apache.kafka.common.KafkaFuture<T> f, String what) {
        try {
            return f.get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            throw new org.apache.kafka.common.KafkaException(what + " failed: " + e.getCause(), e.getCause());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new org.apache.kafka.common.errors.InterruptException(e);
        } catch (java.util.concurrent.TimeoutException e) {
            throw new org.apache.kafka.common.errors.TimeoutException(what + " timed out", e);
        }
    }
}
