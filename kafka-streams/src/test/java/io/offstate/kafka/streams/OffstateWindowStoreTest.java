package io.offstate.kafka.streams;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Windowed;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.streams.state.WindowStoreIterator;
import org.apache.kafka.test.InternalMockProcessorContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The window adapter's batching: many batches, keys that are prefixes of others, duplicates, writes between steps. */
class OffstateWindowStoreTest {
    @TempDir
    Path stateDir;

    private WindowStore<Bytes, byte[]> store;

    @AfterEach
    void close() {
        if (store != null) {
            store.close();
        }
    }

    private WindowStore<Bytes, byte[]> open(OffstateWindowBytesStoreSupplier supplier) {
        store = supplier.get();
        store.init(new InternalMockProcessorContext<>(stateDir.toFile(), Serdes.Bytes(), Serdes.ByteArray(),
            new StreamsConfig(Map.of(StreamsConfig.APPLICATION_ID_CONFIG, "test",
                StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9"))), store);
        return store;
    }

    private static Bytes key(String s) {
        return Bytes.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    /** Reads a whole iterator, writing a new window into the current segment after each step. */
    private List<String> drainWhileWriting(KeyValueIterator<Windowed<Bytes>, byte[]> it, WindowStore<Bytes, byte[]> s) {
        List<String> out = new ArrayList<>();
        int i = 0;
        while (it.hasNext()) {
            KeyValue<Windowed<Bytes>, byte[]> kv = it.next();
            out.add(new String(kv.key.key().get(), StandardCharsets.UTF_8) + "@" + kv.key.window().start());
            s.put(key("zz-new"), new byte[] {1}, 1_000_000 + i++);
        }
        it.close();
        return out;
    }

    @Test
    void rangeOverManyBatchesMatchesAOneShotReadAndNeverRepeats() {
        WindowStore<Bytes, byte[]> s = open(OffstateWindowBytesStoreSupplier.inMemory("w", 3_600_000, 1_000, false)
            .segmentInterval(10_000));
        List<String> keys = List.of("a", "a ", "aa", "a\u0000", "b", "ab");
        for (int t = 0; t < 200; t++) {
            for (String k : keys) {
                s.put(key(k), new byte[] {(byte) t}, t * 137L);
            }
        }
        List<String> oneShot = new ArrayList<>();
        List<String> reference = new ArrayList<>();
        try (KeyValueIterator<Windowed<Bytes>, byte[]> it = s.fetch(key("a"), key("b"), 0, 199 * 137L)) {
            it.forEachRemaining(kv -> reference.add(new String(kv.key.key().get(), StandardCharsets.UTF_8) + "@"
                + kv.key.window().start()));
        }
        oneShot.addAll(drainWhileWriting(s.fetch(key("a"), key("b"), 0, 199 * 137L), s));
        assertEquals(200 * keys.size(), reference.size());
        assertEquals(reference, oneShot, "batched read while writing elsewhere = plain read");
        assertEquals(reference.size(), reference.stream().distinct().count(), "no window twice");

        List<String> backward = drainWhileWriting(s.backwardFetch(key("a"), key("b"), 0, 199 * 137L), s);
        List<String> reversed = new ArrayList<>(reference);
        java.util.Collections.reverse(reversed);
        assertEquals(reversed, backward);
    }

    @Test
    void singleKeyFetchWithRetainedDuplicatesReturnsEveryDuplicateAcrossBatches() {
        WindowStore<Bytes, byte[]> s = open(OffstateWindowBytesStoreSupplier.inMemory("j", 60_000, 100, true));
        for (int i = 0; i < 300; i++) {
            s.put(key("k"), new byte[] {(byte) i}, 5_000);          // 300 duplicates of one window: > 2 batches
        }
        s.put(key("k"), new byte[] {9}, 6_000);
        int count = 0;
        try (WindowStoreIterator<byte[]> it = s.fetch(key("k"), 0, 10_000)) {
            while (it.hasNext()) {
                KeyValue<Long, byte[]> kv = it.next();
                assertEquals(count < 300 ? 5_000L : 6_000L, kv.key);
                count++;
            }
            assertFalse(it.hasNext());
        }
        assertEquals(301, count);
    }

    @Test
    void interactiveQueryThreadReadsWindowsWhileTheStreamThreadWrites() throws Exception {
        WindowStore<Bytes, byte[]> s = open(OffstateWindowBytesStoreSupplier.persistent("iq", 3_600_000, 1_000, false));
        java.util.concurrent.atomic.AtomicBoolean stop = new java.util.concurrent.atomic.AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
        java.util.concurrent.atomic.AtomicLong reads = new java.util.concurrent.atomic.AtomicLong();
        Thread reader = new Thread(() -> {
            try {
                while (!stop.get()) {
                    long previous = -1;
                    try (WindowStoreIterator<byte[]> it = s.fetch(key("k"), 0, Long.MAX_VALUE)) {
                        while (it.hasNext()) {
                            KeyValue<Long, byte[]> kv = it.next();
                            if (kv.key <= previous || kv.value[0] != (byte) (kv.key / 1_000)) {
                                throw new AssertionError("window " + kv.key + " after " + previous + " value " + kv.value[0]);
                            }
                            previous = kv.key;
                        }
                    }
                    reads.incrementAndGet();
                }
            } catch (Throwable t) {
                failure.set(t);
            }
        }, "iq-reader");
        reader.start();
        for (int i = 0; i < 3_000; i++) {
            s.put(key("k"), new byte[] {(byte) i}, i * 1_000L);
        }
        stop.set(true);
        reader.join();
        if (failure.get() != null) {
            throw new AssertionError("reader failed", failure.get());
        }
        assertTrue(reads.get() > 0, "the reader ran");
        assertEquals((byte) 2_999, s.fetch(key("k"), 2_999_000L)[0]);
    }
}
