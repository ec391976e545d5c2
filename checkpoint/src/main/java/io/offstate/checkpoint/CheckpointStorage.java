package io.offstate.checkpoint;

import java.io.IOException;
import java.util.List;

/**
 * Where checkpoints are kept: the SPI a backend implements (a local directory, Redis, ...). The
 * checkpoint layer above it writes a checkpoint as named, already compressed and checksummed
 * <em>blocks</em> and one <em>manifest</em>, then {@link #publish publishes} it; a backend only
 * stores bytes under names and makes publishing atomic.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Atomic publication.</b> A checkpoint is invisible to {@link #list()} and
 *       {@link #readManifest} until {@link #publish} returns, and complete once it does: every block
 *       written for it before the call is durable (forced to disk, or acknowledged by the server)
 *       before the manifest becomes visible. A failure or crash before or during {@code publish}
 *       leaves no visible checkpoint, only garbage that {@link #delete} or {@link #listUnpublished}
 *       lets the layer above clean up.</li>
 *   <li><b>Names.</b> Checkpoint ids and block names are 1-128 characters of
 *       {@code [A-Za-z0-9._-]}; anything else is an {@link IllegalArgumentException}. A block name
 *       is unique within its checkpoint; writing it twice replaces it (before publication only).</li>
 *   <li><b>Errors.</b> Every I/O or network failure is an {@link IOException} (a backend wraps its
 *       client's exceptions); a missing checkpoint or block is a
 *       {@link java.nio.file.NoSuchFileException} naming it. The backend never interprets the bytes:
 *       damage is found by the checksums of the layer above.</li>
 *   <li><b>Memory.</b> Arrays passed in are the caller's and are not kept after the call returns;
 *       arrays returned belong to the caller.</li>
 * </ol>
 *
 * <p>Threading: an implementation is safe for use by several threads at once (a checkpoint being
 * uploaded while another is restored or deleted); one checkpoint id is written by one thread.
 */
public interface CheckpointStorage extends AutoCloseable {
    /** A short description for messages and logs, e.g. {@code "directory /var/offstate/ckpt"}. */
    String describe();

    /**
     * Stores {@code data[offset, offset+length)} as block {@code block} of the not yet published
     * checkpoint {@code id}.
     *
     * @throws IllegalStateException    if {@code id} is already published
     * @throws IllegalArgumentException if a name is invalid
     * @throws IOException              if the backend fails
     */
    void writeBlock(String id, String block, byte[] data, int offset, int length) throws IOException;

    /**
     * The bytes of block {@code block} of checkpoint {@code id} (published, or being written).
     *
     * @throws java.nio.file.NoSuchFileException if there is no such block
     * @throws IOException                       if the backend fails
     */
    byte[] readBlock(String id, String block) throws IOException;

    /**
     * Makes checkpoint {@code id} visible, with {@code manifest} as its manifest, atomically (see
     * the class contract).
     *
     * @throws IllegalStateException if {@code id} is already published
     * @throws IOException           if the backend fails (then {@code id} is not visible)
     */
    void publish(String id, byte[] manifest) throws IOException;

    /** The ids of published checkpoints, in publication order (oldest first). */
    List<String> list() throws IOException;

    /** Ids that have blocks but were never published (an interrupted upload), in no order. */
    List<String> listUnpublished() throws IOException;

    /**
     * The manifest of published checkpoint {@code id}.
     *
     * @throws java.nio.file.NoSuchFileException if {@code id} is not published
     */
    byte[] readManifest(String id) throws IOException;

    /**
     * Deletes checkpoint {@code id} (published or not, with its blocks) and releases its space;
     * does nothing if there is no such checkpoint. The manifest goes first, so a crash half-way
     * leaves an unpublished id, never a published one with missing blocks.
     */
    void delete(String id) throws IOException;

    /** Releases the backend's resources (connections, directory handles). Idempotent. */
    @Override
    void close() throws IOException;
}
