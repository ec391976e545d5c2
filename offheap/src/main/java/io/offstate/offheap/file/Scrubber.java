package io.offstate.offheap.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.concurrent.locks.ReentrantLock;
import java.util.zip.CRC32C;

import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.memory.MappedRegion;
import io.offstate.offheap.memory.RegionBacking;

/**
 * Re-verifies a directory's committed chunks on disk, a bounded share at a time, round-robin
 * over the committed files ({@link StoreFiles#scrub}): each {@value MappedRegion#CHUNK_SIZE}-byte
 * chunk read with a positional read and checked against its {@link ChunkSumDescriptor} entry,
 * as {@link ChunkVerifier} does, but from a thread other than the store's.
 *
 * <h2>Threading</h2>
 * {@link #scrub} may run on one other thread (calls are serialized) while the store's thread
 * commits. A commit rewrites data chunks and their checksum entries in place: it holds
 * {@link #beginApply() the lock} from the first in-place write until the new committed file set
 * is published ({@link #applied}), and a scrub holds the same lock while it reads one batch
 * (at most {@value #BATCH_BYTES} bytes of one file and their entries). So a scrub never sees a
 * chunk rewritten but its entry not yet (no false corruption), and a commit waits for at most one
 * batch's reads. The CRCs are computed after the lock is released. A commit that failed while
 * writing in place leaves data and entries inconsistent until recovery: scrubbing then refuses.
 *
 * <p>Allocates one direct buffer of {@value #BATCH_BYTES} bytes on first use; throws
 * {@link CorruptStoreFileException} for a bad chunk (after moving past it, so the next call goes
 * on with the rest), {@link IllegalStateException} once closed or after a failed commit, and
 * {@link UncheckedIOException} if the file system fails.
 */
final class Scrubber {
    /** Bytes of one file read under the lock at a time. */
    static final int BATCH_BYTES = 1 << 20;

    /** The committed files: ids in order (the pages file first) and their committed lengths. */
    record Committed(int[] ids, long[] lengths) {
        static Committed of(FileTable table) {
            Map<Integer, Long> segments = table.segments();
            int[] ids = new int[segments.size() + 1];
            long[] lengths = new long[ids.length];
            ids[0] = RegionBacking.PAGES_FILE;
            lengths[0] = table.pagesLength();
            int i = 1;
            for (Map.Entry<Integer, Long> e : segments.entrySet()) { // a TreeMap: in id order
                ids[i] = e.getKey();
                lengths[i++] = e.getValue();
            }
            return new Committed(ids, lengths);
        }
    }

    private final FileNames names;
    private final ReentrantLock lock = new ReentrantLock();
    // guarded by lock
    private Committed committed;
    private boolean consistent = true;
    private boolean closed;
    // scrub thread only (calls serialized by synchronized scrub)
    /** File id of the next chunk to check (-1: the first file), and its offset. */
    private int cursorId = -1;
    private long cursorOffset;
    /** Index of the cursor's file in the committed set it was sought in. */
    private int cursorIndex;
    private volatile long passes;
    private ByteBuffer data;
    private ByteBuffer sums;
    private final CRC32C crc = new CRC32C();

    Scrubber(FileNames names, Committed committed) {
        this.names = names;
        this.committed = committed;
    }

    /** Recovery found {@code now} committed (on open, before any scrub can run; locked all the same). */
    void recovered(Committed now) {
        lock.lock();
        try {
            committed = now;
        } finally {
            lock.unlock();
        }
    }

    /** A commit starts writing in place: scrubbing waits (for at most one batch) until {@link #endApply}. */
    void beginApply() {
        lock.lock();
        consistent = false;
    }

    /**
     * The in-place writes are complete and forced; {@code now} is the committed file set from here
     * on. Only between {@link #beginApply} and {@link #endApply}.
     */
    void applied(Committed now) {
        committed = now;
        consistent = true;
    }

    /** Ends what {@link #beginApply} began; without {@link #applied} before, scrubbing refuses from now on. */
    void endApply() {
        lock.unlock();
    }

    /** No scrub runs after this returns. */
    void close() {
        lock.lock();
        try {
            closed = true;
        } finally {
            lock.unlock();
        }
    }

    /** Complete passes over the committed chunks so far. */
    long passes() {
        return passes;
    }

    /** See {@link StoreFiles#scrub}. */
    synchronized long scrub(long maxBytes) {
        if (maxBytes < 0) {
            throw new IllegalArgumentException("maxBytes must be >= 0, was " + maxBytes);
        }
        if (data == null) {
            data = ByteBuffer.allocateDirect(BATCH_BYTES);
            sums = ByteBuffer.allocate(BATCH_BYTES / MappedRegion.CHUNK_SIZE * ChunkSumDescriptor.ENTRY_SIZE)
                .order(ByteOrder.LITTLE_ENDIAN);
        }
        long checked = 0;
        boolean movedOn = false; // at least one chunk per call, so a small maxBytes still makes progress
        while (checked < maxBytes || !movedOn) {
            int fileId;
            long offset;
            int n;
            boolean passEnded = false;
            lock.lock();
            try {
                ensureUsable();
                Committed c = committed;
                if (!seek(c)) {
                    return checked; // nothing committed yet
                }
                fileId = cursorId;
                offset = cursorOffset;
                long room = Math.max(MappedRegion.CHUNK_SIZE, Math.min(BATCH_BYTES, maxBytes - checked));
                n = (int) Math.min(c.lengths()[cursorIndex] - offset, room & -MappedRegion.CHUNK_SIZE);
                try {
                    read(fileId, offset, n);
                } finally {
                    passEnded = advance(c, n); // past the batch even if it is bad: the next call goes on with the rest
                }
            } finally {
                lock.unlock();
            }
            movedOn = true;
            check(fileId, offset, n); // outside the lock; may throw (the cursor is past the batch)
            checked += n;
            if (passEnded) {
                break; // a call ends with its pass: a caller pacing the scrub sees whole passes
            }
        }
        return checked;
    }

