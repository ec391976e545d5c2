package io.offstate.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;

/**
 * README.md's checkpoint example, kept as a test: it runs and its output is checked, and the README
 * shows exactly this code ({@link #readmeShowsThisExample}).
 */
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

    /** README.md's checkpoint example is the code of {@link #run}, line for line (trimmed, blank lines dropped). */
    @Test
    void readmeShowsThisExample() throws Exception {
        Path source = Path.of("src", "test", "java", "io", "offstate", "checkpoint", "ReadmeCheckpointExampleTest.java");
        List<String> lines = Files.readAllLines(source, StandardCharsets.UTF_8);
        int begin = lines.indexOf("        // --- README example starts");
        int end = lines.indexOf("        // --- README example ends");
        assertTrue(begin >= 0 && end > begin + 10, "markers in " + source.toAbsolutePath());
        List<String> example = normalize(lines.subList(begin + 1, end));
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = null;
        for (String line : Files.readAllLines(Path.of("..", "README.md"), StandardCharsets.UTF_8)) {
            String t = line.strip();
            if (current == null && t.equals("```java")) {
                current = new ArrayList<>();
            } else if (current != null && t.equals("```")) {
                blocks.add(normalize(current));
                current = null;
            } else if (current != null) {
                current.add(line);
            }
        }
        assertTrue(blocks.contains(example), "README.md has no ```java block equal to the example between the markers of " + source);
    }

    private static List<String> normalize(List<String> lines) {
        return lines.stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
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
            CheckpointManifest m = checkpoints.checkpoint(store, true);   // only the 64-byte lines written since
            RestoreResult r = checkpoints.restoreLatest(options, null);   // null: in memory; or a directory
            try (KeyValueStore restored = r.store()) {            // r.skipped(): damaged newer ones it fell back past
                System.out.println("chain " + m.chainLength() + ", restored " + restored.size() + " orders"); // chain 2, restored 2 orders
            }
        }
        // --- README example ends
    }
}
