package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.StoreFileException;

/**
 * The background scrub: finds damage planted on disk behind the store's back and reports it
 * through the listener, reports nothing while the owner writes and flushes beside it, stops at
 * close, and rejects bad arguments with nothing started.
 */
class BackgroundScrubTest {
    private static final long FAST = 256L << 20; // bytes per second: a pass over these small stores takes milliseconds
    private static final long PATIENCE_NANOS = TimeUnit.SECONDS.toNanos(60); // a liveness bound, not a timing claim

    @TempDir
    Path dir;

    private static StoreOptions options() {
        return StoreOptions.builder().name("scrubbed").pageSize(4096).sortedIndex(true).build();
    }

    private static void fill(KeyValueStore s, int keys, int seed) {
        for (int i = 0; i < keys; i++) {
            s.put(utf8("key-" + i), pattern(40, i + seed));
        }
    }

    private static void await(String what, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + PATIENCE_NANOS;
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("gave up waiting for: " + what);
            }
            Thread.sleep(5);
        }
    }

    private static void flipBit(Path file, long offset) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.allocate(1);
            ch.read(b, offset);
            b.put(0, (byte) (b.get(0) ^ 1)).rewind();
            ch.write(b, offset);
        }
    }

    @Test
    void damageOnDiskIsReportedNamingTheFile() throws Exception {
        List<StoreFileException> reports = new CopyOnWriteArrayList<>();
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            fill(s, 2000, 0);
            s.flush();
            BackgroundScrub scrub = s.scrubInBackground(FAST, reports::add);
            await("two clean passes", () -> scrub.passes() >= 2);
            assertEquals(List.of(), reports, "an undamaged store is reported as damaged");

            flipBit(dir.resolve("pages.dat"), 100); // a committed chunk the owner does not rewrite
            await("a damage report", () -> !reports.isEmpty());
            StoreFileException report = reports.get(0);
            assertTrue(report instanceof CorruptStoreFileException, report.toString());
            assertEquals(dir.resolve("pages.dat").toAbsolutePath(), report.file().toAbsolutePath());
            assertTrue(scrub.isRunning(), "damage does not end the scrub");
            assertNull(scrub.failure());
            assertTrue(scrub.damageReports() >= 1);
            assertTrue(scrub.bytesChecked() > 0);
            s.closeWithoutFlush();
            assertFalse(scrub.isRunning(), "close stops the scrub thread");
        }
    }

    @Test
    void aScrubBesideAWritingAndFlushingOwnerReportsNothing() throws Exception {
        List<StoreFileException> reports = new CopyOnWriteArrayList<>();
        BackgroundScrub scrub;
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            fill(s, 500, 0);
            s.flush();
            scrub = s.scrubInBackground(FAST, reports::add);
            for (int round = 0; round < 300; round++) {
                for (int i = 0; i < 50; i++) {
                    int k = (round * 37 + i * 11) % 3000;
                    s.put(utf8("key-" + k), pattern(20 + (round + i) % 300, round));
                }
                if (round % 7 == 0) {
                    s.delete(utf8("key-" + round));
                }
                s.flush();
            }
            await("a pass after the writes", () -> scrub.passes() >= 2);
            assertEquals(List.of(), reports, "a chunk rewritten by a concurrent flush was reported as damage");
            assertNull(scrub.failure());
        }
        assertFalse(scrub.isRunning());
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            s.verifyFiles();
            s.verify();
            assertArrayEquals(pattern(20 + (299 + 49) % 300, 299), s.getCopy(utf8("key-" + ((299 * 37 + 49 * 11) % 3000))));
        }
    }

    @Test
    void aFailingListenerDoesNotEndTheScrub() throws Exception {
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            fill(s, 1000, 0);
            s.flush();
            flipBit(dir.resolve("pages.dat"), 200);
            BackgroundScrub scrub = s.scrubInBackground(FAST, e -> {
                throw new IllegalStateException("listener bug");
            });
            await("two failing reports", () -> scrub.listenerFailures() >= 2);
            assertTrue(scrub.isRunning());
            scrub.stop();
            assertFalse(scrub.isRunning());
            scrub.stop(); // idempotent
            s.closeWithoutFlush();
        }
    }

    @Test
    void badArgumentsStartNothing() throws Exception {
        try (KeyValueStore memory = KeyValueStore.create(options())) {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> memory.scrubInBackground(FAST, x -> { }));
            assertTrue(e.getMessage().contains("in memory"), e.getMessage());
        }
        try (KeyValueStore s = KeyValueStore.open(dir, options())) {
            assertEquals("listener", assertThrows(NullPointerException.class, () -> s.scrubInBackground(FAST, null)).getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.scrubInBackground(0, x -> { }));
            assertThrows(IllegalArgumentException.class, () -> s.scrubInBackground(-5, x -> { }));

            AtomicReference<Throwable> fromOther = new AtomicReference<>();
            Thread other = Thread.ofPlatform().unstarted(() -> {
                try {
                    s.scrubInBackground(FAST, x -> { });
                } catch (Throwable t) {
                    fromOther.set(t);
                }
            });
            other.start();
            other.join();
            assertTrue(fromOther.get() instanceof WrongThreadException, String.valueOf(fromOther.get()));

            BackgroundScrub first = s.scrubInBackground(FAST, x -> { });
            IllegalStateException twice = assertThrows(IllegalStateException.class, () -> s.scrubInBackground(FAST, x -> { }));
            assertTrue(twice.getMessage().contains("already"), twice.getMessage());
            first.stop();
            BackgroundScrub second = s.scrubInBackground(FAST, x -> { }); // after a stop, a new one may start
            assertTrue(second.isRunning());
            s.close();
            assertFalse(second.isRunning());
            assertThrows(StoreClosedException.class, () -> s.scrubInBackground(FAST, x -> { }));
        }
    }
}
