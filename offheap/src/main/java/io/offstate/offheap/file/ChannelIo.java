package io.offstate.offheap.file;

import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

import io.offstate.offheap.CorruptStoreFileException;

/**
 * Positional reads and writes on file channels, file lengths, and forcing a directory: the few
 * I/O steps every part of a store directory repeats, written once.
 *
 * <p>Stateless and thread-safe; the channels passed in are the caller's. Throws
 * {@link IOException} as the channel does, except where a method says otherwise.
 */
final class ChannelIo {
    /** Bytes a journal is staged, written and checked in at a time. */
    static final int BUFFER_SIZE = 1 << 20;

    private ChannelIo() {
    }

    /** Writes all of {@code b} at {@code position}; returns the bytes written. */
    static long writeFully(FileChannel c, ByteBuffer b, long position) throws IOException {
        long written = 0;
        while (b.hasRemaining()) {
            written += c.write(b, position + written);
        }
        return written;
    }

    /** Fills {@code b} from {@code position}, or throws {@link EOFException} if the file ends first. */
    static void readFully(FileChannel c, ByteBuffer b, long position) throws IOException {
        long start = position;
        while (b.hasRemaining()) {
            int n = c.read(b, position);
            if (n < 0) {
                throw new EOFException("unexpected end of file at byte " + position + " (read from " + start + ")");
            }
            position += n;
        }
    }

    /** Reads into {@code b} from {@code position} until it is full or the file ends; returns the bytes read. */
    static int readUpTo(FileChannel c, ByteBuffer b, long position) throws IOException {
        int total = 0;
        while (b.hasRemaining()) {
            int n = c.read(b, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    /** {@code c} with its position set, for {@link FileChannel#transferTo}; throws {@link UncheckedIOException}. */
    static FileChannel positioned(FileChannel c, long position) {
        try {
            return c.position(position);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Extends the file of {@code c} (sparsely) to at least {@code length} bytes. */
    static void ensureLength(FileChannel c, long length) throws IOException {
        if (length > 0 && c.size() < length) {
            c.write(ByteBuffer.allocate(1), length - 1);
        }
    }

    /** Throws {@link CorruptStoreFileException} naming {@code file} if it is shorter than {@code needed}. */
    static void checkLength(FileChannel c, Path file, long needed) throws IOException {
        long size = c.size();
        if (size < needed) {
            throw new CorruptStoreFileException(file, "truncated: " + size + " bytes, the store needs " + needed);
        }
    }

    /** Forces {@code directory}'s entries (new and deleted names) to disk, where the file system allows it. */
    static void forceDirectory(Path directory) {
        try (FileChannel d = FileChannel.open(directory, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some file systems refuse to open or force a directory; file contents are forced regardless
        }
    }

    /** Closes {@code c} (if not null), ignoring a failure. */
    static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // closing after a failure: the first failure is the one reported
            }
        }
    }
}
