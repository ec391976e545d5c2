package io.offstate.engine;

import java.nio.file.Path;

import io.offstate.offheap.memory.RegionBacking;

/**
 * Where a store's state lives between flushes, and what a flush does: the one place in-memory and
 * file-backed stores differ ({@link InMemoryPersistence}, {@link FilePersistence}). The facade
 * calls these unconditionally; it never asks which kind it has except to answer
 * {@link KeyValueStore#isPersistent()}.
 *
 * <p>Single writer: owned by one store, used on its thread.
 */
interface Persistence {
    /** Where new regions (pages, tables, large values) are placed: the files, or null for anonymous memory. */
    RegionBacking backing();

    /** Whether this is a file-backed store. */
    boolean isFileBacked();

    /** The directory (absolute), or null in memory. */
    Path directory();

    /** Generation of the last completed flush; 0 in memory. */
    long generation();

    /** The caller metadata of the last completed flush (empty if none); the caller must not change it. */
    byte[] flushMetadata();

    /**
     * Makes the state of {@code core} durable with {@code metadata} (already validated, owned by the
     * persistence from now on) atomically; in memory, only records the metadata.
     *
     * @throws java.io.UncheckedIOException if the file system fails (further flushes are then refused)
     */
    void flush(StoreCore core, StoreOptions options, byte[] metadata);

    /** Reads the files back and checks every chunk's checksum; nothing in memory. */
    void verifyFiles();

    /**
     * Re-reads up to {@code maxBytes} of the committed files and checks them against their
     * checksums, going on where the previous call stopped; returns the bytes checked. The one
     * method that may be called from a thread other than the owner's (the {@link BackgroundScrub}).
     *
     * @throws io.offstate.offheap.StoreFileException naming the file and offset of a bad chunk
     * @throws UnsupportedOperationException in memory
     */
    long scrub(long maxBytes);

    /** Complete scrub passes over the committed files so far; 0 in memory. */
    long scrubPasses();

    /** Flushes done since open. */
    long flushes();

    /** Bytes the last flush wrote. */
    long lastFlushBytes();

    /** Nanoseconds the last flush took. */
    long lastFlushNanos();

    /** Chunks the next flush would write. */
    long dirtyChunks();

    /** Memory mappings held now. */
    int mappings();

    /**
     * The exception to throw for damage found in store {@code storeName}: {@code cause} itself if it
     * already says what and where, else an offstate exception naming the store (and, for files,
     * the directory) that wraps it.
     */
    RuntimeException corruption(String storeName, RuntimeException cause);

    /** The exception refusing a change to a store in which damage was found ({@code message} says what and how to recover). */
    RuntimeException refusal(String message);

    /** Releases files and locks (writes nothing); idempotent. */
    void close();
}
