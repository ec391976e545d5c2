package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.CorruptStoreFileException;

/**
 * A directory that mixes files of different times (a stale journal copied back, as a file-by-file
 * copy of a live directory can leave) is refused with a {@link CorruptStoreFileException} naming
 * the stale file and both generations, and nothing is changed, instead of opening at an older
 * commit and silently losing the later ones. Generation 1 is the creation (in {@code journal-1}),
 * each flush adds one, alternating between the two journals.
 */
class StaleJournalTest {
    @TempDir
    Path dir;

    static StoreOptions options() {
        return StoreOptions.builder().name("stale").pageSize(4096).build();
    }

    Path journal(int n) {
        return dir.resolve("journal-" + n);
    }

    Path keep(Path file, String as) throws IOException {
        return Files.copy(file, dir.resolveSibling(dir.getFileName() + "-" + as), StandardCopyOption.REPLACE_EXISTING);
    }

    Map<String, byte[]> files() throws IOException {
        Map<String, byte[]> m = new TreeMap<>();
        try (Stream<Path> files = Files.list(dir)) {
            for (Path p : (Iterable<Path>) files::iterator) {
                if (!p.getFileName().toString().equals("offstate.lock")) {
                    m.put(p.getFileName().toString(), Files.readAllBytes(p));
                }
            }
        }
        return m;
    }

    /** Opening is refused naming {@code file} and its message's {@code words}; no file changes; the lock is free after. */
    CorruptStoreFileException refused(Path file, String... words) throws IOException {
        Map<String, byte[]> before = files();
        CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> KeyValueStore.open(dir, options()));
        assertEquals(file.getFileName(), e.file().getFileName(), e.getMessage());
        assertTrue(e.getMessage().contains("stale journal"), e.getMessage());
        for (String w : words) {
            assertTrue(e.getMessage().contains(w), "'" + w + "' in: " + e.getMessage());
        }
        Map<String, byte[]> after = files();
        assertEquals(before.keySet(), after.keySet(), "a refused open deletes or adds no file");
        for (String name : before.keySet()) {
            assertArrayEquals(before.get(name), after.get(name), name + " was changed by a refused open");
        }
        return e;
    }

    @Test
    void theIssueReproIsRefusedInsteadOfRollingBack() throws IOException {
        Path stale;
        Path current;
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            s.put(utf8("a"), utf8("A"));
            s.flush(); // generation 2, in journal-0
            assertEquals(2, s.flushGeneration());
            stale = keep(journal(0), "journal-0-gen2");
            s.put(utf8("b"), utf8("B"));
            s.flush(); // generation 3, in journal-1
            s.put(utf8("c"), utf8("C"));
            s.delete(utf8("a"));
        } // generation 4, in journal-0; journal-1 is marked superseded
        current = keep(journal(0), "journal-0-gen4");
        Files.copy(stale, journal(0), StandardCopyOption.REPLACE_EXISTING);
        refused(journal(0), "generation 2", "generation 3", "generation 4", "journal-1", "superseded");

        Files.copy(current, journal(0), StandardCopyOption.REPLACE_EXISTING); // the right file back: all is there
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            assertEquals(4, s.flushGeneration());
            assertNull(s.getCopy(utf8("a")));
            assertArrayEquals(utf8("B"), s.getCopy(utf8("b")));
            assertArrayEquals(utf8("C"), s.getCopy(utf8("c")));
            assertEquals(2, s.size());
            s.verifyFiles();
        }
    }

    @Test
    void aStaleCopyOfTheOtherJournalIsRefusedToo() throws IOException {
        Path stale;
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            s.put(utf8("a"), utf8("A"));
            s.flush(); // 2, journal-0
            s.put(utf8("b"), utf8("B"));
            s.flush(); // 3, journal-1
            stale = keep(journal(1), "journal-1-gen3");
            s.put(utf8("c"), utf8("C"));
            s.flush(); // 4, journal-0
            s.put(utf8("d"), utf8("D"));
        } // 5, journal-1: journal-0 (4) is superseded
        Files.copy(stale, journal(1), StandardCopyOption.REPLACE_EXISTING);
        refused(journal(1), "generation 3", "generation 4", "generation 5", "journal-0");
    }

    @Test
    void aJournalTwoOrMoreGenerationsBehindIsRefusedEvenIfTheNewestIsIntact() throws IOException {
        Path stale;
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            s.put(utf8("a"), utf8("A"));
            s.flush(); // 2, journal-0
            stale = keep(journal(0), "journal-0-gen2");
            s.put(utf8("b"), utf8("B"));
            s.flush(); // 3
            s.put(utf8("c"), utf8("C"));
            s.flush(); // 4, journal-0
        } // 5, journal-1, not superseded
        Files.copy(stale, journal(0), StandardCopyOption.REPLACE_EXISTING); // journals 2 and 5 cannot be neighbours
        refused(journal(0), "generation 2", "generation 5", "generation 4");
    }

    @Test
    void aSegmentFileWrittenByALaterCommitProvesBothJournalsStale() throws IOException {
        Path stale0;
        Path stale1;
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            s.put(utf8("a"), utf8("A"));
            s.flush(); // 2
            stale0 = keep(journal(0), "journal-0-gen2");
            stale1 = keep(journal(1), "journal-1-gen1");
            s.put(utf8("large"), pattern(600_000, 3)); // a new segment file, written in place by the next commit
            s.flush(); // 3
        } // 4
        Files.copy(stale0, journal(0), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(stale1, journal(1), StandardCopyOption.REPLACE_EXISTING); // a consistent pair, older than the data files
        CorruptStoreFileException e = refused(journal(0), "generation 2", "written by a later commit");
        assertTrue(e.getMessage().contains(".sum"), e.getMessage());
    }

    @Test
    void crashStatesBetweenTwoCommitsStillOpen() throws IOException {
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            s.put(utf8("a"), utf8("A"));
            s.flush();
            s.put(utf8("large"), pattern(600_000, 3)); // a segment file created after the last commit, never committed
            s.closeWithoutFlush();
        }
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            assertEquals(2, s.flushGeneration());
            assertArrayEquals(utf8("A"), s.getCopy(utf8("a")));
            assertNull(s.getCopy(utf8("large")));
            s.verifyFiles();
        }
    }
}
