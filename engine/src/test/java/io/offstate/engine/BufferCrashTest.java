package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reading through {@link ValueView#buffer()} after the store was closed, or after the large value
 * it shows was deleted, throws instead of crashing the JVM (issue 13: with Agrona's
 * {@code UnsafeBuffer} over a raw address it ended in SIGSEGV). The reads run in a child JVM
 * ({@link BufferCrashChild}), so a crash fails this test instead of killing the test run: a
 * crashed child (run without core dumps) exits with 1 and leaves an {@code hs_err} log, and stops
 * before {@code DONE}. (The same reads through an {@code UnsafeBuffer} over the view's address do
 * end in SIGSEGV, after close and after the delete alike.) The child runs with no {@code --add-exports} and with {@code sun.misc.Unsafe}
 * memory access denied: {@code buffer()} needs neither, nor do {@code DirectBuffer} keys.
 */
class BufferCrashTest {
    @TempDir
    Path dir;

    @Test
    void readsThroughABufferWhoseMemoryIsGoneThrowAndNeverCrash() throws Exception {
        Path stdout = dir.resolve("child.out");
        Process child = ChildJvm.start(List.of("-Xmx256m", "--sun-misc-unsafe-memory-access=deny",
            "-XX:-CreateCoredumpOnCrash", "-XX:ErrorFile=" + dir.resolve("hs_err_%p.log")),
            BufferCrashChild.class, stdout, dir.resolve("stores").toString());
        assertTrue(child.waitFor(120, TimeUnit.SECONDS), "child finished");
        List<String> lines = Files.readAllLines(stdout, StandardCharsets.UTF_8);
        assertEquals(0, child.exitValue(), "child exit code (non-zero: it crashed or failed); its output:\n" + String.join("\n", lines));

        String closed = io.offstate.offheap.StoreClosedException.class.getName();
        String stale = IllegalStateException.class.getName();
        List<String> expected = new java.util.ArrayList<>();
        for (String scenario : List.of("closed-in-memory", "closed-large-in-memory", "closed-file", "closed-large-file")) {
            for (String read : List.of("getLong", "getBytes", "getString")) {
                expected.add("CAUGHT " + scenario + ":" + read + " " + closed);
            }
        }
        for (String scenario : List.of("deleted-large-in-memory", "deleted-large-file")) {
            for (String read : List.of("getLong", "getBytes", "getString")) {
                expected.add("CAUGHT " + scenario + ":" + read + " " + stale);
            }
        }
        expected.add("CAUGHT segment-deleted-large-in-memory " + stale);
        expected.add("CAUGHT segment-closed-in-memory " + stale);
        expected.add("KEYS-OK");
        expected.add("DONE");
        try (var files = Files.list(dir)) {
            assertFalse(files.anyMatch(p -> p.getFileName().toString().startsWith("hs_err")), "no JVM crash log");
        }
        assertEquals(expected, lines);
    }
}