    private void ensureUsable() {
        if (closed) {
            throw new IllegalStateException("store directory " + names.directory() + " is closed");
        }
        if (!consistent) {
            throw new IllegalStateException("an earlier flush of store directory " + names.directory()
                + " failed while writing its files; close the store and reopen it to recover before scrubbing");
        }
    }

    /**
     * Points the cursor at the next unchecked chunk of {@code c}; false if nothing is committed.
     * The file set changes with commits, so the cursor is a file id and an offset: it goes on at
     * the first committed file whose id is not below the cursor's.
     */
    private boolean seek(Committed c) {
        int[] ids = c.ids();
        long[] lengths = c.lengths();
        long total = 0;
        for (long l : lengths) {
            total += l;
        }
        if (total == 0) {
            return false;
        }
        int i = 0;
        while (i < ids.length && ids[i] < cursorId) {
            i++;
        }
        if (i < ids.length && ids[i] != cursorId) {
            cursorOffset = 0; // the cursor's file is gone: start the next one from its beginning
        }
        while (i == ids.length || cursorOffset >= lengths[i]) {
            if (i == ids.length) {
                passes++; // the files after the cursor went away: this pass is complete
                i = 0;
            } else {
                i++;
            }
            cursorOffset = 0;
        }
        cursorIndex = i;
        cursorId = ids[i];
        return true;
    }

    /**
     * Moves the cursor past the batch of {@code n} bytes just read from the cursor's file in
     * {@code c}; returns whether that completed a pass.
     */
    private boolean advance(Committed c, int n) {
        cursorOffset += n;
        if (cursorOffset >= c.lengths()[cursorIndex] && cursorIndex == c.ids().length - 1) {
            passes++; // the last chunk of the last file: a complete pass
            cursorId = -1;
            cursorOffset = 0;
            return true;
        }
        return false;
    }

    /** Reads {@code n} bytes of file {@code fileId} at {@code offset}, and their checksum entries, into the buffers. */
    private void read(int fileId, long offset, int n) {
        Path dataFile = names.file(fileId, FileNames.KIND_DATA);
        Path sumFile = names.file(fileId, FileNames.KIND_SUMS);
        data.clear().limit(n);
        int entries = (n + MappedRegion.CHUNK_SIZE - 1) >>> MappedRegion.CHUNK_SHIFT;
        sums.clear().limit(entries * ChunkSumDescriptor.ENTRY_SIZE);
        try (FileChannel d = FileChannel.open(dataFile, StandardOpenOption.READ)) {
            if (ChannelIo.readUpTo(d, data, offset) < n) {
                throw new CorruptStoreFileException(dataFile, "truncated: scrub found it shorter than its committed "
                    + "length (at byte " + offset + ")");
            }
        } catch (NoSuchFileException e) {
            throw new CorruptStoreFileException(dataFile, "missing, found by scrub", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot scrub " + dataFile + ": " + e.getMessage(), e);
        }
        int got = 0;
        try (FileChannel s = FileChannel.open(sumFile, StandardOpenOption.READ)) {
            got = ChannelIo.readUpTo(s, sums, ChunkSumDescriptor.entryOffset(offset));
        } catch (NoSuchFileException e) {
            // no chunk of this file was ever written: every entry is never-written
        } catch (IOException e) {
            throw new UncheckedIOException("cannot scrub " + sumFile + ": " + e.getMessage(), e);
        }
        for (int i = got; i < entries * ChunkSumDescriptor.ENTRY_SIZE; i++) {
            sums.put(i, (byte) 0); // entries past the end of the checksum file: never written
        }
    }

    /** Checks the batch read by {@link #read} (outside the lock). */
    private void check(int fileId, long offset, int n) {
        for (int at = 0; at < n; at += MappedRegion.CHUNK_SIZE) {
            int len = Math.min(MappedRegion.CHUNK_SIZE, n - at);
            long stored = sums.getLong((at >>> MappedRegion.CHUNK_SHIFT) * ChunkSumDescriptor.ENTRY_SIZE);
            long chunkOffset = offset + at;
            if (stored == ChunkSumDescriptor.NEVER_WRITTEN) {
                for (int i = 0; i < len; i++) {
                    if (data.get(at + i) != 0) {
                        throw new CorruptStoreFileException(names.file(fileId, FileNames.KIND_DATA), "chunk at byte "
                            + chunkOffset + " was never written but is not zero (byte " + (chunkOffset + i) + "), found by scrub");
                    }
                }
                continue;
            }
            crc.reset();
            crc.update(data.slice(at, len));
            int actual = (int) crc.getValue();
            if (!ChunkSumDescriptor.matches(stored, actual)) {
                throw new CorruptStoreFileException(names.file(fileId, FileNames.KIND_DATA), "checksum mismatch in the "
                    + MappedRegion.CHUNK_SIZE + "-byte chunk at byte " + chunkOffset + ", found by scrub (CRC32C "
                    + Integer.toHexString(actual) + ", " + names.file(fileId, FileNames.KIND_SUMS).getFileName() + " says "
                    + Long.toHexString(stored) + ")");
            }
        }
    }
}
