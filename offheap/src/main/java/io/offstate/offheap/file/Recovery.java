package io.offstate.offheap.file;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.OptionalInt;

import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.memory.MetaIn;
import io.offstate.offheap.memory.RegionBacking;

/**
 * Brings a locked store directory to its last committed state on open: picks the newest valid
 * journal, checks it against the other one and against the files (a journal older than what they
 * prove was committed is refused as stale, never opened as a silent rollback), reads its metadata
 * (the store's, and the {@link FileTable}), writes its records into the data files again if it
 * is not marked applied (a crash came between the commit point and the end of the apply; writing
 * them again is idempotent), and deletes segment files no commit refers to. A directory with no journal and no
 * data files, or with {@code offstate.creating}, is an interrupted creation: it is wiped and
 * started afresh.
 *
 * <p>Single use, on the opening thread, before the directory's {@link StoreFiles} is handed out.
 * Throws {@link CorruptStoreFileException} if a file is damaged or foreign (nothing is changed
 * then, except the replay of a journal that checks out), and {@link IOException} as the file
 * system does.
 */
final class Recovery {
    /** The committed state found: generation 0 and no metadata for a store not committed yet. */
    record State(long generation, byte[] storeMeta) {
    }

    private final FileNames names;
    private final FileChannel pages;
    private final FileTable files;
    private final DataChannels channels;

    /** Recovers into {@code files}, using {@code pages} ({@code pages.dat}) and {@code channels} for a replay. */
    Recovery(FileNames names, FileChannel pages, FileTable files, DataChannels channels) {
        this.names = names;
        this.pages = pages;
        this.files = files;
        this.channels = channels;
    }

    State run() throws IOException {
        Journal a = JournalReader.read(names.journal(0));
        Journal b = JournalReader.read(names.journal(1));
        boolean creating = Files.exists(names.creating());
        Journal newest = null;
        Journal other = null;
        if (a != null && a.valid() && (b == null || !b.valid() || a.generation() > b.generation())) {
            newest = a;
            other = b;
        } else if (b != null && b.valid()) {
            newest = b;
            other = a;
        }
        if (newest == null) {
            if (creating || (a == null && b == null && !hasDataFiles())) {
                wipe(); // a creation that never committed: nothing of value is lost
                Files.writeString(names.creating(), "creating\n");
                ChannelIo.forceDirectory(names.directory());
                return new State(0, null);
            }
            Journal bad = a != null ? a : b;
            if (bad == null) {
                throw new CorruptStoreFileException(names.journal(0),
                    "missing, but the directory holds store data files: not a complete offstate store");
            }
            throw new CorruptStoreFileException(bad.file(), bad.problem());
        }
        if (other == null && newest.superseded()) {
            throw new CorruptStoreFileException(names.journal(newest.generation() + 1), "missing, but "
                + newest.file().getFileName() + " records that a later commit superseded it");
        }
        if (other != null) {
            if (!other.valid() && newest.superseded()) {
                // the newest valid journal was superseded, so the other one was committed after it: it is damaged
                throw new CorruptStoreFileException(other.file(), other.problem() + " (it holds the last commit)");
            }
            if (other.valid() && other.generation() == newest.generation()) {
                throw new CorruptStoreFileException(other.file(), "same generation " + other.generation() + " as " + newest.file());
            }
            if (other.valid()) {
                checkNotStale(newest, other);
            }
        }
        if (!newest.file().equals(names.journal(newest.generation()))) {
            throw new CorruptStoreFileException(newest.file(), "holds generation " + newest.generation()
                + ", which belongs in " + names.journal(newest.generation()).getFileName());
        }
        MetaIn in = new MetaIn(newest.meta());
        byte[] storeMeta;
        try {
            storeMeta = in.getBytes("store metadata", JournalDescriptor.MAX_META);
            files.read(in);
            in.expectEnd();
        } catch (CorruptStateException e) {
            throw new CorruptStoreFileException(newest.file(), e.getMessage(), e);
        }
        checkNoLaterCommit(newest);
        if (!newest.applied()) {
            replay(newest);
        }
        deleteOrphans();
        Files.deleteIfExists(names.creating());
        ChannelIo.checkLength(pages, names.pages(), files.pagesLength());
        return new State(newest.generation(), storeMeta);
    }

