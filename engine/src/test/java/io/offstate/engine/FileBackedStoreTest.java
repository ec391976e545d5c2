package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.string;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.StoreFullException;
import io.offstate.offheap.StoreLockedException;

/** File-backed stores: reopen, flush semantics, options, locking, restore and snapshots, growth mid-way. */
class FileBackedStoreTest {
    @TempDir
    Path dir;

    static StoreOptions.Builder small() {
        return StoreOptions.builder().name("file").pageSize(4096);
    }

    static Map<String, String> contents(KeyValueStore s) {
        Map<String, String> m = new TreeMap<>();
        s.forEach((k, v) -> m.put(new String(k.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8),
            new String(v.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)));
        return m;
    }

    @ParameterizedTest
    @ValueSource(strings = {"plain", "dictionary", "sorted", "sorted-dictionary"})
    void reopenYieldsExactlyTheLastFlushAcrossGrowthDeletesAndLargeValues(String kind) {
        StoreOptions.Builder b = small();
        if (kind.contains("dictionary")) {
            b.dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'));
        }
        if (kind.contains("sorted")) {
            b.sortedIndex(true);
        }
        StoreOptions o = b.build();
        Map<String, String> model = new TreeMap<>();
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            assertTrue(s.isPersistent());
            assertEquals(dir.toAbsolutePath(), s.directory());
            for (int round = 0; round < 6; round++) {
                for (int i = 0; i < 3000; i++) {
                    String k = "t" + (i % 7) + "|k" + (i * 7919 % 5000);
                    String v = (i % 97 == 0) ? "L".repeat(1500 + round) : "v" + round + "-" + i; // > pageSize/4: large blocks
                    s.put(utf8(k), utf8(v));
                    model.put(k, v);
                    if (i % 5 == 0) {
                        String d = "t" + (i % 3) + "|k" + (i * 31 % 5000);
                        s.delete(utf8(d));
                        model.remove(d);
                    }
                }
                s.flush();
                assertEquals(2 + round, s.flushGeneration());
            }
            s.put(utf8("unflushed"), utf8("x"));
            s.closeWithoutFlush();
        }
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            assertEquals(7, s.flushGeneration());
            assertEquals(model, contents(s));
            assertEquals(model.size(), s.size());
            s.verify();
            s.verifyFiles();
            if (o.sortedIndex()) {
                Cursor c = s.cursor();
                c.range(new byte[0], new byte[] {(byte) 0xFF});
                StringBuilder order = new StringBuilder();
                int n = 0;
                while (c.next()) {
                    order.append(string(c.key().toByteArray())).append('\n');
                    n++;
                }
                assertEquals(String.join("\n", model.keySet()) + "\n", order.toString());
                assertEquals(model.size(), n);
            }
            // writing after reopen works, and close() flushes
            s.put(utf8("after|reopen"), utf8("yes"));
            model.put("after|reopen", "yes");
        }
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            assertEquals(9, s.flushGeneration(), "verifyFiles() flushed once, close() once more");
            assertEquals(model, contents(s));
        }
    }

    @Test
    void aStoreReopenedMidGrowthFinishesTheGrowthCorrectly() {
        StoreOptions o = small().expectedEntries(16).build();
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            for (int i = 0; i < 2000; i++) {
                s.put(utf8("k" + i), utf8("v" + i));
            }
            // flush right after the table grew: the old table is still being drained
            for (int i = 2000; !s.state().map.index().isMigrating(); i++) {
                s.put(utf8("k" + i), utf8("v" + i));
            }
            assertTrue(s.state().map.index().isMigrating());
        }
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            assertTrue(s.state().map.index().isMigrating(), "the growth in progress was persisted as it was");
            long n = s.size();
            for (int i = 0; i < n; i++) {
                assertEquals("v" + i, string(s.getCopy(utf8("k" + i))));
            }
            for (int i = 0; i < 5000; i++) {
                s.put(utf8("more" + i), utf8("m"));
            }
            assertEquals(n + 5000, s.size());
        }
    }

    @Test
    void anEmptyFlushStillAdvancesTheGenerationAndFlushOfAnInMemoryStoreDoesNothing() {
        try (KeyValueStore s = KeyValueStore.open(dir, small().build())) {
            s.flush();
            s.flush();
            assertEquals(3, s.flushGeneration());
        }
        try (KeyValueStore m = KeyValueStore.create()) {
            m.put(utf8("a"), utf8("b"));
            m.flush();
            m.verifyFiles();
            assertEquals(0, m.flushGeneration());
            assertFalse(m.isPersistent());
            assertNull(m.directory());
        }
    }

    @Test
    void flushInvalidatesViewsLikeAWrite() {
        try (KeyValueStore s = KeyValueStore.open(dir, small().build())) {
            s.put(utf8("a"), utf8("value"));
            ValueView view = new ValueView();
            assertTrue(s.get(utf8("a"), view));
            s.flush();
            IllegalStateException stale = assertThrows(IllegalStateException.class, view::toByteArray);
            assertTrue(stale.getMessage().contains("stale"), stale.getMessage());
            assertTrue(s.get(utf8("a"), view));
            assertEquals("value", string(view.toByteArray()));
        }
    }

    @Test
    void reopeningWithOtherStructuralOptionsIsRefusedAndNamesTheDifference() {
        KeyValueStore.open(dir, small().sortedIndex(true).build()).close();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> KeyValueStore.open(dir, StoreOptions.builder().pageSize(8192).build()));
        assertTrue(e.getMessage().contains("page size 4096"), e.getMessage());
        assertTrue(e.getMessage().contains("sorted index true"), e.getMessage());
        // the refusal released the lock and changed nothing
        try (KeyValueStore s = KeyValueStore.open(dir, small().sortedIndex(true).build())) {
            assertEquals(2, s.flushGeneration());
        }
    }

    @Test
    void theStoredHashSeedWinsAndNameAndBudgetComeFromTheOptions() {
        try (KeyValueStore s = KeyValueStore.open(dir, small().hashSeed(42).build())) {
            s.put(utf8("k"), utf8("v"));
        }
        try (KeyValueStore s = KeyValueStore.open(dir, small().name("renamed").hashSeed(7).memoryBudget(1L << 30).build())) {
            assertEquals(42, s.options().hashSeed());
            assertEquals("renamed", s.options().name());
            assertEquals(1L << 30, s.memoryBudget());
            assertEquals("v", string(s.getCopy(utf8("k"))));
        }
    }

    @Test
    void aBudgetTooSmallForTheStoredDataRefusesTheOpenAndUnlocks() {
        try (KeyValueStore s = KeyValueStore.open(dir, small().build())) {
            for (int i = 0; i < 5000; i++) {
                s.put(utf8("k" + i), pattern(100, i));
            }
        }
        assertThrows(StoreFullException.class, () -> KeyValueStore.open(dir, small().memoryBudget(64 << 10).build()));
        try (KeyValueStore s = KeyValueStore.open(dir, small().build())) {
            assertEquals(5000, s.size());
            assertArrayEquals(pattern(100, 4999), s.getCopy(utf8("k4999")));
        }
    }

    @Test
    void aSecondOpenInThisProcessIsRefusedUntilTheFirstCloses() {
        KeyValueStore first = KeyValueStore.open(dir, small().build());
        StoreLockedException e = assertThrows(StoreLockedException.class, () -> KeyValueStore.open(dir, small().build()));
        assertEquals(dir.toAbsolutePath(), e.directory());
        assertTrue(e.getMessage().contains("already open"), e.getMessage());
        first.close();
        KeyValueStore.open(dir, small().build()).close();
    }

    /** Child: opens the store, says so, and holds it until its stdin closes. */
    public static void main(String[] args) throws IOException {
        try (KeyValueStore s = KeyValueStore.open(Path.of(args[0]), small().build())) {
            s.put(utf8("child"), utf8("was here"));
            s.flush();
            System.out.println("OPEN");
            System.out.flush();
            while (System.in.read() >= 0) {
                // hold the lock until the parent closes our stdin
            }
        }
    }

    @Test
    void aSecondProcessCannotOpenAnOpenDirectory() throws Exception {
        Process child = ChildJvm.start(List.of("-Xmx64m"), FileBackedStoreTest.class, dir.toString());
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            assertEquals("OPEN", out.readLine());
            StoreLockedException e = assertThrows(StoreLockedException.class, () -> KeyValueStore.open(dir, small().build()));
            assertTrue(e.getMessage().contains("another process"), e.getMessage());
            child.getOutputStream().close();
            assertTrue(child.waitFor(60, TimeUnit.SECONDS));
            assertEquals(0, child.exitValue());
        } finally {
            child.destroyForcibly();
        }
        try (KeyValueStore s = KeyValueStore.open(dir, small().build())) {
            assertEquals("was here", string(s.getCopy(utf8("child"))));
        }
    }

    @Test
    void restoreIntoAFileBackedStoreIsPersistedAndSnapshotsOfItAreIndependent() {
        StoreOptions o = small().sortedIndex(true).build();
        StoreSnapshot snap;
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            for (int i = 0; i < 3000; i++) {
                s.put(utf8("k" + i), utf8("old" + i));
            }
            s.put(utf8("large"), pattern(3000, 1));
            snap = s.snapshot();
            for (int i = 0; i < 3000; i++) {
                s.put(utf8("k" + i), utf8("new" + i));
            }
            s.delete(utf8("large"));
            s.flush();
            s.restore(snap);
            assertEquals("old7", string(s.getCopy(utf8("k7"))));
            s.flush();
            s.put(utf8("k7"), utf8("after-restore"));
            s.closeWithoutFlush();
        }
        snap.close();
        long segmentFiles;
        try (Stream<Path> files = Files.list(dir)) {
            segmentFiles = files.filter(p -> p.getFileName().toString().startsWith("seg-")
                && p.getFileName().toString().endsWith(".dat")).count();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            assertEquals("old7", string(s.getCopy(utf8("k7"))), "the restored state was flushed; the later write was not");
            assertArrayEquals(pattern(3000, 1), s.getCopy(utf8("large")));
            assertEquals(3001, s.size());
            s.verify();
            s.verifyFiles();
            // the files of the replaced state were deleted: one hash table and one large block remain
            assertEquals(2, segmentFiles);
        }
    }

    @Test
    void closedStoresRefuseFlushAndVerify() {
        KeyValueStore s = KeyValueStore.open(dir, small().build());
        s.close();
        s.close();
        s.closeWithoutFlush();
        assertThrows(StoreClosedException.class, s::flush);
        assertThrows(StoreClosedException.class, s::verifyFiles);
        assertThrows(StoreClosedException.class, s::flushGeneration);
    }

    @Test
    void aCreationThatNeverCommittedIsStartedAfresh() throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("offstate.creating"), "creating\n");
        Files.write(dir.resolve("seg-1.dat"), new byte[100]);
        try (KeyValueStore s = KeyValueStore.open(dir, small().build())) {
            assertEquals(1, s.flushGeneration());
            assertEquals(0, s.size());
        }
        assertFalse(Files.exists(dir.resolve("offstate.creating")));
    }

    /**
     * Pages are mapped in extents (256 pages of 4 KiB here), one mapping each, and a flush maps
     * a written page's whole extent again: the extent's clean pages, and writes made to them after
     * the flush, must all survive, in memory and across a reopen.
     */
    @Test
    void pagesAreMappedInExtentsAndAFlushRemapsWholeExtents() {
        StoreOptions o = small().expectedEntries(40_000).build();
        Map<String, byte[]> model = new TreeMap<>();
        long before = io.offstate.offheap.memory.MappingCount.live();
        long bytes;
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            for (int i = 0; i < 20_000; i++) {
                s.put(utf8("key-" + i), pattern(100, i));
                model.put("key-" + i, pattern(100, i));
            }
            bytes = s.memoryUsed();
            long mappings = io.offstate.offheap.memory.MappingCount.live() - before;
            // about 3 MB of pages: 700+ pages of 4 KiB in 3 extents, plus the hash table (and its old table mid-growth)
            assertTrue(bytes > 2 * 1024 * 1024, "pages " + bytes);
            assertTrue(mappings <= 3 + 2 + 1, "pages of 4 KiB are mapped 256 at a time: " + mappings + " mappings");
            s.flush();
            for (int round = 0; round < 3; round++) {
                // one page written per flush: its extent is remapped, its neighbours are only clean pages
                String k = "key-" + (round * 7001);
                s.put(utf8(k), pattern(100, -round));
                model.put(k, pattern(100, -round));
                s.flush();
                for (int i = round; i < 20_000; i += 97) { // writes after the remap, into clean pages of the same extents
                    s.put(utf8("key-" + i), pattern(100, i * 3 + round));
                    model.put("key-" + i, pattern(100, i * 3 + round));
                }
                assertModel(model, s);
            }
            s.flush();
            s.verifyFiles();
        }
        assertEquals(before, io.offstate.offheap.memory.MappingCount.live(), "a closed store holds no mapping");
        try (KeyValueStore s = KeyValueStore.open(dir, o)) {
            assertTrue(io.offstate.offheap.memory.MappingCount.live() - before <= 3 + 1, "reopened in extents");
            assertModel(model, s);
            s.verify();
        }
    }

    private static void assertModel(Map<String, byte[]> model, KeyValueStore s) {
        assertEquals(model.size(), s.size());
        for (Map.Entry<String, byte[]> e : model.entrySet()) {
            assertArrayEquals(e.getValue(), s.getCopy(utf8(e.getKey())), e.getKey());
        }
    }
}
