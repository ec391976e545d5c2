package io.offstate.offheap.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.CorruptStoreFileException;

/**
 * Page access validates what an address decodes to, and a region reopened from a file serves no
 * chunk before its {@link ChunkChecker} passed it: page indexes past the table or of free pages
 * are {@link CorruptStateException} (never an index or null-pointer exception), and a chunk that
 * fails its check stays unserved.
 */
class CheckedPageAccessTest {
    private static final int SHIFT = 12;

    private static PagedMemory memory() {
        return new PagedMemory(SHIFT, new MemoryBudget("checked", Long.MAX_VALUE));
    }

    @Test
    void anAddressPastThePageTableIsCorruptState() {
        try (PagedMemory m = memory()) {
            long a = m.allocate(16);
            assertEquals(1 << SHIFT, m.page(a).byteSize(), "a live page is served whole");
            long past = 1_048_581L << SHIFT; // the page index of the ArrayIndexOutOfBoundsException
            CorruptStateException e = assertThrows(CorruptStateException.class, () -> m.page(past));
            assertTrue(e.getMessage().contains("page 1048581"), e.getMessage());
            assertTrue(e.getMessage().contains("'checked'"), e.getMessage());
            assertThrows(CorruptStateException.class, () -> m.readOnlyPage(past));
            assertThrows(CorruptStateException.class, () -> m.page(-1L)); // any 64-bit value decoded from memory
            assertThrows(CorruptStateException.class, () -> m.page(PagedMemory.MAX_ADDRESS));
        }
    }

    @Test
    void pageZeroAndFreedLargeBlocksAreNotInUse() {
        try (PagedMemory m = memory()) {
            m.allocate(16);
            assertTrue(assertThrows(CorruptStateException.class, () -> m.page(5)).getMessage().contains("not in use"));
            long large = m.allocate(3000); // > a quarter page: a segment of its own
            assertEquals(3000, m.page(large).byteSize(), "a large block is served as its own segment");
            m.free(large, 3000);
            assertThrows(CorruptStateException.class, () -> m.page(large));
            assertThrows(CorruptStateException.class, () -> m.readOnlyPage(large));
        }
    }

    @Test
    void aClosedMemoryStillSaysClosed() {
        PagedMemory m = memory();
        long a = m.allocate(16);
        m.close();
        assertThrows(IllegalStateException.class, () -> m.page(a).get(java.lang.foreign.ValueLayout.JAVA_BYTE, 0));
    }

    /** A checker that fails the chunks listed in {@link #bad} and records every chunk it is asked about. */
    static final class FakeChecker implements ChunkChecker {
        final List<Long> checked = new ArrayList<>();
        final List<Long> bad = new ArrayList<>();

        @Override
        public void check(long chunk, MemorySegment bytes) {
            checked.add(chunk);
            assertEquals(MappedRegion.CHUNK_SIZE, bytes.byteSize());
            if (bad.contains(chunk)) {
                throw new CorruptStoreFileException(Path.of("seg-1.dat"), "checksum mismatch in the chunk at byte "
                    + (chunk << MappedRegion.CHUNK_SHIFT));
            }
        }
    }

    @Test
    void aReopenedRegionChecksEachChunkOnceOnFirstTouch() {
        try (Arena arena = Arena.ofConfined()) {
            Mapping mapping = new Mapping(arena.allocate(4 * MappedRegion.CHUNK_SIZE), arena);
            FakeChecker checker = new FakeChecker();
            MappedRegion r = new MappedRegion(1, 0, 4 * MappedRegion.CHUNK_SIZE, mapping, 0, checker);
            assertFalse(r.isVerified());
            assertEquals(4, r.unverifiedChunks());
            r.verify(4090, 10); // crosses from chunk 0 into chunk 1
            assertEquals(List.of(0L, 1L), checker.checked);
            r.verify(0, 8);
            assertEquals(List.of(0L, 1L), checker.checked, "checked chunks are not checked again");
            assertTrue(r.isVerified(1));
            assertFalse(r.isVerified(2));
            r.verifyAll();
            assertEquals(List.of(0L, 1L, 2L, 3L), checker.checked);
            assertTrue(r.isVerified());
            r.verifyAll();
            assertEquals(4, checker.checked.size(), "a verified region costs nothing more");
        }
    }

    @Test
    void aChunkThatFailsStaysUnverifiedAndFailsAgain() {
        try (Arena arena = Arena.ofConfined()) {
            Mapping mapping = new Mapping(arena.allocate(3 * MappedRegion.CHUNK_SIZE), arena);
            FakeChecker checker = new FakeChecker();
            checker.bad.add(1L);
            MappedRegion r = new MappedRegion(1, 0, 3 * MappedRegion.CHUNK_SIZE, mapping, 0, checker);
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, r::verifyAll);
            assertTrue(e.getMessage().contains("byte 4096"), e.getMessage());
            assertTrue(r.isVerified(0));
            assertFalse(r.isVerified(1));
            assertFalse(r.isVerified());
            assertThrows(CorruptStoreFileException.class, () -> r.verify(4096, 1));
            assertEquals(List.of(0L, 1L, 1L), checker.checked, "the bad chunk is checked at every touch");
            r.verify(2 * MappedRegion.CHUNK_SIZE, 1); // other chunks are still served
            assertTrue(r.isVerified(2));
        }
    }

    @Test
    void aFreshRegionIsVerifiedByConstruction() {
        try (Arena arena = Arena.ofConfined()) {
            Mapping mapping = new Mapping(arena.allocate(MappedRegion.CHUNK_SIZE), arena);
            MappedRegion r = new MappedRegion(0, 0, MappedRegion.CHUNK_SIZE, mapping, 0);
            assertTrue(r.isVerified());
            assertTrue(r.isVerified(0));
            r.verifyAll(); // nothing to check, no checker needed
        }
    }
}
