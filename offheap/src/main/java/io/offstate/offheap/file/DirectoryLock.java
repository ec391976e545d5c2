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
 * The exclusive hold of one store on its directory: an OS file lock on {@code offstate.lock}
 * against other processes, and an entry in this process's registry of open directories against
 * other stores of the same process.
 *
 * <p>The registry is needed because OS file locks belong to the process: a second store of the
 * same process would not be refused by the OS, and closing <em>any</em> channel on the lock file
 * drops the lock the first store holds. So a directory this process has open is refused before its
 * lock file is opened at all.
 *
 * <p>Thread-safe to {@link #acquire} (the registry is concurrent); one holder {@link #close()}s it,
 * once (later calls do nothing).
 */
final class DirectoryLock implements AutoCloseable {
    /** Real paths of the directories stores of this process have open. */
    private static final Set<Path> OPEN_DIRECTORIES = ConcurrentHashMap.newKeySet();

    private final Path realDirectory;
    private final FileChannel channel;
    private final FileLock lock;
    private boolean released;

    private DirectoryLock(Path realDirectory, FileChannel channel, FileLock lock) {
        this.realDirectory = realDirectory;
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks the existing directory of {@code names} for the caller.
     *
     * @throws StoreLockedException if a store of this process or another process holds it
     * @throws IOException          if the file system fails (nothing is held then)
     */
    static DirectoryLock acquire(FileNames names) throws IOException {
        Path dir = names.directory();
        Path key = dir.toRealPath();
        // Checked before the lock file is opened at all: OS file locks belong to the process, and
        // closing any channel on the lock file (as a refused open would) drops the lock another
        // store of this process holds on it.
        if (!OPEN_DIRECTORIES.add(key)) {
            throw new StoreLockedException(dir, "by a store in this process");
        }
        FileChannel channel = null;
        try {
            channel = FileChannel.open(names.lock(), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = channel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new StoreLockedException(dir, "by a store in this process");
            }
            if (lock == null) {
                throw new StoreLockedException(dir, "by another process");
            }
            return new DirectoryLock(key, channel, lock);
        } catch (IOException | RuntimeException | Error e) {
            ChannelIo.closeQuietly(channel);
            OPEN_DIRECTORIES.remove(key);
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
        OPEN_DIRECTORIES.remove(realDirectory);
    }
}
