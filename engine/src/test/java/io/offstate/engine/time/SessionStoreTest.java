package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StatePartition;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.TestManagers;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

final class SessionStoreTest {
    private static final long RETENTION = 100;
    private static final long INTERVAL = 10;

    @TempDir
    Path dir;

    private final List<AutoCloseable> toClose = new ArrayList<>();

    @AfterEach
    void tearDown() throws Exception {
        Collections.reverse(toClose);
        for (AutoCloseable c : toClose) {
            c.close();
        }
    }

    private KeyValueStore memoryStore() {
        KeyValueStore s = KeyValueStore.create(StoreOptions.builder().name("sessions").sortedIndex(true).build());
        toClose.add(s);
        return s;
    }

    private SessionStore sessions() {
        return SessionStore.on(memoryStore(), RETENTION, INTERVAL);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static void write(SessionStore s, Consumer<Transaction> body) {
        try (Transaction tx = Transaction.begin(s.store())) {
            body.accept(tx);
            tx.commit();
        }
    }

    private static void put(SessionStore s, String key, long start, long end, String agg) {
        write(s, tx -> s.put(tx, b(key), start, end, b(agg)));
    }

    /** "key@start-end=agg" of every session the cursor returns. */
    private static List<String> drain(SessionCursor c) {
        List<String> out = new ArrayList<>();
        while (c.next()) {
            out.add(new String(c.key().toByteArray(), StandardCharsets.UTF_8) + "@" + c.start() + "-" + c.end() + "="
                + new String(c.value().toByteArray(), StandardCharsets.UTF_8));
        }
        return out;
    }

    private static List<String> find(SessionStore s, Transaction tx, String key, long earliestEnd, long latestStart) {
        return drain(s.findSessions(tx, s.cursor(), b(key), earliestEnd, latestStart));
    }

    private static List<String> reversed(List<String> l) {
        List<String> r = new ArrayList<>(l);
        Collections.reverse(r);
        return r;
    }

    // ---------------------------------------------------------------- semantics

    @Test
    void findSessionsReturnsOverlappingSessionsOrderedByEndThenStart() {
        SessionStore s = sessions();
        put(s, "k", 5, 30, "c");
        put(s, "k", 0, 5, "a");
        put(s, "k", 2, 5, "b");
        put(s, "k", 40, 45, "d");
        put(s, "other", 0, 50, "x");
        assertEquals(List.of("k@0-5=a", "k@2-5=b", "k@5-30=c", "k@40-45=d"), drain(s.fetch(null, s.cursor(), b("k"))));
        assertEquals(List.of("k@5-30=c", "k@40-45=d"), find(s, null, "k", 6, 100));
        assertEquals(List.of("k@0-5=a", "k@2-5=b", "k@5-30=c"), find(s, null, "k", 0, 39));
        // earliestEnd > latestStart: the sessions that span [20, 30]
        assertEquals(List.of("k@5-30=c"), find(s, null, "k", 30, 20));
        assertEquals(List.of(), find(s, null, "k", 46, 100));
        assertEquals(reversed(find(s, null, "k", 0, 100)), drain(s.backwardFindSessions(null, s.cursor(), b("k"), 0, 100)));
        assertEquals(reversed(find(s, null, "k", 0, 100)), drain(s.backwardFetch(null, s.cursor(), b("k"))));
        assertEquals(List.of(), find(s, null, "absent", 0, 100));
    }

    @Test
    void putReplacesTheSameSessionAndRemoveTakesItOut() {
        SessionStore s = sessions();
        put(s, "k", 1, 3, "old");
        put(s, "k", 1, 3, "new");
        put(s, "k", 1, 4, "longer");
        ValueView v = new ValueView();
        assertTrue(s.fetchSession(null, b("k"), 1, 3, v));
        assertArrayEquals(b("new"), v.toByteArray());
        assertFalse(s.fetchSession(null, b("k"), 0, 3, v));
        assertFalse(s.fetchSession(null, b("j"), 1, 3, v));
        try (Transaction tx = Transaction.begin(s.store())) {
            assertTrue(s.remove(tx, b("k"), 1, 3));
            assertFalse(s.remove(tx, b("k"), 1, 3));
            assertFalse(s.remove(tx, b("k"), 2, 3));
            assertFalse(s.fetchSession(tx, b("k"), 1, 3, v));
            assertTrue(s.fetchSession(null, b("k"), 1, 3, v), "committed state unchanged until commit");
            tx.commit();
        }
        assertFalse(s.fetchSession(null, b("k"), 1, 3, v));
        assertEquals(List.of("k@1-4=longer"), find(s, null, "k", 0, 100));
    }

    @Test
    void transactionsSeeTheirOwnWritesAndStreamTimeAndAnAbortLeavesNothing() {
        SessionStore s = sessions();
        put(s, "k", 0, 10, "a");
        try (Transaction tx = Transaction.begin(s.store())) {
            s.put(tx, b("k"), 20, 25, b("b"));
            assertEquals(25, s.streamTime(tx));
            assertEquals(10, s.streamTime(null));
            assertEquals(List.of("k@0-10=a", "k@20-25=b"), find(s, tx, "k", 0, 100));
            assertEquals(List.of("k@0-10=a"), find(s, null, "k", 0, 100));
            tx.abort();
        }
        assertEquals(10, s.streamTime(null));
        assertEquals(List.of("k@0-10=a"), find(s, null, "k", 0, 100));
    }

    @Test
    void keysThatExtendTheWantedKeyNeverLeakIntoItsResults() {
        SessionStore s = sessions();
        // "k" followed by the big-endian bytes of an end time sorts inside k's range of that segment
        byte[] k = b("k");
        byte[] tricky = ByteBuffer.allocate(1 + 8).put(k).putLong(5).array();
        write(s, tx -> {
            s.put(tx, k, 1, 5, b("mine"));
            s.put(tx, tricky, 0, 5, b("tricky"));
            s.put(tx, b("k\u0000"), 0, 5, b("nul"));
            s.put(tx, b("ka"), 0, 5, b("ka"));
            s.put(tx, b(""), 0, 5, b("empty"));
        });
        assertEquals(List.of("k@1-5=mine"), find(s, null, "k", 0, 100));
        assertEquals(List.of("@0-5=empty"), find(s, null, "", 0, 100));
        SessionCursor c = s.fetch(null, s.cursor(), tricky);
        assertTrue(c.next());
        assertArrayEquals(tricky, c.key().toByteArray());
        assertFalse(c.next());
        // key ranges: the bounds are the decoded keys, inclusive
        assertEquals(List.of("k@1-5=mine"), drain(s.fetch(null, s.cursor(), k, k)));
        assertEquals(5, drain(s.fetch(null, s.cursor(), null, null)).size());
        assertEquals(List.of("@0-5=empty"), drain(s.fetch(null, s.cursor(), null, b(""))));
    }

    @Test
    void aKeyRangeEndingInZeroBytesStillFindsTheKeysItExtends() {
        SessionStore s = sessions();
        // "k" ‖ BE(end 7) sorts above "k\0\0\0\0\0\0\0\1" ‖ times, though "k" < that key
        byte[] k = b("k");
        byte[] keyTo = ByteBuffer.allocate(9).put(k).putLong(1).array();
        write(s, tx -> {
            s.put(tx, k, 2, 7, b("k"));
            s.put(tx, keyTo, 0, 7, b("to"));
            s.put(tx, ByteBuffer.allocate(9).put(k).putLong(2).array(), 0, 7, b("above"));
        });
        List<String> inRange = drain(s.fetch(null, s.cursor(), k, keyTo));
        assertEquals(2, inRange.size(), inRange.toString());
        assertTrue(inRange.contains("k@2-7=k"), inRange.toString());
        assertEquals(reversed(inRange), drain(s.backwardFetch(null, s.cursor(), null, keyTo)));
        assertEquals(inRange, drain(s.findSessions(null, s.cursor(), null, keyTo, 0, 2)));
        assertEquals(List.of("k@2-7=k"), drain(s.findSessions(null, s.cursor(), k, k, 0, 2)));
    }

    @Test
    void keyRangeFindsGoBySegmentThenKeyAndBackwardIsTheExactReverse() {
        SessionStore s = sessions();
        write(s, tx -> {
            s.put(tx, b("b"), 0, 3, b("1"));
            s.put(tx, b("a"), 0, 5, b("2"));
            s.put(tx, b("c"), 0, 2, b("3"));
            s.put(tx, b("a"), 12, 15, b("4"));
            s.put(tx, b("b"), 11, 11, b("5"));
            s.put(tx, b("d"), 0, 1, b("6"));
        });
        List<String> all = List.of("a@0-5=2", "b@0-3=1", "c@0-2=3", "d@0-1=6", "a@12-15=4", "b@11-11=5");
        assertEquals(all, drain(s.fetch(null, s.cursor(), null, null)));
        assertEquals(reversed(all), drain(s.backwardFetch(null, s.cursor(), null, null)));
        assertEquals(List.of("b@0-3=1", "c@0-2=3", "b@11-11=5"),
            drain(s.findSessions(null, s.cursor(), b("b"), b("c"), 0, 100)));
        assertEquals(List.of("a@12-15=4", "b@11-11=5"), drain(s.findSessions(null, s.cursor(), null, b("b"), 6, 100)));
        assertEquals(List.of("b@0-3=1", "c@0-2=3", "d@0-1=6"), drain(s.findSessions(null, s.cursor(), b("aa"), null, 0, 10)));
        assertEquals(List.of("b@11-11=5", "a@12-15=4"), drain(s.backwardFindSessions(null, s.cursor(), null, null, 11, 12)));
    }

    @Test
    void sparseSegmentsAndTheLargestTimesAreFound() {
        // one-millisecond segments: a find must not visit the empty ones one by one
        SessionStore s = SessionStore.on(memoryStore(), Long.MAX_VALUE, 1);
        put(s, "k", 3, 5, "early");
        put(s, "j", 1_000_000_000_000L, 1_000_000_000_000L, "mid");
        put(s, "k", 1_000_000_000_000L, 1_000_000_000_001L, "late");
        put(s, "k", Long.MAX_VALUE - 1, Long.MAX_VALUE, "max");
        assertEquals(Long.MAX_VALUE, s.streamTime(null));
        assertEquals(List.of("k@3-5=early", "k@1000000000000-1000000000001=late", "k@9223372036854775806-9223372036854775807=max"),
            find(s, null, "k", 0, Long.MAX_VALUE));
        assertEquals(List.of("k@9223372036854775806-9223372036854775807=max", "k@1000000000000-1000000000001=late",
            "k@3-5=early"), drain(s.backwardFetch(null, s.cursor(), b("k"))));
        assertEquals(4, drain(s.fetch(null, s.cursor(), null, null)).size());
        assertEquals(List.of("k@9223372036854775806-9223372036854775807=max"), drain(s.backwardFindSessions(null, s.cursor(),
            b("k"), b("k"), Long.MAX_VALUE, Long.MAX_VALUE)));
    }

    // ---------------------------------------------------------------- the caller's merge

    /** Session windows with an inactivity gap, merged the Kafka Streams way: find, remove, put. */
    private static void aggregate(SessionStore s, Transaction tx, String key, long t, long gap) {
        SessionCursor c = s.findSessions(tx, s.cursor(), b(key), t - gap < 0 ? 0 : t - gap, t + gap);
        long start = t;
        long end = t;
        long count = 1;
        List<long[]> merged = new ArrayList<>();
        while (c.next()) {
            merged.add(new long[] {c.start(), c.end()});
            start = Math.min(start, c.start());
            end = Math.max(end, c.end());
            count += c.value().getLongBigEndian(0);
        }
        for (long[] m : merged) {
            assertTrue(s.remove(tx, b(key), m[0], m[1]));
        }
        s.put(tx, b(key), start, end, ByteBuffer.allocate(8).putLong(count).array());
    }

    @Test
    void sessionWindowsMergeByInactivityGapThroughFindRemoveAndPut() {
        SessionStore s = SessionStore.on(memoryStore(), 1_000, 50);
        long gap = 10;
        long[] times = {100, 105, 130, 112, 150, 121, 300, 160, 90};
        try (Transaction tx = Transaction.begin(s.store())) {
            for (long t : times) {
                aggregate(s, tx, "user", t, gap);
            }
            aggregate(s, tx, "other", 125, gap);
            tx.commit();
        }
        // 90,100,105,112,121,130 chain within the gap; 150,160 join; 300 alone
        List<String> got = new ArrayList<>();
        SessionCursor c = s.fetch(null, s.cursor(), b("user"));
        while (c.next()) {
            got.add(c.start() + "-" + c.end() + ":" + c.value().getLongBigEndian(0));
        }
        assertEquals(List.of("90-130:6", "150-160:2", "300-300:1"), got);
        // a late record bridging two sessions merges them
        try (Transaction tx = Transaction.begin(s.store())) {
            aggregate(s, tx, "user", 140, gap);
            tx.commit();
        }
        got.clear();
        c = s.fetch(null, s.cursor(), b("user"));
        while (c.next()) {
            got.add(c.start() + "-" + c.end() + ":" + c.value().getLongBigEndian(0));
        }
        assertEquals(List.of("90-160:9", "300-300:1"), got);
        assertEquals(List.of("other@125-125=" + new String(ByteBuffer.allocate(8).putLong(1).array(), StandardCharsets.UTF_8)),
            find(s, null, "other", 0, 1000));
    }

    // ---------------------------------------------------------------- retention

    @Test
    void expiredSessionsAreInvisibleAtOnceAndAPutOfOneIsRefused() {
        SessionStore s = sessions();
        put(s, "k", 0, 20, "a");
        put(s, "k", 15, 21, "b");
        put(s, "j", 0, 20, "j");
        put(s, "k", 100, 120, "c"); // stream time 120, horizon 21: end 20 is expired, end 21 is live
        assertEquals(120, s.streamTime(null));
        assertEquals(21, s.horizon(null));
        assertEquals(List.of("k@15-21=b", "k@100-120=c"), find(s, null, "k", 0, 1000));
        assertFalse(s.fetchSession(null, b("k"), 0, 20, new ValueView()));
        assertEquals(List.of("k@15-21=b", "k@100-120=c"), drain(s.fetch(null, s.cursor(), null, null)));
        try (Transaction tx = Transaction.begin(s.store())) {
            SessionExpiredException e = assertThrows(SessionExpiredException.class, () -> s.put(tx, b("k"), 0, 20, b("late")));
            assertEquals(20, e.end());
            assertEquals(21, e.horizon());
            assertEquals(120, e.streamTime());
            assertEquals(0, tx.pendingWrites(s.store()));
            assertFalse(s.remove(tx, b("j"), 0, 20), "an expired session is not there to remove");
            s.put(tx, b("k"), 21, 21, b("edge"));
            tx.commit();
        }
        assertEquals(List.of("k@15-21=b", "k@21-21=edge", "k@100-120=c"), find(s, null, "k", 0, 1000));
    }

    @Test
    void theSweepDeletesWholeExpiredSegmentsAndStepsOverNoLiveEntry() {
        for (int live : new int[] {1_000, 100_000}) {
            KeyValueStore store = memoryStore();
            SessionStore s = SessionStore.on(store, RETENTION, INTERVAL, 1_000);
            write(s, tx -> {
                for (int i = 0; i < 100; i++) {
                    s.put(tx, b("old" + i), 0, 5, b("x"));
                }
            });
            for (int from = 0; from < live; from += 10_000) {
                int f = from;
                write(s, tx -> {
                    for (int i = f; i < Math.min(live, f + 10_000); i++) {
                        s.put(tx, b("live" + i), 50, 50 + i % 40, b("y"));
                    }
                });
            }
            long before = store.size();
            assertEquals(0, s.sweepRemoved());
            put(s, "now", 100, 110, "z"); // horizon 11: segment 0 (ends 0..9) is wholly expired
            assertEquals(100, s.sweepRemoved(), "live=" + live);
            assertEquals(100, s.sweepScanned(), "live=" + live);
            assertEquals(before + 1 - 100, store.size());
            put(s, "now", 101, 111, "z");
            assertEquals(100, s.sweepScanned(), "a finished sweep does not scan again");
            SessionCursor all = s.fetch(null, s.cursor(), null, null);
            int n = 0;
            while (all.next()) {
                n++;
            }
            assertEquals(live + 2, n);
        }
    }

    @Test
    void aSweepLimitSpreadsTheWorkOverPutsAndGoesOnWithinATransaction() {
        KeyValueStore store = memoryStore();
        SessionStore s = SessionStore.on(store, RETENTION, INTERVAL, 7);
        write(s, tx -> {
            for (int i = 0; i < 30; i++) {
                s.put(tx, b("old" + i), i % 20, 20 + i % 5, b("x")); // segment 2
            }
        });
        assertEquals(31, store.size());
        try (Transaction tx = Transaction.begin(store)) {
            s.put(tx, b("now"), 130, 130, b("z")); // horizon 31: segments 0..2 expired
            assertEquals(7, s.sweepRemoved());
            s.put(tx, b("now"), 131, 131, b("z"));
            s.put(tx, b("now"), 132, 132, b("z"));
            assertEquals(21, s.sweepRemoved());
            assertEquals(21, s.sweepScanned(), "the sweep goes on after the last key it deleted");
            tx.commit();
        }
        assertEquals(31 - 21 + 3, store.size());
        put(s, "now", 133, 133, "z");
        put(s, "now", 134, 134, "z");
        assertEquals(30, s.sweepRemoved());
        assertEquals(30, s.sweepScanned());
        assertEquals(1 + 5, store.size());
    }

    @Test
    void anAbortedSweepIsRedone() {
        KeyValueStore store = memoryStore();
        SessionStore s = SessionStore.on(store, RETENTION, INTERVAL);
        put(s, "old", 0, 1, "x");
        try (Transaction tx = Transaction.begin(store)) {
            s.put(tx, b("now"), 200, 200, b("z"));
            tx.abort();
        }
        assertEquals(2, store.size());
        put(s, "now", 200, 200, "z");
        assertEquals(2, store.size());
        assertEquals(List.of("now@200-200=z"), drain(s.fetch(null, s.cursor(), null, null)));
    }

    @Test
    void putsFetchesFindsAndStepsAllocateNothing() {
        java.lang.management.ThreadMXBean bean = java.lang.management.ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean threads) || !threads.isThreadAllocatedMemorySupported()) {
            return;
        }
        threads.setThreadAllocatedMemoryEnabled(true);
        SessionStore s = SessionStore.on(memoryStore(), 1_000, 100);
        byte[][] keys = new byte[16][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = b("user-" + i);
        }
        write(s, tx -> {
            for (int i = 0; i < 200; i++) {
                s.put(tx, keys[i & 15], i, i + 5, b("committed"));
            }
        });
        byte[] aggregate = b("aggregate");
        ValueView view = new ValueView();
        SessionCursor c = s.cursor();
        try (Transaction tx = Transaction.begin(s.store())) {
            // the least over rounds: a late JIT recompilation can allocate once inside a round
            long allocated = Long.MAX_VALUE;
            long sink = 0;
            for (int round = 0; round < 6; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 5_000; i++) {
                    byte[] key = keys[i & 15];
                    long start = 100 + (i & 63);
                    s.put(tx, key, start, start + 3, aggregate);
                    if (s.fetchSession(tx, key, start, start + 3, view)) {
                        sink += view.length();
                    }
                    s.findSessions(tx, c, key, start - 10, start + 10);
                    while (c.next()) {
                        sink += c.end() - c.start() + c.key().length() + c.value().length();
                    }
                    // through the transaction: switching to committed reads and back re-reads the
                    // metadata, and ValueView.getLongBigEndian builds a layout per call (not ours)
                    s.findSessions(tx, c, keys[3], keys[5], start - 10, start + 10);
                    while (c.next()) {
                        sink += c.start();
                    }
                    if ((i & 7) == 0) {
                        s.remove(tx, key, start, start + 3);
                    }
                }
                allocated = Math.min(allocated, threads.getCurrentThreadAllocatedBytes() - before);
            }
            assertTrue(allocated < 256, "allocated " + allocated + " bytes over 5000 put+fetch+find+remove (sink " + sink + ")");
        }
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void badInputThrowsSpecificExceptionsAndStagesNothing() {
        SessionStore s = sessions();
        put(s, "k", 0, 5, "a");
        try (Transaction tx = Transaction.begin(s.store())) {
            SessionCursor c = s.cursor();
            assertThrows(NullPointerException.class, () -> s.put(tx, null, 0, 1, b("v")));
            assertThrows(NullPointerException.class, () -> s.put(null, b("k"), 0, 1, b("v")));
            assertThrows(NullPointerException.class, () -> s.put(tx, b("k"), 0, 1, (byte[]) null));
            assertMessage(assertThrows(IllegalArgumentException.class, () -> s.put(tx, b("k"), -1, 1, b("v"))), "-1");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> s.put(tx, b("k"), 0, -2, b("v"))), "-2");
            assertMessage(assertThrows(IllegalArgumentException.class, () -> s.put(tx, b("k"), 7, 6, b("v"))), "7");
            assertThrows(IllegalArgumentException.class,
                () -> s.put(tx, new byte[KeyValueStore.MAX_KEY_LENGTH - SessionKeyDescriptor.OVERHEAD + 1], 0, 1, b("v")));
            assertThrows(IndexOutOfBoundsException.class,
                () -> s.put(tx, b("k"), 0, 1, java.lang.foreign.MemorySegment.ofArray(new byte[4]), 2, 3));
            assertThrows(IllegalArgumentException.class, () -> s.remove(tx, b("k"), 3, 2));
            assertThrows(NullPointerException.class, () -> s.remove(tx, null, 0, 2));
            assertThrows(IllegalArgumentException.class, () -> s.fetchSession(tx, b("k"), -1, 2, new ValueView()));
            assertThrows(NullPointerException.class, () -> s.fetchSession(tx, b("k"), 0, 2, null));
            assertThrows(NullPointerException.class, () -> s.findSessions(tx, c, null, 0, 1));
            assertThrows(NullPointerException.class, () -> s.findSessions(tx, null, b("k"), 0, 1));
            assertThrows(IllegalArgumentException.class, () -> s.findSessions(tx, c, b("k"), -1, 1));
            assertThrows(IllegalArgumentException.class, () -> s.findSessions(tx, c, b("k"), 0, -1));
            assertMessage(assertThrows(IllegalArgumentException.class, () -> s.findSessions(tx, c, b("b"), b("a"), 0, 1)),
                "inverted key range");
            assertThrows(IllegalArgumentException.class, () -> s.backwardFetch(tx, c, b("b"), b("a")));
            assertThrows(IllegalArgumentException.class, () -> s.findSessions(tx, sessions().cursor(), b("k"), 0, 1));
            assertEquals(0, tx.pendingWrites(s.store()));
            assertEquals(List.of("k@0-5=a"), find(s, tx, "k", 0, 10), "the transaction is still usable");
        }
        KeyValueStore store = memoryStore();
        assertMessage(assertThrows(IllegalArgumentException.class, () -> SessionStore.on(store, 0, 1)), "retention");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> SessionStore.on(store, -5)), "-5");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> SessionStore.on(store, 10, 0)), "segmentInterval");
        assertMessage(assertThrows(IllegalArgumentException.class, () -> SessionStore.on(store, 10, 1, 0)), "sweepLimit");
        assertThrows(NullPointerException.class, () -> SessionStore.on(null, 10, 1));
        KeyValueStore hashOnly = KeyValueStore.create(StoreOptions.builder().name("hash").build());
        toClose.add(hashOnly);
        assertMessage(assertThrows(IllegalArgumentException.class, () -> SessionStore.on(hashOnly, 10, 1)), "sorted index");
        assertEquals(0, store.size());
        SessionCursor unpositioned = s.cursor();
        assertFalse(unpositioned.next());
        assertThrows(IllegalStateException.class, unpositioned::start);
    }

    private static void assertMessage(Exception e, String part) {
        assertTrue(e.getMessage().contains(part), () -> "'" + e.getMessage() + "' should name " + part);
    }

    // ---------------------------------------------------------------- durability

    @Test
    void aFileBackedStoreReopensWithItsSessionsAndStreamTimeAndRefusesOtherParameters() {
        StoreOptions options = StoreOptions.builder().name("file-sessions").sortedIndex(true).build();
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            SessionStore s = SessionStore.on(store, RETENTION, INTERVAL);
            put(s, "k", 0, 5, "a");
            put(s, "k", 3, 40, "b");
            put(s, "j", 60, 70, "c");
        }
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            SessionStore s = SessionStore.on(store, RETENTION, INTERVAL);
            assertEquals(70, s.streamTime(null));
            assertEquals(List.of("k@0-5=a", "k@3-40=b"), find(s, null, "k", 0, 100));
            assertEquals(List.of("j@60-70=c"), find(s, null, "j", 0, 100));
            assertMessage(assertThrows(IllegalArgumentException.class, () -> SessionStore.on(store, RETENTION + 1, INTERVAL)),
                "retention=" + RETENTION);
            assertMessage(assertThrows(IllegalArgumentException.class, () -> SessionStore.on(store, RETENTION, INTERVAL * 2)),
                "segmentInterval=" + INTERVAL);
        }
    }

    @Test
    void aManagedStoreKeepsItsSessionsOverRevokeCloseAndCrash() {
        StateManagerOptions options = StateManagerOptions.builder(dir.resolve("state")).build();
        StateManager manager = StateManager.open(options);
        manager.define(StoreOptions.builder().name("sessions").sortedIndex(true).build());
        manager.assign(0);
        StatePartition p = manager.partition(0);
        SessionStore s = SessionStore.on(p.store("sessions"), RETENTION, INTERVAL);
        try (Transaction tx = p.begin()) {
            s.put(tx, b("k"), 1, 9, b("a"));
            s.put(tx, b("k"), 20, 30, b("b"));
            tx.commit();
        }
        manager.revoke(0);
        manager.assign(0);
        p = manager.partition(0);
        s = SessionStore.on(p.store("sessions"), RETENTION, INTERVAL);
        assertEquals(List.of("k@1-9=a", "k@20-30=b"), find(s, null, "k", 0, 100));
        try (Transaction tx = p.begin()) {
            s.put(tx, b("k"), 200, 200, b("c")); // expires both, sweeps segments 0 and 3
            assertEquals(2, s.sweepRemoved());
            tx.commit();
        }
        manager.close();

        manager = StateManager.open(options);
        manager.define(StoreOptions.builder().name("sessions").sortedIndex(true).build());
        manager.assign(0);
        p = manager.partition(0);
        s = SessionStore.on(p.store("sessions"), RETENTION, INTERVAL);
        assertEquals(200, s.streamTime(null));
        assertEquals(List.of("k@200-200=c"), find(s, null, "k", 0, 1000));
        try (Transaction tx = p.begin()) {
            s.put(tx, b("j"), 150, 210, b("d"));
            s.remove(tx, b("k"), 200, 200);
            tx.commit();
        }
        TestManagers.crash(manager);

        manager = StateManager.open(options);
        try {
            manager.define(StoreOptions.builder().name("sessions").sortedIndex(true).build());
            manager.assign(0);
            p = manager.partition(0);
            s = SessionStore.on(p.store("sessions"), RETENTION, INTERVAL);
            assertEquals(210, s.streamTime(null));
            assertEquals(List.of("j@150-210=d"), drain(s.fetch(null, s.cursor(), null, null)));
            assertEquals(2, p.store("sessions").size(), "metadata and one session: the swept segment stayed gone");
        } finally {
            manager.close();
        }
    }

    @Test
    void aStoreOfAnotherKindIsRefused() {
        KeyValueStore store = memoryStore();
        try (Transaction tx = Transaction.begin(store)) {
            tx.put(store, new byte[] {0}, b("not metadata"));
            tx.commit();
        }
        assertMessage(assertThrows(IllegalArgumentException.class, () -> SessionStore.on(store, 10, 1)), "not a session store");
    }
}
