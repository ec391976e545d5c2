package io.offstate.engine.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;

/**
 * The two I/O calls of the append path, behind an interface so that tests can make them fail
 * (disk full half-way through a frame, a failing fsync). Package-private: not a public seam.
 */
interface WalIo {
    /** The real file system. */
    WalIo FILE_SYSTEM = new WalIo() {
    };

    /** Writes some of {@code src} at {@code fileOffset}; returns the bytes written. */
    default int write(FileChannel channel, ByteBuffer src, long fileOffset) throws IOException {
        return channel.write(src, fileOffset);
    }

    /** Forces the channel's data to the device. */
    default void force(FileChannel channel) throws IOException {
        channel.force(false);
    }
}
