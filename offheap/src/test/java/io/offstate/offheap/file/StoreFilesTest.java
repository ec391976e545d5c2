package io.offstate.offheap.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The facade's contract beyond commit and recovery (which CommitCrashPointTest covers). */
class StoreFilesTest {
    @TempDir
    Path dir;

    @Test
    void anOpenThatFailsInRecoveryLeavesTheDirectoryFreeForTheNextOpen() throws IOException {
        Files.createDirectories(dir.resolve("journal-0")); // reading it fails with an IOException ("Is a directory")
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> StoreFiles.open(dir));
        assertTrue(e.getMessage().startsWith("cannot open store directory "), e.getMessage());
        Files.delete(dir.resolve("journal-0"));
        try (StoreFiles f = StoreFiles.open(dir)) { // was refused: "locked by a store in this process"
            assertEquals(0, f.generation());
            assertNull(f.storeMeta());
        }
    }
}
