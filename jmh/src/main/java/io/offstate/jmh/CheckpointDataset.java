package io.offstate.jmh;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;

/**
 * The data set of the checkpoint case ({@link CheckpointBenchmark}, {@link CheckpointIncrementalBenchmark},
 * {@link CheckpointPutBenchmark}): {@code keys} entries, key {@code user:%08d} (13 B), value a
 * 90-110 byte JSON-like record
 * {@code {"id":i,"name":"user-i","score":s,"country":"XX","tags":["t1","t2"],"ts":t}} with a random
 * score (0..99,999), a country out of 20 codes, two tags out of 10 and a random timestamp: text
 * with repeated field names and some entropy, as the state of a stream processor often is (neither
 * all zeroes, which LZ4 shrinks to nothing, nor random bytes, which it cannot shrink at all). Values
 * are generated from a fixed seed, so every fork holds the same bytes. Loaded in key order, so
 * entries lie in memory in key order and a range of keys is a range of data chunks. Not thread-safe.
 */
final class CheckpointDataset {
    private static final String[] COUNTRIES = {"DE", "FR", "US", "GB", "JP", "BR", "IN", "CN", "ES", "IT",
        "NL", "SE", "NO", "PL", "CA", "MX", "AU", "KR", "ZA", "AR"};

    private CheckpointDataset() {
    }

    static byte[] key(long i) {
        return String.format("user:%08d", i).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] value(long i, SplittableRandom r) {
        return ("{\"id\":" + i + ",\"name\":\"user-" + i + "\",\"score\":" + r.nextInt(100_000) + ",\"country\":\""
            + COUNTRIES[r.nextInt(COUNTRIES.length)] + "\",\"tags\":[\"t" + r.nextInt(10) + "\",\"t" + r.nextInt(10)
            + "\"],\"ts\":" + (1_700_000_000_000L + r.nextInt(1_000_000_000)) + "}").getBytes(StandardCharsets.US_ASCII);
    }

    /** The in-memory store's options: a 4 GiB budget, sized for {@code keys}. */
    static StoreOptions options(int keys) {
        return StoreOptions.builder().name("checkpointed").memoryBudget(4L << 30).expectedEntries(keys).build();
    }

    /** A new in-memory store holding the data set. */
    static KeyValueStore load(int keys) {
        if (keys <= 0) {
            throw new IllegalArgumentException("keys must be > 0, was " + keys);
        }
        KeyValueStore store = KeyValueStore.create(options(keys));
        SplittableRandom r = new SplittableRandom(42);
        for (int i = 0; i < keys; i++) {
            store.put(key(i), value(i, r));
        }
        return store;
    }
}
