package io.offstate.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongConsumer;

import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.file.StoreFiles;

/**
 * Reads a file-backed store's directory without knowing the options it was created with: what
 * it holds ({@link #inspect}) and whether every stored byte still matches its checksum
 * ({@link #verify}). For tools (the {@code offstate store} command) and operators, not for the
 * data path.
 *
 * <p>Both lock the directory for the duration (so they fail with
 * {@link io.offstate.offheap.StoreLockedException} while a store has it open) and write nothing of
 * their own: no flush, no new generation. Opening does what every open does, though: a crash
 * between a flush's commit point and the end of its apply is finished from the journal (the
 * state does not change by it). A directory that is not a store is refused before anything is
 * touched.
 *
 * <p>Thread-safety: stateless; each call opens and closes the directory itself. Memory: the
 * directory's regions are mapped for the call and unmapped before it returns.
 */
public final class StoreDirectory {
    /** Data chunks checked per scrub step of {@link #verify}: the granularity of its progress. */
    private static final long VERIFY_STEP = 8L << 20;
    /** Bytes of one checksummed chunk. */
    private static final long CHUNK = 4096;
    /** Damaged chunks {@link #verify} lists at most; the count goes on. */
    private static final int MAX_DAMAGE_LISTED = 100;

    private StoreDirectory() {
    }

    /**
     * What a store directory holds, as of its last completed flush.
     *
     * @param directory        the directory (absolute)
     * @param options          the stored structural options (page size, sorted index, dictionary, hash seed);
     *                         name is the directory's name, budget unbounded
     * @param generation       generation of the last completed flush
     * @param entries          number of entries
     * @param memoryUsed       off-heap bytes the state occupies (pages, large values, index tables, dictionary)
     * @param pages            normal pages
     * @param pageSize         bytes per page
     * @param largeValueBytes  bytes of values in segments of their own
     * @param hashCapacity     slots of the hash index's table
     * @param sortedIndexNodes nodes of the sorted index (0 without one)
     * @param dictionarySize   distinct dictionary components (0 without a dictionary)
     * @param flushMetadata    the caller's metadata of the last flush that carried some (empty if none)
     * @param files            regular files in the directory
     * @param fileBytes        their total length in bytes
     */
    public record Info(Path directory, StoreOptions options, long generation, long entries, long memoryUsed, long pages,
                       int pageSize, long largeValueBytes, long hashCapacity, long sortedIndexNodes, int dictionarySize,
                       byte[] flushMetadata, int files, long fileBytes) {
        public Info {
            flushMetadata = flushMetadata.clone();
        }

        @Override
        public byte[] flushMetadata() {
            return flushMetadata.clone();
        }
    }

    /**
     * The result of {@link #verify}: the directory's {@link Info}, bytes of stored chunks checked,
     * the number of bad chunks, and the damage found: each bad chunk (file and
     * offset), and a structural problem if the state read back is inconsistent. Empty: intact.
     */
    public record Verification(Info info, long bytesChecked, long damagedChunks, List<RuntimeException> damage) {
        public Verification {
            damage = List.copyOf(damage);
        }

        /** Whether no damage was found. */
        public boolean intact() {
            return damage.isEmpty();
        }
    }

    /**
     * The settings recorded in a store's engine metadata: what a flush commits, and what a
     * checkpoint carries per store (its manifest's store metadata).
     *
     * @param options       the structural options, on the given name, with an unbounded budget
     * @param flushMetadata the caller's flush metadata (empty if none)
     */
    public record Settings(StoreOptions options, byte[] flushMetadata) {
        public Settings {
            flushMetadata = flushMetadata.clone();
        }

        @Override
        public byte[] flushMetadata() {
            return flushMetadata.clone();
        }
    }

    /**
     * Decodes the settings at the head of {@code engineMetadata} (the rest, the components' state,
     * is not read), for a store called {@code name}: e.g. to restore a checkpoint whose options are
     * not known otherwise.
     *
     * @throws CorruptStateException if the metadata is malformed
     */
    public static Settings settings(byte[] engineMetadata, String name) {
        Objects.requireNonNull(engineMetadata, "engineMetadata");
        StoreState.Header h = StoreState.readStoredHeader(engineMetadata, StoreOptions.builder().name(name).build());
        return new Settings(h.options(), h.flushMetadata());
    }

    /**
     * Whether {@code directory} looks like a store directory: it exists and holds a journal. Does
     * not open or lock it.
     */
    public static boolean isStore(Path directory) {
        return Files.isRegularFile(directory.resolve("journal-0")) || Files.isRegularFile(directory.resolve("journal-1"));
    }

    /**
     * Reads the stored options, generation, figures and flush metadata of the store in
     * {@code directory}. Touches only the metadata (and, with a sorted index, walks its inner
     * nodes).
     *
     * @throws UncheckedIOException wrapping {@link NoSuchFileException} if there is no such directory,
     *         {@link NotDirectoryException} if it is a file, or the file system's failure
     * @throws IllegalArgumentException if the directory is not a store ({@link #isStore})
     * @throws io.offstate.offheap.StoreLockedException if a store has it open
     * @throws CorruptStoreFileException if its metadata is damaged
     * @throws io.offstate.offheap.UnsupportedFormatVersionException if a newer format wrote it
     */
    public static Info inspect(Path directory) {
        try (Opened o = open(directory)) {
            return o.info();
        }
    }

