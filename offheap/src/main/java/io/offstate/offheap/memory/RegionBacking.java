package io.offstate.offheap.memory;

import io.offstate.offheap.CorruptStoreFileException;

/**
 * Where the regions of a file-backed store come from: the store's directory
 * ({@code io.offstate.offheap.file.StoreFiles}). Memory that has no backing ({@code null}) is
 * anonymous and is neither tracked nor persisted.
 *
 * <p>Single writer, like the store. Implementations throw {@link java.io.UncheckedIOException}
 * when the file system fails.
 */
public interface RegionBacking {
    /** File id of the pages file: normal page {@code i} is at offset {@code i << pageShift}. */
    int PAGES_FILE = 0;

    /**
     * Maps normal page {@code index} of {@code pageSize} bytes for new use (extends the file if
     * needed); verified by construction, like {@link #newSegment}.
     */
    MappedRegion mapPage(int index, int pageSize);

    /**
     * Maps existing normal page {@code index} (on reopen). The region is unverified: its chunks
     * are checked against the file's checksums on first touch ({@link MappedRegion#verify}).
     *
     * @throws CorruptStoreFileException if the pages file is too short
     */
    MappedRegion openPage(int index, int pageSize);

    /** Creates a new file of {@code bytes} zero bytes and maps it (a large block or a hash table). */
    MappedRegion newSegment(long bytes);

    /**
     * Maps the existing segment file {@code fileId} of {@code bytes} bytes (on reopen); unverified,
     * like {@link #openPage}.
     *
     * @throws CorruptStoreFileException if the file is unknown, missing or too short
     */
    MappedRegion openSegment(int fileId, long bytes);

    /** Unmaps {@code region}; a segment's file is deleted once a flush no longer refers to it. */
    void free(MappedRegion region);
}
