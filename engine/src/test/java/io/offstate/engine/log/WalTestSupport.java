package io.offstate.engine.log;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/** Helpers of the write-ahead log tests: deterministic payloads, replay into a list, segment files. */
final class WalTestSupport {
    private WalTestSupport() {
    }

    /** A batch as a test remembers it. */
    record Entry(long position, byte[] payload) {
    }

    static byte[] payload(long seed, int length) {
        byte[] bytes = new byte[length];
        new Random(seed).nextBytes(bytes);
        return bytes;
    }

    static List<Entry> replayAll(WriteAheadLog log, long from) {
        List<Entry> out = new ArrayList<>();
        log.replay(from, batch -> out.add(new Entry(batch.position(), batch.toByteArray())));
        return out;
    }

    static void assertSameEntries(List<Entry> expected, List<Entry> actual, String where) {
        assertEquals(expected.size(), actual.size(), where + ": batch count");
        for (int i = 0; i < expected.size(); i++) {
            assertEquals(expected.get(i).position(), actual.get(i).position(), where + ": position of batch " + i);
            assertArrayEquals(expected.get(i).payload(), actual.get(i).payload(), where + ": payload of batch " + i);
        }
    }

    static List<Path> segmentFiles(Path dir) {
        try {
            return SegmentFiles.list(dir).stream().map(SegmentFiles.Segment::path).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path lastSegment(Path dir) {
        List<Path> files = segmentFiles(dir);
        return files.getLast();
    }

    static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void write(Path file, byte[] bytes) {
        try {
            Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
