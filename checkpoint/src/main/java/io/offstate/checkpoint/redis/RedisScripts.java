package io.offstate.checkpoint.redis;

/**
 * The Lua scripts that make {@link RedisCheckpointStorage}'s multi-key steps atomic. Redis runs a
 * script without interleaving any other command, so a reader sees all of its effects or none.
 *
 * <p>The scripts compute block and manifest keys from prefixes passed in {@code ARGV} rather than
 * declaring every key in {@code KEYS}: that is fine on a standalone Redis (with or without
 * replicas) but not on Redis Cluster, which this backend does not support. Each script checks
 * everything it needs before its first write, so a script that returns early has changed nothing.
 */
final class RedisScripts {
    private RedisScripts() {
    }

    /**
     * Publishes a checkpoint.
     *
     * <p>KEYS: manifest, block set, index, sequence. ARGV: manifest bytes, id, manifest expiry
     * millis (0 = none), block expiry millis, block key prefix of the id.
     *
     * <p>Returns {@code {0}} if already published (nothing changed), {@code {-1, name}} if block
     * {@code name} is recorded but its key is gone (it expired before publication; nothing
     * changed), else {@code {1, sequence}}.
     */
    static final String PUBLISH = """
        if redis.call('EXISTS', KEYS[1]) == 1 then return {0} end
        local names = redis.call('SMEMBERS', KEYS[2])
        for _, name in ipairs(names) do
          if redis.call('EXISTS', ARGV[5] .. name) == 0 then return {-1, name} end
        end
        local seq = redis.call('INCR', KEYS[4])
        redis.call('SET', KEYS[1], ARGV[1])
        redis.call('ZADD', KEYS[3], seq, ARGV[2])
        local ttl = tonumber(ARGV[3])
        if ttl > 0 then
          local blockTtl = tonumber(ARGV[4])
          redis.call('PEXPIRE', KEYS[1], ttl)
          for _, name in ipairs(names) do redis.call('PEXPIRE', ARGV[5] .. name, blockTtl) end
          if #names > 0 then redis.call('PEXPIRE', KEYS[2], blockTtl) end
        end
        return {1, seq}
        """;

    /**
     * Lists published ids in publication order, dropping index entries whose manifest has expired.
     *
     * <p>KEYS: index. ARGV: manifest key prefix. Returns the ids whose manifest exists.
     */
    static final String LIST = """
        local ids = redis.call('ZRANGE', KEYS[1], 0, -1)
        local live = {}
        for _, id in ipairs(ids) do
          if redis.call('EXISTS', ARGV[1] .. id) == 1 then
            live[#live + 1] = id
          else
            redis.call('ZREM', KEYS[1], id)
          end
        end
        return live
        """;

    /**
     * Withdraws a publication: removes the manifest and the index entry together, leaving the blocks
     * (an unpublished id). The first step of a delete.
     *
     * <p>KEYS: manifest, index. ARGV: id. Returns 1 if it was published, else 0.
     */
    static final String UNPUBLISH = """
        local was = redis.call('DEL', KEYS[1])
        redis.call('ZREM', KEYS[2], ARGV[1])
        return was
        """;
}
