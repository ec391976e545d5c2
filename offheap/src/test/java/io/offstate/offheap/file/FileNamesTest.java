package io.offstate.offheap.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.OptionalInt;

import org.junit.jupiter.api.Test;

import io.offstate.offheap.memory.RegionBacking;

/** The names FORMAT.md lists, and which names recovery takes for its own. */
class FileNamesTest {
    private final FileNames names = new FileNames(Path.of("/store"));

    @Test
    void namesAreThoseOfFormatMd() {
        assertEquals("pages.dat", FileNames.fileName(RegionBacking.PAGES_FILE, FileNames.KIND_DATA));
        assertEquals("pages.sum", FileNames.fileName(RegionBacking.PAGES_FILE, FileNames.KIND_SUMS));
        assertEquals("seg-1f.dat", FileNames.fileName(0x1f, FileNames.KIND_DATA));
        assertEquals("seg-1f.sum", FileNames.fileName(0x1f, FileNames.KIND_SUMS));
        assertEquals(Path.of("/store/pages.dat"), names.pages());
        assertEquals(Path.of("/store/seg-a.sum"), names.file(10, FileNames.KIND_SUMS));
        assertEquals(Path.of("/store/offstate.lock"), names.lock());
        assertEquals(Path.of("/store/offstate.creating"), names.creating());
    }

    @Test
    void generationGLivesInJournalGMod2() {
        assertEquals(Path.of("/store/journal-0"), names.journal(0));
        assertEquals(Path.of("/store/journal-1"), names.journal(1));
        assertEquals(Path.of("/store/journal-0"), names.journal(2));
        assertEquals("journal-1", FileNames.journalName(Long.MAX_VALUE));
    }

    @Test
    void aSegmentIdIsTheHexBeforeTheLastDot() {
        assertEquals(OptionalInt.of(0x1f), FileNames.segmentId("seg-1f.dat"));
        assertEquals(OptionalInt.of(0x1f), FileNames.segmentId("seg-1f.sum"));
        assertEquals(OptionalInt.of(0x1f), FileNames.segmentId("seg-1f"));
        assertEquals(OptionalInt.of(-1), FileNames.segmentId("seg-ffffffff.dat"), "parsed unsigned, as written");
        assertEquals(OptionalInt.empty(), FileNames.segmentId("seg-.dat"));
        assertEquals(OptionalInt.empty(), FileNames.segmentId("seg-xyz.dat"));
        assertEquals(OptionalInt.empty(), FileNames.segmentId("seg-1.2.dat"));
        assertEquals(OptionalInt.empty(), FileNames.segmentId("pages.dat"));
    }

    @Test
    void kindsOfNames() {
        assertTrue(FileNames.isJournal("journal-0"));
        assertTrue(FileNames.isSegment("seg-1.dat"));
        assertTrue(FileNames.isPages("pages.sum"));
        assertFalse(FileNames.isPages("pages"));
        assertFalse(FileNames.isSegment("offstate.lock"));
        assertFalse(FileNames.isJournal("offstate.creating"));
    }
}
