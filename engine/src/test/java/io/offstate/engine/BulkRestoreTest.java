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

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.StoreFullException;

final class BulkRestoreTest {
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
        manager = StateManager.open(StateManagerOptions.builder(dir).build());
        manager.define(StoreOptions.builder().name("counts").build());
        manager.define(StoreOptions.builder().name("totals").sortedIndex(true).build());
        return manager;
    }

    private static String get(StatePartition p, String store, String key) {
        byte[] v = p.store(store).getCopy(utf8(key));
        return v == null ? null : string(v);
    }

    @Test
    void recordsGoStraightIntoTheStoresAndThePositionsBecomeDurableWithTheFlush() {
        open().assign(0);
        StatePartition p = manager.partition(0);
        KeyValueStore counts = p.store("counts");
        KeyValueStore totals = p.store("totals");
        long commitsBefore = p.stats().commits();
        try (BulkRestore r = p.beginRestore(1_000)) {
            r.put(counts, utf8("a"), utf8("1"));
            r.put(totals, utf8("t"), utf8("x"));
            r.put(counts, utf8("gone"), utf8("soon"));
            r.delete(counts, utf8("gone"));
            r.delete(counts, utf8("never-there"));
            byte[] key = utf8("..seg..");
            byte[] value = utf8("<<v>>");
            r.put(counts, MemorySegment.ofArray(key), 2, 3, MemorySegment.ofArray(value), 2, 1);
            r.put(counts, MemorySegment.ofArray(utf8("z")), 0, 1, MemorySegment.ofArray(utf8("zz")), 0, 2);
            r.delete(counts, MemorySegment.ofArray(utf8("xzx")), 1, 1);
            assertEquals("1", get(p, "counts", "a"), "applied at once, readable");
            assertEquals("x", get(p, "totals", "t"));
            assertNull(get(p, "counts", "gone"));
            assertEquals("v", get(p, "counts", "seg"));
            assertNull(get(p, "counts", "z"), "the segment delete applied");
            assertEquals(8, r.records());
            assertNull(p.committedPositions(), "nothing durable yet");
            r.positions(utf8("offset=8"));
            assertNull(p.committedPositions(), "positions wait for the flush");
        }
        assertArrayEquals(utf8("offset=8"), p.committedPositions());
        assertEquals(commitsBefore, p.stats().commits(), "no transaction, no log record");
        manager.crashForTests(); // no revoke flush: the restore's own flush must have made it durable
        open().assign(0);
        StatePartition again = manager.partition(0);
        assertArrayEquals(utf8("offset=8"), again.committedPositions());
        assertEquals("1", get(again, "counts", "a"));
        assertEquals("x", get(again, "totals", "t"));
        assertEquals("v", get(again, "counts", "seg"));
        assertNull(get(again, "counts", "gone"));
        assertEquals(0, again.recovery().batchesReplayed());
    }

    @Test
    void aCrashBeforeTheNextFlushKeepsTheLastFlushWithItsPositions() {
        open().assign(0);
        StatePartition p = manager.partition(0);
        KeyValueStore counts = p.store("counts");
        BulkRestore r = p.beginRestore(100);
        r.put(counts, utf8("a"), utf8("1"));
        r.positions(utf8("1"));
        r.flush();
        assertEquals(1, r.flushes());
        assertArrayEquals(utf8("1"), p.committedPositions());
        r.put(counts, utf8("a"), utf8("2"));
        r.put(counts, utf8("b"), utf8("2"));
        r.positions(utf8("3"));
        manager.crashForTests();
        open().assign(0);
        StatePartition again = manager.partition(0);
        assertArrayEquals(utf8("1"), again.committedPositions(), "the positions of the last flush");
        assertEquals("1", get(again, "counts", "a"));
        assertNull(get(again, "counts", "b"));
    }

    @Test
    void aRestoreAfterLoggedCommitsKeepsThemAndTheLogReplaysThemIfTheRestoreIsLost() {
        open().assign(0);
        StatePartition p = manager.partition(0);
        try (Transaction tx = p.begin()) {
            tx.put(p.store("counts"), utf8("logged"), utf8("1"));
            tx.commit(utf8("tx"));
        }
        BulkRestore r = p.beginRestore(100);
        r.put(p.store("counts"), utf8("bulk"), utf8("2"));
        manager.crashForTests();
        open().assign(0);
        StatePartition again = manager.partition(0);
        assertEquals("1", get(again, "counts", "logged"), "replayed from the log");
        assertNull(get(again, "counts", "bulk"), "never flushed");
        assertArrayEquals(utf8("tx"), again.committedPositions());
    }

    @Test
    void flushIfDueFollowsADoublingSchedule() {
        open().assign(0);
        StatePartition p = manager.partition(0);
        KeyValueStore counts = p.store("counts");
        try (BulkRestore r = p.beginRestore(10)) {
            int i = 0;
            StringBuilder flushedAt = new StringBuilder();
            for (; i < 100; i++) {
                r.put(counts, utf8("k" + i), utf8("v"));
                r.positions(utf8(Integer.toString(i + 1)));
                if (r.flushIfDue()) {
                    flushedAt.append(i + 1).append(' ');
                    assertArrayEquals(utf8(Integer.toString(i + 1)), p.committedPositions());
                }
            }
            assertEquals("10 30 70 ", flushedAt.toString(), "after 10, then 20 more, then 40 more");
            assertFalse(r.isFlushDue());
            assertEquals(3, r.flushes());
        }
        assertArrayEquals(utf8("100"), p.committedPositions(), "close flushes the rest");
    }

    @Test
    void thePartitionTakesNoTransactionFlushOrHandOverWhileARestoreIsOpen() {
        open().assign(0);
        StatePartition p = manager.partition(0);
        BulkRestore r = p.beginRestore(100);
        assertSame(r, p.openRestore());
        assertThrows(IllegalStateException.class, p::begin);
        assertThrows(IllegalStateException.class, p::flush);
        assertThrows(IllegalStateException.class, () -> p.image(false));
        assertThrows(IllegalStateException.class, () -> p.handOverTo(Thread.currentThread()));
        assertThrows(IllegalStateException.class, () -> p.beginRestore(100), "one restore at a time");
        assertFalse(p.flushIfDue());
        assertThrows(IllegalStateException.class, () -> p.store("counts").put(utf8("k"), utf8("v")), "still managed");
        r.close();
        r.close(); // idempotent
        assertTrue(r.isClosed());
        assertNull(p.openRestore());
        try (Transaction tx = p.begin()) {
            tx.put(p.store("counts"), utf8("after"), utf8("1"));
            tx.commit(utf8("p"));
        }
        assertEquals("1", get(p, "counts", "after"));
        assertThrows(IllegalStateException.class, () -> r.put(p.store("counts"), utf8("k"), utf8("v")), "closed");
        assertThrows(IllegalStateException.class, () -> r.positions(utf8("p")));
        assertThrows(IllegalStateException.class, r::flush);
    }

    @Test
    void aRestoreNeedsNoOpenTransactionAndAPositiveSchedule() {
        open().assign(0);
        StatePartition p = manager.partition(0);
        assertThrows(IllegalArgumentException.class, () -> p.beginRestore(0));
        assertThrows(IllegalArgumentException.class, () -> p.beginRestore(-1));
        Transaction tx = p.begin();
        assertThrows(IllegalStateException.class, () -> p.beginRestore(10));
        tx.abort();
        p.beginRestore(10).close();
    }

    @Test
    void badInputThrowsAndChangesNothing() {
        open().assign(0, 1);
        StatePartition p = manager.partition(0);
        KeyValueStore counts = p.store("counts");
        KeyValueStore other = manager.partition(1).store("counts");
        try (BulkRestore r = p.beginRestore(10);
             KeyValueStore own = KeyValueStore.create()) {
            r.put(counts, utf8("k"), utf8("v"));
            assertThrows(NullPointerException.class, () -> r.put(null, utf8("k"), utf8("v")));
            assertThrows(NullPointerException.class, () -> r.put(counts, null, utf8("v")));
            assertThrows(NullPointerException.class, () -> r.put(counts, utf8("k"), null));
            assertThrows(NullPointerException.class, () -> r.delete(counts, (byte[]) null));
            assertThrows(NullPointerException.class, () -> r.delete(null, utf8("k")));
            assertThrows(NullPointerException.class, () -> r.positions(null));
            assertThrows(NullPointerException.class, () -> r.expect(null, 1));
            IllegalArgumentException foreign = assertThrows(IllegalArgumentException.class, () -> r.put(other, utf8("k"), utf8("x")));
            assertTrue(foreign.getMessage().contains("not a store of partition 0"), foreign.getMessage());
            assertThrows(IllegalArgumentException.class, () -> r.put(own, utf8("k"), utf8("x")));
            assertThrows(IllegalArgumentException.class, () -> r.delete(other, utf8("k")));
            assertThrows(IllegalArgumentException.class, () -> r.put(counts, new byte[KeyValueStore.MAX_KEY_LENGTH + 1], utf8("x")));
            assertThrows(IllegalArgumentException.class, () -> r.put(counts, MemorySegment.ofArray(utf8("k")), 0, 2,
                MemorySegment.ofArray(utf8("x")), 0, 1), "key range outside its segment");
            assertThrows(IllegalArgumentException.class, () -> r.put(counts, MemorySegment.ofArray(utf8("k")), 0, 1,
                MemorySegment.ofArray(utf8("x")), -1, 1));
            assertThrows(IllegalArgumentException.class, () -> r.delete(counts, MemorySegment.ofArray(utf8("k")), 1, 1));
            assertThrows(IllegalArgumentException.class, () -> r.positions(new byte[TestManagers.MAX_POSITIONS + 1]));
            assertThrows(IllegalArgumentException.class, () -> r.expect(counts, -1));
            assertThrows(IllegalArgumentException.class, () -> r.expect(other, 1));
            assertEquals("v", get(p, "counts", "k"));
            assertEquals(1, counts.size());
            assertEquals(0, other.size());
            assertEquals(1, r.records(), "refused writes are not counted");
        }
    }

    @Test
    void aWriteOverTheBudgetIsRefusedWithTheStoreUnchanged() {
        manager = StateManager.open(StateManagerOptions.builder(dir).build());
        manager.define(StoreOptions.builder().name("small").memoryBudget(4L << 20).build());
        manager.assign(0);
        StatePartition p = manager.partition(0);
        KeyValueStore small = p.store("small");
        try (BulkRestore r = p.beginRestore(10)) {
            r.put(small, utf8("a"), utf8("1"));
            long used = small.memoryUsed();
            assertThrows(StoreFullException.class, () -> r.put(small, utf8("big"), new byte[8 << 20]));
            assertEquals(used, small.memoryUsed());
            assertEquals(1, small.size());
            assertFalse(r.expect(small, 10_000_000), "a table over the budget is not reserved");
            r.positions(utf8("1"));
        }
        assertArrayEquals(utf8("1"), p.committedPositions());
    }

    @Test
    void expectSizesTheHashIndexOfAnEmptyStoreOnly() {
        open().assign(0);
        StatePartition p = manager.partition(0);
        KeyValueStore counts = p.store("counts");
        KeyValueStore totals = p.store("totals");
        long before = counts.stats().hashCapacity();
        try (BulkRestore r = p.beginRestore(1_000)) {
            assertTrue(r.expect(counts, 100_000));
            long reserved = counts.stats().hashCapacity();
            assertTrue(reserved >= 100_000 * 100 / 90, "capacity " + reserved + " holds 100,000 keys at 90% load");
            assertTrue(reserved > before);
            assertFalse(r.expect(counts, 10), "already large enough: nothing to do (and not empty from here on)");
            for (int i = 0; i < 100_000; i++) {
                r.put(counts, utf8("k" + i), utf8("v"));
            }
            assertEquals(reserved, counts.stats().hashCapacity(), "no growth step on the way");
            assertFalse(counts.stats().growthInProgress());
            assertFalse(r.expect(counts, 1_000_000), "a store with entries is left as it is");
            assertEquals(reserved, counts.stats().hashCapacity());
            r.put(totals, utf8("t"), utf8("1"));
            assertFalse(r.expect(totals, 1_000));
            assertFalse(r.expect(counts, 0));
            r.positions(utf8("done"));
        }
        assertEquals(100_000, counts.size());
        assertEquals("v", get(p, "counts", "k99999"));
        manager.close();
        open().assign(0);
        assertEquals(100_000, manager.partition(0).store("counts").size());
        assertEquals("v", get(manager.partition(0), "counts", "k12345"));
    }

    @Test
    void aRevokeClosesTheRestoreAndMakesItsPositionsDurable() {
        open().assign(0);
        StatePartition p = manager.partition(0);
        BulkRestore r = p.beginRestore(100);
        r.put(p.store("counts"), utf8("a"), utf8("1"));
        r.positions(utf8("revoked-at-1"));
        manager.revoke(0);
        assertTrue(r.isClosed());
        assertThrows(StoreClosedException.class, () -> r.positions(utf8("x")));
        assertThrows(StoreClosedException.class, r::flush);
        r.close(); // closed already: nothing to do
        manager.assign(0);
        StatePartition again = manager.partition(0);
        assertArrayEquals(utf8("revoked-at-1"), again.committedPositions());
        assertEquals("1", get(again, "counts", "a"));
    }

    @Test
    void onlyTheOwnerThreadRestores() throws Exception {
        open().assign(0);
        StatePartition p = manager.partition(0);
        BulkRestore r = p.beginRestore(100);
        AtomicReference<Throwable> put = new AtomicReference<>();
        AtomicReference<Throwable> begin = new AtomicReference<>();
        AtomicReference<Throwable> close = new AtomicReference<>();
        Thread t = new Thread(() -> {
            put.set(catchThrowable(() -> r.put(p.store("counts"), utf8("k"), utf8("v"))));
            close.set(catchThrowable(r::close));
        });
        t.start();
        t.join();
        assertTrue(put.get() instanceof WrongThreadException, String.valueOf(put.get()));
        assertTrue(close.get() instanceof WrongThreadException, String.valueOf(close.get()));
        assertFalse(r.isClosed());
        r.close();
        Thread t2 = new Thread(() -> begin.set(catchThrowable(() -> p.beginRestore(10))));
        t2.start();
        t2.join();
        assertTrue(begin.get() instanceof WrongThreadException, String.valueOf(begin.get()));
    }

    private static Throwable catchThrowable(Runnable r) {
        try {
            r.run();
            return null;
        } catch (Throwable e) {
            return e;
        }
    }
}
