package io.offstate.checkpoint;

/**
 * A checkpoint cannot be restored: its manifest or one of its blocks is missing, truncated, fails
 * its CRC32C, does not decompress, or does not fit the manifest (or a checkpoint its chain needs
 * is). Names the checkpoint and, where it is a block, the block.
 *
 * <p>Restore-latest catches it, reports it to the {@link CheckpointListener} and falls back to the
 * previous checkpoint; a restore by id or time throws it.
 */
public final class DamagedCheckpointException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final String checkpointId;
    private final String block;

    /**
     * @param checkpointId the damaged checkpoint
     * @param block        the damaged or missing block, or null when the manifest (or the chain) is the problem
     * @param problem      what is wrong
     */
    public DamagedCheckpointException(String checkpointId, String block, String problem, Throwable cause) {
        super("checkpoint '" + checkpointId + "'" + (block == null ? "" : " block '" + block + "'") + ": " + problem, cause);
        this.checkpointId = checkpointId;
        this.block = block;
    }

    /** The checkpoint that cannot be restored. */
    public String checkpointId() {
        return checkpointId;
    }

    /** The block at fault, or null if the manifest or the chain is. */
    public String block() {
        return block;
    }
}
