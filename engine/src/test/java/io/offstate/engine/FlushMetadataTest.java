package io.offstate.engine;

import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.file.CommitObserver;
import io.offstate.offheap.file.CommitStep;

/** Caller bytes committed with a flush: atomic with the data, kept by plain flushes, read back after reopen. */
class FlushMetadataTest {
    @TempDir
    Path dir;

    static StoreOptions options() {
        return StoreOptions.builder().name("meta").pageSize(4096).build();
    }

    @Test
    void metadataOfTheLastFlushIsReadBackAfterReopen() {
        try (KeyValueStore store = KeyValueStore.open(dir, options())) {
            assertArrayEquals(new byte[0], store.lastFlushMetadata());
            store.put(utf8("k"), utf8("1"));
            store.flush(utf8("offset=41"));
            store.put(utf8("k"), utf8("2"));
            store.flush(utf8("offset=42"));
            assertArrayEquals(utf8("offset=42"), store.lastFlushMetadata());
        }
        try (KeyValueStore store = KeyValueStore.open(dir, options())) {
            assertArrayEquals(utf8("offset=42"), store.lastFlushMetadata());
            assertArrayEquals(utf8("2"), store.getCopy(utf8("k")));
        }
    }

    @Test
    void plainFlushAndCloseKeepTheLastMetadata() {
        try (KeyValueStore store = KeyValueStore.open(dir, options())) {
            store.flush(utf8("m1"));
            store.put(utf8("a"), utf8("x"));
            store.flush();
        }
        try (KeyValueStore store = KeyValueStore.open(dir, options())) {
            assertArrayEquals(utf8("m1"), store.lastFlushMetadata());
            assertEquals(1, store.size());
        }
    }

    @Test
    void closeWithoutFlushKeepsTheMetadataOfTheLastCompletedFlush() {
        try (KeyValueStore store = KeyValueStore.open(dir, options())) {
            store.put(utf8("a"), utf8("1"));
            store.flush(utf8("applied=1"));
            store.put(utf8("b"), utf8("2"));
            store.closeWithoutFlush();
        }
        try (KeyValueStore store = KeyValueStore.open(dir, options())) {
            assertArrayEquals(utf8("applied=1"), store.lastFlushMetadata());
            assertEquals(1, store.size());
        }
    }

    @Test
    void emptyMetadataReplacesEarlierMetadata() {
        try (KeyValueStore store = KeyValueStore.open(dir, options())) {
            store.flush(utf8("old"));
            store.flush(new byte[0]);
        }
        try (KeyValueStore store = KeyValueStore.open(dir, options())) {
            assertArrayEquals(new byte[0], store.lastFlushMetadata());
        }
    }

    @Test
    void largestMetadataRoundTripsAndOneByteMoreIsRefusedWithNothingFlushed() {
        byte[] largest = TestData.pattern(KeyValueStore.MAX_FLUSH_METADATA, 5);
        try (KeyValueStore store = KeyValueStore.open(dir, options())) {
            store.flush(largest);
            long generation = store.flushGeneration();
            store.put(utf8("pending"), utf8("p"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> store.flush(new byte[KeyValueStore.MAX_FLUSH_METADATA + 1]));
            assertEquals("flush metadata of 1048577 bytes exceeds the maximum of 1048576 bytes (store 'meta')", e.getMessage());
            assertEquals(generation, store.flushGeneration());
            assertArrayEquals(largest, store.lastFlushMetadata());
            store.closeWithoutFlush();
        }
        try (KeyValueStore store = KeyValueStore.open(dir, options())) {
            assertArrayEquals(largest, store.lastFlushMetadata());
            assertEquals(0, store.size());
        }
    }

    /** Thrown by the observer at one commit step: the process "dies" there (the store is then closed without a flush). */
    static final class Crash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Crash(CommitStep step) {
            super("simulated crash at " + step);
        }
    }

    @ParameterizedTest(name = "crash at {0}")
    @EnumSource(CommitStep.class)
    void aCrashAtEachCommitStepKeepsDataAndMetadataTogether(CommitStep step) {
        CommitStep[] crashAt = {null};
        CommitObserver observer = s -> {
            if (s == crashAt[0]) {
                throw new Crash(s);
            }
        };
        KeyValueStore store = KeyValueStore.open(dir, options(), observer);
        store.put(utf8("k"), utf8("old"));
        store.flush(utf8("offset=1"));
        long before = store.flushGeneration();
        store.put(utf8("k"), utf8("new"));
        store.put(utf8("n"), TestData.pattern(5000, 3)); // more than one chunk and page
        crashAt[0] = step;
        assertThrows(Crash.class, () -> store.flush(utf8("offset=2")));
        store.closeWithoutFlush();
        // the new journal's header is the commit point: from it on, the new flush is the one kept
        boolean committed = step.compareTo(CommitStep.JOURNAL_WRITTEN) >= 0;
        try (KeyValueStore reopened = KeyValueStore.open(dir, options())) {
            assertEquals(committed ? before + 1 : before, reopened.flushGeneration());
            assertArrayEquals(utf8(committed ? "offset=2" : "offset=1"), reopened.lastFlushMetadata());
            assertArrayEquals(utf8(committed ? "new" : "old"), reopened.getCopy(utf8("k")));
            assertEquals(committed ? 2 : 1, reopened.size());
            reopened.verifyFiles();
        }
    }

    @Test
    void callerArrayIsCopiedBothWays() {
        try (KeyValueStore store = KeyValueStore.create(options())) {
            byte[] given = utf8("abc");
            store.flush(given);
            given[0] = 'X';
            byte[] read = store.lastFlushMetadata();
            read[1] = 'Y';
            assertArrayEquals(utf8("abc"), store.lastFlushMetadata());
        }
    }

    @Test
    void inMemoryStoreRecordsMetadataAndKeepsViewsValid() {
        try (KeyValueStore store = KeyValueStore.create(options())) {
            store.put(utf8("k"), utf8("v"));
            ValueView view = new ValueView();
            store.get(utf8("k"), view);
            store.flush(utf8("pos=7"));
            assertEquals(1, view.length()); // an in-memory flush moves nothing
            assertArrayEquals(utf8("pos=7"), store.lastFlushMetadata());
            assertEquals(0, store.flushGeneration());
        }
    }

    @Test
    void badArgumentsAndClosedStore() {
        KeyValueStore store = KeyValueStore.open(dir, options());
        NullPointerException npe = assertThrows(NullPointerException.class, () -> store.flush(null));
        assertEquals("metadata", npe.getMessage());
        store.close();
        assertThrows(StoreClosedException.class, () -> store.flush(utf8("x")));
        assertThrows(StoreClosedException.class, store::lastFlushMetadata);
    }
}
