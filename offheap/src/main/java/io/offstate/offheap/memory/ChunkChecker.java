package io.offstate.offheap.memory;

import java.lang.foreign.MemorySegment;

import io.offstate.offheap.CorruptStoreFileException;

/**
 * Checks the chunks of a {@link MappedRegion} that was mapped from a committed store file
 * against the checksums stored with that file, the first time each chunk is touched: one per
 * reopened region, supplied by the region's {@link RegionBacking} (the store directory, which
 * knows the checksum files and their format).
 *
 * <p>Single writer, like the region: called on the store's thread only, from
 * {@link MappedRegion#verify}. Implementations may cache what they read (the region's checksum
 * entries) for their region's lifetime.
 */
public interface ChunkChecker {
    /**
     * Checks chunk {@code chunk} of the region, whose mapped bytes (what would be served) are
     * {@code bytes}, against its stored checksum.
     *
     * @throws CorruptStoreFileException naming the file and the chunk's byte
     *         offset if the bytes do not match
     * @throws java.io.UncheckedIOException if the checksums cannot be read
     */
    void check(long chunk, MemorySegment bytes);
}