    /**
     * Reads every stored chunk of the store in {@code directory} and checks it against its
     * CRC32C (all of them, listing the damaged ones rather than stopping at the first), then reads
     * the state back and checks its invariants ({@link KeyValueStore#verify()}). Changes nothing.
     *
     * @param progress told the bytes checked so far, after each step of up to 8 MiB, on this thread
     *                 (null: not told); {@link Info#fileBytes()} bounds the total
     * @return what was found; damage in the metadata itself is thrown instead
     * @throws CorruptStoreFileException if the metadata (journal) is damaged, so that nothing else can be read
     * @throws UncheckedIOException, IllegalArgumentException, io.offstate.offheap.StoreLockedException as {@link #inspect}
     */
    public static Verification verify(Path directory, LongConsumer progress) {
        try (Opened o = open(directory)) {
            Info info = o.info();
            Pass pass = Pass.run(o.files, VERIFY_STEP, info.fileBytes(), progress);
            if (pass.damaged > 0) {
                // A bad chunk fails its whole batch of up to 1 MiB; a second pass chunk by chunk
                // (only when damage was found) names every bad chunk and checks the rest of those batches.
                pass = Pass.run(o.files, CHUNK, info.fileBytes(), progress);
            }
            List<RuntimeException> damage = new ArrayList<>(pass.damage);
            long damaged = pass.damaged;
            long checked = pass.checked;
            if (damage.isEmpty()) { // structural check only on intact chunks: damaged ones would throw at first touch anyway
                try {
                    o.state.verify(o.name);
                } catch (RuntimeException e) {
                    damage.add(e);
                }
            }
            return new Verification(info, checked, damaged, damage);
        }
    }

    /** One complete scrub pass over the committed chunks, collecting the damage. */
    private static final class Pass {
        final List<RuntimeException> damage = new ArrayList<>();
        long damaged;
        long checked;

        static Pass run(StoreFiles files, long step, long fileBytes, LongConsumer progress) {
            Pass p = new Pass();
            long start = files.scrubPasses();
            // Each step moves on, past a bad batch too, so the loop ends after one pass; the bound
            // only guards against a scrub that stopped making progress.
            long maxSteps = fileBytes / CHUNK + 16;
            for (long i = 0; files.scrubPasses() == start && i < maxSteps; i++) {
                try {
                    p.checked += files.scrub(step);
                } catch (CorruptStoreFileException e) {
                    p.checked += Math.min(step, CHUNK); // exact when stepping chunk by chunk, the pass that reports
                    p.damaged++;
                    if (p.damage.size() < MAX_DAMAGE_LISTED) {
                        p.damage.add(e);
                    }
                }
                if (progress != null) {
                    progress.accept(p.checked);
                }
            }
            return p;
        }
    }

    /** A directory opened read-only in effect: files locked and recovered, state mapped. */
    private static final class Opened implements AutoCloseable {
        final Path directory;
        final String name;
        final StoreFiles files;
        final StoreState state;
        final StoreState.Header header;

        Opened(Path directory, String name, StoreFiles files, StoreState state, StoreState.Header header) {
            this.directory = directory;
            this.name = name;
            this.files = files;
            this.state = state;
            this.header = header;
        }

        Info info() {
            long sortedNodes = state.sorted == null ? 0 : state.sorted.nodes();
            int count = 0;
            long bytes = 0;
            try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory)) {
                for (Path p : ds) {
                    if (Files.isRegularFile(p)) {
                        count++;
                        bytes += Files.size(p);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException("cannot list store directory " + directory + ": " + e.getMessage(), e);
            }
            return new Info(directory, header.options(), files.generation(), state.map.size(), state.budget.used(),
                state.memory.normalPages(), state.memory.pageSize(), state.memory.largeBytes(), state.map.index().capacity(),
                sortedNodes, state.dictionary == null ? 0 : state.dictionary.size(), header.flushMetadata(), count, bytes);
        }

        @Override
        public void close() {
            try {
                if (state != null) {
                    state.close();
                }
            } finally {
                files.close(); // writes nothing: no commit
            }
        }
    }

    private static Opened open(Path directory) {
        Objects.requireNonNull(directory, "directory");
        Path dir = directory.toAbsolutePath().normalize();
        if (!Files.exists(dir)) {
            throw new UncheckedIOException(new NoSuchFileException(dir.toString(), null, "no such directory"));
        }
        if (!Files.isDirectory(dir)) {
            throw new UncheckedIOException(new NotDirectoryException(dir.toString()));
        }
        if (!isStore(dir)) {
            // checked before StoreFiles.open, which would start a new store in such a directory
            throw new IllegalArgumentException(dir + " is not an offstate store directory (it holds no journal-0 or journal-1)");
        }
        String name = dir.getFileName() == null ? "store" : dir.getFileName().toString();
        StoreFiles files = StoreFiles.open(dir);
        StoreState state = null;
        try {
            byte[] meta = files.storeMeta();
            if (meta == null) {
                throw new IllegalArgumentException(dir + " holds a store whose creation never completed: it has no committed state");
            }
            StoreState.Header header;
            try {
                header = StoreState.readStoredHeader(meta, StoreOptions.builder().name(name).build());
                state = StoreState.reopen(header, files);
            } catch (CorruptStateException e) {
                throw new CorruptStoreFileException(files.metaFile(), "store metadata: " + e.getMessage(), e);
            }
            return new Opened(dir, name, files, state, header);
        } catch (RuntimeException | Error e) {
            if (state != null) {
                state.close();
            }
            files.close();
            throw e;
        }
    }
}
