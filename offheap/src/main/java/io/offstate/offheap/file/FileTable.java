package io.offstate.offheap.file;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.memory.MetaIn;
import io.offstate.offheap.memory.MetaOut;

/**
 * Which files a store uses: the next segment file id, the committed length of {@code pages.dat},
 * and the live segment files with their sizes; plus the freed segments whose files a commit will
 * delete. Each commit writes the table into its journal's metadata section after the store's
 * metadata ({@link #write}), and recovery reads it back ({@link #read}): a file the table does not
 * list is an orphan.
 *
 * <p>Single writer, like the store: shared by the {@link RegionMapper} (which creates and frees
 * segments), the {@link CommitProtocol} and {@link Recovery} of one {@link StoreFiles}.
 */
final class FileTable {
    private int nextFileId = 1;
    private long pagesLength;
    /** Live segment files: id → bytes, in id order (the order they are written in). */
    private final Map<Integer, Long> segments = new TreeMap<>();
    private final List<Integer> pendingDeletes = new ArrayList<>();
    /** A segment file was created since the last commit: the directory needs a force before a journal names it. */
    private boolean directoryChanged;

    /** Encodes the table after the store's metadata ({@code FORMAT.md}, metadata section). */
    void write(MetaOut out) {
        out.putInt(nextFileId).putLong(pagesLength).putInt(segments.size());
        for (Map.Entry<Integer, Long> e : segments.entrySet()) {
            out.putInt(e.getKey()).putLong(e.getValue());
        }
    }

    /**
     * Replaces the table by the one in {@code in}, as {@link #write} wrote it.
     *
     * @throws CorruptStateException if the values are out of range
     */
    void read(MetaIn in) {
        nextFileId = in.getInt("next file id", 1, Integer.MAX_VALUE);
        pagesLength = in.getLong("pages file length", 0, Long.MAX_VALUE);
        int n = in.getInt("segment files", 0, Integer.MAX_VALUE);
        segments.clear();
        for (int i = 0; i < n; i++) {
            int id = in.getInt("segment file id", 1, nextFileId - 1);
            segments.put(id, in.getLong("segment file size", 1, Long.MAX_VALUE));
        }
    }

    /** The id the next new segment file gets. */
    int nextFileId() {
        return nextFileId;
    }

    /** Uses up {@link #nextFileId()}: its segment file was just created, so the directory changed. */
    void fileCreated() {
        nextFileId++;
        directoryChanged = true;
    }

    /** Lists segment file {@code id} of {@code bytes} as live (once it is mapped). */
    void addSegment(int id, long bytes) {
        segments.put(id, bytes);
    }

    /** Bytes of {@code pages.dat} the store uses. */
    long pagesLength() {
        return pagesLength;
    }

    /** Grows the used length of {@code pages.dat} to at least {@code end}. */
    void usePagesUpTo(long end) {
        pagesLength = Math.max(pagesLength, end);
    }

    /** Live segment files: id → bytes, in id order. */
    Map<Integer, Long> segments() {
        return segments;
    }

    /** Size of live segment {@code id}, or null if there is none. */
    Long segment(int id) {
        return segments.get(id);
    }

    /** Drops segment {@code id}; its files are deleted after the next commit. */
    void freed(int id) {
        segments.remove(id);
        pendingDeletes.add(id);
    }

    /** Segments freed since the last commit, whose files are still there. */
    List<Integer> pendingDeletes() {
        return pendingDeletes;
    }

    boolean directoryChanged() {
        return directoryChanged;
    }

    /** The directory was forced: its entries are on disk. */
    void directorySynced() {
        directoryChanged = false;
    }
}
