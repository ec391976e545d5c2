package io.offstate.engine.log;

import static io.offstate.engine.log.WalTestSupport.assertSameEntries;
import static io.offstate.engine.log.WalTestSupport.payload;
import static io.offstate.engine.log.WalTestSupport.replayAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.log.WalTestSupport.Entry;
import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.StoreLockedException;

/** Round trips, replay, rolls, retention, durability policies, the directory lock and bad input. */
final class WriteAheadLogTest {
    static final WalOptions SMALL = WalOptions.defaults().withSegmentBytes(4096);

    @TempDir
    Path dir;

    @Test
    void manyBatchesRoundTripAcrossSegmentRollsAndReopens() {
        List<Entry> written = new ArrayList<>();
        Random random = new Random(7);
        try (WriteAheadLog log = WriteAheadLog.open(dir, SMALL.withDurability(Durability.NEVER))) {
            assertEquals(0, log.endPosition());
            long previous = -1;
            for (int i = 0; i < 600; i++) {
                int length = i == 300 ? 10_000 : random.nextInt(i % 50 == 0 ? 0 : 1, 900);
                byte[] bytes = payload(i, length);
                long position = log.append(bytes);
                assertTrue(position > previous, "positions increase");
                assertEquals(position + 16 + length, log.endPosition());
                previous = position;
                written.add(new Entry(position, bytes));
            }
            assertTrue(log.segmentCount() > 50, "rolled: " + log.segmentCount());
            assertSameEntries(written, replayAll(log, 0), "before reopen");
        }
        try (WriteAheadLog log = WriteAheadLog.open(dir, SMALL)) {
            WalRecovery recovery = log.recovery();
            assertEquals(600, recovery.batches());
            assertFalse(recovery.tornTail());
            assertFalse(recovery.truncatedAtDamage());
            assertEquals(written.getLast().position() + 16 + written.getLast().payload().length, recovery.endPosition());
            assertSameEntries(written, replayAll(log, 0), "after reopen");
            long next = log.append(payload(1000, 5));
            assertEquals(recovery.endPosition(), next, "appends continue where the log ended");
        }
    }

    @Test
    void replayFromAPositionYieldsThatBatchAndAllAfterIt() {
        List<Entry> written = new ArrayList<>();
        try (WriteAheadLog log = WriteAheadLog.open(dir, SMALL)) {
            for (int i = 0; i < 100; i++) {
                byte[] bytes = payload(i, 100 + i);
                written.add(new Entry(log.append(bytes), bytes));
            }
            for (int k : new int[] {0, 1, 37, 99}) {
                assertSameEntries(written.subList(k, written.size()), replayAll(log, written.get(k).position()), "from " + k);
                // a position inside batch k starts at the next batch
                assertSameEntries(written.subList(k + 1, written.size()), replayAll(log, written.get(k).position() + 1),
                    "inside " + k);
            }
            assertEquals(0, replayAll(log, log.endPosition()).size());
        }
    }

