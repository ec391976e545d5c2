package io.offstate.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Comparator;
import java.util.SplittableRandom;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreImage;
import io.offstate.engine.StoreOptions;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * A small timed harness (not a test, no assertions): checkpoint and restore of a store of N
 * entries (default 1M) against a floor of memcpy + LZ4 + one sequential write of the same bytes,
 * incremental checkpoints at 1 %, 10 % and 100 % of the keys updated, the LZ4 ratio, and the
 * writer's put latency while a pinned checkpoint is compressed and uploaded on another thread.
 *
 * <p>Data set: key {@code user:%08d} (13 B); value a 90-110 byte JSON-like record
 * {@code {"id":i,"name":"user-i","score":s,"country":"XX","tags":["t1","t2"],"ts":t}} with random
 * score, country from 20 codes and timestamp: text with repeated field names, as stream state often is.
 *
 * <p>Run: {@code java -cp <test classpath> io.offstate.checkpoint.CheckpointMeasure [entries] [dir]}
 */
public final class CheckpointMeasure {
    private static final String[] COUNTRIES = {"DE", "FR", "US", "GB", "JP", "BR", "IN", "CN", "ES", "IT",
        "NL", "SE", "NO", "PL", "CA", "MX", "AU", "KR", "ZA", "AR"};

    private CheckpointMeasure() {
    }

    static byte[] value(long i, SplittableRandom r) {
        return ("{\"id\":" + i + ",\"name\":\"user-" + i + "\",\"score\":" + r.nextInt(100_000) + ",\"country\":\""
            + COUNTRIES[r.nextInt(COUNTRIES.length)] + "\",\"tags\":[\"t" + r.nextInt(10) + "\",\"t" + r.nextInt(10)
            + "\"],\"ts\":" + (1_700_000_000_000L + r.nextInt(1_000_000_000)) + "}").getBytes(StandardCharsets.UTF_8);
    }

