package io.offstate.checkpoint.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Redis going away in the middle of an upload (SIGKILL of the server between two blocks). The
 * server runs with {@code appendonly yes, appendfsync always}, the configuration under which Redis
 * keeps what it acknowledged across a restart; without persistence a restart loses every checkpoint,
 * which no client can prevent. What must hold: the interrupted checkpoint fails with an
 * {@link IOException} and is never published; after the server is back, the checkpoints published
 * before stay listed and readable, byte for byte, through the same storage instance.
 */
class RedisOutageTest {
    private static final int BLOCK = 1 << 20;

    @TempDir
    Path dir;
    private RedisServer server;

    @AfterEach
    void stopServer() {
        if (server != null) {
            server.close();
        }
    }

    private static byte[] block(String id, int i) {
        byte[] b = new byte[BLOCK];
        new Random(id.hashCode() * 31L + i).nextBytes(b);
        return b;
    }

    private static byte[] manifest(String id) {
        return ("manifest of " + id).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    private static void upload(RedisCheckpointStorage s, String id, int blocks) throws IOException {
        for (int i = 0; i < blocks; i++) {
            s.writeBlock(id, "b" + i, block(id, i), 0, BLOCK);
        }
        s.publish(id, manifest(id));
    }

    @Test
    void aServerKilledMidUploadFailsThatCheckpointAndKeepsTheEarlierOnes() throws Exception {
        server = RedisServer.start(dir, "--appendonly", "yes", "--appendfsync", "always");
        try (RedisCheckpointStorage storage = RedisCheckpointStorage.builder().port(server.port()).build()) {
            upload(storage, "ckpt-1", 3);
            upload(storage, "ckpt-2", 3);

            storage.writeBlock("ckpt-3", "b0", block("ckpt-3", 0), 0, BLOCK);
            server.kill();

            IOException write = assertThrows(IOException.class,
                () -> storage.writeBlock("ckpt-3", "b1", block("ckpt-3", 1), 0, BLOCK));
            assertTrue(write.getMessage().contains("writeBlock ckpt-3/b1")
                && write.getMessage().contains("127.0.0.1:" + server.port()), write.getMessage());
            IOException publish = assertThrows(IOException.class, () -> storage.publish("ckpt-3", manifest("ckpt-3")));
            assertTrue(publish.getMessage().contains("publish ckpt-3"), publish.getMessage());
            IOException list = assertThrows(IOException.class, storage::list);
            assertFalse(list instanceof NoSuchFileException);
            IOException read = assertThrows(IOException.class, () -> storage.readBlock("ckpt-1", "b0"));
            assertFalse(read instanceof NoSuchFileException, "an outage is not a missing block: " + read);

            server.restart();

            assertEquals(List.of("ckpt-1", "ckpt-2"), storage.list());
            for (String id : List.of("ckpt-1", "ckpt-2")) {
                assertArrayEquals(manifest(id), storage.readManifest(id));
                for (int i = 0; i < 3; i++) {
                    assertArrayEquals(block(id, i), storage.readBlock(id, "b" + i), id + " block " + i);
                }
            }
            assertThrows(NoSuchFileException.class, () -> storage.readManifest("ckpt-3"));
            // the block acknowledged before the kill survived; the one after it never arrived
            assertEquals(List.of("ckpt-3"), storage.listUnpublished());
            assertArrayEquals(block("ckpt-3", 0), storage.readBlock("ckpt-3", "b0"));
            assertThrows(NoSuchFileException.class, () -> storage.readBlock("ckpt-3", "b1"));

            // the layer above cleans up and carries on
            storage.delete("ckpt-3");
            assertEquals(List.of(), storage.listUnpublished());
            upload(storage, "ckpt-4", 2);
            assertEquals(List.of("ckpt-1", "ckpt-2", "ckpt-4"), storage.list());
        }
    }

    @Test
    void aServerKilledBeforePublishLeavesNothingPublishedAfterRestart() throws Exception {
        server = RedisServer.start(dir, "--appendonly", "yes", "--appendfsync", "always");
        try (RedisCheckpointStorage storage = RedisCheckpointStorage.builder().port(server.port()).build()) {
            upload(storage, "before", 2);
            for (int i = 0; i < 4; i++) {
                storage.writeBlock("interrupted", "b" + i, block("interrupted", i), 0, BLOCK);
            }
            server.kill();
            assertThrows(IOException.class, () -> storage.publish("interrupted", manifest("interrupted")));
            server.restart();

            assertEquals(List.of("before"), storage.list());
            assertThrows(NoSuchFileException.class, () -> storage.readManifest("interrupted"));
            assertEquals(List.of("interrupted"), storage.listUnpublished());
            // publishing after the outage is a new attempt, and works: all four blocks were acknowledged
            storage.publish("interrupted", manifest("interrupted"));
            assertEquals(List.of("before", "interrupted"), storage.list());
            for (int i = 0; i < 4; i++) {
                assertArrayEquals(block("interrupted", i), storage.readBlock("interrupted", "b" + i));
            }
        }
    }

    @Test
    void withoutPersistenceARestartLosesEverythingButNeverShowsAPartialCheckpoint() throws Exception {
        server = RedisServer.start(dir); // --save "" --appendonly no
        try (RedisCheckpointStorage storage = RedisCheckpointStorage.builder().port(server.port()).build()) {
            upload(storage, "volatile", 2);
            storage.writeBlock("half", "b0", block("half", 0), 0, BLOCK);
            server.kill();
            server.restart();
            assertEquals(List.of(), storage.list());
            assertEquals(List.of(), storage.listUnpublished());
            assertThrows(NoSuchFileException.class, () -> storage.readManifest("volatile"));
        }
    }
}
