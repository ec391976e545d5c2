package io.offstate.kafka.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.processor.StateStore;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.TimestampedBytesStore;
import org.apache.kafka.test.InternalMockProcessorContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The adapter's own guarantees beyond Kafka's conformance suite: threads, batches, files, markers. */
class OffstateKeyValueStoreTest {
    @TempDir
    Path stateDir;

    private final List<StateStore> opened = new ArrayList<>();

    @AfterEach
    void closeAll() {
        opened.forEach(StateStore::close);
    }

    private KeyValueStore<Bytes, byte[]> open(OffstateKeyValueBytesStoreSupplier supplier) {
        KeyValueStore<Bytes, byte[]> store = supplier.get();
        InternalMockProcessorContext<?, ?> context =
            new InternalMockProcessorContext<>(stateDir.toFile(), Serdes.Bytes(), Serdes.ByteArray(), new StreamsConfig(Map.of(
                StreamsConfig.APPLICATION_ID_CONFIG, "test", StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9")));
        store.init(context, store);
        opened.add(store);
        return store;
    }

    private static Bytes key(int i) {
        return Bytes.wrap(ByteBuffer.allocate(4).putInt(i).array());
    }

    private static byte[] value(int i) {
        return ByteBuffer.allocate(4).putInt(i).array();
    }

    @Test
    void iteratorSpanningManyBatchesReturnsEveryKeyOnceInOrderDespiteWritesBetweenSteps() {
        KeyValueStore<Bytes, byte[]> store = open(OffstateKeyValueBytesStoreSupplier.inMemory("s"));
        int n = BatchedRangeIterator.BATCH * 3 + 7;
        for (int i = 0; i < n; i++) {
            store.put(key(i * 2), value(i));
        }
        List<Bytes> seen = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<Bytes, byte[]> kv = it.next();
                seen.add(kv.key);
                store.put(key(ByteBuffer.wrap(kv.key.get()).getInt() + 1), value(-1)); // odd keys: written while iterating
            }
        }
        for (int i = 1; i < seen.size(); i++) {
            assertTrue(seen.get(i - 1).compareTo(seen.get(i)) < 0, "ascending, no key twice");
        }
        for (int i = 0; i < n; i++) {
            assertTrue(seen.contains(key(i * 2)), "unchanged key " + i * 2 + " returned");
        }
    }

    @Test
    void reverseRangeAcrossBatchesIsTheExactReverseOfRange() {
        KeyValueStore<Bytes, byte[]> store = open(OffstateKeyValueBytesStoreSupplier.inMemory("s"));
        for (int i = 0; i < 1000; i++) {
            store.put(key(i), value(i));
        }
        List<Bytes> forward = new ArrayList<>();
        List<Bytes> backward = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.range(key(100), key(900))) {
            it.forEachRemaining(kv -> forward.add(kv.key));
        }
        try (KeyValueIterator<Bytes, byte[]> it = store.reverseRange(key(100), key(900))) {
            it.forEachRemaining(kv -> backward.add(0, kv.key));
        }
        assertEquals(801, forward.size());
        assertEquals(forward, backward);
        assertEquals(key(900), forward.get(800));
    }

