package io.offstate.checkpoint;

import java.util.List;

import io.offstate.engine.KeyValueStore;

/**
 * What a restore produced: the new store (owned by the caller: close it), the checkpoint it came
 * from, and the newer checkpoints that were skipped because they were damaged (restore-latest and
 * restore-at-or-before fall back; by id nothing is skipped).
 *
 * @param store      the restored store
 * @param checkpoint the checkpoint used
 * @param skipped    damaged checkpoints tried first, newest first
 */
public record RestoreResult(KeyValueStore store, CheckpointManifest checkpoint, List<DamagedCheckpointException> skipped) {
    public RestoreResult {
        skipped = List.copyOf(skipped);
    }

    /** Whether a newer checkpoint had to be skipped. */
    public boolean fellBack() {
        return !skipped.isEmpty();
    }
}
