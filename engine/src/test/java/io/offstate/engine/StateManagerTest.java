package io.offstate.engine;

import static io.offstate.engine.TestData.string;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.log.WalOptions;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.StoreLockedException;

final class StateManagerTest {
    @TempDir
    Path dir;

    private StateManager manager;

    @AfterEach
    void tearDown() {
        if (manager != null && !manager.isClosed()) {
            manager.close();
        }
    }

    private StateManager open() {
        return open(WalOptions.defaults());
    }

    private StateManager open(WalOptions log) {
        manager = StateManager.open(StateManagerOptions.builder(dir).log(log).build());
        manager.define(StoreOptions.builder().name("counts").build());
        manager.define(StoreOptions.builder().name("totals").sortedIndex(true).build());
        return manager;
    }

    private static void commit(StatePartition p, String store, String key, String value, String positions) {
        try (Transaction tx = p.begin()) {
            if (value == null) {
                tx.delete(p.store(store), utf8(key));
            } else {
                tx.put(p.store(store), utf8(key), utf8(value));
            }
            tx.commit(positions == null ? null : utf8(positions));
        }
    }

    private static String get(StatePartition p, String store, String key) {
        byte[] v = p.store(store).getCopy(utf8(key));
        return v == null ? null : string(v);
    }

    @Test
    void commitsAreReadableAndSurviveACrashWithoutFlush() {
        open().assign(0, 1);
        StatePartition p0 = manager.partition(0);
        commit(p0, "counts", "a", "1", "offset=1");
        commit(p0, "totals", "b", "2", null);
        commit(p0, "counts", "a", "3", "offset=3");
        commit(p0, "counts", "gone", "x", null);
        commit(p0, "counts", "gone", null, "offset=5");
        commit(manager.partition(1), "counts", "a", "p1", "p1=1");
        assertEquals("3", get(p0, "counts", "a"));
        manager.crashForTests();

        open().assign(0, 1);
        p0 = manager.partition(0);
        assertEquals("3", get(p0, "counts", "a"));
        assertEquals("2", get(p0, "totals", "b"));
        assertNull(get(p0, "counts", "gone"));
        assertEquals("offset=5", string(p0.committedPositions()));
        assertEquals(5, p0.recovery().batchesReplayed());
        assertEquals("p1", get(manager.partition(1), "counts", "a"));
        assertEquals("p1=1", string(manager.partition(1).committedPositions()));
        assertEquals(1, manager.partition(1).recovery().batchesReplayed());
    }

    @Test
    void afterRevokeAndReassignNothingIsReplayedAndPositionsStay() {
        open().assign(3);
        commit(manager.partition(3), "counts", "k", "v", "pos");
        manager.revoke(3);
        assertEquals(Set.of(), manager.assigned());
        manager.assign(3);
        StatePartition p = manager.partition(3);
        assertEquals("v", get(p, "counts", "k"));
        assertEquals("pos", string(p.committedPositions()));
        assertEquals(0, p.recovery().batchesReplayed());
        manager.close();
        open().assign(3);
        assertEquals("pos", string(manager.partition(3).committedPositions()));
        assertEquals(0, manager.partition(3).recovery().batchesReplayed());
    }

    @Test
    void crashAfterFlushReplaysOnlyLaterCommits() {
        open().assign(0);
        StatePartition p = manager.partition(0);
        commit(p, "counts", "a", "1", "1");
        commit(p, "counts", "b", "2", "2");
        p.flush();
        commit(p, "counts", "c", "3", "3");
        manager.crashForTests();
        open().assign(0);
        p = manager.partition(0);
        assertEquals(1, p.recovery().batchesReplayed());
        assertEquals("1", get(p, "counts", "a"));
        assertEquals("3", get(p, "counts", "c"));
        assertEquals("3", string(p.committedPositions()));
    }

