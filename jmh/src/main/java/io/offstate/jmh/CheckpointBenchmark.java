package io.offstate.jmh;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.TimeUnit;

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

import io.offstate.checkpoint.CheckpointManifest;
import io.offstate.checkpoint.Checkpoints;
import io.offstate.checkpoint.LocalCheckpointStorage;
import io.offstate.checkpoint.RestoreResult;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreImage;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Issue 16: a full checkpoint of an in-memory store to a local directory, and its restore, each
 * against a floor measured in the same run on the same bytes. One timed call per iteration
 * ({@link Mode#SingleShotTime}); what each call needs is prepared in {@code Level.Iteration}
 * fixtures, outside the timed call.
 *
 * <ul>
 * <li>{@link #full}: {@code Checkpoints.begin(store, false)} (pin) + {@code publish()} (LZ4 + CRC32C
 *     of every block, each block written to its own file and forced, the manifest written, forced,
 *     renamed, the directory forced) + close, into a fresh, empty checkpoint directory.</li>
 * <li>{@link #fullFloor}: the same image bytes (copied once, untimed, out of an image of the store)
 *     memcpy'd in 1 MiB blocks into a heap buffer, LZ4-compressed with the same codec (lz4-java's
 *     safe fast compressor), and written as one sequential file, forced once: what any checkpoint of
 *     these bytes must at least do.</li>
 * <li>{@link #restore}: {@code Checkpoints.restore(id)} of that full checkpoint into a new in-memory
 *     store (reading, CRC-checking and decompressing every block, rebuilding the store), then close.</li>
 * <li>{@link #restoreFloor}: reading the checkpoint's block files + LZ4 decompression + memcpy into one
 *     new off-heap segment.</li>
 * </ul>
 * The bytes of the image and of the checkpoint are recorded ({@code checkpoint.rawBytes},
 * {@code checkpoint.storedBytes}): the compression ratio on {@link CheckpointDataset}. Page cache
 * warm: restore reads files the setup just wrote.
 */
@BenchmarkMode(Mode.SingleShotTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Threads(1)
@Fork(value = 1, jvmArgs = {"-Xms4g", "-Xmx4g", "--enable-native-access=ALL-UNNAMED"})
@Warmup(iterations = 5)
@Measurement(iterations = 20)
@State(Scope.Benchmark)
public class CheckpointBenchmark {
    static final int BLOCK = 1 << 20;

    @Param("1000000")
    public int keys;

    KeyValueStore store;
    /** Private copy of the image's bytes: the floor's input. */
    MemorySegment imageBytes;
    Arena arena;
    Path root;
    Path dir;
    LocalCheckpointStorage storage;
    Checkpoints checkpoints;
    CheckpointManifest restorable;
    int round;

    private final LZ4Compressor compressor = LZ4Factory.safeInstance().fastCompressor();
    private final LZ4SafeDecompressor decompressor = LZ4Factory.safeInstance().safeDecompressor();
    private final byte[] raw = new byte[BLOCK];
    private final byte[] compressed = new byte[compressor.maxCompressedLength(BLOCK)];

    @Setup(Level.Trial)
    public void setUp() throws IOException {
        store = CheckpointDataset.load(keys);
        arena = Arena.ofShared();
        try (StoreImage image = store.image()) {
            long total = 0;
            for (StoreImage.Region r : image.regions()) {
                total += r.data().byteSize();
            }
            imageBytes = arena.allocate(Math.max(1, total), 64);
            long at = 0;
            for (StoreImage.Region r : image.regions()) {
                MemorySegment d = r.data();
                MemorySegment.copy(d, 0, imageBytes, at, d.byteSize());
                at += d.byteSize();
            }
            imageBytes = imageBytes.asSlice(0, at);
        }
        root = FileStores.newDirectory("offstate-checkpoint-");
        // one checkpoint kept for the restores
        storage = LocalCheckpointStorage.open(root.resolve("restorable"));
        checkpoints = Checkpoints.builder(storage, "bench").build();
        restorable = checkpoints.checkpoint(store, false);
        CheckpointManifest.StoreSection s = restorable.stores().getFirst();
        Report.metric("checkpoint.rawBytes", keys, s.rawBytes());
        Report.metric("checkpoint.storedBytes", keys, s.storedBytes());
        Report.metric("checkpoint.entries", keys, s.entries());
        FileStores.syncAll();
    }

    /** A fresh empty directory for each full checkpoint and each floor write. */
    @Setup(Level.Iteration)
    public void freshDirectory() throws IOException {
        if (dir != null) {
            FileStores.delete(dir);
        }
        dir = root.resolve("round-" + round++);
        Files.createDirectories(dir);
    }

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
        storage.close();
        store.close();
        arena.close();
        FileStores.delete(root);
    }

    @Benchmark
    public CheckpointManifest full() throws IOException {
        try (LocalCheckpointStorage st = LocalCheckpointStorage.open(dir)) {
            Checkpoints c = Checkpoints.builder(st, "bench").build();
            try (Checkpoints.Pending p = c.begin(store, false, null)) {
                return p.publish();
            }
        }
    }

    @Benchmark
    public long fullFloor() throws IOException {
        long size = imageBytes.byteSize();
        long written = 0;
        try (FileChannel ch = FileChannel.open(dir.resolve("floor.bin"), StandardOpenOption.CREATE_NEW,
            StandardOpenOption.WRITE)) {
            for (long at = 0; at < size; at += BLOCK) {
                int len = (int) Math.min(BLOCK, size - at);
                MemorySegment.copy(imageBytes, ValueLayout.JAVA_BYTE, at, raw, 0, len);
                int n = compressor.compress(raw, 0, len, compressed, 0, compressed.length);
                ByteBuffer b = ByteBuffer.wrap(compressed, 0, n);
                while (b.hasRemaining()) {
                    written += ch.write(b);
                }
            }
            ch.force(true);
        }
        return written;
    }

    @Benchmark
    public long restore() throws IOException {
        RestoreResult r = checkpoints.restore(restorable.id(), CheckpointDataset.options(keys), null);
        try (KeyValueStore restored = r.store()) {
            return restored.size();
        }
    }

    @Benchmark
    public long restoreFloor() throws IOException {
        CheckpointManifest.StoreSection s = restorable.stores().getFirst();
        try (Arena a = Arena.ofConfined()) {
            MemorySegment into = a.allocate(Math.max(1, s.rawBytes()), 64);
            long at = 0;
            for (CheckpointManifest.Block b : s.blocks()) {
                byte[] stored = storage.readBlock(restorable.id(), b.name());
                int len = decompressor.decompress(stored, 0, stored.length, raw, 0, b.rawLength());
                MemorySegment.copy(raw, 0, into, ValueLayout.JAVA_BYTE, at, len);
                at += len;
            }
            return at;
        }
    }
}
