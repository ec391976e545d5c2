package io.offstate.offheap.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.memory.MappedRegion;

/**
 * {@link StoreFiles#scrub}: re-verifies committed chunks on disk from another thread while the
 * owner writes and commits, never reporting a chunk a concurrent commit rewrote, and reports a
 * bit flipped on disk behind the store's back, naming the file and offset.
 */
class ScrubTest {
    static final int PAGE = 4096;
    static final int PAGES = 48;

    @TempDir
    Path dir;

    /** Pages 1..PAGES filled with a pattern of {@code seed}, and one 3-chunk segment; committed. */
    static List<MappedRegion> build(StoreFiles f, int seed) {
        List<MappedRegion> regions = new ArrayList<>();
        for (int i = 1; i <= PAGES; i++) {
            MappedRegion r = f.mapPage(i, PAGE);
            fill(r, seed + i);
            regions.add(r);
        }
        MappedRegion seg = f.newSegment(3 * PAGE - 100);
        fill(seg, seed);
        regions.add(seg);
        f.commit(new byte[] {1});
        return regions;
    }

    static void fill(MappedRegion r, int seed) {
        for (long o = 0; o + 8 <= r.size(); o += 8) {
            r.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, o, o * 31 + seed);
        }
        r.markAllDirty();
    }

    static void flipBit(Path file, long offset) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            c.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 0x10)).rewind();
            c.write(b, offset);
        }
    }

    @Test
    void aScrubPassChecksEveryCommittedChunkOnceAndCountsPasses() {
        try (StoreFiles f = StoreFiles.open(dir)) {
            assertEquals(0, f.scrub(1 << 20), "nothing committed by a new directory's first commit yet");
            build(f, 7);
            long committed = (PAGES + 1) * (long) PAGE + 3 * PAGE - 100; // page 0 of pages.dat is committed too (zero)
            long total = 0;
            while (f.scrubPasses() == 0) {
                total += f.scrub(10_000);
            }
            assertEquals(committed, total, "one pass reads each committed byte once");
            assertEquals(PAGE, f.scrub(1), "at least one chunk per call");
        }
    }

    @Test
    void aScrubThreadBesideAWriterThatCommitsThousandsOfTimesReportsNothing() throws Exception {
        try (StoreFiles f = StoreFiles.open(dir)) {
            List<MappedRegion> regions = build(f, 1);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicLong scrubbed = new AtomicLong();
            Thread scrub = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        scrubbed.addAndGet(f.scrub(64 << 10));
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            }, "scrub");
            scrub.start();
            Random random = new Random(3);
            MappedRegion extra = null;
            int commits = 0;
            try {
                for (; commits < 2000 && failure.get() == null; commits++) {
                    for (int w = 0; w < 8; w++) { // rewrite some chunks: the commit writes them and their sums in place
                        MappedRegion r = regions.get(random.nextInt(regions.size()));
                        long o = random.nextInt((int) r.size() / 8) * 8L;
                        r.segment().set(ValueLayout.JAVA_LONG_UNALIGNED, o, random.nextLong());
                        r.markDirty(o, 8);
                    }
                    if (commits % 50 == 0) { // segments come and go: the committed file set changes under the scrub
                        if (extra != null) {
                            f.free(extra);
                        }
                        extra = f.newSegment(2 * PAGE);
                        fill(extra, commits);
                    }
                    f.commit(new byte[] {(byte) commits});
                }
            } finally {
                stop.set(true);
                scrub.join();
            }
            assertNull(failure.get(), () -> "scrub reported " + failure.get());
            assertEquals(2000, commits);
            assertTrue(f.scrubPasses() > 0, "the scrub made at least one full pass: " + scrubbed.get() + " bytes");
            f.verify();
        }
    }

    @Test
    void aBitFlippedOnDiskInACommittedChunkIsReportedNamingTheFile() throws IOException {
        try (StoreFiles f = StoreFiles.open(dir)) {
            build(f, 9);
            long offset = 17L * PAGE + 1234; // page 17, which nothing rewrites
            flipBit(dir.resolve("pages.dat"), offset);
            CorruptStoreFileException e = null;
            long passes = f.scrubPasses();
            while (e == null && f.scrubPasses() < passes + 2) {
                try {
                    f.scrub(1 << 16);
                } catch (CorruptStoreFileException found) {
                    e = found;
                }
            }
            assertTrue(e != null, "scrub found the flipped bit");
            assertEquals("pages.dat", e.file().getFileName().toString());
            assertTrue(e.getMessage().contains("byte " + 17L * PAGE), e.getMessage());
            // it moved past the bad chunk: the rest of the pass goes on, and the next pass finds it again
            long before = f.scrubPasses();
            int found = 0;
            while (f.scrubPasses() < before + 2) {
                try {
                    f.scrub(1 << 16);
                } catch (CorruptStoreFileException again) {
                    found++;
                }
            }
            assertTrue(found >= 1 && found <= 2, "found once per pass: " + found);
        }
    }

    @Test
    void aBitFlippedInASegmentIsReportedNamingTheSegmentFile() throws IOException {
        try (StoreFiles f = StoreFiles.open(dir)) {
            List<MappedRegion> regions = build(f, 11);
            MappedRegion seg = regions.get(regions.size() - 1);
            Path file = dir.resolve(FileNames.fileName(seg.fileId(), FileNames.KIND_DATA));
            flipBit(file, 2L * PAGE + 5);
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> {
                for (int i = 0; i < 1000; i++) {
                    f.scrub(1 << 16);
                }
            });
            assertEquals(file.getFileName(), e.file().getFileName());
            assertTrue(e.getMessage().contains("byte " + 2L * PAGE), e.getMessage());
        }
    }

    @Test
    void aCommitThatFailsWhileWritingInPlaceStopsTheScrubUntilReopen() {
        boolean[] fail = {false};
        try (StoreFiles f = StoreFiles.open(dir, step -> {
            if (fail[0] && step == CommitStep.APPLYING) {
                throw new IOException("disk gone");
            }
        })) {
            List<MappedRegion> regions = build(f, 4);
            fill(regions.get(3), 99);
            fail[0] = true;
            assertThrows(java.io.UncheckedIOException.class, () -> f.commit(new byte[] {2}));
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> f.scrub(4096));
            assertTrue(e.getMessage().contains("failed"), e.getMessage()); // data and sums may disagree until recovery
        }
        try (StoreFiles f = StoreFiles.open(dir)) { // recovery replays the committed journal
            while (f.scrubPasses() == 0) {
                f.scrub(1 << 20);
            }
        }
    }

    @Test
    void aClosedDirectoryRefusesToScrub() {
        StoreFiles f = StoreFiles.open(dir);
        build(f, 2);
        f.close();
        assertThrows(IllegalStateException.class, () -> f.scrub(4096));
    }
}
