package io.offstate.offheap.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Map;

/**
 * The data and checksum files that writing records in place touches (a commit's apply, a
 * recovery's replay): each opened, created if missing, on first use, then forced and closed
 * together by the caller. Remembers whether any of them was created, so the directory is forced
 * before the journal that would rewrite them is cut.
 *
 * <p>Single writer: one per {@link StoreFiles}, used by one apply or replay at a time, which
 * must {@link #closeAll()} in a {@code finally}. Opening throws {@link UncheckedIOException}
 * (it runs inside map lookups).
 */
final class DataChannels {
    private final FileNames names;
    /** Open channels by {@code fileId << 1 | kind}. */
    private final Map<Long, FileChannel> channels = new HashMap<>();
    /** A data or checksum file was created while applying records: the directory needs a force. */
    private boolean createdFiles;

    DataChannels(FileNames names) {
        this.names = names;
    }

    /** The {@code kind} file of {@code fileId}, opened (and created) on first use. */
    FileChannel get(int fileId, int kind) {
        return channels.computeIfAbsent(key(fileId, kind), k -> open(fileId, kind));
    }

    /** The {@code kind} file of {@code fileId} if it is open, else null. */
    FileChannel opened(int fileId, int kind) {
        return channels.get(key(fileId, kind));
    }

    /** Forces every open channel. */
    void forceAll() throws IOException {
        for (FileChannel c : channels.values()) {
            c.force(true);
        }
    }

    /** Whether a file was created since the last {@link #directoryForced()}. */
    boolean createdFiles() {
        return createdFiles;
    }

    /** The directory was forced: the created files' names are on disk. */
    void directoryForced() {
        createdFiles = false;
    }

    /** Closes every open channel (quietly: it runs after success and failure alike). */
    void closeAll() {
        for (FileChannel c : channels.values()) {
            ChannelIo.closeQuietly(c);
        }
        channels.clear();
    }

    private static long key(int fileId, int kind) {
        return ((long) fileId << 1) | kind;
    }

    private FileChannel open(int fileId, int kind) {
        Path file = names.file(fileId, kind);
        try {
            if (!createdFiles && Files.notExists(file)) {
                createdFiles = true;
            }
            return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }
}
