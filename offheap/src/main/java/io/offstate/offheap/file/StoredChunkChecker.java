package io.offstate.offheap.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.zip.CRC32C;

import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.memory.ChunkChecker;
import io.offstate.offheap.memory.MappedRegion;

/**
 * The {@link ChunkChecker} of one region reopened from a committed file: compares a chunk's
 * mapped bytes with its entry in the file's checksum file ({@link ChunkSumDescriptor}): a
 * written chunk must match its CRC32C, a chunk never written must be all zero.
 *
 * <p>The region's checksum entries are read once, at the first check, and kept until the region
 * is fully verified (the region then drops its checker). That is sound across later commits: a
 * commit rewrites only the entries of dirty chunks, and a chunk is verified before it is written,
 * so the entries of the chunks still to check never change while the region lives.
 *
 * <p>Single writer, like its region (the store's thread). Throws as {@link ChunkChecker} says.
 */
final class StoredChunkChecker implements ChunkChecker {
    private final Path dataFile;
    private final Path sumFile;
    private final long regionOffset;
    private final long chunks;
    private long[] sums;

    /** Checks the {@code chunks} chunks of the region at {@code regionOffset} of file {@code fileId}. */
    StoredChunkChecker(FileNames names, int fileId, long regionOffset, long chunks) {
        this.dataFile = names.file(fileId, FileNames.KIND_DATA);
        this.sumFile = names.file(fileId, FileNames.KIND_SUMS);
        this.regionOffset = regionOffset;
        this.chunks = chunks;
    }

    @Override
    public void check(long chunk, MemorySegment bytes) {
        if (sums == null) {
            sums = readSums();
        }
        long offset = regionOffset + (chunk << MappedRegion.CHUNK_SHIFT);
        long stored = sums[(int) chunk];
        if (stored == ChunkSumDescriptor.NEVER_WRITTEN) {
            long nonZero = firstNonZero(bytes);
            if (nonZero >= 0) {
                throw new CorruptStoreFileException(dataFile, "chunk at byte " + offset + " was never written but is not "
                    + "zero (byte " + (offset + nonZero) + "), found on first read after open");
            }
            return;
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes.asByteBuffer());
        int actual = (int) crc.getValue();
        if (!ChunkSumDescriptor.matches(stored, actual)) {
            throw new CorruptStoreFileException(dataFile, "checksum mismatch in the " + MappedRegion.CHUNK_SIZE
                + "-byte chunk at byte " + offset + ", found on first read after open (CRC32C " + Integer.toHexString(actual)
                + ", " + sumFile.getFileName() + " says " + Long.toHexString(stored) + "); the bytes are not served");
        }
    }

    /** Index of the first non-zero byte of {@code bytes}, or -1. */
    private static long firstNonZero(MemorySegment bytes) {
        long n = bytes.byteSize();
        long i = 0;
        for (; i + Long.BYTES <= n; i += Long.BYTES) {
            if (bytes.get(ValueLayout.JAVA_LONG_UNALIGNED, i) != 0) {
                break;
            }
        }
        for (; i < n; i++) {
            if (bytes.get(ValueLayout.JAVA_BYTE, i) != 0) {
                return i;
            }
        }
        return -1;
    }

    /** The region's entries; entries past the end of the checksum file (or of a missing one) are never-written. */
    private long[] readSums() {
        long[] s = new long[(int) chunks];
        ByteBuffer b = ByteBuffer.allocate(s.length * ChunkSumDescriptor.ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        try (FileChannel c = FileChannel.open(sumFile, StandardOpenOption.READ)) {
            int n = ChannelIo.readUpTo(c, b, ChunkSumDescriptor.entryOffset(regionOffset));
            b.flip();
            for (int i = 0; i < n / ChunkSumDescriptor.ENTRY_SIZE; i++) {
                s[i] = b.getLong(i * ChunkSumDescriptor.ENTRY_SIZE);
            }
        } catch (NoSuchFileException e) {
            // no chunk of the file was ever written: all must be zero
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + sumFile + " to check " + dataFile + ": " + e.getMessage(), e);
        }
        return s;
    }
}
