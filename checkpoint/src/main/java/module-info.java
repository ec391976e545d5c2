/**
 * Checkpoints of offstate stores and state-manager partitions: full or incremental, LZ4-compressed
 * and CRC32C-checked blocks with a manifest, published atomically through a
 * {@link io.offstate.checkpoint.CheckpointStorage} (a local directory or Redis), retained, and
 * restorable to a point in time. A leaf module: the engine does not depend on it.
 *
 * <p>Jedis is optional ({@code requires static}): it is needed only for the Redis backend.
 */
module io.offstate.checkpoint {
    requires transitive io.offstate.engine;
    requires org.lz4.java;
    requires static redis.clients.jedis;

    exports io.offstate.checkpoint;
    exports io.offstate.checkpoint.redis;
    exports io.offstate.checkpoint.cli;
}
