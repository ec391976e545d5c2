package io.offstate.offheap.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.function.IntPredicate;
import java.util.zip.CRC32C;

import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.UnsupportedFormatVersionException;

/**
 * Decodes journals ({@link JournalDescriptor}): a header and metadata section into a
 * {@link Journal}, checked against their CRCs and the file's size; and, for a replay, the record
 * section, checked as a whole before a single record is handed out.
 *
 * <p>Stateless and thread-safe. A damaged or foreign journal is not an exception here but an
 * invalid {@link Journal}: whether that is corruption depends on the other journal
 * ({@link Recovery}). Throws {@link UnsupportedFormatVersionException} for a newer format (a
 * header whose CRC checks out and whose version is newer; a header that fails its CRC is damage,
 * whatever its version says), and
 * {@link CorruptStoreFileException} for a bad record section (it belongs to a committed journal).
 */
final class JournalReader {
    /** Receives one record of a journal being replayed. */
    interface RecordTarget {
        /**
         * Record of {@code length} bytes for {@code offset} of file {@code fileId}'s {@code kind}
         * file, whose bytes are at {@code position} of {@code journal}.
         */
        void record(FileChannel journal, int fileId, int kind, long offset, long length, long position) throws IOException;
    }

    private JournalReader() {
    }

    /** Reads the header and metadata of {@code file}; null if there is no such file. */
    static Journal read(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < JournalDescriptor.HEADER_SIZE) {
                return Journal.invalid(file, "truncated: " + size + " bytes, shorter than its "
                    + JournalDescriptor.HEADER_SIZE + "-byte header");
            }
            ByteBuffer h = JournalDescriptor.allocateHeader();
            ChannelIo.readFully(ch, h, 0);
            h.flip();
            long magic = JournalDescriptor.magic(h);
            if (magic != JournalDescriptor.MAGIC) {
                return Journal.invalid(file, "wrong magic 0x" + Long.toHexString(magic) + ": not an offstate journal");
            }
            // the CRC first: a flipped version byte is damage, not a journal from a newer offstate
            if (JournalDescriptor.headerCrc(h) != JournalDescriptor.computeHeaderCrc(h)) {
                return Journal.invalid(file, "header checksum mismatch");
            }
            int version = JournalDescriptor.version(h);
            if (version > JournalDescriptor.FORMAT_VERSION) {
                throw new UnsupportedFormatVersionException(file, version, JournalDescriptor.FORMAT_VERSION);
            }
            if (version < 1) {
                return Journal.invalid(file, "format version " + version + " is not valid");
            }
            long gen = JournalDescriptor.generation(h);
            long metaLength = JournalDescriptor.metaLength(h);
            long recordsLength = JournalDescriptor.recordsLength(h);
            int flags = JournalDescriptor.flags(h);
            boolean applied = (flags & JournalDescriptor.FLAG_APPLIED) != 0; // an applied journal's records were cut off
            if (gen < 1 || metaLength < 0 || metaLength > JournalDescriptor.MAX_META || recordsLength < 0
                || JournalDescriptor.recordsOffset(metaLength) + (applied ? 0 : recordsLength) > size) {
                return Journal.invalid(file, "truncated or inconsistent: header says " + metaLength + " meta bytes and "
                    + recordsLength + " record bytes, file has " + size);
            }
            ByteBuffer m = ByteBuffer.allocate((int) metaLength);
            ChannelIo.readFully(ch, m, JournalDescriptor.metaOffset());
            CRC32C crc = new CRC32C();
            crc.update(m.array(), 0, (int) metaLength);
            if ((int) crc.getValue() != JournalDescriptor.metaCrc(h)) {
                return Journal.invalid(file, "metadata checksum mismatch");
            }
            return new Journal(file, true, null, gen, flags, metaLength, recordsLength, JournalDescriptor.recordsCrc(h),
                m.array());
        }
    }

    /**
     * Checks the record section of {@code j} (open as {@code ch}) against its CRC, then hands its
     * records to {@code target} in order; a record for a file id {@code knownFile} rejects is
     * malformed.
     *
     * @throws CorruptStoreFileException if the section's CRC or a record is wrong (before any record
     *                                   is handed out if it is the CRC)
     */
    static void readRecords(FileChannel ch, Journal j, IntPredicate knownFile, RecordTarget target) throws IOException {
        long start = JournalDescriptor.recordsOffset(j.metaLength());
        long end = start + j.recordsLength();
        CRC32C crc = new CRC32C();
        ByteBuffer buf = ByteBuffer.allocateDirect(ChannelIo.BUFFER_SIZE);
        for (long p = start; p < end; ) { // the whole record section checks out before any byte is applied
            buf.clear().limit((int) Math.min(ChannelIo.BUFFER_SIZE, end - p));
            ChannelIo.readFully(ch, buf, p);
            buf.flip();
            p += buf.remaining();
            crc.update(buf);
        }
        if ((int) crc.getValue() != j.recordsCrc()) {
            throw new CorruptStoreFileException(j.file(), "record checksum mismatch in a committed journal");
        }
        ByteBuffer head = JournalDescriptor.allocateRecordHeader();
        long p = start;
        while (p < end) {
            head.clear();
            ChannelIo.readFully(ch, head, p);
            p += JournalDescriptor.RECORD_HEADER_SIZE;
            int fileId = JournalDescriptor.recordFileId(head);
            int kind = JournalDescriptor.recordKind(head);
            long offset = JournalDescriptor.recordFileOffset(head);
            long length = JournalDescriptor.recordLength(head);
            if ((kind != FileNames.KIND_DATA && kind != FileNames.KIND_SUMS) || offset < 0 || length < 0 || p + length > end
                || !knownFile.test(fileId)) {
                throw new CorruptStoreFileException(j.file(), "record at byte " + (p - JournalDescriptor.RECORD_HEADER_SIZE)
                    + " is malformed");
            }
            target.record(ch, fileId, kind, offset, length, p);
            p += length;
        }
    }
}
