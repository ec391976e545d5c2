package io.offstate.engine;

import io.offstate.offheap.ByteSource;

/**
 * Sees every change {@link StoreCore} applies to a store, once, after it was applied: the seam
 * through which transactions, change logs and replication observe writes without each write path
 * growing its own hook. Internal: installed with {@link KeyValueStore#observer(WriteObserver)}.
 *
 * <p>Keys are the caller's <em>original</em> bytes (never the dictionary-encoded form) and values
 * the caller's bytes; both are flyweights valid only during the call (copy what must be kept).
 * Called on the store's thread. An observer that throws does not undo the change (it has been
 * applied); the exception reaches the writer's caller.
 *
 * <p>Cost when none is installed: one null check per write.
 */
interface WriteObserver {
    /** {@code key} now maps to {@code value} (an insert or an overwrite). */
    void put(ByteSource key, ByteSource value);

    /** {@code key}, which was present, was removed. */
    void delete(ByteSource key);

    /** The whole contents were replaced by a snapshot's ({@link KeyValueStore#restore}). */
    void restored();

    /** Every entry was removed ({@link KeyValueStore#clear()}). */
    void cleared();
}