    @Test
    void prefixScanReturnsOnlyKeysWithThePrefix() {
        KeyValueStore<Bytes, byte[]> store = open(OffstateKeyValueBytesStoreSupplier.inMemory("s"));
        for (String k : List.of("a", "ab", "abc", "ab\u00ff", "ac", "b")) {
            store.put(Bytes.wrap(k.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1)), value(1));
        }
        List<String> found = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = store.prefixScan("ab", Serdes.String().serializer())) {
            it.forEachRemaining(kv -> found.add(new String(kv.key.get(), java.nio.charset.StandardCharsets.ISO_8859_1)));
        }
        assertEquals(List.of("ab", "abc", "ab\u00ff"), found);
        assertNull(OffstateKeyValueStore.successor(new byte[] {(byte) 0xFF, (byte) 0xFF}));
        assertArrayEquals(new byte[] {1, 3}, OffstateKeyValueStore.successor(new byte[] {1, 2, (byte) 0xFF}));
    }

    @Test
    void readsFromAnotherThreadSeeWholeWritesWhileTheOwnerWrites() throws Exception {
        KeyValueStore<Bytes, byte[]> store = open(OffstateKeyValueBytesStoreSupplier.inMemory("s"));
        AtomicBoolean stop = new AtomicBoolean();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        long[] reads = new long[1];
        Thread reader = new Thread(() -> {
            try {
                while (!stop.get()) {
                    byte[] v = store.get(key(7));
                    if (v != null) {
                        int x = ByteBuffer.wrap(v).getInt();
                        if (x < 0) {
                            throw new AssertionError("value never written: " + x);
                        }
                    }
                    try (KeyValueIterator<Bytes, byte[]> it = store.all()) {
                        while (it.hasNext()) {
                            it.next();
                        }
                    }
                    reads[0]++;
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "iq-reader");
        reader.start();
        for (int i = 0; i < 20_000; i++) {
            store.put(key(i % 300), value(i));
            if (i % 7 == 0) {
                store.delete(key((i + 1) % 300));
            }
        }
        stop.set(true);
        reader.join();
        if (failure.get() != null) {
            throw new AssertionError("reader failed", failure.get());
        }
        assertTrue(reads[0] > 0, "the reader ran");
        assertArrayEquals(value(19_999), store.get(key(19_999 % 300)), "the writer still owns its writes");
    }

    @Test
    void persistentStoreLivesUnderStateDirAndReopensWithItsData() {
        KeyValueStore<Bytes, byte[]> store = open(OffstateKeyValueBytesStoreSupplier.persistent("counts"));
        assertTrue(store.persistent());
        store.put(key(1), value(11));
        store.commit(Map.of());
        store.close();
        assertTrue(Files.isDirectory(stateDir.resolve("counts")), "directory named after the store");
        KeyValueStore<Bytes, byte[]> again = open(OffstateKeyValueBytesStoreSupplier.persistent("counts"));
        assertArrayEquals(value(11), again.get(key(1)));
    }

    @Test
    void closeIsIdempotentAndLaterCallsThrowInvalidStateStoreException() {
        KeyValueStore<Bytes, byte[]> store = open(OffstateKeyValueBytesStoreSupplier.inMemory("s"));
        store.put(key(1), value(1));
        KeyValueIterator<Bytes, byte[]> open = store.all();
        store.close();
        store.close();
        assertFalse(store.isOpen());
        assertThrows(InvalidStateStoreException.class, () -> store.get(key(1)));
        assertThrows(InvalidStateStoreException.class, open::hasNext);
    }

    @Test
    void timestampedSupplierMarksItsStoresAndPlainOneDoesNot() {
        StateStore timestamped = OffstateKeyValueBytesStoreSupplier.persistent("t").get();
        StateStore plain = OffstateKeyValueBytesStoreSupplier.persistent("t").timestamped(false).get();
        assertInstanceOf(TimestampedBytesStore.class, timestamped);
        assertFalse(plain instanceof TimestampedBytesStore);
        assertFalse(OffstateKeyValueBytesStoreSupplier.inMemory("m").get().persistent());
        assertEquals("offstate", OffstateKeyValueBytesStoreSupplier.inMemory("m").metricsScope());
    }

    @Test
    void interactiveQueriesV2AnswerKeyAndRangeQueriesWithThePositionOfTheWrites() {
        KeyValueStore<Bytes, byte[]> store = open(OffstateKeyValueBytesStoreSupplier.inMemory("s"));
        for (int i = 0; i < 10; i++) {
            store.put(key(i), value(i * 10));
        }
        org.apache.kafka.streams.query.QueryResult<byte[]> one = store.query(
            org.apache.kafka.streams.query.KeyQuery.withKey(key(3)),
            org.apache.kafka.streams.query.PositionBound.unbounded(), new org.apache.kafka.streams.query.QueryConfig(false));
        assertTrue(one.isSuccess(), one.toString());
        assertArrayEquals(value(30), one.getResult());
        org.apache.kafka.streams.query.QueryResult<KeyValueIterator<Bytes, byte[]>> range = store.query(
            org.apache.kafka.streams.query.RangeQuery.withRange(key(2), key(4)),
            org.apache.kafka.streams.query.PositionBound.unbounded(), new org.apache.kafka.streams.query.QueryConfig(false));
        assertTrue(range.isSuccess(), range.toString());
        List<Bytes> keys = new ArrayList<>();
        try (KeyValueIterator<Bytes, byte[]> it = range.getResult()) {
            it.forEachRemaining(kv -> keys.add(kv.key));
        }
        assertEquals(List.of(key(2), key(3), key(4)), keys);
    }

    @Test
    void storeBeyondItsBudgetRefusesTheWriteAndKeepsItsData() {
        KeyValueStore<Bytes, byte[]> store = open(OffstateKeyValueBytesStoreSupplier.inMemory("s").memoryBudget(8L << 20));
        store.put(key(1), value(1));
        byte[] big = new byte[4 << 20];
        assertThrows(io.offstate.offheap.StoreFullException.class, () -> {
            for (int i = 2; i < 10; i++) {
                store.put(key(i), big);
            }
        });
        assertArrayEquals(value(1), store.get(key(1)));
    }
}
