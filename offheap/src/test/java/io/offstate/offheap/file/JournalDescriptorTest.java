package io.offstate.offheap.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.memory.MappedRegion;

/** The journal layout as FORMAT.md draws it, and as a commit really writes it. */
class JournalDescriptorTest {
    @TempDir
    Path dir;

    @Test
    void headerFieldsFollowEachOtherAsFormatMdListsThem() {
        assertEquals(0, JournalDescriptor.MAGIC_OFFSET);
        assertEquals(JournalDescriptor.MAGIC_OFFSET + Long.BYTES, JournalDescriptor.VERSION_OFFSET);
        assertEquals(JournalDescriptor.VERSION_OFFSET + Integer.BYTES, JournalDescriptor.FLAGS_OFFSET);
        assertEquals(JournalDescriptor.FLAGS_OFFSET + Integer.BYTES, JournalDescriptor.GENERATION_OFFSET);
        assertEquals(JournalDescriptor.GENERATION_OFFSET + Long.BYTES, JournalDescriptor.META_LENGTH_OFFSET);
        assertEquals(JournalDescriptor.META_LENGTH_OFFSET + Long.BYTES, JournalDescriptor.RECORDS_LENGTH_OFFSET);
        assertEquals(JournalDescriptor.RECORDS_LENGTH_OFFSET + Long.BYTES, JournalDescriptor.META_CRC_OFFSET);
        assertEquals(JournalDescriptor.META_CRC_OFFSET + Integer.BYTES, JournalDescriptor.RECORDS_CRC_OFFSET);
        assertEquals(JournalDescriptor.RECORDS_CRC_OFFSET + Integer.BYTES, JournalDescriptor.HEADER_CRC_OFFSET);
        assertEquals(52, JournalDescriptor.HEADER_CRC_OFFSET + Integer.BYTES, "then 12 zero bytes");
        assertEquals(64, JournalDescriptor.HEADER_SIZE);
        assertEquals(JournalDescriptor.HEADER_SIZE, JournalDescriptor.metaOffset());
        assertEquals(JournalDescriptor.HEADER_SIZE + 100, JournalDescriptor.recordsOffset(100));
    }

    @Test
    void magicIsOffstjnlInAsciiReadLittleEndian() {
        ByteBuffer b = ByteBuffer.wrap("OFFSTJNL".getBytes(StandardCharsets.US_ASCII)).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(JournalDescriptor.MAGIC, b.getLong(0));
    }

    @Test
    void aHeaderReadsBackAndItsCrcCoversEverythingButTheFlags() {
        ByteBuffer h = JournalDescriptor.allocateHeader();
        JournalDescriptor.header(h, 7, 300, 9000, 0x11223344, 0x55667788);
        assertEquals(JournalDescriptor.MAGIC, JournalDescriptor.magic(h));
        assertEquals(JournalDescriptor.FORMAT_VERSION, JournalDescriptor.version(h));
        assertEquals(0, JournalDescriptor.flags(h));
        assertEquals(7, JournalDescriptor.generation(h));
        assertEquals(300, JournalDescriptor.metaLength(h));
        assertEquals(9000, JournalDescriptor.recordsLength(h));
        assertEquals(0x11223344, JournalDescriptor.metaCrc(h));
        assertEquals(0x55667788, JournalDescriptor.recordsCrc(h));
        assertEquals(JournalDescriptor.computeHeaderCrc(h), JournalDescriptor.headerCrc(h));
        for (int i = JournalDescriptor.HEADER_CRC_OFFSET + Integer.BYTES; i < JournalDescriptor.HEADER_SIZE; i++) {
            assertEquals(0, h.get(i), "byte " + i);
        }
        int crc = JournalDescriptor.headerCrc(h);
        h.putInt(JournalDescriptor.FLAGS_OFFSET, JournalDescriptor.FLAG_APPLIED | JournalDescriptor.FLAG_SUPERSEDED);
        assertEquals(crc, JournalDescriptor.computeHeaderCrc(h), "flags are set after the commit");
        h.putLong(JournalDescriptor.GENERATION_OFFSET, 8);
        assertNotEquals(crc, JournalDescriptor.computeHeaderCrc(h));
    }

    @Test
    void aRecordHeaderReadsBackAndIsFollowedByItsData() {
        ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
        b.position(5);
        JournalDescriptor.putRecordHeader(b, 3, FileNames.KIND_SUMS, 1L << 40, 123);
        assertEquals(5 + JournalDescriptor.RECORD_HEADER_SIZE, b.position());
        ByteBuffer r = b.slice(5, JournalDescriptor.RECORD_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(3, JournalDescriptor.recordFileId(r));
        assertEquals(FileNames.KIND_SUMS, JournalDescriptor.recordKind(r));
        assertEquals(1L << 40, JournalDescriptor.recordFileOffset(r));
        assertEquals(123, JournalDescriptor.recordLength(r));
    }

    @Test
    void aCommittedJournalOnDiskHasThatHeaderAndIsCutToHeaderAndMetadata() throws IOException {
        byte[] meta = "meta".getBytes(StandardCharsets.UTF_8);
        try (StoreFiles f = StoreFiles.open(dir)) {
            MappedRegion page = f.mapPage(1, 4096);
            page.markDirty(0, 1);
            f.commit(meta);
        }
        byte[] file = Files.readAllBytes(dir.resolve("journal-1"));
        ByteBuffer h = ByteBuffer.wrap(file, 0, JournalDescriptor.HEADER_SIZE).slice().order(ByteOrder.LITTLE_ENDIAN);
        assertEquals(JournalDescriptor.MAGIC, JournalDescriptor.magic(h));
        assertEquals(1, JournalDescriptor.generation(h));
        assertEquals(JournalDescriptor.FLAG_APPLIED, JournalDescriptor.flags(h));
        assertEquals(JournalDescriptor.computeHeaderCrc(h), JournalDescriptor.headerCrc(h));
        long metaLength = JournalDescriptor.metaLength(h);
        assertEquals(JournalDescriptor.appliedLength(metaLength), file.length);
        // two records (data + sums) of the one dirty chunk
        assertEquals(2 * JournalDescriptor.RECORD_HEADER_SIZE + MappedRegion.CHUNK_SIZE + ChunkSumDescriptor.ENTRY_SIZE,
            JournalDescriptor.recordsLength(h));
        ByteBuffer section = ByteBuffer.wrap(file, (int) JournalDescriptor.metaOffset(), (int) metaLength).slice();
        byte[] storeMeta = new byte[section.order(ByteOrder.LITTLE_ENDIAN).getInt(0)];
        section.get(Integer.BYTES, storeMeta);
        assertArrayEquals(meta, storeMeta, "the metadata section starts with the store's metadata");
    }
}
