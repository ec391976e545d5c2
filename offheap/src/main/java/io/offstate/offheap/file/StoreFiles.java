package io.offstate.offheap.file;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.CRC32C;

import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.OffstateException;
import io.offstate.offheap.StoreLockedException;
import io.offstate.offheap.UnsupportedFormatVersionException;
import io.offstate.offheap.memory.MappedRegion;
import io.offstate.offheap.memory.Mapping;
import io.offstate.offheap.memory.MappingCount;
import io.offstate.offheap.memory.MetaIn;
import io.offstate.offheap.memory.MetaOut;
import io.offstate.offheap.memory.RegionBacking;

/**
 * The files of one file-backed store directory: the lock, the mapped regions (pages, hash tables,
 * large blocks), the A/B journal that makes {@link #commit} atomic, recovery on open, and the
 * checksum verification. See the package documentation and {@code FORMAT.md} for the protocol
 * and the bytes.
 *
 * <p>Single writer: owned by one store, used from one thread at a time. Holds an exclusive file
 * lock on the directory from {@link #open} to {@link #close()}. I/O failures surface as
 * {@link UncheckedIOException}; after a failed commit the store must be closed and reopened
 * ({@link #commit} refuses to run again), and reopening recovers the last committed state.
 */
public final class StoreFiles implements RegionBacking, AutoCloseable {
    /** The newest format version this build writes and reads. */
    public static final int FORMAT_VERSION = 1;
    /** "OFFSTJNL" read as a little-endian long: the first 8 bytes of a journal. */
    public static final long JOURNAL_MAGIC = 0x4C4E4A545346464FL;
    /** Bytes of a journal header. */
    public static final int HEADER_SIZE = 64;
    /** Header flag: the journal's records were written to the data files and forced. */
    public static final int FLAG_APPLIED = 1;
    /** Header flag: a newer journal was committed after this one. */
    public static final int FLAG_SUPERSEDED = 2;
    static final int KIND_DATA = 0;
    static final int KIND_SUMS = 1;
    static final String LOCK_FILE = "offstate.lock";
    static final String CREATING_FILE = "offstate.creating";
    static final String PAGES = "pages";
    private static final int STAGING = 1 << 20;
    /** Normal pages are mapped in extents of up to this many bytes ... */
    static final long EXTENT_BYTES = 64L << 20;
    /** ... and up to this many pages, so a flush that remaps an extent re-slices few pages. */
    static final int MAX_EXTENT_PAGES = 256;
    private static final int MAX_META = Integer.MAX_VALUE - 64;

    /** Test hook: called at each step of a commit; a test throws from it to simulate a crash there. */
    interface Step {
        void reached(String step) throws IOException;
    }

    static volatile Step testHook;

    /** Real paths of the directories stores of this process have open (see {@link #open}). */
    private static final Set<Path> OPEN_DIRECTORIES = ConcurrentHashMap.newKeySet();

    private final Path directory;
    private final Path realDirectory;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final FileChannel pages;
    private final Set<MappedRegion> live = Collections.newSetFromMap(new IdentityHashMap<>());
    /** Mapped extents of the pages file, by extent number. */
    private final Map<Long, Extent> extents = new HashMap<>();
    /** Page size of the pages file, once a page was mapped (0 before). */
    private int pageSize;
    /** Pages per extent, for {@link #pageSize}. */
    private int extentPages;
    /** Live segment files: id → bytes. */
    private final Map<Integer, Long> segments = new TreeMap<>();
    private final List<Integer> pendingDeletes = new ArrayList<>();
    private final ByteBuffer staging = ByteBuffer.allocateDirect(STAGING).order(ByteOrder.LITTLE_ENDIAN);
    private int nextFileId = 1;
    private long pagesLength;
    private long generation;
    private byte[] storeMeta;
    private boolean directoryChanged;
    /** A data or checksum file was created while applying records: the directory needs a force. */
    private boolean createdFiles;
    private boolean failed;
    private boolean closed;

