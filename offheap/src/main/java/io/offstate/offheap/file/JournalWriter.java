package io.offstate.offheap.file;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * Writes journals ({@link JournalDescriptor}): the metadata section and the records of a commit's
 * dirty runs (each run as a data record and a checksum record), staged through one direct buffer;
 * then, once the body is forced, the header that makes the journal valid.
 *
 * <p>Single writer: owned by the {@link CommitProtocol} of one {@link StoreFiles}; the staging
 * buffer is reused by every commit. Throws {@link IOException} as the channel does, and whatever
 * the {@link CommitObserver} throws.
 */
final class JournalWriter {
    private final ByteBuffer staging = ByteBuffer.allocateDirect(ChannelIo.BUFFER_SIZE).order(ByteOrder.LITTLE_ENDIAN);

    /**
     * Writes generation {@code gen} into journal {@code j} (from its start, cutting off what was
     * there after): metadata section {@code meta}, the records of {@code runs}, forced, then the
     * header, not forced (the commit point is the caller's force).
     */
    void write(FileChannel j, long gen, byte[] meta, List<DirtyRun> runs, CommitObserver observer) throws IOException {
        CRC32C metaCrc = new CRC32C();
        metaCrc.update(meta);
        long p = JournalDescriptor.metaOffset();
        p += ChannelIo.writeFully(j, ByteBuffer.wrap(meta), p);
        CRC32C crc = new CRC32C();
        long recordsStart = p;
        staging.clear();
        for (DirtyRun r : runs) {
            p = record(j, crc, p, r.region().fileId(), FileNames.KIND_DATA, r.fileOffset(), r.data());
            p = record(j, crc, p, r.region().fileId(), FileNames.KIND_SUMS, r.sumsOffset(), r.sumsBuffer());
        }
        p = drain(j, crc, p);
        j.truncate(p);
        observer.reached(CommitStep.JOURNAL_BODY_WRITTEN);
        // The body is forced before the header is written: the disk may persist a file's pages in any
        // order, and a valid header over a body that never reached the disk would be a committed
        // journal whose records are lost (a power cut between the two writes must leave the old state).
        j.force(true);
        observer.reached(CommitStep.JOURNAL_BODY_FORCED);
        ByteBuffer h = JournalDescriptor.allocateHeader();
        JournalDescriptor.header(h, gen, meta.length, p - recordsStart, (int) metaCrc.getValue(), (int) crc.getValue());
        ChannelIo.writeFully(j, h, 0);
    }

    /** Overwrites the flags of the journal open as {@code ch} (not forced). */
    static void setFlags(FileChannel ch, int flags) throws IOException {
        ch.write(JournalDescriptor.flagsField(flags), JournalDescriptor.FLAGS_OFFSET);
    }

    private long record(FileChannel j, CRC32C crc, long p, int fileId, int kind, long offset, ByteBuffer data) throws IOException {
        if (staging.remaining() < JournalDescriptor.RECORD_HEADER_SIZE) {
            p = drain(j, crc, p);
        }
        JournalDescriptor.putRecordHeader(staging, fileId, kind, offset, data.remaining());
        while (data.hasRemaining()) {
            if (!staging.hasRemaining()) {
                p = drain(j, crc, p);
            }
            int n = Math.min(staging.remaining(), data.remaining());
            ByteBuffer part = data.slice(data.position(), n);
            staging.put(part);
            data.position(data.position() + n);
        }
        return p;
    }

    private long drain(FileChannel j, CRC32C crc, long p) throws IOException {
        staging.flip();
        crc.update(staging.duplicate());
        long n = ChannelIo.writeFully(j, staging, p);
        staging.clear();
        return p + n;
    }
}
