package io.offstate.offheap.file;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.zip.CRC32C;

/**
 * Layout of a journal file ({@code journal-0}, {@code journal-1}): a fixed header, the metadata
 * section, and the record section that carries the page images of one commit.
 *
 * <h2>Header ({@value #HEADER_SIZE} bytes)</h2>
 * <pre>
 *  0                  8            12           16                 24
 *  +------------------+------------+------------+------------------+
 *  | magic:i64        | version:i32| flags:i32  | generation:i64   |
 *  +------------------+------------+------------+------------------+
 *  24                 32                 40           44           48           52           64
 *  +------------------+------------------+------------+------------+------------+------------+
 *  | meta length M:i64| record length R  | meta crc   | record crc | header crc | zero       |
 *  |                  | :i64             | :i32       | :i32       | :i32       | (12 bytes) |
 *  +------------------+------------------+------------+------------+------------+------------+
 *  64                 64+M                          64+M+R
 *  +------------------+-----------------------------+
 *  | metadata section | record section              |
 *  +------------------+-----------------------------+
 * </pre>
 * The magic is the ASCII bytes {@code "OFFSTJNL"} read as a little-endian long. The flags
 * ({@link #FLAG_APPLIED}, {@link #FLAG_SUPERSEDED}) are set after the commit, so the header CRC32C
 * covers bytes {@code [0, 12)} and {@code [16, 48)} but not them. The meta and record CRCs are
 * CRC32C of the two sections. The metadata section is the store's metadata then the
 * {@link FileTable}; an applied journal is cut to header and metadata ({@link #appliedLength}).
 *
 * <h2>Record</h2>
 * <pre>
 *  0            4            8                  16                 24
 *  +------------+------------+------------------+------------------+------------------------+
 *  | file id:i32| kind:i32   | offset:i64       | length L:i64     | L bytes                |
 *  +------------+------------+------------------+------------------+------------------------+
 * </pre>
 * A record says: write these {@code L} bytes at {@code offset} of the data
 * ({@link FileNames#KIND_DATA}) or checksum ({@link FileNames#KIND_SUMS}) file of {@code file id}
 * (0 is {@code pages.dat}). Records follow each other without padding.
 *
 * <p>All integers are little-endian (the files may be read on another machine). The accessors
 * take heap buffers of the header or of a record header, in {@link ByteOrder#LITTLE_ENDIAN}
 * order, and read or write at absolute offsets. Stateless and thread-safe.
 */
public final class JournalDescriptor {
    /** The newest format version this build writes and reads. */
    public static final int FORMAT_VERSION = 1;
    /** "OFFSTJNL" read as a little-endian long: the first 8 bytes of a journal. */
    public static final long MAGIC = 0x4C4E4A545346464FL;
    /** Bytes of a journal header. */
    public static final int HEADER_SIZE = 64;
    /** Header flag: the journal's records were written to the data files and forced. */
    public static final int FLAG_APPLIED = 1;
    /** Header flag: a newer journal was committed after this one. */
    public static final int FLAG_SUPERSEDED = 2;

    /** Header field offsets, as drawn above: magic (i64). */
    public static final int MAGIC_OFFSET = 0;
    /** Format version (i32). */
    public static final int VERSION_OFFSET = 8;
    /** Flags (i32), not covered by the header CRC. */
    public static final int FLAGS_OFFSET = 12;
    /** Generation (i64). */
    public static final int GENERATION_OFFSET = 16;
    /** Bytes of the metadata section (i64). */
    public static final int META_LENGTH_OFFSET = 24;
    /** Bytes of the record section (i64). */
    public static final int RECORDS_LENGTH_OFFSET = 32;
    /** CRC32C of the metadata section (i32). */
    public static final int META_CRC_OFFSET = 40;
    /** CRC32C of the record section (i32). */
    public static final int RECORDS_CRC_OFFSET = 44;
    /** CRC32C of the header (i32), see {@link #computeHeaderCrc}. */
    public static final int HEADER_CRC_OFFSET = 48;

    static final int RECORD_FILE_ID_OFFSET = 0;
    static final int RECORD_KIND_OFFSET = 4;
    static final int RECORD_FILE_OFFSET_OFFSET = 8;
    static final int RECORD_LENGTH_OFFSET = 16;
    /** Bytes of a record's header, before its data. */
    static final int RECORD_HEADER_SIZE = 24;

