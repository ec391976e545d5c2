package io.offstate.checkpoint.cli;

import java.io.IOException;
import java.util.List;

import io.offstate.checkpoint.CheckpointStorage;

/**
 * A read-only view of a {@link CheckpointStorage} that counts the blocks and bytes read, for the
 * progress line of a verify or restore (the checkpoint API reads the blocks itself). Writes and
 * deletes are refused: the command-line tool never changes a backend. Thread-safety: one reading
 * thread (the counters are plain fields).
 */
final class CountingStorage implements CheckpointStorage {
    private final CheckpointStorage delegate;
    private final Progress progress;
    private final long total;
    private long blocks;
    private long bytes;

    /** Reads through {@code delegate}; {@code total} is the bytes expected (0: unknown). */
    CountingStorage(CheckpointStorage delegate, Progress progress, long total) {
        this.delegate = delegate;
        this.progress = progress;
        this.total = total;
    }

    long blocks() {
        return blocks;
    }

    long bytes() {
        return bytes;
    }

    @Override
    public String describe() {
        return delegate.describe();
    }

    @Override
    public void writeBlock(String id, String block, byte[] data, int offset, int length) {
        throw new UnsupportedOperationException("the command-line tool does not write checkpoints");
    }

    @Override
    public byte[] readBlock(String id, String block) throws IOException {
        byte[] b = delegate.readBlock(id, block);
        blocks++;
        bytes += b.length;
        progress.update(bytes, total, blocks + " blocks");
        return b;
    }

    @Override
    public void publish(String id, byte[] manifest) {
        throw new UnsupportedOperationException("the command-line tool does not publish checkpoints");
    }

    @Override
    public List<String> list() throws IOException {
        return delegate.list();
    }

    @Override
    public List<String> listUnpublished() throws IOException {
        return delegate.listUnpublished();
    }

    @Override
    public byte[] readManifest(String id) throws IOException {
        return delegate.readManifest(id);
    }

    @Override
    public void delete(String id) {
        throw new UnsupportedOperationException("the command-line tool does not delete checkpoints");
    }

    @Override
    public void close() {
        // the delegate belongs to the caller
    }
}
