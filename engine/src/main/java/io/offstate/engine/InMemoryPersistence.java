package io.offstate.engine;

import java.nio.file.Path;

import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.memory.AnonymousBacking;
import io.offstate.offheap.memory.RegionBacking;

/**
 * The persistence of a store created in memory: anonymous memory (as regions of an
 * {@link AnonymousBacking}, which track changed chunks for incremental checkpoints), no files; a flush only records
 * its metadata, so {@link KeyValueStore#lastFlushMetadata()} answers alike for both kinds of store.
 *
 * <p>Single writer: owned by one store.
 */
final class InMemoryPersistence implements Persistence {
    /** Anonymous memory as regions, so that the store tracks changed chunks for incremental checkpoints. */
    private final AnonymousBacking backing;
    private byte[] flushMetadata;

    InMemoryPersistence() {
        this(new AnonymousBacking(), new byte[0]);
    }

    /** Over {@code backing} (a state was rebuilt in it), with {@code flushMetadata} as the last flush's. */
    InMemoryPersistence(AnonymousBacking backing, byte[] flushMetadata) {
        this.backing = backing;
        this.flushMetadata = flushMetadata;
    }

    @Override
    public RegionBacking backing() {
        return backing;
    }

    @Override
    public boolean isFileBacked() {
        return false;
    }

    @Override
    public Path directory() {
        return null;
    }

    @Override
    public long generation() {
        return 0;
    }

    @Override
    public byte[] flushMetadata() {
        return flushMetadata;
    }

    @Override
    public void flush(StoreCore core, StoreOptions options, byte[] metadata) {
        flushMetadata = metadata; // nothing moves: views stay valid
    }

    @Override
    public void verifyFiles() {
    }

    @Override
    public long flushes() {
        return 0;
    }

    @Override
    public long lastFlushBytes() {
        return 0;
    }

    @Override
    public long lastFlushNanos() {
        return 0;
    }

    @Override
    public long dirtyChunks() {
        return 0;
    }

    @Override
    public int mappings() {
        return 0;
    }

    @Override
    public RuntimeException corruption(String storeName, RuntimeException cause) {
        if (cause instanceof CorruptStateException) {
            String message = cause.getMessage();
            return message != null && message.startsWith("store '") ? cause
                : new CorruptStateException("store '" + storeName + "': " + message, cause);
        }
        return new CorruptStateException("store '" + storeName + "': its memory does not have the shape its layout promises ("
            + cause + ")", cause);
    }

    @Override
    public RuntimeException refusal(String message) {
        return new CorruptStateException(message);
    }

    @Override
    public void close() {
    }

    @Override
    public long scrub(long maxBytes) {
        throw new UnsupportedOperationException("an in-memory store has no files to scrub");
    }

    @Override
    public long scrubPasses() {
        return 0;
    }
}
