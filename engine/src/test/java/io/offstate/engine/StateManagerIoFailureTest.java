package io.offstate.engine;

import static io.offstate.engine.TestData.string;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.UncheckedIOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.log.FaultyWalIo;

/**
 * A full disk or a failing device while a partition commits: the commit fails, no store changes,
 * the transaction stays open for a retry, and what the log holds stays readable.
 */
final class StateManagerIoFailureTest {
    @TempDir
    Path dir;

    private StateManager open(FaultyWalIo io) {
        StateManager m = StateManager.open(StateManagerOptions.builder(dir).build(), io::open);
        m.define(StoreOptions.builder().name("s").build());
        m.assign(0);
        return m;
    }

    @Test
    void aFullDiskFailsTheCommitWithTheStoresUnchangedAndARetrySucceeds() {
        FaultyWalIo io = new FaultyWalIo();
        StateManager m = open(io);
        StatePartition p = m.partition(0);
        KeyValueStore s = p.store("s");
        try (Transaction tx = p.begin()) {
            tx.put(s, utf8("a"), utf8("1"));
            tx.commit(utf8("first"));
        }
        try (Transaction tx = p.begin()) {
            tx.put(s, utf8("a"), utf8("2"));
            tx.put(s, utf8("b"), utf8("2"));
            io.failNextWrite.set(true);
            UncheckedIOException e = assertThrows(UncheckedIOException.class, () -> tx.commit(utf8("second")));
            assertEquals("No space left on device", e.getCause().getMessage());
            assertFalse(tx.isDone(), "the transaction stays open");
            assertEquals("1", string(s.getCopy(utf8("a"))));
            assertNull(s.getCopy(utf8("b")));
            assertEquals("first", string(p.committedPositions()));
            tx.commit(utf8("retried")); // the disk has room again
        }
        assertEquals("2", string(s.getCopy(utf8("b"))));
        m.crashForTests();

        StateManager again = open(new FaultyWalIo());
        StatePartition q = again.partition(0);
        assertEquals("2", string(q.store("s").getCopy(utf8("a"))));
        assertEquals("2", string(q.store("s").getCopy(utf8("b"))));
        assertEquals("retried", string(q.committedPositions()));
        assertEquals(2, q.recovery().batchesReplayed(), "the half-written batch is not in the log");
        again.close();
    }

    @Test
    void aFailingFsyncFailsThisAndLaterCommitsButStoresStayReadableAndClosable() {
        FaultyWalIo io = new FaultyWalIo();
        StateManager m = open(io);
        StatePartition p = m.partition(0);
        KeyValueStore s = p.store("s");
        try (Transaction tx = p.begin()) {
            tx.put(s, utf8("a"), utf8("1"));
            tx.commit();
        }
        try (Transaction tx = p.begin()) {
            tx.put(s, utf8("a"), utf8("2"));
            io.failNextForce.set(true);
            assertThrows(UncheckedIOException.class, tx::commit);
            assertEquals("1", string(s.getCopy(utf8("a"))), "not applied");
            assertThrows(UncheckedIOException.class, tx::commit, "the log is failed: no later commit is acknowledged");
            assertEquals("1", string(s.getCopy(utf8("a"))));
        }
        // revoke cannot checkpoint with a failed log, but closes and unlocks everything
        assertThrows(RuntimeException.class, () -> m.close());
        assertEquals(true, m.isClosed());
        StateManager again = open(new FaultyWalIo());
        String a = string(again.partition(0).store("s").getCopy(utf8("a")));
        // the batch whose fsync failed was written but never acknowledged: in doubt, as in any database
        assertEquals(true, a.equals("1") || a.equals("2"), a);
        again.close();
    }
}
