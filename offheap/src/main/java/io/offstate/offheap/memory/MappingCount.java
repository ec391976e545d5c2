package io.offstate.offheap.memory;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicLong;

import io.offstate.offheap.MappingLimitException;

/**
 * Counts the memory mappings that file-backed stores hold in this process, and refuses new ones
 * past {@link #limit()}. Linux caps a process's mappings at {@code vm.max_map_count} (65530 by
 * default); a process that reaches it cannot map anything more, and the JVM, which maps memory
 * for its heap, threads and code, then aborts. A store that maps each page on its own (small
 * pages, many large values) would get there long before its memory budget, so the limit is
 * checked before every new mapping and reported as a {@link MappingLimitException} instead.
 *
 * <p>The limit is half of {@code vm.max_map_count} (the other half is left to the JVM and
 * everything else in the process), or the system property {@code offstate.maxMappings} if set.
 *
 * <p>Thread-safe: one counter for all stores of the process.
 */
public final class MappingCount {
    private static final long MAX_MAP_COUNT = readMaxMapCount();
    private static final AtomicLong LIVE = new AtomicLong();
    private static volatile long limit = Long.getLong("offstate.maxMappings", MAX_MAP_COUNT / 2);

    private MappingCount() {
    }

    private static long readMaxMapCount() {
        // read as a stream of lines: Files.readString trusts the size /proc reports and comes back short
        try (BufferedReader r = Files.newBufferedReader(Path.of("/proc/sys/vm/max_map_count"))) {
            String line = r.readLine();
            return line == null ? 65530 : Long.parseLong(line.trim());
        } catch (IOException | NumberFormatException | SecurityException e) {
            return 65530; // Linux's default; other systems have no such small cap
        }
    }

    /** Mappings file-backed stores hold in this process now. */
    public static long live() {
        return LIVE.get();
    }

    /** The most mappings file-backed stores may hold in this process. */
    public static long limit() {
        return limit;
    }

    /** Sets the limit (tests; a process that raised {@code vm.max_map_count} may use the property). */
    public static void setLimitForTesting(long newLimit) {
        limit = newLimit;
    }

    /** Restores the limit from {@code vm.max_map_count} and the system property. */
    public static void resetLimitForTesting() {
        limit = Long.getLong("offstate.maxMappings", MAX_MAP_COUNT / 2);
    }

    /**
     * Throws unless one more mapping fits; call before any side effect of the operation that maps.
     *
     * @param what names the store or directory, for the message
     * @throws MappingLimitException if the process holds {@link #limit()} mappings already
     */
    public static void check(String what) {
        if (LIVE.get() >= limit) {
            throw new MappingLimitException(what, limit, MAX_MAP_COUNT);
        }
    }

    /** Counts a mapping made. */
    public static void mapped() {
        LIVE.incrementAndGet();
    }

    /** Counts a mapping released. */
    public static void unmapped() {
        LIVE.decrementAndGet();
    }
}
