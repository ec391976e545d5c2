package io.offstate.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;

/** The checkpoint example proposed for the README, kept as a test (its output is checked). */
class ReadmeCheckpointExampleTest {
    @TempDir
    Path dir;

    @Test
    void example() throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            run(dir.resolve("checkpoints"));
        } finally {
            System.setOut(original);
        }
        assertEquals("chain 2, restored 2 orders\n", out.toString(StandardCharsets.UTF_8));
    }

    private static void run(Path checkpointDir) throws Exception {
        // --- README example starts
        StoreOptions options = StoreOptions.builder().name("orders").build();
        try (CheckpointStorage storage = LocalCheckpointStorage.open(checkpointDir);
             KeyValueStore store = KeyValueStore.create(options)) {
            Checkpoints checkpoints = Checkpoints.builder(storage, "orders")
                .maxChain(8)                                      // a restore reads at most 8 checkpoints
                .retention(Retention.keepLast(24))                // older ones are merged away and deleted
                .build();
            store.put("order:1".getBytes(StandardCharsets.UTF_8), "paid".getBytes(StandardCharsets.UTF_8));
            checkpoints.checkpoint(store, false);                 // full: every page, LZ4 + CRC32C per block
            store.put("order:2".getBytes(StandardCharsets.UTF_8), "new".getBytes(StandardCharsets.UTF_8));
            CheckpointManifest m = checkpoints.checkpoint(store, true);   // only the 4 KiB chunks written since
            RestoreResult r = checkpoints.restoreLatest(options, null);   // null: in memory; or a directory
            try (KeyValueStore restored = r.store()) {            // r.skipped(): damaged newer ones it fell back past
                System.out.println("chain " + m.chainLength() + ", restored " + restored.size() + " orders"); // chain 2, restored 2 orders
            }
        }
        // --- README example ends
    }
}
