package io.offstate.jmh;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.IntFunction;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.Cache;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.CompressionType;
import org.rocksdb.DataBlockIndexType;
import org.rocksdb.EnvOptions;
import org.rocksdb.Filter;
import org.rocksdb.InfoLogLevel;
import org.rocksdb.IngestExternalFileOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.SstFileWriter;
import org.rocksdb.WriteOptions;

/**
 * One RocksDB instance as the benchmarks' peer: opened in a fresh temporary directory, configured
 * the way a careful user tunes it for an in-memory point-lookup workload, and deleted again by
 * {@link #close()}. Not thread-safe; one per benchmark state.
 *
 * <p>Configuration (the same for every RocksDB benchmark, stated in the summary):
 * <ul>
 *   <li>write-ahead log disabled ({@code WriteOptions.setDisableWAL(true)}), no sync: offstate
 *       does not persist either;</li>
 *   <li>a block cache ({@code LRUCache}) large enough to hold every data block of the data set
 *       ({@link #cacheBytesFor}), index and filter blocks held by the table readers (not in the
 *       cache, so they are never evicted), no compression;</li>
 *   <li>a 10-bit-per-key Bloom filter on whole keys, also for the memtable
 *       ({@code memtable_prefix_bloom_size_ratio=0.1}, {@code memtable_whole_key_filtering}), and the
 *       data-block hash index ({@code kDataBlockBinaryAndHash}) for point lookups;</li>
 *   <li>reads skip checksum verification ({@code ReadOptions.setVerifyChecksums(false)});</li>
 *   <li>the initial data set is bulk-loaded ({@link #bulkLoad}): written in key order into SST files
 *       of at most 64 MiB with {@code SstFileWriter} (same table options) and ingested into the
 *       bottom level, the shape a full compaction leaves (no overlapping L0 files, no memtable),
 *       the best case for reads; then one full scan puts every data block into the block cache.</li>
 * </ul>
 * Everything else is RocksDB 11's default (64 MiB memtable, leveled compaction, 2 background jobs).
 */
final class RocksDbStore implements AutoCloseable {
    private static final long SST_FILE_BYTES = 64L << 20;

    /** The temporary directory: the database in {@code db/}, bulk-load files staged in {@code bulk/}. */
    final Path root;
    final Path dir;
    final RocksDB db;
    final ReadOptions read;
    final WriteOptions write;
    private final Options options;
    private final Cache cache;
    private final Filter filter;

    private RocksDbStore(Path root, long cacheBytes) throws RocksDBException {
        this.root = root;
        this.dir = root.resolve("db");
        RocksDB.loadLibrary();
        Cache c = null;
        Filter f = null;
        Options o = null;
        ReadOptions r = null;
        WriteOptions w = null;
        RocksDB d = null;
        try {
            c = new LRUCache(cacheBytes);
            f = new BloomFilter(10, false);
            BlockBasedTableConfig table = new BlockBasedTableConfig()
                .setBlockCache(c)
                .setFilterPolicy(f)
                .setWholeKeyFiltering(true)
                .setCacheIndexAndFilterBlocks(false)
                .setDataBlockIndexType(DataBlockIndexType.kDataBlockBinaryAndHash)
                .setDataBlockHashTableUtilRatio(0.75);
            o = new Options()
                .setCreateIfMissing(true)
                .setTableFormatConfig(table)
                .setCompressionType(CompressionType.NO_COMPRESSION)
                .setBottommostCompressionType(CompressionType.NO_COMPRESSION)
                .setMemtablePrefixBloomSizeRatio(0.1)
                .setMemtableWholeKeyFiltering(true)
                .setInfoLogLevel(InfoLogLevel.WARN_LEVEL)
                .setStatsDumpPeriodSec(0);
            r = new ReadOptions().setVerifyChecksums(false);
            w = new WriteOptions().setDisableWAL(true);
            d = RocksDB.open(o, dir.toString());
        } catch (RocksDBException | RuntimeException | Error e) {
            closeAll(d, r, w, o, f, c);
            throw e;
        }
        this.cache = c;
        this.filter = f;
        this.options = o;
        this.read = r;
        this.write = w;
        this.db = d;
    }

    /**
     * Opens a new, empty RocksDB in a fresh temporary directory. Loads the native library first; a
     * platform without it fails here with the loader's error.
     */
    static RocksDbStore open(long cacheBytes) throws IOException, RocksDBException {
        Path root = Files.createTempDirectory("offstate-rocksdb-");
        try {
            return new RocksDbStore(root, cacheBytes);
        } catch (RocksDBException | RuntimeException | Error e) {
            deleteRecursively(root);
            throw e;
        }
    }

