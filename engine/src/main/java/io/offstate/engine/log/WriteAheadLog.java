package io.offstate.engine.log;

import static io.offstate.engine.log.WalFrameDescriptor.FRAME_HEADER_LENGTH;
import static io.offstate.engine.log.WalFrameDescriptor.HEADER_LENGTH;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

import io.offstate.engine.log.SegmentFiles.Segment;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.StoreLockedException;
import io.offstate.offheap.file.DirectoryLock;

/**
 * A local write-ahead log: append-only segment files in one directory, one CRC32C-framed batch per
 * commit (format: {@link io.offstate.engine.log package documentation}).
 *
 * <p>Contract:
 * <ol>
 *   <li><b>Positions.</b> {@link #append} returns the batch's position, a byte position in one
 *       address space across segments: strictly increasing, never reused. A batch of {@code n}
 *       payload bytes takes {@code n + 16} positions; {@link #endPosition()} is the next one.</li>
 *   <li><b>Durability.</b> Under {@link Durability#EVERY_COMMIT} an append returns once its batch
 *       is on the device; appends waiting at the same time share one fsync (group commit: the
 *       first waiter forces everything written so far, the others find their batch covered).
 *       {@link Durability#INTERVAL}: a background thread forces every N ms. {@link Durability#NEVER}:
 *       only {@link #force()}, segment rolls and {@link #close()} force.</li>
 *   <li><b>Atomic batches.</b> After a crash or a failed append, a batch is in the log whole or not
 *       at all: recovery cuts a half-written tail, a failed append truncates what it wrote.</li>
 *   <li><b>Replay.</b> {@link #replay} yields whole, checksum-verified batches in position order,
 *       as zero-copy {@link WalBatch} flyweights valid during the callback.</li>
 *   <li><b>Retention.</b> {@link #deleteUpTo} deletes the segments whose every batch lies before a
 *       position (the one a flush covered); the active segment is never deleted.</li>
 *   <li><b>Exclusivity.</b> One log per directory across processes ({@link StoreLockedException}).</li>
 * </ol>
 *
 * <p>Thread-safety: all methods may be called from any thread. Appends are serialized by a lock
 * (the write itself) and then wait for durability outside it. {@link #replay} sees the batches
 * appended before it started; it must not run concurrently with a {@link #deleteUpTo} of the
 * segments it reads.
 *
 * <p>Errors: bad arguments throw {@link NullPointerException} / {@link IllegalArgumentException}
 * and change nothing; a closed log throws {@link StoreClosedException}; an I/O error while
 * appending throws {@link UncheckedIOException} and leaves the failed batch out of the log (a
 * failed fsync leaves the log failed: every later append throws, reads still work).
 *
 * <p>Interrupting a thread while it waits in an fsync closes the segment's channel (a
 * {@code FileChannel} rule) and so fails the log.
 *
 * <p>Memory: a reused direct staging buffer as large as the largest batch appended so far; the
 * hot path of {@code append} allocates nothing once it has grown.
 */
public final class WriteAheadLog implements AutoCloseable {
    /** The lock file that holds the directory for one log (see {@link DirectoryLock}). */
    static final String LOCK_FILE = "wal.lock";

    private static final int INITIAL_STAGING = 64 << 10;

    private final Path directory;
    private final WalOptions options;
    private final WalIo io;
    private final DirectoryLock lock;
    private final WalRecovery recovery;

    /** Serializes appends, rolls, deletions and close; guards the fields below it. */
    private final ReentrantLock appendLock = new ReentrantLock();
    private final List<Segment> segments;
    private FileChannel active;
    private long activeBase;
    private ByteBuffer staging;
    private MemorySegment stagingSegment;
    private final FrameReader frames = new FrameReader();
    private volatile long writtenEnd;
    private volatile boolean closed;

    /** Held by the fsync leader (group commit). Lock order: syncLock before appendLock. */
    private final ReentrantLock syncLock = new ReentrantLock();
    private final AtomicLong durableEnd = new AtomicLong();
    private final AtomicLong fsyncs = new AtomicLong();
    private volatile IOException failure;
    private final Thread flusher;

