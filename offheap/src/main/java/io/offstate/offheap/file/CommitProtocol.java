package io.offstate.offheap.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.Map;

import io.offstate.offheap.memory.MetaOut;
import io.offstate.offheap.memory.RegionBacking;

/**
 * Makes the current contents of a directory's regions its new committed state, atomically,
 * through the A/B journals (see {@link #commit}); keeps the generation and store metadata of the
 * last commit, and whether a commit failed (then no other may run: the directory must be
 * reopened, which recovers the last commit).
 *
 * <p>Single writer: owned by one {@link StoreFiles}, used from the store's thread. Reports each
 * {@link CommitStep} to its {@link CommitObserver}. Holds the {@link Scrubber}'s lock while it
 * writes chunks and checksums in place, so a concurrent scrub never sees one without the other.
 */
final class CommitProtocol {
    private final FileNames names;
    private final FileChannel pages;
    private final FileTable files;
    private final RegionMapper regions;
    private final DataChannels channels;
    private final CommitObserver observer;
    private final Scrubber scrubber;
    private final JournalWriter writer = new JournalWriter();
    private long generation;
    private byte[] storeMeta;
    private boolean failed;

    CommitProtocol(FileNames names, FileChannel pages, FileTable files, RegionMapper regions, DataChannels channels,
                   CommitObserver observer, Scrubber scrubber) {
        this.names = names;
        this.pages = pages;
        this.files = files;
        this.regions = regions;
        this.channels = channels;
        this.observer = observer;
        this.scrubber = scrubber;
    }

    /** Continues from the state recovery found. */
    void resume(Recovery.State state) {
        generation = state.generation();
        storeMeta = state.storeMeta();
    }

    /** Generation of the last commit: 0 for a store not committed yet. */
    long generation() {
        return generation;
    }

    /** The store's metadata of the last commit, or null if there is none yet. */
    byte[] storeMeta() {
        return storeMeta;
    }

    /** Whether a commit failed: the directory must be closed and reopened. */
    boolean failed() {
        return failed;
    }

    /**
     * Makes the current contents of every region, with {@code meta} as the store's metadata, the
     * directory's new committed state, atomically:
     * <ol>
     *   <li>the dirty chunks, their checksums and the metadata are written to the journal of the
     *       next generation (the older of the two) and forced: the commit point;</li>
     *   <li>the other journal is marked superseded and forced;</li>
     *   <li>the chunks and checksums are written in place into the data files and forced, then
     *       the journal is marked applied;</li>
     *   <li>files of freed segments are deleted, and dirty regions are mapped again so their pages
     *       become clean, evictable file pages.</li>
     * </ol>
     * A crash before the commit point leaves the previous commit; after it, recovery replays the
     * journal. Segments passed out before are remapped: callers re-read their segments.
     *
     * @return bytes of dirty chunks written
     * @throws UncheckedIOException if the file system fails; the store must then be reopened
     */
    long commit(byte[] meta) {
        long gen = generation + 1;
        List<DirtyRun> runs = DirtyRun.collect(regions.live());
        long bytes = 0;
        for (DirtyRun r : runs) {
            bytes += r.length();
        }
        try {
            failed = true; // until every step below completed
            if (files.directoryChanged()) {
                ChannelIo.forceDirectory(names.directory()); // new segment files exist before a journal names them
            }
            MetaOut out = new MetaOut();
            out.putBytes(meta);
            files.write(out);
            Path journalFile = names.journal(gen);
            boolean newJournal = !Files.exists(journalFile);
            try (FileChannel j = FileChannel.open(journalFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
                writer.write(j, gen, out.toByteArray(), runs, observer);
                observer.reached(CommitStep.JOURNAL_WRITTEN);
                j.force(false); // the commit point: the header is on disk, and the body was forced before it
                if (newJournal) {
                    ChannelIo.forceDirectory(names.directory()); // the journal's name too, before the previous journal is marked superseded
                }
                observer.reached(CommitStep.COMMITTED);
                Path previous = names.journal(gen - 1);
                if (gen > 1 && Files.exists(previous)) {
                    try (FileChannel p = FileChannel.open(previous, StandardOpenOption.WRITE)) {
                        JournalWriter.setFlags(p, JournalDescriptor.FLAG_APPLIED | JournalDescriptor.FLAG_SUPERSEDED);
                        p.force(true);
                    }
                }
                observer.reached(CommitStep.SUPERSEDED);
                Scrubber.Committed next = Scrubber.Committed.of(files); // the file set this commit's journal lists
                scrubber.beginApply(); // a concurrent scrub must not read chunks rewritten before their checksums
                try {
                    apply(runs);
                    scrubber.applied(next);
                } finally {
                    scrubber.endApply();
                }
                observer.reached(CommitStep.APPLIED);
                JournalWriter.setFlags(j, JournalDescriptor.FLAG_APPLIED);
                // the flag must be on disk before the cut: a cut journal not marked applied reads as truncated
                j.force(false);
                observer.reached(CommitStep.MARKED_APPLIED);
                j.truncate(JournalDescriptor.appliedLength(out.length())); // the records are in the data files now: free the disk space
            }
            generation = gen;
            storeMeta = meta;
            List<Integer> deletes = files.pendingDeletes();
            for (int id : deletes) {
                Files.deleteIfExists(names.file(id, FileNames.KIND_DATA));
                Files.deleteIfExists(names.file(id, FileNames.KIND_SUMS));
            }
            if (gen == 1) {
                Files.deleteIfExists(names.creating()); // the store exists from its first commit on
            }
            if (!deletes.isEmpty() || gen == 1) {
                deletes.clear();
                ChannelIo.forceDirectory(names.directory());
            }
            files.directorySynced();
            regions.remap(runs);
            failed = false;
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("flush of store directory " + names.directory() + " failed; close and reopen the store "
                + "to recover its last flush: " + e.getMessage(), e);
        }
    }

    /** Writes every run in place into its data and checksum files, and forces them. */
    private void apply(List<DirtyRun> runs) throws IOException {
        try {
            for (DirtyRun r : runs) {
                int id = r.region().fileId();
                FileChannel data = id == RegionBacking.PAGES_FILE ? pages : channels.get(id, FileNames.KIND_DATA);
                FileChannel sums = channels.get(id, FileNames.KIND_SUMS);
                ChannelIo.writeFully(data, r.data(), r.fileOffset());
                ChannelIo.writeFully(sums, r.sumsBuffer(), r.sumsOffset());
                observer.reached(CommitStep.APPLYING);
            }
            for (Map.Entry<Integer, Long> e : files.segments().entrySet()) {
                FileChannel c = channels.opened(e.getKey(), FileNames.KIND_DATA);
                if (c != null) {
                    ChannelIo.ensureLength(c, e.getValue());
                }
            }
            ChannelIo.ensureLength(pages, files.pagesLength());
            pages.force(true);
            channels.forceAll();
            if (channels.createdFiles()) {
                ChannelIo.forceDirectory(names.directory()); // a new .sum file's name, before the journal that would rewrite it is cut
                channels.directoryForced();
            }
        } finally {
            channels.closeAll();
        }
    }
}
