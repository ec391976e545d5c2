package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.StoreFileException;
import io.offstate.offheap.UnsupportedFormatVersionException;

/**
 * Damaged and foreign files: each case throws a specific exception naming the file (and what is
 * wrong), leaves every file as it was, and releases the directory; data chunks are checked by
 * {@link KeyValueStore#verifyFiles()}. The store is built with generation 1 (creation) in
 * {@code journal-1} and generation 2 (close) in {@code journal-0}.
 */
class CorruptStoreFileTest {
    static final int KEYS = 3000;

    @TempDir
    Path dir;

    static StoreOptions options() {
        return StoreOptions.builder().name("corrupt").pageSize(4096).sortedIndex(true).build();
    }

    @BeforeEach
    void build() {
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            for (int i = 0; i < KEYS; i++) {
                s.put(utf8("key-" + i), pattern(40, i));
            }
            s.put(utf8("large"), pattern(5000, 7)); // a large block: a segment file of its own
        }
    }

    Path latestJournal() {
        return dir.resolve("journal-0");
    }

    Path segment(boolean largest) throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().startsWith("seg-") && p.getFileName().toString().endsWith(".dat"))
                .sorted((a, b) -> {
                    try {
                        return Long.compare(Files.size(largest ? b : a), Files.size(largest ? a : b));
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                }).findFirst().orElseThrow();
        }
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

    static void flipBit(Path file, long offset, int bit) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int b = f.read();
            f.seek(offset);
            f.write(b ^ (1 << bit));
        }
    }

    static void truncate(Path file, long length) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.setLength(length);
        }
    }

    /** Opens, expects {@code type} naming {@code file}, and checks that nothing was changed and the lock is free. */
    <T extends StoreFileException> T refused(Class<T> type, Path file, String problem) throws IOException {
        Map<String, byte[]> before = files();
        T e = assertThrows(type, () -> KeyValueStore.open(dir, options()));
        assertEquals(file.toAbsolutePath(), e.file().toAbsolutePath());
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
        assertTrue(e.getMessage().contains(problem), e.getMessage());
        Map<String, byte[]> after = files();
        assertEquals(before.keySet(), after.keySet(), "a refused open deletes or adds no file");
        for (String name : before.keySet()) {
            assertArrayEquals(before.get(name), after.get(name), name + " was changed by a refused open");
        }
        // and the directory lock was released: a refused open can be retried
        assertThrows(type, () -> KeyValueStore.open(dir, options()));
        return e;
    }

    @Test
    void theIntactStoreOpensAndVerifies() {
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            assertEquals(KEYS + 1, s.size());
            s.verifyFiles();
        }
    }

    @Test
    void truncatedJournal() throws IOException {
        truncate(latestJournal(), 40);
        refused(CorruptStoreFileException.class, latestJournal(), "truncated");
    }

    @Test
    void journalTruncatedInsideItsMetadata() throws IOException {
        truncate(latestJournal(), 100);
        refused(CorruptStoreFileException.class, latestJournal(), "truncated");
    }

    @Test
    void bitFlippedJournalHeader() throws IOException {
        flipBit(latestJournal(), 17, 3); // inside the generation
        refused(CorruptStoreFileException.class, latestJournal(), "header checksum");
    }

    @Test
    void bitFlippedJournalMetadata() throws IOException {
        flipBit(latestJournal(), 64 + 30, 0);
        refused(CorruptStoreFileException.class, latestJournal(), "metadata checksum");
    }

    @Test
    void wrongMagicIsAForeignFile() throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(latestJournal().toFile(), "rw")) {
            f.write("NOTOURS!".getBytes());
        }
        refused(CorruptStoreFileException.class, latestJournal(), "wrong magic");
    }

    @Test
    void aNewerFormatVersionIsRefusedAsSuch() throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(latestJournal().toFile(), "rw")) {
            f.seek(8);
            f.write(new byte[] {9, 0, 0, 0});
        }
        resealJournalHeader(latestJournal()); // a genuinely newer journal: its header CRC checks out
        UnsupportedFormatVersionException e = refused(UnsupportedFormatVersionException.class, latestJournal(), "newer");
        assertEquals(9, e.version());
    }

    @Test
    void aFlippedVersionByteIsCorruptionNotANewerFormat() throws IOException {
        flipBit(latestJournal(), 8, 3); // version 1 reads as 9, but the header CRC no longer matches
        refused(CorruptStoreFileException.class, latestJournal(), "header checksum");
    }

    /** Rewrites a journal header's CRC32C (bytes [0, 12) and [16, 48), stored at 48) over its current fields. */
    static void resealJournalHeader(Path journal) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(journal.toFile(), "rw")) {
            byte[] h = new byte[64];
            f.readFully(h);
            java.util.zip.CRC32C crc = new java.util.zip.CRC32C();
            crc.update(h, 0, 12);
            crc.update(h, 16, 32);
            int c = (int) crc.getValue();
            f.seek(48);
            f.write(new byte[] {(byte) c, (byte) (c >>> 8), (byte) (c >>> 16), (byte) (c >>> 24)});
        }
    }

    @Test
    void missingJournalsWithDataPresent() throws IOException {
        Files.delete(dir.resolve("journal-0"));
        Files.delete(dir.resolve("journal-1"));
        refused(CorruptStoreFileException.class, dir.resolve("journal-0"), "missing");
    }

    @Test
    void missingLatestJournal() throws IOException {
        Files.delete(dir.resolve("journal-0"));
        refused(CorruptStoreFileException.class, dir.resolve("journal-0"), "missing");
    }

    @Test
    void truncatedPagesFile() throws IOException {
        Path pages = dir.resolve("pages.dat");
        // pages are mapped in extents, so the file runs (sparsely) past the committed pages: cut into page 1 itself
        truncate(pages, 4096 + 100);
        refused(CorruptStoreFileException.class, pages, "truncated");
    }

    @Test
    void truncatedSegmentFile() throws IOException {
        Path seg = segment(true);
        truncate(seg, Files.size(seg) - 1);
        refused(CorruptStoreFileException.class, seg, "truncated");
    }

    @Test
    void missingSegmentFile() throws IOException {
        Path seg = segment(false);
        Files.delete(seg);
        refused(CorruptStoreFileException.class, seg, "missing");
    }

    @Test
    void aBitFlippedDataPageIsFoundByVerifyFiles() throws IOException {
        Path pages = dir.resolve("pages.dat");
        long offset = 4096 * 3 + 123;
        flipBit(pages, offset, 5);
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, s::verifyFiles);
            assertEquals(pages.toAbsolutePath(), e.file().toAbsolutePath());
            assertTrue(e.getMessage().contains("checksum mismatch") && e.getMessage().contains("byte " + (4096 * 3)), e.getMessage());
        }
    }

    @Test
    void aBitFlippedSegmentIsFoundByVerifyFiles() throws IOException {
        Path seg = segment(true);
        flipBit(seg, Files.size(seg) - 10, 1);
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, s::verifyFiles);
            assertEquals(seg.toAbsolutePath(), e.file().toAbsolutePath());
        }
    }

    @Test
    void aBitFlippedChecksumIsFoundByVerifyFiles() throws IOException {
        flipBit(dir.resolve("pages.sum"), 8 * 2 + 1, 2);
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, s::verifyFiles);
            assertTrue(e.getMessage().contains("pages.sum"), e.getMessage());
        }
    }

    /**
     * Random damage to the data files of a hash-only store never crashes the JVM and is never
     * served: every read either answers correctly or throws {@link CorruptStoreFileException}, and
     * {@code verifyFiles} names the damage.
     */
    @Test
    void randomDamageToDataFilesNeverCrashesAndIsFound() throws IOException {
        Path plain = dir.resolve("plain");
        StoreOptions o = StoreOptions.builder().pageSize(4096).build();
        try (KeyValueStore s = KeyValueStore.open(plain, o)) {
            for (int i = 0; i < KEYS; i++) {
                s.put(utf8("key-" + i), pattern(40, i));
            }
        }
        Random random = new Random(11);
        java.util.List<Path> data;
        try (Stream<Path> files = Files.list(plain)) {
            data = files.filter(p -> p.getFileName().toString().endsWith(".dat")).sorted().toList();
        }
        assertEquals(2, data.size(), "pages.dat and one hash table: " + data);
        for (Path f : data) {
            long size = Files.size(f);
            for (int i = 0; i < 200; i++) {
                flipBit(f, (long) (random.nextDouble() * size), random.nextInt(8));
            }
        }
        try (KeyValueStore s = KeyValueStore.open(plain, o)) {
            int refused = 0;
            for (int i = 0; i < KEYS; i++) {
                byte[] v;
                try {
                    v = s.getCopy(utf8("key-" + i));
                } catch (CorruptStoreFileException expected) {
                    refused++; // checked reads: a damaged chunk is refused on first touch
                    continue;
                }
                assertArrayEquals(pattern(40, i), v, "key-" + i + " is answered correctly or refused, never served wrong");
            }
            assertTrue(refused > 0);
            assertNotNull(assertThrows(CorruptStoreFileException.class, s::verifyFiles).file());
        }
    }
}
