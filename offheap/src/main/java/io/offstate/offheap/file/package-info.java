/**
 * File-backed stores: a store directory whose files are mapped as the store's memory, so a
 * store reopens without rebuilding anything and may hold more than RAM.
 *
 * <h2>Why private mappings and a page-image journal</h2>
 * A store's pages, hash tables and large blocks are mapped from files with
 * {@link java.nio.channels.FileChannel.MapMode#PRIVATE MapMode.PRIVATE}: reads come straight from
 * the page cache (nothing is loaded at open), while writes stay private to the process, so the
 * operating system can never write a half-finished state back to the files behind our back. The
 * memory layer records every changed 4 KiB chunk ({@link io.offstate.offheap.memory.MappedRegion}),
 * and a flush ({@link io.offstate.offheap.file.StoreFiles#commit}) copies exactly those chunks:
 * <ol>
 *   <li>into the older of two journals, {@code journal-0}/{@code journal-1} (an A/B root as LMDB
 *       has, but carrying the page images, like a database's double-write buffer), together with
 *       the store's metadata (allocator state, index roots, file list) and CRC32C checksums,
 *       forced to disk; then the journal's header, forced too: this is the commit point (two
 *       forces, so that a power cut can never leave a valid header over records that did not
 *       reach the disk);</li>
 *   <li>then in place into the data files, which are forced; the journal is then marked applied,
 *       and the chunks are mapped again, so they become clean file pages the OS may evict.</li>
 * </ol>
 * Recovery on open takes the newest journal whose checksums hold and, unless it is marked
 * applied, writes its chunks again (idempotent). A crash before the commit point leaves the
 * previous journal newest, whose state the data files still hold exactly, because nothing is
 * written in place before a commit point. Open time is therefore independent of the number of
 * entries: it reads two journal headers and the metadata, and maps the files.
 *
 * <p>The alternative considered, shadow paging (copy-on-write pages per epoch behind a page
 * table), needs no second write of each chunk, but every write into a page shared with the last
 * commit must first copy the page, and every index and allocator would have to be taught to
 * relocate pages; private mappings give the same isolation from the kernel for free, and the
 * journal write is sequential. The cost is writing each dirty chunk twice per flush.
 *
 * <h2>Extents</h2>
 * Normal pages are mapped in extents (up to 256 pages or 64 MiB, one {@code FileChannel.map} and
 * one shared arena each), not one by one: Linux caps a process's mappings
 * ({@code vm.max_map_count}), opening maps each extent once, and a flush maps each written extent
 * again at once (so written pages become clean file pages, not private copies). Remapping an
 * extent also drops the mapped pages of its clean pages, which fault in again from the page cache
 * when next read; that is the price of one mapping per extent.
 *
 * <h2>Checksums and damage</h2>
 * Journal headers and metadata are checked at every open, and so is their agreement with each
 * other and with the files (a stale journal copied back into the directory is refused). Each 4 KiB
 * data chunk has a CRC32C in a {@code .sum} file beside its data file, written with the chunk.
 * Opening reads no data chunk; instead every region mapped from a committed file is checked on
 * first touch (a page or large block whole, a hash table chunk by chunk) before any of its bytes is
 * served. {@link io.offstate.offheap.file.StoreFiles#verify()} re-reads every chunk from the files,
 * and {@link io.offstate.offheap.file.StoreFiles#scrub} does the same a share at a time from a
 * background thread. {@code FORMAT.md} ("What is checked when") has the full list. Damage
 * throws {@link io.offstate.offheap.CorruptStoreFileException} naming the file and offset; a newer
 * format throws {@link io.offstate.offheap.UnsupportedFormatVersionException}. The byte layout is
 * described in {@code offheap/FORMAT.md}.
 *
 * <h2>Classes</h2>
 * {@link io.offstate.offheap.file.StoreFiles} is the facade a store uses; behind it, one concept
 * per class (all single writer, owned by one {@code StoreFiles}, except where noted):
 * <ul>
 *   <li>{@code DirectoryLock}: the OS lock on {@code offstate.lock} plus this process's registry of
 *       open directories (an OS lock belongs to the process, so a second open in the same process is
 *       refused before it opens the lock file, whose closing would drop the first store's lock);</li>
 *   <li>{@code FileNames}: the name of every file in the directory, defined once;</li>
 *   <li>{@link io.offstate.offheap.file.JournalDescriptor} and {@code ChunkSumDescriptor}: the bytes
 *       of a journal and of a checksum file, drawn in their Javadoc; {@code FileTable}: the file list
 *       each commit records after the store's metadata;</li>
 *   <li>{@code JournalWriter} and {@code JournalReader} (into a {@code Journal}): the journal codec;</li>
 *   <li>{@code CommitProtocol}: the steps of a commit (reported to a
 *       {@link io.offstate.offheap.file.CommitObserver} as
 *       {@link io.offstate.offheap.file.CommitStep}s), writing {@code DirtyRun}s into the journal and
 *       then in place through {@code DataChannels};</li>
 *   <li>{@code Recovery}: newest committed journal, replay of an unapplied one, orphan deletion;</li>
 *   <li>{@code RegionMapper}: extents, segment files, mapping counts, remapping after a commit;</li>
 *   <li>{@code StoredChunkChecker}: the first-touch check of one reopened region;</li>
 *   <li>{@code Scrubber}: {@code scrub()}, the one part that runs on another thread (it shares a
 *       lock with the in-place writes of a commit);</li>
 *   <li>{@code ChunkVerifier}: {@code verify()}; {@code ChannelIo}: positional I/O helpers.</li>
 * </ul>
 */
package io.offstate.offheap.file;