    @Test
    void replayedBatchOffersZeroCopyViews() {
        try (WriteAheadLog log = WriteAheadLog.open(dir, SMALL); Arena arena = Arena.ofConfined()) {
            MemorySegment source = arena.allocate(10);
            for (int i = 0; i < 10; i++) {
                source.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 3));
            }
            long position = log.append(source);
            WalBatch[] kept = new WalBatch[1];
            log.replay(position, batch -> {
                assertEquals(10, batch.length());
                assertEquals(position, batch.position());
                assertEquals(position + 26, batch.nextPosition());
                assertEquals((byte) 27, batch.getByte(9));
                assertEquals((byte) 6, batch.payload().get(ValueLayout.JAVA_BYTE, 2));
                assertThrows(IllegalArgumentException.class, () -> batch.payload().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
                assertThrows(IndexOutOfBoundsException.class, () -> batch.getByte(10));
                byte[] part = new byte[3];
                batch.copyTo(1, part, 0, 3);
                assertArrayEquals(new byte[] {3, 6, 9}, part);
                kept[0] = batch;
            });
            assertThrows(IndexOutOfBoundsException.class, () -> kept[0].getByte(0), "the flyweight is released after the callback");
        }
    }

    @Test
    void deleteUpToDeletesOnlySegmentsEntirelyBeforeThePosition() {
        List<Entry> written = new ArrayList<>();
        try (WriteAheadLog log = WriteAheadLog.open(dir, SMALL.withDurability(Durability.NEVER))) {
            for (int i = 0; i < 200; i++) {
                byte[] bytes = payload(i, 300);
                written.add(new Entry(log.append(bytes), bytes));
            }
            int before = log.segmentCount();
            long flushed = written.get(120).position();
            int deleted = log.deleteUpTo(flushed);
            assertTrue(deleted > 0);
            assertEquals(before - deleted, log.segmentCount());
            assertEquals(before - deleted, WalTestSupport.segmentFiles(dir).size());
            long first = log.firstPosition();
            assertTrue(first <= flushed, "the segment holding the flushed position is kept");
            assertTrue(written.stream().anyMatch(e -> e.position() == first), "first position is a batch");
            List<Entry> kept = written.stream().filter(e -> e.position() >= first).toList();
            assertSameEntries(kept, replayAll(log, first), "after deleteUpTo");
            assertThrows(IllegalArgumentException.class, () -> log.replay(first - 1, b -> { }));
            assertEquals(0, log.deleteUpTo(flushed), "idempotent");
            assertEquals(0, log.deleteUpTo(first), "a position at a segment's start deletes nothing more");
            log.deleteUpTo(log.endPosition());
            assertEquals(1, log.segmentCount(), "the active segment is kept");
            assertThrows(IllegalArgumentException.class, () -> log.deleteUpTo(log.endPosition() + 1));
        }
        try (WriteAheadLog log = WriteAheadLog.open(dir, SMALL)) {
            long first = log.firstPosition();
            assertSameEntries(written.stream().filter(e -> e.position() >= first).toList(), replayAll(log, first),
                "reopened after deleteUpTo");
            byte[] more = payload(999, 10);
            long position = log.append(more);
            assertEquals(written.getLast().position() + 316, position);
        }
    }

    @Test
    void deleteUpToEverythingThenReopenKeepsPositionsGoing() {
        long end;
        try (WriteAheadLog log = WriteAheadLog.open(dir, SMALL)) {
            for (int i = 0; i < 40; i++) {
                log.append(payload(i, 500));
            }
            end = log.endPosition();
            log.deleteUpTo(end);
        }
        try (WriteAheadLog log = WriteAheadLog.open(dir, SMALL)) {
            assertEquals(end, log.endPosition());
            assertEquals(end, log.append(new byte[1]));
        }
    }

    @Test
    void everyCommitPolicyMakesEachAppendDurable() {
        try (WriteAheadLog log = WriteAheadLog.open(dir, WalOptions.defaults())) {
            for (int i = 0; i < 20; i++) {
                log.append(payload(i, 10));
                assertEquals(log.endPosition(), log.durablePosition());
            }
            assertEquals(20, log.fsyncCount(), "one thread, back to back: one fsync each");
        }
    }

    @Test
    void neverPolicyForcesOnlyOnRequest() {
        try (WriteAheadLog log = WriteAheadLog.open(dir, WalOptions.defaults().withDurability(Durability.NEVER))) {
            for (int i = 0; i < 20; i++) {
                log.append(payload(i, 10));
            }
            assertEquals(0, log.fsyncCount());
            assertEquals(0, log.durablePosition());
            assertEquals(log.endPosition(), log.force());
            assertEquals(1, log.fsyncCount());
            log.force();
            assertEquals(1, log.fsyncCount(), "nothing new to force");
        }
    }

    @Test
    void intervalPolicyForcesInTheBackground() throws InterruptedException {
        try (WriteAheadLog log = WriteAheadLog.open(dir, WalOptions.defaults().withFlushInterval(5))) {
            for (int i = 0; i < 20; i++) {
                log.append(payload(i, 10));
            }
            long end = log.endPosition();
            for (int waited = 0; log.durablePosition() < end && waited < 10_000; waited += 5) {
                Thread.sleep(5);
            }
            assertEquals(end, log.durablePosition(), "the flusher forced the log");
            assertTrue(log.fsyncCount() >= 1);
        }
    }

    @Test
    void aSecondOpenOfTheDirectoryIsRefusedUntilTheFirstCloses() {
        WriteAheadLog first = WriteAheadLog.open(dir, SMALL);
        StoreLockedException e = assertThrows(StoreLockedException.class, () -> WriteAheadLog.open(dir, SMALL));
        assertEquals(dir, e.directory());
        first.append(new byte[3]);
        first.close();
        try (WriteAheadLog again = WriteAheadLog.open(dir, SMALL)) {
            assertEquals(1, again.recovery().batches());
        }
    }

    @Test
    void badInputIsRefusedWithSpecificExceptionsAndChangesNothing() {
        try (WriteAheadLog log = WriteAheadLog.open(dir, SMALL.withMaxBatchBytes(100))) {
            log.append(new byte[100]);
            long end = log.endPosition();
            assertThrows(NullPointerException.class, () -> log.append((byte[]) null));
            assertThrows(NullPointerException.class, () -> log.append((MemorySegment) null));
            IllegalArgumentException tooBig = assertThrows(IllegalArgumentException.class, () -> log.append(new byte[101]));
            assertTrue(tooBig.getMessage().contains("101") && tooBig.getMessage().contains("100"), tooBig.getMessage());
            assertThrows(IllegalArgumentException.class, () -> log.append(MemorySegment.ofArray(new byte[101])));
            assertThrows(IndexOutOfBoundsException.class, () -> log.append(new byte[10], 5, 6));
            assertThrows(IllegalArgumentException.class, () -> log.replay(-1, b -> { }));
            assertThrows(IllegalArgumentException.class, () -> log.replay(end + 1, b -> { }));
            assertThrows(NullPointerException.class, () -> log.replay(0, null));
            assertThrows(IllegalArgumentException.class, () -> log.deleteUpTo(-1));
            assertEquals(end, log.endPosition());
            assertEquals(1, replayAll(log, 0).size());
        }
        assertThrows(NullPointerException.class, () -> WriteAheadLog.open(null, SMALL));
        assertThrows(NullPointerException.class, () -> WriteAheadLog.open(dir, null));
        assertThrows(IllegalArgumentException.class, () -> SMALL.withSegmentBytes(100));
        assertThrows(IllegalArgumentException.class, () -> SMALL.withMaxBatchBytes(WalOptions.MAX_BATCH_BYTES + 1));
        assertThrows(IllegalArgumentException.class, () -> SMALL.withMaxBatchBytes(0));
        assertThrows(IllegalArgumentException.class, () -> SMALL.withFlushInterval(0));
        assertThrows(NullPointerException.class, () -> SMALL.withDurability(null));
    }

    @Test
    void aClosedLogRefusesEverythingButClose() {
        WriteAheadLog log = WriteAheadLog.open(dir, SMALL);
        log.append(new byte[1]);
        log.close();
        log.close();
        assertThrows(StoreClosedException.class, () -> log.append(new byte[1]));
        assertThrows(StoreClosedException.class, () -> log.replay(0, b -> { }));
        assertThrows(StoreClosedException.class, () -> log.deleteUpTo(0));
        assertThrows(StoreClosedException.class, log::force);
    }

    @Test
    void aBatchLargerThanASegmentGetsASegmentOfItsOwn() {
        byte[] big = payload(1, 20_000);
        try (WriteAheadLog log = WriteAheadLog.open(dir, SMALL)) {
            log.append(new byte[10]);
            long position = log.append(big);
            log.append(new byte[10]);
            assertEquals(3, log.segmentCount());
            assertArrayEquals(big, replayAll(log, position).getFirst().payload());
        }
        assertTrue(Files.exists(dir.resolve(WriteAheadLog.LOCK_FILE)));
    }
}
