package io.offstate.engine.log;

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
 * The exclusive hold of one {@link WriteAheadLog} on its directory: an OS lock on
 * {@value #LOCK_FILE} against other processes and a registry entry against other logs of this
 * process (OS locks belong to the process, and closing any channel on the lock file would drop
 * them, so the registry is checked before the lock file is opened).
 *
 * <p>Thread-safe to {@link #acquire}; its holder {@link #close()}s it once (later calls do nothing).
 */
final class LogDirectoryLock implements AutoCloseable {
    static final String LOCK_FILE = "wal.lock";
    private static final Set<Path> OPEN_DIRECTORIES = ConcurrentHashMap.newKeySet();

    private final Path realDirectory;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean released;

    private LogDirectoryLock(Path realDirectory, FileChannel channel, FileLock lock) {
        this.realDirectory = realDirectory;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks the existing {@code directory}.
     *
     * @throws StoreLockedException if a log of this or another process holds it
     * @throws IOException          if the file system fails (nothing is held then)
     */
    static LogDirectoryLock acquire(Path directory) throws IOException {
        Path key = directory.toRealPath();
        if (!OPEN_DIRECTORIES.add(key)) {
            throw new StoreLockedException(directory, "by a write-ahead log in this process");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(key.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new StoreLockedException(directory, "by a write-ahead log in this process");
            }
            if (lock == null) {
                throw new StoreLockedException(directory, "by another process");
            }
            return new LogDirectoryLock(key, channel, lock);
        } catch (IOException | RuntimeException | Error e) {
            if (channel != null) {
                try {
                    channel.close();
                } catch (IOException suppressed) {
                    e.addSuppressed(suppressed);
                }
            }
            OPEN_DIRECTORIES.remove(key);
            throw e;
        }
    }

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
        try {
            channel.close();
        } catch (IOException e) {
            // nothing more to release
        }
        OPEN_DIRECTORIES.remove(realDirectory);
    }
}
