package io.offstate.offheap.file;

import java.nio.file.Path;
import java.util.OptionalInt;

import io.offstate.offheap.memory.RegionBacking;

/**
 * The names of the files in one store directory, each defined here once (see {@code FORMAT.md}):
 * <ul>
 *   <li>{@value #LOCK}, locked while a store has the directory open ({@link DirectoryLock});</li>
 *   <li>{@value #CREATING}, present while a new store has not committed yet;</li>
 *   <li>{@code journal-0}, {@code journal-1}: generation <i>g</i> lives in {@code journal-(g mod 2)};</li>
 *   <li>{@code pages.dat} / {@code pages.sum}: the normal pages ({@link RegionBacking#PAGES_FILE}) and
 *       their chunk checksums;</li>
 *   <li>{@code seg-<hex id>.dat} / {@code .sum}: a segment file (a hash table or a large block) and
 *       its chunk checksums.</li>
 * </ul>
 * Every file of an id comes in two {@linkplain #KIND_DATA kinds}, data and checksums; a journal
 * record names its target by id and kind ({@link JournalDescriptor}).
 *
 * <p>Immutable and thread-safe.
 */
final class FileNames {
    /** Kind of the data file of an id (also the value of a journal record's kind field). */
    static final int KIND_DATA = 0;
    /** Kind of the checksum file of an id (also the value of a journal record's kind field). */
    static final int KIND_SUMS = 1;
    private static final String LOCK = "offstate.lock";
    private static final String CREATING = "offstate.creating";
    private static final String JOURNAL_PREFIX = "journal-";
    private static final String PAGES = "pages";
    private static final String SEGMENT_PREFIX = "seg-";
    private static final String DATA_SUFFIX = ".dat";
    private static final String SUMS_SUFFIX = ".sum";
    /** Directory-stream glob of the segment files. */
    static final String SEGMENT_GLOB = SEGMENT_PREFIX + "*";

    private final Path directory;

    /** @param directory the store directory, as an absolute path */
    FileNames(Path directory) {
        this.directory = directory;
    }

    /** The store directory, as an absolute path. */
    Path directory() {
        return directory;
    }

    /** The journal that holds {@code generation} (and every generation of the same parity). */
    Path journal(long generation) {
        return directory.resolve(journalName(generation));
    }

    /** The data ({@link #KIND_DATA}) or checksum ({@link #KIND_SUMS}) file of file id {@code id}. */
    Path file(int id, int kind) {
        return directory.resolve(fileName(id, kind));
    }

    /** {@code pages.dat}. */
    Path pages() {
        return file(RegionBacking.PAGES_FILE, KIND_DATA);
    }

    Path creating() {
        return directory.resolve(CREATING);
    }

    Path lock() {
        return directory.resolve(LOCK);
    }

    /** Name of the journal of {@code generation}: {@code journal-(generation mod 2)}. */
    static String journalName(long generation) {
        return JOURNAL_PREFIX + (generation & 1);
    }

    /** Name of the data or checksum file of file id {@code id}: {@code pages.dat}, {@code seg-1f.sum}, ... */
    static String fileName(int id, int kind) {
        String base = id == RegionBacking.PAGES_FILE ? PAGES : SEGMENT_PREFIX + Integer.toHexString(id);
        return base + (kind == KIND_DATA ? DATA_SUFFIX : SUMS_SUFFIX);
    }

    /** Whether {@code name} is named like a journal. */
    static boolean isJournal(String name) {
        return name.startsWith(JOURNAL_PREFIX);
    }

    /** Whether {@code name} is named like a segment file ({@code seg-...}), ours or not. */
    static boolean isSegment(String name) {
        return name.startsWith(SEGMENT_PREFIX);
    }

    /** Whether {@code name} is named like a file of the pages ({@code pages.*}). */
    static boolean isPages(String name) {
        return name.startsWith(PAGES + ".");
    }

    /**
     * The file id in a segment file's name ({@code seg-<hex>} up to the last dot), or empty if the
     * name is not one we would write (then the file is left alone).
     */
    static OptionalInt segmentId(String name) {
        if (!isSegment(name)) {
            return OptionalInt.empty();
        }
        int dot = name.lastIndexOf('.');
        try {
            return OptionalInt.of(Integer.parseUnsignedInt(
                name.substring(SEGMENT_PREFIX.length(), dot < 0 ? name.length() : dot), 16));
        } catch (NumberFormatException e) {
            return OptionalInt.empty(); // not ours by name: leave it alone
        }
    }
}
