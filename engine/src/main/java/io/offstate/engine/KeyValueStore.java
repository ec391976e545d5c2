package io.offstate.engine;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ConcurrentModificationException;
import java.util.Objects;

import org.agrona.DirectBuffer;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.Varint;
import io.offstate.offheap.index.EntryDescriptor;
import io.offstate.offheap.file.StoreFiles;
import io.offstate.offheap.index.SortedIndex;
import io.offstate.offheap.memory.MemoryBudget;
import io.offstate.offheap.memory.PagedMemory;

/**
 * An off-heap key-value store of byte keys and byte values.
 *
 * <p><b>Threading: one thread at a time.</b> A store is meant to be owned by the thread that
 * processes its partition; it does no locking. Handing it to another thread needs a
 * happens-before edge (a queue, a lock, a volatile write).
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>Keys are 0..{@value #MAX_KEY_LENGTH} bytes, values 0..{@value #MAX_VALUE_LENGTH} bytes;
 *       empty keys and values are ordinary values. Keys may be passed as {@code byte[]},
 *       {@link MemorySegment} or Agrona {@link DirectBuffer}; they are read in place, never copied,
 *       on lookups.</li>
 *   <li>{@link #get(byte[], ValueView) get(key, view)} is zero-copy: it points a caller-owned,
 *       reusable {@link ValueView} at the value's bytes in the store's memory and allocates nothing.
 *       The view is valid until the next write to this store (put, delete, restore, close).
 *       {@link #getCopy(byte[])} copies instead.</li>
 *   <li>Bad input — a {@code null}, an oversize or negative length, a range outside its buffer —
 *       throws {@link NullPointerException} or {@link IllegalArgumentException} with a message that
 *       names the limit, and leaves the store unchanged.</li>
 *   <li>An operation that would exceed the memory budget throws
 *       {@link io.offstate.offheap.StoreFullException} and leaves the store unchanged: same
 *       contents, same {@link #memoryUsed()}.</li>
 *   <li>After {@link #close()}, every method except {@code close}, {@link #closeWithoutFlush()} and {@link #isClosed()} throws
 *       {@link StoreClosedException}; memory is released at once and never touched again.</li>
 *   <li>A store {@link #open(Path, StoreOptions) opened on a directory} is file-backed: its
 *       memory is mapped from files there, {@link #flush()} makes everything written so far
 *       durable atomically, {@link #close()} flushes, and reopening the directory yields exactly
 *       the last flush, without rebuilding anything — also after a crash.</li>
 *   <li>With {@link StoreOptions.Builder#sortedIndex(boolean) sortedIndex(true)}, {@link #cursor()}
 *       reads the store in unsigned lexicographic key order (see {@link Cursor}); point operations
 *       are unchanged.</li>
 * </ol>
 *
 * <h2>Memory</h2>
 * Entries live in off-heap pages owned by the store ({@link #memoryUsed()} counts pages, large-value
 * segments and index tables). Space freed by deletes and overwrites is reused for later entries of
 * the same size class. With {@link StoreOptions.Builder#dictionaryKeyComponent dictionary encoding},
 * a leading key component is stored as a small int code; the dictionary is part of the store's
 * state (counted, snapshotted and restored with it). A put that introduces a new dictionary
 * component checks the budget with one page of headroom.
 *
 * <h2>Example</h2>
 * <pre>{@code
 * try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().memoryBudget(64L << 20).build())) {
 *     store.put("user:1".getBytes(UTF_8), "alice".getBytes(UTF_8));
 *     ValueView view = new ValueView();
 *     if (store.get("user:1".getBytes(UTF_8), view)) {
 *         int length = view.length();            // no copy, no allocation
 *     }
 * }
 * }</pre>
 */
public final class KeyValueStore implements AutoCloseable {
    /** Largest key in bytes (64 KiB). */
    public static final int MAX_KEY_LENGTH = 64 * 1024;
    /** Largest value in bytes (64 MiB). */
    public static final int MAX_VALUE_LENGTH = 64 * 1024 * 1024;

    private final StoreOptions options;
    private final String name;
    private final ByteSource key = new ByteSource();
    private final ByteSource value = new ByteSource();
    private final ByteSource component = new ByteSource();
    private final ByteSource scratchKey = new ByteSource();
    private final ByteSource original = new ByteSource();
    private StoreState state;
    private long version;
    private boolean closed;
    /** The directory's files of a file-backed store; null for an in-memory one. */
    private final StoreFiles files;

