package io.offstate.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalCheckpointStorageTest {
    @TempDir
    Path dir;

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void checkpointIsInvisibleUntilPublishedAndCompleteAfter() throws Exception {
        try (LocalCheckpointStorage s = LocalCheckpointStorage.open(dir)) {
            byte[] data = bytes("xxhelloxx");
            s.writeBlock("c1", "b0", data, 2, 5);
            assertEquals(List.of(), s.list());
            assertEquals(List.of("c1"), s.listUnpublished());
            assertThrows(NoSuchFileException.class, () -> s.readManifest("c1"));
            assertArrayEquals(bytes("hello"), s.readBlock("c1", "b0")); // readable while being written
            s.publish("c1", bytes("m1"));
            assertEquals(List.of("c1"), s.list());
            assertEquals(List.of(), s.listUnpublished());
            assertArrayEquals(bytes("m1"), s.readManifest("c1"));
            assertArrayEquals(bytes("hello"), s.readBlock("c1", "b0"));
        }
        try (LocalCheckpointStorage s = LocalCheckpointStorage.open(dir)) { // survives a reopen
            assertEquals(List.of("c1"), s.list());
        }
    }

    @Test
    void listIsInPublicationOrderNotNameOrder() throws Exception {
        try (LocalCheckpointStorage s = LocalCheckpointStorage.open(dir)) {
            for (String id : List.of("z", "a", "m")) {
                s.writeBlock(id, "b", new byte[] {1}, 0, 1);
                s.publish(id, new byte[] {2});
            }
            assertEquals(List.of("z", "a", "m"), s.list());
            s.delete("a");
            s.writeBlock("a", "b", new byte[] {1}, 0, 1);
            s.publish("a", new byte[] {3});
            assertEquals(List.of("z", "m", "a"), s.list());
        }
    }

    @Test
    void writingToAPublishedCheckpointOrPublishingTwiceIsRefused() throws Exception {
        try (LocalCheckpointStorage s = LocalCheckpointStorage.open(dir)) {
            s.publish("c", new byte[0]);
            assertThrows(IllegalStateException.class, () -> s.writeBlock("c", "b", new byte[1], 0, 1));
            assertThrows(IllegalStateException.class, () -> s.publish("c", new byte[0]));
        }
    }

    @Test
    void rewritingABlockReplacesIt() throws Exception {
        try (LocalCheckpointStorage s = LocalCheckpointStorage.open(dir)) {
            s.writeBlock("c", "b", bytes("one"), 0, 3);
            s.writeBlock("c", "b", bytes("two!"), 0, 4);
            assertArrayEquals(bytes("two!"), s.readBlock("c", "b"));
        }
    }

    @Test
    void missingBlockAndManifestAreNoSuchFileNamingThem() throws Exception {
        try (LocalCheckpointStorage s = LocalCheckpointStorage.open(dir)) {
            s.writeBlock("c", "b", new byte[1], 0, 1);
            s.publish("c", new byte[0]);
            NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> s.readBlock("c", "nope"));
            assertTrue(e.getMessage().contains("nope") && e.getMessage().contains("'c'"), e.getMessage());
            NoSuchFileException m = assertThrows(NoSuchFileException.class, () -> s.readManifest("other"));
            assertTrue(m.getMessage().contains("other"), m.getMessage());
        }
    }

    @Test
    void deleteRemovesManifestAndBlocksAndIsIdempotent() throws Exception {
        try (LocalCheckpointStorage s = LocalCheckpointStorage.open(dir)) {
            s.writeBlock("c", "b", new byte[1000], 0, 1000);
            s.publish("c", new byte[0]);
            s.writeBlock("u", "b", new byte[1], 0, 1);
            s.delete("c");
            s.delete("u");
            s.delete("never");
            assertEquals(List.of(), s.list());
            assertEquals(List.of(), s.listUnpublished());
            assertFalse(Files.exists(dir.resolve("blocks").resolve("c")));
            try (var files = Files.list(dir.resolve("manifests"))) {
                assertEquals(0, files.count());
            }
        }
    }

    @Test
    void halfDeletedCheckpointIsUnpublishedNeverPublishedWithMissingBlocks() throws Exception {
        try (LocalCheckpointStorage s = LocalCheckpointStorage.open(dir)) {
            s.writeBlock("c", "b", new byte[1], 0, 1);
            s.publish("c", new byte[0]);
            // a crash after the manifest went: as delete() does it first
            try (var files = Files.list(dir.resolve("manifests"))) {
                for (Path p : files.toList()) {
                    Files.delete(p);
                }
            }
            assertEquals(List.of(), s.list());
            assertEquals(List.of("c"), s.listUnpublished());
        }
    }

    @Test
    void interruptedPublishLeavesNoVisibleCheckpoint() throws Exception {
        try (LocalCheckpointStorage s = LocalCheckpointStorage.open(dir)) {
            s.writeBlock("c", "b", new byte[1], 0, 1);
            Files.write(dir.resolve("blocks/c/~manifest"), new byte[] {1, 2}); // crash before the rename
            assertEquals(List.of(), s.list());
            assertEquals(List.of("c"), s.listUnpublished());
            s.publish("c", new byte[] {9}); // a retry completes it
            assertArrayEquals(new byte[] {9}, s.readManifest("c"));
        }
    }

    @Test
    void invalidNamesAreRefused() throws Exception {
        try (LocalCheckpointStorage s = LocalCheckpointStorage.open(dir)) {
            for (String bad : new String[] {"", "..", ".", "a/b", "a b", "~x", "x".repeat(129)}) {
                assertThrows(IllegalArgumentException.class, () -> s.writeBlock(bad, "b", new byte[1], 0, 1), bad);
                assertThrows(IllegalArgumentException.class, () -> s.writeBlock("c", bad, new byte[1], 0, 1), bad);
                assertThrows(IllegalArgumentException.class, () -> s.readManifest(bad), bad);
            }
            assertThrows(IllegalArgumentException.class, () -> s.delete(null));
            s.writeBlock("A-z_0.9", "x".repeat(128), new byte[1], 0, 1);
            assertEquals(List.of("A-z_0.9"), s.listUnpublished());
        }
    }

    @Test
    void closedStorageRefusesCalls() throws Exception {
        LocalCheckpointStorage s = LocalCheckpointStorage.open(dir);
        s.close();
        s.close();
        assertThrows(IllegalStateException.class, s::list);
    }
}