    @Test
    void logIsTrimmedOnceEveryPartitionFlushed() {
        open(WalOptions.defaults().withSegmentBytes(WalOptions.MIN_SEGMENT_BYTES)).assign(0, 1);
        StatePartition p0 = manager.partition(0);
        StatePartition p1 = manager.partition(1);
        byte[] big = new byte[1000];
        for (int i = 0; i < 40; i++) {
            try (Transaction tx = p0.begin()) {
                tx.put(p0.store("counts"), utf8("k" + i), big);
                tx.commit();
            }
        }
        commit(p1, "counts", "pinned", "1", null); // p1 now pins the log from here
        for (int i = 0; i < 40; i++) {
            try (Transaction tx = p0.begin()) {
                tx.put(p0.store("counts"), utf8("k" + i), big);
                tx.commit();
            }
        }
        int before = manager.stats().logSegments();
        p0.flush();
        int afterP0 = manager.stats().logSegments();
        assertTrue(afterP0 < before, "segments only p0 needed are deleted: " + before + " -> " + afterP0);
        assertTrue(afterP0 > 1, "p1's unflushed commit keeps its segment: " + afterP0);
        p1.flush();
        assertEquals(1, manager.stats().logSegments());
        manager.crashForTests();
        open().assign(0, 1);
        assertEquals("1", get(manager.partition(1), "counts", "pinned"));
        assertEquals(40, manager.partition(0).store("counts").size());
    }

    @Test
    void aPartitionHeldAtACrashKeepsItsLogUntilReassigned() {
        open(WalOptions.defaults().withSegmentBytes(WalOptions.MIN_SEGMENT_BYTES)).assign(0, 1);
        commit(manager.partition(1), "counts", "survivor", "yes", "p1");
        StatePartition p0 = manager.partition(0);
        byte[] big = new byte[1000];
        for (int i = 0; i < 40; i++) {
            try (Transaction tx = p0.begin()) {
                tx.put(p0.store("counts"), utf8("k" + i), big);
                tx.commit();
            }
        }
        manager.crashForTests();
        open(WalOptions.defaults().withSegmentBytes(WalOptions.MIN_SEGMENT_BYTES)).assign(0);
        p0 = manager.partition(0);
        for (int i = 0; i < 40; i++) {
            try (Transaction tx = p0.begin()) {
                tx.put(p0.store("counts"), utf8("j" + i), big);
                tx.commit();
            }
        }
        p0.flush(); // must not trim what partition 1 (not assigned now) still needs
        manager.assign(1);
        assertEquals("yes", get(manager.partition(1), "counts", "survivor"));
        assertEquals("p1", string(manager.partition(1).committedPositions()));
    }

    @Test
    void managedStoresRefuseDirectWritesAndOwnTransactions() {
        open().assign(0);
        KeyValueStore counts = manager.partition(0).store("counts");
        assertTrue(counts.isManaged());
        assertEquals(0, counts.partition());
        assertThrows(IllegalStateException.class, () -> counts.put(utf8("k"), utf8("v")));
        assertThrows(IllegalStateException.class, () -> counts.delete(utf8("k")));
        assertThrows(IllegalStateException.class, counts::clear);
        assertThrows(IllegalStateException.class, counts::flush);
        assertThrows(IllegalStateException.class, counts::close);
        assertThrows(IllegalStateException.class, () -> Transaction.begin(counts));
        assertEquals(0, counts.size());
        assertFalse(counts.isClosed());
    }

    @Test
    void oneTransactionAtATimeAndNotAfterRevoke() {
        open().assign(0);
        StatePartition p = manager.partition(0);
        Transaction tx = p.begin();
        tx.put(p.store("counts"), utf8("k"), utf8("v"));
        assertThrows(IllegalStateException.class, p::begin);
        assertThrows(IllegalStateException.class, p::flush);
        manager.revoke(0); // aborts the open transaction
        assertTrue(tx.isDone());
        assertTrue(p.isRevoked());
        assertThrows(StoreClosedException.class, p::begin);
        assertThrows(StoreClosedException.class, () -> p.store("counts"));
        manager.assign(0);
        assertNull(get(manager.partition(0), "counts", "k"));
    }

    @Test
    void changeRecordsCarryThePartition() {
        open().assign(7);
        StatePartition p = manager.partition(7);
        AtomicReference<Integer> seen = new AtomicReference<>();
        try (Transaction tx = p.begin()) {
            tx.addSink(r -> seen.set(r.partition()));
            tx.put(p.store("counts"), utf8("k"), utf8("v"));
            tx.commit();
        }
        assertEquals(7, seen.get());
    }

