package io.offstate.offheap.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.memory.MappedRegion;

/**
 * Regions reopened from committed files are checked chunk by chunk on first touch against the
 * {@code .sum} entries: written chunks by CRC32C, never-written chunks must be zero; regions
 * mapped for new bytes are verified by construction.
 */
class StoredChunkCheckerTest {
    static final int CHUNK = MappedRegion.CHUNK_SIZE;

    @TempDir
    Path dir;

    /** A committed 4-chunk segment whose chunks 0 and 1 were written (chunks 2 and 3 never were); returns its id. */
    int committedSegment() {
        try (StoreFiles f = StoreFiles.open(dir)) {
            MappedRegion seg = f.newSegment(4 * CHUNK);
            assertTrue(seg.isVerified(), "new bytes are verified by construction");
            for (long o = 0; o < 2 * CHUNK; o += 8) {
                seg.segment().set(ValueLayout.JAVA_LONG, o, o ^ 0x5A5A5A5AL);
            }
            seg.markDirty(0, 2 * CHUNK);
            f.commit(new byte[] {1});
            return seg.fileId();
        }
    }

    @Test
    void anIntactReopenedRegionPassesEveryChunk() {
        int id = committedSegment();
        try (StoreFiles f = StoreFiles.open(dir)) {
            MappedRegion seg = f.openSegment(id, 4 * CHUNK);
            assertFalse(seg.isVerified(), "reopened: unverified until touched");
            assertEquals(4, seg.unverifiedChunks());
            seg.verify(CHUNK + 5, 1);
            assertEquals(3, seg.unverifiedChunks(), "only the chunk touched is checked");
            seg.verifyAll();
            assertTrue(seg.isVerified());
            assertEquals(8 ^ 0x5A5A5A5AL, seg.segment().get(ValueLayout.JAVA_LONG, 8));
        }
    }

    @Test
    void aFlippedBitInAWrittenChunkFailsThatChunkOnly() throws IOException {
        int id = committedSegment();
        Path file = dir.resolve(FileNames.fileName(id, FileNames.KIND_DATA));
        ScrubTest.flipBit(file, CHUNK + 100);
        try (StoreFiles f = StoreFiles.open(dir)) {
            MappedRegion seg = f.openSegment(id, 4 * CHUNK);
            seg.verify(0, 8);
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> seg.verify(CHUNK, 8));
            assertEquals(file.getFileName(), e.file().getFileName());
            assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains("byte " + CHUNK), e.getMessage());
            assertFalse(seg.isVerified(1), "a failed chunk stays unverified");
            assertThrows(CorruptStoreFileException.class, seg::verifyAll);
            assertTrue(seg.isVerified(0));
        }
    }

    @Test
    void aNonZeroByteInANeverWrittenChunkFails() throws IOException {
        int id = committedSegment();
        Path file = dir.resolve(FileNames.fileName(id, FileNames.KIND_DATA));
        ScrubTest.flipBit(file, 3L * CHUNK + 7);
        try (StoreFiles f = StoreFiles.open(dir)) {
            MappedRegion seg = f.openSegment(id, 4 * CHUNK);
            seg.verify(2 * CHUNK, CHUNK); // zero and never written: fine
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> seg.verify(3 * CHUNK, 1));
            assertTrue(e.getMessage().contains("never written but is not zero"), e.getMessage());
            assertTrue(e.getMessage().contains("byte " + (3L * CHUNK + 7)), e.getMessage());
        }
    }

    @Test
    void aFlippedChecksumEntryFailsItsChunk() throws IOException {
        int id = committedSegment();
        ScrubTest.flipBit(dir.resolve(FileNames.fileName(id, FileNames.KIND_SUMS)), 2); // the CRC of chunk 0
        try (StoreFiles f = StoreFiles.open(dir)) {
            MappedRegion seg = f.openSegment(id, 4 * CHUNK);
            assertThrows(CorruptStoreFileException.class, () -> seg.verify(0, 1));
            seg.verify(CHUNK, 1);
        }
    }

    @Test
    void pagesReopenedFromPagesDatAreCheckedAndNewPagesAreNot() throws IOException {
        try (StoreFiles f = StoreFiles.open(dir)) {
            MappedRegion page = f.mapPage(1, 2 * CHUNK);
            page.segment().set(ValueLayout.JAVA_LONG, 8, 42);
            page.markDirty(8, 8);
            f.commit(new byte[] {1});
        }
        ScrubTest.flipBit(dir.resolve("pages.dat"), 2L * CHUNK + 9); // page 1, chunk 0
        try (StoreFiles f = StoreFiles.open(dir)) {
            MappedRegion page = f.openPage(1, 2 * CHUNK);
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, page::verifyAll);
            assertEquals("pages.dat", e.file().getFileName().toString());
            assertTrue(e.getMessage().contains("byte " + 2L * CHUNK), e.getMessage());
            assertTrue(f.mapPage(2, 2 * CHUNK).isVerified(), "a page mapped for new use");
        }
    }
}
