package io.offstate.engine.time;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.ConcurrentModificationException;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StatePartition;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.TestManagers;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

final class TtlStoreTest {
    private static final StoreOptions SORTED = StoreOptions.builder().name("ttl").sortedIndex(true).build();

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();
    private final ValueView view = new ValueView();

    @AfterEach
    void tearDown() throws Exception {
        for (int i = toClose.size() - 1; i >= 0; i--) {
            AutoCloseable c = toClose.get(i);
            if (c instanceof KeyValueStore s && s.isClosed() || c instanceof StateManager m && m.isClosed()) {
                continue;
            }
            c.close();
        }
    }

    private KeyValueStore memoryStore() {
        KeyValueStore store = KeyValueStore.create(SORTED);
        toClose.add(store);
        return store;
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static String s(ValueView v) {
        return new String(v.toByteArray(), UTF_8);
    }

    private String get(TtlStore ttl, Transaction tx, String key) {
        return ttl.get(tx, b(key), view) ? s(view) : null;
    }

    private static void put(TtlStore ttl, String key, String value, long ts, long ttlMillis) {
        try (Transaction tx = Transaction.begin(ttl.store())) {
            ttl.put(tx, b(key), b(value), ts, ttlMillis);
            tx.commit();
        }
    }

    private static void advance(TtlStore ttl, long streamTime) {
        try (Transaction tx = Transaction.begin(ttl.store())) {
            ttl.advance(tx, streamTime);
            tx.commit();
        }
    }

    /** Entries of the backing store whose key starts with {@code prefix}, counted by a raw cursor. */
    private static int raw(KeyValueStore store, int prefix) {
        Cursor c = store.cursor().prefix(new byte[] {(byte) prefix});
        int n = 0;
        while (c.next()) {
            n++;
        }
        return n;
    }

    private static List<String> keys(TtlCursor c) {
        List<String> out = new ArrayList<>();
        while (c.next()) {
            out.add(s(c.key()) + "=" + s(c.value()));
        }
        return out;
    }

    // ---------------------------------------------------------------- semantics

    @Test
    void entryIsVisibleUntilStreamTimeReachesItsExpiry() {
        TtlStore ttl = TtlStore.on(memoryStore(), 1000, 16);
        put(ttl, "k", "v", 100, 50);
        assertEquals(150, ttl.expiry(null, b("k")));
        advance(ttl, 149);
        assertEquals("v", get(ttl, null, "k"));
        assertTrue(ttl.contains(null, b("k")));
        try (Transaction tx = Transaction.begin(ttl.store())) {
            ttl.advance(tx, 150);
            assertNull(get(ttl, tx, "k"), "expired in the transaction that moved stream time");
            assertEquals("v", get(ttl, null, "k"), "still live in the committed state");
            tx.commit();
        }
        assertNull(get(ttl, null, "k"));
        assertFalse(ttl.contains(null, b("k")));
        assertEquals(-1, ttl.expiry(null, b("k")));
        assertEquals(150, ttl.streamTime(null));
    }

    @Test
    void putWithoutTtlUsesTheDefault() {
        TtlStore ttl = TtlStore.on(memoryStore(), 1000, 16);
        try (Transaction tx = Transaction.begin(ttl.store())) {
            assertTrue(ttl.put(tx, b("k"), b("v"), 5));
            assertEquals(1005, ttl.expiry(tx, b("k")));
            tx.commit();
        }
        assertEquals(1000, ttl.defaultTtlMillis());
        assertEquals(16, ttl.maxSweepPerCall());
    }

    @Test
    void streamTimeIsTheLargestTimestampSeenAndNeverGoesBack() {
        TtlStore ttl = TtlStore.on(memoryStore(), 1000, 16);
        assertEquals(-1, ttl.streamTime(null));
        put(ttl, "a", "1", 500, 1000);
        put(ttl, "b", "2", 300, 1000);
        assertEquals(500, ttl.streamTime(null));
        advance(ttl, 200);
        assertEquals(500, ttl.streamTime(null));
        try (Transaction tx = Transaction.begin(ttl.store())) {
            ttl.delete(tx, b("zzz"), 800);
            tx.commit();
        }
        assertEquals(800, ttl.streamTime(null), "a delete is a record: its timestamp moves stream time");
    }

    @Test
    void outOfOrderPutThatIsNotYetExpiredIsStored() {
        TtlStore ttl = TtlStore.on(memoryStore(), 1000, 16);
        put(ttl, "now", "x", 1000, 1000);
        try (Transaction tx = Transaction.begin(ttl.store())) {
            assertTrue(ttl.put(tx, b("late"), b("y"), 900, 200));
            tx.commit();
        }
        assertEquals("y", get(ttl, null, "late"));
        assertEquals(1100, ttl.expiry(null, b("late")));
    }

    @Test
    void putAlreadyExpiredOnArrivalIsNotStoredAndRemovesThePreviousValue() {
        KeyValueStore store = memoryStore();
        TtlStore ttl = TtlStore.on(store, 1000, 16);
        put(ttl, "k", "old", 1000, 5000);
        try (Transaction tx = Transaction.begin(store)) {
            assertFalse(ttl.put(tx, b("k"), b("late"), 100, 900), "expiry 1000 <= stream time 1000");
            assertFalse(ttl.put(tx, b("fresh"), b("late"), 10, 20));
            assertNull(get(ttl, tx, "k"));
            tx.commit();
        }
        assertNull(get(ttl, null, "k"));
        assertNull(get(ttl, null, "fresh"));
        assertEquals(2, ttl.stats().expiredOnPut());
        assertEquals(0, raw(store, 0x01));
        assertEquals(0, raw(store, 0x02));
    }

    @Test
    void aPutIsNeverExpiredByItsOwnTimestampOnlyByALaterStreamTime() {
        TtlStore ttl = TtlStore.on(memoryStore(), 1000, 16);
        put(ttl, "a", "1", 10, 1000);
        try (Transaction tx = Transaction.begin(ttl.store())) {
            // stream time moves to 5000 with this record; its expiry 5001 is still ahead
            assertTrue(ttl.put(tx, b("b"), b("2"), 5000, 1));
            assertEquals(5001, ttl.expiry(tx, b("b")));
            tx.commit();
        }
        assertEquals("2", get(ttl, null, "b"));
        assertNull(get(ttl, null, "a"), "a (expiry 1010) expired when stream time reached 5000");
        advance(ttl, 5001);
        assertNull(get(ttl, null, "b"));
    }

    @Test
    void rePutReplacesValueAndMovesTheIndexEntry() {
        KeyValueStore store = memoryStore();
        TtlStore ttl = TtlStore.on(store, 1000, 16);
        put(ttl, "k", "v1", 100, 100);
        put(ttl, "k", "v2", 150, 500);
        assertEquals("v2", get(ttl, null, "k"));
        assertEquals(650, ttl.expiry(null, b("k")));
        assertEquals(1, raw(store, 0x01));
        assertEquals(1, raw(store, 0x02));
        Cursor c = store.cursor().prefix(new byte[] {0x02});
        assertTrue(c.next());
        assertEquals(650, c.key().getLongBigEndian(1), "the index entry carries the new expiry");
        advance(ttl, 200); // past the old expiry 200: the moved entry must survive
        assertEquals("v2", get(ttl, null, "k"));
        put(ttl, "k", "v3", 150, 500); // same expiry: one index entry still
        assertEquals(1, raw(store, 0x02));
        assertEquals("v3", get(ttl, null, "k"));
    }

    @Test
    void deleteRemovesEntryAndIndexAndReportsWhetherALiveEntryWasThere() {
        KeyValueStore store = memoryStore();
        TtlStore ttl = TtlStore.on(store, 1000, 0);
        put(ttl, "live", "1", 100, 1000);
        put(ttl, "dead", "2", 100, 10);
        advance(ttl, 500);
        try (Transaction tx = Transaction.begin(store)) {
            assertTrue(ttl.delete(tx, b("live"), 500));
            assertFalse(ttl.delete(tx, b("dead"), 500), "expired: not visible, but removed");
            assertFalse(ttl.delete(tx, b("never"), 500));
            tx.commit();
        }
        assertNull(get(ttl, null, "live"));
        assertEquals(0, raw(store, 0x01));
        assertEquals(0, raw(store, 0x02));
    }

    @Test
    void abortDiscardsDataAndStreamTime() {
        KeyValueStore store = memoryStore();
        TtlStore ttl = TtlStore.on(store, 1000, 16);
        put(ttl, "k", "v", 100, 100);
        try (Transaction tx = Transaction.begin(store)) {
            ttl.put(tx, b("other"), b("x"), 100, 100);
            ttl.advance(tx, 10_000);
            assertNull(get(ttl, tx, "k"));
            assertEquals(10_000, ttl.streamTime(tx));
            tx.abort();
        }
        assertEquals(100, ttl.streamTime(null));
        assertEquals("v", get(ttl, null, "k"));
        assertNull(get(ttl, null, "other"));
        try (Transaction tx = Transaction.begin(store)) {
            assertEquals("v", get(ttl, tx, "k"), "a new transaction sees the committed state again");
        }
    }

    @Test
    void valueIsAZeroCopySliceOfTheBackingEntry() {
        TtlStore ttl = TtlStore.on(memoryStore(), 1000, 16);
        put(ttl, "k", "hello", 1, 1000);
        assertTrue(ttl.get(null, b("k"), view));
        assertEquals(5, view.length());
        assertEquals('h', view.getByte(0));
        put(ttl, "x", "y", 2, 1000);
        assertThrows(IllegalStateException.class, view::length, "stale after a write");
    }

    @Test
    void timestampPlusTtlSaturatesInsteadOfOverflowing() {
        TtlStore ttl = TtlStore.on(memoryStore(), 1000, 16);
        put(ttl, "k", "v", Long.MAX_VALUE - 5, 100);
        assertEquals(Long.MAX_VALUE, ttl.expiry(null, b("k")));
        assertEquals("v", get(ttl, null, "k"));
        advance(ttl, Long.MAX_VALUE - 1);
        assertEquals("v", get(ttl, null, "k"));
        advance(ttl, Long.MAX_VALUE);
        assertNull(get(ttl, null, "k"));
        assertEquals(0, raw(ttl.store(), 0x01), "a sweep at the largest stream time reaches the largest expiry");
        assertEquals(1, ttl.stats().entriesSwept());
    }

    // ---------------------------------------------------------------- cursors

    @Test
    void cursorsSkipExpiredEntriesInEveryDirection() {
        TtlStore ttl = TtlStore.on(memoryStore(), 1000, 0);
        try (Transaction tx = Transaction.begin(ttl.store())) {
            ttl.put(tx, b("a1"), b("x"), 0, 100);
            ttl.put(tx, b("a2"), b("y"), 0, 50);
            ttl.put(tx, b("a3"), b("z"), 0, 100);
            ttl.put(tx, b("b1"), b("w"), 0, 50);
            ttl.put(tx, new byte[] {(byte) 0xFF}, b("ff"), 0, 100);
            tx.commit();
        }
        TtlCursor c = ttl.cursor();
        assertEquals(List.of("a1=x", "a2=y", "a3=z", "b1=w", "\uFFFD=ff"), keys(c.range(null, null, null)));
        advance(ttl, 50);
        assertEquals(List.of("a1=x", "a3=z", "\uFFFD=ff"), keys(c.range(null, null, null)));
        assertEquals(List.of("\uFFFD=ff", "a3=z", "a1=x"), keys(c.rangeReverse(null, null, null)));
        assertEquals(List.of("a1=x", "a3=z"), keys(c.prefix(null, b("a"))));
        assertEquals(List.of("a3=z", "a1=x"), keys(c.prefixReverse(null, b("a"))));
        assertEquals(List.of("a3=z"), keys(c.range(null, b("a2"), b("b2"))));
        assertEquals(List.of("\uFFFD=ff"), keys(c.prefix(null, new byte[] {(byte) 0xFF})));
        assertEquals(List.of(), keys(c.prefix(null, b("b"))));
        assertEquals(5, raw(ttl.store(), 0x01), "nothing swept: maxSweepPerCall is 0");
        try (Transaction tx = Transaction.begin(ttl.store())) {
            ttl.put(tx, b("a2"), b("new"), 60, 100);
            ttl.advance(tx, 100);
            assertEquals(List.of("a2=new"), keys(c.range(tx, null, null)), "through the transaction");
            c.range(tx, null, null);
            assertTrue(c.next());
            assertEquals(160, c.expiry());
            assertEquals(List.of("a1=x", "a3=z", "\uFFFD=ff"), keys(c.range(null, null, null)), "committed");
            tx.commit();
        }
        assertThrows(IllegalStateException.class, c::key, "not on an entry after the end");
    }

    @Test
    void cursorFailsFastAfterAWrite() {
        TtlStore ttl = TtlStore.on(memoryStore(), 1000, 16);
        put(ttl, "a", "1", 0, 100);
        put(ttl, "b", "2", 0, 100);
        try (Transaction tx = Transaction.begin(ttl.store())) {
            TtlCursor c = ttl.cursor().range(tx, null, null);
            assertTrue(c.next());
            ttl.put(tx, b("c"), b("3"), 1, 100);
            assertThrows(ConcurrentModificationException.class, c::next);
            assertThrows(ConcurrentModificationException.class, c::value);
            assertEquals(List.of("a=1", "b=2", "c=3"), keys(c.range(tx, null, null)), "usable again once positioned");
        }
        TtlCursor committed = ttl.cursor().range(null, null, null);
        assertTrue(committed.next());
        put(ttl, "d", "4", 2, 100);
        assertThrows(ConcurrentModificationException.class, committed::next, "a commit changes the store");
    }

    // ---------------------------------------------------------------- sweep

    @Test
    void sweepRemovesExpiredEntriesOldestFirstAndAtMostTheLimit() {
        KeyValueStore store = memoryStore();
        TtlStore ttl = TtlStore.on(store, 1000, 0);
        try (Transaction tx = Transaction.begin(store)) {
            for (int i = 1; i <= 100; i++) {
                ttl.put(tx, b("k" + (1000 - i)), b("v"), 0, i); // expiry i; key order is not expiry order
            }
            tx.commit();
        }
        advance(ttl, 50);
        assertEquals(100, raw(store, 0x01), "advance with maxSweepPerCall 0 removes nothing");
        try (Transaction tx = Transaction.begin(store)) {
            assertEquals(10, ttl.sweep(tx, 10));
            assertEquals(10, ttl.stats().indexEntriesRead());
            assertEquals(10, ttl.stats().entriesSwept());
            assertNull(tx.getCopy(store, dataKey("k990")), "the ten oldest (expiry 1..10) went first");
            assertTrue(store.contains(dataKey("k990")), "removed in the transaction only, not yet committed");
            assertEquals(11, TimeKeys.getLong(tx.getCopy(store, dataKey("k989")), 0), "expiry 11 is next");
            int total = 10;
            int n;
            while ((n = ttl.sweep(tx, 7)) > 0) {
                total += n;
            }
            assertEquals(50, total);
            tx.commit();
        }
        assertEquals(50, raw(store, 0x01));
        assertEquals(50, raw(store, 0x02));
        assertEquals(50, ttl.stats().entriesSwept());
        assertEquals(50, ttl.stats().indexEntriesRead(), "a sweep reads only expired index entries");
        TtlCursor c = ttl.cursor().range(null, null, null);
        int live = 0;
        while (c.next()) {
            assertTrue(c.expiry() > 50);
            live++;
        }
        assertEquals(50, live);
    }

    private static byte[] dataKey(String key) {
        byte[] k = b(key);
        byte[] d = new byte[k.length + 1];
        d[0] = 0x01;
        System.arraycopy(k, 0, d, 1, k.length);
        return d;
    }

    @Test
    void everyWriteSweepsAtMostMaxSweepPerCall() {
        KeyValueStore store = memoryStore();
        TtlStore ttl = TtlStore.on(store, 1000, 3);
        try (Transaction tx = Transaction.begin(store)) {
            for (int i = 0; i < 20; i++) {
                ttl.put(tx, b("old" + i), b("v"), 0, 10);
            }
            tx.commit();
        }
        long before = ttl.stats().entriesSwept();
        try (Transaction tx = Transaction.begin(store)) {
            ttl.put(tx, b("new"), b("v"), 100, 1000);
            assertEquals(3, ttl.stats().entriesSwept() - before);
            ttl.advance(tx, 101);
            assertEquals(6, ttl.stats().entriesSwept() - before);
            ttl.delete(tx, b("new"), 102);
            assertEquals(9, ttl.stats().entriesSwept() - before);
            tx.commit();
        }
        assertEquals(11, raw(store, 0x01), "20 expired, 9 swept");
        for (int i = 0; i < 10; i++) {
            advance(ttl, 103 + i);
        }
        assertEquals(0, raw(store, 0x01));
        assertEquals(0, raw(store, 0x02));
        assertEquals(20, ttl.stats().entriesSwept());
    }

    @Test
    void sweepWorkDoesNotDependOnHowManyLiveEntriesThereAre() {
        long[] work = new long[2];
        int[] live = {10, 10_000};
        for (int run = 0; run < 2; run++) {
            KeyValueStore store = memoryStore();
            TtlStore ttl = TtlStore.on(store, 1_000_000, 0);
            try (Transaction tx = Transaction.begin(store)) {
                for (int i = 0; i < live[run]; i++) {
                    ttl.put(tx, b("live" + i), b("v"), 0, 1_000_000);
                }
                for (int i = 0; i < 25; i++) {
                    ttl.put(tx, b("dead" + i), b("v"), 0, 100);
                }
                tx.commit();
            }
            try (Transaction tx = Transaction.begin(store)) {
                ttl.advance(tx, 500);
                while (ttl.sweep(tx, 10) > 0) {
                    // drain
                }
                tx.commit();
            }
            work[run] = ttl.stats().indexEntriesRead();
            assertEquals(25, ttl.stats().entriesSwept());
            assertEquals(live[run], raw(store, 0x01));
        }
        assertEquals(work[0], work[1]);
        assertEquals(25, work[0]);
    }

    @Test
    void sweepWithNothingExpiredRemovesNothing() {
        KeyValueStore store = memoryStore();
        TtlStore ttl = TtlStore.on(store, 1000, 16);
        try (Transaction tx = Transaction.begin(store)) {
            assertEquals(0, ttl.sweep(tx, 10), "no stream time yet");
            ttl.put(tx, b("k"), b("v"), 0, 1000);
            assertEquals(0, ttl.sweep(tx, 10));
            assertEquals(0, ttl.sweep(tx, 0));
            tx.commit();
        }
        assertEquals(0, ttl.stats().indexEntriesRead());
        assertEquals("v", get(ttl, null, "k"));
    }

    @Test
    void putGetSweepAndCursorStepsAllocateNothing() {
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean threads) || !threads.isThreadAllocatedMemorySupported()) {
            return;
        }
        threads.setThreadAllocatedMemoryEnabled(true);
        KeyValueStore store = memoryStore();
        TtlStore ttl = TtlStore.on(store, 40, 2);
        byte[][] keys = new byte[64][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = b("key-" + i);
        }
        byte[] value = new byte[24];
        TtlCursor cursor = ttl.cursor();
        try (Transaction tx = Transaction.begin(store)) {
            long allocated = 0;
            long sink = 0;
            long ts = 0;
            for (int round = 0; round < 10; round++) { // the last round counts: JIT warm-up is over
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 5_000; i++) {
                    ts++;
                    if (ttl.put(tx, keys[i & 63], value, ts, 1 + (i & 15))) { // short ttls: entries expire and get swept
                        sink++;
                    }
                    if (ttl.get(tx, keys[(i + 5) & 63], view)) {
                        sink += view.length();
                    }
                    if ((i & 63) == 0) {
                        cursor.range(tx, null, null);
                        while (cursor.next()) {
                            sink += cursor.value().length();
                        }
                    }
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            assertTrue(ttl.stats().entriesSwept() > 1000, "the loop swept: " + ttl.stats());
            assertTrue(allocated < 256, "allocated " + allocated + " bytes over 5000 put+get (sink " + sink + ")");
        }
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void badInputThrowsASpecificExceptionAndStagesNothing() {
        KeyValueStore store = memoryStore();
        TtlStore ttl = TtlStore.on(store, 1000, 16);
        put(ttl, "k", "v", 100, 1000);
        try (Transaction tx = Transaction.begin(store)) {
            byte[] k = b("x");
            byte[] v = b("y");
            expect(NullPointerException.class, "tx", () -> ttl.put(null, k, v, 1));
            expect(NullPointerException.class, "key", () -> ttl.put(tx, null, v, 1));
            expect(NullPointerException.class, "value", () -> ttl.put(tx, k, null, 1));
            expect(IllegalArgumentException.class, "-1", () -> ttl.put(tx, k, v, -1));
            expect(IllegalArgumentException.class, "ttlMillis", () -> ttl.put(tx, k, v, 1, 0));
            expect(IllegalArgumentException.class, "-5", () -> ttl.put(tx, k, v, 1, -5));
            expect(IllegalArgumentException.class, "65527", () -> ttl.put(tx, new byte[TtlStore.MAX_KEY_LENGTH + 1], v, 1));
            expect(NullPointerException.class, "key", () -> ttl.delete(tx, null, 1));
            expect(IllegalArgumentException.class, "timestamp", () -> ttl.delete(tx, k, -1));
            expect(NullPointerException.class, "tx", () -> ttl.advance(null, 1));
            expect(IllegalArgumentException.class, "streamTime", () -> ttl.advance(tx, -2));
            expect(IllegalArgumentException.class, "maxEntries", () -> ttl.sweep(tx, -1));
            expect(NullPointerException.class, "tx", () -> ttl.sweep(null, 1));
            expect(NullPointerException.class, "key", () -> ttl.get(tx, null, view));
            expect(NullPointerException.class, "view", () -> ttl.get(tx, k, null));
            expect(NullPointerException.class, "prefix", () -> ttl.cursor().prefix(tx, null));
            assertEquals(0, tx.pendingWrites(store));
            assertEquals(100, ttl.streamTime(tx));
            assertTrue(ttl.put(tx, new byte[TtlStore.MAX_KEY_LENGTH], v, 1), "the longest key fits");
            tx.commit();
        }
        KeyValueStore other = memoryStore();
        try (Transaction tx = Transaction.begin(other)) {
            expect(IllegalArgumentException.class, "", () -> ttl.put(tx, b("k"), b("v"), 1));
            assertEquals(0, tx.pendingWrites(other));
        }
    }

    @Test
    void badParametersAndWrongStoresAreRefused() {
        KeyValueStore store = memoryStore();
        expect(NullPointerException.class, "store", () -> TtlStore.on(null, 1, 1));
        expect(IllegalArgumentException.class, "defaultTtlMillis", () -> TtlStore.on(store, 0, 1));
        expect(IllegalArgumentException.class, "maxSweepPerCall", () -> TtlStore.on(store, 1, -1));
        KeyValueStore hashOnly = KeyValueStore.create(StoreOptions.builder().name("plain").build());
        toClose.add(hashOnly);
        expect(IllegalArgumentException.class, "sorted index", () -> TtlStore.on(hashOnly, 1, 1));

        put(TtlStore.on(store, 1000, 1), "k", "v", 1, 10);
        expect(IllegalArgumentException.class, "defaultTtlMillis=1000", () -> TtlStore.on(store, 2000, 1));
        TtlStore.on(store, 1000, 99); // the sweep limit is not part of the data

        KeyValueStore foreign = memoryStore();
        foreign.put(new byte[] {0}, b("not a time store"));
        expect(IllegalArgumentException.class, "not a TTL key-value store", () -> TtlStore.on(foreign, 1000, 1));
    }

    private static void expect(Class<? extends Throwable> type, String inMessage, Executable call) {
        Throwable t = assertThrows(type, call);
        String message = String.valueOf(t.getMessage());
        assertTrue(message.contains(inMessage), "message '" + message + "' should name '" + inMessage + "'");
    }

    // ---------------------------------------------------------------- persistence

    @Test
    void fileBackedStoreKeepsDataAndStreamTimeAcrossReopen() {
        Path path = dir.resolve("file");
        KeyValueStore store = KeyValueStore.open(path, SORTED);
        TtlStore ttl = TtlStore.on(store, 1000, 0);
        put(ttl, "live", "1", 100, 1000);
        put(ttl, "dead", "2", 100, 100);
        advance(ttl, 500);
        store.close();

        store = KeyValueStore.open(path, SORTED);
        toClose.add(store);
        ttl = TtlStore.on(store, 1000, 16);
        assertEquals(500, ttl.streamTime(null));
        assertEquals("1", get(ttl, null, "live"));
        assertNull(get(ttl, null, "dead"), "expired before the close, expired after");
        assertEquals(2, raw(store, 0x01), "not swept yet");
        advance(ttl, 501);
        assertEquals(1, raw(store, 0x01), "the reopened store sweeps what expired before");
        store.close();
        expect(IllegalArgumentException.class, "defaultTtlMillis",
            () -> TtlStore.on(toClose(KeyValueStore.open(path, SORTED)), 5, 1));
    }

    private KeyValueStore toClose(KeyValueStore store) {
        toClose.add(store);
        return store;
    }

    @Test
    void managedStoreSurvivesRevokeCloseAndCrash() {
        StateManager manager = openManager();
        manager.assign(0);
        StatePartition p = manager.partition(0);
        TtlStore ttl = TtlStore.on(p.store("ttl"), 1000, 4);
        try (Transaction tx = p.begin()) {
            ttl.put(tx, b("a"), b("1"), 100, 1000);
            ttl.put(tx, b("b"), b("2"), 100, 50);
            ttl.advance(tx, 200);
            tx.commit();
        }
        manager.revoke(0);
        manager.assign(0);
        p = manager.partition(0);
        ttl = TtlStore.on(p.store("ttl"), 1000, 4);
        assertEquals(200, ttl.streamTime(null));
        assertEquals("1", get(ttl, null, "a"));
        assertNull(get(ttl, null, "b"));

        try (Transaction tx = p.begin()) {
            ttl.put(tx, b("c"), b("3"), 300, 1000);
            tx.commit();
        }
        TestManagers.crash(manager);

        manager = openManager();
        manager.assign(0);
        p = manager.partition(0);
        ttl = TtlStore.on(p.store("ttl"), 1000, 4);
        assertEquals(300, ttl.streamTime(null));
        assertEquals("1", get(ttl, null, "a"));
        assertEquals("3", get(ttl, null, "c"));
        assertEquals(2, raw(p.store("ttl"), 0x01), "b was swept by the advance that expired it");
        manager.close();

        manager = openManager();
        manager.assign(0);
        ttl = TtlStore.on(manager.partition(0).store("ttl"), 1000, 4);
        assertEquals(List.of("a=1", "c=3"), keys(ttl.cursor().range(null, null, null)));
    }

    private StateManager openManager() {
        StateManager manager = StateManager.open(StateManagerOptions.builder(dir.resolve("manager")).build());
        manager.define(SORTED);
        toClose.add(manager);
        return manager;
    }
}
