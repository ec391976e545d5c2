package io.offstate.checkpoint.redis;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.offstate.checkpoint.CheckpointStorage;
import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The {@link CheckpointStorage} contract as tests, for every backend: a subclass opens an empty
 * storage in {@link #openStorage()} (a fresh directory, a flushed Redis database) and inherits the
 * tests. Nothing here is Redis-specific; the class can move next to the SPI unchanged.
 */
public abstract class AbstractCheckpointStorageContractTest {
    /** The storage under test, opened empty before each test and closed after it. */
    protected CheckpointStorage storage;

    /** An empty storage; each call within one test sees the same stored checkpoints. */
    protected abstract CheckpointStorage openStorage() throws IOException;

    @BeforeEach
    void openEmptyStorage() throws IOException {
        storage = openStorage();
    }

    @AfterEach
    void closeStorage() throws Exception {
        storage.close();
    }

    protected static byte[] bytes(int length, long seed) {
        byte[] b = new byte[length];
        new Random(seed).nextBytes(b);
        return b;
    }

    protected static byte[] text(String s) {
        return s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    protected void writeBlock(String id, String block, byte[] data) throws IOException {
        storage.writeBlock(id, block, data, 0, data.length);
    }

    // ---- write and read ----------------------------------------------------------------------

    @Test
    void readBlockReturnsTheBytesWritten() throws IOException {
        byte[] data = bytes(10_000, 1);
        writeBlock("c1", "b0", data);
        assertArrayEquals(data, storage.readBlock("c1", "b0"));
    }

    @Test
    void writeBlockStoresOnlyTheGivenSlice() throws IOException {
        byte[] data = bytes(1000, 2);
        storage.writeBlock("c1", "slice", data, 100, 300);
        assertArrayEquals(Arrays.copyOfRange(data, 100, 400), storage.readBlock("c1", "slice"));
    }

    @Test
    void emptyBlockRoundTrips() throws IOException {
        writeBlock("c1", "empty", new byte[0]);
        assertArrayEquals(new byte[0], storage.readBlock("c1", "empty"));
    }

    @Test
    void writeBlockRejectsASliceOutsideTheArray() {
        assertThrows(IndexOutOfBoundsException.class, () -> storage.writeBlock("c1", "b", new byte[10], 5, 6));
        assertThrows(IndexOutOfBoundsException.class, () -> storage.writeBlock("c1", "b", new byte[10], -1, 2));
    }

    @Test
    void blocksAreReadableBeforeAndAfterPublication() throws IOException {
        writeBlock("c1", "b0", text("zero"));
        assertArrayEquals(text("zero"), storage.readBlock("c1", "b0"));
        storage.publish("c1", text("manifest"));
        assertArrayEquals(text("zero"), storage.readBlock("c1", "b0"));
    }

    @Test
    void writingABlockTwiceBeforePublicationReplacesIt() throws IOException {
        writeBlock("c1", "b0", bytes(5000, 3));
        writeBlock("c1", "b0", text("second"));
        assertArrayEquals(text("second"), storage.readBlock("c1", "b0"));
        storage.publish("c1", text("m"));
        assertArrayEquals(text("second"), storage.readBlock("c1", "b0"));
    }

    @Test
    void callerArraysAreNotKept() throws IOException {
        byte[] data = text("original");
        writeBlock("c1", "b0", data);
        Arrays.fill(data, (byte) 'x');
        byte[] read = storage.readBlock("c1", "b0");
        assertArrayEquals(text("original"), read);
        Arrays.fill(read, (byte) 'y');
        assertArrayEquals(text("original"), storage.readBlock("c1", "b0"));

        byte[] manifest = text("manifest");
        storage.publish("c1", manifest);
        Arrays.fill(manifest, (byte) 'z');
        assertArrayEquals(text("manifest"), storage.readManifest("c1"));
    }

    // ---- publication -------------------------------------------------------------------------

    @Test
    void aCheckpointIsInvisibleUntilPublished() throws IOException {
        writeBlock("c1", "b0", text("zero"));
        writeBlock("c1", "b1", text("one"));
        assertEquals(List.of(), storage.list());
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> storage.readManifest("c1"));
        assertTrue(e.getMessage().contains("c1"), e.getMessage());
        assertEquals(List.of("c1"), storage.listUnpublished());

        storage.publish("c1", text("manifest of c1"));
        assertEquals(List.of("c1"), storage.list());
        assertArrayEquals(text("manifest of c1"), storage.readManifest("c1"));
        assertEquals(List.of(), storage.listUnpublished());
    }

    @Test
    void aCheckpointWithoutBlocksCanBePublished() throws IOException {
        storage.publish("only-manifest", text("m"));
        assertEquals(List.of("only-manifest"), storage.list());
        assertArrayEquals(text("m"), storage.readManifest("only-manifest"));
    }

    @Test
    void listIsInPublicationOrderNotNameOrder() throws IOException {
        for (String id : List.of("c", "a", "b", "z9", "a0")) {
            writeBlock(id, "b0", text(id));
            storage.publish(id, text("m-" + id));
        }
        assertEquals(List.of("c", "a", "b", "z9", "a0"), storage.list());
    }

    @Test
    void writeBlockAfterPublicationIsIllegalAndChangesNothing() throws IOException {
        writeBlock("c1", "b0", text("zero"));
        storage.publish("c1", text("m"));
        assertThrows(IllegalStateException.class, () -> writeBlock("c1", "b0", text("changed")));
        assertThrows(IllegalStateException.class, () -> writeBlock("c1", "new", text("new")));
        assertArrayEquals(text("zero"), storage.readBlock("c1", "b0"));
        assertThrows(NoSuchFileException.class, () -> storage.readBlock("c1", "new"));
    }

    @Test
    void publishingTwiceIsIllegalAndKeepsTheFirstManifest() throws IOException {
        writeBlock("c1", "b0", text("zero"));
        storage.publish("c1", text("first"));
        assertThrows(IllegalStateException.class, () -> storage.publish("c1", text("second")));
        assertArrayEquals(text("first"), storage.readManifest("c1"));
        assertEquals(List.of("c1"), storage.list());
    }

    @Test
    void listUnpublishedReportsEveryInterruptedUpload() throws IOException {
        writeBlock("done", "b0", text("d"));
        storage.publish("done", text("m"));
        writeBlock("half-1", "b0", text("h1"));
        writeBlock("half-2", "b0", text("h2"));
        writeBlock("half-2", "b1", text("h2"));
        List<String> unpublished = new ArrayList<>(storage.listUnpublished());
        unpublished.sort(null);
        assertEquals(List.of("half-1", "half-2"), unpublished);
    }

    // ---- names -------------------------------------------------------------------------------

    @Test
    void invalidNamesAreRejected() {
        String tooLong = "x".repeat(129);
        for (String bad : List.of("", tooLong, "a/b", "a:b", "a b", "a*", "ü", "a\nb", "..\\x")) {
            assertThrows(IllegalArgumentException.class, () -> writeBlock(bad, "b0", text("x")), bad);
            assertThrows(IllegalArgumentException.class, () -> writeBlock("ok", bad, text("x")), bad);
            assertThrows(IllegalArgumentException.class, () -> storage.readBlock(bad, "b0"), bad);
            assertThrows(IllegalArgumentException.class, () -> storage.readBlock("ok", bad), bad);
            assertThrows(IllegalArgumentException.class, () -> storage.publish(bad, text("m")), bad);
            assertThrows(IllegalArgumentException.class, () -> storage.readManifest(bad), bad);
            assertThrows(IllegalArgumentException.class, () -> storage.delete(bad), bad);
        }
    }

    @Test
    void everyAllowedCharacterAndTheLongestNameWork() throws IOException {
        String longest = "L".repeat(128);
        String all = "AZaz09._-";
        writeBlock(longest, all, text("1"));
        writeBlock(all, longest, text("2"));
        storage.publish(longest, text("m1"));
        storage.publish(all, text("m2"));
        assertEquals(List.of(longest, all), storage.list());
        assertArrayEquals(text("1"), storage.readBlock(longest, all));
        assertArrayEquals(text("2"), storage.readBlock(all, longest));
    }

    // ---- missing -----------------------------------------------------------------------------

    @Test
    void aMissingBlockIsNoSuchFileNamingIt() throws IOException {
        NoSuchFileException none = assertThrows(NoSuchFileException.class, () -> storage.readBlock("nope", "b7"));
        assertTrue(none.getMessage().contains("nope") && none.getMessage().contains("b7"), none.getMessage());

        writeBlock("c1", "b0", text("zero"));
        storage.publish("c1", text("m"));
        NoSuchFileException missing = assertThrows(NoSuchFileException.class, () -> storage.readBlock("c1", "b1"));
        assertTrue(missing.getMessage().contains("c1") && missing.getMessage().contains("b1"), missing.getMessage());
    }

    @Test
    void aMissingManifestIsNoSuchFileNamingTheCheckpoint() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> storage.readManifest("never"));
        assertTrue(e.getMessage().contains("never"), e.getMessage());
    }

    // ---- delete ------------------------------------------------------------------------------

    @Test
    void deleteRemovesAPublishedCheckpointAndItsBlocks() throws IOException {
        writeBlock("keep", "b0", text("k"));
        storage.publish("keep", text("mk"));
        writeBlock("gone", "b0", text("g0"));
        writeBlock("gone", "b1", text("g1"));
        storage.publish("gone", text("mg"));

        storage.delete("gone");
        assertEquals(List.of("keep"), storage.list());
        assertThrows(NoSuchFileException.class, () -> storage.readManifest("gone"));
        assertThrows(NoSuchFileException.class, () -> storage.readBlock("gone", "b0"));
        assertThrows(NoSuchFileException.class, () -> storage.readBlock("gone", "b1"));
        assertEquals(List.of(), storage.listUnpublished());
        assertArrayEquals(text("k"), storage.readBlock("keep", "b0"));
        assertArrayEquals(text("mk"), storage.readManifest("keep"));
    }

    @Test
    void deleteRemovesAnUnpublishedCheckpoint() throws IOException {
        writeBlock("half", "b0", text("h"));
        storage.delete("half");
        assertEquals(List.of(), storage.listUnpublished());
        assertThrows(NoSuchFileException.class, () -> storage.readBlock("half", "b0"));
    }

    @Test
    void deletingANonExistentCheckpointDoesNothing() throws IOException {
        writeBlock("keep", "b0", text("k"));
        storage.publish("keep", text("m"));
        storage.delete("never-existed");
        assertEquals(List.of("keep"), storage.list());
    }

    @Test
    void aDeletedIdCanBeWrittenAndPublishedAgainAndListsLast() throws IOException {
        for (String id : List.of("a", "b")) {
            writeBlock(id, "b0", text(id));
            storage.publish(id, text("m-" + id));
        }
        storage.delete("a");
        writeBlock("a", "b0", text("again"));
        storage.publish("a", text("m-again"));
        assertEquals(List.of("b", "a"), storage.list());
        assertArrayEquals(text("again"), storage.readBlock("a", "b0"));
        assertArrayEquals(text("m-again"), storage.readManifest("a"));
    }

    // ---- many blocks, threads, lifecycle -----------------------------------------------------

    @Test
    void manySmallBlocksRoundTrip() throws IOException {
        int n = 1000;
        for (int i = 0; i < n; i++) {
            writeBlock("many", "b" + i, bytes(100 + i % 50, i));
        }
        storage.publish("many", text("m"));
        for (int i = 0; i < n; i++) {
            assertArrayEquals(bytes(100 + i % 50, i), storage.readBlock("many", "b" + i), "block " + i);
        }
        storage.delete("many");
        assertEquals(List.of(), storage.list());
        assertEquals(List.of(), storage.listUnpublished());
        assertThrows(NoSuchFileException.class, () -> storage.readBlock("many", "b0"));
    }

    @Test
    void twoThreadsUploadTwoCheckpointsAtOnce() throws Exception {
        int blocks = 50;
        CountDownLatch start = new CountDownLatch(1);
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            List<Future<Void>> uploads = new ArrayList<>();
            for (String id : List.of("left", "right")) {
                Callable<Void> upload = () -> {
                    start.await();
                    for (int i = 0; i < blocks; i++) {
                        writeBlock(id, "b" + i, bytes(20_000, id.hashCode() * 1000L + i));
                        // a reader at the same time must never see the other checkpoint half-done
                        List<String> visible = storage.list();
                        for (String v : visible) {
                            assertArrayEquals(text("m-" + v), storage.readManifest(v));
                        }
                    }
                    storage.publish(id, text("m-" + id));
                    return null;
                };
                uploads.add(pool.submit(upload));
            }
            start.countDown();
            for (Future<Void> f : uploads) {
                f.get(120, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        List<String> published = new ArrayList<>(storage.list());
        published.sort(null);
        assertEquals(List.of("left", "right"), published);
        for (String id : List.of("left", "right")) {
            for (int i = 0; i < blocks; i++) {
                assertArrayEquals(bytes(20_000, id.hashCode() * 1000L + i), storage.readBlock(id, "b" + i));
            }
        }
        assertEquals(List.of(), storage.listUnpublished());
    }

    @Test
    void describeIsNotEmptyAndCloseIsIdempotent() throws Exception {
        assertFalse(storage.describe().isBlank());
        CheckpointStorage second = openStorage();
        second.close();
        second.close();
    }

    @Test
    void aSecondInstanceSeesWhatTheFirstPublished() throws Exception {
        writeBlock("shared", "b0", text("s"));
        storage.publish("shared", text("m"));
        try (CheckpointStorage other = openStorage()) {
            assertEquals(List.of("shared"), other.list());
            assertArrayEquals(text("s"), other.readBlock("shared", "b0"));
        }
    }
}
