package io.offstate.changelog;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.RecordsToDelete;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.utils.Time;

import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import kafka.tools.StorageTool;

/**
 * A real single-node Kafka broker (KRaft, combined broker and controller) inside the test JVM, bound
 * to 127.0.0.1 on free ports, its data in a temporary directory deleted at {@link #close()}. A test
 * class starts one in {@code @BeforeAll} and shares it (about 1.5 s to start); topics get unique
 * names per test.
 *
 * <p>{@link #startInChildJvm()} runs the same broker in a child JVM instead (this class's
 * {@link #main}), for restart tests: its {@link #restart()} SIGKILLs the child
 * ({@link Process#destroyForcibly()}) and starts a new one on the same log directory and ports, an
 * unclean broker crash. The child's output goes to {@code broker.log} in its directory.
 *
 * <p>If it cannot start, {@link #start()} throws an {@link AssertionError} saying why, so the tests
 * fail (never skip). Thread-safe after start: the admin client is Kafka's (thread-safe).
 */
public final class KafkaBroker implements AutoCloseable {
    private final Path dir;
    private final int brokerPort;
    private final Properties config;
    private KafkaRaftServer server;
    private final Admin admin;
    private volatile boolean closed;
    /** The child-JVM broker and how to start it again, or null (in this JVM). */
    private Process child;
    private List<String> childCommand;

    private KafkaBroker(Path dir, int brokerPort, Properties config, KafkaRaftServer server, Admin admin) {
        this.dir = dir;
        this.config = config;
        this.brokerPort = brokerPort;
        this.server = server;
        this.admin = admin;
    }

    /** Formats a temporary storage directory, starts the broker and waits until it serves requests. */
    public static KafkaBroker start() {
        Path dir = null;
        KafkaRaftServer server = null;
        try {
            dir = Files.createTempDirectory("offstate-kafka-");
            int controllerPort = freePort();
            int brokerPort = freePort();
            Properties p = config(dir, brokerPort, controllerPort);
            Path config = dir.resolve("server.properties");
            format(p, config);
            server = new KafkaRaftServer(KafkaConfig.fromProps(p), Time.SYSTEM);
            server.startup();
            Admin admin = admin(brokerPort);
            try {
                awaitServing(admin);
            } catch (Exception e) {
                admin.close();
                throw e;
            }
            return new KafkaBroker(dir, brokerPort, p, server, admin);
        } catch (Throwable e) {
            if (server != null) {
                try {
                    server.shutdown();
                    server.awaitShutdown();
                } catch (RuntimeException ignored) {
                    e.addSuppressed(ignored);
                }
            }
            if (dir != null) {
                deleteRecursively(dir);
            }
            throw new AssertionError("the in-JVM Kafka broker (org.apache.kafka:kafka_2.13, KRaft on 127.0.0.1) could not"
                + " start, so the changelog tests cannot run: " + e, e);
        }
    }

