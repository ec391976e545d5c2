/**
 * The Redis backend of {@link io.offstate.checkpoint.CheckpointStorage}:
 * {@link io.offstate.checkpoint.redis.RedisCheckpointStorage} (Jedis, a connection pool, Lua scripts
 * for atomic publication) and its key layout. Needs {@code redis.clients:jedis} on the class or
 * module path; the rest of the checkpoint module does not.
 */
package io.offstate.checkpoint.redis;
