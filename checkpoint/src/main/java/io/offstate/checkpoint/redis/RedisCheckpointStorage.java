package io.offstate.checkpoint.redis;

import io.offstate.checkpoint.CheckpointStorage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import redis.clients.jedis.DefaultJedisClientConfig;
import redis.clients.jedis.HostAndPort;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.JedisPool;
import redis.clients.jedis.JedisPoolConfig;
import redis.clients.jedis.Pipeline;
import redis.clients.jedis.Response;
import redis.clients.jedis.Transaction;
import redis.clients.jedis.exceptions.JedisException;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.params.SetParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * A {@link CheckpointStorage} in a standalone Redis server (Jedis client): every block is a key of
 * its own, so a checkpoint of any size streams block by block and no value is larger than a block.
 * Built with {@link #builder()}; the key layout is drawn in {@link RedisKeys}.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Atomic publication.</b> {@link #writeBlock} stores the block and records its name in the
 *       id's block set in one {@code MULTI/EXEC}, guarded by {@code WATCH} on the manifest key.
 *       {@link #publish} is one Lua script: it checks that every recorded block still exists, then
 *       sets the manifest, adds the id to the published index (a sorted set scored by an
 *       {@code INCR} sequence) and sets the expiries. Redis runs a script without interleaving
 *       other commands, so a reader sees either no checkpoint or a complete one.</li>
 *   <li><b>Durability.</b> Redis acknowledges a write once it is <em>in the server's memory</em>.
 *       Whether that survives a server restart is the server's configuration: with
 *       {@code appendonly yes} and {@code appendfsync always} every acknowledged write is on disk;
 *       with {@code appendfsync everysec} (Redis's default for AOF) up to a second of writes can be
 *       lost; with no persistence a restart loses every checkpoint. Lost writes never make a
 *       half-written checkpoint visible, since the AOF replays in order and the manifest is written
 *       after its blocks. {@link Builder#waitForReplicas} adds Redis's {@code WAIT}: publish then
 *       returns only once the blocks and the manifest reached that many replicas (see there).</li>
 *   <li><b>Expiry.</b> With {@link Builder#expiry(Duration)} every key of a checkpoint expires:
 *       blocks of an unfinished upload expire that long after they were written (so an abandoned
 *       upload cleans itself up), and {@link #publish} restarts the clock on all of them. A
 *       published checkpoint's blocks outlive its manifest by {@code min(expiry, 1 minute)}, so a
 *       reader that got the manifest just before it expired can still read the blocks. An upload
 *       slower than the expiry fails at {@code publish} (a block expired) instead of publishing a
 *       hole.</li>
 *   <li><b>Errors.</b> Every Jedis exception becomes an {@link IOException} naming the operation,
 *       the checkpoint and the server. A missing block or manifest is a {@link NoSuchFileException}
 *       naming it. If the connection drops after the server ran {@code publish} but before its reply
 *       arrived, the outcome is unknown to this client: the {@code IOException} says so, and
 *       {@link #list()} after reconnecting tells.</li>
 *   <li><b>Deletion.</b> {@link #delete} withdraws the manifest and the index entry in one script,
 *       then unlinks the blocks ({@code SSCAN} over the block set, {@code UNLINK} in batches) and the
 *       block set last, so a crash half-way leaves an id that {@link #listUnpublished} still
 *       reports.</li>
 * </ol>
 *
 * <p>Not supported: Redis Cluster (the scripts touch keys they compute from the prefix).
 *
 * <p>Threading: safe for use by several threads at once; each call borrows one connection from a
 * pool (at most {@link Builder#maxConnections} at a time) and returns it. Idle connections are
 * checked before use, so the storage keeps working after the server restarts.
 *
 * <p>Memory: arrays passed in are copied by the client onto the socket (a block that is a slice of a
 * larger array is copied once first); arrays returned are fresh and belong to the caller.
 */
public final class RedisCheckpointStorage implements CheckpointStorage {
    /** Names unlinked per {@code UNLINK} call when deleting a large checkpoint. */
    private static final int DELETE_BATCH = 512;
    /** Longest extra life of a published checkpoint's blocks beyond its manifest. */
    private static final long MAX_BLOCK_GRACE_MILLIS = 60_000;

    private static final byte[] PUBLISH = RedisKeys.bytes(RedisScripts.PUBLISH);
    private static final byte[] LIST = RedisKeys.bytes(RedisScripts.LIST);
    private static final byte[] UNPUBLISH = RedisKeys.bytes(RedisScripts.UNPUBLISH);

    private final String host;
    private final int port;
    private final int database;
    private final RedisKeys keys;
    private final long expiryMillis;
    private final long blockExpiryMillis;
    private final int replicas;
    private final long replicaTimeoutMillis;
    private final JedisPool pool;
    private final String description;
    private volatile boolean closed;

    private RedisCheckpointStorage(Builder b) {
        this.host = b.host;
        this.port = b.port;
        this.database = b.database;
        this.keys = new RedisKeys(b.prefix);
        this.expiryMillis = b.expiry == null ? 0 : b.expiry.toMillis();
        this.blockExpiryMillis =
            expiryMillis == 0 ? 0 : expiryMillis + Math.min(expiryMillis, MAX_BLOCK_GRACE_MILLIS);
        this.replicas = b.replicas;
        this.replicaTimeoutMillis = b.replicaTimeout == null ? 0 : b.replicaTimeout.toMillis();
        this.description = "redis " + host + ":" + port + " db " + database + " prefix '" + b.prefix + "'";

        DefaultJedisClientConfig.Builder client = DefaultJedisClientConfig.builder()
            .connectionTimeoutMillis(toIntMillis(b.connectTimeout))
            .socketTimeoutMillis(toIntMillis(b.socketTimeout))
            .database(b.database)
            .clientName("offstate-checkpoint");
        if (b.user != null) {
            client.user(b.user);
        }
        if (b.password != null) {
            client.password(b.password);
        }
        JedisPoolConfig poolConfig = new JedisPoolConfig();
        poolConfig.setMaxTotal(b.maxConnections);
        poolConfig.setMaxIdle(b.maxConnections);
        poolConfig.setMinIdle(0);
        // a PING before lending an idle connection: after a server restart every idle connection
        // is dead, and without the check the first call on each would fail
        poolConfig.setTestOnBorrow(true);
        poolConfig.setJmxEnabled(false);
        this.pool = new JedisPool(poolConfig, new HostAndPort(host, port), client.build());
    }

    /** A builder with the defaults: {@code 127.0.0.1:6379}, db 0, prefix {@code "offstate:checkpoint:"}, no expiry. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String describe() {
        return description;
    }

    /** The key prefix every key of this storage starts with. */
    public String prefix() {
        return keys.prefix();
    }

    @Override
    public void writeBlock(String id, String block, byte[] data, int offset, int length) throws IOException {
        RedisKeys.requireName("checkpoint id", id);
        RedisKeys.requireName("block name", block);
        Objects.checkFromIndexSize(offset, length, data.length);
        ensureOpen();
        byte[] value = offset == 0 && length == data.length ? data : Arrays.copyOfRange(data, offset, offset + length);
        byte[] manifestKey = keys.manifest(id);
        byte[] setKey = keys.blockSet(id);
        byte[] blockKey = keys.block(id, block);
        String operation = "writeBlock " + id + "/" + block + " (" + length + " bytes)";
        try (Jedis jedis = pool.getResource()) {
            // WATCH makes the EXEC fail if a publish of this id slips in between the check and it
            jedis.watch(manifestKey);
            if (jedis.exists(manifestKey)) {
                jedis.unwatch();
                throw alreadyPublished("writeBlock " + id + "/" + block, id);
            }
            Transaction tx = jedis.multi();
            if (expiryMillis > 0) {
                tx.set(blockKey, value, SetParams.setParams().px(expiryMillis));
                tx.sadd(setKey, RedisKeys.bytes(block));
                tx.pexpire(setKey, expiryMillis);
            } else {
                tx.set(blockKey, value);
                tx.sadd(setKey, RedisKeys.bytes(block));
            }
            List<Object> results = tx.exec();
            if (results == null) {
                throw alreadyPublished("writeBlock " + id + "/" + block, id);
            }
            requireNoErrors(operation, results);
        } catch (JedisException e) {
            throw failure(operation, e);
        }
    }

    @Override
    public byte[] readBlock(String id, String block) throws IOException {
        RedisKeys.requireName("checkpoint id", id);
        RedisKeys.requireName("block name", block);
        ensureOpen();
        byte[] value;
        try (Jedis jedis = pool.getResource()) {
            value = jedis.get(keys.block(id, block));
        } catch (JedisException e) {
            throw failure("readBlock " + id + "/" + block, e);
        }
        if (value == null) {
            throw new NoSuchFileException(id + "/" + block, null,
                "no block '" + block + "' of checkpoint '" + id + "' in " + description);
        }
        return value;
    }

    @Override
    public void publish(String id, byte[] manifest) throws IOException {
        RedisKeys.requireName("checkpoint id", id);
        Objects.requireNonNull(manifest, "manifest");
        ensureOpen();
        String operation = "publish " + id;
        try (Jedis jedis = pool.getResource()) {
            if (replicas > 0) {
                // WAIT covers this connection's writes and everything acknowledged before them: the
                // INCR (a harmless gap in the sequence) is such a write on this connection
                jedis.incr(keys.sequence());
                long acked = jedis.waitReplicas(replicas, replicaTimeoutMillis);
                if (acked < replicas) {
                    throw new IOException(description + ": " + operation + ": the blocks reached " + acked
                        + " of " + replicas + " replicas within " + replicaTimeoutMillis
                        + " ms; checkpoint not published");
                }
            }
            List<byte[]> scriptKeys = List.of(keys.manifest(id), keys.blockSet(id), keys.index(), keys.sequence());
            List<byte[]> args = List.of(manifest, RedisKeys.bytes(id), RedisKeys.bytes(Long.toString(expiryMillis)),
                RedisKeys.bytes(Long.toString(blockExpiryMillis)), RedisKeys.bytes(keys.blockPrefix(id)));
            Object reply;
            try {
                reply = jedis.eval(PUBLISH, scriptKeys, args);
            } catch (JedisException e) {
                throw new IOException(description + ": " + operation + " failed (" + e.getMessage()
                    + "); if the server ran the script before the connection failed the checkpoint may be"
                    + " published: list() tells once the server is reachable", e);
            }
            List<?> result = (List<?>) reply;
            long code = (Long) result.get(0);
            if (code == 0) {
                throw alreadyPublished(operation, id);
            }
            if (code < 0) {
                String missing = new String((byte[]) result.get(1), StandardCharsets.UTF_8);
                throw new IOException(description + ": " + operation + ": block '" + missing
                    + "' is recorded but gone (expired before publication? expiry " + expiryMillis
                    + " ms); checkpoint not published");
            }
            if (replicas > 0) {
                long acked = jedis.waitReplicas(replicas, replicaTimeoutMillis);
                if (acked < replicas) {
                    // a manifest a failover could lose must not count as published: withdraw it
                    jedis.eval(UNPUBLISH, List.of(keys.manifest(id), keys.index()), List.of(RedisKeys.bytes(id)));
                    throw new IOException(description + ": " + operation + ": the manifest reached " + acked
                        + " of " + replicas + " replicas within " + replicaTimeoutMillis
                        + " ms; publication withdrawn, the checkpoint is unpublished");
                }
            }
        } catch (JedisException e) {
            throw failure(operation, e);
        }
    }

    @Override
    public List<String> list() throws IOException {
        ensureOpen();
        Object reply;
        try (Jedis jedis = pool.getResource()) {
            reply = jedis.eval(LIST, List.of(keys.index()), List.of(RedisKeys.bytes(keys.manifestPrefix())));
        } catch (JedisException e) {
            throw failure("list", e);
        }
        List<?> ids = (List<?>) reply;
        List<String> out = new ArrayList<>(ids.size());
        for (Object o : ids) {
            out.add(new String((byte[]) o, StandardCharsets.UTF_8));
        }
        return out;
    }

    @Override
    public List<String> listUnpublished() throws IOException {
        ensureOpen();
        try (Jedis jedis = pool.getResource()) {
            Set<String> candidates = new LinkedHashSet<>();
            ScanParams params = new ScanParams().match(keys.blockSetPattern()).count(1000);
            byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
            do {
                ScanResult<byte[]> page = jedis.scan(cursor, params);
                for (byte[] key : page.getResult()) {
                    candidates.add(keys.idOfBlockSet(key));
                }
                cursor = page.getCursorAsBytes();
            } while (!Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));

            List<String> ids = new ArrayList<>(candidates);
            List<Response<Boolean>> published = new ArrayList<>(ids.size());
            try (Pipeline pipeline = jedis.pipelined()) {
                for (String id : ids) {
                    published.add(pipeline.exists(keys.manifest(id)));
                }
                pipeline.sync();
            }
            List<String> out = new ArrayList<>();
            for (int i = 0; i < ids.size(); i++) {
                if (!published.get(i).get()) {
                    out.add(ids.get(i));
                }
            }
            return out;
        } catch (JedisException e) {
            throw failure("listUnpublished", e);
        }
    }

    @Override
    public byte[] readManifest(String id) throws IOException {
        RedisKeys.requireName("checkpoint id", id);
        ensureOpen();
        byte[] manifest;
        try (Jedis jedis = pool.getResource()) {
            manifest = jedis.get(keys.manifest(id));
        } catch (JedisException e) {
            throw failure("readManifest " + id, e);
        }
        if (manifest == null) {
            throw new NoSuchFileException(id, null, "checkpoint '" + id + "' is not published in " + description);
        }
        return manifest;
    }

    @Override
    public void delete(String id) throws IOException {
        RedisKeys.requireName("checkpoint id", id);
        ensureOpen();
        byte[] setKey = keys.blockSet(id);
        try (Jedis jedis = pool.getResource()) {
            jedis.eval(UNPUBLISH, List.of(keys.manifest(id), keys.index()), List.of(RedisKeys.bytes(id)));
            ScanParams params = new ScanParams().count(DELETE_BATCH);
            byte[] cursor = ScanParams.SCAN_POINTER_START_BINARY;
            do {
                ScanResult<byte[]> page = jedis.sscan(setKey, cursor, params);
                List<byte[]> names = page.getResult();
                if (!names.isEmpty()) {
                    byte[][] blockKeys = new byte[names.size()][];
                    for (int i = 0; i < blockKeys.length; i++) {
                        blockKeys[i] = keys.block(id, new String(names.get(i), StandardCharsets.UTF_8));
                    }
                    // UNLINK frees large values in a server background thread
                    jedis.unlink(blockKeys);
                }
                cursor = page.getCursorAsBytes();
            } while (!Arrays.equals(cursor, ScanParams.SCAN_POINTER_START_BINARY));
            // last: while the set exists, listUnpublished reports what is left of the id
            jedis.unlink(setKey);
        } catch (JedisException e) {
            throw failure("delete " + id, e);
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            pool.close();
        }
    }

    @Override
    public String toString() {
        return description;
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(description + " is closed");
        }
    }

    private IllegalStateException alreadyPublished(String operation, String id) {
        return new IllegalStateException(
            description + ": " + operation + ": checkpoint '" + id + "' is already published");
    }

    private IOException failure(String operation, JedisException e) {
        return new IOException(description + ": " + operation + " failed: " + e.getMessage(), e);
    }

    private void requireNoErrors(String operation, List<Object> results) throws IOException {
        for (Object r : results) {
            if (r instanceof Throwable t) {
                throw new IOException(description + ": " + operation + " failed: " + t.getMessage(), t);
            }
        }
    }

    private static int toIntMillis(Duration d) {
        return (int) Math.min(Integer.MAX_VALUE, d.toMillis());
    }

    /**
     * Options of a {@link RedisCheckpointStorage}. Not thread-safe; {@link #build()} copies what it
     * needs, so a builder can be reused. Setters throw {@link IllegalArgumentException} on values
     * out of range.
     */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = 6379;
        private String prefix = "offstate:checkpoint:";
        private Duration expiry;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration socketTimeout = Duration.ofSeconds(30);
        private String user;
        private String password;
        private int database;
        private int maxConnections = 8;
        private int replicas;
        private Duration replicaTimeout;

        private Builder() {
        }

        /** The server's host name or address; default {@code 127.0.0.1}. */
        public Builder host(String host) {
            if (host == null || host.isEmpty()) {
                throw new IllegalArgumentException("host is empty");
            }
            this.host = host;
            return this;
        }

        /** The server's port; default 6379. */
        public Builder port(int port) {
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be 1-65535, got " + port);
            }
            this.port = port;
            return this;
        }

        /**
         * What every key starts with; default {@code "offstate:checkpoint:"}. Storages with
         * different prefixes in one database do not see each other's checkpoints. Any string; end
         * it with a separator such as {@code ':'} so one prefix is not the start of another's keys
         * ({@code "a"} and {@code "ab"} would be).
         */
        public Builder prefix(String prefix) {
            this.prefix = Objects.requireNonNull(prefix, "prefix");
            return this;
        }

        /**
         * Every key of a checkpoint expires this long after publication (blocks of an unfinished
         * upload: after they were written), at millisecond granularity; {@code null} or zero for
         * none (the default). See the class contract.
         */
        public Builder expiry(Duration expiry) {
            if (expiry != null && (expiry.isNegative() || (!expiry.isZero() && expiry.toMillis() == 0))) {
                throw new IllegalArgumentException("expiry must be zero (none) or at least 1 ms, got " + expiry);
            }
            this.expiry = expiry == null || expiry.isZero() ? null : expiry;
            return this;
        }

        /** How long to wait for a TCP connection; default 2 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = positive("connectTimeout", timeout);
            return this;
        }

        /** How long to wait for a reply; default 30 s (a block of several MiB on a slow link). */
        public Builder socketTimeout(Duration timeout) {
            this.socketTimeout = positive("socketTimeout", timeout);
            return this;
        }

        /** The password ({@code AUTH}); default none. */
        public Builder password(String password) {
            this.password = password;
            return this;
        }

        /** The ACL user name (with {@link #password}); default none (the default user). */
        public Builder user(String user) {
            this.user = user;
            return this;
        }

        /** The database index ({@code SELECT}); default 0. */
        public Builder database(int database) {
            if (database < 0) {
                throw new IllegalArgumentException("database must be >= 0, got " + database);
            }
            this.database = database;
            return this;
        }

        /** The most connections open at once (the pool size); default 8. */
        public Builder maxConnections(int maxConnections) {
            if (maxConnections < 1) {
                throw new IllegalArgumentException("maxConnections must be >= 1, got " + maxConnections);
            }
            this.maxConnections = maxConnections;
            return this;
        }

        /**
         * Makes {@link RedisCheckpointStorage#publish} wait ({@code WAIT}) until {@code replicas}
         * replicas acknowledged the blocks, before the manifest is written, and then the manifest.
         * If the blocks fall short within {@code timeout}, publish fails and nothing is visible; if
         * the manifest falls short, publish withdraws it again and fails (a reader may have seen the
         * complete checkpoint for that moment, never a partial one). A replica acknowledges
         * receipt, not a disk write. Default 0: no waiting.
         */
        public Builder waitForReplicas(int replicas, Duration timeout) {
            if (replicas < 0) {
                throw new IllegalArgumentException("replicas must be >= 0, got " + replicas);
            }
            this.replicas = replicas;
            this.replicaTimeout = replicas == 0 ? null : positive("replica timeout", timeout);
            return this;
        }

        /** A storage with these options. Does not connect: the first call does. */
        public RedisCheckpointStorage build() {
            return new RedisCheckpointStorage(this);
        }

        private static Duration positive(String what, Duration d) {
            if (d == null || d.isNegative() || d.isZero() || d.toMillis() == 0) {
                throw new IllegalArgumentException(what + " must be at least 1 ms, got " + d);
            }
            return d;
        }
    }
}