    /** Largest metadata section (and store metadata within it) a journal may hold. */
    static final int MAX_META = Integer.MAX_VALUE - HEADER_SIZE;

    private JournalDescriptor() {
    }

    /** A zeroed header buffer. */
    static ByteBuffer allocateHeader() {
        return ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Where the metadata section starts. */
    static long metaOffset() {
        return HEADER_SIZE;
    }

    /** Where the record section starts, after {@code metaLength} bytes of metadata. */
    static long recordsOffset(long metaLength) {
        return HEADER_SIZE + metaLength;
    }

    /** Length of an applied journal, whose records were cut off: header and metadata. */
    static long appliedLength(long metaLength) {
        return recordsOffset(metaLength);
    }

    static long magic(ByteBuffer h) {
        return h.getLong(MAGIC_OFFSET);
    }

    static int version(ByteBuffer h) {
        return h.getInt(VERSION_OFFSET);
    }

    static int flags(ByteBuffer h) {
        return h.getInt(FLAGS_OFFSET);
    }

    static long generation(ByteBuffer h) {
        return h.getLong(GENERATION_OFFSET);
    }

    static long metaLength(ByteBuffer h) {
        return h.getLong(META_LENGTH_OFFSET);
    }

    static long recordsLength(ByteBuffer h) {
        return h.getLong(RECORDS_LENGTH_OFFSET);
    }

    static int metaCrc(ByteBuffer h) {
        return h.getInt(META_CRC_OFFSET);
    }

    static int recordsCrc(ByteBuffer h) {
        return h.getInt(RECORDS_CRC_OFFSET);
    }

    /** The header CRC stored in {@code h}; compare with {@link #computeHeaderCrc}. */
    static int headerCrc(ByteBuffer h) {
        return h.getInt(HEADER_CRC_OFFSET);
    }

    /** CRC32C of the header fields it covers: all before the header CRC except the flags. */
    static int computeHeaderCrc(ByteBuffer h) {
        CRC32C crc = new CRC32C();
        crc.update(h.array(), MAGIC_OFFSET, FLAGS_OFFSET);           // magic, version: flags change after commit
        crc.update(h.array(), GENERATION_OFFSET, HEADER_CRC_OFFSET - GENERATION_OFFSET);
        return (int) crc.getValue();
    }

    /** Fills header {@code h} of a new journal (version {@link #FORMAT_VERSION}, no flags), with its CRC. */
    static void header(ByteBuffer h, long generation, long metaLength, long recordsLength, int metaCrc, int recordsCrc) {
        h.putLong(MAGIC_OFFSET, MAGIC).putInt(VERSION_OFFSET, FORMAT_VERSION).putInt(FLAGS_OFFSET, 0)
            .putLong(GENERATION_OFFSET, generation).putLong(META_LENGTH_OFFSET, metaLength)
            .putLong(RECORDS_LENGTH_OFFSET, recordsLength).putInt(META_CRC_OFFSET, metaCrc)
            .putInt(RECORDS_CRC_OFFSET, recordsCrc);
        h.putInt(HEADER_CRC_OFFSET, computeHeaderCrc(h));
    }

    /** The flags field alone, to be written at {@link #FLAGS_OFFSET} of a journal. */
    static ByteBuffer flagsField(int flags) {
        return ByteBuffer.allocate(Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN).putInt(0, flags);
    }

    /** A record header buffer. */
    static ByteBuffer allocateRecordHeader() {
        return ByteBuffer.allocate(RECORD_HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Puts a record header at {@code b}'s position and advances it past the header. */
    static void putRecordHeader(ByteBuffer b, int fileId, int kind, long offset, long length) {
        int at = b.position();
        b.putInt(at + RECORD_FILE_ID_OFFSET, fileId).putInt(at + RECORD_KIND_OFFSET, kind)
            .putLong(at + RECORD_FILE_OFFSET_OFFSET, offset).putLong(at + RECORD_LENGTH_OFFSET, length);
        b.position(at + RECORD_HEADER_SIZE);
    }

    static int recordFileId(ByteBuffer r) {
        return r.getInt(RECORD_FILE_ID_OFFSET);
    }

    static int recordKind(ByteBuffer r) {
        return r.getInt(RECORD_KIND_OFFSET);
    }

    static long recordFileOffset(ByteBuffer r) {
        return r.getLong(RECORD_FILE_OFFSET_OFFSET);
    }

    static long recordLength(ByteBuffer r) {
        return r.getLong(RECORD_LENGTH_OFFSET);
    }
}
