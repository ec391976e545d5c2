package io.offstate.jmh;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import io.offstate.engine.KeyValueStore;

/**
 * Where the benchmarks' file-backed stores (offstate's {@code KeyValueStore.open}, Chronicle Map's
 * {@code createPersistedTo}) live, and their cleanup. Each store gets a fresh directory under the
 * system property {@value #DIR_PROPERTY} ({@link MainJob} sets it to a directory of its own under
 * {@code java.io.tmpdir} and deletes that after each case, so a fork that dies leaves nothing
 * behind), else under {@code java.io.tmpdir}. It must be a real disk file system: on tmpfs a flush
 * costs no I/O and the numbers mean nothing, so the file system type is recorded with the results.
 */
final class FileStores {
    static final String DIR_PROPERTY = "offstate.jmh.fileDir";

    private FileStores() {
    }

    /** A new empty directory for one store. */
    static Path newDirectory(String prefix) {
        Path root = Path.of(System.getProperty(DIR_PROPERTY, System.getProperty("java.io.tmpdir")));
        try {
            Files.createDirectories(root);
            Path dir = Files.createTempDirectory(root, prefix);
            Report.note("file-system", describe(dir));
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a store directory under " + root, e);
        }
    }

    /** "ext4 (/dev/vda) at /tmp/...": the file system the numbers were measured on. */
    static String describe(Path dir) {
        try {
            FileStore fs = Files.getFileStore(dir);
            return fs.type() + " (" + fs.name() + ") at " + dir.getParent();
        } catch (IOException e) {
            return "unknown file system at " + dir.getParent() + ": " + e;
        }
    }

    /**
     * Writes every dirty page of every file system back and waits ({@code sync}): a commit
     * benchmark's setup writes a loaded store or RocksDB's SST files (about 100 MB at 1M keys, or the
     * previous fork's leftovers), and on ext4 the first fsyncs after that wait for its writeback
     * (journal ordering), which would charge the setup to the measured commits. Setup only; never
     * throws; prints how long it took.
     */
    static void syncAll() {
        long t0 = System.nanoTime();
        try {
            Process p = new ProcessBuilder("sync").inheritIO().start();
            p.waitFor();
        } catch (IOException e) {
            System.out.println("[offstate-jmh] sync failed: " + e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        System.out.printf("[offstate-jmh] sync: %d ms%n", (System.nanoTime() - t0) / 1_000_000);
    }

    /** Deletes {@code dir} and everything in it; null or missing is fine. Never throws. */
    static void delete(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : walk.sorted(Comparator.comparingInt(Path::getNameCount).reversed()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException | UncheckedIOException e) {
            System.out.println("[offstate-jmh] cannot delete " + dir + ": " + e);
        }
    }

    /**
     * Disk space the files in {@code dir} take (allocated blocks, from {@code du}), or, where
     * {@code du} is unavailable, the sum of their apparent sizes. Allocated blocks, because the
     * store's pages file runs sparsely past its committed pages to the end of its last mapped
     * extent: those zeros take no disk and hold no data.
     */
    static long bytes(Path dir) {
        try {
            Process du = new ProcessBuilder("du", "-s", "-B1", dir.toString()).redirectErrorStream(true).start();
            String out = new String(du.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).trim();
            if (du.waitFor() == 0 && !out.isEmpty()) {
                return Long.parseLong(out.split("\\s+")[0]);
            }
        } catch (IOException | NumberFormatException e) {
            // fall back to apparent sizes
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return apparentBytes(dir);
    }

    /** Apparent size of every file in {@code dir} (sparse files count in full). */
    static long apparentBytes(Path dir) {
        try (Stream<Path> walk = Files.walk(dir)) {
            long n = 0;
            for (Path p : walk.filter(Files::isRegularFile).toList()) {
                n += Files.size(p);
            }
            return n;
        } catch (IOException e) {
            return -1;
        }
    }

    /**
     * The number of dirty 4 KiB chunks a file-backed store would write at its next flush (from
     * {@link KeyValueStore#stats()}). Only for checking a benchmark's setup, never on a measured path.
     */
    static long dirtyChunks(KeyValueStore store) {
        return store.stats().dirtyChunks();
    }
}
