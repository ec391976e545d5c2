package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreLockedException;

/** {@link StoreDirectory}: reading a directory's settings and checking its chunks without knowing its options. */
class StoreDirectoryTest {
    @TempDir
    Path tmp;

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private Path store(StoreOptions options, int n) {
        Path dir = tmp.resolve("s");
        try (KeyValueStore s = KeyValueStore.open(dir, options)) {
            for (int i = 0; i < n; i++) {
                s.put(b("tenant" + (i % 7) + ":" + i), b("v" + i));
            }
            s.put(b("tenant0:large"), new byte[300_000]); // a value in a segment of its own
            s.flush(b("pos=9"));
        }
        return dir;
    }

    @Test
    void inspectReadsTheStoredOptionsWithoutBeingTold() {
        StoreOptions created = StoreOptions.builder().name("x").pageSize(16 * 1024).sortedIndex(true).hashSeed(1234)
            .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) ':')).maxDictionaryCodes(500).build();
        Path dir = store(created, 5000);
        StoreDirectory.Info info = StoreDirectory.inspect(dir);
        assertEquals(5001, info.entries());
        assertEquals(16 * 1024, info.options().pageSize());
        assertTrue(info.options().sortedIndex());
        assertEquals(1234, info.options().hashSeed());
        assertEquals(KeyComponent.untilDelimiter((byte) ':'), info.options().dictionaryKeyComponent());
        assertEquals(500, info.options().maxDictionaryCodes());
        assertEquals(7, info.dictionarySize());
        assertTrue(info.sortedIndexNodes() > 0);
        assertTrue(info.largeValueBytes() >= 300_000);
        assertArrayEquals(b("pos=9"), info.flushMetadata());
        assertTrue(info.files() >= 4 && info.fileBytes() > 0, info::toString);
        // nothing written: the same generation again, and the options reopen it
        assertEquals(info.generation(), StoreDirectory.inspect(dir).generation());
        try (KeyValueStore s = KeyValueStore.open(dir, info.options())) {
            assertEquals(info.generation(), s.flushGeneration());
            assertEquals(5001, s.size());
        }
    }

    @Test
    void verifyListsEveryBadChunkOfEveryFile() throws IOException {
        Path dir = store(StoreOptions.builder().pageSize(16 * 1024).build(), 20_000);
        StoreDirectory.Verification ok = StoreDirectory.verify(dir, null);
        assertTrue(ok.intact(), ok::toString);
        assertTrue(ok.bytesChecked() > 100_000, ok::toString);

        List<Path> data;
        try (Stream<Path> s = Files.list(dir)) {
            data = s.filter(p -> p.getFileName().toString().endsWith(".dat")).sorted().toList();
        }
        assertTrue(data.size() >= 2, data::toString);
        for (Path p : data) {
            flip(p, 10);
        }
        flip(data.getFirst(), 5 * 4096 + 1);
        List<Long> progress = new ArrayList<>();
        StoreDirectory.Verification bad = StoreDirectory.verify(dir, progress::add);
        assertFalse(bad.intact());
        assertEquals(data.size() + 1, bad.damagedChunks(), bad::toString);
        for (Path p : data) {
            assertTrue(bad.damage().stream().anyMatch(e -> e.getMessage().contains(p.getFileName().toString())), bad::toString);
        }
        assertTrue(bad.damage().stream().allMatch(e -> e instanceof CorruptStoreFileException), bad::toString);
        assertFalse(progress.isEmpty());
        for (int i = 1; i < progress.size(); i++) {
            assertTrue(progress.get(i) >= progress.get(i - 1) || progress.get(i) < progress.get(0) + 4096 * 2,
                "progress goes forward within a pass: " + progress);
        }
    }

    @Test
    void refusesWhatIsNotAStoreAndTouchesNothing() throws IOException {
        Path missing = tmp.resolve("missing");
        UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> StoreDirectory.inspect(missing));
        assertInstanceOf(NoSuchFileException.class, e.getCause());
        assertFalse(Files.exists(missing));

        Path empty = Files.createDirectories(tmp.resolve("empty"));
        Files.writeString(empty.resolve("notes.txt"), "hello");
        assertThrows(IllegalArgumentException.class, () -> StoreDirectory.verify(empty, null));
        try (Stream<Path> s = Files.list(empty)) {
            assertEquals(List.of(empty.resolve("notes.txt")), s.toList());
        }

        Path dir = store(StoreOptions.defaults(), 10);
        try (KeyValueStore open = KeyValueStore.open(dir, StoreDirectory.inspect(dir).options())) {
            assertThrows(StoreLockedException.class, () -> StoreDirectory.inspect(dir));
            assertEquals(11, open.size());
        }
    }

    @Test
    void settingsDecodeAnImagesMetadata() {
        StoreOptions created = StoreOptions.builder().name("img").pageSize(8192).sortedIndex(true).hashSeed(77).build();
        try (KeyValueStore s = KeyValueStore.create(created)) {
            s.put(b("a"), b("1"));
            s.flush(b("meta"));
            try (StoreImage image = s.image()) {
                StoreDirectory.Settings settings = StoreDirectory.settings(image.metadata(), "img");
                assertEquals(8192, settings.options().pageSize());
                assertTrue(settings.options().sortedIndex());
                assertEquals(77, settings.options().hashSeed());
                assertArrayEquals(b("meta"), settings.flushMetadata());
            }
        }
    }

    private static void flip(Path file, long offset) throws IOException {
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.seek(offset);
            int v = f.read();
            f.seek(offset);
            f.write(v ^ 0x5A);
        }
    }
}
