package io.offstate.engine;

import static io.offstate.engine.CommitBatchDescriptor.INT;
import static io.offstate.engine.CommitBatchDescriptor.LONG;
import static io.offstate.engine.CommitBatchDescriptor.SHORT;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import io.offstate.engine.log.WriteAheadLog;

/**
 * The change sink of a {@link StatePartition}'s transactions: encodes a commit into one batch
 * ({@link CommitBatchDescriptor}) in a reused off-heap buffer and appends it to the manager's
 * write-ahead log in {@link #end()}, so that the commit is logged (and, under fsync-per-commit,
 * durable) before any store applies it.
 *
 * <p>Not thread-safe: used by the partition's owner thread. The buffer lives in a shared arena
 * (the partition may be handed to another thread) that grows by doubling and is freed by
 * {@link #close()}.
 */
final class CommitLogSink implements ChangeSink, AutoCloseable {
    private static final int INITIAL_CAPACITY = 64 << 10;

    private final StatePartition partition;
    private final WriteAheadLog log;
    private final KeyValueStore[] stores;
    private final byte[][] names;
    private Arena arena;
    private MemorySegment buffer;
    private long length;
    private long sectionCountOffset;
    private int sectionCount;
    private KeyValueStore section;
    private long recordCountOffset;
    private int recordCount;
    /** Position of the batch appended for the commit under way, or -1. */
    private long appended = -1;

    CommitLogSink(StatePartition partition, WriteAheadLog log, KeyValueStore[] stores) {
        this.partition = partition;
        this.log = log;
        this.stores = stores;
        this.names = new byte[stores.length][];
        for (int i = 0; i < stores.length; i++) {
            names[i] = stores[i].name().getBytes(StandardCharsets.UTF_8);
        }
        this.arena = Arena.ofShared();
        this.buffer = arena.allocate(INITIAL_CAPACITY, 8);
    }

    @Override
    public void begin(byte[] positions) {
        if (positions != null && positions.length > PartitionMetadata.MAX_POSITIONS) {
            throw new IllegalArgumentException("input positions of " + positions.length + " bytes exceed a partition's limit of "
                + PartitionMetadata.MAX_POSITIONS + " bytes");
        }
        appended = -1;
        length = 0;
        section = null;
        sectionCount = 0;
        int n = positions == null ? 0 : positions.length;
        ensure(CommitBatchDescriptor.POSITIONS_OFFSET + n + 4L);
        buffer.set(INT, CommitBatchDescriptor.MAGIC_OFFSET, CommitBatchDescriptor.MAGIC);
        buffer.set(ValueLayout.JAVA_BYTE, CommitBatchDescriptor.KIND_OFFSET, CommitBatchDescriptor.COMMIT);
        buffer.set(ValueLayout.JAVA_BYTE, CommitBatchDescriptor.VERSION_OFFSET, CommitBatchDescriptor.VERSION);
        buffer.set(SHORT, 6, (short) 0);
        buffer.set(INT, CommitBatchDescriptor.PARTITION_OFFSET, partition.id());
        buffer.set(INT, CommitBatchDescriptor.POSITIONS_LENGTH_OFFSET, positions == null ? -1 : n);
        if (n > 0) {
            MemorySegment.copy(positions, 0, buffer, ValueLayout.JAVA_BYTE, CommitBatchDescriptor.POSITIONS_OFFSET, n);
        }
        length = CommitBatchDescriptor.POSITIONS_OFFSET + n;
        sectionCountOffset = length;
        length += 4;
    }