    private static Admin admin(int brokerPort) {
        return Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:" + brokerPort,
            AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, "30000"));
    }

    /**
     * The broker in a child JVM (see the class comment); {@link #restart()} kills it with SIGKILL
     * and starts it again on the same data and ports.
     */
    public static KafkaBroker startInChildJvm() {
        Path dir = null;
        Process proc = null;
        try {
            dir = Files.createTempDirectory("offstate-kafka-child-");
            int controllerPort = freePort();
            int brokerPort = freePort();
            Properties p = config(dir, brokerPort, controllerPort);
            Path config = dir.resolve("server.properties");
            format(p, config);
            String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
            List<String> command = List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                KafkaBroker.class.getName(), config.toString());
            proc = startChild(command, dir);
            Admin admin = admin(brokerPort);
            try {
                awaitServing(admin);
            } catch (Exception e) {
                admin.close();
                throw e;
            }
            KafkaBroker b = new KafkaBroker(dir, brokerPort, p, null, admin);
            b.child = proc;
            b.childCommand = command;
            return b;
        } catch (Throwable e) {
            String log = "";
            if (dir != null) {
                try {
                    log = Files.readString(dir.resolve("broker.log"));
                } catch (IOException ignored) {
                    // no log
                }
            }
            if (proc != null) {
                proc.destroyForcibly();
            }
            if (dir != null) {
                deleteRecursively(dir);
            }
            throw new AssertionError("the child-JVM Kafka broker (org.apache.kafka:kafka_2.13, KRaft on 127.0.0.1) could not"
                + " start: " + e + "\n" + log, e);
        }
    }

    private static Process startChild(List<String> command, Path dir) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.redirectErrorStream(true);
        pb.redirectOutput(ProcessBuilder.Redirect.appendTo(dir.resolve("broker.log").toFile()));
        return pb.start();
    }

    /** The child JVM's entry: {@code KafkaBroker <server.properties>} (formatted already); runs until killed. */
    public static void main(String[] args) throws Exception {
        Properties p = new Properties();
        try (var in = Files.newInputStream(Path.of(args[0]))) {
            p.load(in);
        }
        KafkaRaftServer s = new KafkaRaftServer(KafkaConfig.fromProps(p), Time.SYSTEM);
        s.startup();
        s.awaitShutdown();
    }

    /** Writes {@code p} to {@code config} and formats the storage directory it names. */
    private static void format(Properties p, Path config) throws IOException {
        try (OutputStream out = Files.newOutputStream(config)) {
            p.store(out, "offstate test broker");
        }
        ByteArrayOutputStream formatOutput = new ByteArrayOutputStream();
        int rc = StorageTool.execute(new String[] {"format", "-t", Uuid.randomUuid().toString(), "-c", config.toString()},
            new PrintStream(formatOutput, true, StandardCharsets.UTF_8));
        if (rc != 0) {
            throw new IllegalStateException("kafka-storage format returned " + rc + ": "
                + formatOutput.toString(StandardCharsets.UTF_8));
        }
    }

    private static Properties config(Path dir, int brokerPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", dir.resolve("data").toString());
        p.put("offsets.topic.replication.factor", "1");
        p.put("offsets.topic.num.partitions", "4");
        p.put("transaction.state.log.replication.factor", "1");
        p.put("transaction.state.log.min.isr", "1");
        p.put("transaction.state.log.num.partitions", "4");
        p.put("min.insync.replicas", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("auto.create.topics.enable", "false");
        // the cleaner checks often so that compaction tests do not wait long
        p.put("log.cleaner.backoff.ms", "200");
        p.put("log.retention.check.interval.ms", "1000");
        p.put("transaction.abort.timed.out.transaction.cleanup.interval.ms", "1000");
        p.put("transaction.remove.expired.transaction.cleanup.interval.ms", "5000");
        return p;
    }

    private static void awaitServing(Admin admin) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            try {
                if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                    return;
                }
            } catch (Exception e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            Thread.sleep(100);
        }
    }

    /**
     * Stops the broker and starts it again on the same ports and data (clients reconnect): in this
     * JVM a clean shutdown; a {@link #startInChildJvm() child-JVM} broker is SIGKILLed.
     */
    public void restart() {
        if (child != null) {
            // a child-JVM broker dies unclean: SIGKILL, then a new JVM on the same data and ports
            child.destroyForcibly();
            try {
                if (!child.waitFor(30, TimeUnit.SECONDS)) {
                    throw new AssertionError("the killed broker JVM did not exit in 30 s");
                }
                child = startChild(childCommand, dir);
            } catch (IOException | InterruptedException e) {
                throw new AssertionError("the broker JVM could not be restarted: " + e, e);
            }
        } else {
            server.shutdown();
            server.awaitShutdown();
            server = new KafkaRaftServer(KafkaConfig.fromProps(config), Time.SYSTEM);
            server.startup();
        }
        try {
            awaitServing(admin);
        } catch (Exception e) {
            throw new AssertionError("the broker did not come back after a restart: " + e, e);
        }
    }

    /** {@code 127.0.0.1:<port>}. */
    public String bootstrap() {
        return "127.0.0.1:" + brokerPort;
    }

    public Admin admin() {
        return admin;
    }

    /** Creates a topic with {@code partitions} partitions and the given configs; waits for it. */
    public void createTopic(String name, int partitions, Map<String, String> configs) {
        try {
            admin.createTopics(List.of(new NewTopic(name, partitions, (short) 1).configs(configs))).all().get(30, TimeUnit.SECONDS);
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (true) {   // metadata reaches the broker a moment after the create returns
                try {
                    var d = admin.describeTopics(List.of(name)).allTopicNames().get(30, TimeUnit.SECONDS).get(name);
                    if (d.partitions().size() == partitions && d.partitions().stream().allMatch(p -> p.leader() != null)) {
                        break;
                    }
                } catch (ExecutionException e) {
                    if (System.nanoTime() > deadline) {
                        throw e;
                    }
                }
                Thread.sleep(50);
            }
        } catch (Exception e) {
            throw new AssertionError("creating topic " + name + " failed: " + e, e);
        }
    }

    public void createTopic(String name, int partitions) {
        createTopic(name, partitions, Map.of());
    }

    /** Whether {@code name} exists. */
    public boolean topicExists(String name) {
        try {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS).contains(name);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** The topic's config value {@code key} as the broker reports it. */
    public String topicConfig(String topic, String key) {
        try {
            var resource = new org.apache.kafka.common.config.ConfigResource(
                org.apache.kafka.common.config.ConfigResource.Type.TOPIC, topic);
            return admin.describeConfigs(List.of(resource)).all().get(30, TimeUnit.SECONDS).get(resource).get(key).value();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    int partitionCount(String topic) {
        try {
            return admin.describeTopics(List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().size();
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    /** Moves the partition's log start offset to {@code offset} (records before it are gone). */
    void deleteRecordsBefore(TopicPartition tp, long offset) {
        try {
            admin.deleteRecords(Map.of(tp, RecordsToDelete.beforeOffset(offset))).all().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError("deleteRecords " + tp + " before " + offset + " failed: " + e, e);
        }
    }

    /** Earliest and end offsets (read_uncommitted). */
    long[] offsets(TopicPartition tp) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(false)) {
            long begin = c.beginningOffsets(List.of(tp)).get(tp);
            long end = c.endOffsets(List.of(tp)).get(tp);
            return new long[] {begin, end};
        }
    }

    /** A producer (not transactional) with byte-array serdes. */
    KafkaProducer<byte[], byte[]> producer() {
        Map<String, Object> c = new HashMap<>();
        c.put(ProducerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        c.put(ProducerConfig.KEY_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        c.put(ProducerConfig.VALUE_SERIALIZER_CLASS_CONFIG, ByteArraySerializer.class);
        c.put(ProducerConfig.LINGER_MS_CONFIG, 0);
        return new KafkaProducer<>(c);
    }

    /** Produces {@code records} and waits for every acknowledgement. */
    void produce(List<ProducerRecord<byte[], byte[]>> records) {
        try (KafkaProducer<byte[], byte[]> p = producer()) {
            for (ProducerRecord<byte[], byte[]> r : records) {
                p.send(r);
            }
            p.flush();
        }
    }

    /** A consumer without a group (assign only). */
    KafkaConsumer<byte[], byte[]> consumer(boolean readCommitted) {
        Map<String, Object> c = new HashMap<>();
        c.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap());
        c.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, ByteArrayDeserializer.class);
        c.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        c.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        c.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, readCommitted ? "read_committed" : "read_uncommitted");
        return new KafkaConsumer<>(c);
    }

    /** Every record of {@code tp} from the beginning to its end offset as of now. */
    List<ConsumerRecord<byte[], byte[]>> readAll(TopicPartition tp, boolean readCommitted) {
        try (KafkaConsumer<byte[], byte[]> c = consumer(readCommitted)) {
            c.assign(List.of(tp));
            c.seekToBeginning(List.of(tp));
            long end = c.endOffsets(List.of(tp)).get(tp);
            List<ConsumerRecord<byte[], byte[]>> out = new java.util.ArrayList<>();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (c.position(tp) < end) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("reading " + tp + " did not reach " + end + " in 30 s (at " + c.position(tp) + ")");
                }
                for (ConsumerRecord<byte[], byte[]> r : c.poll(Duration.ofMillis(200))) {
                    out.add(r);
                }
            }
            return out;
        }
    }

    /** Deletes topics (waits). */
    void deleteTopics(Collection<String> names) {
        try {
            admin.deleteTopics(names).all().get(30, TimeUnit.SECONDS);
        } catch (InterruptedException | ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new AssertionError(e);
        }
    }

    Set<String> topics() {
        try {
            return admin.listTopics().names().get(30, TimeUnit.SECONDS);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            admin.close(Duration.ofSeconds(5));
        } finally {
            try {
                if (child != null) {
                    child.destroyForcibly();
                    child.waitFor(30, TimeUnit.SECONDS);
                } else {
                    server.shutdown();
                    server.awaitShutdown();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                deleteRecursively(dir);
            }
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 0, InetAddress.getByName("127.0.0.1"))) {
            s.setReuseAddress(true);
            return s.getLocalPort();
        }
    }

    static void deleteRecursively(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(java.util.Comparator.reverseOrder()).forEach(f -> {
                try {
                    Files.deleteIfExists(f);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