    private StoreFiles(Path directory, Path realDirectory, FileChannel lockChannel, FileLock lock) throws IOException {
        this.directory = directory;
        this.realDirectory = realDirectory;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.pages = FileChannel.open(directory.resolve(PAGES + ".dat"),
            StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
    }

    /**
     * Locks {@code directory} (creating it if needed) and recovers it: the newest committed journal
     * is found, written to the data files if a crash interrupted that, and files that no commit
     * refers to are deleted. Then {@link #storeMeta()} is the store's metadata, or null for a new
     * store (the caller builds one and {@link #commit commits} it).
     *
     * @throws StoreLockedException             if another store holds the directory
     * @throws CorruptStoreFileException        if a file is damaged or foreign (nothing is changed)
     * @throws UnsupportedFormatVersionException if a journal was written by a newer format
     * @throws UncheckedIOException             if the file system fails
     */
    public static StoreFiles open(Path directory) {
        Path dir = directory.toAbsolutePath();
        Path key = null;
        FileChannel lockChannel = null;
        try {
            Files.createDirectories(dir);
            key = dir.toRealPath();
            // Checked before the lock file is opened at all: OS file locks belong to the process, and
            // closing any channel on the lock file (as a refused open would) drops the lock another
            // store of this process holds on it.
            if (!OPEN_DIRECTORIES.add(key)) {
                key = null;
                throw new StoreLockedException(dir, "by a store in this process");
            }
            lockChannel = FileChannel.open(dir.resolve(LOCK_FILE), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
            FileLock lock;
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException e) {
                throw new StoreLockedException(dir, "by a store in this process");
            }
            if (lock == null) {
                throw new StoreLockedException(dir, "by another process");
            }
            StoreFiles files = new StoreFiles(dir, key, lockChannel, lock);
            key = null; // the StoreFiles owns the entry now: close() removes it
            try {
                files.recover();
                return files;
            } catch (IOException | RuntimeException | Error e) {
                files.close(); // releases the lock and this process's entry for the directory
                throw e;
            }
        } catch (IOException e) {
            closeQuietly(lockChannel);
            release(key);
            throw new UncheckedIOException("cannot open store directory " + dir + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            closeQuietly(lockChannel);
            release(key);
            throw e;
        }
    }

    private static void release(Path openDirectory) {
        if (openDirectory != null) {
            OPEN_DIRECTORIES.remove(openDirectory);
        }
    }

    /** The directory, as an absolute path. */
    public Path directory() {
        return directory;
    }

    /** Generation of the last commit: 0 for a store not committed yet. */
    public long generation() {
        return generation;
    }

    /** The store's metadata of the last commit, or null if there is none yet. */
    public byte[] storeMeta() {
        return storeMeta;
    }

    // ------------------------------------------------------------------ recovery

    private Path journal(long gen) {
        return directory.resolve("journal-" + (gen & 1));
    }

    private Path segmentFile(int id, int kind) {
        return directory.resolve(fileName(id, kind));
    }

    private static String fileName(int id, int kind) {
        String base = id == PAGES_FILE ? PAGES : "seg-" + Integer.toHexString(id);
        return base + (kind == KIND_DATA ? ".dat" : ".sum");
    }

    /** What a journal file holds: its header fields and, if valid, its metadata section. */
    private record Journal(Path file, boolean valid, String problem, long generation, int flags,
                           long metaLength, long recordsLength, int recordsCrc, byte[] meta) {
        static Journal invalid(Path file, String problem) {
            return new Journal(file, false, problem, -1, 0, 0, 0, 0, null);
        }
    }

    private Journal readJournal(Path file) throws IOException {
        if (!Files.exists(file)) {
            return null;
        }
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_SIZE) {
                return Journal.invalid(file, "truncated: " + size + " bytes, shorter than its " + HEADER_SIZE + "-byte header");
            }
            ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, h, 0);
            h.flip();
            long magic = h.getLong(0);
            if (magic != JOURNAL_MAGIC) {
                return Journal.invalid(file, "wrong magic 0x" + Long.toHexString(magic) + ": not an offstate journal");
            }
            int version = h.getInt(8);
            if (version > FORMAT_VERSION) {
                throw new UnsupportedFormatVersionException(file, version, FORMAT_VERSION);
            }
            if (version < 1) {
                return Journal.invalid(file, "format version " + version + " is not valid");
            }
            if (h.getInt(48) != headerCrc(h)) {
                return Journal.invalid(file, "header checksum mismatch");
            }
            long gen = h.getLong(16);
            long metaLength = h.getLong(24);
            long recordsLength = h.getLong(32);
            boolean applied = (h.getInt(12) & FLAG_APPLIED) != 0; // an applied journal's records were cut off
            if (gen < 1 || metaLength < 0 || metaLength > MAX_META || recordsLength < 0
                || HEADER_SIZE + metaLength + (applied ? 0 : recordsLength) > size) {
                return Journal.invalid(file, "truncated or inconsistent: header says " + metaLength + " meta bytes and "
                    + recordsLength + " record bytes, file has " + size);
            }
            ByteBuffer m = ByteBuffer.allocate((int) metaLength);
            readFully(ch, m, HEADER_SIZE);
            CRC32C crc = new CRC32C();
            crc.update(m.array(), 0, (int) metaLength);
            if ((int) crc.getValue() != h.getInt(40)) {
                return Journal.invalid(file, "metadata checksum mismatch");
            }
            return new Journal(file, true, null, gen, h.getInt(12), metaLength, recordsLength, h.getInt(44), m.array());
        }
    }

    private static int headerCrc(ByteBuffer h) {
        CRC32C crc = new CRC32C();
        crc.update(h.array(), 0, 12);           // magic, version: flags (12..16) change after commit
        crc.update(h.array(), 16, 48 - 16);
        return (int) crc.getValue();
    }

    private void recover() throws IOException {
        Journal a = readJournal(directory.resolve("journal-0"));
        Journal b = readJournal(directory.resolve("journal-1"));
        boolean creating = Files.exists(directory.resolve(CREATING_FILE));
        Journal newest = null;
        Journal other = null;
        if (a != null && a.valid && (b == null || !b.valid || a.generation > b.generation)) {
            newest = a;
            other = b;
        } else if (b != null && b.valid) {
            newest = b;
            other = a;
        }
        if (newest == null) {
            if (creating || (a == null && b == null && !hasDataFiles())) {
                wipe(); // a creation that never committed: nothing of value is lost
                Files.writeString(directory.resolve(CREATING_FILE), "creating\n");
                forceDirectory();
                return;
            }
            Journal bad = a != null ? a : b;
            if (bad == null) {
                throw new CorruptStoreFileException(directory.resolve("journal-0"),
                    "missing, but the directory holds store data files: not a complete offstate store");
            }
            throw new CorruptStoreFileException(bad.file, bad.problem);
        }
        if (other == null && (newest.flags & FLAG_SUPERSEDED) != 0) {
            throw new CorruptStoreFileException(journal(newest.generation + 1), "missing, but " + newest.file.getFileName()
                + " records that a later commit superseded it");
        }
        if (other != null) {
            if (!other.valid && (newest.flags & FLAG_SUPERSEDED) != 0) {
                // the newest valid journal was superseded, so the other one was committed after it: it is damaged
                throw new CorruptStoreFileException(other.file, other.problem + " (it holds the last commit)");
            }
            if (other.valid && other.generation == newest.generation) {
                throw new CorruptStoreFileException(other.file, "same generation " + other.generation + " as " + newest.file);
            }
        }
        if (!newest.file.equals(journal(newest.generation))) {
            throw new CorruptStoreFileException(newest.file, "holds generation " + newest.generation + ", which belongs in "
                + journal(newest.generation).getFileName());
        }
        generation = newest.generation;
        MetaIn in = new MetaIn(newest.meta);
        try {
            storeMeta = in.getBytes("store metadata", MAX_META);
            nextFileId = in.getInt("next file id", 1, Integer.MAX_VALUE);
            pagesLength = in.getLong("pages file length", 0, Long.MAX_VALUE);
            int n = in.getInt("segment files", 0, Integer.MAX_VALUE);
            for (int i = 0; i < n; i++) {
                int id = in.getInt("segment file id", 1, nextFileId - 1);
                segments.put(id, in.getLong("segment file size", 1, Long.MAX_VALUE));
            }
            in.expectEnd();
        } catch (CorruptStateException e) {
            throw new CorruptStoreFileException(newest.file, e.getMessage(), e);
        }
        if ((newest.flags & FLAG_APPLIED) == 0) {
            replay(newest);
        }
        deleteOrphans();
        Files.deleteIfExists(directory.resolve(CREATING_FILE));
        checkLength(pages, directory.resolve(PAGES + ".dat"), pagesLength);
    }

    private boolean hasDataFiles() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if ((n.startsWith("seg-") || n.startsWith("journal-")) || (n.startsWith(PAGES + ".") && Files.size(p) > 0)) {
                    return true;
                }
            }
        }
        return false;
    }

    private void wipe() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory)) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (n.startsWith("seg-") || n.startsWith("journal-") || n.equals(PAGES + ".sum")) {
                    Files.delete(p);
                }
            }
        }
        pages.truncate(0);
    }

    private void deleteOrphans() throws IOException {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(directory, "seg-*")) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                int dot = n.lastIndexOf('.');
                Integer id = null;
                try {
                    id = Integer.parseUnsignedInt(n.substring(4, dot < 0 ? n.length() : dot), 16);
                } catch (NumberFormatException e) {
                    // not ours by name: leave it alone
                }
                if (id != null && !segments.containsKey(id)) {
                    Files.delete(p);
                    directoryChanged = true;
                }
            }
        }
        if (directoryChanged) {
            forceDirectory();
            directoryChanged = false;
        }
    }

    /** Writes a committed journal's records to the data files (idempotent), then marks it applied. */
    private void replay(Journal j) throws IOException {
        Map<Long, FileChannel> channels = new HashMap<>();
        try (FileChannel ch = FileChannel.open(j.file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            long start = HEADER_SIZE + j.metaLength;
            long end = start + j.recordsLength;
            CRC32C crc = new CRC32C();
            ByteBuffer buf = ByteBuffer.allocateDirect(STAGING);
            for (long p = start; p < end; ) { // the whole record section checks out before any byte is applied
                buf.clear().limit((int) Math.min(STAGING, end - p));
                readFully(ch, buf, p);
                buf.flip();
                p += buf.remaining();
                crc.update(buf);
            }
            if ((int) crc.getValue() != j.recordsCrc) {
                throw new CorruptStoreFileException(j.file, "record checksum mismatch in a committed journal");
            }
            ByteBuffer head = ByteBuffer.allocate(24).order(ByteOrder.LITTLE_ENDIAN);
            long p = start;
            while (p < end) {
                head.clear();
                readFully(ch, head, p);
                p += 24;
                int fileId = head.getInt(0);
                int kind = head.getInt(4);
                long offset = head.getLong(8);
                long length = head.getLong(16);
                if ((kind != KIND_DATA && kind != KIND_SUMS) || offset < 0 || length < 0 || p + length > end
                    || (fileId != PAGES_FILE && !segments.containsKey(fileId))) {
                    throw new CorruptStoreFileException(j.file, "record at byte " + (p - 24) + " is malformed");
                }
                FileChannel target = channels.computeIfAbsent(((long) fileId << 1) | kind, k -> openChannel(fileId, kind));
                long copied = 0;
                while (copied < length) {
                    copied += ch.transferTo(p + copied, length - copied, positioned(target, offset + copied));
                }
                p += length;
            }
            for (Map.Entry<Integer, Long> e : segments.entrySet()) {
                FileChannel c = channels.computeIfAbsent(((long) e.getKey() << 1) | KIND_DATA, k -> openChannel(e.getKey(), KIND_DATA));
                ensureLength(c, e.getValue());
            }
            ensureLength(pages, pagesLength);
            for (FileChannel c : channels.values()) {
                c.force(true);
            }
            pages.force(true);
            forceDirectory();
            setFlags(ch, j.flags | FLAG_APPLIED);
            ch.force(false);
            ch.truncate(HEADER_SIZE + j.metaLength); // as after a commit: an applied journal keeps no records
        } finally {
            for (FileChannel c : channels.values()) {
                closeQuietly(c);
            }
        }
    }

    private static FileChannel positioned(FileChannel c, long position) {
        try {
            return c.position(position);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private FileChannel openChannel(int fileId, int kind) {
        try {
            if (!createdFiles && Files.notExists(segmentFile(fileId, kind))) {
                createdFiles = true;
            }
            return FileChannel.open(segmentFile(fileId, kind), StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + segmentFile(fileId, kind) + ": " + e.getMessage(), e);
        }
    }

    private static void ensureLength(FileChannel c, long length) throws IOException {
        if (length > 0 && c.size() < length) {
            c.write(ByteBuffer.allocate(1), length - 1);
        }
    }

    private static void checkLength(FileChannel c, Path file, long needed) throws IOException {
        long size = c.size();
        if (size < needed) {
            throw new CorruptStoreFileException(file, "truncated: " + size + " bytes, the store needs " + needed);
        }
    }

    private static void setFlags(FileChannel ch, int flags) throws IOException {
        ByteBuffer f = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(0, flags);
        ch.write(f, 12);
    }

    // ------------------------------------------------------------------ regions

    /**
     * The normal pages of one extent of the pages file: one {@link Mapping} for all of them, so the
     * process holds one mapping per extent, not per page, and a flush remaps an extent at once.
     */
    private static final class Extent {
        final long start;
        /** Regions of its pages; a page may have two for a while (a restore maps it anew, then frees the old one). */
        final List<MappedRegion> pages = new ArrayList<>();
        Mapping mapping;

        Extent(long start, Mapping mapping) {
            this.start = start;
            this.mapping = mapping;
        }
    }

    @Override
    public MappedRegion mapPage(int index, int pageSize) {
        MappedRegion r = page(index, pageSize);
        pagesLength = Math.max(pagesLength, r.fileOffset() + pageSize);
        return r;
    }

    @Override
    public MappedRegion openPage(int index, int pageSize) {
        long offset = (long) index * pageSize;
        Path file = directory.resolve(PAGES + ".dat");
        if (index < 0 || offset + pageSize > pagesLength) {
            throw new CorruptStoreFileException(file, "page " + index + " lies beyond the committed length " + pagesLength);
        }
        return page(index, pageSize);
    }

    /** Normal page {@code index} as a region of its extent's mapping, mapping the extent if needed. */
    private MappedRegion page(int index, int size) {
        if (pageSize == 0) {
            pageSize = size;
            extentPages = (int) Math.max(1, Math.min(MAX_EXTENT_PAGES, EXTENT_BYTES / size));
        } else if (size != pageSize) {
            throw new IllegalArgumentException("store directory " + directory + " maps pages of " + pageSize
                + " bytes, not " + size);
        }
        long number = index / extentPages;
        Extent e = extents.get(number);
        if (e == null) {
            MappingCount.check("store directory " + directory);
            long start = number * extentPages * (long) pageSize;
            e = new Extent(start, mapPages(start, (long) extentPages * pageSize));
            extents.put(number, e);
        }
        long offset = (long) index * pageSize;
        MappedRegion r;
        try {
            r = new MappedRegion(PAGES_FILE, offset, pageSize, e.mapping, offset - e.start);
        } catch (RuntimeException | Error failure) {
            if (e.pages.isEmpty()) { // an extent without pages holds no mapping
                e.mapping.closeIfUnused();
                extents.remove(number);
            }
            throw failure;
        }
        e.pages.add(r);
        live.add(r);
        return r;
    }

    /** Maps {@code [start, start + bytes)} of the pages file (extending it, sparsely, if it is shorter). */
    private Mapping mapPages(long start, long bytes) {
        return mapFile(pages, PAGES_FILE, start, bytes);
    }

    /** Maps {@code [offset, offset + bytes)} of file {@code fileId} privately, counted in {@link MappingCount}. */
    private static Mapping mapFile(FileChannel c, int fileId, long offset, long bytes) {
        Arena arena = Arena.ofShared();
        try {
            MemorySegment s = c.map(FileChannel.MapMode.PRIVATE, offset, bytes, arena);
            MappingCount.mapped();
            return new Mapping(s, arena);
        } catch (IOException e) {
            arena.close();
            throw new UncheckedIOException("cannot map " + fileName(fileId, KIND_DATA) + " at " + offset + ": " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    @Override
    public MappedRegion newSegment(long bytes) {
        ensureUsable();
        MappingCount.check("store directory " + directory); // before the file exists
        int id = nextFileId;
        if (id == Integer.MAX_VALUE) {
            throw new OffstateException("store directory " + directory + " has used all segment file ids");
        }
        Path file = segmentFile(id, KIND_DATA);
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE)) {
            nextFileId++;
            directoryChanged = true;
            MappedRegion r = map(c, id, 0, bytes);
            segments.put(id, bytes);
            return r;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public MappedRegion openSegment(int fileId, long bytes) {
        MappingCount.check("store directory " + directory);
        Path file = segmentFile(fileId, KIND_DATA);
        Long listed = segments.get(fileId);
        if (listed == null || listed != bytes) {
            throw new CorruptStoreFileException(file, "the store metadata refers to it with " + bytes
                + " bytes, the journal lists " + (listed == null ? "no such file" : listed + " bytes"));
        }
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            checkLength(c, file, bytes);
            return map(c, fileId, 0, bytes);
        } catch (NoSuchFileException e) {
            throw new CorruptStoreFileException(file, "missing", e);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open " + file + ": " + e.getMessage(), e);
        }
    }

    private MappedRegion map(FileChannel c, int fileId, long offset, long bytes) {
        Mapping m = mapFile(c, fileId, offset, bytes);
        MappedRegion r;
        try {
            r = new MappedRegion(fileId, offset, bytes, m, 0);
        } finally {
            m.closeIfUnused();
        }
        live.add(r);
        return r;
    }

    @Override
    public void free(MappedRegion region) {
        if (live.remove(region)) {
            region.unmap();
            if (region.fileId() != PAGES_FILE) {
                segments.remove(region.fileId());
                pendingDeletes.add(region.fileId());
            } else {
                long number = region.fileOffset() / pageSize / extentPages;
                Extent e = extents.get(number);
                if (e != null && e.pages.remove(region) && e.pages.isEmpty()) {
                    extents.remove(number);
                }
            }
        }
    }

    // ------------------------------------------------------------------ commit

    /** One run of dirty chunks of a region, and their checksums. */
    private record Run(MappedRegion region, long from, long length, byte[] sums) {
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
    public long commit(byte[] meta) {
        ensureUsable();
        long gen = generation + 1;
        List<Run> runs = collectRuns();
        long bytes = 0;
        for (Run r : runs) {
            bytes += r.length;
        }
        try {
            failed = true; // until every step below completed
            if (directoryChanged) {
                forceDirectory(); // new segment files exist before a journal names them
            }
            MetaOut out = new MetaOut();
            out.putBytes(meta).putInt(nextFileId).putLong(pagesLength).putInt(segments.size());
            for (Map.Entry<Integer, Long> e : segments.entrySet()) {
                out.putInt(e.getKey()).putLong(e.getValue());
            }
            Path journalFile = journal(gen);
            boolean newJournal = !Files.exists(journalFile);
            try (FileChannel j = FileChannel.open(journalFile, StandardOpenOption.CREATE, StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
                writeJournal(j, gen, out.toByteArray(), runs);
                step("journal-written");
                j.force(false); // the commit point: the header is on disk, and the body was forced before it
                if (newJournal) {
                    forceDirectory(); // the journal's name too, before the previous journal is marked superseded
                }
                step("committed");
                Path previous = journal(gen - 1);
                if (gen > 1 && Files.exists(previous)) {
                    try (FileChannel p = FileChannel.open(previous, StandardOpenOption.WRITE)) {
                        setFlags(p, FLAG_APPLIED | FLAG_SUPERSEDED);
                        p.force(true);
                    }
                }
                step("superseded");
                apply(runs);
                step("applied");
                setFlags(j, FLAG_APPLIED);
                // the flag must be on disk before the cut: a cut journal not marked applied reads as truncated
                j.force(false);
                step("marked-applied");
                j.truncate(HEADER_SIZE + out.length()); // the records are in the data files now: free the disk space
            }
            generation = gen;
            storeMeta = meta;
            for (int id : pendingDeletes) {
                Files.deleteIfExists(segmentFile(id, KIND_DATA));
                Files.deleteIfExists(segmentFile(id, KIND_SUMS));
            }
            if (gen == 1) {
                Files.deleteIfExists(directory.resolve(CREATING_FILE)); // the store exists from its first commit on
            }
            if (!pendingDeletes.isEmpty() || gen == 1) {
                pendingDeletes.clear();
                forceDirectory();
            }
            directoryChanged = false;
            remap(runs);
            failed = false;
            return bytes;
        } catch (IOException e) {
            throw new UncheckedIOException("flush of store directory " + directory + " failed; close and reopen the store "
                + "to recover its last flush: " + e.getMessage(), e);
        }
    }

    private List<Run> collectRuns() {
        List<Run> runs = new ArrayList<>();
        CRC32C crc = new CRC32C();
        for (MappedRegion region : live) {
            if (!region.isDirty()) {
                continue;
            }
            long chunks = region.chunks();
            long c = 0;
            while (c < chunks) {
                if (!region.isDirty(c)) {
                    c++;
                    continue;
                }
                long start = c;
                while (c < chunks && region.isDirty(c)) {
                    c++;
                }
                long from = start << MappedRegion.CHUNK_SHIFT;
                long to = Math.min(c << MappedRegion.CHUNK_SHIFT, region.size());
                ByteBuffer sums = ByteBuffer.allocate((int) (c - start) * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
                for (long k = start; k < c; k++) {
                    long o = k << MappedRegion.CHUNK_SHIFT;
                    crc.reset();
                    crc.update(region.segment().asSlice(o, Math.min(MappedRegion.CHUNK_SIZE, region.size() - o)).asByteBuffer());
                    sums.putLong(crc.getValue() | 1L << 32);
                }
                runs.add(new Run(region, from, to - from, sums.array()));
            }
        }
        return runs;
    }

    private void writeJournal(FileChannel j, long gen, byte[] meta, List<Run> runs) throws IOException {
        CRC32C metaCrc = new CRC32C();
        metaCrc.update(meta);
        long p = HEADER_SIZE;
        p += writeFully(j, ByteBuffer.wrap(meta), p);
        CRC32C crc = new CRC32C();
        long recordsStart = p;
        staging.clear();
        for (Run r : runs) {
            p = record(j, crc, p, r.region.fileId(), KIND_DATA, r.region.fileOffset() + r.from,
                r.region.segment().asSlice(r.from, r.length).asByteBuffer());
            p = record(j, crc, p, r.region.fileId(), KIND_SUMS,
                ((r.region.fileOffset() + r.from) >>> MappedRegion.CHUNK_SHIFT) * Long.BYTES, ByteBuffer.wrap(r.sums));
        }
        p = drain(j, crc, p);
        j.truncate(p);
        step("journal-body-written");
        // The body is forced before the header is written: the disk may persist a file's pages in any
        // order, and a valid header over a body that never reached the disk would be a committed
        // journal whose records are lost (a power cut between the two writes must leave the old state).
        j.force(true);
        step("journal-body-forced");
        ByteBuffer h = ByteBuffer.allocate(HEADER_SIZE).order(ByteOrder.LITTLE_ENDIAN);
        h.putLong(0, JOURNAL_MAGIC).putInt(8, FORMAT_VERSION).putInt(12, 0).putLong(16, gen)
            .putLong(24, meta.length).putLong(32, p - recordsStart).putInt(40, (int) metaCrc.getValue())
            .putInt(44, (int) crc.getValue());
        h.putInt(48, headerCrc(h));
        writeFully(j, h, 0);
    }

    private long record(FileChannel j, CRC32C crc, long p, int fileId, int kind, long offset, ByteBuffer data) throws IOException {
        if (staging.remaining() < 24) {
            p = drain(j, crc, p);
        }
        staging.putInt(fileId).putInt(kind).putLong(offset).putLong(data.remaining());
        while (data.hasRemaining()) {
            if (!staging.hasRemaining()) {
                p = drain(j, crc, p);
            }
            int n = Math.min(staging.remaining(), data.remaining());
            ByteBuffer part = data.slice(data.position(), n);
            staging.put(part);
            data.position(data.position() + n);
        }
        return p;
    }

    private long drain(FileChannel j, CRC32C crc, long p) throws IOException {
        staging.flip();
        crc.update(staging.duplicate());
        long n = writeFully(j, staging, p);
        staging.clear();
        return p + n;
    }

    private void apply(List<Run> runs) throws IOException {
        Map<Long, FileChannel> channels = new HashMap<>();
        try {
            for (Run r : runs) {
                int id = r.region.fileId();
                FileChannel data = id == PAGES_FILE ? pages : channels.computeIfAbsent(((long) id << 1), k -> openChannel(id, KIND_DATA));
                FileChannel sums = channels.computeIfAbsent(((long) id << 1) | KIND_SUMS, k -> openChannel(id, KIND_SUMS));
                writeFully(data, r.region.segment().asSlice(r.from, r.length).asByteBuffer(), r.region.fileOffset() + r.from);
                writeFully(sums, ByteBuffer.wrap(r.sums), ((r.region.fileOffset() + r.from) >>> MappedRegion.CHUNK_SHIFT) * Long.BYTES);
                step("applying");
            }
            for (Map.Entry<Integer, Long> e : segments.entrySet()) {
                FileChannel c = channels.get((long) e.getKey() << 1);
                if (c != null) {
                    ensureLength(c, e.getValue());
                }
            }
            ensureLength(pages, pagesLength);
            pages.force(true);
            for (FileChannel c : channels.values()) {
                c.force(true);
            }
            if (createdFiles) {
                forceDirectory(); // a new .sum file's name, before the journal that would rewrite it is cut
                createdFiles = false;
            }
        } finally {
            for (FileChannel c : channels.values()) {
                closeQuietly(c);
            }
        }
    }

    /**
     * Maps every written region again, so its pages are file pages the OS may evict, not private
     * copies. A written page's whole extent is mapped again: its other pages hold no unwritten
     * change (every change is marked dirty and was just written), so they lose nothing; they only
     * fault in again, from the page cache, when next touched.
     */
    private void remap(List<Run> runs) throws IOException {
        MappedRegion last = null;
        Set<Extent> written = Collections.newSetFromMap(new IdentityHashMap<>());
        for (Run r : runs) {
            MappedRegion region = r.region;
            if (region == last) {
                continue;
            }
            last = region;
            region.clearDirty();
            if (region.fileId() == PAGES_FILE) {
                written.add(extents.get(region.fileOffset() / pageSize / extentPages));
                continue;
            }
            Mapping fresh; // not checked against the limit: it replaces a mapping, released by the remap
            try (FileChannel c = FileChannel.open(segmentFile(region.fileId(), KIND_DATA), StandardOpenOption.READ,
                StandardOpenOption.WRITE)) {
                fresh = mapFile(c, region.fileId(), 0, region.size());
            }
            try {
                region.remap(fresh, 0);
            } finally {
                fresh.closeIfUnused();
            }
        }
        for (Extent e : written) {
            Mapping fresh = mapPages(e.start, e.mapping.size()); // not checked: it replaces the extent's mapping
            try {
                for (MappedRegion page : e.pages) {
                    page.remap(fresh, page.fileOffset() - e.start);
                }
                e.mapping = fresh;
            } finally {
                fresh.closeIfUnused();
            }
        }
    }

    // ------------------------------------------------------------------ verification

    /**
     * Checks every chunk of every live region, as stored in the files, against its CRC32C in the
     * checksum files. Call it right after a commit: it reads the files, not the memory.
     *
     * @return bytes checked
     * @throws CorruptStoreFileException naming the file and offset of the first bad chunk
     */
    public long verify() {
        ensureUsable();
        long checked = 0;
        CRC32C crc = new CRC32C();
        ByteBuffer chunk = ByteBuffer.allocateDirect(MappedRegion.CHUNK_SIZE);
        ByteBuffer sum = ByteBuffer.allocate(Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        List<MappedRegion> regions = new ArrayList<>(live);
        regions.sort((x, y) -> x.fileId() != y.fileId() ? Integer.compare(x.fileId(), y.fileId()) : Long.compare(x.fileOffset(), y.fileOffset()));
        try {
            for (MappedRegion r : regions) {
                Path dataFile = segmentFile(r.fileId(), KIND_DATA);
                Path sumFile = segmentFile(r.fileId(), KIND_SUMS);
                try (FileChannel data = FileChannel.open(dataFile, StandardOpenOption.READ);
                     FileChannel sums = Files.exists(sumFile) ? FileChannel.open(sumFile, StandardOpenOption.READ) : null) {
                    for (long c = 0; c < r.chunks(); c++) {
                        long offset = r.fileOffset() + (c << MappedRegion.CHUNK_SHIFT);
                        int n = (int) Math.min(MappedRegion.CHUNK_SIZE, r.size() - (c << MappedRegion.CHUNK_SHIFT));
                        chunk.clear().limit(n);
                        if (readUpTo(data, chunk, offset) < n) {
                            throw new CorruptStoreFileException(dataFile, "truncated at byte " + offset);
                        }
                        chunk.flip();
                        long stored = 0;
                        if (sums != null) {
                            sum.clear();
                            if (readUpTo(sums, sum, (offset >>> MappedRegion.CHUNK_SHIFT) * Long.BYTES) == Long.BYTES) {
                                stored = sum.getLong(0);
                            }
                        }
                        if (stored == 0) {
                            for (int i = 0; i < n; i++) {
                                if (chunk.get(i) != 0) {
                                    throw new CorruptStoreFileException(dataFile, "chunk at byte " + offset
                                        + " was never written but is not zero (byte " + (offset + i) + ")");
                                }
                            }
                        } else {
                            crc.reset();
                            crc.update(chunk);
                            if ((stored >>> 32) != 1 || (int) stored != (int) crc.getValue()) {
                                throw new CorruptStoreFileException(dataFile, "checksum mismatch in the " + MappedRegion.CHUNK_SIZE
                                    + "-byte chunk at byte " + offset + " (CRC32C " + Integer.toHexString((int) crc.getValue())
                                    + ", " + sumFile.getFileName() + " says " + Long.toHexString(stored) + ")");
                            }
                        }
                        checked += n;
                    }
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot verify store directory " + directory + ": " + e.getMessage(), e);
        }
        return checked;
    }

    // ------------------------------------------------------------------ plumbing

    private static void step(String name) throws IOException {
        Step hook = testHook;
        if (hook != null) {
            hook.reached(name);
        }
    }

    private void ensureUsable() {
        if (closed) {
            throw new IllegalStateException("store directory " + directory + " is closed");
        }
        if (failed) {
            throw new IllegalStateException("an earlier flush of store directory " + directory
                + " failed; close the store and reopen it to recover its last flush");
        }
    }

    private void forceDirectory() throws IOException {
        try (FileChannel d = FileChannel.open(directory, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // some file systems refuse to open or force a directory; file contents are forced regardless
        }
    }

    private static long writeFully(FileChannel c, ByteBuffer b, long position) throws IOException {
        long written = 0;
        while (b.hasRemaining()) {
            written += c.write(b, position + written);
        }
        return written;
    }

    private static void readFully(FileChannel c, ByteBuffer b, long position) throws IOException {
        long start = position;
        while (b.hasRemaining()) {
            int n = c.read(b, position);
            if (n < 0) {
                throw new java.io.EOFException("unexpected end of file at byte " + position + " (read from " + start + ")");
            }
            position += n;
        }
    }

    private static int readUpTo(FileChannel c, ByteBuffer b, long position) throws IOException {
        int total = 0;
        while (b.hasRemaining()) {
            int n = c.read(b, position + total);
            if (n < 0) {
                break;
            }
            total += n;
        }
        return total;
    }

    private static void closeQuietly(AutoCloseable c) {
        if (c != null) {
            try {
                c.close();
            } catch (Exception e) {
                // closing after a failure: the first failure is the one reported
            }
        }
    }

    /**
     * Unmaps every region still mapped, and releases the channels and the directory lock; writes
     * nothing (commit first to keep changes). Idempotent.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (MappedRegion r : live) {
            r.unmap();
        }
        live.clear();
        extents.clear();
        closeQuietly(pages);
        try {
            lock.release();
        } catch (IOException e) {
            // closing the channel releases it too
        }
        closeQuietly(lockChannel);
        release(realDirectory);
    }
}
