package io.offstate.propertytests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.offheap.StoreLockedException;

/**
 * Regression test for a bug found while writing {@link FileBackedModelTest} (by reading
 * {@code StoreFiles.open}, not by a property; fixed by refusing a directory this process has open
 * before touching its lock file): a second open of an open directory in the same
 * process was refused with StoreLockedException as documented, but the refusal released the first
 * store's OS lock, so another process can then open the directory while the first store still has
 * it open: two writers on one directory. The README promises "One store per directory. A second
 * open, in this or another process, throws StoreLockedException."
 *
 * <p>Why it happened: {@code StoreFiles.open} opened a new FileChannel on {@code offstate.lock};
 * its {@code tryLock()} threw OverlappingFileLockException (the JVM knows the first store's lock),
 * and the channel was then closed. On Linux FileChannel locks are POSIX record locks, which belong
 * to the process and are all released when any descriptor of the file is closed (the FileLock
 * Javadoc warns: "closing a channel releases all locks held by the Java virtual machine on the
 * underlying file regardless of whether the locks were acquired via that channel").
 */
class SecondOpenLockTest {
    static final StoreOptions OPTIONS = StoreOptions.builder().name("lock").pageSize(4096).build();

    @TempDir
    Path dir;

    @Test
    void aRefusedSecondOpenInThisProcessLeavesTheDirectoryLockedForOtherProcesses() throws Exception {
        try (KeyValueStore first = KeyValueStore.open(dir, OPTIONS)) {
            assertEquals("refused", openInChildProcess(dir), "another process opened the directory while it was open");
            assertThrows(StoreLockedException.class, () -> KeyValueStore.open(dir, OPTIONS));
            assertEquals("refused", openInChildProcess(dir),
                "after a refused second open in this process, another process opened the directory while it was open");
        }
    }

    /** Child: tries to open the directory; prints "opened" (then closes without a flush: writes nothing) or "refused". */
    public static void main(String[] args) {
        try {
            KeyValueStore.open(Path.of(args[0]), OPTIONS).closeWithoutFlush();
            System.out.println("opened");
        } catch (StoreLockedException e) {
            System.out.println("refused");
        }
    }

    /** What {@link #main} printed in a child JVM with this test run's class path. */
    static String openInChildProcess(Path directory) throws IOException, InterruptedException {
        List<String> command = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx64m",
            "-cp", System.getProperty("java.class.path"), SecondOpenLockTest.class.getName(), directory.toString());
        Process child = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        try {
            String out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (!child.waitFor(60, TimeUnit.SECONDS) || child.exitValue() != 0) {
                throw new AssertionError("child JVM failed (printed: " + out + ")");
            }
            return out;
        } finally {
            child.destroyForcibly();
        }
    }
}
