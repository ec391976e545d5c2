package io.offstate.offheap.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.zip.CRC32C;

import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.memory.MappedRegion;

/**
 * Checks every {@value MappedRegion#CHUNK_SIZE}-byte chunk of a directory's live regions, as
 * stored in the data files, against its entry in the checksum files ({@link ChunkSumDescriptor}):
 * a written chunk must match its CRC32C, a chunk never written must be all zero. It reads the
 * files, not the memory, so it means something right after a commit.
 *
 * <p>Stateless; called on the store's thread ({@link StoreFiles#verify()}). Throws
 * {@link CorruptStoreFileException} naming the file and offset of the first bad chunk, and
 * {@link UncheckedIOException} if the file system fails.
 */
final class ChunkVerifier {
    private ChunkVerifier() {
    }

    /** Checks {@code live}'s chunks in file order; returns the bytes checked. */
    static long verify(FileNames names, Collection<MappedRegion> live) {
        long checked = 0;
        CRC32C crc = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocateDirect(MappedRegion.CHUNK_SIZE);
        ByteBuffer sum = ByteBuffer.allocate(ChunkSumDescriptor.ENTRY_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        List<MappedRegion> regions = new ArrayList<>(live);
        regions.sort((x, y) -> x.fileId() != y.fileId() ? Integer.compare(x.fileId(), y.fileId()) : Long.compare(x.fileOffset(), y.fileOffset()));
        try {
            for (MappedRegion r : regions) {
                Path dataFile = names.file(r.fileId(), FileNames.KIND_DATA);
                Path sumFile = names.file(r.fileId(), FileNames.KIND_SUMS);
                try (FileChannel data = FileChannel.open(dataFile, StandardOpenOption.READ);
                     FileChannel sums = Files.exists(sumFile) ? FileChannel.open(sumFile, StandardOpenOption.READ) : null) {
                    for (long c = 0; c < r.chunks(); c++) {
                        long offset = r.fileOffset() + (c << MappedRegion.CHUNK_SHIFT);
                        int n = (int) Math.min(MappedRegion.CHUNK_SIZE, r.size() - (c << MappedRegion.CHUNK_SHIFT));
                        chunk.clear().limit(n);
                        if (ChannelIo.readUpTo(data, chunk, offset) < n) {
                            throw new CorruptStoreFileException(dataFile, "truncated at byte " + offset);
                        }
                        chunk.flip();
                        long stored = ChunkSumDescriptor.NEVER_WRITTEN;
                        if (sums != null) {
                            sum.clear();
                            if (ChannelIo.readUpTo(sums, sum, ChunkSumDescriptor.entryOffset(offset)) == ChunkSumDescriptor.ENTRY_SIZE) {
                                stored = sum.getLong(0);
                            }
                        }
                        if (stored == ChunkSumDescriptor.NEVER_WRITTEN) {
                            for (int i = 0; i < n; i++) {
                                if (chunk.get(i) != 0) {
                                    throw new CorruptStoreFileException(dataFile, "chunk at byte " + offset
                                        + " was never written but is not zero (byte " + (offset + i) + ")");
                                }
                            }
                        } else {
                            crc.reset();
                            crc.update(chunk);
                            if (!ChunkSumDescriptor.matches(stored, (int) crc.getValue())) {
                                throw new CorruptStoreFileException(dataFile, "checksum mismatch in the " + MappedRegion.CHUNK_SIZE
                                    + "-byte chunk at byte " + offset + " (CRC32C " + Integer.toHexString((int) crc.getValue())
                                    + ", " + sumFile.getFileName() + " says " + Long.toHexString(stored) + ")");
                            }
                        }
                        checked += n;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot verify store directory " + names.directory() + ": " + e.getMessage(), e);
        }
        return checked;
    }
}