    private WriteAheadLog(Path directory, WalOptions options, WalIo io, DirectoryLock lock, LogRecovery.Result result) {
        this.directory = directory;
        this.options = options;
        this.io = io;
        this.lock = lock;
        this.recovery = result.report();
        this.segments = new ArrayList<>(result.segments());
        this.active = result.active();
        this.activeBase = segments.getLast().base();
        this.writtenEnd = result.endPosition();
        this.durableEnd.set(result.endPosition());
        this.staging = ByteBuffer.allocateDirect(INITIAL_STAGING).order(ByteOrder.LITTLE_ENDIAN);
        this.stagingSegment = MemorySegment.ofBuffer(staging);
        if (options.durability() == Durability.INTERVAL) {
            flusher = Thread.ofPlatform().daemon().name("offstate-wal-flusher " + directory.getFileName())
                .unstarted(this::flushLoop);
            flusher.start();
        } else {
            flusher = null;
        }
    }

    /**
     * Opens (creating if needed) the log in {@code directory} and recovers it: see
     * {@link WalRecovery} for what {@link #recovery()} reports.
     *
     * @throws NullPointerException        if an argument is null
     * @throws StoreLockedException        if another log (this or another process) has the directory open
     * @throws CorruptStoreFileException   if valid batches follow a damaged frame (unless
     *                                     {@link WalOptions#truncateAtDamage()}); nothing is changed then
     * @throws UncheckedIOException        if the file system fails
     */
    public static WriteAheadLog open(Path directory, WalOptions options) {
        return open(directory, options, WalIo.FILE_SYSTEM);
    }

    static WriteAheadLog open(Path directory, WalOptions options, WalIo io) {
        Objects.requireNonNull(directory, "directory must not be null");
        Objects.requireNonNull(options, "options must not be null");
        DirectoryLock lock = null;
        try {
            Files.createDirectories(directory);
            lock = DirectoryLock.acquire(directory, LOCK_FILE, "a write-ahead log");
            LogRecovery.Result result = new LogRecovery(directory, options.truncateAtDamage(), io).run();
            return new WriteAheadLog(directory, options, io, lock, result);
        } catch (IOException e) {
            if (lock != null) {
                lock.close();
            }
            throw new UncheckedIOException("write-ahead log " + directory + ": open failed", e);
        } catch (RuntimeException | Error e) {
            if (lock != null) {
                lock.close();
            }
            throw e;
        }
    }

    /** The log's directory. */
    public Path directory() {
        return directory;
    }

    /** The options it was opened with. */
    public WalOptions options() {
        return options;
    }

    /** What recovery found at open. */
    public WalRecovery recovery() {
        return recovery;
    }

    /** The position the next batch gets (the end of the last one written). */
    public long endPosition() {
        return writtenEnd;
    }

    /** Every batch before this position is on the device. */
    public long durablePosition() {
        return durableEnd.get();
    }

    /** The base position of the oldest segment kept: the lowest position {@link #replay} accepts. */
    public long firstPosition() {
        appendLock.lock();
        try {
            return segments.getFirst().base();
        } finally {
            appendLock.unlock();
        }
    }

    /** Number of segment files (the active one included). */
    public int segmentCount() {
        appendLock.lock();
        try {
            return segments.size();
        } finally {
            appendLock.unlock();
        }
    }

    /** Fsyncs of segment data so far (group commit makes this less than the commits). */
    long fsyncCount() {
        return fsyncs.get();
    }

    /**
     * Appends {@code payload} as one batch; see the class contract for when it returns.
     *
     * @return the batch's position
     * @throws NullPointerException     if {@code payload} is null
     * @throws IllegalArgumentException if it is longer than {@link WalOptions#maxBatchBytes()}
     * @throws StoreClosedException     if the log is closed
     * @throws UncheckedIOException     if writing or forcing fails (the batch is not in the log)
     */
    public long append(byte[] payload) {
        Objects.requireNonNull(payload, "payload must not be null");
        return append(payload, 0, payload.length);
    }

    /**
     * Appends {@code length} bytes of {@code source} from {@code offset} as one batch.
     *
     * @throws IndexOutOfBoundsException if the range is outside {@code source}
     * @see #append(byte[])
     */
    public long append(byte[] source, int offset, int length) {
        Objects.requireNonNull(source, "payload must not be null");
        Objects.checkFromIndexSize(offset, length, source.length);
        checkSize(length);
        long position;
        appendLock.lock();
        try {
            checkWritable();
            stage(length);
            staging.put(FRAME_HEADER_LENGTH, source, offset, length);
            position = writeStaged(length);
        } finally {
            appendLock.unlock();
        }
        return afterWrite(position, length);
    }

