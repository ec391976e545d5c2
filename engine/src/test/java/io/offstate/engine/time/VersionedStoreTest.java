package io.offstate.engine.time;

import static io.offstate.engine.time.VersionedStore.NO_RECORD;
import static io.offstate.engine.time.VersionedStore.PUT_RETURN_CODE_NOT_PUT;
import static io.offstate.engine.time.VersionedStore.PUT_RETURN_CODE_VALID_TO_UNDEFINED;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StatePartition;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;
import io.offstate.engine.TestManagers;

class VersionedStoreTest {
    private static final long RETENTION = 100;

    @TempDir
    Path dir;

    private final List<AutoCloseable> open = new ArrayList<>();
    private final VersionedRecord record = new VersionedRecord();

    @AfterEach
    void closeAll() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
    }

    private KeyValueStore sorted() {
        KeyValueStore s = KeyValueStore.create(StoreOptions.builder().name("versions").sortedIndex(true).build());
        open.add(s);
        return s;
    }

    private static byte[] b(String s) {
        return s.getBytes(UTF_8);
    }

    private static String s(ValueView v) {
        return new String(v.toByteArray(), UTF_8);
    }

    private static long put(VersionedStore v, String key, String value, long ts) {
        try (Transaction tx = Transaction.begin(v.store())) {
            long r = v.put(tx, b(key), b(value), ts);
            tx.commit();
            return r;
        }
    }

    private static long delete(VersionedStore v, String key, long ts) {
        try (Transaction tx = Transaction.begin(v.store())) {
            long r = v.delete(tx, b(key), ts);
            tx.commit();
            return r;
        }
    }

    /** "value@ts..validTo" of the version valid at asOf, or null. */
    private String asOf(VersionedStore v, String key, long asOf) {
        if (!v.get(null, b(key), asOf, record)) {
            return null;
        }
        return s(record.value()) + "@" + record.timestamp() + ".." + (record.hasValidTo() ? record.validTo() : "");
    }

    private String latest(VersionedStore v, String key) {
        if (!v.get(null, b(key), record)) {
            return null;
        }
        return s(record.value()) + "@" + record.timestamp();
    }

    /** Entries of the backing store with the given first byte. */
    private static int entries(KeyValueStore store, int prefix) {
        Cursor c = store.cursor();
        c.prefix(new byte[] {(byte) prefix});
        int n = 0;
        while (c.next()) {
            n++;
        }
        return n;
    }

    // ---------------------------------------------------------------- semantics

    @Test
    void getReturnsLatestAndGetAsOfReturnsTheVersionValidThen() {
        VersionedStore v = VersionedStore.on(sorted(), RETENTION);
        assertEquals(PUT_RETURN_CODE_VALID_TO_UNDEFINED, put(v, "k", "a", 10));
        assertEquals(PUT_RETURN_CODE_VALID_TO_UNDEFINED, put(v, "k", "b", 20));
        assertEquals(PUT_RETURN_CODE_VALID_TO_UNDEFINED, put(v, "k", "c", 30));
        assertEquals("c@30", latest(v, "k"));
        ValueView view = new ValueView();
        assertTrue(v.get(null, b("k"), view));
        assertEquals("c", s(view));
        assertNull(asOf(v, "k", 9));
        assertEquals("a@10..20", asOf(v, "k", 10));
        assertEquals("a@10..20", asOf(v, "k", 19));
        assertEquals("b@20..30", asOf(v, "k", 20));
        assertEquals("c@30..", asOf(v, "k", 31));
        assertEquals("c@30..", asOf(v, "k", Long.MAX_VALUE));
        assertEquals(30, v.streamTime(null));
        assertNull(latest(v, "other"));
        assertNull(asOf(v, "other", 30));
    }

    @Test
    void outOfOrderPutLandsBetweenVersionsAndReturnsTheNextTimestamp() {
        VersionedStore v = VersionedStore.on(sorted(), RETENTION);
        put(v, "k", "a", 10);
        put(v, "k", "c", 30);
        assertEquals(30, put(v, "k", "b", 20));
        assertEquals(10, put(v, "k", "z", 5));
        assertEquals("z@5..10", asOf(v, "k", 7));
        assertEquals("a@10..20", asOf(v, "k", 15));
        assertEquals("b@20..30", asOf(v, "k", 25));
        assertEquals("c@30..", asOf(v, "k", 35));
        assertEquals("c@30", latest(v, "k"));
        assertEquals(30, v.streamTime(null), "an out-of-order put does not move stream time");
    }

    @Test
    void putAtAnExistingTimestampReplacesThatVersion() {
        VersionedStore v = VersionedStore.on(sorted(), RETENTION);
        put(v, "k", "a", 10);
        put(v, "k", "b", 20);
        assertEquals(20, put(v, "k", "A", 10));
        assertEquals(PUT_RETURN_CODE_VALID_TO_UNDEFINED, put(v, "k", "B", 20));
        assertEquals("A@10..20", asOf(v, "k", 15));
        assertEquals("B@20", latest(v, "k"));
        assertEquals(2, entries(v.store(), VersionedLayout.VERSION_PREFIX));
    }

    @Test
    void deleteAddsATombstoneAndReturnsTheRecordValidAtItsTime() {
        VersionedStore v = VersionedStore.on(sorted(), RETENTION);
        put(v, "k", "a", 10);
        put(v, "k", "b", 20);
        assertEquals(20, delete(v, "k", 30));
        assertNull(latest(v, "k"));
        assertNull(asOf(v, "k", 35));
        assertEquals("b@20..30", asOf(v, "k", 25));
        assertEquals(10, delete(v, "k", 15), "an out-of-order delete ends the version valid at its time");
        assertEquals("a@10..15", asOf(v, "k", 12));
        assertNull(asOf(v, "k", 17));
        assertEquals("b@20..30", asOf(v, "k", 20));
        assertEquals(NO_RECORD, delete(v, "k", 31), "a delete after a tombstone deletes nothing");
        assertEquals(NO_RECORD, delete(v, "never", 31));
        assertEquals(31, v.streamTime(null));
    }

    @Test
    void aTombstoneOfAnAbsentKeyStillBoundsAnEarlierOutOfOrderPut() {
        VersionedStore v = VersionedStore.on(sorted(), RETENTION);
        assertEquals(NO_RECORD, delete(v, "k", 50));
        assertEquals(50, put(v, "k", "early", 40));
        assertEquals("early@40..50", asOf(v, "k", 45));
        assertNull(asOf(v, "k", 50));
        assertNull(latest(v, "k"));
        assertEquals(PUT_RETURN_CODE_VALID_TO_UNDEFINED, put(v, "k", "late", 60));
        assertEquals("late@60", latest(v, "k"));
    }

    @Test
    void keysThatArePrefixesOfOtherKeysKeepTheirOwnVersions() {
        VersionedStore v = VersionedStore.on(sorted(), RETENTION);
        byte[] shortKey = {1};
        byte[] longKey = {1, 0, 0, 0, 0, 0, 0, 0, 5}; // as if "short key" plus a timestamp 5
        try (Transaction tx = Transaction.begin(v.store())) {
            v.put(tx, longKey, b("long"), 5);
            v.put(tx, new byte[0], b("empty"), 3);
            v.put(tx, shortKey, b("short"), 7);
            tx.commit();
        }
        assertFalse(v.get(null, shortKey, 6, record));
        assertTrue(v.get(null, shortKey, 8, record));
        assertEquals("short", s(record.value()));
        assertTrue(v.get(null, longKey, 6, record));
        assertEquals("long", s(record.value()));
        assertTrue(v.get(null, new byte[0], record));
        assertEquals("empty", s(record.value()));
    }

    // ---------------------------------------------------------------- history horizon

    @Test
    void putBelowTheHorizonIsNotPutAndStagesNothing() {
        VersionedStore v = VersionedStore.on(sorted(), RETENTION);
        put(v, "k", "a", 500);
        try (Transaction tx = Transaction.begin(v.store())) {
            assertEquals(PUT_RETURN_CODE_NOT_PUT, v.put(tx, b("k"), b("x"), 399));
            assertEquals(NO_RECORD, v.delete(tx, b("k"), 399));
            assertEquals(0, tx.pendingWrites(v.store()));
            assertEquals(500, v.put(tx, b("k"), b("edge"), 400), "a put at the horizon itself is kept");
            tx.commit();
        }
        assertEquals("edge@400..500", asOf(v, "k", 400));
        assertEquals(500, v.streamTime(null));
    }

    @Test
    void getAsOfBelowTheHorizonFindsOnlyTheLatestVersionWhichIsKeptWhateverItsAge() {
        VersionedStore v = VersionedStore.on(sorted(), RETENTION, 0);
        put(v, "old", "forever", 10);
        put(v, "k", "a", 10);
        put(v, "k", "b", 20);
        put(v, "k", "c", 1000);
        assertNull(asOf(v, "k", 899), "below the horizon");
        assertEquals("b@20..1000", asOf(v, "k", 900));
        assertEquals("forever@10", latest(v, "old"));
        assertEquals("forever@10..", asOf(v, "old", 950), "a version still valid inside the history is found");
        assertNull(asOf(v, "k", 15), "a version the horizon hid is not shown, although not swept yet");
        assertEquals("forever@10..", asOf(v, "old", 15), "below the horizon the latest version is still found");
        assertNull(asOf(v, "old", 9), "but not before its timestamp");
        delete(v, "old", 1000);
        assertNull(asOf(v, "old", 15), "nor once a tombstone is the latest");
    }

    @Test
    void theSweepRemovesOnlyHiddenVersionsAndNeverTheLatest() {
        KeyValueStore store = sorted();
        VersionedStore v = VersionedStore.on(store, RETENTION, 0);
        put(v, "k", "a", 10);
        put(v, "k", "b", 20);
        put(v, "k", "c", 30);
        put(v, "lonely", "x", 5);
        put(v, "gone", "y", 5);
        delete(v, "gone", 25);
        put(v, "t", "z", 130); // horizon 30: a@10..20, b@20..30, y@5..25 and the tombstone at 25 are hidden
        assertEquals(7, entries(store, VersionedLayout.VERSION_PREFIX));
        try (Transaction tx = Transaction.begin(store)) {
            assertEquals(4, v.sweep(tx, 100));
            assertEquals(0, v.sweep(tx, 100));
            tx.commit();
        }
        assertEquals(3, entries(store, VersionedLayout.VERSION_PREFIX));
        assertEquals(0, entries(store, VersionedLayout.EXPIRY_PREFIX));
        assertEquals("c@30..", asOf(v, "k", 30));
        assertEquals("x@5", latest(v, "lonely"));
        assertNull(latest(v, "gone"));
        assertEquals(PUT_RETURN_CODE_VALID_TO_UNDEFINED, put(v, "gone", "back", 40));
        assertEquals("back@40..", asOf(v, "gone", 45));
        assertNull(asOf(v, "gone", 35));
    }

    @Test
    void eachWriteRemovesAtMostSweepPerWriteVersions() {
        KeyValueStore store = sorted();
        VersionedStore v = VersionedStore.on(store, RETENTION, 3);
        try (Transaction tx = Transaction.begin(store)) {
            for (int i = 0; i < 20; i++) {
                v.put(tx, b("k" + i), b("old"), 0);
                v.put(tx, b("k" + i), b("new"), 1);
            }
            tx.commit();
        }
        assertEquals(40, entries(store, VersionedLayout.VERSION_PREFIX));
        int before = entries(store, VersionedLayout.VERSION_PREFIX);
        for (int i = 0; i < 6; i++) {
            put(v, "other", "v" + i, 1000 + i); // adds one version; 20 are hidden and due
            int after = entries(store, VersionedLayout.VERSION_PREFIX);
            assertEquals(3, before + 1 - after, "versions removed by write " + i);
            before = after;
        }
        assertEquals(40 + 6 - 18, entries(store, VersionedLayout.VERSION_PREFIX));
        try (Transaction tx = Transaction.begin(store)) {
            assertEquals(2, v.sweep(tx, 1000));
            tx.commit();
        }
        assertEquals(20 + 6, entries(store, VersionedLayout.VERSION_PREFIX));
        assertEquals(5, entries(store, VersionedLayout.EXPIRY_PREFIX), "the superseded versions of other are inside the history");
        for (int i = 0; i < 20; i++) {
            assertEquals("new@1", latest(v, "k" + i));
        }
    }

    // ---------------------------------------------------------------- transactions

    @Test
    void readsThroughTheTransactionSeeItsWritesAndAnAbortLeavesNothing() {
        KeyValueStore store = sorted();
        VersionedStore v = VersionedStore.on(store, RETENTION);
        put(v, "k", "a", 10);
        try (Transaction tx = Transaction.begin(store)) {
            v.put(tx, b("k"), b("b"), 20);
            v.put(tx, b("k"), b("early"), 5);
            assertTrue(v.get(tx, b("k"), record));
            assertEquals("b", s(record.value()));
            assertTrue(v.get(tx, b("k"), 7, record));
            assertEquals("early", s(record.value()));
            assertEquals(10, record.validTo());
            assertEquals(20, v.streamTime(tx));
            assertEquals("a@10..", asOf(v, "k", 15), "the committed state is untouched");
            tx.abort();
        }
        assertEquals("a@10", latest(v, "k"));
        assertNull(asOf(v, "k", 7));
        assertEquals(10, v.streamTime(null));
    }

    // ---------------------------------------------------------------- bad input

    @Test
    void badInputIsRefusedWithNothingStaged() {
        KeyValueStore store = sorted();
        VersionedStore v = VersionedStore.on(store, RETENTION);
        put(v, "k", "a", 10);
        try (Transaction tx = Transaction.begin(store)) {
            assertThrows(NullPointerException.class, () -> v.put(null, b("k"), b("v"), 1));
            assertThrows(NullPointerException.class, () -> v.put(tx, null, b("v"), 1));
            assertThrows(NullPointerException.class, () -> v.put(tx, b("k"), null, 1));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> v.put(tx, b("k"), b("v"), -1));
            assertTrue(e.getMessage().contains("-1"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> v.delete(tx, b("k"), -5));
            assertThrows(NullPointerException.class, () -> v.delete(tx, null, 5));
            assertThrows(IllegalArgumentException.class, () -> v.put(tx, new byte[VersionedStore.MAX_KEY_LENGTH + 1], b("v"), 1));
            assertThrows(IllegalArgumentException.class, () -> v.put(tx, b("k"), new byte[VersionedStore.MAX_VALUE_LENGTH + 1], 1));
            assertThrows(IllegalArgumentException.class, () -> v.get(tx, b("k"), -1, record));
            assertThrows(NullPointerException.class, () -> v.get(tx, null, record));
            assertThrows(NullPointerException.class, () -> v.get(tx, b("k"), 5, null));
            assertThrows(IllegalArgumentException.class, () -> v.sweep(tx, -1));
            assertEquals(0, tx.pendingWrites(store));
        }
        assertEquals("a@10", latest(v, "k"));
    }

    @Test
    void factoryRefusesBadParametersAndAnotherStoresData() {
        KeyValueStore store = sorted();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VersionedStore.on(store, 0));
        assertTrue(e.getMessage().contains("historyRetentionMs"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> VersionedStore.on(store, -3));
        assertThrows(IllegalArgumentException.class, () -> VersionedStore.on(store, 10, -1));
        assertThrows(NullPointerException.class, () -> VersionedStore.on(null, 10));
        KeyValueStore hashOnly = KeyValueStore.create(StoreOptions.builder().name("hash").build());
        open.add(hashOnly);
        assertTrue(assertThrows(IllegalArgumentException.class, () -> VersionedStore.on(hashOnly, 10))
            .getMessage().contains("sorted index"));
        put(VersionedStore.on(store, RETENTION), "k", "a", 1);
        e = assertThrows(IllegalArgumentException.class, () -> VersionedStore.on(store, RETENTION + 1));
        assertTrue(e.getMessage().contains("historyRetention=" + RETENTION), e.getMessage());
    }

    // ---------------------------------------------------------------- durability

    @Test
    void aFileBackedStoreReopensWithItsVersionsAndStreamTime() {
        StoreOptions options = StoreOptions.builder().name("versions").sortedIndex(true).build();
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            VersionedStore v = VersionedStore.on(store, RETENTION);
            put(v, "k", "a", 10);
            put(v, "k", "b", 30);
            put(v, "k", "mid", 20);
            delete(v, "k", 40);
        }
        try (KeyValueStore store = KeyValueStore.open(dir, options)) {
            VersionedStore v = VersionedStore.on(store, RETENTION);
            assertEquals(40, v.streamTime(null));
            assertEquals("mid@20..30", asOf(v, "k", 25));
            assertEquals("a@10..20", asOf(v, "k", 10));
            assertNull(latest(v, "k"));
            assertThrows(IllegalArgumentException.class, () -> VersionedStore.on(store, 7));
        }
    }

    private StateManager manager(Path root) {
        StateManager m = StateManager.open(StateManagerOptions.builder(root).build());
        m.define(StoreOptions.builder().name("versions").sortedIndex(true).build());
        return m;
    }

    private static void commit(StatePartition p, VersionedStore v, String key, String value, long ts) {
        try (Transaction tx = p.begin()) {
            if (value == null) {
                v.delete(tx, b(key), ts);
            } else {
                v.put(tx, b(key), b(value), ts);
            }
            tx.commit();
        }
    }

    @Test
    void aManagedStoreKeepsItsVersionsAcrossRevokeCloseAndCrash() {
        StateManager m = manager(dir);
        try {
            m.assign(0);
            StatePartition p = m.partition(0);
            VersionedStore v = VersionedStore.on(p.store("versions"), RETENTION);
            commit(p, v, "k", "a", 10);
            commit(p, v, "k", "c", 30);
            commit(p, v, "k", "b", 20);
            m.revoke(0);
            m.assign(0);
            p = m.partition(0);
            v = VersionedStore.on(p.store("versions"), RETENTION);
            assertEquals("b@20..30", asOf(v, "k", 25));
            commit(p, v, "k", null, 40);
        } finally {
            m.close();
        }
        m = manager(dir);
        try {
            m.assign(0);
            StatePartition p = m.partition(0);
            VersionedStore v = VersionedStore.on(p.store("versions"), RETENTION);
            assertEquals(40, v.streamTime(null));
            assertEquals("c@30..40", asOf(v, "k", 35));
            assertNull(latest(v, "k"));
            commit(p, v, "j", "crash-safe", 45);
            commit(p, v, "k", "early", 5);
            TestManagers.crash(m);
        } catch (RuntimeException | Error e) {
            m.close();
            throw e;
        }
        m = manager(dir);
        try {
            m.assign(0);
            StatePartition p = m.partition(0);
            VersionedStore v = VersionedStore.on(p.store("versions"), RETENTION);
            assertEquals(45, v.streamTime(null));
            assertEquals("crash-safe@45", latest(v, "j"));
            assertEquals("early@5..10", asOf(v, "k", 7));
            assertEquals("a@10..20", asOf(v, "k", 15));
        } finally {
            m.close();
        }
    }

    // ---------------------------------------------------------------- allocation

    @Test
    void putAndReadsAllocateNothingInSteadyState() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean threads) || !threads.isThreadAllocatedMemorySupported()) {
            return;
        }
        threads.setThreadAllocatedMemoryEnabled(true);
        KeyValueStore store = sorted();
        VersionedStore v = VersionedStore.on(store, 50);
        byte[][] keys = new byte[16][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = b("key-" + i);
        }
        byte[] value = new byte[24];
        try (Transaction tx = Transaction.begin(store)) {
            long allocated = 0;
            long sink = 0;
            long ts = 0;
            for (int round = 0; round < 4; round++) {
                long before = threads.getCurrentThreadAllocatedBytes();
                for (int i = 0; i < 2_000; i++, ts++) {
                    sink += v.put(tx, keys[i & 15], value, ts);
                    sink += v.put(tx, keys[(i + 3) & 15], value, Math.max(0, ts - 20)); // out of order
                    if (v.get(tx, keys[(i + 5) & 15], ts - 10 < 0 ? 0 : ts - 10, record)) {
                        sink += record.validTo();
                    }
                    if (v.get(tx, keys[(i + 7) & 15], record)) {
                        sink += record.timestamp();
                    }
                }
                allocated = threads.getCurrentThreadAllocatedBytes() - before;
            }
            // under one byte per operation: no operation allocates (the smallest object is 16 bytes);
            // what remains is the transaction's staging growing now and then for the history it holds
            assertTrue(allocated < 8000, "allocated " + allocated + " bytes over 8000 versioned operations (sink " + sink + ")");
        }
    }
}
