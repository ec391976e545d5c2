package io.offstate.checkpoint.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import redis.clients.jedis.Jedis;

/** The {@link RedisServer} test harness itself: it fails loudly without redis-server, and really stops. */
class RedisServerHarnessTest {
    @Test
    void aMissingRedisServerFailsWithHowToInstallIt(@TempDir Path empty) {
        AssertionError e = assertThrows(AssertionError.class,
            () -> RedisServer.findBinary(empty.toString(), List.of(empty.resolve("nope"))));
        assertTrue(e.getMessage().contains("apt-get install redis-server"), e.getMessage());
    }

    @Test
    void theServerAnswersUntilKilledAndComesBackOnTheSamePort(@TempDir Path dir) throws IOException {
        RedisServer server = RedisServer.start(dir);
        try {
            int port = server.port();
            try (Jedis jedis = new Jedis("127.0.0.1", port)) {
                assertEquals("PONG", jedis.ping());
            }
            server.kill();
            assertFalse(server.isRunning());
            server.restart();
            assertEquals(port, server.port());
            try (Jedis jedis = new Jedis("127.0.0.1", port)) {
                assertEquals("PONG", jedis.ping());
            }
        } finally {
            server.close();
        }
        assertFalse(server.isRunning());
    }
}
