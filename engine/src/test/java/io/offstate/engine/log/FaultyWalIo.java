package io.offstate.engine.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Opens a real write-ahead log whose next write or fsync can be made to fail (a full disk, a
 * failing device), for tests outside the log's package.
 */
public final class FaultyWalIo implements WalIo {
    /** The next frame write fails with "No space left on device" after writing half of it. */
    public final AtomicBoolean failNextWrite = new AtomicBoolean();
    /** The next fsync fails. */
    public final AtomicBoolean failNextForce = new AtomicBoolean();

    @Override
    public int write(FileChannel channel, ByteBuffer src, long fileOffset) throws IOException {
        if (failNextWrite.compareAndSet(true, false)) {
            ByteBuffer half = src.duplicate();
            half.limit(half.position() + src.remaining() / 2);
            channel.write(half, fileOffset);
            throw new IOException("No space left on device");
        }
        return channel.write(src, fileOffset);
    }

    @Override
    public void force(FileChannel channel) throws IOException {
        if (failNextForce.compareAndSet(true, false)) {
            throw new IOException("Input/output error");
        }
        channel.force(false);
    }

    /** Opens the log at {@code directory} on this I/O. */
    public WriteAheadLog open(Path directory, WalOptions options) {
        return WriteAheadLog.open(directory, options, this);
    }
}
