package io.offstate.checkpoint.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offstate.checkpoint.CheckpointStorage;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;
import redis.clients.jedis.params.ScanParams;
import redis.clients.jedis.resps.ScanResult;

/**
 * {@link RedisCheckpointStorage} against a real {@code redis-server} (one per class, no
 * persistence): the {@link AbstractCheckpointStorageContractTest contract}, then what is Redis's own
 * (key layout, expiry, prefixes and databases, large blocks, error messages, {@code WAIT}).
 */
class RedisCheckpointStorageTest extends AbstractCheckpointStorageContractTest {
    @TempDir
    static Path dir;
    private static RedisServer server;

    @BeforeAll
    static void startServer() throws IOException {
        server = RedisServer.start(dir);
    }

    @AfterAll
    static void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    @BeforeEach
    void flushServer() {
        try (Jedis jedis = raw()) {
            jedis.flushAll();
        }
    }

    @Override
    protected CheckpointStorage openStorage() {
        return builder().build();
    }

    private static RedisCheckpointStorage.Builder builder() {
        return RedisCheckpointStorage.builder().port(server.port()).prefix("test:ckpt:");
    }

    private static Jedis raw() {
        return new Jedis("127.0.0.1", server.port());
    }

    private static Set<String> keysStartingWith(Jedis jedis, String prefix) {
        Set<String> out = new TreeSet<>();
        ScanParams params = new ScanParams().match(RedisKeys.globEscape(prefix) + "*").count(1000);
        String cursor = ScanParams.SCAN_POINTER_START;
        do {
            ScanResult<String> page = jedis.scan(cursor, params);
            out.addAll(page.getResult());
            cursor = page.getCursor();
        } while (!cursor.equals(ScanParams.SCAN_POINTER_START));
        return out;
    }

