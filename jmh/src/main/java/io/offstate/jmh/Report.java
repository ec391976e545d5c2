package io.offstate.jmh;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Side channel from the forked benchmark JVMs to {@link MainJob}: facts that are not a JMH score
 * (memory per entry, why a peer could not run) are printed to stdout and, when the system property
 * {@value #OUT_PROPERTY} names a directory (MainJob sets it), written there as one small file each.
 */
final class Report {
    static final String OUT_PROPERTY = "offstate.jmh.out";
    /** Names a peer whose setup must fail ({@code MainJob --fail-peer}): tests the "missing" path. */
    static final String FAIL_PEER_PROPERTY = "offstate.jmh.failPeer";

    private Report() {
    }

    /** Records a number, e.g. {@code memory.offstate = 95.3} (bytes per entry). */
    static void metric(String name, double value) {
        System.out.printf("%n[offstate-jmh] %s = %.1f%n", name, value);
        write("metric-" + name + ".txt", Double.toString(value));
    }

    /** Records a number for one data-set size, e.g. {@code memory.offstate} at 1000000 keys. */
    static void metric(String name, int keys, double value) {
        metric(name + "@" + keys, value);
    }

    /** Records why {@code peer} failed (its stack trace's first lines), then the caller rethrows. */
    static void failure(String peer, Throwable t) {
        StringWriter sw = new StringWriter();
        t.printStackTrace(new PrintWriter(sw));
        String firstLines = String.join("\n", sw.toString().lines().limit(6).toList());
        System.out.println("[offstate-jmh] " + peer + " failed: " + firstLines);
        write("error-" + peer + ".txt", firstLines);
    }

    /**
     * Throws if {@code MainJob --fail-peer} named {@code peer}: called first in each peer's setup, so
     * the main job's handling of a peer that cannot run can be checked on any machine.
     */
    static void failIfRequested(String peer) {
        if (peer.equals(System.getProperty(FAIL_PEER_PROPERTY))) {
            throw new IllegalStateException("setup failure requested by MainJob --fail-peer " + peer);
        }
    }

    static void note(String name, String text) {
        System.out.println("[offstate-jmh] " + name + ": " + text);
        write("note-" + name + ".txt", text);
    }

    private static void write(String file, String content) {
        String dir = System.getProperty(OUT_PROPERTY);
        if (dir == null || dir.isEmpty()) {
            return;
        }
        write(Path.of(dir), file, content);
    }

    static void write(Path d, String file, String content) {
        try {
            Files.createDirectories(d);
            Files.writeString(d.resolve(file), content, StandardCharsets.UTF_8);
        } catch (IOException e) {
            System.out.println("[offstate-jmh] cannot write " + file + ": " + e);
        }
    }

    /**
     * Heap in use after repeated full GCs. An approximation: good to a few hundred KB, so meaningful
     * only for large differences (a whole loaded map).
     */
    static long settledHeapUsed() {
        MemoryMXBean mx = ManagementFactory.getMemoryMXBean();
        long used = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            used = Math.min(used, mx.getHeapMemoryUsage().getUsed());
        }
        return used;
    }
}