    static byte[] key(long i) {
        return String.format("user:%08d", i).getBytes(StandardCharsets.UTF_8);
    }

    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        Path root = args.length > 1 ? Path.of(args[1]) : Files.createTempDirectory("ckpt-measure");
        StoreOptions options = StoreOptions.builder().name("measure").memoryBudget(2L << 30).expectedEntries(n).build();
        SplittableRandom r = new SplittableRandom(42);
        try (KeyValueStore store = KeyValueStore.create(options)) {
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                store.put(key(i), value(i, r));
            }
            System.out.printf("fill: %d entries, %.1f MB in use, %.0f ms%n", n, store.memoryUsed() / 1e6, ms(t0));
            for (int round = 0; round < 3; round++) { // the first rounds warm the JIT
                Path dir = root.resolve("round" + round);
                try (LocalCheckpointStorage st = LocalCheckpointStorage.open(dir)) {
                    measure(store, st, options, round == 2, r, n);
                }
                deleteTree(dir);
            }
        }
        deleteTree(root);
    }

    private static void measure(KeyValueStore store, LocalCheckpointStorage st, StoreOptions options, boolean print,
                                SplittableRandom r, int n) throws IOException, InterruptedException {
        Checkpoints c = Checkpoints.builder(st, "m").maxChain(100).build();
        double floor = floor(store, st.root().resolve("floor.bin")); // before the checkpoint: it takes an image
        long t = System.nanoTime();
        Checkpoints.Pending pending = c.begin(store, false, null);
        double pin = ms(t);
        CheckpointManifest full = pending.publish();
        pending.close();
        double fullMs = ms(t);
        CheckpointManifest.StoreSection s = full.stores().getFirst();
        long raw = s.rawBytes();
        long stored = s.storedBytes();


        t = System.nanoTime();
        RestoreResult rr = c.restore(full.id(), options, null);
        double restoreMs = ms(t);
        rr.store().close();
        double restoreFloor = restoreFloor(st, full);

        if (print) {
            System.out.printf("full checkpoint: raw %.1f MB, stored %.1f MB, LZ4 ratio %.3f (saves %.1f %%), pin (writer stall) %.0f ms,"
                    + " total %.0f ms = %.2f GB/s raw; floor (memcpy + LZ4 + sequential write) %.0f ms -> %.2f x floor%n",
                raw / 1e6, stored / 1e6, (double) stored / raw, 100.0 * (raw - stored) / raw, pin, fullMs, raw / fullMs / 1e6, floor,
                fullMs / floor);
            System.out.printf("restore (in memory): %.0f ms = %.2f GB/s raw; floor (read + LZ4 decompress + memcpy) %.0f ms -> %.2f x floor%n",
                restoreMs, raw / restoreMs / 1e6, restoreFloor, restoreMs / restoreFloor);
        }
        for (String pattern : new String[] {"1 % range", "1 % random", "10 % range", "10 % random", "100 %"}) {
            double fraction = pattern.startsWith("100") ? 1.0 : pattern.startsWith("10 ") ? 0.10 : 0.01;
            int updates = (int) (n * fraction);
            int from = pattern.contains("range") ? r.nextInt(n - updates) : 0;
            for (int i = 0; i < updates; i++) {
                long k = pattern.contains("random") ? r.nextInt(n) : from + i;
                store.put(key(k), value(k, r));
            }
            t = System.nanoTime();
            CheckpointManifest inc = c.checkpoint(store, true);
            double incMs = ms(t);
            if (print) {
                CheckpointManifest.StoreSection is = inc.stores().getFirst();
                System.out.printf("incremental, keys updated %-11s: %.0f ms (%.1f %% of full), raw %.1f MB, stored %.1f MB, chain %d%n",
                    pattern, incMs, 100 * incMs / fullMs, is.rawBytes() / 1e6, is.storedBytes() / 1e6, inc.chainLength());
            }
        }
        // writer put latency: without a checkpoint, then while a pinned full image is uploaded on another thread
        long[] quiet = putLatencies(store, r, n, 200_000, null);
        Checkpoints.Pending p = c.begin(store, false, null);
        Thread uploader = new Thread(() -> {
            try {
                p.publish();
            } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        long[] busy = putLatencies(store, r, n, 200_000, uploader);
        uploader.join();
        p.close();
        if (print) {
            System.out.printf("writer put latency without checkpoint: p50 %d ns, p99 %d ns, p99.9 %d ns%n",
                pct(quiet, 50), pct(quiet, 99), pct(quiet, 99.9));
            System.out.printf("writer put latency while a checkpoint uploads: p50 %d ns, p99 %d ns, p99.9 %d ns (%.2f x p99)%n",
                pct(busy, 50), pct(busy, 99), pct(busy, 99.9), (double) pct(busy, 99) / pct(quiet, 99));
        }
    }

    private static long[] putLatencies(KeyValueStore store, SplittableRandom r, int n, int count, Thread during) {
        long[] lat = new long[count];
        byte[][] keys = new byte[count][];
        byte[][] values = new byte[count][];
        for (int i = 0; i < count; i++) {
            long k = r.nextInt(n);
            keys[i] = key(k);
            values[i] = value(k, r);
        }
        if (during != null) {
            during.start();
        }
        for (int i = 0; i < count; i++) {
            long t = System.nanoTime();
            store.put(keys[i], values[i]);
            lat[i] = System.nanoTime() - t;
        }
        Arrays.sort(lat);
        return lat;
    }

    private static long pct(long[] sorted, double p) {
        return sorted[(int) Math.min(sorted.length - 1, Math.round(sorted.length * p / 100))];
    }

    /** memcpy of the store's bytes (a full image) + LZ4 of them in 1 MiB blocks + one sequential forced write of the result. */
    private static double floor(KeyValueStore store, Path file) throws IOException {
        long t = System.nanoTime();
        LZ4Compressor lz4 = LZ4Factory.safeInstance().fastCompressor();
        byte[] raw = new byte[1 << 20];
        byte[] out = new byte[lz4.maxCompressedLength(raw.length)];
        try (StoreImage image = store.image(); // the memcpy
             FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE)) {
            for (StoreImage.Region region : image.regions()) {
                long size = region.data().byteSize();
                for (long at = 0; at < size; at += raw.length) {
                    int len = (int) Math.min(raw.length, size - at);
                    java.lang.foreign.MemorySegment.copy(region.data(), java.lang.foreign.ValueLayout.JAVA_BYTE, at, raw, 0, len);
                    int c = lz4.compress(raw, 0, len, out, 0, out.length);
                    ByteBuffer b = ByteBuffer.wrap(out, 0, c);
                    while (b.hasRemaining()) {
                        ch.write(b);
                    }
                }
            }
            ch.force(true);
        }
        Files.delete(file);
        return ms(t);
    }

    /** Reading the checkpoint's blocks + LZ4 decompression + memcpy into new memory. */
    private static double restoreFloor(LocalCheckpointStorage st, CheckpointManifest m) throws IOException {
        long t = System.nanoTime();
        LZ4SafeDecompressor d = LZ4Factory.safeInstance().safeDecompressor();
        byte[] raw = new byte[1 << 20];
        try (java.lang.foreign.Arena arena = java.lang.foreign.Arena.ofConfined()) {
            java.lang.foreign.MemorySegment into = arena.allocate(m.stores().getFirst().rawBytes());
            long at = 0;
            for (CheckpointManifest.Block b : m.stores().getFirst().blocks()) {
                byte[] stored = st.readBlock(m.id(), b.name());
                int len = d.decompress(stored, 0, stored.length, raw, 0, b.rawLength());
                java.lang.foreign.MemorySegment.copy(raw, 0, into, java.lang.foreign.ValueLayout.JAVA_BYTE, at, len);
                at += len;
            }
        }
        return ms(t);
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    private static void deleteTree(Path p) throws IOException {
        if (Files.exists(p)) {
            try (var walk = Files.walk(p)) {
                for (Path q : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(q);
                }
            }
        }
    }
}
