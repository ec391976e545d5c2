package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.offstate.engine.serde.Serdes;
import io.offstate.engine.serde.TypedStore;

/**
 * The usage example of README.md, kept compiling and correct. {@link #readmeShowsExactlyThisExample}
 * fails if README.md and the lines between the markers below drift apart.
 */
class ReadmeExampleTest {
    private static final Path SOURCE = Path.of("src", "test", "java", "io", "offstate", "engine", "ReadmeExampleTest.java");
    private static final Path README = Path.of("..", "README.md");
    private static final String BEGIN = "// README-EXAMPLE-BEGIN";
    private static final String END = "// README-EXAMPLE-END";
    private static final String SORTED_BEGIN = "// README-SORTED-BEGIN";
    private static final String SORTED_END = "// README-SORTED-END";
    private static final String FILES_BEGIN = "// README-FILES-BEGIN";
    private static final String FILES_END = "// README-FILES-END";
    private static final String STATE_BEGIN = "// README-STATE-BEGIN";
    private static final String STATE_END = "// README-STATE-END";

    private final PrintStream stdout = System.out;

    @AfterEach
    void restoreStdout() {
        System.setOut(stdout);
    }

    @Test
    void readmeExampleRunsAndPrintsWhatItsCommentsSay() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));

        // README-EXAMPLE-BEGIN
        StoreOptions options = StoreOptions.builder()
            .name("sessions")
            .memoryBudget(64L << 20)                              // hard off-heap limit: 64 MiB
            .build();
        try (KeyValueStore store = KeyValueStore.create(options)) {
            store.put("user:1".getBytes(StandardCharsets.UTF_8), "alice".getBytes(StandardCharsets.UTF_8));
            store.put("user:2".getBytes(StandardCharsets.UTF_8), "bob".getBytes(StandardCharsets.UTF_8));

            ValueView view = new ValueView();                     // reusable: get() fills it, no copy
            if (store.get("user:1".getBytes(StandardCharsets.UTF_8), view)) {
                System.out.println("user:1 -> " + view.length() + " bytes");   // user:1 -> 5 bytes
            }
            byte[] bob = store.getCopy("user:2".getBytes(StandardCharsets.UTF_8)); // a copy, safe to keep
            store.delete("user:2".getBytes(StandardCharsets.UTF_8));

            TypedStore<String, Long> counters = TypedStore.of(store, Serdes.UTF8, Serdes.LONG);
            counters.putLong("clicks", counters.getLong("clicks", 0) + 1);

            try (StoreSnapshot snapshot = store.snapshot()) {
                counters.putLong("clicks", 100);
                store.restore(snapshot);                          // back to the state at snapshot()
            }
            System.out.println(new String(bob, StandardCharsets.UTF_8) + ", clicks="
                + counters.getLong("clicks", 0) + ", entries=" + store.size());  // bob, clicks=1, entries=2
        }
        // README-EXAMPLE-END

        System.setOut(stdout);
        assertEquals(List.of("user:1 -> 5 bytes", "bob, clicks=1, entries=2"),
            printed.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void readmeOrderedReadsExampleRunsAndPrintsWhatItsCommentsSay() {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));

        // README-SORTED-BEGIN
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().sortedIndex(true).build())) {
            for (String user : List.of("user:2", "user:10", "user:1", "group:1")) {
                store.put(user.getBytes(StandardCharsets.UTF_8), user.toUpperCase().getBytes(StandardCharsets.UTF_8));
            }
            Cursor cursor = store.cursor();                       // reusable: positioning and steps allocate nothing
            cursor.prefix("user:".getBytes(StandardCharsets.UTF_8));   // or range(from, to), rangeReverse, prefixReverse
            while (cursor.next()) {                               // key() and value() are zero-copy views
                System.out.println(new String(cursor.key().toByteArray(), StandardCharsets.UTF_8)); // user:1, user:10, user:2
            }
            if (cursor.seek("user:15".getBytes(StandardCharsets.UTF_8))) {   // on the first key >= "user:15"
                System.out.println("seek -> " + new String(cursor.value().toByteArray(), StandardCharsets.UTF_8)); // seek -> USER:2
            }
        }
        // README-SORTED-END

        System.setOut(stdout);
        assertEquals(List.of("user:1", "user:10", "user:2", "seek -> USER:2"),
            printed.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void readmeFileBackedExampleRunsAndPrintsWhatItsCommentsSay(@org.junit.jupiter.api.io.TempDir Path tmp) {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));
        Path directory = tmp.resolve("orders-p3");

        // README-FILES-BEGIN
        StoreOptions options = StoreOptions.builder().name("orders-p3").build();
        try (KeyValueStore store = KeyValueStore.open(directory, options)) {   // creates it, or reopens it as last flushed
            store.put("order:1".getBytes(StandardCharsets.UTF_8), "paid".getBytes(StandardCharsets.UTF_8));
            store.flush();                                        // durable and atomic: a crash now keeps order:1
            store.put("order:2".getBytes(StandardCharsets.UTF_8), "new".getBytes(StandardCharsets.UTF_8));
        }                                                         // close() flushes too
        try (KeyValueStore store = KeyValueStore.open(directory, options)) {   // maps the files: nothing is rebuilt
            System.out.println(store.size() + " orders, generation " + store.flushGeneration());  // 2 orders, generation 3
            store.put("order:3".getBytes(StandardCharsets.UTF_8), "lost".getBytes(StandardCharsets.UTF_8));
            store.closeWithoutFlush();                            // as if the process died: order:3 is gone
        }
        // README-FILES-END

        try (KeyValueStore store = KeyValueStore.open(directory, StoreOptions.builder().name("orders-p3").build())) {
            assertEquals(2, store.size());
            assertEquals(3, store.flushGeneration());
        }
        System.setOut(stdout);
        assertEquals(List.of("2 orders, generation 3"), printed.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void readmeStateManagerExampleRunsAndPrintsWhatItsCommentsSay(@org.junit.jupiter.api.io.TempDir Path stateDir) {
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        System.setOut(new PrintStream(printed, true, StandardCharsets.UTF_8));

        // README-STATE-BEGIN
        StateManagerOptions options = StateManagerOptions.builder(stateDir)
            .memoryBudget(1L << 30)                               // one cap for all stores of all partitions
            .build();                                             // log: fsync every commit (WalOptions.defaults())
        try (StateManager manager = StateManager.open(options)) {
            manager.define(StoreOptions.builder().name("clicks").build());
            manager.assign(0, 1);                                 // opens stateDir/clicks/0 and /1, replays the log
            StatePartition partition = manager.partition(0);
            KeyValueStore clicks = partition.store("clicks");
            byte[] user = "user:1".getBytes(StandardCharsets.UTF_8);
            try (Transaction tx = partition.begin()) {
                tx.put(clicks, user, "3".getBytes(StandardCharsets.UTF_8));
                System.out.println("inside " + tx.contains(clicks, user) + ", outside " + clicks.contains(user)); // inside true, outside false
                tx.commit("clicks-0@42".getBytes(StandardCharsets.UTF_8));   // in the log (fsync), then in the store
            }
            manager.revoke(0);                                    // flushes and closes partition 0's stores
            manager.assign(0);                                    // also after a crash: flush + log replay
            StatePartition again = manager.partition(0);
            System.out.println(new String(again.committedPositions(), StandardCharsets.UTF_8) + ", "
                + again.store("clicks").size() + " user");        // clicks-0@42, 1 user
        }
        // README-STATE-END

        System.setOut(stdout);
        assertEquals(List.of("inside true, outside false", "clicks-0@42, 1 user"),
            printed.toString(StandardCharsets.UTF_8).lines().toList());
    }

    @Test
    void readmeShowsExactlyThisStateManagerExample() throws IOException {
        assertReadmeShows(STATE_BEGIN, STATE_END, 15, 25);
    }

    @Test
    void readmeShowsExactlyThisFileBackedExample() throws IOException {
        assertReadmeShows(FILES_BEGIN, FILES_END, 8, 20);
    }

    @Test
    void readmeShowsExactlyThisExample() throws IOException {
        assertReadmeShows(BEGIN, END, 15, 25);
    }

    @Test
    void readmeShowsExactlyThisOrderedReadsExample() throws IOException {
        assertReadmeShows(SORTED_BEGIN, SORTED_END, 8, 20);
    }

    private static void assertReadmeShows(String beginMarker, String endMarker, int minLines, int maxLines) throws IOException {
        ReadmeBlocks.assertReadmeShows(SOURCE, beginMarker, endMarker, minLines, maxLines);
    }
}
