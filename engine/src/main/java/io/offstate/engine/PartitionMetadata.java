package io.offstate.engine;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;

import io.offstate.offheap.CorruptStoreFileException;

/**
 * The flush metadata a {@link StatePartition} commits with each of its stores: the write-ahead-log
 * position the flush covers (every commit of the partition before it is in the store) and the input
 * positions of the last commit that carried some.
 *
 * <pre>
 *  0 int  magic 'OSPM'   4 byte version 1   5 long log position   13 int positions length (-1: none)   17 … positions
 * </pre>
 *
 * @param logPosition the log position from which replay must start for this store
 * @param positions   input positions (null: none)
 */
record PartitionMetadata(long logPosition, byte[] positions) {
    private static final int MAGIC = 0x4D50534F; // "OSPM" little-endian
    private static final byte VERSION = 1;
    static final int HEADER_LENGTH = 17;
    /** Largest input positions a partition's commit may carry, so that they fit a store's flush metadata. */
    static final int MAX_POSITIONS = KeyValueStore.MAX_FLUSH_METADATA - HEADER_LENGTH;

    byte[] encode() {
        int n = positions == null ? 0 : positions.length;
        ByteBuffer b = ByteBuffer.allocate(HEADER_LENGTH + n).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(MAGIC).put(VERSION).putLong(logPosition).putInt(positions == null ? -1 : n);
        if (positions != null) {
            b.put(positions);
        }
        return b.array();
    }

    /**
     * Decodes a store's last flush metadata; null if it has none (a store never flushed by a
     * partition, i.e. a new one).
     *
     * @throws CorruptStoreFileException if the bytes are not a partition's metadata
     */
    static PartitionMetadata decode(byte[] bytes, Path store) {
        if (bytes.length == 0) {
            return null;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (bytes.length < HEADER_LENGTH || b.getInt() != MAGIC) {
            throw new CorruptStoreFileException(store, "its flush metadata was not written by a state manager"
                + " (a store used on its own cannot join a state manager)");
        }
        byte version = b.get();
        if (version != VERSION) {
            throw new CorruptStoreFileException(store, "its state-manager flush metadata has version " + version
                + ", this build reads " + VERSION);
        }
        long position = b.getLong();
        int length = b.getInt();
        if (position < 0 || length < -1 || length != (length < 0 ? -1 : bytes.length - HEADER_LENGTH)
            || (length < 0 && bytes.length != HEADER_LENGTH)) {
            throw new CorruptStoreFileException(store, "its state-manager flush metadata is malformed (log position "
                + position + ", positions length " + length + ", " + bytes.length + " bytes)");
        }
        byte[] positions = null;
        if (length >= 0) {
            positions = new byte[length];
            b.get(positions);
        }
        return new PartitionMetadata(position, positions);
    }
}
