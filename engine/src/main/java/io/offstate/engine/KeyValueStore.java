package io.offstate.engine;

import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ConcurrentModificationException;
import java.util.Objects;
import java.util.function.Consumer;

import org.agrona.DirectBuffer;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.KeyBatch;
import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreClosedException;
import io.offstate.offheap.StoreFileException;
import io.offstate.offheap.file.CommitObserver;
import io.offstate.offheap.index.EntryDescriptor;
import io.offstate.offheap.index.EntryMap;
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
 *       {@link #getCopy(byte[])} copies instead. {@link #getAll(byte[][], ValueView[]) getAll(keys, views)}
 *       looks up a whole batch of keys at once, overlapping their memory accesses, with the same
 *       answers and view lifetime.</li>
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
 *   <li>{@link #flush(byte[]) flush(metadata)} commits the caller's bytes (a change-log offset, input
 *       offsets) atomically with the data; {@link #lastFlushMetadata()} reads them back, also after
 *       a reopen. {@link #clear()} empties the store; {@link #stats()} reports its figures.</li>
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

    /** Keys one call into the core takes at a time in {@link #getAll(byte[][], ValueView[])}. */
    static final int BATCH_GROUP = EntryMap.MAX_BATCH;

    /** Largest caller metadata one {@link #flush(byte[])} may carry (1 MiB). */
    public static final int MAX_FLUSH_METADATA = StoreState.MAX_FLUSH_METADATA;

    private final StoreOptions options;
    private final String name;
    private final CallerBytes caller;
    private final StoreCore core;
    private final Persistence persistence;
    private final ValueView copyView = new ValueView();
    /** {@link #getAll}'s keys, and one group's addresses and value spans (allocated by its first call). */
    private final KeyBatch batch = new KeyBatch();
    private long[] batchAddresses;
    private long[] batchSpans;
    /** The writer thread: the only one allowed to call (see {@link #handOverTo}). */
    private volatile Thread owner;
    private boolean closed;
    private BackgroundScrub scrub;
    /** The input positions of the last {@link Transaction} committed to this store (null: none), owned here. */
    private byte[] committedPositions;
    /** The partition of a {@link StateManager} this store belongs to, or -1. */
    private int partition = -1;
    /** Non-null while a {@link StateManager} manages this store: says how to write it instead. */
    private String managedBy;
    /** Token of the last {@link StoreImage} taken (or restored from); 0: none, the next image is full. */
    private long imageToken;

    private KeyValueStore(StoreOptions options, StoreState state, Persistence persistence) {
        this.options = options;
        this.name = options.name();
        this.caller = new CallerBytes(name);
        this.core = new StoreCore(name, state, persistence);
        this.persistence = persistence;
        this.owner = Thread.currentThread();
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
        return open(directory, options, CommitObserver.NONE);
    }

    /** As {@link #open(Path, StoreOptions)}, with {@code observer} told each step of every commit (crash tests). */
    static KeyValueStore open(Path directory, StoreOptions options, CommitObserver observer) {
        Objects.requireNonNull(directory, "directory");
        Objects.requireNonNull(options, "options");
        FilePersistence.Opened opened = FilePersistence.open(directory, options, observer);
        return new KeyValueStore(opened.options(), opened.state(), opened.persistence());
    }

    /**
     * Creates an empty store.
     *
     * @throws io.offstate.offheap.StoreFullException if even the first index table exceeds the budget
     */
    public static KeyValueStore create(StoreOptions options) {
        Objects.requireNonNull(options, "options");
        InMemoryPersistence persistence = new InMemoryPersistence();
        return new KeyValueStore(options, StoreState.create(options, persistence.backing()), persistence);
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
        return lookup(checkedKey(key), view);
    }

    /** As {@link #get(byte[], ValueView)}, with the key being all of {@code key}. */
    public boolean get(MemorySegment key, ValueView view) {
        return lookup(checkedKey(key), view);
    }

    /** As {@link #get(byte[], ValueView)}, with the key being {@code length} bytes of {@code key} at {@code offset}. */
    public boolean get(MemorySegment key, long offset, int length, ValueView view) {
        return lookup(checkedKey(key, offset, length), view);
    }

    /** As {@link #get(byte[], ValueView)}, with the key being {@code length} bytes of {@code key} at {@code offset}. */
    public boolean get(DirectBuffer key, int offset, int length, ValueView view) {
        return lookup(checkedKey(key, offset, length), view);
    }

    /**
     * Batched {@link #get(byte[], ValueView) get}: looks up every key of {@code keys} and fills the
     * view at the same index — pointed at the key's value if present, cleared if absent (then
     * {@link ValueView#isValid()} is false and its accessors throw "empty") — exactly as
     * {@code get(keys[i], views[i])} would, for each {@code i} in order. Duplicate keys are fine;
     * the same view twice ends up as the later key's.
     *
     * <p>Faster than a loop of gets on a store larger than the CPU caches (at 1M entries about a
     * quarter of a get per key): a lookup is two dependent cache misses (its index slot, then its
     * entry), and getAll takes the keys through a software pipeline — hash a group of keys and load
     * their index slots, follow the slots to their entries and load those, compare the keys — so
     * the misses of independent keys overlap instead of waiting one behind the other (see
     * {@link io.offstate.offheap.index.EntryMap#findAll}). Batches of 32 to 64 keys overlap best; a
     * longer batch is taken 64 keys at a time. A dictionary-encoded store looks its keys up one by
     * one. Allocates nothing (after the first call on this store, which allocates the batch's
     * scratch).
     *
     * <p>Every input is checked before any view changes; bad input throws and leaves every view as
     * it was. The views are valid, as after {@code get}, until the next write to this store (put,
     * delete, flush, restore, clear, close). One thread at a time, like every method of the store:
     * the owner's.
     *
     * @param keys  the keys; none null, each at most {@value #MAX_KEY_LENGTH} bytes
     * @param views as many views as keys, caller-owned and reusable, none null
     * @return the number of keys present
     * @throws NullPointerException     if {@code keys}, {@code views} or one of their elements is null (naming its index)
     * @throws IllegalArgumentException if the arrays' lengths differ, or a key is too long (naming its index)
     * @throws StoreClosedException     if the store is closed
     * @throws WrongThreadException     if called by a thread other than the owner
     */
    public int getAll(byte[][] keys, ValueView[] views) {
        ensureOpen();
        checkSameLength(keys, keys == null ? 0 : keys.length, views);
        return getAll(keys, views, keys.length);
    }

    /**
     * As {@link #getAll(byte[][], ValueView[])}, for the first {@code count} keys and views of
     * arrays at least that long (reusable batch arrays); views beyond {@code count} are untouched.
     *
     * @throws IllegalArgumentException if {@code count} is negative or longer than either array, or a key is too long
     */
    public int getAll(byte[][] keys, ValueView[] views, int count) {
        ensureOpen();
        caller.checkBatch(keys, views, keys == null ? 0 : keys.length, "keys", count);
        caller.checkKeys(keys, count);
        return lookupAll(batch.wrap(keys), views, count);
    }

    /**
     * As {@link #getAll(byte[][], ValueView[])}, with each key being all of a segment.
     *
     * @throws IllegalArgumentException as there, and if a key's segment is closed or confined to another thread
     */
    public int getAll(MemorySegment[] keys, ValueView[] views) {
        ensureOpen();
        checkSameLength(keys, keys == null ? 0 : keys.length, views);
        return getAll(keys, views, keys.length);
    }

    /** As {@link #getAll(MemorySegment[], ValueView[])}, for the first {@code count} keys and views. */
    public int getAll(MemorySegment[] keys, ValueView[] views, int count) {
        ensureOpen();
        caller.checkBatch(keys, views, keys == null ? 0 : keys.length, "keys", count);
        caller.checkKeys(keys, count);
        return lookupAll(batch.wrap(keys), views, count);
    }

    /**
     * As {@link #getAll(byte[][], ValueView[], int)}, with key {@code i} being the
     * {@code lengths[i]} bytes of {@code keys} at {@code offsets[i]}: a batch of keys laid out in
     * one buffer (a poll's records), checked for liveness once.
     *
     * @throws NullPointerException     if {@code keys}, {@code offsets}, {@code lengths}, {@code views} or a view is null
     * @throws IllegalArgumentException if {@code count} is negative or longer than an array, the segment is closed or
     *                                  confined to another thread, or a range is outside it or too long (naming its index)
     */
    public int getAll(MemorySegment keys, long[] offsets, int[] lengths, ValueView[] views, int count) {
        ensureOpen();
        Objects.requireNonNull(offsets, "offsets");
        Objects.requireNonNull(lengths, "lengths");
        caller.checkBatch(keys, views, Math.min(offsets.length, lengths.length), "offsets/lengths", count);
        caller.checkKeyRanges(keys, offsets, lengths, count);
        return lookupAll(batch.wrap(keys, offsets, lengths), views, count);
    }

    /** A copy of the value of {@code key}, or {@code null} if absent. Allocates; prefer {@link #get(byte[], ValueView)} on hot paths. */
    public byte[] getCopy(byte[] key) {
        return copyOf(checkedKey(key));
    }

    /** A copy of the value of {@code key}, or {@code null} if absent. */
    public byte[] getCopy(MemorySegment key) {
        return copyOf(checkedKey(key));
    }

    /** Whether {@code key} is present. */
    public boolean contains(byte[] key) {
        return core.locate(checkedKey(key)) != 0;
    }

    /** Whether {@code key} is present. */
    public boolean contains(MemorySegment key) {
        return core.locate(checkedKey(key)) != 0;
    }

    /** Whether the {@code length} bytes of {@code key} at {@code offset} are a present key. */
    public boolean contains(MemorySegment key, long offset, int length) {
        return core.locate(checkedKey(key, offset, length)) != 0;
    }

    /** Whether the {@code length} bytes of {@code key} at {@code offset} are a present key. */
    public boolean contains(DirectBuffer key, int offset, int length) {
        return core.locate(checkedKey(key, offset, length)) != 0;
    }

    /** Number of entries. */
    public long size() {
        ensureOpen();
        return core.state().map.size();
    }

    /** Off-heap bytes held: data pages, large-value segments, index tables (dictionary included). */
    public long memoryUsed() {
        ensureOpen();
        return core.state().budget.used();
    }

    /** The hard memory budget in bytes. */
    public long memoryBudget() {
        ensureOpen();
        return options.memoryBudget();
    }

    /** Number of distinct dictionary components (0 without dictionary encoding). */
    public int dictionarySize() {
        ensureOpen();
        return core.state().dictionary == null ? 0 : core.state().dictionary.size();
    }

    /** Whether {@link #close()} was called. */
    public boolean isClosed() {
        return closed;
    }

    // ---------------------------------------------------------------- writes

    /** Inserts or replaces {@code key} → {@code value}. */
    public void put(byte[] key, byte[] value) {
        checkUnmanaged();
        ByteSource k = checkedKey(key);
        try {
            core.put(k, caller.value(value));
        } finally {
            settle();
        }
    }

    /** Inserts or replaces {@code key} → {@code value} (whole segments). */
    public void put(MemorySegment key, MemorySegment value) {
        checkUnmanaged();
        ByteSource k = checkedKey(key);
        try {
            core.put(k, caller.value(value));
        } finally {
            settle();
        }
    }

    /** Inserts or replaces a key and value given as segment ranges. */
    public void put(MemorySegment key, long keyOffset, int keyLength, MemorySegment value, long valueOffset, int valueLength) {
        checkUnmanaged();
        ByteSource k = checkedKey(key, keyOffset, keyLength);
        try {
            core.put(k, caller.value(value, valueOffset, valueLength));
        } finally {
            settle();
        }
    }

    /** Inserts or replaces a key and value given as Agrona buffer ranges. */
    public void put(DirectBuffer key, int keyOffset, int keyLength, DirectBuffer value, int valueOffset, int valueLength) {
        checkUnmanaged();
        ByteSource k = checkedKey(key, keyOffset, keyLength);
        try {
            core.put(k, caller.value(value, valueOffset, valueLength));
        } finally {
            settle();
        }
    }

    /** Removes {@code key}; returns whether it was present. */
    public boolean delete(byte[] key) {
        checkUnmanaged();
        ByteSource k = checkedKey(key);
        try {
            return core.delete(k);
        } finally {
            settle();
        }
    }

    /** Removes {@code key}; returns whether it was present. */
    public boolean delete(MemorySegment key) {
        checkUnmanaged();
        ByteSource k = checkedKey(key);
        try {
            return core.delete(k);
        } finally {
            settle();
        }
    }

    /** Removes the key given as a segment range; returns whether it was present. */
    public boolean delete(MemorySegment key, long offset, int length) {
        checkUnmanaged();
        ByteSource k = checkedKey(key, offset, length);
        try {
            return core.delete(k);
        } finally {
            settle();
        }
    }

    /** Removes the key given as a buffer range; returns whether it was present. */
    public boolean delete(DirectBuffer key, int offset, int length) {
        checkUnmanaged();
        ByteSource k = checkedKey(key, offset, length);
        try {
            return core.delete(k);
        } finally {
            settle();
        }
    }

    // ---------------------------------------------------------------- snapshot, iteration, close

    /**
     * An independent copy of the whole store — entries, index, dictionary — in new off-heap memory
     * owned by the snapshot (not charged to this store's budget; close the snapshot to free it).
     * Writes to the store after this call never show in the snapshot.
     */
    public StoreSnapshot snapshot() {
        ensureOpen();
        StoreState copy;
        try {
            copy = core.state().copy(new MemoryBudget(name + " (snapshot)", Long.MAX_VALUE));
        } catch (RuntimeException e) {
            throw core.failure(e);
        }
        return new StoreSnapshot(name, options.pageShift(), options.dictionaryKeyComponent(), copy);
    }

    /**
     * Pins the store's current state as a full {@link StoreImage} for a checkpoint: every region
     * and the metadata. Starts a new change interval: the next incremental image is relative to
     * this one. Costs O(metadata + chunks) on the calling thread and copies no store bytes: the
     * image's reader copies them later, on its own thread, while this store goes on writing
     * (copy-on-write of 4 KiB chunks; see {@link StoreImage}). An image still open is first
     * completed (what it has not read is copied now). A file-backed store's chunks not yet checked
     * since open are checked first.
     *
     * @throws StoreClosedException if the store is closed
     * @throws io.offstate.offheap.CorruptStateException (or {@link CorruptStoreFileException}) if
     *         damage was found in the store: a damaged state is never imaged
     */
    public StoreImage image() {
        return image(false);
    }

    /**
     * As {@link #image()}, but carrying only the 64-byte lines written since the last image (see
     * {@link StoreImage}); a full image if there was none ({@link #imageToken()} is 0).
     *
     * @throws StoreClosedException if the store is closed
     * @throws io.offstate.offheap.CorruptStateException (or {@link CorruptStoreFileException}) if
     *         damage was found in the store
     */
    public StoreImage incrementalImage() {
        return image(true);
    }

    private StoreImage image(boolean incremental) {
        ensureOpen();
        if (core.isDamaged()) {
            throw persistence.refusal("store '" + name + "' is damaged: it cannot be checkpointed until restored or cleared");
        }
        long token;
        do {
            token = java.util.concurrent.ThreadLocalRandom.current().nextLong();
        } while (token == 0);
        boolean inc = incremental && imageToken != 0;
        StoreImage image;
        try {
            image = ImageCapture.capture(name, core.state(), options, persistence.flushMetadata(), inc, imageToken, token);
        } catch (RuntimeException e) {
            throw core.failure(e);
        }
        imageToken = token;
        return image;
    }

    /**
     * Token of the last {@link StoreImage} taken of this store (or of the image it was restored
     * from): an incremental image now would be relative to it; 0 if there is none (then
     * {@link #incrementalImage()} takes a full image).
     */
    public long imageToken() {
        ensureOpen();
        return imageToken;
    }

    /**
     * A new store rebuilt from an image's {@code metadata} and regions: in memory if
     * {@code directory} is null, else file-backed in {@code directory} (which must be empty or
     * absent), flushed once with the image's flush metadata. {@code source} is asked for each
     * region the metadata names. An in-memory store keeps the image's region names and gets
     * {@link #imageToken()} {@code token}, so that an incremental image of it continues the chain of
     * the image it came from (pass 0 to start a new chain); a file-backed one places its segments
     * in new files, so its next image is full (token 0). Structural options come from the metadata; name, budget and expected entries from
     * {@code options}.
     *
     * @throws IllegalArgumentException if {@code options} disagree with the image's structural
     *         options, or {@code directory} is not empty
     * @throws io.offstate.offheap.CorruptStateException if the metadata is malformed
     * @throws io.offstate.offheap.StoreFullException if the image exceeds the budget of {@code options}
     * @throws RuntimeException whatever {@code source} throws for a missing or damaged region
     *         (nothing is left open or allocated)
     */
    public static KeyValueStore restoreImage(Path directory, StoreOptions options, byte[] metadata,
                                             StoreImage.RegionSource source, long token) {
        Objects.requireNonNull(options, "options");
        Objects.requireNonNull(metadata, "metadata");
        Objects.requireNonNull(source, "source");
        if (directory != null && java.nio.file.Files.exists(directory)) {
            try (var entries = java.nio.file.Files.list(directory)) {
                if (entries.findAny().isPresent()) {
                    throw new IllegalArgumentException("cannot restore store '" + options.name() + "' into " + directory
                        + ": the directory is not empty");
                }
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }
        StoreState.Header header = StoreState.readHeader(metadata, options);
        io.offstate.offheap.memory.AnonymousBacking backing = new io.offstate.offheap.memory.AnonymousBacking();
        StoreState state = ImageCapture.rebuild(header, backing, source);
        if (directory == null) {
            KeyValueStore store = new KeyValueStore(header.options(), state, new InMemoryPersistence(backing, header.flushMetadata()));
            store.imageToken = token;
            return store;
        }
        KeyValueStore store = null;
        try {
            FilePersistence.Opened opened = FilePersistence.open(directory, header.options(), CommitObserver.NONE);
            store = new KeyValueStore(opened.options(), opened.state(), opened.persistence());
            store.core.replace(state.copy(new MemoryBudget(store.name, store.options.memoryBudget(), store.options.sharedBudget()),
                store.persistence.backing()), true);
            store.flush(header.flushMetadata());
            // the copy gave segments new file ids: region names differ from the image's, so the
            // chain cannot go on from it (the next image is full)
            store.imageToken = 0;
            return store;
        } catch (RuntimeException | Error e) {
            if (store != null) {
                store.closeWithoutFlush();
            }
            throw e;
        } finally {
            state.close();
        }
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
        checkUnmanaged();
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
        try {
            core.replace(source.copy(new MemoryBudget(name, options.memoryBudget(), options.sharedBudget()),
                persistence.backing()), true);
        } finally {
            settle();
        }
    }

    /**
     * Removes every entry (and every dictionary component): the store is as if just created, with
     * the same options, and holds the memory of an empty store. A file-backed store's files keep
     * the last flush until the next one. Invalidates every {@link ValueView} and cursor position.
     *
     * @throws io.offstate.offheap.StoreFullException if even an empty store's first index table
     *                                  exceeds the budget (store unchanged)
     * @throws StoreClosedException     if the store is closed
     */
    public void clear() {
        ensureOpen();
        checkUnmanaged();
        core.replace(StoreState.create(options, persistence.backing()), false);
        settle();
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
        final StoreState s = core.state();
        final long expected = core.version();
        final EntryReader reader = new EntryReader();
        final ValueView key = new ValueView();
        final ValueView value = new ValueView();
        final long positions = s.map.index().positions();
        for (long p = 0; p < positions; p++) {
            long address = s.map.index().addressAt(p);
            if (address == 0) {
                continue;
            }
            MemorySegment k;
            MemorySegment v;
            try {
                reader.key(this, expected, s, address, key);
                EntryReader.value(this, expected, s.memory, address, value);
                k = key.segment();
                v = value.segment();
            } catch (RuntimeException e) {
                throw core.failure(e);
            }
            visitor.accept(k, v); // outside the try: the visitor's own exceptions are not damage
            if (core.version() != expected || closed) {
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
     * Checks every internal structure, O(n), reading only: the allocator (free lists within live
     * pages, no cycles, page totals), the hash index (each slot's address, Robin Hood distance, home
     * and fingerprint; no duplicate keys; counts), every entry (decodes, lies within its block, no
     * overlap; dictionary codes registered), the dictionary (dense codes, both directions agree) and,
     * with a sorted index, that it holds exactly the store's keys, in order, with consistent nodes,
     * links and separators. A file-backed store's chunks are checked against their checksums as they
     * are read. Meant for tests and for checking a store after a suspected fault; changes nothing
     * (but a store found damaged refuses writes from then on, as after any damage).
     *
     * @throws io.offstate.offheap.CorruptStateException naming the store and the first broken invariant
     *         ({@link io.offstate.offheap.CorruptStoreFileException} for a file-backed store)
     */
    public void verify() {
        ensureOpen();
        try {
            core.state().verify(name);
        } catch (RuntimeException e) {
            throw core.failure(e);
        }
    }

    // ---------------------------------------------------------------- files

    /**
     * Starts a background scrub of this store's files: a daemon thread that re-reads every committed
     * chunk, round after round, at most {@code bytesPerSecond} bytes per second, and hands each bad
     * chunk it finds to {@code listener} (on the scrub thread) as a
     * {@link io.offstate.offheap.CorruptStoreFileException} naming the file and offset. The store
     * keeps working meanwhile; {@link #close()} stops the scrub first. Reads that touch damaged
     * bytes throw whether or not the scrub has reported them: the scrub finds damage early, it is not
     * what prevents damage from being served.
     *
     * @param bytesPerSecond the rate, &gt; 0 (for example 8 MiB/s re-reads a 1 GiB store every two minutes)
     * @param listener       told of each bad chunk; should return quickly and must not call this store
     *                       (it is owned by another thread); what it throws is counted and ignored
     * @return the running scrub, to watch or {@link BackgroundScrub#stop() stop} it
     * @throws NullPointerException     if {@code listener} is null
     * @throws IllegalArgumentException if {@code bytesPerSecond} is not positive
     * @throws IllegalStateException    if the store is in memory, or a scrub of it is already running
     * @throws StoreClosedException     if the store is closed
     */
    public BackgroundScrub scrubInBackground(long bytesPerSecond, Consumer<? super StoreFileException> listener) {
        ensureOpen();
        Objects.requireNonNull(listener, "listener");
        if (bytesPerSecond <= 0) {
            throw new IllegalArgumentException("bytesPerSecond must be positive: " + bytesPerSecond);
        }
        if (!persistence.isFileBacked()) {
            throw new IllegalStateException("store '" + name + "' is in memory: it has no files to scrub");
        }
        if (scrub != null && scrub.isRunning()) {
            throw new IllegalStateException("store '" + name + "' is already being scrubbed: " + scrub);
        }
        BackgroundScrub started = new BackgroundScrub(persistence, name, bytesPerSecond, listener);
        started.start();
        scrub = started;
        return started;
    }

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
        checkUnmanaged();
        core.ensureWritable();
        persistence.flush(core, options, persistence.flushMetadata());
    }

    /**
     * As {@link #flush()}, committing {@code metadata} with it: the caller's bytes (a change-log
     * offset, a log position, input offsets) become durable atomically with the data, and
     * {@link #lastFlushMetadata()} returns them, also after a reopen or a crash that kept this
     * flush. A {@link #flush()} without metadata keeps the last metadata. In memory nothing is
     * written, but the metadata is recorded all the same.
     *
     * @throws NullPointerException     if {@code metadata} is null
     * @throws IllegalArgumentException if it exceeds {@value #MAX_FLUSH_METADATA} bytes (nothing flushed)
     * @throws StoreClosedException     if the store is closed
     * @throws java.io.UncheckedIOException as for {@link #flush()}
     */
    public void flush(byte[] metadata) {
        ensureOpen();
        checkUnmanaged();
        Objects.requireNonNull(metadata, "metadata");
        if (metadata.length > MAX_FLUSH_METADATA) {
            throw new IllegalArgumentException("flush metadata of " + metadata.length + " bytes exceeds the maximum of "
                + MAX_FLUSH_METADATA + " bytes (store '" + name + "')");
        }
        core.ensureWritable();
        persistence.flush(core, options, metadata.clone());
    }

    /**
     * A copy of the metadata of the last completed {@link #flush(byte[])} (carried by later plain
     * flushes and across reopens); empty if no flush carried any.
     *
     * @throws StoreClosedException if the store is closed
     */
    public byte[] lastFlushMetadata() {
        ensureOpen();
        return persistence.flushMetadata().clone();
    }

    /**
     * The generation of the last completed flush of this store's directory: 1 once created, plus
     * one per {@link #flush()} (also an empty one) and {@link #close()}, carried across reopens.
     * 0 for an in-memory store.
     */
    public long flushGeneration() {
        ensureOpen();
        return persistence.generation();
    }

    /** Whether this store is file-backed ({@link #open}) rather than in memory ({@link #create}). */
    public boolean isPersistent() {
        ensureOpen();
        return persistence.isFileBacked();
    }

    /** The directory of a file-backed store (absolute), or null for an in-memory store. */
    public Path directory() {
        ensureOpen();
        return persistence.directory();
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
        if (!core.isDamaged()) {
            flush();
        } else {
            ensureOpen(); // a damaged store is not flushed (that would write the damage back); its files are checked as they are
        }
        persistence.verifyFiles();
    }

    /**
     * The store's figures now: entries, memory, pages, hash index capacity, load and growth,
     * sorted-index nodes, dictionary size, flushes and the last flush's bytes and duration,
     * dirty chunks and mappings. Allocates one small record; O(sorted-index nodes) with a sorted
     * index (its nodes are counted by a walk), O(1) otherwise. Not for hot paths.
     *
     * @throws StoreClosedException if the store is closed
     */
    public StoreStats stats() {
        ensureOpen();
        StoreState s = core.state();
        long capacity = s.map.index().capacity();
        long sortedNodes;
        try {
            sortedNodes = s.sorted == null ? 0 : s.sorted.nodes();
        } catch (RuntimeException e) {
            throw core.failure(e);
        }
        return new StoreStats(s.map.size(), s.budget.used(), options.memoryBudget(), s.memory.normalPages(),
            s.memory.pageSize(), s.memory.largeBytes(), capacity, (double) s.map.index().size() / capacity,
            s.map.index().isMigrating(), sortedNodes,
            s.dictionary == null ? 0 : s.dictionary.size(), persistence.flushes(), persistence.generation(),
            persistence.lastFlushBytes(), persistence.lastFlushNanos(), persistence.dirtyChunks(), persistence.mappings());
    }

    /**
     * Makes {@code newOwner} the only thread allowed to use this store (and its views and cursors)
     * from now on: the explicit way to move a store with a task. Called by the owner; or by any
     * thread once the owner has terminated (so that a store whose thread died can still be closed).
     * The caller must publish the store to {@code newOwner} with a happens-before edge (a queue, a
     * lock), as for any object handed between threads.
     *
     * @throws NullPointerException  if {@code newOwner} is null
     * @throws WrongThreadException  if called by another thread while the owner is alive (nothing changed)
     * @throws StoreClosedException if the store is closed
     */
    public void handOverTo(Thread newOwner) {
        Objects.requireNonNull(newOwner, "newOwner");
        Thread o = owner;
        if (Thread.currentThread() != o && o.isAlive()) {
            throw wrongThread();
        }
        if (closed) {
            throw new StoreClosedException("store '" + name + "'");
        }
        owner = newOwner;
    }

    /**
     * The thread allowed to use this store now (see {@link #handOverTo}); callable from any thread.
     *
     * @throws StoreClosedException if the store is closed
     */
    public Thread owner() {
        if (closed) {
            throw new StoreClosedException("store '" + name + "'");
        }
        return owner;
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
        ensureOpen();
        checkUnmanaged();
        if (core.isDamaged()) {
            release(); // flushing would write the damage back; the last flush stays on disk
            return;
        }
        try {
            flush();
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
            ensureOpen();
            checkUnmanaged();
            release();
        }
    }

    private void release() {
        closed = true;
        BackgroundScrub running = scrub;
        if (running != null) {
            scrub = null;
            running.stop(); // before the files go: the scrub thread reads them
        }
        try {
            core.close();
        } finally {
            persistence.close();
        }
    }

    // ---------------------------------------------------------------- internals

    /**
     * The partition of the {@link StateManager} this store belongs to (as carried by
     * {@link ChangeRecord#partition()}), or -1 for a store of its own.
     */
    public int partition() {
        ensureOpen();
        return partition;
    }

    /** Whether a {@link StateManager} manages this store (then its writes go through {@link StatePartition#begin()}). */
    public boolean isManaged() {
        ensureOpen();
        return managedBy != null;
    }

    /** Marks this store as managed by {@code description} (a partition of a manager), or frees it (null). */
    void manage(int partition, String description) {
        this.partition = description == null ? -1 : partition;
        this.managedBy = description;
    }

    /** Ends a write: a shared budget gets back what the write held beyond its use. */
    private void settle() {
        core.state().budget.settle();
    }

    private void checkUnmanaged() {
        if (managedBy != null) {
            throw new IllegalStateException("store '" + name + "' belongs to " + managedBy
                + ": write it through that partition's transactions (StatePartition.begin()); the manager flushes"
                + " and closes it (StatePartition.flush(), StateManager.revoke/close)");
        }
    }

    /** A put of a {@link BulkRestore}: checked as {@link #put(byte[], byte[])}, bypassing the managed-store guard. */
    void restorePut(byte[] key, byte[] value) {
        ByteSource k = checkedKey(key);
        try {
            core.put(k, caller.value(value));
        } finally {
            settle();
        }
    }

    /** A put of a {@link BulkRestore}, of segment ranges; bypasses the managed-store guard. */
    void restorePut(MemorySegment key, long keyOffset, int keyLength, MemorySegment value, long valueOffset, int valueLength) {
        ByteSource k = checkedKey(key, keyOffset, keyLength);
        try {
            core.put(k, caller.value(value, valueOffset, valueLength));
        } finally {
            settle();
        }
    }

    /** A delete of a {@link BulkRestore}; bypasses the managed-store guard. */
    boolean restoreDelete(byte[] key) {
        ByteSource k = checkedKey(key);
        try {
            return core.delete(k);
        } finally {
            settle();
        }
    }

    /** A delete of a {@link BulkRestore}, of a segment range; bypasses the managed-store guard. */
    boolean restoreDelete(MemorySegment key, long offset, int length) {
        ByteSource k = checkedKey(key, offset, length);
        try {
            return core.delete(k);
        } finally {
            settle();
        }
    }

    /**
     * Sizes the hash index of an empty store for {@code entries} keys at once (see
     * {@link io.offstate.offheap.index.HashIndex#reserve}); returns whether it grew it. Best effort:
     * a store that is not empty, or whose budget cannot hold the larger table, is left as it is.
     */
    boolean reserveForRestore(long entries) {
        ensureOpen();
        core.ensureWritable();
        StoreState s = core.state();
        if (s.map.size() != 0 || entries <= 0) {
            return false;
        }
        long capped = Math.min(entries, io.offstate.offheap.index.HashIndex.MAX_EXPECTED_ENTRIES);
        long before = s.map.index().capacity();
        try {
            s.map.index().reserve(capped);
            if (s.map.index().capacity() == before) {
                return false; // large enough already
            }
            core.invalidate();
            return true;
        } catch (io.offstate.offheap.StoreFullException e) {
            return false;
        } catch (RuntimeException e) {
            throw core.failure(e);
        } finally {
            settle();
        }
    }

    /** Flushes with {@code metadata} (kept as given) for the manager, bypassing the managed-store guard. */
    void flushManaged(byte[] metadata) {
        ensureOpen();
        core.ensureWritable();
        persistence.flush(core, options, metadata);
    }

    /** Closes for the manager: as {@link #close()} with {@code metadata} as the last flush's, bypassing the guard. */
    void closeManaged(byte[] metadata) {
        if (closed) {
            return;
        }
        ensureOpen();
        managedBy = null;
        if (core.isDamaged()) {
            release();
            return;
        }
        try {
            if (metadata != null) {
                flushManaged(metadata);
            } else {
                flush();
            }
        } finally {
            release();
        }
    }

    /** Closes without flushing for the manager (a failed assign), bypassing the guard. */
    void closeManagedWithoutFlush() {
        managedBy = null;
        if (!closed) {
            ensureOpen();
            release();
        }
    }

    /**
     * A counter that changes with every write to the store (put, delete, commit, restore, clear):
     * equal values mean nothing was written in between. Lets a caller cache what it read. Answers
     * after close too (it then never changes).
     */
    public long version() {
        return core.version();
    }

    StoreState state() {
        return core.state();
    }

    /** The store's name (from its options; "" if none was given), for messages; answers after close too. */
    public String name() {
        return name;
    }

    /** The one write path, for transactions (see {@link Transaction#commit(byte[])}). */
    StoreCore core() {
        return core;
    }

    /** The positions the last committed transaction carried (the array itself; callers copy). */
    byte[] committedPositions() {
        return committedPositions;
    }

    /** Records {@code positions} (owned by the store from now on) as the last committed transaction's. */
    void committedPositions(byte[] positions) {
        this.committedPositions = positions;
    }

    /** What to throw for {@code e} raised while reading the store (see {@link StoreCore#failure}). */
    RuntimeException failure(RuntimeException e) {
        return core.failure(e);
    }

    /** Installs {@code observer} to see every change applied from now on (null: none). */
    void observer(WriteObserver observer) {
        ensureOpen();
        core.observer(observer);
    }

    /** Every call but {@link #isClosed()} starts here: the store must be open and called by its owner. */
    void ensureOpen() {
        if (Thread.currentThread() != owner) {
            throw wrongThread();
        }
        if (closed) {
            throw new StoreClosedException("store '" + name + "'");
        }
    }

    private WrongThreadException wrongThread() {
        Thread o = owner;
        Thread t = Thread.currentThread();
        return new WrongThreadException("store '" + name + "' is owned by thread '" + o.getName() + "' (id " + o.threadId()
            + "), but was called from thread '" + t.getName() + "' (id " + t.threadId()
            + "); the owner hands it to another thread with handOverTo(thread)");
    }

    private boolean lookup(ByteSource k, ValueView view) {
        Objects.requireNonNull(view, "view");
        long address = core.locate(k);
        if (address == 0) {
            view.clear();
            return false;
        }
        try {
            EntryReader.value(this, core.version(), core.state().memory, address, view);
        } catch (RuntimeException e) {
            throw core.failure(e);
        }
        return true;
    }

    private void checkSameLength(Object keys, int keysLength, ValueView[] views) {
        Objects.requireNonNull(keys, "keys");
        Objects.requireNonNull(views, "views");
        if (keysLength != views.length) {
            throw new IllegalArgumentException("getAll needs one view per key: " + keysLength + " keys, " + views.length
                + " views (store '" + name + "')");
        }
    }

    /**
     * The batched lookup behind every {@code getAll}, its inputs already checked: groups of
     * {@link #BATCH_GROUP} keys through {@link StoreCore#locateAll}, each view filled (or cleared)
     * from the group's addresses and value spans.
     */
    private int lookupAll(KeyBatch keys, ValueView[] views, int count) {
        if (batchAddresses == null) {
            batchAddresses = new long[BATCH_GROUP];
            batchSpans = new long[BATCH_GROUP];
        }
        final long[] addresses = batchAddresses;
        final long[] spans = batchSpans;
        final long version = core.version();
        final PagedMemory memory = core.state().memory;
        int hits = 0;
        try {
            for (int start = 0; start < count; start += BATCH_GROUP) {
                final int n = Math.min(BATCH_GROUP, count - start);
                core.locateAll(keys, start, n, addresses, spans);
                for (int j = 0; j < n; j++) {
                    final long address = addresses[j];
                    final ValueView view = views[start + j];
                    if (address == 0) {
                        view.clear();
                    } else {
                        final long span = spans[j];
                        view.set(this, version, memory.readOnlyPage(address),
                            memory.offset(address) + EntryDescriptor.spanOffset(span), EntryDescriptor.spanLength(span));
                        hits++;
                    }
                }
            }
        } catch (RuntimeException e) {
            throw core.failure(e);
        } finally {
            keys.clear();
        }
        return hits;
    }

    private byte[] copyOf(ByteSource k) {
        return lookup(k, copyView) ? copyView.toByteArray() : null;
    }

    private ByteSource checkedKey(byte[] k) {
        ensureOpen();
        return caller.key(k);
    }

    private ByteSource checkedKey(MemorySegment k) {
        ensureOpen();
        return caller.key(k);
    }

    private ByteSource checkedKey(MemorySegment k, long offset, int length) {
        ensureOpen();
        return caller.key(k, offset, length);
    }

    private ByteSource checkedKey(DirectBuffer k, int offset, int length) {
        ensureOpen();
        return caller.key(k, offset, length);
    }

    /** The key component used for dictionary encoding, or null. */
    KeyComponent keyComponent() {
        return options.dictionaryKeyComponent();
    }
}
