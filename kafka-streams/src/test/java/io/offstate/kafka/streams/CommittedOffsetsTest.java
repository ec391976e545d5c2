package io.offstate.kafka.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.apache.kafka.test.InternalMockProcessorContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * KIP-1035 offsets of offstate stores: a commit records the changelog offsets and is made durable
 * only when due, always atomically with the data. A "crash" here is a copy of the store's directory
 * taken while the store is open (its files hold exactly the last durable flush: writes stay private
 * to the process until a flush), opened as another task's state directory.
 */
class CommittedOffsetsTest {
    private static final TopicPartition CHANGELOG = new TopicPartition("app-counts-changelog", 0);

    @TempDir
    Path tmp;

    private final List<StateStore> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(StateStore::close);
    }

    private <S extends StateStore> S init(S store, Path stateDir, long delta) {
        Map<String, Object> config = new HashMap<>();
        config.put(StreamsConfig.APPLICATION_ID_CONFIG, "test");
        config.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        config.put(OffstateStreamsConfig.COMMIT_DURABLE_OFFSET_DELTA_CONFIG, delta);
        config.put(OffstateStreamsConfig.COMMIT_DURABLE_INTERVAL_MS_CONFIG, 3_600_000L);
        store.init(new InternalMockProcessorContext<>(stateDir.toFile(), Serdes.Bytes(), Serdes.ByteArray(),
            new StreamsConfig(config)), store);
        opened.add(store);
        return store;
    }

    /** A copy of {@code stateDir} now: what a crash at this instant would leave on disk. */
    private Path crashCopy(Path stateDir) throws IOException {
        Path copy = Files.createTempDirectory(tmp, "crash-");
        try (Stream<Path> files = Files.walk(stateDir)) {
            for (Path f : files.toList()) {
                Path target = copy.resolve(stateDir.relativize(f).toString());
                if (Files.isDirectory(f)) {
                    Files.createDirectories(target);
                } else if (!f.getFileName().toString().endsWith(".lock")) {
                    Files.copy(f, target);
                }
            }
        }
        return copy;
    }

    private static Bytes key(int i) {
        return Bytes.wrap(ByteBuffer.allocate(4).putInt(i).array());
    }

    private static byte[] value(int i) {
        return ByteBuffer.allocate(4).putInt(i).array();
    }

    @Test
    void keyValueCommitsAreDurableOnlyWhenTheOffsetsMovedByTheDeltaAndAlwaysWithTheirData() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("live"));
        KeyValueStore<Bytes, byte[]> store = init(OffstateKeyValueBytesStoreSupplier.persistent("counts").get(), dir, 1_000);
        assertTrue(store.managesOffsets());
        assertNull(store.committedOffset(CHANGELOG), "a new store has no offset");

        store.put(key(1), value(1));
        store.commit(Map.of(CHANGELOG, 10L));          // moved 10 < 1,000: recorded, not durable
        assertEquals(10L, store.committedOffset(CHANGELOG), "the open store answers the last commit");
        Path crash1 = crashCopy(dir);

        store.put(key(2), value(2));
        store.commit(Map.of(CHANGELOG, 1_500L));       // moved 1,500: durable, with keys 1 and 2
        store.put(key(3), value(3));
        store.commit(Map.of(CHANGELOG, 1_600L));       // moved 100 since: not durable
        Path crash2 = crashCopy(dir);

        KeyValueStore<Bytes, byte[]> after1 = init(OffstateKeyValueBytesStoreSupplier.persistent("counts").get(), crash1, 1_000);
        assertNull(after1.committedOffset(CHANGELOG), "no durable commit yet: Kafka Streams restores from the start");
        assertNull(after1.get(key(1)), "and the store holds none of the data the offset would not cover");

        KeyValueStore<Bytes, byte[]> after2 = init(OffstateKeyValueBytesStoreSupplier.persistent("counts").get(), crash2, 1_000);
        assertEquals(1_500L, after2.committedOffset(CHANGELOG), "the offset of the last durable commit");
        assertArrayEquals(value(1), after2.get(key(1)));
        assertArrayEquals(value(2), after2.get(key(2)));
        assertNull(after2.get(key(3)), "exactly the data of that commit: key 3 comes back from the changelog");

        store.close();                                 // close is durable with the last commit
        KeyValueStore<Bytes, byte[]> reopened = init(OffstateKeyValueBytesStoreSupplier.persistent("counts").get(), dir, 1_000);
        assertEquals(1_600L, reopened.committedOffset(CHANGELOG));
        assertArrayEquals(value(3), reopened.get(key(3)));
    }

    @Test
    void removingTheOffsetsIsDurableAtOnceAndADeltaOfZeroMakesEveryCommitDurable() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("live"));
        KeyValueStore<Bytes, byte[]> store = init(OffstateKeyValueBytesStoreSupplier.persistent("counts").get(), dir, 0);
        store.put(key(1), value(1));
        store.commit(Map.of(CHANGELOG, 5L));
        Path durable = crashCopy(dir);
        store.commit(Map.of());                        // corruption recovery: drop every offset
        Path dropped = crashCopy(dir);

        KeyValueStore<Bytes, byte[]> a = init(OffstateKeyValueBytesStoreSupplier.persistent("counts").get(), durable, 1_000);
        assertEquals(5L, a.committedOffset(CHANGELOG), "delta 0: every commit is durable");
        assertArrayEquals(value(1), a.get(key(1)));
        KeyValueStore<Bytes, byte[]> b = init(OffstateKeyValueBytesStoreSupplier.persistent("counts").get(), dropped, 1_000);
        assertNull(b.committedOffset(CHANGELOG), "a dropped offset never comes back after a crash");

        Map<TopicPartition, Long> removeOne = new HashMap<>();
        removeOne.put(CHANGELOG, null);
        store.commit(Map.of(CHANGELOG, 7L));
        store.commit(removeOne);
        assertNull(store.committedOffset(CHANGELOG), "a null value removes that partition's offset");
    }

    @Test
    void windowStoreKeepsItsOffsetsAndPositionAcrossAReopenAndAnInMemoryStoreClaimsNone() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("w"));
        WindowStore<Bytes, byte[]> store = init(OffstateWindowBytesStoreSupplier.persistent("w", 60_000, 10_000, false).get(),
            dir, 1_000);
        assertNull(store.committedOffset(CHANGELOG));
        store.put(key(1), value(1), 10_000);
        store.commit(Map.of(CHANGELOG, 42L));
        store.close();
        WindowStore<Bytes, byte[]> again = init(OffstateWindowBytesStoreSupplier.persistent("w", 60_000, 10_000, false).get(),
            dir, 1_000);
        assertEquals(42L, again.committedOffset(CHANGELOG), "read from the store's files at init, before any use");
        try (WindowStoreIterator<byte[]> it = again.fetch(key(1), 0, 60_000)) {
            assertArrayEquals(value(1), it.next().value);
        }

        KeyValueStore<Bytes, byte[]> memory = init(OffstateKeyValueBytesStoreSupplier.inMemory("m").get(), dir, 0);
        memory.commit(Map.of(CHANGELOG, 3L));
        assertNull(memory.committedOffset(CHANGELOG), "an in-memory store is restored from the start");
    }

    @Test
    void metadataRoundTripsOffsetsOfSeveralPartitionsAndThePosition() {
        CommittedOffsets o = new CommittedOffsets(10, 1_000);
        TopicPartition other = new TopicPartition("global-topic", 3);
        assertTrue(o.commit(Map.of(CHANGELOG, 4L, other, 9L), 1), "moved 13 >= 10");
        Position position = Position.emptyPosition().withComponent("input", 1, 77L);
        byte[] metadata = o.encode(position);

        CommittedOffsets loaded = new CommittedOffsets(10, 1_000);
        Position restored = Position.emptyPosition();
        loaded.load(metadata, 5, restored);
        assertEquals(4L, loaded.get(CHANGELOG));
        assertEquals(9L, loaded.get(other));
        assertEquals(position, restored);
        assertThrows(org.apache.kafka.streams.errors.ProcessorStateException.class,
            () -> new CommittedOffsets(10, 1_000).load(new byte[] {9, 0}, 0, Position.emptyPosition()));
    }
}
