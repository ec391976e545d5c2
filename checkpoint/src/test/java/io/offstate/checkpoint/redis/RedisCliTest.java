package io.offstate.checkpoint.redis;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.checkpoint.Checkpoints;
import io.offstate.checkpoint.cli.Cli;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreDirectory;
import io.offstate.engine.StoreOptions;
import redis.clients.jedis.Jedis;

/** The command-line tool against checkpoints in a real {@code redis-server}: list, verify, restore, a damaged block, no server. */
class RedisCliTest {
    @TempDir
    Path dir;

    private static String[] run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new String[] {Integer.toString(code), out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8)};
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void listVerifyRestoreAndDamageThroughRedis() throws IOException {
        try (RedisServer server = RedisServer.start(java.nio.file.Files.createDirectories(dir.resolve("redis")))) {
            String prefix = "cli-test:";
            List<String> ids;
            try (RedisCheckpointStorage storage = RedisCheckpointStorage.builder().port(server.port()).prefix(prefix).build();
                 KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("orders").build())) {
                Checkpoints c = Checkpoints.builder(storage, "orders").build();
                store.put(b("order:1"), b("paid"));
                String first = c.checkpoint(store, false).id();
                store.put(b("order:2"), b("new"));
                ids = List.of(first, c.checkpoint(store, true).id());
            }
            String backend = "redis://127.0.0.1:" + server.port() + "/" + prefix;

            String[] list = run("checkpoint", "list", backend);
            assertEquals("0", list[0], String.join("\n", list));
            assertTrue(list[1].contains(ids.get(0)) && list[1].contains(ids.get(1)), list[1]);

            String[] verify = run("checkpoint", "verify", backend);
            assertEquals("0", verify[0], String.join("\n", verify));
            assertTrue(verify[1].contains("2 checkpoint(s) verified, 0 damaged"), verify[1]);

            Path to = dir.resolve("restored");
            String[] restore = run("checkpoint", "restore", backend, "latest", "--to", to.toString());
            assertEquals("0", restore[0], String.join("\n", restore));
            try (KeyValueStore s = KeyValueStore.open(to, StoreDirectory.inspect(to).options())) {
                assertEquals(2, s.size());
                assertEquals("new", new String(s.getCopy(b("order:2")), StandardCharsets.UTF_8));
            }

            // damage one block of the newest checkpoint: overwrite a byte of every block key of it
            try (Jedis jedis = new Jedis("127.0.0.1", server.port())) {
                int damaged = 0;
                for (String key : jedis.keys(prefix + "*")) {
                    if (key.startsWith(prefix + "b:" + ids.get(1) + ":")) { // a block key (RedisKeys)
                        byte[] v = jedis.get(b(key));
                        if (v.length > 8) {
                            v[v.length / 2] ^= 0x5A;
                            jedis.set(b(key), v);
                            damaged++;
                        }
                    }
                }
                assertTrue(damaged > 0, "no block key of " + ids.get(1) + " found: " + jedis.keys(prefix + "*"));
            }
            String[] bad = run("checkpoint", "verify", backend);
            assertEquals("1", bad[0], String.join("\n", bad));
            assertTrue(bad[1].contains(ids.get(1) + "  DAMAGED"), bad[1]);
        }

        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        String[] down = run("checkpoint", "list", "redis://127.0.0.1:" + port + "/x:");
        assertEquals(Integer.toString(Cli.FAILED), down[0], String.join("\n", down));
    }
}