    /** Polls until {@code condition} holds; fails after 30 s (a bound on waiting, not a timing assertion). */
    private static void awaitTrue(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("still not true after 30 s: " + what);
            }
            Thread.sleep(20);
        }
    }

    // ---- key layout --------------------------------------------------------------------------

    @Test
    void everyBlockIsAKeyOfItsOwnAndTheIndexHoldsOnlyPublishedIds() throws IOException {
        writeBlock("c1", "b0", text("zero"));
        writeBlock("c1", "b1", text("one"));
        writeBlock("c2", "b0", text("other"));
        storage.publish("c1", text("m"));
        try (Jedis jedis = raw()) {
            assertEquals(Set.of("test:ckpt:b:c1:b0", "test:ckpt:b:c1:b1", "test:ckpt:b:c2:b0", "test:ckpt:index",
                "test:ckpt:m:c1", "test:ckpt:s:c1", "test:ckpt:s:c2", "test:ckpt:seq"),
                keysStartingWith(jedis, "test:ckpt:"));
            assertEquals(List.of("c1"), jedis.zrange("test:ckpt:index", 0, -1));
            assertEquals("one", jedis.get("test:ckpt:b:c1:b1"));
            assertEquals(Set.of("b0", "b1"), jedis.smembers("test:ckpt:s:c1"));
        }
    }

    @Test
    void deleteLeavesNoKeyOfTheCheckpoint() throws IOException {
        for (int i = 0; i < 1200; i++) { // more than one SSCAN page and one UNLINK batch
            writeBlock("big", "b" + i, text("v" + i));
        }
        storage.publish("big", text("m"));
        storage.delete("big");
        try (Jedis jedis = raw()) {
            // Redis drops the index key itself once its last member is gone
            assertEquals(Set.of("test:ckpt:seq"), keysStartingWith(jedis, "test:ckpt:"));
        }
    }

    @Test
    void aHalfDoneDeleteLeavesAnUnpublishedIdNotAPublishedOneWithHoles() throws IOException {
        writeBlock("c1", "b0", text("zero"));
        writeBlock("c1", "b1", text("one"));
        storage.publish("c1", text("m"));
        // what a crash after delete's first step leaves: the script that withdraws the manifest ran
        try (Jedis jedis = raw()) {
            jedis.eval(RedisScripts.UNPUBLISH, List.of("test:ckpt:m:c1", "test:ckpt:index"), List.of("c1"));
            jedis.del("test:ckpt:b:c1:b0");
        }
        assertEquals(List.of(), storage.list());
        assertEquals(List.of("c1"), storage.listUnpublished());
        storage.delete("c1");
        assertEquals(List.of(), storage.listUnpublished());
    }

    @Test
    void aBlockGoneBeforePublicationFailsThePublishAndPublishesNothing() throws IOException {
        writeBlock("c1", "b0", text("zero"));
        writeBlock("c1", "b1", text("one"));
        try (Jedis jedis = raw()) {
            jedis.del("test:ckpt:b:c1:b1");
        }
        IOException e = assertThrows(IOException.class, () -> storage.publish("c1", text("m")));
        assertTrue(e.getMessage().contains("b1") && e.getMessage().contains("not published"), e.getMessage());
        assertEquals(List.of(), storage.list());
        assertThrows(NoSuchFileException.class, () -> storage.readManifest("c1"));
        assertEquals(List.of("c1"), storage.listUnpublished());
    }

    // ---- expiry ------------------------------------------------------------------------------

    @Test
    void withoutExpiryNoKeyExpires() throws IOException {
        writeBlock("c1", "b0", text("zero"));
        storage.publish("c1", text("m"));
        writeBlock("c2", "b0", text("half"));
        try (Jedis jedis = raw()) {
            for (String key : keysStartingWith(jedis, "test:ckpt:")) {
                assertEquals(-1, jedis.pttl(key), key);
            }
        }
    }

    @Test
    void publishSetsTheExpiryOnEveryKeyAndBlocksOutliveTheManifest() throws IOException {
        long expiry = Duration.ofHours(1).toMillis();
        try (RedisCheckpointStorage s = builder().expiry(Duration.ofMillis(expiry)).build()) {
            s.writeBlock("c1", "b0", text("zero"), 0, 4);
            s.writeBlock("c1", "b1", text("one"), 0, 3);
            s.publish("c1", text("m"));
            try (Jedis jedis = raw()) {
                long manifest = jedis.pttl("test:ckpt:m:c1");
                assertTrue(manifest > 0 && manifest <= expiry, "manifest ttl " + manifest);
                for (String key : List.of("test:ckpt:b:c1:b0", "test:ckpt:b:c1:b1", "test:ckpt:s:c1")) {
                    long ttl = jedis.pttl(key);
                    // a published checkpoint's blocks get expiry + min(expiry, 1 min)
                    assertTrue(ttl > manifest && ttl <= expiry + 60_000, key + " ttl " + ttl + ", manifest " + manifest);
                }
                assertEquals(-1, jedis.pttl("test:ckpt:index"));
                assertEquals(-1, jedis.pttl("test:ckpt:seq"));
            }
        }
    }

    @Test
    void unpublishedBlocksExpireTooSoAnAbandonedUploadCleansItselfUp() throws Exception {
        long expiry = Duration.ofHours(1).toMillis();
        try (RedisCheckpointStorage s = builder().expiry(Duration.ofMillis(expiry)).build()) {
            s.writeBlock("half", "b0", text("zero"), 0, 4);
            try (Jedis jedis = raw()) {
                for (String key : List.of("test:ckpt:b:half:b0", "test:ckpt:s:half")) {
                    long ttl = jedis.pttl(key);
                    assertTrue(ttl > 0 && ttl <= expiry, key + " ttl " + ttl);
                }
            }
        }
        try (RedisCheckpointStorage s = builder().expiry(Duration.ofMillis(100)).build()) {
            s.writeBlock("quick", "b0", text("zero"), 0, 4);
            awaitTrue("the abandoned upload expired", () -> {
                try (Jedis jedis = raw()) {
                    return !jedis.exists("test:ckpt:s:quick") && !jedis.exists("test:ckpt:b:quick:b0");
                }
            });
            assertFalse(s.listUnpublished().contains("quick"));
        }
    }

    @Test
    void anExpiredCheckpointLeavesTheListAndTheIndex() throws Exception {
        try (RedisCheckpointStorage shortLived = builder().expiry(Duration.ofMillis(200)).build()) {
            writeBlock("lasting", "b0", text("l"));
            storage.publish("lasting", text("ml"));
            shortLived.writeBlock("brief", "b0", text("b"), 0, 1);
            shortLived.publish("brief", text("mb"));
            assertEquals(List.of("lasting", "brief"), storage.list());

            awaitTrue("brief's keys expired", () -> {
                try (Jedis jedis = raw()) {
                    return keysStartingWith(jedis, "test:ckpt:").stream().noneMatch(k -> k.contains("brief"));
                }
            });
            assertEquals(List.of("lasting"), storage.list());
            assertThrows(NoSuchFileException.class, () -> storage.readManifest("brief"));
            assertThrows(NoSuchFileException.class, () -> storage.readBlock("brief", "b0"));
            assertEquals(List.of(), storage.listUnpublished());
            try (Jedis jedis = raw()) {
                // list() dropped the stale index entry
                assertEquals(List.of("lasting"), jedis.zrange("test:ckpt:index", 0, -1));
            }
        }
    }

    // ---- prefixes and databases ---------------------------------------------------------------

    @Test
    void storagesWithDifferentPrefixesDoNotSeeEachOther() throws IOException {
        // a prefix full of SCAN glob characters must still match only itself
        try (RedisCheckpointStorage other = builder().prefix("o*[t]?\\h^e-r:").build()) {
            writeBlock("c1", "b0", text("mine"));
            storage.publish("c1", text("m"));
            writeBlock("half", "b0", text("mine"));
            other.writeBlock("c1", "b0", text("theirs"), 0, 6);
            other.writeBlock("other-half", "b0", text("theirs"), 0, 6);

            assertEquals(List.of("c1"), storage.list());
            assertEquals(List.of(), other.list());
            assertEquals(List.of("half"), storage.listUnpublished());
            List<String> theirs = new ArrayList<>(other.listUnpublished());
            theirs.sort(null);
            assertEquals(List.of("c1", "other-half"), theirs);
            assertArrayEquals(text("mine"), storage.readBlock("c1", "b0"));
            assertArrayEquals(text("theirs"), other.readBlock("c1", "b0"));
            other.delete("c1");
            assertArrayEquals(text("mine"), storage.readBlock("c1", "b0"));
        }
    }

    @Test
    void storagesInDifferentDatabasesDoNotSeeEachOther() throws IOException {
        try (RedisCheckpointStorage db3 = builder().database(3).build()) {
            writeBlock("c1", "b0", text("db0"));
            storage.publish("c1", text("m0"));
            assertEquals(List.of(), db3.list());
            assertThrows(NoSuchFileException.class, () -> db3.readBlock("c1", "b0"));
            db3.writeBlock("c1", "b0", text("db3"), 0, 3);
            db3.publish("c1", text("m3"));
            assertArrayEquals(text("m3"), db3.readManifest("c1"));
            assertArrayEquals(text("m0"), storage.readManifest("c1"));
            assertTrue(db3.describe().contains("db 3"), db3.describe());
        }
    }

    @Test
    void aPasswordProtectedServerNeedsThePassword(@TempDir Path pwDir) throws IOException {
        try (RedisServer secured = RedisServer.start(pwDir, "--requirepass", "s3cret")) {
            try (RedisCheckpointStorage without = RedisCheckpointStorage.builder().port(secured.port()).build()) {
                IOException e = assertThrows(IOException.class, without::list);
                assertTrue(e.getMessage().contains("127.0.0.1:" + secured.port()), e.getMessage());
            }
            try (RedisCheckpointStorage with = RedisCheckpointStorage.builder().port(secured.port())
                .password("s3cret").build()) {
                with.writeBlock("c1", "b0", text("x"), 0, 1);
                with.publish("c1", text("m"));
                assertEquals(List.of("c1"), with.list());
            }
        }
    }

    // ---- large checkpoints -------------------------------------------------------------------

    @Test
    void largeBlocksStreamAsSeparateKeys() throws IOException {
        int blockSize = 4 << 20;
        int blocks = 12; // 48 MiB in all, never more than one block in one value
        for (int i = 0; i < blocks; i++) {
            writeBlock("large", "block-" + i, bytes(blockSize, 1000 + i));
        }
        storage.publish("large", text("m"));
        for (int i = 0; i < blocks; i++) {
            assertArrayEquals(bytes(blockSize, 1000 + i), storage.readBlock("large", "block-" + i), "block " + i);
        }
        try (Jedis jedis = raw()) {
            for (int i = 0; i < blocks; i++) {
                assertEquals(blockSize, jedis.strlen("test:ckpt:b:large:block-" + i));
            }
        }
        storage.delete("large");
        assertThrows(NoSuchFileException.class, () -> storage.readBlock("large", "block-0"));
    }

    // ---- errors and lifecycle ----------------------------------------------------------------

    @Test
    void anUnreachableServerIsAnIOExceptionNamingTheOperationAndTheServer() throws IOException {
        int closedPort;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            closedPort = s.getLocalPort();
        }
        try (RedisCheckpointStorage nowhere = RedisCheckpointStorage.builder().port(closedPort).build()) {
            IOException list = assertThrows(IOException.class, nowhere::list);
            assertTrue(list.getMessage().contains("127.0.0.1:" + closedPort) && list.getMessage().contains("list"),
                list.getMessage());
            IOException write = assertThrows(IOException.class, () -> nowhere.writeBlock("c1", "b0", new byte[1], 0, 1));
            assertTrue(write.getMessage().contains("writeBlock c1/b0"), write.getMessage());
            IOException read = assertThrows(IOException.class, () -> nowhere.readManifest("c1"));
            assertFalse(read instanceof NoSuchFileException, "an outage is not a missing checkpoint");
            assertTrue(read.getMessage().contains("readManifest c1"), read.getMessage());
        }
    }

    @Test
    void aClosedStorageRefusesCalls() {
        RedisCheckpointStorage s = builder().build();
        s.close();
        IllegalStateException e = assertThrows(IllegalStateException.class, s::list);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void builderRejectsBadOptions() {
        RedisCheckpointStorage.Builder b = RedisCheckpointStorage.builder();
        assertThrows(IllegalArgumentException.class, () -> b.port(0));
        assertThrows(IllegalArgumentException.class, () -> b.port(65536));
        assertThrows(IllegalArgumentException.class, () -> b.database(-1));
        assertThrows(IllegalArgumentException.class, () -> b.expiry(Duration.ofMillis(-1)));
        assertThrows(IllegalArgumentException.class, () -> b.expiry(Duration.ofNanos(10)));
        assertThrows(IllegalArgumentException.class, () -> b.socketTimeout(Duration.ZERO));
        assertThrows(IllegalArgumentException.class, () -> b.maxConnections(0));
        assertThrows(IllegalArgumentException.class, () -> b.waitForReplicas(1, null));
        assertThrows(IllegalArgumentException.class, () -> b.host(""));
    }

    // ---- WAIT for replicas -------------------------------------------------------------------

    @Test
    void waitForReplicasPublishesOnceAReplicaHasEverything(@TempDir Path replicaDir) throws Exception {
        try (RedisServer replica = RedisServer.start(replicaDir, "--replicaof", "127.0.0.1", Integer.toString(server.port()))) {
            awaitTrue("the replica is connected", () -> {
                try (Jedis jedis = raw()) {
                    return jedis.info("replication").contains("connected_slaves:1");
                }
            });
            try (RedisCheckpointStorage waiting = builder().waitForReplicas(1, Duration.ofSeconds(30)).build()) {
                waiting.writeBlock("c1", "b0", text("zero"), 0, 4);
                waiting.writeBlock("c1", "b1", text("one"), 0, 3);
                waiting.publish("c1", text("m"));
            }
            // WAIT returned, so the replica has the blocks and the manifest now, without polling
            try (Jedis onReplica = new Jedis("127.0.0.1", replica.port())) {
                assertEquals("m", onReplica.get("test:ckpt:m:c1"));
                assertEquals("zero", onReplica.get("test:ckpt:b:c1:b0"));
                assertEquals("one", onReplica.get("test:ckpt:b:c1:b1"));
                assertEquals(List.of("c1"), onReplica.zrange("test:ckpt:index", 0, -1));
            }
        }
    }

    @Test
    void waitForMoreReplicasThanExistFailsThePublishAndPublishesNothing() throws IOException {
        try (RedisCheckpointStorage waiting = builder().waitForReplicas(3, Duration.ofMillis(100)).build()) {
            waiting.writeBlock("c1", "b0", text("zero"), 0, 4);
            IOException e = assertThrows(IOException.class, () -> waiting.publish("c1", text("m")));
            assertTrue(e.getMessage().contains(" of 3 replicas") && e.getMessage().contains("not published"),
                e.getMessage());
            assertEquals(List.of(), waiting.list());
            assertEquals(List.of("c1"), waiting.listUnpublished());
            assertThrows(NoSuchFileException.class, () -> waiting.readManifest("c1"));
        }
    }
}
