package io.offstate.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.zip.CRC32C;

import io.offstate.offheap.CorruptStoreFileException;

/**
 * The state manager's record of which log positions each partition it ever held may still need:
 * {@link #CLEAN} for a partition revoked or closed after a flush (the log holds none of its
 * unflushed commits), else a lower bound of its stores' flush positions, written when it was
 * assigned. It is what keeps the shared log from being trimmed past commits of a partition that
 * was assigned when the process died and has not been assigned again since.
 *
 * <p>File {@code <dir>/.partitions}: int magic 'OSPR', int version 1, int count, count × (int
 * partition, long position), int CRC32C of what precedes it; replaced atomically (temporary file,
 * force, rename, force the directory).
 *
 * <p>Not thread-safe: the manager calls it under its lock.
 */
final class LogRetention {
    static final long CLEAN = Long.MAX_VALUE;
    static final String FILE = ".partitions";
    private static final int MAGIC = 0x5250534F; // "OSPR" little-endian
    private static final int VERSION = 1;

    private final Path file;
    private final TreeMap<Integer, Long> entries = new TreeMap<>();

    private LogRetention(Path file) {
        this.file = file;
    }

    /**
     * Reads the record in {@code directory}, empty if there is none.
     *
     * @throws CorruptStoreFileException if the file is damaged
     */
    static LogRetention read(Path directory) {
        LogRetention r = new LogRetention(directory.resolve(FILE));
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(r.file);
        } catch (NoSuchFileException e) {
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("reading " + r.file + " failed", e);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < 16 || b.getInt() != MAGIC) {
            throw new CorruptStoreFileException(r.file, "not a state manager's partition record (" + bytes.length + " bytes)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        if ((int) crc.getValue() != b.getInt(bytes.length - 4)) {
            throw new CorruptStoreFileException(r.file, "checksum mismatch: the partition record is damaged");
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw new CorruptStoreFileException(r.file, "partition record version " + version + ", this build reads " + VERSION);
        }
        int count = b.getInt();
        if (count < 0 || (long) count * 12 + 16 != bytes.length) {
            throw new CorruptStoreFileException(r.file, "partition record holds " + count + " entries in " + bytes.length + " bytes");
        }
        for (int i = 0; i < count; i++) {
            int partition = b.getInt();
            long position = b.getLong();
            if (partition < 0 || position < 0) {
                throw new CorruptStoreFileException(r.file, "partition record entry " + i + " is malformed (partition "
                    + partition + ", position " + position + ")");
            }
            r.entries.put(partition, position);
        }
        return r;
    }

    /** The recorded position of {@code partition}, or -1 if it was never recorded. */
    long get(int partition) {
        Long p = entries.get(partition);
        return p == null ? -1 : p;
    }

    /** The recorded entries (live view; do not change). */
    Map<Integer, Long> entries() {
        return entries;
    }

    /** Records {@code position} for {@code partition} and replaces the file. */
    void put(int partition, long position) {
        Long previous = entries.put(partition, position);
        if (previous != null && previous == position) {
            return;
        }
        try {
            write();
        } catch (IOException | RuntimeException e) {
            if (previous == null) {
                entries.remove(partition);
            } else {
                entries.put(partition, previous);
            }
            if (e instanceof IOException io) {
                throw new UncheckedIOException("writing " + file + " failed", io);
            }
            throw (RuntimeException) e;
        }
    }

    private void write() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(16 + entries.size() * 12).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).putInt(VERSION).putInt(entries.size());
        for (Map.Entry<Integer, Long> e : entries.entrySet()) {
            b.putInt(e.getKey()).putLong(e.getValue());
        }
        CRC32C crc = new CRC32C();
        crc.update(b.array(), 0, b.position());
        b.putInt((int) crc.getValue());
        b.flip();
        Path tmp = file.resolveSibling(FILE + ".tmp");
        try (FileChannel c = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            while (b.hasRemaining()) {
                c.write(b);
            }
            c.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        try (FileChannel d = FileChannel.open(file.getParent(), StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some file systems refuse to force a directory; the rename is atomic regardless
        }
    }
}