    @Test
    void aRefusingSinkAfterTheLogCancelsTheLoggedCommit() {
        open().assign(0);
        StatePartition p = manager.partition(0);
        try (Transaction tx = p.begin()) {
            tx.addSink(new ChangeSink() {
                @Override
                public void record(ChangeRecord record) {
                }

                @Override
                public void end() {
                    throw new IllegalStateException("broker says no");
                }
            });
            tx.put(p.store("counts"), utf8("k"), utf8("refused"));
            assertThrows(IllegalStateException.class, tx::commit);
        }
        commit(p, "counts", "other", "ok", null);
        assertNull(get(p, "counts", "k"));
        manager.crashForTests();
        open().assign(0);
        StatePartition again = manager.partition(0);
        assertNull(get(again, "counts", "k"), "the cancelled commit is not replayed");
        assertEquals("ok", get(again, "counts", "other"));
        assertEquals(1, again.recovery().cancelledSkipped());
        assertEquals(1, again.recovery().batchesReplayed());
    }

    @Test
    void badDefinitionsAndPartitionsAreRefusedWithNothingChanged() {
        manager = StateManager.open(StateManagerOptions.builder(dir).build());
        assertThrows(IllegalStateException.class, () -> manager.assign(0), "no store defined");
        for (String bad : List.of("", ".", "..", ".hidden", "a/b", "a\\b", "../x", "x y", "é", "a".repeat(256))) {
            assertThrows(IllegalArgumentException.class, () -> manager.define(StoreOptions.builder().name(bad).build()), bad);
        }
        assertThrows(NullPointerException.class, () -> manager.define(null));
        manager.define(StoreOptions.builder().name("s").build());
        assertThrows(IllegalArgumentException.class, () -> manager.define(StoreOptions.builder().name("s").build()));
        assertEquals(List.of("s"), manager.storeNames());
        assertThrows(IllegalArgumentException.class, () -> manager.assign(-1));
        assertThrows(IllegalArgumentException.class, () -> manager.assign(1, 1));
        assertThrows(NullPointerException.class, () -> manager.assign((int[]) null));
        assertEquals(Set.of(), manager.assigned());
        manager.assign(1);
        assertThrows(IllegalStateException.class, () -> manager.assign(2, 1));
        assertEquals(Set.of(1), manager.assigned(), "2 was not assigned either");
        assertThrows(IllegalStateException.class, () -> manager.define(StoreOptions.builder().name("late").build()));
        assertThrows(IllegalStateException.class, () -> manager.partition(2));
        assertThrows(IllegalStateException.class, () -> manager.revoke(1, 2));
        assertEquals(Set.of(1), manager.assigned(), "1 was not revoked");
        assertThrows(IllegalArgumentException.class, () -> manager.partition(1).store("nope"));
        assertThrows(IllegalArgumentException.class, () -> {
            try (Transaction tx = manager.partition(1).begin()) {
                tx.commit(new byte[PartitionMetadata.MAX_POSITIONS + 1]);
            }
        });
        manager.close();
        assertThrows(StoreClosedException.class, () -> manager.assign(0));
        assertThrows(StoreClosedException.class, () -> manager.partition(1));
        assertThrows(StoreClosedException.class, manager::stats);
        manager.close(); // idempotent
    }

    @Test
    void aSecondManagerOnTheDirectoryIsLockedOutAndNoLockOutlivesClose() {
        open().assign(0, 1);
        assertThrows(StoreLockedException.class, () -> StateManager.open(StateManagerOptions.builder(dir).build()));
        manager.close();
        StateManager second = StateManager.open(StateManagerOptions.builder(dir).build());
        second.define(StoreOptions.builder().name("counts").build());
        second.define(StoreOptions.builder().name("totals").sortedIndex(true).build());
        second.assign(0, 1);
        second.close();
        // every store directory is free again
        KeyValueStore.open(dir.resolve("counts").resolve("0"), StoreOptions.builder().name("counts").build()).closeWithoutFlush();
    }

