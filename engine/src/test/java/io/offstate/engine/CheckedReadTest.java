package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.CorruptStoreFileException;

/**
 * Checked reads of a reopened file-backed store: opening checks no data chunk, but no byte of
 * {@code pages.dat} or a {@code seg-*.dat} file is served before its chunk's CRC32C was checked.
 * A flipped bit is therefore refused at the first read that touches it (naming the file), every
 * read that touches only intact chunks is answered correctly, and a write into the damaged chunk
 * is refused, so the damage is never summed as valid.
 */
class CheckedReadTest {
    static final int KEYS = 3000;
    static final int LARGE = 5000;

    @TempDir
    Path dir;

    static StoreOptions options() {
        // 4 KiB pages: many pages; 16 expected entries: the hash table is a segment file that grew
        return StoreOptions.builder().name("checked").pageSize(4096).expectedEntries(16).hashSeed(5).build();
    }

    static byte[] key(int i) {
        return utf8("key-" + i);
    }

    /** A value no other value contains, so its offset in pages.dat can be found. */
    static byte[] value(int i) {
        return utf8(String.format("value-of-key-%06d-padding-padding", i));
    }

    @BeforeEach
    void build() {
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            for (int i = 0; i < KEYS; i++) {
                s.put(key(i), value(i));
            }
            s.put(utf8("large"), pattern(LARGE, 7)); // larger than a quarter page: a segment file of its own
        }
    }

    /** Segment files by size: the large value's entry (a little over {@value #LARGE} bytes) and the hash table (the largest). */
    List<Path> segments() throws IOException {
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches("seg-.*\\.dat")).sorted((a, b) -> {
                try {
                    return Long.compare(Files.size(a), Files.size(b));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    Path largeValueFile() throws IOException {
        for (Path p : segments()) {
            if (Files.size(p) >= LARGE && Files.size(p) < LARGE + 64) { // the value and its entry header
                return p;
            }
        }
        throw new AssertionError("no segment of " + LARGE + " bytes: " + segments());
    }

    Path hashTableFile() throws IOException {
        List<Path> s = segments();
        return s.get(s.size() - 1);
    }

    static long indexOf(byte[] haystack, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /** Offsets of every key's value in pages.dat. */
    long[] valueOffsets() throws IOException {
        byte[] pages = Files.readAllBytes(dir.resolve("pages.dat"));
        long[] at = new long[KEYS];
        for (int i = 0; i < KEYS; i++) {
            at[i] = indexOf(pages, value(i));
            assertTrue(at[i] > 0, "value of key " + i + " is in pages.dat");
        }
        return at;
    }

    static void assertNamesFile(CorruptStoreFileException e, Path file) {
        assertEquals(file.getFileName(), e.file().getFileName(), e.getMessage());
        assertTrue(e.getMessage().contains(file.getFileName().toString()), e.getMessage());
    }

    @Test
    void aReopenedIntactStoreServesEveryByte() {
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            for (int i = 0; i < KEYS; i++) {
                assertArrayEquals(value(i), s.getCopy(key(i)), "key " + i);
            }
            assertArrayEquals(pattern(LARGE, 7), s.getCopy(utf8("large")));
            int[] seen = {0};
            s.forEach((k, v) -> seen[0]++);
            assertEquals(KEYS + 1, seen[0]);
            s.put(key(KEYS), value(KEYS)); // writes after checked reads flush and reopen as usual
        }
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            assertArrayEquals(value(KEYS), s.getCopy(key(KEYS)));
            s.verifyFiles();
        }
    }

    @Test
    void aFlippedBitInAPageIsRefusedAtFirstTouchAndOtherPagesAreServed() throws IOException {
        long[] at = valueOffsets();
        int victim = 1234;
        CorruptStoreFileTest.flipBit(dir.resolve("pages.dat"), at[victim] + 10, 0);
        long damagedPage = (at[victim] + 10) / 4096;
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> s.getCopy(key(victim)));
            assertNamesFile(e, dir.resolve("pages.dat"));
            assertTrue(e.getMessage().contains("checksum mismatch"), e.getMessage());
            // still unverified: the second touch is refused too, never served
            assertThrows(CorruptStoreFileException.class, () -> s.getCopy(key(victim)));
            int served = 0;
            for (int i = 0; i < KEYS; i++) {
                if (at[i] / 4096 != damagedPage && (at[i] + value(i).length - 1) / 4096 != damagedPage) {
                    assertArrayEquals(value(i), s.getCopy(key(i)), "key " + i + " lies in an intact page");
                    served++;
                }
            }
            assertTrue(served > KEYS - 200, "served " + served);
        }
    }

    @Test
    void aFlippedBitInALargeValueIsRefusedAtFirstTouch() throws IOException {
        Path large = largeValueFile();
        CorruptStoreFileTest.flipBit(large, 4100, 3); // the second chunk
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> s.getCopy(utf8("large")));
            assertNamesFile(e, large);
            assertTrue(e.getMessage().contains("byte 4096"), e.getMessage());
            assertThrows(CorruptStoreFileException.class, () -> s.getCopy(utf8("large")));
            for (int i = 0; i < KEYS; i++) {
                assertArrayEquals(value(i), s.getCopy(key(i)), "key " + i);
            }
        }
    }

    @Test
    void aFlippedBitInTheHashTableIsRefusedByTheLookupsThatProbeItsChunk() throws IOException {
        Path table = hashTableFile();
        assertTrue(Files.size(table) >= 4 * 4096, "a table of several chunks: " + Files.size(table));
        long chunk = 2;
        CorruptStoreFileTest.flipBit(table, chunk * 4096 + 100, 5);
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            int refused = 0;
            int served = 0;
            for (int i = 0; i < KEYS; i++) {
                byte[] v;
                try {
                    v = s.getCopy(key(i));
                } catch (CorruptStoreFileException e) {
                    assertNamesFile(e, table);
                    assertTrue(e.getMessage().contains("byte " + chunk * 4096), e.getMessage());
                    refused++;
                    continue;
                }
                assertArrayEquals(value(i), v, "key " + i + " is answered correctly or not at all");
                served++;
            }
            assertTrue(refused > 0, "some lookups probe the damaged chunk");
            assertTrue(served > KEYS / 2, "lookups elsewhere are served: " + served + ", refused " + refused);
            int writesRefused = 0;
            for (int i = 0; i < KEYS; i++) { // a write whose probe reads the damaged chunk is refused before it changes it
                try {
                    s.put(key(i), value(i + 1));
                } catch (CorruptStoreFileException e) {
                    writesRefused++;
                }
            }
            assertTrue(writesRefused > 0);
        }
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            assertNamesFile(assertThrows(CorruptStoreFileException.class, s::verifyFiles), table); // not summed as valid
        }
    }

    @Test
    void aWriteIntoADamagedChunkIsRefusedAndTheDamageIsNotSummedAsValid() throws IOException {
        long[] at = valueOffsets();
        int victim = 2000;
        CorruptStoreFileTest.flipBit(dir.resolve("pages.dat"), at[victim] + 3, 1);
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            assertThrows(CorruptStoreFileException.class, () -> s.put(key(victim), value(victim + 1)));
            assertThrows(CorruptStoreFileException.class, () -> s.delete(key(victim)));
            assertThrows(CorruptStoreFileException.class, s::flush);
        }
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            assertNamesFile(assertThrows(CorruptStoreFileException.class, () -> s.getCopy(key(victim))), dir.resolve("pages.dat"));
            assertNamesFile(assertThrows(CorruptStoreFileException.class, s::verifyFiles), dir.resolve("pages.dat"));
        }
    }

    @Test
    void scansOfADamagedSortedStoreServeOnlyCheckedBytes() throws IOException {
        Path sortedDir = dir.resolve("sorted");
        StoreOptions o = StoreOptions.builder().name("sorted").pageSize(4096).expectedEntries(16).sortedIndex(true)
            .dictionaryKeyComponent(io.offstate.offheap.KeyComponent.untilDelimiter((byte) '-')).build();
        try (KeyValueStore s = KeyValueStore.open(sortedDir, o)) {
            for (int i = 0; i < KEYS; i++) {
                s.put(key(i), value(i));
            }
        }
        byte[] pages = Files.readAllBytes(sortedDir.resolve("pages.dat"));
        long at = indexOf(pages, value(1500));
        assertTrue(at > 0);
        CorruptStoreFileTest.flipBit(sortedDir.resolve("pages.dat"), at + 2, 4);
        try (KeyValueStore s = KeyValueStore.open(sortedDir, o)) {
            java.util.Map<String, byte[]> expected = new java.util.HashMap<>();
            for (int i = 0; i < KEYS; i++) {
                expected.put("key-" + i, value(i));
            }
            int[] seen = {0};
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> s.forEach((k, v) -> {
                String name = TestData.string(k.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE));
                assertArrayEquals(expected.get(name), v.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), name);
                seen[0]++;
            }));
            assertNamesFile(e, sortedDir.resolve("pages.dat"));
            assertTrue(seen[0] < KEYS, "the scan stopped at the damaged page");
            Cursor c = s.cursor().range(null, null);
            int scanned = 0;
            try {
                while (c.next()) {
                    String name = TestData.string(c.key().toByteArray());
                    assertArrayEquals(expected.get(name), c.value().toByteArray(), name);
                    scanned++;
                }
                throw new AssertionError("a full scan crosses the damaged page, read " + scanned);
            } catch (CorruptStoreFileException refused) {
                assertNamesFile(refused, sortedDir.resolve("pages.dat"));
            }
        }
    }

    @Test
    void aSnapshotOfAReopenedStoreDoesNotTakeInUncheckedDamage() throws IOException {
        long[] at = valueOffsets();
        CorruptStoreFileTest.flipBit(dir.resolve("pages.dat"), at[17] + 5, 6);
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            assertNamesFile(assertThrows(CorruptStoreFileException.class, s::snapshot), dir.resolve("pages.dat"));
        }
    }
}
