package io.offstate.checkpoint;

import static io.offstate.checkpoint.TestStores.b;
import static io.offstate.checkpoint.TestStores.contents;
import static io.offstate.checkpoint.TestStores.fill;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreClosedException;

class CheckpointsTest {
    @TempDir
    Path dir;

    private static final StoreOptions PLAIN = StoreOptions.builder().name("s").memoryBudget(256L << 20).build();
    private static final StoreOptions RICH = StoreOptions.builder().name("s").memoryBudget(256L << 20).sortedIndex(true)
        .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) ':')).pageSize(64 << 10).build();

    /** A clock the test moves by hand. */
    static final class ManualClock extends Clock {
        long millis = 1_000_000;

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return Instant.ofEpochMilli(millis);
        }
    }

    private LocalCheckpointStorage storage() throws IOException {
        return LocalCheckpointStorage.open(dir.resolve("ckpt"));
    }

    @Test
    void fullCheckpointRestoresEqualStoreInMemoryAndInFiles() throws Exception {
        for (StoreOptions options : List.of(PLAIN, RICH)) {
            Path d = Files.createTempDirectory(dir, "case");
            try (LocalCheckpointStorage st = LocalCheckpointStorage.open(d.resolve("ckpt"));
                 KeyValueStore store = KeyValueStore.create(options)) {
                fill(store, "k:", 5000, 40, 1);
                fill(store, "big:", 3, 40_000, 2); // large blocks: segments of their own
                store.delete(b("k:7"));
                Checkpoints c = Checkpoints.builder(st, "orders").build();
                CheckpointManifest m = c.checkpoint(store, false, b("offset-42"));
                assertEquals(1, m.chainLength());
                assertNull(m.parent());
                assertArrayEquals(b("offset-42"), m.positions());
                assertEquals(store.size(), m.stores().getFirst().entries());
                RestoreResult r = c.restoreLatest(options, null);
                try (KeyValueStore restored = r.store()) {
                    assertEquals(contents(store), contents(restored));
                    restored.verify();
                    assertFalse(r.fellBack());
                    restored.put(b("k:new"), b("v")); // a working store
                    assertTrue(restored.contains(b("k:new")));
                }
                Path files = d.resolve("restored");
                try (KeyValueStore restored = c.restore(m.id(), options, files).store()) {
                    assertTrue(restored.isPersistent());
                    assertEquals(contents(store), contents(restored));
                }
                try (KeyValueStore reopened = KeyValueStore.open(files, options)) {
                    assertEquals(contents(store), contents(reopened));
                    reopened.verify();
                }
            }
        }
    }

    @Test
    void incrementalCheckpointCarriesOnlyChangedChunksAndRestoresTheLatestState() throws Exception {
        try (LocalCheckpointStorage st = storage(); KeyValueStore store = KeyValueStore.create(RICH)) {
            Checkpoints c = Checkpoints.builder(st, "s").build();
            fill(store, "k:", 20_000, 50, 1);
            CheckpointManifest full = c.checkpoint(store, true); // no image yet: full
            assertEquals(1, full.chainLength());
            Map<String, String> atFull = contents(store);
            store.put(b("k:5"), b("changed"));
            store.delete(b("k:6"));
            CheckpointManifest inc = c.checkpoint(store, true);
            assertEquals(2, inc.chainLength());
            assertEquals(full.id(), inc.parent());
            long fullRaw = full.stores().getFirst().rawBytes();
            long incRaw = inc.stores().getFirst().rawBytes();
            assertTrue(incRaw * 20 < fullRaw, "incremental " + incRaw + " bytes vs full " + fullRaw);
            try (KeyValueStore r = c.restore(inc.id(), RICH, null).store()) {
                assertEquals(contents(store), contents(r));
                r.verify();
            }
            try (KeyValueStore r = c.restore(full.id(), RICH, null).store()) {
                assertEquals(atFull, contents(r));
            }
        }
    }

    @Test
    void anIncrementalCarriesTheChangedLinesNotWholeChunks() throws Exception {
        try (LocalCheckpointStorage st = storage(); KeyValueStore store = KeyValueStore.create(PLAIN)) {
            Checkpoints c = Checkpoints.builder(st, "s").build();
            fill(store, "k:", 20_000, 50, 1);
            c.checkpoint(store, false);
            store.put(b("k:5"), b("x".repeat(50)));       // in place: a line or two of a page and of the index
            store.put(b("k:17000"), b("y".repeat(50)));
            CheckpointManifest inc = c.checkpoint(store, true);
            long raw = inc.stores().getFirst().rawBytes();
            assertTrue(raw <= 1024, "two updates carried " + raw + " raw bytes (a 4 KiB chunk each would be 8192+)");
            try (KeyValueStore r = c.restore(inc.id(), PLAIN, null).store()) {
                assertEquals(contents(store), contents(r));
                r.verify();
            }
        }
    }

    @Test
    void fileBackedStoreTracksChangesAcrossFlushesAndRestartsFullAfterReopen() throws Exception {
        Path storeDir = dir.resolve("store");
        try (LocalCheckpointStorage st = storage()) {
            Checkpoints c = Checkpoints.builder(st, "f").build();
            try (KeyValueStore store = KeyValueStore.open(storeDir, PLAIN)) {
                fill(store, "k", 10_000, 30, 1);
                c.checkpoint(store, true);
                store.put(b("k1"), b("after-first"));
                store.flush(); // a flush clears the flush bitmap, not the checkpoint one
                store.put(b("k2"), b("after-flush"));
                CheckpointManifest inc = c.checkpoint(store, true);
                assertEquals(2, inc.chainLength());
                try (KeyValueStore r = c.restoreLatest(PLAIN, null).store()) {
                    assertEquals(contents(store), contents(r));
                }
            }
            try (KeyValueStore store = KeyValueStore.open(storeDir, PLAIN)) {
                assertEquals(0, store.imageToken());
                store.put(b("k3"), b("after-reopen"));
                CheckpointManifest m = c.checkpoint(store, true);
                assertEquals(1, m.chainLength(), "tracking is lost at reopen: a full checkpoint");
                try (KeyValueStore r = c.restoreLatest(PLAIN, null).store()) {
                    assertEquals(contents(store), contents(r));
                }
            }
        }
    }

    @Test
    void restoredStoreContinuesTheChainOfItsCheckpoint() throws Exception {
        try (LocalCheckpointStorage st = storage(); KeyValueStore store = KeyValueStore.create(PLAIN)) {
            Checkpoints c = Checkpoints.builder(st, "s").build();
            fill(store, "k", 2000, 30, 1);
            c.checkpoint(store, false);
            try (KeyValueStore moved = c.restoreLatest(PLAIN, null).store()) {
                moved.put(b("k1"), b("moved"));
                CheckpointManifest m = c.checkpoint(moved, true);
                assertEquals(2, m.chainLength());
                try (KeyValueStore r = c.restoreLatest(PLAIN, null).store()) {
                    assertEquals(contents(moved), contents(r));
                }
            }
        }
    }

    @Test
    void pinnedCheckpointPublishedOnAnotherThreadHoldsTheStateAtBeginWhileTheWriterGoesOn() throws Exception {
        try (LocalCheckpointStorage st = storage(); KeyValueStore store = KeyValueStore.create(PLAIN)) {
            Checkpoints c = Checkpoints.builder(st, "s").blockSize(4096).build();
            fill(store, "k", 5000, 30, 1);
            c.checkpoint(store, false);
            store.put(b("k1"), b("pinned"));
            Map<String, String> atBegin = contents(store);
            try (Checkpoints.Pending pending = c.begin(store, true, null)) {
                assertTrue(pending.isIncremental());
                CheckpointManifest[] published = new CheckpointManifest[1];
                Thread uploader = new Thread(() -> {
                    try {
                        published[0] = pending.publish();
                    } catch (IOException e) {
                        throw new java.io.UncheckedIOException(e);
                    }
                });
                uploader.start();
                for (int i = 0; i < 20_000; i++) { // the owner keeps writing meanwhile
                    store.put(b("k" + (i % 7000)), b("after" + i));
                }
                uploader.join();
                assertEquals(2, published[0].chainLength());
                assertThrows(IllegalStateException.class, pending::publish);
            }
            try (KeyValueStore r = c.restoreLatest(PLAIN, null).store()) {
                assertEquals(atBegin, contents(r));
            }
            CheckpointManifest next = c.checkpoint(store, true); // and the chain goes on from the pinned one
            assertEquals(3, next.chainLength());
            try (KeyValueStore r = c.restoreLatest(PLAIN, null).store()) {
                assertEquals(contents(store), contents(r));
            }
        }
    }

    @Test
    void maxChainMakesEveryKthCheckpointANewBase() throws Exception {
        try (LocalCheckpointStorage st = storage(); KeyValueStore store = KeyValueStore.create(PLAIN)) {
            Checkpoints c = Checkpoints.builder(st, "s").maxChain(3).build();
            List<Integer> chains = new ArrayList<>();
            for (int i = 0; i < 7; i++) {
                store.put(b("k" + i), b("v" + i));
                chains.add(c.checkpoint(store, true).chainLength());
            }
            assertEquals(List.of(1, 2, 3, 1, 2, 3, 1), chains);
        }
    }

    @Test
    void restoreByIdAndAtOrBeforeATime() throws Exception {
        ManualClock clock = new ManualClock();
        try (LocalCheckpointStorage st = storage(); KeyValueStore store = KeyValueStore.create(PLAIN)) {
            Checkpoints c = Checkpoints.builder(st, "s").clock(clock).build();
            List<Map<String, String>> states = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                store.put(b("k" + i), b("v" + i));
                clock.millis = 1_000_000 + i * 1000L;
                ids.add(c.checkpoint(store, i % 2 == 1).id());
                states.add(contents(store));
            }
            for (int i = 0; i < 4; i++) {
                try (KeyValueStore r = c.restore(ids.get(i), PLAIN, null).store()) {
                    assertEquals(states.get(i), contents(r));
                }
            }
            RestoreResult at = c.restoreAtOrBefore(Instant.ofEpochMilli(1_002_500), PLAIN, null);
            try (KeyValueStore r = at.store()) {
                assertEquals(ids.get(2), at.checkpoint().id());
                assertEquals(states.get(2), contents(r));
            }
            assertThrows(NoSuchFileException.class, () -> c.restoreAtOrBefore(Instant.ofEpochMilli(999_999), PLAIN, null));
            assertThrows(NoSuchFileException.class, () -> c.restore("s.000000000099", PLAIN, null));
            assertEquals(ids, c.ids());
        }
    }

    /** Writes a base and an incremental; returns their ids. */
    private List<String> baseAndIncremental(Checkpoints c, KeyValueStore store) throws IOException {
        fill(store, "k", 3000, 30, 1);
        String base = c.checkpoint(store, false).id();
        store.put(b("k1"), b("x"));
        String inc = c.checkpoint(store, true).id();
        return List.of(base, inc);
    }

    private Path blockFile(String id, String block) {
        return dir.resolve("ckpt").resolve("blocks").resolve(id).resolve(block);
    }

    @Test
    void bitFlipInABlockNamesCheckpointAndBlockAndRestoreLatestFallsBack() throws Exception {
        try (LocalCheckpointStorage st = storage(); KeyValueStore store = KeyValueStore.create(PLAIN)) {
            List<String> told = new ArrayList<>();
            Checkpoints c = Checkpoints.builder(st, "s").listener(new CheckpointListener() {
                @Override
                public void fellBack(String skipped, DamagedCheckpointException why) {
                    told.add(skipped + ": " + why.getMessage());
                }
            }).build();
            fill(store, "k", 3000, 30, 1);
            String first = c.checkpoint(store, false).id();
            Map<String, String> atFirst = contents(store);
            store.put(b("k1"), b("x"));
            String second = c.checkpoint(store, false).id();
            Path block = blockFile(second, "s0-0");
            byte[] bytes = Files.readAllBytes(block);
            bytes[bytes.length / 2] ^= 0x10;
            Files.write(block, bytes);
            DamagedCheckpointException e = assertThrows(DamagedCheckpointException.class, () -> c.restore(second, PLAIN, null));
            assertEquals(second, e.checkpointId());
            assertEquals("s0-0", e.block());
            assertTrue(e.getMessage().contains("CRC32C"), e.getMessage());
            assertThrows(DamagedCheckpointException.class, () -> c.verify(second));
            RestoreResult r = c.restoreLatest(PLAIN, null);
            try (KeyValueStore restored = r.store()) {
                assertEquals(first, r.checkpoint().id());
                assertEquals(atFirst, contents(restored));
                assertTrue(r.fellBack());
                assertEquals(second, r.skipped().getFirst().checkpointId());
                assertEquals(1, told.size());
                assertTrue(told.getFirst().startsWith(second), told.toString());
            }
        }
    }

    @Test
    void missingOrTruncatedBlockOfAParentFailsTheIncrementalNamingBoth() throws Exception {
        try (LocalCheckpointStorage st = storage(); KeyValueStore store = KeyValueStore.create(PLAIN)) {
            Checkpoints c = Checkpoints.builder(st, "s").build();
            List<String> ids = baseAndIncremental(c, store);
            byte[] original = Files.readAllBytes(blockFile(ids.get(0), "s0-0"));
            Files.delete(blockFile(ids.get(0), "s0-0"));
            DamagedCheckpointException e = assertThrows(DamagedCheckpointException.class, () -> c.restore(ids.get(1), PLAIN, null));
            assertEquals(ids.get(1), e.checkpointId());
            assertEquals("s0-0", e.block());
            assertTrue(e.getMessage().contains(ids.get(0)) && e.getMessage().contains("missing"), e.getMessage());
            DamagedCheckpointException base = assertThrows(DamagedCheckpointException.class, () -> c.restore(ids.get(0), PLAIN, null));
            assertEquals(ids.get(0), base.checkpointId());
            Files.write(blockFile(ids.get(0), "s0-0"), java.util.Arrays.copyOf(original, original.length - 3));
            DamagedCheckpointException t = assertThrows(DamagedCheckpointException.class, () -> c.restore(ids.get(0), PLAIN, null));
            assertTrue(t.getMessage().contains("truncated"), t.getMessage());
            DamagedCheckpointException none = assertThrows(DamagedCheckpointException.class, () -> c.restoreLatest(PLAIN, null));
            assertTrue(none.getMessage().contains("no checkpoint"), none.getMessage());
        }
    }

    @Test
    void truncatedBitFlippedOrForeignManifestIsDamage() throws Exception {
        try (LocalCheckpointStorage st = storage(); KeyValueStore store = KeyValueStore.create(PLAIN)) {
            Checkpoints c = Checkpoints.builder(st, "s").build();
            List<String> ids = baseAndIncremental(c, store);
            Path manifests = dir.resolve("ckpt").resolve("manifests");
            List<Path> files;
            try (var s = Files.list(manifests)) {
                files = s.sorted().toList();
            }
            byte[] first = Files.readAllBytes(files.get(0));
            byte[] second = Files.readAllBytes(files.get(1));
            Files.write(files.get(1), java.util.Arrays.copyOf(second, second.length - 10));
            assertDamaged(c, ids.get(1), "truncated");
            byte[] flipped = second.clone();
            flipped[40] ^= 1;
            Files.write(files.get(1), flipped);
            assertDamaged(c, ids.get(1), "CRC32C");
            Files.write(files.get(1), first); // the other checkpoint's manifest under this id
            assertDamaged(c, ids.get(1), "foreign");
            Files.write(files.get(1), new byte[] {1, 2, 3});
            assertDamaged(c, ids.get(1), "shorter");
            // a damaged newest manifest: the next checkpoint is a full one, not built on it
            store.put(b("k2"), b("y"));
            CheckpointManifest m = c.checkpoint(store, true);
            assertEquals(1, m.chainLength());
        }
    }

    private static void assertDamaged(Checkpoints c, String id, String says) throws IOException {
        Checkpoints fresh = Checkpoints.builder(c.storage(), c.series()).build(); // no cached manifest
        DamagedCheckpointException e = assertThrows(DamagedCheckpointException.class, () -> fresh.restore(id, PLAIN, null));
        assertEquals(id, e.checkpointId());
        assertNull(e.block());
        assertTrue(e.getMessage().contains(says), e.getMessage());
    }

    @Test
    void wrongStoreOptionsAreRefusedAndAClosedStoreCannotBeCheckpointed() throws Exception {
        try (LocalCheckpointStorage st = storage()) {
            Checkpoints c = Checkpoints.builder(st, "s").build();
            KeyValueStore store = KeyValueStore.create(PLAIN);
            fill(store, "k", 100, 10, 1);
            String id = c.checkpoint(store, false).id();
            store.close();
            assertThrows(StoreClosedException.class, () -> c.checkpoint(store, true));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> c.restore(id, StoreOptions.builder().name("s").sortedIndex(true).build(), null));
            assertTrue(e.getMessage().toLowerCase().contains("sorted"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> c.restore(id, StoreOptions.builder().name("s").pageSize(4096).build(), null));
            Files.createDirectories(dir.resolve("full"));
            Files.write(dir.resolve("full").resolve("x"), new byte[1]);
            assertThrows(IllegalArgumentException.class, () -> c.restore(id, PLAIN, dir.resolve("full")));
            assertThrows(io.offstate.offheap.StoreFullException.class,
                () -> c.restore(id, StoreOptions.builder().name("s").memoryBudget(64 << 10).build(), null));
            assertEquals(List.of(id), c.ids(), "nothing was added by the failed calls");
        }
    }

    /** A storage that fails the n-th block write. */
    static final class FailingStorage implements CheckpointStorage {
        final CheckpointStorage inner;
        int failAt = Integer.MAX_VALUE;
        int writes;

        FailingStorage(CheckpointStorage inner) {
            this.inner = inner;
        }

        @Override public String describe() { return "failing " + inner.describe(); }
        @Override public void writeBlock(String id, String block, byte[] data, int offset, int length) throws IOException {
            if (++writes >= failAt) {
                throw new IOException("injected failure at block " + block);
            }
            inner.writeBlock(id, block, data, offset, length);
        }
        @Override public byte[] readBlock(String id, String block) throws IOException { return inner.readBlock(id, block); }
        @Override public void publish(String id, byte[] manifest) throws IOException { inner.publish(id, manifest); }
        @Override public List<String> list() throws IOException { return inner.list(); }
        @Override public List<String> listUnpublished() throws IOException { return inner.listUnpublished(); }
        @Override public byte[] readManifest(String id) throws IOException { return inner.readManifest(id); }
        @Override public void delete(String id) throws IOException { inner.delete(id); }
        @Override public void close() throws IOException { inner.close(); }
    }

    @Test
    void failedUploadPublishesNothingKeepsThePreviousAndTheNextIsFull() throws Exception {
        try (LocalCheckpointStorage local = storage(); KeyValueStore store = KeyValueStore.create(PLAIN)) {
            FailingStorage st = new FailingStorage(local);
            Checkpoints c = Checkpoints.builder(st, "s").blockSize(4096).build();
            fill(store, "k", 3000, 30, 1);
            String good = c.checkpoint(store, false).id();
            Map<String, String> atGood = contents(store);
            fill(store, "k", 3000, 30, 2); // every value changes: the incremental spans many blocks
            st.failAt = st.writes + 3;
            assertThrows(IOException.class, () -> c.checkpoint(store, true));
            assertEquals(List.of(good), c.ids());
            assertEquals(List.of(), local.listUnpublished(), "the failed upload's blocks are deleted");
            try (KeyValueStore r = c.restoreLatest(PLAIN, null).store()) {
                assertEquals(atGood, contents(r));
            }
            st.failAt = Integer.MAX_VALUE;
            CheckpointManifest next = c.checkpoint(store, true);
            assertEquals(1, next.chainLength(), "the failed image consumed the interval: a new base");
            try (KeyValueStore r = c.restoreLatest(PLAIN, null).store()) {
                assertEquals(contents(store), contents(r));
            }
        }
    }

    @Test
    void retentionKeepsTheLastNMergesTheirChainAndReleasesTheRest() throws Exception {
        try (LocalCheckpointStorage st = storage(); KeyValueStore store = KeyValueStore.create(PLAIN)) {
            List<String> deleted = new ArrayList<>();
            Checkpoints c = Checkpoints.builder(st, "s").maxChain(10).listener(new CheckpointListener() {
                @Override
                public void deleted(String id) {
                    deleted.add(id);
                }
            }).build();
            fill(store, "k", 3000, 30, 1);
            List<Map<String, String>> states = new ArrayList<>();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                store.put(b("k" + i), b("round" + i));
                ids.add(c.checkpoint(store, true).id());
                states.add(contents(store));
            }
            List<String> dropped = c.applyRetention(Retention.keepLast(2));
            assertEquals(deleted, dropped);
            // ids 3 and 4 kept; 3 was incremental on 0..2, so it was merged into a base 3-b1
            List<String> now = c.ids();
            assertEquals(List.of(ids.get(3) + "-b1", ids.get(4)), now.stream().sorted().toList());
            assertTrue(dropped.containsAll(List.of(ids.get(0), ids.get(1), ids.get(2), ids.get(3))), dropped.toString());
            for (String id : dropped) {
                assertFalse(Files.exists(dir.resolve("ckpt").resolve("blocks").resolve(id)), "space of " + id + " released");
            }
            try (KeyValueStore r = c.restoreLatest(PLAIN, null).store()) {
                assertEquals(states.get(4), contents(r)); // the incremental 4 restores through the merged base
            }
            try (KeyValueStore r = c.restore(ids.get(3) + "-b1", PLAIN, null).store()) {
                assertEquals(states.get(3), contents(r));
            }
            // the live store's chain goes on from 4
            store.put(b("k9"), b("later"));
            CheckpointManifest later = c.checkpoint(store, true);
            assertEquals(ids.get(4), later.parent());
            try (KeyValueStore r = c.restoreLatest(PLAIN, null).store()) {
                assertEquals(contents(store), contents(r));
            }
        }
    }

    @Test
    void retentionByAgeNeverDropsTheNewest() throws Exception {
        ManualClock clock = new ManualClock();
        try (LocalCheckpointStorage st = storage(); KeyValueStore store = KeyValueStore.create(PLAIN)) {
            Checkpoints c = Checkpoints.builder(st, "s").clock(clock)
                .retention(Retention.youngerThan(Duration.ofMinutes(10))).build();
            List<String> ids = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                store.put(b("k" + i), b("v"));
                clock.millis += Duration.ofMinutes(4).toMillis();
                ids.add(c.checkpoint(store, false).id());
            }
            assertEquals(ids, c.ids(), "all within 10 minutes");
            clock.millis += Duration.ofHours(1).toMillis();
            c.applyRetention();
            assertEquals(List.of(ids.get(2)), c.ids());
        }
    }
}
