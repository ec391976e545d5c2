package io.offstate.offheap.memory;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.ValueLayout;

import org.junit.jupiter.api.Test;

class AnonymousBackingTest {
    @Test
    void regionsTrackChangedChunksApartFromTheFlushBitmap() {
        AnonymousBacking backing = new AnonymousBacking();
        MappedRegion page = backing.mapPage(3, 64 << 10);
        assertEquals(3L * (64 << 10), page.fileOffset());
        assertTrue(page.isNewSinceClear());
        page.clearChanged();
        assertFalse(page.isNewSinceClear());
        assertEquals(0, page.changedChunks());
        page.markDirty(5000, 10);     // chunk 1
        page.markDirty(4095, 2);      // chunks 0 and 1
        assertEquals(2, page.changedChunks());
        page.clearDirty();            // a flush: the checkpoint bitmap stays
        assertTrue(page.isChanged(0) && page.isChanged(1) && !page.isChanged(2));
        page.clearChanged();          // a checkpoint: the flush bitmap is independent
        page.markDirty(0, 1);
        assertEquals(1, page.changedChunks());
        assertEquals(1, page.dirtyChunks());
        backing.free(page);
    }

    @Test
    void changesAreTrackedInLinesOf64Bytes() {
        AnonymousBacking backing = new AnonymousBacking();
        MappedRegion page = backing.mapPage(0, 64 << 10);
        page.clearChanged();
        page.markDirty(70, 10);           // line 1 of chunk 0
        page.markDirty(4096 - 1, 2);      // line 63 of chunk 0, line 0 of chunk 1
        page.markDirty(2 * 4096 + 128, 64 * 3); // lines 2..4 of chunk 2
        assertEquals((1L << 1) | (1L << 63), page.changedLines(0));
        assertEquals(1L, page.changedLines(1));
        assertEquals(0b11100L, page.changedLines(2));
        assertEquals(0L, page.changedLines(3));
        assertEquals(3, page.changedChunks());
        assertEquals(6, page.changedLineCount());
        assertEquals(3, page.dirtyChunks(), "the flush bitmap stays per 4 KiB chunk");
        page.markDirty(5 * 4096, 3 * 4096); // whole chunks 5..7
        assertEquals(-1L, page.changedLines(5));
        assertEquals(-1L, page.changedLines(6));
        assertEquals(-1L, page.changedLines(7));
        assertEquals(6 + 3 * 64, page.changedLineCount());
        page.clearChanged();
        assertEquals(0, page.changedLineCount());
        backing.free(page);
    }

    @Test
    void segmentIdsAreNeverReusedAndOpenLoadsRecordedBytes() {
        AnonymousBacking backing = new AnonymousBacking();
        MappedRegion a = backing.newSegment(100);
        MappedRegion b = backing.newSegment(100);
        assertEquals(1, a.fileId());
        assertEquals(2, b.fileId());
        backing.free(a);
        assertThrows(IllegalStateException.class, () -> backing.openSegment(7, 16), "no loader: nothing recorded");
        backing.loader((fileId, offset, into) -> into.fill((byte) fileId));
        MappedRegion seven = backing.openSegment(7, 16);
        assertEquals(7, seven.segment().get(ValueLayout.JAVA_BYTE, 15));
        assertEquals(8, backing.newSegment(8).fileId(), "ids after a reopened one");
        MappedRegion page = backing.openPage(1, 4096);
        assertEquals(0, page.segment().get(ValueLayout.JAVA_BYTE, 0), "pages are file 0");
        backing.free(b);
        backing.free(seven);
        backing.free(page);
        assertThrows(IllegalStateException.class, () -> page.segment().get(ValueLayout.JAVA_BYTE, 0), "last page freed: arena closed");
    }
}
