package io.offstate.checkpoint.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.checkpoint.CheckpointManifest;
import io.offstate.checkpoint.Checkpoints;
import io.offstate.checkpoint.LocalCheckpointStorage;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StatePartition;
import io.offstate.engine.Transaction;
import io.offstate.engine.StoreDirectory;
import io.offstate.engine.StoreOptions;

/** Drives {@link Cli#run} on real stores and checkpoints, intact and damaged: exit codes and output. */
class CliTest {
    @TempDir
    Path tmp;

    record Result(int code, String out, String err) {
        @Override
        public String toString() {
            return "exit " + code + "\n--- out\n" + out + "--- err\n" + err;
        }
    }

    static Result cli(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = Cli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(err, true, StandardCharsets.UTF_8));
        return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static Map<String, String> contents(KeyValueStore store) {
        Map<String, String> m = new TreeMap<>();
        store.forEach((k, v) -> m.put(new String(k.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8),
            new String(v.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)));
        return m;
    }

    /** A file-backed store of {@code n} entries, sorted index on, flushed with metadata "offset=42", closed. */
    private Path store(int n) {
        Path dir = tmp.resolve("store");
        try (KeyValueStore s = KeyValueStore.open(dir, StoreOptions.builder().name("orders").sortedIndex(true).pageSize(64 * 1024).build())) {
            for (int i = 0; i < n; i++) {
                s.put(b("key-" + i), b("value-" + i + "-".repeat(i % 50)));
            }
            s.flush(b("offset=42"));
        }
        return dir;
    }