    /**
     * Refuses a valid {@code other} journal that cannot sit beside {@code newest} in one directory.
     * A commit of generation <i>g</i> overwrites the journal of <i>g</i> - 2, and it marks the journal
     * of <i>g</i> - 1 superseded only once it is committed; so the two valid journals of a directory
     * hold consecutive generations, and a superseded newest journal is followed by a newer one.
     * Anything else is a journal copied in from an earlier state of the directory (a stale or mixed
     * copy), and opening at the newest one that is left would silently roll back later commits.
     */
    private static void checkNotStale(Journal newest, Journal other) {
        if (newest.superseded()) {
            throw new CorruptStoreFileException(other.file(), "stale journal: it holds generation " + other.generation()
                + ", but " + newest.file().getFileName() + " (generation " + newest.generation() + ") is marked superseded, "
                + "so generation " + (newest.generation() + 1) + " was committed after it and belongs in "
                + other.file().getFileName() + "; the directory mixes files of different times (restore it as a whole)");
        }
        if (other.generation() != newest.generation() - 1) {
            throw new CorruptStoreFileException(other.file(), "stale journal: it holds generation " + other.generation()
                + ", but " + newest.file().getFileName() + " holds generation " + newest.generation() + " and the other "
                + "journal must hold generation " + (newest.generation() - 1) + "; the directory mixes files of "
                + "different times (restore it as a whole)");
        }
    }

    /**
     * Refuses {@code newest} if the files prove a later commit: a segment file created after it
     * (its id is not below the journal's next file id) that has a checksum file was written in
     * place by a later commit (checksum files are written only when a committed journal is
     * applied), so {@code newest} is a stale copy. Checked before anything is changed.
     */
    private void checkNoLaterCommit(Journal newest) throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(names.directory(), FileNames.SEGMENT_GLOB)) {
            for (Path p : ds) {
                OptionalInt id = FileNames.segmentId(p.getFileName().toString());
                if (id.isPresent() && id.getAsInt() >= files.nextFileId()
                    && p.equals(names.file(id.getAsInt(), FileNames.KIND_SUMS))) {
                    throw new CorruptStoreFileException(newest.file(), "stale journal: it holds generation "
                        + newest.generation() + ", whose next segment file id is " + files.nextFileId() + ", but "
                        + p.getFileName() + " exists, written by a later commit; the directory mixes files of "
                        + "different times (restore it as a whole)");
                }
            }
        }
    }

    private boolean hasDataFiles() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(names.directory())) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if ((FileNames.isSegment(n) || FileNames.isJournal(n)) || (FileNames.isPages(n) && Files.size(p) > 0)) {
                    return true;
                }
            }
        }
        return false;
    }

    private void wipe() throws IOException {
        String pageSums = FileNames.fileName(RegionBacking.PAGES_FILE, FileNames.KIND_SUMS);
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(names.directory())) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (FileNames.isSegment(n) || FileNames.isJournal(n) || n.equals(pageSums)) {
                    Files.delete(p);
                }
            }
        }
        pages.truncate(0);
    }

    private void deleteOrphans() throws IOException {
        boolean deleted = false;
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(names.directory(), FileNames.SEGMENT_GLOB)) {
            for (Path p : ds) {
                OptionalInt id = FileNames.segmentId(p.getFileName().toString());
                if (id.isPresent() && files.segment(id.getAsInt()) == null) {
                    Files.delete(p);
                    deleted = true;
                }
            }
        }
        if (deleted) {
            ChannelIo.forceDirectory(names.directory());
        }
    }

    /** Writes a committed journal's records to the data files (idempotent), then marks it applied. */
    private void replay(Journal j) throws IOException {
        try (FileChannel ch = FileChannel.open(j.file(), StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            JournalReader.readRecords(ch, j, id -> id == RegionBacking.PAGES_FILE || files.segment(id) != null,
                (journal, fileId, kind, offset, length, position) -> {
                    FileChannel target = channels.get(fileId, kind);
                    long copied = 0;
                    while (copied < length) {
                        copied += journal.transferTo(position + copied, length - copied,
                            ChannelIo.positioned(target, offset + copied));
                    }
                });
            for (Map.Entry<Integer, Long> e : files.segments().entrySet()) {
                ChannelIo.ensureLength(channels.get(e.getKey(), FileNames.KIND_DATA), e.getValue());
            }
            ChannelIo.ensureLength(pages, files.pagesLength());
            channels.forceAll();
            pages.force(true);
            ChannelIo.forceDirectory(names.directory());
            JournalWriter.setFlags(ch, j.flags() | JournalDescriptor.FLAG_APPLIED);
            ch.force(false);
            ch.truncate(JournalDescriptor.appliedLength(j.metaLength())); // as after a commit: an applied journal keeps no records
        } finally {
            channels.closeAll();
        }
    }
}