    @Test
    void otherThreadsCannotRevokeOrCloseALivePartition() throws Exception {
        open().assign(0);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread other = new Thread(() -> {
            try {
                manager.revoke(0);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        other.start();
        other.join();
        assertTrue(thrown.get() instanceof WrongThreadException, String.valueOf(thrown.get()));
        assertEquals(Set.of(0), manager.assigned());
    }

    @Test
    void handOverMovesThePartitionToAnotherThread() throws Exception {
        open().assign(0);
        StatePartition p = manager.partition(0);
        AtomicReference<Throwable> thrown = new AtomicReference<>();
        Thread worker = new Thread(() -> {
            try {
                commit(p, "counts", "from", "worker", "w");
                manager.revoke(0);
            } catch (Throwable t) {
                thrown.set(t);
            }
        });
        p.handOverTo(worker);
        assertThrows(WrongThreadException.class, p::begin);
        worker.start();
        worker.join();
        assertNull(thrown.get());
        manager.assign(0);
        assertEquals("worker", get(manager.partition(0), "counts", "from"));
    }

    @Test
    void aStoreAheadOfTheLogIsCorruptAndNothingStaysLocked() throws Exception {
        open().assign(0);
        commit(manager.partition(0), "counts", "k", "v", null);
        manager.close();
        // lose the log: the stores now claim positions it does not have
        try (var files = Files.walk(dir.resolve(StateManager.LOG_DIRECTORY))) {
            files.sorted(java.util.Comparator.reverseOrder()).forEach(f -> f.toFile().delete());
        }
        open();
        CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class, () -> manager.assign(0));
        assertTrue(e.getMessage().contains("lost commits"), e.getMessage());
        assertEquals(Set.of(), manager.assigned());
        KeyValueStore.open(dir.resolve("counts").resolve("0"), StoreOptions.builder().name("counts").build()).closeWithoutFlush();
    }

    @Test
    void anUndefinedStoreInTheLogIsAClearError() {
        open().assign(0);
        commit(manager.partition(0), "totals", "k", "v", null);
        manager.crashForTests();
        manager = StateManager.open(StateManagerOptions.builder(dir).build());
        manager.define(StoreOptions.builder().name("counts").build());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> manager.assign(0));
        assertTrue(e.getMessage().contains("'totals'"), e.getMessage());
        assertEquals(Set.of(), manager.assigned());
    }

    @Test
    void statsCountCommitsEntriesAndRecovery() {
        open().assign(0, 1);
        commit(manager.partition(0), "counts", "a", "1", null);
        commit(manager.partition(0), "totals", "b", "1", null);
        commit(manager.partition(1), "counts", "c", "1", null);
        StateManagerStats s = manager.stats();
        assertEquals(2, s.partitions());
        assertEquals(3, s.commits());
        assertEquals(3, s.entries());
        assertTrue(s.logEndPosition() > 0);
        assertTrue(s.memoryUsed() > 0);
        assertEquals(2, s.perPartition().get(0).entries());
        assertEquals(2, s.perPartition().get(0).stores());
        manager.revoke(1);
        assertEquals(3, manager.stats().commits(), "commits of revoked partitions still count");
        assertSame(manager.partition(0).recovery(), manager.partition(0).recovery());
    }

    @Test
    void autoFlushByLogSize() {
        manager = StateManager.open(StateManagerOptions.builder(dir).flushWhenLogExceeds(4096).build());
        manager.define(StoreOptions.builder().name("counts").build());
        manager.assign(0);
        StatePartition p = manager.partition(0);
        for (int i = 0; i < 20; i++) {
            try (Transaction tx = p.begin()) {
                tx.put(p.store("counts"), utf8("k" + i), new byte[1000]);
                tx.commit();
            }
        }
        assertTrue(p.stats().flushes() >= 3, "flushes: " + p.stats().flushes());
        manager.crashForTests();
        manager = StateManager.open(StateManagerOptions.builder(dir).build());
        manager.define(StoreOptions.builder().name("counts").build());
        manager.assign(0);
        assertTrue(manager.partition(0).recovery().batchesReplayed() < 5);
        assertEquals(20, manager.partition(0).store("counts").size());
    }

    @Test
    void anOversizeCommitIsRefusedUnchanged() {
        open(WalOptions.defaults().withMaxBatchBytes(64 << 10)).assign(0);
        StatePartition p = manager.partition(0);
        try (Transaction tx = p.begin()) {
            for (int i = 0; i < 100; i++) {
                tx.put(p.store("counts"), utf8("k" + i), new byte[1000]);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, tx::commit);
            assertTrue(e.getMessage().contains("maxBatchBytes"), e.getMessage());
            assertFalse(tx.isDone());
        }
        assertEquals(0, p.store("counts").size());
        commit(p, "counts", "small", "ok", "after");
        assertArrayEquals(utf8("after"), p.committedPositions());
    }
}
