package io.offstate.offheap.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.memory.MappedRegion;
import io.offstate.offheap.memory.MappingCount;

/** The facade's contract beyond commit and recovery (which CommitCrashPointTest covers). */
class StoreFilesTest {
    @TempDir
    Path dir;

    @Test
    void anOpenThatFailsInRecoveryLeavesTheDirectoryFreeForTheNextOpen() throws IOException {
        Files.createDirectories(dir.resolve("journal-0")); // reading it fails with an IOException ("Is a directory")
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> StoreFiles.open(dir));
        assertTrue(e.getMessage().startsWith("cannot open store directory "), e.getMessage());
        Files.delete(dir.resolve("journal-0"));
        try (StoreFiles f = StoreFiles.open(dir)) { // was refused: "locked by a store in this process"
            assertEquals(0, f.generation());
            assertNull(f.storeMeta());
        }
    }

    @Test
    void theObserverSeesEveryStepOfACommitInOrderAndApplyingOncePerRun() throws IOException {
        List<CommitStep> seen = new ArrayList<>();
        try (StoreFiles f = StoreFiles.open(dir, seen::add)) {
            MappedRegion page = f.mapPage(1, 8192);
            MappedRegion seg = f.newSegment(3 * 4096);
            page.markDirty(0, 1);
            page.markDirty(5000, 1); // chunk 1, next to chunk 0: one run
            seg.markDirty(0, 1);
            seg.markDirty(2 * 4096, 1); // chunk 2, apart from chunk 0: a second run
            f.commit(new byte[0]);
        }
        List<CommitStep> expected = new ArrayList<>(Arrays.asList(CommitStep.values()));
        expected.add(expected.indexOf(CommitStep.APPLYING), CommitStep.APPLYING);
        expected.add(expected.indexOf(CommitStep.APPLYING), CommitStep.APPLYING);
        assertEquals(expected, seen, "three runs: three times applying");
    }

    @Test
    void mappingsCountOnePerExtentAndOnePerSegment() {
        long before = MappingCount.live();
        try (StoreFiles f = StoreFiles.open(dir)) {
            assertEquals(0, f.mappings());
            MappedRegion page1 = f.mapPage(1, 8192);
            f.mapPage(2, 8192);
            assertEquals(1, f.mappings(), "pages 1 and 2 share the first extent");
            MappedRegion far = f.mapPage(RegionMapper.MAX_EXTENT_PAGES, 8192);
            assertEquals(2, f.mappings(), "page 256 starts the second extent");
            MappedRegion seg = f.newSegment(4096);
            assertEquals(3, f.mappings());
            assertEquals(before + 3, MappingCount.live(), "as the process counts them");
            page1.markDirty(0, 1);
            seg.markDirty(0, 1);
            f.commit(new byte[0]);
            assertEquals(3, f.mappings(), "a remap replaces mappings, it adds none");
            assertEquals(before + 3, MappingCount.live());
            f.free(seg);
            f.free(far);
            assertEquals(1, f.mappings());
            assertEquals(before + 1, MappingCount.live());
        }
        assertEquals(before, MappingCount.live());
    }

    @Test
    void dirtyChunksAreTheChunksTheNextCommitWrites() {
        try (StoreFiles f = StoreFiles.open(dir)) {
            MappedRegion page = f.mapPage(1, 8192);
            MappedRegion seg = f.newSegment(3 * 4096 + 100);
            assertEquals(0, f.dirtyChunks());
            page.markDirty(10, 1);
            page.markDirty(20, 1);
            assertEquals(1, f.dirtyChunks(), "two writes into one chunk");
            seg.markAllDirty();
            assertEquals(1 + 4, f.dirtyChunks(), "a segment of 3 chunks and 100 bytes has 4");
            assertEquals(5L * 4096 - 4096 + 100, f.commit(new byte[0]), "bytes written: the last chunk is short");
            assertEquals(0, f.dirtyChunks());
        }
    }
}