    /**
     * Loads {@code keys[i] -> value.apply(i)} for every {@code i} into this (empty) database as
     * sorted SST files ingested into the bottom level, then scans everything once to fill the block
     * cache. Returns the number of entries the scan saw.
     */
    long bulkLoad(byte[][] keys, IntFunction<byte[]> value) throws RocksDBException, IOException {
        int[] order = sortedOrder(keys);
        Path staging = Files.createDirectories(root.resolve("bulk"));
        List<String> files = new ArrayList<>();
        try (EnvOptions env = new EnvOptions()) {
            SstFileWriter writer = null;
            long bytes = 0;
            try {
                for (int i : order) {
                    if (writer == null) {
                        writer = new SstFileWriter(env, options);
                        String file = staging.resolve("bulk-" + files.size() + ".sst").toString();
                        writer.open(file);
                        files.add(file);
                        bytes = 0;
                    }
                    byte[] v = value.apply(i);
                    writer.put(keys[i], v);
                    bytes += keys[i].length + v.length;
                    if (bytes >= SST_FILE_BYTES) {
                        writer.finish();
                        writer.close();
                        writer = null;
                    }
                }
                if (writer != null) {
                    writer.finish();
                }
            } finally {
                if (writer != null) {
                    writer.close();
                }
            }
        }
        try (IngestExternalFileOptions ingest = new IngestExternalFileOptions().setMoveFiles(true)) {
            db.ingestExternalFile(files, ingest);
        }
        long seen = 0;
        try (RocksIterator it = db.newIterator(read)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                seen++;
            }
            it.status();
        }
        return seen;
    }

    /**
     * The indices of {@code keys} in unsigned lexicographic order of the keys (RocksDB's default
     * comparator). Sorts a {@code long[]} of (first key bytes, index) instead of boxed indices with
     * a comparator, which took seconds per fork at 1M keys; runs of equal truncated prefixes are then
     * ordered by the whole key.
     */
    static int[] sortedOrder(byte[][] keys) {
        int n = keys.length;
        int indexBits = 32 - Integer.numberOfLeadingZeros(Math.max(1, n - 1));
        long indexMask = (1L << indexBits) - 1;
        long[] packed = new long[n];
        for (int i = 0; i < n; i++) {
            long prefix = 0;
            byte[] k = keys[i];
            for (int b = 0; b < 8; b++) {
                prefix = prefix << 8 | (b < k.length ? k[b] & 0xFF : 0);
            }
            // truncated prefix above, index below; flipping the sign bit makes signed order unsigned
            packed[i] = ((prefix >>> indexBits) << indexBits | i) ^ Long.MIN_VALUE;
        }
        Arrays.sort(packed);
        int[] order = new int[n];
        for (int i = 0; i < n; i++) {
            order[i] = (int) (packed[i] & indexMask);
        }
        int start = 0;
        for (int i = 1; i <= n; i++) {
            if (i == n || packed[i] >>> indexBits != packed[start] >>> indexBits) {
                if (i - start > 1) {
                    Integer[] run = new Integer[i - start];
                    for (int j = 0; j < run.length; j++) {
                        run[j] = order[start + j];
                    }
                    Arrays.sort(run, (a, b) -> Arrays.compareUnsigned(keys[a], keys[b]));
                    for (int j = 0; j < run.length; j++) {
                        order[start + j] = run[j];
                    }
                }
                start = i;
            }
        }
        return order;
    }

    /** A block cache that holds all data blocks of {@code keys} entries of this shape, with room to spare. */
    static long cacheBytesFor(long keys, int keyLength, int valueLength) {
        return keys * (keyLength + valueLength + 64L) * 3 / 2 + (64L << 20);
    }

    /**
     * New column-family options with this store's configuration (table options with the block cache
     * and Bloom filter, no compression, memtable Bloom filter), for a peer that keeps one column family
     * per time segment ({@link RocksDbWindowBenchmark}); the caller closes them after its column families.
     */
    ColumnFamilyOptions newColumnFamilyOptions() {
        return new ColumnFamilyOptions(options);
    }

    long property(String name) throws RocksDBException {
        return db.getLongProperty(name);
    }

    /**
     * Memory RocksDB itself holds for the data, in bytes: block cache in use + table readers (index
     * and filter blocks) + memtables. Excludes the OS page cache over the SST files.
     */
    long residentBytes() throws RocksDBException {
        return property("rocksdb.block-cache-usage")
            + property("rocksdb.estimate-table-readers-mem")
            + property("rocksdb.cur-size-all-mem-tables");
    }

    /** Bytes of all live SST files on disk. */
    long sstBytes() throws RocksDBException {
        return property("rocksdb.total-sst-files-size");
    }

    @Override
    public void close() {
        closeAll(db, read, write, options, filter, cache);
        deleteRecursively(root);
    }

    private static void closeAll(AutoCloseable... resources) {
        for (AutoCloseable r : resources) {
            if (r == null) {
                continue;
            }
            try {
                r.close();
            } catch (Exception e) {
                System.out.println("[offstate-jmh] closing " + r.getClass().getSimpleName() + ": " + e);
            }
        }
    }

    static void deleteRecursively(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            System.out.println("[offstate-jmh] cannot delete " + dir + ": " + e);
        }
    }
}
