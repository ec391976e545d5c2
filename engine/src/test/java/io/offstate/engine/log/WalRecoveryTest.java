package io.offstate.engine.log;

import static io.offstate.engine.log.WalTestSupport.assertSameEntries;
import static io.offstate.engine.log.WalTestSupport.payload;
import static io.offstate.engine.log.WalTestSupport.read;
import static io.offstate.engine.log.WalTestSupport.replayAll;
import static io.offstate.engine.log.WalTestSupport.write;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.log.WalTestSupport.Entry;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.StoreFileException;
import io.offstate.offheap.UnsupportedFormatVersionException;

/** Recovery at open: torn tails at every byte, bit flips anywhere, truncation at damage, bad headers. */
final class WalRecoveryTest {
    static final WalOptions OPTIONS = WalOptions.defaults().withSegmentBytes(4096).withDurability(Durability.NEVER);

    @TempDir
    Path dir;

    private List<Entry> writeBatches(int count, int length) {
        List<Entry> written = new ArrayList<>();
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS)) {
            for (int i = 0; i < count; i++) {
                byte[] bytes = payload(i, length + i % 7);
                written.add(new Entry(log.append(bytes), bytes));
            }
        }
        return written;
    }

    @Test
    void aTornTailIsCutAtEveryByteOffsetOfTheLastFrameAndEarlierBatchesAreIntact() {
        List<Entry> written = writeBatches(5, 40);
        Path segment = WalTestSupport.lastSegment(dir);
        byte[] original = read(segment);
        Entry last = written.getLast();
        int frameStart = (int) WalFrameDescriptor.fileOffsetOf(0, last.position());
        assertEquals(original.length, frameStart + 16 + last.payload().length);
        for (int cut = frameStart; cut < original.length; cut++) {
            write(segment, java.util.Arrays.copyOf(original, cut));
            try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS)) {
                WalRecovery recovery = log.recovery();
                String where = "cut at " + cut;
                assertEquals(cut > frameStart, recovery.tornTail(), where);
                assertEquals(cut - frameStart, recovery.tornTailBytes(), where);
                assertFalse(recovery.truncatedAtDamage(), where);
                assertEquals(4, recovery.batches(), where);
                assertEquals(last.position(), log.endPosition(), where);
                assertEquals(frameStart, Files.size(segment), where + ": the tail is truncated away");
                assertSameEntries(written.subList(0, 4), replayAll(log, 0), where);
            } catch (IOException e) {
                throw new AssertionError(e);
            }
        }
    }

    @Test
    void aBitFlipInTheLastFrameIsATornTail() {
        List<Entry> written = writeBatches(5, 40);
        Path segment = WalTestSupport.lastSegment(dir);
        byte[] original = read(segment);
        int frameStart = (int) WalFrameDescriptor.fileOffsetOf(0, written.getLast().position());
        for (int at = frameStart; at < original.length; at += 3) {
            byte[] damaged = original.clone();
            damaged[at] ^= 0x10;
            write(segment, damaged);
            try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS)) {
                assertTrue(log.recovery().tornTail(), "flip at " + at);
                assertSameEntries(written.subList(0, 4), replayAll(log, 0), "flip at " + at);
            }
        }
    }

    @Test
    void aBitFlipAnywhereBeforeTheLastFrameIsRefusedNamingSegmentAndOffset() {
        List<Entry> written = writeBatches(6, 30);
        Path segment = WalTestSupport.lastSegment(dir);
        byte[] original = read(segment);
        int lastFrame = (int) WalFrameDescriptor.fileOffsetOf(0, written.getLast().position());
        for (int at = 0; at < lastFrame; at++) {
            for (int bit : new int[] {0, 7}) {
                byte[] damaged = original.clone();
                damaged[at] ^= (byte) (1 << bit);
                write(segment, damaged);
                long frameOffset = at < 16 ? 0 : frameOffsetContaining(written, at);
                if (at >= WalFrameDescriptor.VERSION_OFFSET && at < WalFrameDescriptor.VERSION_OFFSET + 4) {
                    // a flipped version reads as a newer format (refused as such) or as an invalid one
                    StoreFileException e = assertThrows(StoreFileException.class, () -> WriteAheadLog.open(dir, OPTIONS));
                    assertEquals(segment, e.file());
                    assertArrayEquals(damaged, read(segment), "a refused open changes nothing");
                    continue;
                }
                CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class,
                    () -> WriteAheadLog.open(dir, OPTIONS), "flip of bit " + bit + " at " + at);
                assertEquals(segment, e.file());
                assertTrue(e.getMessage().contains("offset " + frameOffset + " "), at + ": " + e.getMessage());
                assertArrayEquals(damaged, read(segment), "a refused open changes nothing");
            }
        }
    }

    @Test
    void truncateAtDamageCutsThereAndReportsWhatWasDropped() {
        List<Entry> written = writeBatches(6, 30);
        Path segment = WalTestSupport.lastSegment(dir);
        byte[] original = read(segment);
        int lastFrame = (int) WalFrameDescriptor.fileOffsetOf(0, written.getLast().position());
        for (int at = 16; at < lastFrame; at += 5) {
            byte[] damaged = original.clone();
            damaged[at] ^= 0x01;
            write(segment, damaged);
            int k = indexOfFrameContaining(written, at);
            long frameOffset = WalFrameDescriptor.fileOffsetOf(0, written.get(k).position());
            try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS.withTruncateAtDamage(true))) {
                WalRecovery recovery = log.recovery();
                String where = "flip at " + at;
                assertTrue(recovery.truncatedAtDamage(), where);
                assertFalse(recovery.tornTail(), where);
                assertEquals(segment, recovery.damagedSegment(), where);
                assertEquals(frameOffset, recovery.damageOffset(), where);
                assertEquals(written.get(k).position(), recovery.droppedFromPosition(), where);
                assertEquals(original.length - frameOffset, recovery.droppedBytes(), where);
                assertEquals(k, recovery.batches(), where);
                assertSameEntries(written.subList(0, k), replayAll(log, 0), where);
                assertEquals(written.get(k).position(), log.append(new byte[2]), where + ": appends go on from the cut");
            }
        }
    }

    @Test
    void damageInAnEarlierSegmentIsRefusedAndTruncationDropsTheLaterSegments() {
        List<Entry> written = writeBatches(60, 300);
        List<Path> segments = WalTestSupport.segmentFiles(dir);
        assertTrue(segments.size() >= 4);
        Path second = segments.get(1);
        byte[] bytes = read(second);
        bytes[40] ^= 0x04;
        write(second, bytes);
        CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> WriteAheadLog.open(dir, OPTIONS));
        assertEquals(second, e.file());
        assertEquals(segments, WalTestSupport.segmentFiles(dir));
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS.withTruncateAtDamage(true))) {
            WalRecovery recovery = log.recovery();
            assertEquals(second, recovery.damagedSegment());
            assertEquals(16, recovery.damageOffset(), "the flip is in the segment's first frame");
            List<Entry> kept = written.stream().filter(x -> x.position() < recovery.droppedFromPosition()).toList();
            assertSameEntries(kept, replayAll(log, 0), "kept");
            assertEquals(2, WalTestSupport.segmentFiles(dir).size(), "later segments deleted, the damaged one cut to its header");
        }
    }

    @Test
    void aMissingSegmentInTheMiddleIsDamage() throws IOException {
        writeBatches(60, 300);
        List<Path> segments = WalTestSupport.segmentFiles(dir);
        Files.delete(segments.get(2));
        CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> WriteAheadLog.open(dir, OPTIONS));
        assertEquals(segments.get(3), e.file());
        assertTrue(e.getMessage().contains("missing"), e.getMessage());
    }

    @Test
    void aHalfCreatedLastSegmentIsATornTail() throws IOException {
        List<Entry> written = writeBatches(30, 300);
        long end = written.getLast().position() + 16 + written.getLast().payload().length;
        Path next = SegmentFiles.pathOf(dir, end);
        Files.write(next, new byte[7]);
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS)) {
            assertTrue(log.recovery().tornTail());
            assertEquals(end, log.endPosition());
            assertSameEntries(written, replayAll(log, 0), "intact");
        }
    }

    @Test
    void aWrongMagicIsDamageAndANewerVersionIsRefused() {
        writeBatches(5, 10);
        Path segment = WalTestSupport.lastSegment(dir);
        byte[] original = read(segment);
        byte[] badVersion = original.clone();
        badVersion[WalFrameDescriptor.VERSION_OFFSET] = 9;
        write(segment, badVersion);
        UnsupportedFormatVersionException v = assertThrows(UnsupportedFormatVersionException.class,
            () -> WriteAheadLog.open(dir, OPTIONS));
        assertEquals(9, v.version());
        byte[] badMagic = original.clone();
        badMagic[0] ^= 1;
        write(segment, badMagic);
        CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> WriteAheadLog.open(dir, OPTIONS));
        assertTrue(e.getMessage().contains("offset 0 "), e.getMessage());
    }

    @Test
    void aCleanLogReportsNoRepair() {
        writeBatches(3, 10);
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS)) {
            WalRecovery r = log.recovery();
            assertFalse(r.tornTail());
            assertFalse(r.truncatedAtDamage());
            assertNull(r.damagedSegment());
            assertEquals(-1, r.droppedFromPosition());
            assertEquals(3, r.batches());
            assertEquals(1, r.segments());
            assertEquals(0, r.firstPosition());
        }
    }

    @Test
    void damageAfterOpenIsFoundByReplayNamingSegmentAndOffset() {
        List<Entry> written;
        try (WriteAheadLog log = WriteAheadLog.open(dir, OPTIONS)) {
            written = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                byte[] bytes = payload(i, 30);
                written.add(new Entry(log.append(bytes), bytes));
            }
            Path segment = WalTestSupport.lastSegment(dir);
            byte[] bytes = read(segment);
            long second = WalFrameDescriptor.fileOffsetOf(0, written.get(1).position());
            bytes[(int) second + 20] ^= 0x40;
            write(segment, bytes);
            List<Long> seen = new ArrayList<>();
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class,
                () -> log.replay(0, batch -> seen.add(batch.position())));
            assertEquals(segment, e.file());
            assertTrue(e.getMessage().contains("offset " + second + " "), e.getMessage());
            assertEquals(List.of(written.getFirst().position()), seen, "batches before the damage were handed out");
        }
    }

    private static int indexOfFrameContaining(List<Entry> written, int fileOffset) {
        for (int k = written.size() - 1; k >= 0; k--) {
            if (WalFrameDescriptor.fileOffsetOf(0, written.get(k).position()) <= fileOffset) {
                return k;
            }
        }
        throw new AssertionError("offset " + fileOffset + " is in no frame");
    }

    private static long frameOffsetContaining(List<Entry> written, int fileOffset) {
        return WalFrameDescriptor.fileOffsetOf(0, written.get(indexOfFrameContaining(written, fileOffset)).position());
    }
}
