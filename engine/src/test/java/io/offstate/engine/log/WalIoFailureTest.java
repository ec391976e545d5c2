package io.offstate.engine.log;

import static io.offstate.engine.log.WalTestSupport.assertSameEntries;
import static io.offstate.engine.log.WalTestSupport.payload;
import static io.offstate.engine.log.WalTestSupport.replayAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.log.WalTestSupport.Entry;

/**
 * I/O errors while appending: a disk that fills up half-way through a frame, a failing segment
 * creation, a failing fsync. The failed append throws {@link UncheckedIOException}, the log stays
 * readable, and a batch whose write failed is not in the log, now or after reopen.
 */
final class WalIoFailureTest {
    static final WalOptions OPTIONS = WalOptions.defaults().withSegmentBytes(4096);

    @TempDir
    Path dir;

    /** Writes {@code partial} bytes of the next frame whose write it is armed for, then reports a full disk. */
    static final class FullDisk implements WalIo {
        final AtomicBoolean armed = new AtomicBoolean();
        volatile int partial;
        final AtomicInteger failures = new AtomicInteger();

        @Override
        public int write(FileChannel channel, ByteBuffer src, long fileOffset) throws IOException {
            if (armed.compareAndSet(true, false)) {
                failures.incrementAndGet();
                int n = Math.min(partial, src.remaining());
                if (n > 0) {
                    ByteBuffer part = src.duplicate();
                    part.limit(part.position() + n);
                    channel.write(part, fileOffset);
                }
                throw new IOException("No space left on device");
            }
            return channel.write(src, fileOffset);
        }
    }

    @Test
    void aWriteThatFailsHalfWayLeavesNoTraceAndTheLogGoesOn() {
        FullDisk disk = new FullDisk();
        List<Entry> written = new ArrayList<>();
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS, disk)) {
            for (int i = 0; i < 30; i++) {
                if (i % 5 == 4) {
                    disk.partial = 7 + i * 3;
                    disk.armed.set(true);
                    long end = log.endPosition();
                    byte[] lost = payload(-i, 100);
                    UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> log.append(lost));
                    assertTrue(e.getMessage().contains("not in the log"), e.getMessage());
                    assertEquals(end, log.endPosition(), "the failed batch took no position");
                    assertSameEntries(written, replayAll(log, 0), "readable after failure " + i);
                }
                byte[] bytes = payload(i, 100);
                written.add(new Entry(log.append(bytes), bytes));
            }
            assertSameEntries(written, replayAll(log, 0), "before reopen");
        }
        assertTrue(disk.failures.get() >= 5);
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS)) {
            assertFalse(log.recovery().tornTail(), "the partial frame was truncated at once");
            assertSameEntries(written, replayAll(log, 0), "after reopen");
        }
    }

    @Test
    void aFailedWriteAsTheLastActBeforeACrashIsCutAtReopen() {
        // the failed append's partial frame is truncated; if the process dies right after a
        // failure (simulated: the partial bytes are written again behind the log's back), recovery cuts them
        List<Entry> written = new ArrayList<>();
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS.withDurability(Durability.NEVER))) {
            for (int i = 0; i < 3; i++) {
                byte[] bytes = payload(i, 50);
                written.add(new Entry(log.append(bytes), bytes));
            }
        }
        Path segment = WalTestSupport.lastSegment(dir);
        byte[] bytes = WalTestSupport.read(segment);
        byte[] withPartial = java.util.Arrays.copyOf(bytes, bytes.length + 30);
        System.arraycopy(bytes, 16, withPartial, bytes.length, 30); // looks like the start of a frame
        WalTestSupport.write(segment, withPartial);
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS)) {
            assertTrue(log.recovery().tornTail());
            assertSameEntries(written, replayAll(log, 0), "after reopen");
        }
    }

    @Test
    void aFailingFsyncFailsTheAppendAndEveryLaterOneButReadsGoOn() {
        AtomicBoolean failForce = new AtomicBoolean();
        WalIo io = new WalIo() {
            @Override
            public void force(FileChannel channel) throws IOException {
                if (failForce.get()) {
                    throw new IOException("Input/output error");
                }
                channel.force(false);
            }
        };
        List<Entry> written = new ArrayList<>();
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS, io)) {
            for (int i = 0; i < 5; i++) {
                byte[] bytes = payload(i, 20);
                written.add(new Entry(log.append(bytes), bytes));
            }
            failForce.set(true);
            assertThrows(UncheckedIOException.class, () -> log.append(payload(99, 20)));
            UncheckedIOException later = assertThrows(UncheckedIOException.class, () -> log.append(payload(100, 20)));
            assertTrue(later.getMessage().contains("failed earlier"), later.getMessage());
            List<Entry> readable = replayAll(log, 0);
            assertSameEntries(written, readable.subList(0, 5), "acknowledged batches readable");
            assertEquals(6, readable.size(), "the batch whose fsync failed was written (not acknowledged)");
            failForce.set(false);
        }
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS)) {
            assertSameEntries(written, replayAll(log, 0).subList(0, 5), "after reopen");
            log.append(new byte[1]);
        }
    }

    @Test
    void aSegmentThatCannotBeCreatedFailsTheAppendAndChangesNothing() {
        AtomicBoolean failWrites = new AtomicBoolean();
        WalIo io = new WalIo() {
            @Override
            public int write(FileChannel channel, ByteBuffer src, long fileOffset) throws IOException {
                if (failWrites.get() && fileOffset == 0) {
                    throw new IOException("No space left on device");
                }
                return channel.write(src, fileOffset);
            }
        };
        List<Entry> written = new ArrayList<>();
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS, io)) {
            while (log.segmentCount() == 1 && log.endPosition() < 3500) {
                byte[] bytes = payload(written.size(), 500);
                written.add(new Entry(log.append(bytes), bytes));
            }
            failWrites.set(true); // the header write of the next segment fails
            long end = log.endPosition();
            assertThrows(UncheckedIOException.class, () -> log.append(payload(1, 1000)));
            assertEquals(end, log.endPosition());
            assertEquals(1, log.segmentCount());
            assertEquals(1, WalTestSupport.segmentFiles(dir).size(), "the half-made segment is removed");
            failWrites.set(false);
            byte[] bytes = payload(2, 1000);
            written.add(new Entry(log.append(bytes), bytes));
            assertEquals(2, log.segmentCount());
        }
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS)) {
            assertSameEntries(written, replayAll(log, 0), "after reopen");
        }
    }
}