    private KeyValueStore(StoreOptions options) {
        this.options = options;
        this.name = options.name();
        this.state = StoreState.create(options);
        this.files = null;
    }

    private KeyValueStore(StoreOptions options, StoreState state, StoreFiles files) {
        this.options = options;
        this.name = options.name();
        this.state = state;
        this.files = files;
    }

    /**
     * Opens the file-backed store in {@code directory}, creating the directory and an empty store
     * there if it holds none. The store's pages, indexes and dictionary are mapped from the files
     * (nothing is read or rebuilt at open; the work is one mapping per extent of up to 64 MiB of
     * pages and a small object per page, so it does not grow with the number of entries and grows
     * only slightly with the bytes), and the store may be larger than RAM: the operating system
     * pages it.
     *
     * <p>Reopening yields exactly the state of the last completed {@link #flush()} (or
     * {@link #close()}); after a crash, of the last flush that reached its commit point. The
     * settings that shape the bytes — page size, sorted index and its node size, dictionary key
     * component and code limit, fingerprint bits — must be the ones the store was created with;
     * the hash seed is the stored one; name, budget and expected entries come from
     * {@code options}. Only one store at a time may have a directory open.
     *
     * @throws IllegalArgumentException   if {@code options} disagree with the stored settings (nothing changed)
     * @throws io.offstate.offheap.StoreLockedException if another store, in this or another process, has it open
     * @throws CorruptStoreFileException  if a file is damaged, truncated or not an offstate file
     * @throws io.offstate.offheap.UnsupportedFormatVersionException if it was written by a newer format
     * @throws io.offstate.offheap.StoreFullException if the stored data exceeds {@code options}' budget
     * @throws java.io.UncheckedIOException if the file system fails
     */
    public static KeyValueStore open(Path directory, StoreOptions options) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(options, "options");
        StoreFiles files = StoreFiles.open(directory);
        StoreState state = null;
        try {
            byte[] meta = files.storeMeta();
            StoreOptions effective = options;
            if (meta == null) {
                state = StoreState.create(options, files);
                files.commit(state.writeMeta(options));
                state.refreshMappings();
            } else {
                Path journal = files.directory().resolve("journal-" + (files.generation() & 1));
                try {
                    effective = StoreState.storedOptions(meta, options);
                    state = StoreState.reopen(meta, effective, files);
                } catch (CorruptStateException e) {
                    throw new CorruptStoreFileException(journal, "store metadata: " + e.getMessage(), e);
                }
            }
            return new KeyValueStore(effective, state, files);
        } catch (RuntimeException | Error e) {
            if (state != null) {
                state.close();
            }
            files.close();
            throw e;
        }
    }

    /**
     * Creates an empty store.
     *
     * @throws io.offstate.offheap.StoreFullException if even the first index table exceeds the budget
     */
    public static KeyValueStore create(StoreOptions options) {
        return new KeyValueStore(Objects.requireNonNull(options, "options"));
    }

    /** Creates an empty store with {@link StoreOptions#defaults()}. */
    public static KeyValueStore create() {
        return create(StoreOptions.defaults());
    }

    /** The options this store was created with. */
    public StoreOptions options() {
        ensureOpen();
        return options;
    }

    // ---------------------------------------------------------------- reads

    /**
     * Looks {@code key} up and, if present, points {@code view} at its value (no copy, no
     * allocation); if absent, clears {@code view}.
     *
     * @return whether the key is present
     */
    public boolean get(byte[] key, ValueView view) {
        return lookup(wrapKey(key), view);
    }

    /** As {@link #get(byte[], ValueView)}, with the key being all of {@code key}. */
    public boolean get(MemorySegment key, ValueView view) {
        return lookup(wrapKey(key), view);
    }

    /** As {@link #get(byte[], ValueView)}, with the key being {@code length} bytes of {@code key} at {@code offset}. */
    public boolean get(MemorySegment key, long offset, int length, ValueView view) {
        return lookup(wrapKey(key, offset, length), view);
    }

    /** As {@link #get(byte[], ValueView)}, with the key being {@code length} bytes of {@code key} at {@code offset}. */
    public boolean get(DirectBuffer key, int offset, int length, ValueView view) {
        return lookup(wrapKey(key, offset, length), view);
    }

    /** A copy of the value of {@code key}, or {@code null} if absent. Allocates; prefer {@link #get(byte[], ValueView)} on hot paths. */
    public byte[] getCopy(byte[] key) {
        return copyOf(wrapKey(key));
    }

    /** A copy of the value of {@code key}, or {@code null} if absent. */
    public byte[] getCopy(MemorySegment key) {
        return copyOf(wrapKey(key));
    }

    /** Whether {@code key} is present. */
    public boolean contains(byte[] key) {
        return locate(wrapKey(key)) != 0;
    }

    /** Whether {@code key} is present. */
    public boolean contains(MemorySegment key) {
        return locate(wrapKey(key)) != 0;
    }

    /** Whether the {@code length} bytes of {@code key} at {@code offset} are a present key. */
    public boolean contains(MemorySegment key, long offset, int length) {
        return locate(wrapKey(key, offset, length)) != 0;
    }

    /** Whether the {@code length} bytes of {@code key} at {@code offset} are a present key. */
    public boolean contains(DirectBuffer key, int offset, int length) {
        return locate(wrapKey(key, offset, length)) != 0;
    }

    /** Number of entries. */
    public long size() {
        ensureOpen();
        return state.map.size();
    }

    /** Off-heap bytes held: data pages, large-value segments, index tables (dictionary included). */
    public long memoryUsed() {
        ensureOpen();
        return state.budget.used();
    }

    /** The hard memory budget in bytes. */
    public long memoryBudget() {
        ensureOpen();
        return options.memoryBudget();
    }

    /** Number of distinct dictionary components (0 without dictionary encoding). */
    public int dictionarySize() {
        ensureOpen();
        return state.dictionary == null ? 0 : state.dictionary.size();
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------- writes

    /** Inserts or replaces {@code key} → {@code value}. */
    public void put(byte[] key, byte[] value) {
        ByteSource k = wrapKey(key);
        write(k, wrapValue(value));
    }

    /** Inserts or replaces {@code key} → {@code value} (whole segments). */
    public void put(MemorySegment key, MemorySegment value) {
        ByteSource k = wrapKey(key);
        write(k, wrapValue(value, 0, checkedLength(value, "value", MAX_VALUE_LENGTH)));
    }

    /** Inserts or replaces a key and value given as segment ranges. */
    public void put(MemorySegment key, long keyOffset, int keyLength, MemorySegment value, long valueOffset, int valueLength) {
        ByteSource k = wrapKey(key, keyOffset, keyLength);
        write(k, wrapValue(value, valueOffset, valueLength));
    }

    /** Inserts or replaces a key and value given as Agrona buffer ranges. */
    public void put(DirectBuffer key, int keyOffset, int keyLength, DirectBuffer value, int valueOffset, int valueLength) {
        ByteSource k = wrapKey(key, keyOffset, keyLength);
        Objects.requireNonNull(value, "value");
        checkRange(value.capacity(), valueOffset, valueLength, "value", MAX_VALUE_LENGTH);
        write(k, this.value.wrap(value, valueOffset, valueLength));
    }

    /** Removes {@code key}; returns whether it was present. */
    public boolean delete(byte[] key) {
        return remove(wrapKey(key));
    }

    /** Removes {@code key}; returns whether it was present. */
    public boolean delete(MemorySegment key) {
        return remove(wrapKey(key));
    }

    /** Removes the key given as a segment range; returns whether it was present. */
    public boolean delete(MemorySegment key, long offset, int length) {
        return remove(wrapKey(key, offset, length));
    }

    /** Removes the key given as a buffer range; returns whether it was present. */
    public boolean delete(DirectBuffer key, int offset, int length) {
        return remove(wrapKey(key, offset, length));
    }

    // ---------------------------------------------------------------- snapshot, iteration, close

    /**
     * An independent copy of the whole store — entries, index, dictionary — in new off-heap memory
     * owned by the snapshot (not charged to this store's budget; close the snapshot to free it).
     * Writes to the store after this call never show in the snapshot.
     */
    public StoreSnapshot snapshot() {
        ensureOpen();
        StoreState copy = state.copy(new MemoryBudget(name + " (snapshot)", Long.MAX_VALUE));
        return new StoreSnapshot(name, options.pageShift(), options.dictionaryKeyComponent(), copy);
    }

    /**
     * Makes this store exactly equal to {@code snapshot}: contents, dictionary and memory in use.
     * The snapshot stays usable (restore copies it). Invalidates every {@link ValueView}.
     *
     * @throws IllegalArgumentException if the snapshot comes from a store with another page size,
     *                                  dictionary configuration or sorted index setting (store unchanged)
     * @throws io.offstate.offheap.StoreFullException if the snapshot's memory exceeds this store's
     *                                  budget (store unchanged)
     * @throws StoreClosedException     if this store or the snapshot is closed
     */
    public void restore(StoreSnapshot snapshot) {
        ensureOpen();
        Objects.requireNonNull(snapshot, "snapshot");
        StoreState source = snapshot.state();
        boolean sortedSnapshot = source.sorted != null;
        if (snapshot.pageShift() != options.pageShift()
            || !Objects.equals(snapshot.keyComponent(), options.dictionaryKeyComponent())
            || sortedSnapshot != options.sortedIndex()) {
            throw new IllegalArgumentException("snapshot of store '" + snapshot.storeName() + "' (page size "
                + (1 << snapshot.pageShift()) + ", dictionary " + snapshot.keyComponent() + ", sorted index "
                + sortedSnapshot + ") does not fit store '" + name + "' (page size " + options.pageSize() + ", dictionary "
                + options.dictionaryKeyComponent() + ", sorted index " + options.sortedIndex() + ")");
        }
        StoreState fresh = source.copy(new MemoryBudget(name, options.memoryBudget()), files);
        StoreState old = state;
        state = fresh;
        version++;
        old.close();
    }

    /**
     * Calls {@code visitor} once per entry, in no particular order. The segments passed are
     * read-only and valid only during the call. Writing to the store from the visitor throws
     * {@link ConcurrentModificationException}. Keys of dictionary-encoded stores are decoded into
     * a scratch buffer (so for those, the key segment is a copy).
     */
    public void forEach(EntryVisitor visitor) {
        ensureOpen();
        Objects.requireNonNull(visitor, "visitor");
        final StoreState s = state;
        final long expected = version;
        final PagedMemory memory = s.memory;
        final long positions = s.map.index().positions();
        MemorySegment decoded = null;
        for (long p = 0; p < positions; p++) {
            long address = s.map.index().addressAt(p);
            if (address == 0) {
                continue;
            }
            MemorySegment page = memory.readOnlyPage(address);
            long offset = memory.offset(address);
            long span = EntryDescriptor.valueSpan(page, offset);
            MemorySegment v = page.asSlice(offset + EntryDescriptor.spanOffset(span), EntryDescriptor.spanLength(span));
            MemorySegment k;
            if (s.dictionary == null) {
                k = page.asSlice(EntryDescriptor.keyOffset(page, offset), EntryDescriptor.keyLength(page, offset));
            } else {
                ByteSource rest = s.map.storedKey(address, scratchKey);
                ByteSource comp = s.dictionary.component(rest.code(), component);
                int total = comp.length() + rest.length();
                if (decoded == null || decoded.byteSize() < total) {
                    decoded = MemorySegment.ofArray(new byte[Math.max(total, 64)]);
                }
                comp.copyTo(decoded, 0);
                rest.copyTo(decoded, comp.length());
                k = decoded.asSlice(0, total).asReadOnly();
            }
            visitor.accept(k, v);
            if (version != expected || closed) {
                throw new ConcurrentModificationException("store '" + name + "' was written during forEach");
            }
        }
    }

    /**
     * A new cursor for ordered reads of this store: ranges, prefixes, their reverses, first, last
     * and seek, in unsigned lexicographic order of the key bytes. Create one per loop or thread of
     * use and reuse it: positioning and stepping allocate nothing.
     *
     * @throws UnsupportedOperationException if the store was created without
     *                                       {@link StoreOptions.Builder#sortedIndex(boolean) sortedIndex(true)}
     * @throws StoreClosedException          if the store is closed
     */
    public Cursor cursor() {
        ensureOpen();
        if (!options.sortedIndex()) {
            throw new UnsupportedOperationException("store '" + name
                + "' has no sorted index; create it with StoreOptions.builder().sortedIndex(true) for ordered reads");
        }
        return new Cursor(this);
    }

    /**
     * Checks the store's internal invariants, O(n): with a sorted index, that it holds exactly the
     * store's keys, in order, with consistent nodes, links and separators. Meant for tests and for
     * checking a store after a suspected fault; it reads everything and changes nothing.
     *
     * @throws io.offstate.offheap.CorruptStateException naming the first broken invariant
     */
    public void verify() {
        ensureOpen();
        SortedIndex sorted = state.sorted;
        if (sorted != null) {
            sorted.verify();
            if (sorted.size() != state.map.size()) {
                throw new io.offstate.offheap.CorruptStateException("store '" + name + "': sorted index holds "
                    + sorted.size() + " keys, hash index " + state.map.size());
            }
        }
    }

    // ---------------------------------------------------------------- files

    /**
     * Makes everything written so far durable, atomically: after a crash at any instant the store
     * reopens as exactly the state of the last completed flush (or of this one, if the crash came
     * after its commit point), never a mix. Writes only the 4 KiB chunks changed since the last
     * flush (each twice: journal, then in place). Invalidates every {@link ValueView} and cursor
     * position, like a write. Does nothing for an in-memory store.
     *
     * @throws StoreClosedException if the store is closed
     * @throws java.io.UncheckedIOException if the file system fails; the store then refuses further
     *         flushes: close it and reopen the directory to recover the last flush
     */
    public void flush() {
        ensureOpen();
        if (files == null) {
            return;
        }
        version++;
        try {
            files.commit(state.writeMeta(options));
        } finally {
            state.refreshMappings(); // regions remapped before a failure must not be read through old segments
        }
    }

    /**
     * The generation of the last completed flush of this store's directory: 1 once created, plus
     * one per {@link #flush()} (also an empty one) and {@link #close()}, carried across reopens.
     * 0 for an in-memory store.
     */
    public long flushGeneration() {
        ensureOpen();
        return files == null ? 0 : files.generation();
    }

    /** Whether this store is file-backed ({@link #open}) rather than in memory ({@link #create}). */
    public boolean isPersistent() {
        ensureOpen();
        return files != null;
    }

    /** The directory of a file-backed store (absolute), or null for an in-memory store. */
    public Path directory() {
        ensureOpen();
        return files == null ? null : files.directory();
    }

    /**
     * Flushes, then reads every data chunk of the store's files and checks it against its CRC32C
     * checksum: a full read of the store, for checking a directory after a suspected fault (open
     * checks only the metadata). Does nothing for an in-memory store.
     *
     * @throws CorruptStoreFileException naming the file and offset of the first damaged chunk
     * @throws StoreClosedException if the store is closed
     */
    public void verifyFiles() {
        flush();
        if (files != null) {
            files.verify();
        }
    }

    /**
     * Releases all off-heap memory; idempotent. A file-backed store is {@link #flush() flushed}
     * first, then its directory is unlocked (the memory is released and the lock dropped even if
     * the flush fails). Every later operation throws {@link StoreClosedException}.
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        try {
            if (files != null) {
                flush();
            }
        } finally {
            release();
        }
    }

    /**
     * Closes without flushing: writes since the last {@link #flush()} are discarded, exactly as if
     * the process had died now; reopening the directory yields the last flush. For an in-memory
     * store, the same as {@link #close()}. Idempotent.
     */
    public void closeWithoutFlush() {
        if (!closed) {
            release();
        }
    }

    private void release() {
        closed = true;
        version++;
        try {
            state.close();
        } finally {
            if (files != null) {
                files.close();
            }
        }
    }

    // ---------------------------------------------------------------- internals

    long version() {
        return version;
    }

    StoreState state() {
        return state;
    }

    String name() {
        return name;
    }

    void ensureOpen() {
        if (closed) {
            throw new StoreClosedException("store '" + name + "'");
        }
    }

    private boolean lookup(ByteSource k, ValueView view) {
        Objects.requireNonNull(view, "view");
        long address = locate(k);
        if (address == 0) {
            view.clear();
            return false;
        }
        final PagedMemory memory = state.memory;
        final MemorySegment page = memory.readOnlyPage(address);
        final long offset = memory.offset(address);
        final long span = EntryDescriptor.valueSpan(page, offset);
        view.set(this, version, page, offset + EntryDescriptor.spanOffset(span), EntryDescriptor.spanLength(span));
        return true;
    }

    private byte[] copyOf(ByteSource k) {
        long address = locate(k);
        if (address == 0) {
            return null;
        }
        final PagedMemory memory = state.memory;
        final MemorySegment page = memory.page(address);
        final long offset = memory.offset(address);
        final long span = EntryDescriptor.valueSpan(page, offset);
        return page.asSlice(offset + EntryDescriptor.spanOffset(span), EntryDescriptor.spanLength(span))
            .toArray(java.lang.foreign.ValueLayout.JAVA_BYTE);
    }

    /** Address of the entry for the caller key {@code k}, or 0; encodes {@code k} in place if needed. */
    private long locate(ByteSource k) {
        final StoreState s = state;
        if (s.dictionary != null && !encodeExisting(s, k)) {
            return 0;
        }
        return s.map.find(k, s.map.hash(k));
    }

    /** Replaces the dictionary component of {@code k} by its code; false if the component is unknown. */
    private boolean encodeExisting(StoreState s, ByteSource k) {
        final int total = k.length();
        final int componentLength = s.keyComponent.componentLength(k);
        int code = s.dictionary.find(component.wrap(k).narrow(0, componentLength));
        if (code < 0) {
            return false;
        }
        k.narrow(componentLength, total - componentLength).code(code);
        return true;
    }

    private void write(ByteSource k, ByteSource v) {
        final StoreState s = state;
        final SortedIndex sorted = s.sorted;
        if (sorted != null) {
            original.wrap(k); // the sorted index orders the caller's bytes, not the dictionary-encoded form
        }
        final boolean prepared = s.dictionary != null && encodeForWrite(s, sorted, k, v);
        if (sorted == null) {
            s.map.put(k, s.map.hash(k), v);
        } else {
            writeSorted(s, sorted, k, v, prepared);
        }
        version++;
    }

    /**
     * Replaces the dictionary component of {@code k} by its code. A new component means a new key:
     * everything the put could allocate (dictionary entry, entry, hash growth, sorted index nodes)
     * is checked against the budget before the component is added, with one page of headroom for
     * their sharing pages. Returns whether it prepared the sorted index insert.
     */
    private boolean encodeForWrite(StoreState s, SortedIndex sorted, ByteSource k, ByteSource v) {
        final int total = k.length();
        final int componentLength = s.keyComponent.componentLength(k);
        component.wrap(k).narrow(0, componentLength);
        int code = s.dictionary.find(component);
        boolean prepared = false;
        if (code < 0) {
            int entrySize = EntryDescriptor.entrySize(Varint.size(s.dictionary.size()) + total - componentLength, v.length());
            long needed = s.dictionary.bytesNeededToAdd(componentLength);
            if (sorted == null) {
                needed += s.map.bytesNeededForInsert(entrySize) + (entrySize <= s.memory.largeThreshold() ? s.memory.pageSize() : 0);
            } else {
                sorted.prepareInsert(original);
                prepared = true;
                needed += sorted.bytesNeededForInsert(entrySize) + s.map.index().bytesNeededForInsert() + s.memory.pageSize();
            }
            s.budget.check(needed);
            code = s.dictionary.add(component);
        }
        k.narrow(componentLength, total - componentLength).code(code);
        return prepared;
    }

    /**
     * The map and sorted index part of a write to a store with a sorted index: an insert is planned
     * and budget-checked whole before anything changes; an entry that moves is re-pointed.
     */
    private void writeSorted(StoreState s, SortedIndex sorted, ByteSource k, ByteSource v, boolean prepared) {
        final long hash = s.map.hash(k);
        final long found = s.map.find(k, hash);
        if (found == 0) {
            if (!prepared) {
                sorted.prepareInsert(original);
            }
            int entrySize = EntryDescriptor.entrySize(k.storedLength(), v.length());
            s.budget.check(sorted.bytesNeededForInsert(entrySize) + s.map.index().bytesNeededForInsert());
            sorted.insertPrepared(s.map.putAfterFind(0, k, hash, v));
        } else if (s.map.updateMoves(found, k, v)) {
            // locate the index element before the entry moves: finding it compares against the old entry
            long position = sorted.positionOf(original);
            sorted.setAddress(position, s.map.putAfterFind(found, k, hash, v));
        } else {
            s.map.putAfterFind(found, k, hash, v);
        }
    }

    private boolean remove(ByteSource k) {
        final StoreState s = state;
        if (s.sorted != null) {
            original.wrap(k);
        }
        if (s.dictionary != null && !encodeExisting(s, k)) {
            return false;
        }
        final long hash = s.map.hash(k);
        final long found = s.map.find(k, hash);
        if (found == 0) {
            return false;
        }
        if (s.sorted != null) {
            s.sorted.delete(original); // before the entry is freed: the index reads it to find the key
        }
        s.map.removeAfterFind(found);
        version++;
        return true;
    }

    private ByteSource wrapKey(byte[] k) {
        ensureOpen();
        Objects.requireNonNull(k, "key");
        if (k.length > MAX_KEY_LENGTH) {
            throw tooLong("key", k.length, MAX_KEY_LENGTH);
        }
        return key.wrap(k);
    }

    private ByteSource wrapKey(MemorySegment k) {
        ensureOpen();
        int length = checkedLength(k, "key", MAX_KEY_LENGTH);
        return key.wrap(k, 0, length);
    }

    private ByteSource wrapKey(MemorySegment k, long offset, int length) {
        ensureOpen();
        Objects.requireNonNull(k, "key");
        checkRange(k, offset, length, "key", MAX_KEY_LENGTH);
        return key.wrap(k, offset, length);
    }

    private ByteSource wrapKey(DirectBuffer k, int offset, int length) {
        ensureOpen();
        Objects.requireNonNull(k, "key");
        checkRange(k.capacity(), offset, length, "key", MAX_KEY_LENGTH);
        return key.wrap(k, offset, length);
    }

    private ByteSource wrapValue(byte[] v) {
        Objects.requireNonNull(v, "value");
        if (v.length > MAX_VALUE_LENGTH) {
            throw tooLong("value", v.length, MAX_VALUE_LENGTH);
        }
        return value.wrap(v);
    }

    private ByteSource wrapValue(MemorySegment v, long offset, int length) {
        Objects.requireNonNull(v, "value");
        checkRange(v, offset, length, "value", MAX_VALUE_LENGTH);
        return value.wrap(v, offset, length);
    }

    private int checkedLength(MemorySegment segment, String what, int max) {
        Objects.requireNonNull(segment, what);
        checkAlive(segment, what);
        long size = segment.byteSize();
        if (size > max) {
            throw tooLong(what, size, max);
        }
        return (int) size;
    }

    private void checkRange(MemorySegment segment, long offset, int length, String what, int max) {
        checkAlive(segment, what);
        if (length < 0 || offset < 0 || offset > segment.byteSize() - length) {
            throw new IllegalArgumentException(what + " range [offset " + offset + ", length " + length
                + ") is outside its segment of " + segment.byteSize() + " bytes (store '" + name + "')");
        }
        if (length > max) {
            throw tooLong(what, length, max);
        }
    }

    private void checkRange(int capacity, int offset, int length, String what, int max) {
        if (length < 0 || offset < 0 || offset > capacity - length) {
            throw new IllegalArgumentException(what + " range [offset " + offset + ", length " + length
                + ") is outside its buffer of " + capacity + " bytes (store '" + name + "')");
        }
        if (length > max) {
            throw tooLong(what, length, max);
        }
    }

    private static void checkAlive(MemorySegment segment, String what) {
        if (!segment.scope().isAlive()) {
            throw new IllegalArgumentException(what + " segment is already closed");
        }
        if (!segment.isAccessibleBy(Thread.currentThread())) {
            throw new IllegalArgumentException(what + " segment is confined to another thread");
        }
    }

    private IllegalArgumentException tooLong(String what, long length, int max) {
        return new IllegalArgumentException(what + " of " + length + " bytes exceeds the maximum " + what
            + " length of " + max + " bytes (store '" + name + "')");
    }

    /** The key component used for dictionary encoding, or null. */
    KeyComponent keyComponent() {
        return options.dictionaryKeyComponent();
    }
}
