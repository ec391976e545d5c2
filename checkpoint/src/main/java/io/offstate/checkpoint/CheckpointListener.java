package io.offstate.checkpoint;

/**
 * Told what a {@link Checkpoints} did that a log should show: a damaged checkpoint skipped by
 * restore-latest, a checkpoint written, one deleted by retention. Every method has an empty
 * default. Called on the thread doing the work; must not throw.
 */
public interface CheckpointListener {
    /** No-op listener. */
    CheckpointListener NONE = new CheckpointListener() {
    };

    /** Restore-latest could not use {@code skipped} and tries the previous checkpoint. */
    default void fellBack(String skipped, DamagedCheckpointException why) {
    }

    /** A checkpoint was published. */
    default void written(CheckpointManifest manifest) {
    }

    /** Retention deleted checkpoint {@code id}. */
    default void deleted(String id) {
    }
}
