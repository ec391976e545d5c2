package io.offstate.jmh;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreImage;
import io.offstate.engine.StoreOptions;

/**
 * What a checkpoint costs the store's writer, with copy-on-write images ({@code StoreImage}):
 * an in-memory store of {@link #keys} entries (16 B keys, 64 B values), all four measured in one
 * run so they can be compared as ratios.
 *
 * <ul>
 *   <li>{@link #pin}: {@code store.image()} and closing it unread, single shot: what the owner
 *       thread pays to pin a consistent state (no store bytes are copied).</li>
 *   <li>{@link #putNoCheckpoint} and {@link #putDuringCheckpoint}: one in-place overwrite of a
 *       random key, sampled (p99 in the summary). In the second a reader thread copies each image
 *       out chunk by chunk ({@code Region.read} into a 1 MiB buffer, the checkpoint writer's part
 *       without LZ4 or storage) while the writer goes on; whenever the reader is done, the writer
 *       closes that image and pins the next one inside the sampled put, so the pins are counted
 *       too and checkpoints run back to back for the whole measurement.</li>
 *   <li>{@link #fullCheckpoint} and {@link #incrementalCheckpoint}: single shot, pin and copy out
 *       every carried byte; before each incremental one, 1% of the store's chunks were changed
 *       (consecutive keys, which sit together in memory) since the image before it.</li>
 * </ul>
 * The peer is the same store: the targets are put p99 during a checkpoint at most 2 x without one,
 * and an incremental checkpoint at 1% dirty at most 3% of a full one.
 */
@State(Scope.Benchmark)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 2)
public class CheckpointWriterBenchmark {
    @Param("1000000")
    public int keys;

    private KeyValueStore store;
    private byte[][] keyBytes;
    private byte[] value;
    private long next;
    private Arena arena;
    private MemorySegment buffer;

    private Thread reader;
    private final AtomicReference<StoreImage> handed = new AtomicReference<>();
    private volatile boolean readerDone = true;
    private volatile boolean stop;
    private StoreImage open;
    private long imageChunks;

    @Setup(Level.Trial)
    public void setUp() {
        store = KeyValueStore.create(StoreOptions.builder().name("checkpoint-writer").expectedEntries(keys).build());
        keyBytes = new byte[keys][];
        value = new byte[64];
        for (int i = 0; i < keys; i++) {
            keyBytes[i] = String.format("key-%011d", i).getBytes(StandardCharsets.US_ASCII);
            value[i & 63] = (byte) i;
            store.put(keyBytes[i], value);
        }
        arena = Arena.ofShared();
        buffer = arena.allocate(1 << 20);
        try (StoreImage image = store.image()) {
            imageChunks = image.bytesCarried() / 4096;
            Report.metric("image.bytes", keys, image.bytesCarried());
        }
    }

    /** The reader thread, only for {@link #putDuringCheckpoint} (elsewhere it would only take a core). */
    @State(Scope.Benchmark)
    public static class Reader {
        @Setup(Level.Trial)
        public void start(CheckpointWriterBenchmark b) {
            b.stop = false;
            b.readerDone = true;
            b.reader = new Thread(b::readLoop, "checkpoint-reader");
            b.reader.setDaemon(true);
            b.reader.start();
        }

        @TearDown(Level.Trial)
        public void stop(CheckpointWriterBenchmark b) throws InterruptedException {
            b.stop = true;
            b.reader.join();
            if (b.open != null) {
                b.open.close();
                b.open = null;
            }
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        store.close();
        arena.close();
    }

    /** The reader thread: copies out each image handed to it, then says so. */
    private void readLoop() {
        while (!stop) {
            StoreImage image = handed.getAndSet(null);
            if (image == null) {
                java.util.concurrent.locks.LockSupport.parkNanos(20_000); // idle between images: leave the core to the writer
                continue;
            }
            copyOut(image, buffer);
            readerDone = true;
        }
    }

    private static long copyOut(StoreImage image, MemorySegment buffer) {
        long n = 0;
        for (StoreImage.Region r : image.regions()) {
            long carried = r.bytesCarried();
            for (long at = 0; at < carried; at += buffer.byteSize()) {
                long len = Math.min(buffer.byteSize(), carried - at);
                r.read(at, buffer, 0, len);
                n += len;
            }
        }
        return n;
    }

    private void put() {
        long x = next++ * 0x9E3779B97F4A7C15L;
        int k = (int) ((x >>> 33) % keys);
        value[k & 63]++;
        store.put(keyBytes[k], value);
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void putNoCheckpoint() {
        put();
    }

    @Benchmark
    @BenchmarkMode(Mode.SampleTime)
    @OutputTimeUnit(TimeUnit.NANOSECONDS)
    public void putDuringCheckpoint(Reader running) {
        if (readerDone) { // the reader finished the last image: pin the next, on the owner thread
            readerDone = false;
            if (open != null) {
                open.close();
            }
            open = store.image();
            handed.set(open);
        }
        put();
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 5)
    @Measurement(iterations = 20)
    public long pin() {
        try (StoreImage image = store.image()) {
            return image.bytesCarried();
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3)
    @Measurement(iterations = 10)
    public long fullCheckpoint() {
        try (StoreImage image = store.image()) {
            return copyOut(image, buffer);
        }
    }

    /** Before each incremental checkpoint: a base image, then 1% of the chunks changed. */
    @State(Scope.Thread)
    public static class OnePercent {
        @Setup(Level.Invocation)
        public void dirty(CheckpointWriterBenchmark b) {
            try (StoreImage base = b.store.image()) { // starts the interval the incremental image is relative to
                base.bytesCarried();
            }
            int run = (int) Math.max(1, b.keys / 100); // entries are laid out in insertion order: ~1% of the entry chunks
            int start = (int) ((b.next++ * 7919) % Math.max(1, b.keys - run));
            for (int i = start; i < start + run; i++) {
                b.value[i & 63]++;
                b.store.put(b.keyBytes[i], b.value);
            }
        }
    }

    @Benchmark
    @BenchmarkMode(Mode.SingleShotTime)
    @OutputTimeUnit(TimeUnit.MICROSECONDS)
    @Warmup(iterations = 3)
    @Measurement(iterations = 10)
    public long incrementalCheckpoint(OnePercent dirtied) {
        try (StoreImage image = store.incrementalImage()) {
            if (!image.isIncremental()) {
                throw new IllegalStateException("expected an incremental image");
            }
            Report.metric("incremental.carried.fraction", keys, (double) image.bytesCarried() / (imageChunks * 4096.0));
            return copyOut(image, buffer);
        }
    }
}
