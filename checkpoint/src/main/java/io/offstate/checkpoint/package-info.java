/**
 * Checkpoints of stores and state-manager partitions.
 *
 * <ul>
 *   <li>{@link io.offstate.checkpoint.Checkpoints}: a series of checkpoints in a storage: take
 *       (full or incremental, of a store or of a partition at one commit), list, verify, restore
 *       (latest with fallback past damage, by id, newest at or before a time; into memory, a
 *       directory or a partition), merge into a base, retain.</li>
 *   <li>{@link io.offstate.checkpoint.CheckpointStorage}: the backend SPI (atomic publication of
 *       named blocks and a manifest); {@link io.offstate.checkpoint.LocalCheckpointStorage} keeps
 *       them in a directory.</li>
 *   <li>{@link io.offstate.checkpoint.CheckpointManifest}: the manifest and its binary format;
 *       blocks are LZ4 (pure Java, safe instance) with a CRC32C of the stored and of the raw bytes.</li>
 *   <li>{@link io.offstate.checkpoint.DamagedCheckpointException}: a checkpoint that cannot be
 *       read back, naming it and the block.</li>
 * </ul>
 *
 * <p>What a checkpoint holds: a store's engine metadata (structural options, flush metadata,
 * allocator and index roots) and its regions (pages, large values, hash tables) as the engine's
 * {@link io.offstate.engine.StoreImage} gives them: all of them, or the 64-byte lines written since
 * the previous checkpoint (every region tracks them, in memory as in files). Restoring rebuilds
 * the regions and reopens the state over them: nothing is re-inserted.
 */
package io.offstate.checkpoint;
