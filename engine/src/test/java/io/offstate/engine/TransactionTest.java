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

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.StoreFullException;

class TransactionTest {
    private final List<AutoCloseable> open = new ArrayList<>();

    private KeyValueStore sorted(String name) {
        KeyValueStore s = KeyValueStore.create(StoreOptions.builder().name(name).sortedIndex(true).hashSeed(5).build());
        open.add(s);
        return s;
    }

    @AfterEach
    void closeAll() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
    }

    private static List<String> keys(TransactionCursor c) {
        List<String> out = new ArrayList<>();
        while (c.next()) {
            out.add(string(c.key().toByteArray()) + "=" + string(c.value().toByteArray()));
        }
        return out;
    }

    @Test
    void readsSeeOwnWritesAndStoreSeesCommittedOnly() {
        KeyValueStore store = sorted("a");
        store.put(utf8("k1"), utf8("old"));
        store.put(utf8("k2"), utf8("gone"));
        try (Transaction tx = Transaction.begin(store)) {
            tx.put(store, utf8("k1"), utf8("new"));
            tx.put(store, utf8("k3"), utf8("three"));
            assertTrue(tx.delete(store, utf8("k2")));
            assertArrayEquals(utf8("new"), tx.getCopy(store, utf8("k1")));
            assertArrayEquals(utf8("three"), tx.getCopy(store, utf8("k3")));
            assertNull(tx.getCopy(store, utf8("k2")));
            assertFalse(tx.contains(store, utf8("k2")));
            assertTrue(tx.contains(store, utf8("k3")));
            // outside: committed state only
            assertArrayEquals(utf8("old"), store.getCopy(utf8("k1")));
            assertArrayEquals(utf8("gone"), store.getCopy(utf8("k2")));
            assertFalse(store.contains(utf8("k3")));
            tx.commit();
        }
        assertArrayEquals(utf8("new"), store.getCopy(utf8("k1")));
        assertFalse(store.contains(utf8("k2")));
        assertArrayEquals(utf8("three"), store.getCopy(utf8("k3")));
        assertEquals(2, store.size());
    }

    @Test
    void overwriteKeepsOnePendingEntryAndDeleteOfUnknownKeyRecordsNothing() {
        KeyValueStore store = sorted("a");
        try (Transaction tx = Transaction.begin(store)) {
            for (int i = 0; i < 10; i++) {
                tx.put(store, utf8("k"), pattern(10 + i, i));
            }
            assertEquals(1, tx.pendingWrites(store));
            assertFalse(tx.delete(store, utf8("absent")));
            assertEquals(1, tx.pendingWrites(store));
            assertTrue(tx.delete(store, utf8("k")));
            assertEquals(0, tx.pendingWrites(store), "a put of a key the store lacks, then deleted, leaves nothing pending");
            assertFalse(tx.delete(store, utf8("k")));
        }
    }

    @Test
    void cursorMergesPendingWritesForwardReverseRangeAndPrefix() {
        KeyValueStore store = sorted("a");
        for (String k : new String[] {"a1", "a3", "a5", "b1", "b2"}) {
            store.put(utf8(k), utf8("c" + k));
        }
        try (Transaction tx = Transaction.begin(store)) {
            tx.put(store, utf8("a2"), utf8("p"));
            tx.put(store, utf8("a3"), utf8("q"));
            tx.delete(store, utf8("a5"));
            tx.put(store, utf8("a6"), utf8("r"));
            tx.delete(store, utf8("b2"));
            tx.put(store, utf8("c"), utf8("s"));
            TransactionCursor c = tx.cursor(store);
            assertEquals(List.of("a1=ca1", "a2=p", "a3=q", "a6=r", "b1=cb1", "c=s"), keys(c.range(null, null)));
            assertEquals(List.of("c=s", "b1=cb1", "a6=r", "a3=q", "a2=p", "a1=ca1"), keys(c.rangeReverse(null, null)));
            assertEquals(List.of("a2=p", "a3=q", "a6=r"), keys(c.range(utf8("a2"), utf8("b1"))));
            assertEquals(List.of("a6=r", "a3=q", "a2=p"), keys(c.rangeReverse(utf8("a2"), utf8("b1"))));
            assertEquals(List.of("a1=ca1", "a2=p", "a3=q", "a6=r"), keys(c.prefix(utf8("a"))));
            assertEquals(List.of("b1=cb1"), keys(c.prefixReverse(utf8("b"))));
            // the store's own cursor sees committed state
            Cursor committed = store.cursor().range(null, null);
            int n = 0;
            while (committed.next()) {
                n++;
            }
            assertEquals(5, n);
        }
    }

    @Test
    void cursorFailsFastAfterAWriteInTheTransaction() {
        KeyValueStore store = sorted("a");
        store.put(utf8("x"), utf8("1"));
        try (Transaction tx = Transaction.begin(store)) {
            tx.put(store, utf8("y"), utf8("2"));
            TransactionCursor c = tx.cursor(store).range(null, null);
            assertTrue(c.next());
            tx.put(store, utf8("z"), utf8("3"));
            assertThrows(java.util.ConcurrentModificationException.class, () -> {
                while (c.next()) {
                    c.key();
                }
            });
        }
    }

    @Test
    void cursorOnAStoreWithoutSortedIndexIsUnsupported() {
        KeyValueStore plain = TestData.plainStore();
        open.add(plain);
        try (Transaction tx = Transaction.begin(plain)) {
            assertThrows(UnsupportedOperationException.class, () -> tx.cursor(plain));
        }
    }

    @Test
    void commitOverTwoStoresAppliesBothAndRecordsPositions() {
        KeyValueStore a = sorted("a");
        KeyValueStore b = sorted("b");
        assertNull(Transaction.committedPositions(a));
        try (Transaction tx = Transaction.begin(a, b)) {
            tx.put(a, utf8("ka"), utf8("va"));
            tx.put(b, utf8("kb"), utf8("vb"));
            byte[] positions = utf8("topic-0:42");
            tx.commit(positions);
            positions[0] = 'X'; // copied
        }
        assertArrayEquals(utf8("va"), a.getCopy(utf8("ka")));
        assertArrayEquals(utf8("vb"), b.getCopy(utf8("kb")));
        assertArrayEquals(utf8("topic-0:42"), Transaction.committedPositions(a));
        assertArrayEquals(utf8("topic-0:42"), Transaction.committedPositions(b));
    }

    @Test
    void abortAndCloseDiscard() {
        KeyValueStore a = sorted("a");
        Transaction tx = Transaction.begin(a);
        tx.put(a, utf8("k"), utf8("v"));
        tx.abort();
        assertFalse(a.contains(utf8("k")));
        try (Transaction t2 = Transaction.begin(a)) {
            t2.put(a, utf8("k"), utf8("v"));
        }
        assertFalse(a.contains(utf8("k")));
        assertEquals(0, a.size());
    }

    @Test
    void useAfterCommitOrAbortThrowsNamingWhatHappened() {
        KeyValueStore a = sorted("a");
        Transaction committed = Transaction.begin(a);
        committed.commit();
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> committed.put(a, utf8("k"), utf8("v")));
        assertTrue(e.getMessage().contains("committed"), e.getMessage());
        assertThrows(IllegalStateException.class, committed::commit);
        assertThrows(IllegalStateException.class, committed::abort);
        assertThrows(IllegalStateException.class, () -> committed.get(a, utf8("k"), new ValueView()));
        committed.close(); // idempotent
        assertTrue(committed.isDone());

        Transaction aborted = Transaction.begin(a);
        TransactionCursor c = aborted.cursor(a);
        aborted.abort();
        e = assertThrows(IllegalStateException.class, () -> aborted.contains(a, utf8("k")));
        assertTrue(e.getMessage().contains("aborted"), e.getMessage());
        assertThrows(IllegalStateException.class, () -> c.range(null, null));
        assertFalse(a.contains(utf8("k")));
    }

    @Test
    void badInputThrowsAndChangesNothing() {
        KeyValueStore a = sorted("a");
        KeyValueStore other = sorted("other");
        try (Transaction tx = Transaction.begin(a)) {
            assertThrows(NullPointerException.class, () -> tx.put(a, null, utf8("v")));
            assertThrows(NullPointerException.class, () -> tx.put(a, utf8("k"), null));
            assertThrows(NullPointerException.class, () -> tx.put(null, utf8("k"), utf8("v")));
            assertThrows(NullPointerException.class, () -> tx.get(a, (byte[]) null, new ValueView()));
            assertThrows(NullPointerException.class, () -> tx.delete(a, (byte[]) null));
            IllegalArgumentException big = assertThrows(IllegalArgumentException.class,
                () -> tx.put(a, new byte[KeyValueStore.MAX_KEY_LENGTH + 1], utf8("v")));
            assertTrue(big.getMessage().contains(String.valueOf(KeyValueStore.MAX_KEY_LENGTH)), big.getMessage());
            IllegalArgumentException notPart = assertThrows(IllegalArgumentException.class, () -> tx.put(other, utf8("k"), utf8("v")));
            assertTrue(notPart.getMessage().contains("'other'") && notPart.getMessage().contains("not part"), notPart.getMessage());
            assertThrows(IllegalArgumentException.class, () -> tx.commit(new byte[KeyValueStore.MAX_FLUSH_METADATA + 1]));
            assertEquals(0, tx.pendingWrites(a));
            tx.commit();
        }
        assertEquals(0, a.size());
        assertEquals(0, other.size());
        assertThrows(IllegalArgumentException.class, () -> Transaction.begin());
        assertThrows(IllegalArgumentException.class, () -> Transaction.begin(a, a));
        assertThrows(NullPointerException.class, () -> Transaction.begin(a, null));
    }

    @Test
    void oversizeValueIsRefusedByTheTransactionLimit() {
        KeyValueStore a = KeyValueStore.create(StoreOptions.builder().name("big").memoryBudget(1L << 30).build());
        open.add(a);
        try (Transaction tx = Transaction.begin(a)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tx.put(a, utf8("k"), new byte[Transaction.MAX_VALUE_LENGTH + 1]));
            assertTrue(e.getMessage().contains(String.valueOf(Transaction.MAX_VALUE_LENGTH)), e.getMessage());
            assertEquals(0, tx.pendingWrites(a));
        }
    }

    @Test
    void closedStoreThrowsStoreClosedAndCommitChangesNothing() {
        KeyValueStore a = sorted("a");
        KeyValueStore b = KeyValueStore.create(StoreOptions.builder().name("b").sortedIndex(true).build());
        Transaction tx = Transaction.begin(a, b);
        tx.put(a, utf8("k"), utf8("v"));
        tx.put(b, utf8("k"), utf8("v"));
        b.close();
        assertThrows(StoreClosedException.class, () -> tx.put(b, utf8("k2"), utf8("v")));
        assertThrows(StoreClosedException.class, tx::commit);
        assertFalse(a.contains(utf8("k")), "nothing applied to the open store");
        assertTrue(tx.contains(a, utf8("k")), "still open after the failed commit");
        tx.abort();
        assertThrows(StoreClosedException.class, () -> Transaction.begin(b));
    }

    @Test
    void storeFullAtCommitLeavesBothStoresUnchanged() {
        KeyValueStore roomy = sorted("roomy");
        KeyValueStore tight = KeyValueStore.create(StoreOptions.builder().name("tight").pageSize(4096)
            .memoryBudget(256 * 1024).sortedIndex(true).hashSeed(3).build());
        open.add(tight);
        roomy.put(utf8("keep"), utf8("1"));
        for (int i = 0; i < 1000; i++) {
            tight.put(utf8("old-" + i), pattern(100, i));
        }
        long roomyUsed = roomy.memoryUsed();
        long tightUsed = tight.memoryUsed();
        Transaction tx = Transaction.begin(roomy, tight);
        tx.put(roomy, utf8("new"), utf8("x"));
        tx.delete(roomy, utf8("keep"));
        for (int i = 0; i < 1000; i++) {
            tx.put(tight, utf8("key-" + i), pattern(100, i)); // as much again: more than the budget has left
        }
        List<String> seen = new ArrayList<>();
        tx.addSink(r -> seen.add(r.storeName()));
        StoreFullException e = assertThrows(StoreFullException.class, tx::commit);
        assertTrue(e.getMessage().contains("tight"), e.getMessage());
        assertTrue(seen.isEmpty(), "sinks see nothing of a commit refused by the plan");
        assertArrayEquals(utf8("1"), roomy.getCopy(utf8("keep")));
        assertFalse(roomy.contains(utf8("new")));
        assertEquals(1, roomy.size());
        assertEquals(1000, tight.size());
        assertFalse(tight.contains(utf8("key-0")));
        assertEquals(roomyUsed, roomy.memoryUsed());
        assertEquals(tightUsed, tight.memoryUsed());
        tight.verify();
        roomy.verify();
        assertFalse(tx.isDone());
        tx.abort();
    }

    @Test
    void commitThatFitsTheBudgetWhollyIsApplied() {
        KeyValueStore tight = KeyValueStore.create(StoreOptions.builder().name("tight").pageSize(4096)
            .memoryBudget(1 << 20).sortedIndex(true).hashSeed(3).build());
        open.add(tight);
        try (Transaction tx = Transaction.begin(tight)) {
            for (int i = 0; i < 500; i++) {
                tx.put(tight, utf8("key-" + i), pattern(100, i));
            }
            tx.commit();
        }
        assertEquals(500, tight.size());
        assertTrue(tight.memoryUsed() <= tight.memoryBudget());
        tight.verify();
    }

    @Test
    void sinksReceiveOrderedRecordsBeforeTheStoresApplyThem() {
        KeyValueStore a = sorted("a");
        KeyValueStore b = sorted("b");
        a.put(utf8("gone"), utf8("x"));
        List<String> seen = new ArrayList<>();
        AtomicReference<byte[]> positionsSeen = new AtomicReference<>();
        try (Transaction tx = Transaction.begin(a, b)) {
            tx.recordTimestamp(7);
            tx.put(b, utf8("k2"), utf8("v2"), 99);
            tx.put(a, utf8("z"), utf8("vz"));
            tx.put(a, utf8("m"), utf8("vm"));
            tx.delete(a, utf8("gone"));
            tx.addSink(new ChangeSink() {
                @Override
                public void begin(byte[] positions) {
                    positionsSeen.set(positions.clone());
                }

                @Override
                public void record(ChangeRecord r) {
                    assertFalse(r.store().contains(r.key().toByteArray()) && !r.isDelete(), "not applied yet");
                    seen.add(r.sequence() + ":" + r.storeName() + (r.isDelete() ? " del " : " put ")
                        + string(r.key().toByteArray()) + "=" + string(r.value().toByteArray()) + "@" + r.timestamp());
                }

                @Override
                public void end() {
                    assertTrue(a.contains(utf8("gone")), "not applied before every sink accepted");
                }
            });
            tx.commit(utf8("p"));
        }
        assertEquals(List.of("0:a del gone=@7", "1:a put m=vm@7", "2:a put z=vz@7", "3:b put k2=v2@99"), seen);
        assertArrayEquals(utf8("p"), positionsSeen.get());
        assertFalse(a.contains(utf8("gone")));
    }

    @Test
    void refusingSinkFailsTheCommitWithNothingAppliedAndOthersAreAborted() {
        KeyValueStore a = sorted("a");
        KeyValueStore b = sorted("b");
        b.put(utf8("k"), utf8("old"));
        List<String> events = new ArrayList<>();
        Transaction tx = Transaction.begin(a, b);
        tx.put(a, utf8("k"), utf8("v"));
        tx.put(b, utf8("k"), utf8("new"));
        tx.addSink(new ChangeSink() {
            @Override
            public void record(ChangeRecord record) {
                events.add("first " + record.storeName());
            }

            @Override
            public void aborted() {
                events.add("first aborted");
            }
        });
        tx.addSink(record -> {
            throw new IllegalStateException("broker refused");
        });
        IllegalStateException e = assertThrows(IllegalStateException.class, tx::commit);
        assertEquals("broker refused", e.getMessage());
        assertEquals(List.of("first a", "first aborted"), events);
        assertFalse(a.contains(utf8("k")));
        assertArrayEquals(utf8("old"), b.getCopy(utf8("k")));
        assertNull(Transaction.committedPositions(a));
        assertArrayEquals(utf8("new"), tx.getCopy(b, utf8("k")), "still open with its pending writes");
        tx.abort();
    }

    @Test
    void segmentKeysAndValuesWork() {
        KeyValueStore a = sorted("a");
        try (Arena arena = Arena.ofConfined(); Transaction tx = Transaction.begin(a)) {
            MemorySegment k = arena.allocateFrom("seg-key");
            MemorySegment v = arena.allocateFrom("seg-value");
            tx.put(a, k, v);
            ValueView view = new ValueView();
            assertTrue(tx.get(a, k, view));
            assertEquals(v.byteSize(), view.length());
            assertTrue(tx.contains(a, k));
            tx.commit();
            assertTrue(a.contains(k));
        }
        try (Arena arena = Arena.ofConfined(); Transaction tx = Transaction.begin(a)) {
            MemorySegment k = arena.allocateFrom("seg-key");
            assertTrue(tx.delete(a, k));
            assertFalse(tx.contains(a, k));
            tx.commit();
            assertFalse(a.contains(k));
        }
    }

    @Test
    void dictionaryEncodedStoreCommits() {
        KeyValueStore d = KeyValueStore.create(StoreOptions.builder().name("dict").sortedIndex(true)
            .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|')).build());
        open.add(d);
        d.put(utf8("t1|a"), utf8("1"));
        try (Transaction tx = Transaction.begin(d)) {
            tx.put(d, utf8("t2|b"), utf8("2"));
            tx.put(d, utf8("t1|c"), utf8("3"));
            tx.delete(d, utf8("t1|a"));
            assertEquals(List.of("t1|c=3", "t2|b=2"), keys(tx.cursor(d).range(null, null)));
            tx.commit();
        }
        assertFalse(d.contains(utf8("t1|a")));
        assertArrayEquals(utf8("2"), d.getCopy(utf8("t2|b")));
        assertArrayEquals(utf8("3"), d.getCopy(utf8("t1|c")));
        d.verify();
    }

    @Test
    void otherThreadsAreRefused() throws Exception {
        KeyValueStore a = sorted("a");
        try (Transaction tx = Transaction.begin(a)) {
            AtomicReference<Throwable> thrown = new AtomicReference<>();
            Thread t = new Thread(() -> {
                try {
                    tx.put(a, utf8("k"), utf8("v"));
                } catch (Throwable e) {
                    thrown.set(e);
                }
            });
            t.start();
            t.join();
            assertTrue(thrown.get() instanceof WrongThreadException, String.valueOf(thrown.get()));
            assertEquals(0, tx.pendingWrites(a));
        }
    }

    @Test
    void getAndPutInsideATransactionAllocateNothing() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean threads) || !threads.isThreadAllocatedMemorySupported()) {
            return;
        }
        threads.setThreadAllocatedMemoryEnabled(true);
        KeyValueStore a = sorted("a");
        byte[][] keys = new byte[64][];
        byte[][] values = new byte[64][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = utf8("k" + i);
            values[i] = pattern(16, i);
            a.put(keys[i], values[i]);
        }
        ValueView view = new ValueView();
        try (Transaction tx = Transaction.begin(a)) {
            final int ops = 20_000;
            long allocated = 0;
            long sink = 0;
            for (int round = 0; round < 5; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < ops; i++) {
                    tx.put(a, keys[i & 31], values[i & 63]);      // pending half
                    if (tx.get(a, keys[i & 63], view)) {        // hits pending and committed keys
                        sink += view.length();
                    }
                    if (tx.contains(a, keys[(i + 7) & 63])) {
                        sink++;
                    }
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertTrue(allocated < 256, "allocated " + allocated + " bytes over 20000 tx put+get+contains (sink " + sink + ")");
        }
    }

    @Test
    void fileBackedStoreKeepsACommittedTransactionAfterFlushAndReopen(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        StoreOptions options = StoreOptions.builder().name("files").sortedIndex(true).build();
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            store.put(utf8("a"), utf8("1"));
            store.flush();
            try (Transaction tx = Transaction.begin(store)) {
                tx.put(store, utf8("b"), utf8("2"));
                tx.delete(store, utf8("a"));
                tx.commit(utf8("offsets"));
            }
            assertArrayEquals(utf8("offsets"), Transaction.committedPositions(store));
            store.flush(Transaction.committedPositions(store)); // until the write-ahead log: positions ride on a flush
        }
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            assertFalse(store.contains(utf8("a")));
            assertArrayEquals(utf8("2"), store.getCopy(utf8("b")));
            assertNull(Transaction.committedPositions(store), "in memory only: not kept across a reopen yet");
            assertArrayEquals(utf8("offsets"), store.lastFlushMetadata());
        }
    }

    @Test
    void changeRecordViewsAreValidOnlyDuringTheCallback() {
        KeyValueStore a = sorted("a");
        AtomicReference<ChangeRecord> kept = new AtomicReference<>();
        try (Transaction tx = Transaction.begin(a)) {
            tx.put(a, utf8("k"), utf8("v"));
            tx.addSink(r -> {
                assertEquals("k", string(r.key().toByteArray()));
                kept.set(r);
            });
            tx.commit();
        }
        assertFalse(kept.get().key().isValid(), "the pending memory is gone after the commit");
        assertThrows(RuntimeException.class, () -> kept.get().key().toByteArray());
    }

    @Test
    void aWriteAfterPositioningFailsTheNextStepEvenWhenOneSideIsExhausted() {
        KeyValueStore store = sorted("cme");
        store.put(utf8("a"), utf8("1"));
        store.put(utf8("b"), utf8("2"));
        try (Transaction tx = Transaction.begin(store)) {
            tx.put(store, utf8("0"), utf8("pending"));
            TransactionCursor c = tx.cursor(store).range(null, null);
            assertTrue(c.next()); // "0" from the pending side
            assertTrue(c.next()); // "a": the pending side is exhausted now
            tx.put(store, utf8("c"), utf8("late"));
            assertThrows(java.util.ConcurrentModificationException.class, c::next);
            c.range(null, null);
            assertEquals(List.of("0=pending", "a=1", "b=2", "c=late"), keys(c));
        }
    }
}