    @Override
    public void record(ChangeRecord record) {
        KeyValueStore store = record.store();
        if (store != section) {
            closeSection();
            byte[] name = nameOf(store);
            ensure(length + 2 + name.length + 4);
            buffer.set(SHORT, length, (short) name.length);
            MemorySegment.copy(name, 0, buffer, ValueLayout.JAVA_BYTE, length + 2, name.length);
            length += 2 + name.length;
            recordCountOffset = length;
            length += 4;
            section = store;
            recordCount = 0;
            sectionCount++;
        }
        ValueView key = record.key();
        ValueView value = record.value();
        int keyLength = key.length();
        int valueLength = record.isDelete() ? 0 : value.length();
        ensure(length + CommitBatchDescriptor.RECORD_HEADER_LENGTH + keyLength + valueLength);
        buffer.set(ValueLayout.JAVA_BYTE, length, record.isDelete() ? CommitBatchDescriptor.DELETE : CommitBatchDescriptor.PUT);
        buffer.set(LONG, length + 1, record.timestamp());
        buffer.set(INT, length + 9, keyLength);
        buffer.set(INT, length + 13, valueLength);
        length += CommitBatchDescriptor.RECORD_HEADER_LENGTH;
        MemorySegment.copy(key.memory(), key.offset(), buffer, length, keyLength);
        length += keyLength;
        if (valueLength > 0) {
            MemorySegment.copy(value.memory(), value.offset(), buffer, length, valueLength);
            length += valueLength;
        }
        recordCount++;
    }

    @Override
    public void end() {
        closeSection();
        buffer.set(INT, sectionCountOffset, sectionCount);
        partition.beforeAppend();
        appended = log.append(buffer.asSlice(0, length));
    }

    @Override
    public void aborted() {
        if (appended < 0) {
            return;
        }
        long cancelled = appended;
        appended = -1;
        buffer.set(INT, CommitBatchDescriptor.MAGIC_OFFSET, CommitBatchDescriptor.MAGIC);
        buffer.set(ValueLayout.JAVA_BYTE, CommitBatchDescriptor.KIND_OFFSET, CommitBatchDescriptor.CANCEL);
        buffer.set(ValueLayout.JAVA_BYTE, CommitBatchDescriptor.VERSION_OFFSET, CommitBatchDescriptor.VERSION);
        buffer.set(SHORT, 6, (short) 0);
        buffer.set(INT, CommitBatchDescriptor.PARTITION_OFFSET, partition.id());
        buffer.set(LONG, CommitBatchDescriptor.CANCELLED_POSITION_OFFSET, cancelled);
        log.append(buffer.asSlice(0, CommitBatchDescriptor.CANCEL_LENGTH));
    }

    /** The position of the batch the last accepted commit was logged at (valid after {@link #end()}). */
    long appendedPosition() {
        return appended;
    }

    private void closeSection() {
        if (section != null) {
            buffer.set(INT, recordCountOffset, recordCount);
            section = null;
        }
    }

    private byte[] nameOf(KeyValueStore store) {
        for (int i = 0; i < stores.length; i++) {
            if (stores[i] == store) {
                return names[i];
            }
        }
        throw new IllegalArgumentException("store '" + store.name() + "' is not a store of partition " + partition.id());
    }

    private void ensure(long needed) {
        if (needed <= buffer.byteSize()) {
            return;
        }
        if (needed > log.options().maxBatchBytes()) {
            throw new IllegalArgumentException("commit of partition " + partition.id() + " encodes to more than the"
                + " write-ahead log's largest batch (" + log.options().maxBatchBytes() + " bytes, WalOptions.maxBatchBytes):"
                + " split it into smaller transactions; nothing was changed");
        }
        long capacity = buffer.byteSize();
        while (capacity < needed) {
            capacity *= 2;
        }
        // Growth is rare (the largest commit so far); closing a shared arena is a handshake.
        Arena grown = Arena.ofShared();
        MemorySegment bigger = grown.allocate(capacity, 8);
        MemorySegment.copy(buffer, 0, bigger, 0, length);
        arena.close();
        arena = grown;
        buffer = bigger;
    }

    @Override
    public void close() {
        if (arena != null) {
            arena.close();
            arena = null;
            buffer = MemorySegment.NULL;
        }
    }
}