    /**
     * Appends the bytes of {@code payload} (any memory segment, read once) as one batch.
     *
     * @see #append(byte[])
     */
    public long append(MemorySegment payload) {
        Objects.requireNonNull(payload, "payload must not be null");
        if (payload.byteSize() > options.maxBatchBytes()) {
            throw tooLarge(payload.byteSize());
        }
        int length = (int) payload.byteSize();
        long position;
        appendLock.lock();
        try {
            checkWritable();
            stage(length);
            MemorySegment.copy(payload, 0, stagingSegment, FRAME_HEADER_LENGTH, length);
            position = writeStaged(length);
        } finally {
            appendLock.unlock();
        }
        return afterWrite(position, length);
    }

    /**
     * Forces every batch written so far to the device (whatever the policy) and returns the
     * durable position.
     *
     * @throws StoreClosedException if the log is closed
     * @throws UncheckedIOException if the fsync fails (the log is failed then)
     */
    public long force() {
        if (closed) {
            throw new StoreClosedException("write-ahead log " + directory);
        }
        awaitDurable(writtenEnd);
        return durableEnd.get();
    }

    /**
     * Deletes every segment all of whose batches lie before {@code position} (typically the
     * position a flush recorded: the state it covers no longer needs them). The active segment is
     * never deleted.
     *
     * @return the number of segment files deleted
     * @throws IllegalArgumentException if {@code position} is negative or beyond {@link #endPosition()}
     * @throws StoreClosedException     if the log is closed
     * @throws UncheckedIOException     if a deletion fails (the segments before it are deleted)
     */
    public int deleteUpTo(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("position must be >= 0, was " + position);
        }
        appendLock.lock();
        try {
            checkOpen();
            if (position > writtenEnd) {
                throw new IllegalArgumentException("position " + position + " is beyond the end of write-ahead log "
                    + directory + " (" + writtenEnd + ")");
            }
            int deleted = 0;
            while (segments.size() > 1 && segments.get(1).base() <= position) {
                Files.delete(segments.getFirst().path());
                segments.removeFirst();
                deleted++;
            }
            return deleted;
        } catch (IOException e) {
            throw new UncheckedIOException("write-ahead log " + directory + ": deleting segments up to " + position
                + " failed", e);
        } finally {
            appendLock.unlock();
        }
    }

    /**
     * Calls {@code handler} with every batch at or after {@code from}, in position order, up to the
     * end of the log when the replay starts. Each batch's CRC32C is verified before it is handed out.
     *
     * @return the number of batches replayed
     * @throws NullPointerException      if {@code handler} is null
     * @throws IllegalArgumentException  if {@code from} is negative, before {@link #firstPosition()}
     *                                   (those batches were deleted) or beyond {@link #endPosition()}
     * @throws StoreClosedException      if the log is closed
     * @throws CorruptStoreFileException if a segment was damaged after open
     * @throws UncheckedIOException      if reading fails
     */
    public long replay(long from, BatchHandler handler) {
        Objects.requireNonNull(handler, "handler must not be null");
        if (from < 0) {
            throw new IllegalArgumentException("from must be >= 0, was " + from);
        }
        Segment[] snapshot;
        long end;
        appendLock.lock();
        try {
            checkOpen();
            end = writtenEnd;
            long first = segments.getFirst().base();
            if (from < first) {
                throw new IllegalArgumentException("position " + from + " is before the first kept position " + first
                    + " of write-ahead log " + directory + " (its segments were deleted)");
            }
            if (from > end) {
                throw new IllegalArgumentException("position " + from + " is beyond the end of write-ahead log "
                    + directory + " (" + end + ")");
            }
            snapshot = segments.toArray(new Segment[0]);
        } finally {
            appendLock.unlock();
        }
        FrameReader reader = new FrameReader();
        WalBatch batch = new WalBatch();
        long replayed = 0;
        for (int i = 0; i < snapshot.length; i++) {
            long segmentEnd = i + 1 < snapshot.length ? snapshot[i + 1].base() : end;
            if (segmentEnd <= from || segmentEnd == snapshot[i].base()) {
                continue;
            }
            replayed += replaySegment(snapshot[i], segmentEnd, from, handler, reader, batch);
        }
        return replayed;
    }

    private long replaySegment(Segment segment, long segmentEnd, long from, BatchHandler handler, FrameReader reader,
                               WalBatch batch) {
        long size = WalFrameDescriptor.fileOffsetOf(segment.base(), segmentEnd);
        long replayed = 0;
        try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(segment.path(), StandardOpenOption.READ)) {
            MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            ByteBuffer buffer = mapping.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
            long offset = HEADER_LENGTH;
            while (offset < size) {
                int length = reader.check(buffer, size, segment.base(), offset);
                if (length < 0) {
                    throw new CorruptStoreFileException(segment.path(), "write-ahead log damaged at offset " + offset
                        + " since it was opened: " + FrameReader.describe(length));
                }
                long position = WalFrameDescriptor.positionAt(segment.base(), offset);
                if (position >= from) {
                    batch.wrap(mapping, offset + FRAME_HEADER_LENGTH, length, position);
                    handler.onBatch(batch);
                    replayed++;
                }
                offset += FRAME_HEADER_LENGTH + length;
            }
        } catch (IOException e) {
            throw new UncheckedIOException("write-ahead log " + directory + ": reading " + segment.path() + " failed", e);
        } finally {
            batch.wrap(MemorySegment.NULL, 0, 0, -1);
        }
        return replayed;
    }

    /**
     * Forces what was written (unless the log failed), stops the flusher and releases the
     * directory. Idempotent.
     *
     * @throws UncheckedIOException if the last fsync fails (the directory is released anyway)
     */
    @Override
    public void close() {
        appendLock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            appendLock.unlock();
        }
        if (flusher != null) {
            LockSupport.unpark(flusher);
            try {
                flusher.join();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        IOException forceFailure = null;
        syncLock.lock();
        appendLock.lock();
        try {
            if (failure == null && durableEnd.get() < writtenEnd) {
                try {
                    io.force(active);
                    fsyncs.incrementAndGet();
                    raiseDurable(writtenEnd);
                } catch (IOException e) {
                    forceFailure = e;
                }
            }
            try {
                active.close();
            } catch (IOException e) {
                if (forceFailure == null) {
                    forceFailure = e;
                }
            }
        } finally {
            appendLock.unlock();
            syncLock.unlock();
            lock.close();
        }
        if (forceFailure != null) {
            throw new UncheckedIOException("write-ahead log " + directory + ": forcing at close failed", forceFailure);
        }
    }

    // ---- append path (appendLock held) ----

    private void checkSize(long length) {
        if (length > options.maxBatchBytes()) {
            throw tooLarge(length);
        }
    }

    private IllegalArgumentException tooLarge(long length) {
        return new IllegalArgumentException("batch of " + length + " bytes is larger than the limit of write-ahead log "
            + directory + " (maxBatchBytes " + options.maxBatchBytes() + "); split the commit");
    }

    private void checkOpen() {
        if (closed) {
            throw new StoreClosedException("write-ahead log " + directory);
        }
    }

    private void checkWritable() {
        checkOpen();
        IOException failed = failure;
        if (failed != null) {
            throw new UncheckedIOException("write-ahead log " + directory + " failed earlier and takes no more batches;"
                + " reopen it", failed);
        }
    }

    private void stage(int length) {
        int needed = FRAME_HEADER_LENGTH + length;
        if (staging.capacity() < needed) {
            int capacity = Math.max(needed, (int) Math.min(Integer.MAX_VALUE - 8, 2L * staging.capacity()));
            staging = ByteBuffer.allocateDirect(capacity).order(ByteOrder.LITTLE_ENDIAN);
            stagingSegment = MemorySegment.ofBuffer(staging);
        }
    }

    /** Frames the staged payload, rolls if needed, writes it; returns its position. */
    private long writeStaged(int length) {
        long frameLength = WalFrameDescriptor.frameLength(length);
        long offset = WalFrameDescriptor.fileOffsetOf(activeBase, writtenEnd);
        if (offset > HEADER_LENGTH && offset + frameLength > options.segmentBytes()) {
            roll();
            offset = HEADER_LENGTH;
        }
        long position = writtenEnd;
        staging.putInt(WalFrameDescriptor.LENGTH_OFFSET, length);
        staging.putLong(WalFrameDescriptor.POSITION_OFFSET, position);
        staging.putInt(WalFrameDescriptor.CRC_OFFSET, frames.checksum(staging, 0, length));
        staging.limit((int) frameLength).position(0);
        try {
            long at = offset;
            while (staging.hasRemaining()) {
                at += io.write(active, staging, at);
            }
        } catch (IOException e) {
            undoWrite(offset, e);
            throw new UncheckedIOException("write-ahead log " + directory + ": appending a batch of " + length
                + " bytes at position " + position + " failed; it is not in the log", e);
        } finally {
            staging.clear();
        }
        writtenEnd = position + frameLength;
        return position;
    }

    private void undoWrite(long offset, IOException cause) {
        try {
            active.truncate(offset);
        } catch (IOException e) {
            cause.addSuppressed(e);
            failure = cause; // a partial frame stays; recovery cuts it as a torn tail
        }
    }

    /** Starts a new segment at the end of the log; forces and closes the old one. */
    private void roll() {
        long base = writtenEnd;
        FileChannel next;
        try {
            next = SegmentFiles.create(directory, base, io);
        } catch (IOException e) {
            throw new UncheckedIOException("write-ahead log " + directory + ": creating the segment at position " + base
                + " failed; the batch is not in the log", e);
        }
        try {
            io.force(active);
            fsyncs.incrementAndGet();
            raiseDurable(base);
        } catch (IOException e) {
            failure = e;
            try {
                next.close();
                Files.deleteIfExists(SegmentFiles.pathOf(directory, base));
            } catch (IOException suppressed) {
                e.addSuppressed(suppressed);
            }
            throw new UncheckedIOException("write-ahead log " + directory + ": fsync failed; the log takes no more batches", e);
        }
        try {
            active.close();
        } catch (IOException e) {
            // its data is forced; the descriptor is gone either way
        }
        active = next;
        activeBase = base;
        segments.add(new Segment(SegmentFiles.pathOf(directory, base), base));
    }

    // ---- durability (no lock held on entry) ----

    private long afterWrite(long position, int length) {
        if (options.durability() == Durability.EVERY_COMMIT) {
            awaitDurable(position + WalFrameDescriptor.frameLength(length));
        }
        return position;
    }

    /** Group commit: returns once {@code end} is durable; the first waiter forces for all. */
    private void awaitDurable(long end) {
        while (durableEnd.get() < end) {
            syncLock.lock();
            try {
                if (durableEnd.get() >= end) {
                    return;
                }
                IOException failed = failure;
                if (failed != null) {
                    throw new UncheckedIOException("write-ahead log " + directory + " failed: a batch may not be durable",
                        failed);
                }
                FileChannel channel;
                long upTo;
                appendLock.lock();
                try {
                    channel = active;
                    upTo = writtenEnd;
                } finally {
                    appendLock.unlock();
                }
                try {
                    io.force(channel);
                    fsyncs.incrementAndGet();
                    raiseDurable(upTo);
                } catch (ClosedByInterruptException e) {
                    failure = e;
                    throw new UncheckedIOException("write-ahead log " + directory + ": interrupted during fsync, which"
                        + " closed its segment; the log takes no more batches", e);
                } catch (ClosedChannelException e) {
                    // rolled (the roll forced it: look again) or closed (close forced what it could)
                    if (closed && durableEnd.get() < end) {
                        throw new StoreClosedException("write-ahead log " + directory);
                    }
                } catch (IOException e) {
                    failure = e;
                    throw new UncheckedIOException("write-ahead log " + directory + ": fsync failed; the log takes"
                        + " no more batches", e);
                }
            } finally {
                syncLock.unlock();
            }
        }
    }

    private void raiseDurable(long upTo) {
        durableEnd.accumulateAndGet(upTo, Math::max);
    }

    private void flushLoop() {
        long intervalNanos = TimeUnit.MILLISECONDS.toNanos(options.flushIntervalMillis());
        while (!closed) {
            LockSupport.parkNanos(this, intervalNanos);
            if (closed || failure != null) {
                return;
            }
            try {
                awaitDurable(writtenEnd);
            } catch (RuntimeException e) {
                return; // the failure is recorded; appends report it
            }
        }
    }

    @Override
    public String toString() {
        return "WriteAheadLog[" + directory + ", " + options.durability() + ", end " + writtenEnd + "]";
    }

}