    private static void flipByte(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int v = f.read();
            f.seek(offset);
            f.write(v ^ 0x5A);
        }
    }

    // ---------------------------------------------------------------- store

    @Test
    void storeInspectShowsOptionsEntriesGenerationAndFlushMetadata() {
        Path dir = store(2000);
        Result r = cli("store", "inspect", dir.toString());
        assertEquals(Cli.OK, r.code(), r::toString);
        assertTrue(r.out().contains("entries          2000"), r::toString);
        assertTrue(r.out().contains("sorted index yes"), r::toString);
        assertTrue(r.out().contains("page size 64.0 KiB"), r::toString);
        assertTrue(r.out().contains("flush metadata   9 bytes: \"offset=42\""), r::toString);
        StoreDirectory.Info info = StoreDirectory.inspect(dir);
        assertTrue(r.out().contains("generation       " + info.generation()), r::toString);
        // inspecting wrote nothing: the generation did not move, and the store reopens with the same contents
        assertEquals(info.generation(), StoreDirectory.inspect(dir).generation());
        try (KeyValueStore s = KeyValueStore.open(dir, info.options())) {
            assertEquals(2000, s.size());
            assertEquals("value-7-------", new String(s.getCopy(b("key-7")), StandardCharsets.UTF_8));
        }
    }

    @Test
    void storeVerifyPassesOnAnIntactStoreAndChangesNothing() {
        Path dir = store(3000);
        long generation = StoreDirectory.inspect(dir).generation();
        Result r = cli("store", "verify", dir.toString());
        assertEquals(Cli.OK, r.code(), r::toString);
        assertTrue(r.out().contains("result           OK"), r::toString);
        assertTrue(r.out().contains("entries          3000"), r::toString);
        assertEquals(generation, StoreDirectory.inspect(dir).generation());
    }

    @Test
    void storeVerifyNamesTheDamagedChunkAndExitsDamaged() throws IOException {
        Path dir = store(3000);
        Path pages = dir.resolve("pages.dat");
        flipByte(pages, 100);
        Result r = cli("store", "verify", dir.toString());
        assertEquals(Cli.DAMAGED, r.code(), r::toString);
        assertTrue(r.out().contains("DAMAGED: 1 bad chunk(s)"), r::toString);
        assertTrue(r.out().contains("pages.dat"), r::toString);
    }

    @Test
    void storeVerifyListsEveryDamagedChunk() throws IOException {
        Path dir = store(3000);
        Path pages = dir.resolve("pages.dat");
        flipByte(pages, 100);
        flipByte(pages, 3 * 4096 + 7);
        Result r = cli("store", "verify", dir.toString());
        assertEquals(Cli.DAMAGED, r.code(), r::toString);
        assertTrue(r.out().contains("DAMAGED: 2 bad chunk(s)"), r::toString);
    }

    @Test
    void damagedMetadataIsDamageNotAFailure() throws IOException {
        Path dir = store(10);
        for (String j : List.of("journal-0", "journal-1")) {
            Path p = dir.resolve(j);
            if (Files.exists(p)) {
                flipByte(p, 40);
            }
        }
        Result r = cli("store", "inspect", dir.toString());
        assertEquals(Cli.DAMAGED, r.code(), r::toString);
        assertTrue(r.err().contains("journal-"), r::toString);
    }

    @Test
    void badInputHasClearMessagesAndItsOwnExitCode() throws IOException {
        Result missing = cli("store", "inspect", tmp.resolve("nope").toString());
        assertEquals(Cli.FAILED, missing.code(), missing::toString);
        assertTrue(missing.err().contains("no such directory"), missing::toString);
        assertFalse(Files.exists(tmp.resolve("nope")), "inspect must not create the directory");

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Result notAStore = cli("store", "verify", empty.toString());
        assertEquals(Cli.FAILED, notAStore.code(), notAStore::toString);
        assertTrue(notAStore.err().contains("is not an offstate store directory"), notAStore::toString);
        try (Stream<Path> s = Files.list(empty)) {
            assertEquals(0, s.count(), "nothing may be written into a directory that is not a store");
        }

        Path dir = store(10);
        try (KeyValueStore open = KeyValueStore.open(dir, StoreDirectory.inspect(dir).options())) {
            Result locked = cli("store", "inspect", dir.toString());
            assertEquals(Cli.FAILED, locked.code(), locked::toString);
            assertTrue(locked.err().contains("locked"), locked::toString);
            assertEquals(10, open.size());
        }
    }

    @Test
    void usageErrorsExitWithTheUsageCode() {
        for (String[] args : List.of(new String[0], new String[] {"stor"}, new String[] {"store", "frobnicate", "x"},
            new String[] {"store", "inspect"}, new String[] {"store", "inspect", "a", "b"},
            new String[] {"checkpoint", "list", "s3://bucket"}, new String[] {"checkpoint", "list", "file:x", "--bogus", "1"})) {
            Result r = cli(args);
            assertEquals(Cli.USAGE, r.code(), () -> String.join(" ", args) + ": " + r);
            assertTrue(r.err().contains("Usage: offstate"), r::toString);
        }
    }

    // ---------------------------------------------------------------- checkpoints

    /** Three checkpoints of one store: full (1 entry), incremental (2), incremental (3). */
    private List<String> checkpoints(Path root) throws IOException {
        try (LocalCheckpointStorage storage = LocalCheckpointStorage.open(root);
             KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("orders").build())) {
            Checkpoints c = Checkpoints.builder(storage, "orders").build();
            store.put(b("order:1"), b("paid"));
            String a = c.checkpoint(store, false).id();
            store.put(b("order:2"), b("new"));
            String bId = c.checkpoint(store, true).id();
            store.put(b("order:3"), b("shipped"));
            CheckpointManifest m = c.checkpoint(store, true);
            assertEquals(3, m.chainLength());
            return List.of(a, bId, m.id());
        }
    }

    @Test
    void checkpointListInspectVerifyRestore() throws IOException {
        Path root = tmp.resolve("ckpt");
        List<String> ids = checkpoints(root);
        String backend = "file:" + root;

        Result list = cli("checkpoint", "list", backend);
        assertEquals(Cli.OK, list.code(), list::toString);
        assertTrue(list.out().contains("3 checkpoint(s) in 1 series"), list::toString);
        for (String id : ids) {
            assertTrue(list.out().contains(id), list::toString);
        }
        assertTrue(list.out().contains("full"), list::toString);
        assertTrue(list.out().contains("incr"), list::toString);

        Result inspect = cli("checkpoint", "inspect", backend, ids.get(2));
        assertEquals(Cli.OK, inspect.code(), inspect::toString);
        assertTrue(inspect.out().contains("parent           " + ids.get(1)), inspect::toString);
        assertTrue(inspect.out().contains("chain length     3"), inspect::toString);
        assertTrue(inspect.out().contains("store 'orders'"), inspect::toString);
        assertTrue(inspect.out().contains("entries        3"), inspect::toString);
        assertTrue(inspect.out().contains("kind           incremental"), inspect::toString);

        Result verify = cli("checkpoint", "verify", backend);
        assertEquals(Cli.OK, verify.code(), verify::toString);
        assertTrue(verify.out().contains("3 checkpoint(s) verified, 0 damaged"), verify::toString);

        Path latest = tmp.resolve("latest");
        Result restore = cli("checkpoint", "restore", backend, "latest", "--to", latest.toString());
        assertEquals(Cli.OK, restore.code(), restore::toString);
        assertTrue(restore.out().contains("restored checkpoint " + ids.get(2)), restore::toString);
        try (KeyValueStore s = KeyValueStore.open(latest, StoreDirectory.inspect(latest).options())) {
            assertEquals(Map.of("order:1", "paid", "order:2", "new", "order:3", "shipped"), contents(s));
        }

        Path first = tmp.resolve("first");
        Result byId = cli("checkpoint", "restore", backend, ids.get(0), "--to", first.toString());
        assertEquals(Cli.OK, byId.code(), byId::toString);
        try (KeyValueStore s = KeyValueStore.open(first, StoreDirectory.inspect(first).options())) {
            assertEquals(Map.of("order:1", "paid"), contents(s));
        }

        Result notEmpty = cli("checkpoint", "restore", backend, "latest", "--to", first.toString());
        assertEquals(Cli.FAILED, notEmpty.code(), notEmpty::toString);
        assertTrue(notEmpty.err().contains("is not empty"), notEmpty::toString);
    }

    @Test
    void unknownCheckpointAndMissingBackendFail() throws IOException {
        Path root = tmp.resolve("ckpt");
        checkpoints(root);
        Result unknown = cli("checkpoint", "inspect", "file:" + root, "orders.000000000099");
        assertEquals(Cli.FAILED, unknown.code(), unknown::toString);
        assertTrue(unknown.err().contains("no checkpoint 'orders.000000000099'"), unknown::toString);

        Result missing = cli("checkpoint", "list", "file:" + tmp.resolve("none"));
        assertEquals(Cli.FAILED, missing.code(), missing::toString);
        assertTrue(missing.err().contains("no such checkpoint directory"), missing::toString);
        assertFalse(Files.exists(tmp.resolve("none")));

        Result noTo = cli("checkpoint", "restore", "file:" + root, "latest");
        assertEquals(Cli.USAGE, noTo.code(), noTo::toString);
    }

    @Test
    void aFlippedByteInABlockFailsVerifyNamingTheBlockAndRestoreLatestFallsBack() throws IOException {
        Path root = tmp.resolve("ckpt");
        List<String> ids = checkpoints(root);
        Path blockDir = root.resolve("blocks").resolve(ids.get(2));
        Path block;
        try (Stream<Path> s = Files.list(blockDir)) {
            block = s.filter(p -> !p.getFileName().toString().startsWith("~")).findFirst().orElseThrow();
        }
        flipByte(block, Files.size(block) / 2);
        String blockName = block.getFileName().toString();

        Result verify = cli("checkpoint", "verify", "file:" + root);
        assertEquals(Cli.DAMAGED, verify.code(), verify::toString);
        assertTrue(verify.out().contains(ids.get(2) + "  DAMAGED"), verify::toString);
        assertTrue(verify.out().contains(blockName), verify::toString);
        assertTrue(verify.out().contains(ids.get(1) + "  OK"), verify::toString);
        assertTrue(verify.out().contains("3 checkpoint(s) verified, 1 damaged"), verify::toString);

        Result one = cli("checkpoint", "verify", "file:" + root, ids.get(2));
        assertEquals(Cli.DAMAGED, one.code(), one::toString);

        Result byId = cli("checkpoint", "restore", "file:" + root, ids.get(2), "--to", tmp.resolve("x").toString());
        assertEquals(Cli.DAMAGED, byId.code(), byId::toString);
        assertTrue(byId.err().contains(blockName), byId::toString);

        Path to = tmp.resolve("fallback");
        Result latest = cli("checkpoint", "restore", "file:" + root, "latest", "--to", to.toString());
        assertEquals(Cli.OK, latest.code(), latest::toString);
        assertTrue(latest.out().contains("restored checkpoint " + ids.get(1)), latest::toString);
        assertTrue(latest.out().contains("skipped 1 damaged newer checkpoint(s)"), latest::toString);
        assertTrue(latest.err().contains("falling back"), latest::toString);
        try (KeyValueStore s = KeyValueStore.open(to, StoreDirectory.inspect(to).options())) {
            assertEquals(Map.of("order:1", "paid", "order:2", "new"), contents(s));
        }
    }

    @Test
    void aFlippedByteInAManifestFailsListAndVerifyNamingTheCheckpoint() throws IOException {
        Path root = tmp.resolve("ckpt");
        List<String> ids = checkpoints(root);
        Path manifest;
        try (Stream<Path> s = Files.list(root.resolve("manifests"))) {
            manifest = s.filter(p -> p.getFileName().toString().endsWith("." + ids.get(1))).findFirst().orElseThrow();
        }
        flipByte(manifest, 20);

        Result list = cli("checkpoint", "list", "file:" + root);
        assertEquals(Cli.DAMAGED, list.code(), list::toString);
        assertTrue(list.out().matches("(?s).*" + ids.get(1) + " +DAMAGED: checkpoint '" + ids.get(1) + "'.*"), list::toString);
        assertTrue(list.out().contains(ids.get(0)), list::toString);

        Result verify = cli("checkpoint", "verify", "file:" + root);
        assertEquals(Cli.DAMAGED, verify.code(), verify::toString);
        assertTrue(verify.out().contains(ids.get(1) + "  DAMAGED"), verify::toString);
        assertTrue(verify.out().contains(ids.get(2) + "  DAMAGED"), verify::toString); // its chain needs the damaged one
        assertTrue(verify.out().contains(ids.get(0) + "  OK"), verify::toString);

        Result inspect = cli("checkpoint", "inspect", "file:" + root, ids.get(1));
        assertEquals(Cli.DAMAGED, inspect.code(), inspect::toString);
        assertTrue(inspect.err().contains(ids.get(1)), inspect::toString);
    }

    @Test
    void aMissingBlockIsDamage() throws IOException {
        Path root = tmp.resolve("ckpt");
        List<String> ids = checkpoints(root);
        try (Stream<Path> s = Files.list(root.resolve("blocks").resolve(ids.get(0)))) {
            for (Path p : s.toList()) {
                Files.delete(p);
            }
        }
        Result verify = cli("checkpoint", "verify", "file:" + root, "latest");
        assertEquals(Cli.DAMAGED, verify.code(), verify::toString);
        assertTrue(verify.out().contains(ids.get(2) + "  DAMAGED"), verify::toString);
        assertTrue(verify.out().contains(ids.get(0)), verify::toString);
    }

    @Test
    void aPartitionCheckpointNeedsStoreToRestoreOneOfItsStores() throws IOException {
        Path root = tmp.resolve("ckpt");
        String id;
        try (LocalCheckpointStorage st = LocalCheckpointStorage.open(root);
             StateManager manager = StateManager.open(StateManagerOptions.builder(tmp.resolve("state")).build())) {
            manager.define(StoreOptions.builder().name("clicks").build());
            manager.define(StoreOptions.builder().name("users").sortedIndex(true).build());
            manager.assign(0);
            StatePartition p = manager.partition(0);
            try (Transaction tx = p.begin()) {
                tx.put(p.store("clicks"), b("c1"), b("3"));
                tx.put(p.store("users"), b("u1"), b("ann"));
                tx.put(p.store("users"), b("u2"), b("bob"));
                tx.commit(b("input@7"));
            }
            id = Checkpoints.builder(st, "p0").build().checkpoint(p, false).id();
        }
        Result inspect = cli("checkpoint", "inspect", "file:" + root, id);
        assertEquals(Cli.OK, inspect.code(), inspect::toString);
        assertTrue(inspect.out().contains("partition        0"), inspect::toString);
        assertTrue(inspect.out().contains("positions        7 bytes: \"input@7\""), inspect::toString);
        assertTrue(inspect.out().contains("store 'users'") && inspect.out().contains("sorted index yes"), inspect::toString);

        Result which = cli("checkpoint", "restore", "file:" + root, "latest", "--to", tmp.resolve("r").toString());
        assertEquals(Cli.USAGE, which.code(), which::toString);
        assertTrue(which.err().contains("--store"), which::toString);

        Result users = cli("checkpoint", "restore", "file:" + root, "latest", "--store", "users", "--to", tmp.resolve("users").toString());
        assertEquals(Cli.OK, users.code(), users::toString);
        try (KeyValueStore s = KeyValueStore.open(tmp.resolve("users"), StoreDirectory.inspect(tmp.resolve("users")).options())) {
            assertEquals(Map.of("u1", "ann", "u2", "bob"), contents(s));
            assertTrue(s.options().sortedIndex());
        }
        Result none = cli("checkpoint", "restore", "file:" + root, id, "--store", "orders", "--to", tmp.resolve("o").toString());
        assertEquals(Cli.FAILED, none.code(), none::toString);
        assertTrue(none.err().contains("has no store 'orders'"), none::toString);
    }
}
