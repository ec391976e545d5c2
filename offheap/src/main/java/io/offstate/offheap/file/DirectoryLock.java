package io.offstate.offheap.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import io.offstate.offheap.StoreLockedException;

/**
 * The exclusive hold of one owner (a store, a write-ahead log) on its directory: an OS file lock on
 * a lock file in it ({@code offstate.lock} for stores) against other processes, and an entry in
 * this process's registry of held lock files against other owners of the same process. Owners with
 * different lock files may share a directory.
 *
 * <p>The registry is needed because OS file locks belong to the process: a second store of the
 * same process would not be refused by the OS, and closing <em>any</em> channel on the lock file
 * drops the lock the first store holds. So a directory this process has open is refused before its
 * lock file is opened at all.
 *
 * <p>Thread-safe to {@link #acquire} (the registry is concurrent); one holder {@link #close()}s it,
 * once (later calls do nothing).
 */
public final class DirectoryLock implements AutoCloseable {
    /** Real paths (directory, then lock file name) of the lock files this process holds. */
    private static final Set<Path> HELD = ConcurrentHashMap.newKeySet();

    private final Path key;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean released;

    private DirectoryLock(Path key, FileChannel channel, FileLock lock) {
        this.key = key;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks the existing directory of {@code names} for a store ({@code offstate.lock}).
     *
     * @throws StoreLockedException if a store of this process or another process holds it
     * @throws IOException          if the file system fails (nothing is held then)
     */
    static DirectoryLock acquire(FileNames names) throws IOException {
        return acquire(names.directory(), names.lock().getFileName().toString(), "a store");
    }

    /**
     * Locks the existing {@code directory} through its lock file {@code lockFileName} for an owner
     * described as {@code owner} in the refusal ("a store", "a write-ahead log").
     *
     * @throws StoreLockedException if an owner in this process or another process holds that lock file
     * @throws IOException          if the file system fails (nothing is held then)
     */
    public static DirectoryLock acquire(Path directory, String lockFileName, String owner) throws IOException {
        Path key = directory.toRealPath().resolve(lockFileName);
        // Checked before the lock file is opened at all: OS file locks belong to the process, and
        // closing any channel on the lock file (as a refused open would) drops the lock another
        // owner in this process holds on it.
        if (!HELD.add(key)) {
            throw new StoreLockedException(directory, "by " + owner + " in this process");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(directory.resolve(lockFileName), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new StoreLockedException(directory, "by " + owner + " in this process");
            }
            if (lock == null) {
                throw new StoreLockedException(directory, "by another process");
            }
            return new DirectoryLock(key, channel, lock);
        } catch (IOException | RuntimeException | Error e) {
            ChannelIo.closeQuietly(channel);
            HELD.remove(key);
            throw e;
        }
    }

    /** Releases the OS lock, closes the lock file and leaves the registry. */
    @Override
    public void close() {
        if (released) {
            return;
        }
        released = true;
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it too
        }
        ChannelIo.closeQuietly(channel);
        HELD.remove(key);
    }
}
