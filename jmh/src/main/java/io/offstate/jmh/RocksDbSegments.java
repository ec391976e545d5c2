package io.offstate.jmh;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import org.rocksdb.ColumnFamilyDescriptor;
import org.rocksdb.ColumnFamilyHandle;
import org.rocksdb.ColumnFamilyOptions;
import org.rocksdb.DirectSlice;
import org.rocksdb.FlushOptions;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;

/**
 * Kafka Streams' time segments ({@code AbstractSegments} under {@code RocksDBSegmentedBytesStore})
 * on one {@link RocksDbStore}: one column family per segment, {@code segment id = time / interval},
 * in a ring of {@value #SLOTS} slots indexed by segment id, plus stream time and the retention
 * horizon. Kafka Streams keeps one RocksDB instance per segment; here a segment is a column family
 * of one database (same key order, same per-segment files and memtables, one block cache), created
 * with the store's own options ({@link RocksDbStore#newColumnFamilyOptions}). The peers of the
 * window, session, versioned and windowed-count benchmarks share it; the key layout is theirs.
 *
 * <p>Not thread-safe: one per benchmark state. {@link #close()} closes the handles and the database
 * and deletes its directory.
 */
class RocksDbSegments implements AutoCloseable {
    /** Column-family slots, a power of two above the live segments (at most 8 at once in these benchmarks). */
    static final int SLOTS = 16;

    final RocksDbStore rocks;
    final long retention;
    final long interval;
    private final ColumnFamilyOptions cfOptions;
    private final ColumnFamilyHandle[] handles = new ColumnFamilyHandle[SLOTS];
    private final long[] ids = new long[SLOTS];
    /** Column families beside the segments (the versioned peer's latest-value store). */
    private ColumnFamilyHandle[] extra = new ColumnFamilyHandle[0];
    /** The largest time a put has seen (Kafka's observedStreamTime); -1 before the first. */
    long streamTime = -1;

    /**
     * A new, empty database in a temporary directory whose block cache holds {@code entries} entries
     * of {@code keyBytes} + {@code valueBytes} bytes.
     */
    RocksDbSegments(long entries, int keyBytes, int valueBytes, long retention, long interval) throws Exception {
        this.rocks = RocksDbStore.open(RocksDbStore.cacheBytesFor(entries, keyBytes, valueBytes));
        this.cfOptions = rocks.newColumnFamilyOptions();
        this.retention = retention;
        this.interval = interval;
    }

    long segmentId(long time) {
        return time / interval;
    }

    /** The earliest live time: {@code streamTime - retention + 1}, at least 0. */
    long horizon() {
        return Math.max(0, streamTime - retention + 1);
    }

    /** The column family of segment {@code id}, or null if it does not exist (never made or dropped). */
    ColumnFamilyHandle segment(long id) {
        int slot = (int) (id & (SLOTS - 1));
        return handles[slot] != null && ids[slot] == id ? handles[slot] : null;
    }

    /**
     * Kafka's put path ({@code getOrCreateSegmentIfLive}): raises stream time to {@code time}, then
     * returns the segment of {@code time}, created if needed, or null if {@code time} is behind the
     * horizon (Kafka Streams drops such a record).
     */
    ColumnFamilyHandle liveSegment(long time) throws RocksDBException {
        streamTime = Math.max(streamTime, time);
        if (time < horizon()) {
            return null;
        }
        long id = segmentId(time);
        ColumnFamilyHandle h = segment(id);
        return h != null ? h : create(id);
    }

    private ColumnFamilyHandle create(long id) throws RocksDBException {
        int slot = (int) (id & (SLOTS - 1));
        if (handles[slot] != null) {
            throw new IllegalStateException("segment slot " + slot + " still holds segment " + ids[slot]);
        }
        handles[slot] = column("segment-" + id);
        ids[slot] = id;
        return handles[slot];
    }

    /** A column family beside the segments, with the same options; closed by {@link #close()}. */
    ColumnFamilyHandle extraColumnFamily(String name) throws RocksDBException {
        ColumnFamilyHandle h = column(name);
        extra = Arrays.copyOf(extra, extra.length + 1);
        extra[extra.length - 1] = h;
        return h;
    }

    private ColumnFamilyHandle column(String name) throws RocksDBException {
        return rocks.db.createColumnFamily(new ColumnFamilyDescriptor(name.getBytes(StandardCharsets.US_ASCII), cfOptions));
    }

    /** Drops segment {@code id} whole ({@code dropColumnFamily}) and closes its handle. */
    void drop(long id) throws RocksDBException {
        int slot = (int) (id & (SLOTS - 1));
        ColumnFamilyHandle h = handles[slot];
        if (h == null || ids[slot] != id) {
            throw new IllegalStateException("segment " + id + " does not exist");
        }
        rocks.db.dropColumnFamily(h);
        h.close();
        handles[slot] = null;
    }

    /**
     * Drops every segment wholly behind the horizon (Kafka's {@code cleanupEarlierThan}); call it
     * after writing the pending batch, which may still hold writes into such a segment.
     */
    void dropExpired() throws RocksDBException {
        long firstLive = segmentId(horizon());
        for (int slot = 0; slot < SLOTS; slot++) {
            if (handles[slot] != null && ids[slot] < firstLive) {
                drop(ids[slot]);
            }
        }
    }

    /** Flushes segment {@code id}'s memtable to an SST file and waits for it. */
    void flush(long id) throws RocksDBException {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            rocks.db.flush(flush, segment(id));
        }
    }

    /** Flushes every column family (segments and extra ones) to SST files. */
    void flushAll() throws RocksDBException {
        try (FlushOptions flush = new FlushOptions().setWaitForFlush(true)) {
            for (ColumnFamilyHandle h : handles) {
                if (h != null) {
                    rocks.db.flush(flush, h);
                }
            }
            for (ColumnFamilyHandle h : extra) {
                rocks.db.flush(flush, h);
            }
        }
    }

    /** One write of a load: the {@code n}-th item into {@code batch}. */
    interface BatchWrite {
        void write(WriteBatch batch, int n) throws RocksDBException;
    }

    /**
     * Loads {@code count} items through WriteBatches of 10 000 (WAL disabled), then flushes every
     * column family to an SST file (Kafka Streams flushes its stores at each commit) and scans each
     * once, so the block cache holds every data block (as {@link RocksDbStore#bulkLoad} does).
     */
    void load(int count, BatchWrite write) throws RocksDBException {
        try (WriteBatch batch = new WriteBatch()) {
            for (int n = 0; n < count; n++) {
                write.write(batch, n);
                if (batch.count() >= 10_000) {
                    rocks.db.write(rocks.write, batch);
                    batch.clear();
                }
            }
            rocks.db.write(rocks.write, batch);
        }
        flushAll();
        long seen = 0;
        for (ColumnFamilyHandle h : handles) {
            seen += h == null ? 0 : scan(h);
        }
        for (ColumnFamilyHandle h : extra) {
            seen += scan(h);
        }
        if (seen != count) {
            throw new IllegalStateException("loaded " + count + " items, the scan saw " + seen);
        }
    }

    private long scan(ColumnFamilyHandle h) throws RocksDBException {
        long n = 0;
        try (RocksIterator it = rocks.db.newIterator(h, rocks.read)) {
            for (it.seekToFirst(); it.isValid(); it.next()) {
                n++;
            }
            it.status();
        }
        return n;
    }

    /**
     * One iterator per existing segment, at the index of its slot (null for empty slots), under
     * {@code read}; reused across fetches by re-seeking (Kafka Streams opens new ones per fetch).
     * The caller closes them ({@link #closeAll}) before {@link #close()}.
     */
    RocksIterator[] iterators(ReadOptions read) {
        RocksIterator[] its = new RocksIterator[SLOTS];
        for (int slot = 0; slot < SLOTS; slot++) {
            if (handles[slot] != null) {
                its[slot] = rocks.db.newIterator(handles[slot], read);
            }
        }
        return its;
    }

    /** The iterator of segment {@code id} in an array of {@link #iterators}. */
    static RocksIterator iterator(RocksIterator[] its, long id) {
        return its[(int) (id & (SLOTS - 1))];
    }

    static void closeAll(RocksIterator[] its) {
        if (its == null) {
            return;
        }
        for (int i = 0; i < its.length; i++) {
            if (its[i] != null) {
                its[i].close();
                its[i] = null;
            }
        }
    }

    /**
     * Read options with a movable iterate upper bound: {@link #upper}'s bytes, rewritten before each
     * seek (the slice points at the buffer, so the bound moves with it), and a lower-bound buffer to
     * seek to. No checksum verification, as {@link RocksDbStore#read}.
     */
    static final class Bounds implements AutoCloseable {
        final ByteBuffer lower;
        final ByteBuffer upper;
        final DirectSlice upperSlice;
        final ReadOptions read;

        Bounds(int keyBytes) {
            lower = ByteBuffer.allocateDirect(keyBytes);
            upper = ByteBuffer.allocateDirect(keyBytes);
            upperSlice = new DirectSlice(upper, keyBytes);
            read = new ReadOptions().setVerifyChecksums(false).setIterateUpperBound(upperSlice);
        }

        @Override
        public void close() {
            read.close();
            upperSlice.close();
        }
    }

    @Override
    public void close() {
        for (ColumnFamilyHandle h : handles) {
            if (h != null) {
                h.close();
            }
        }
        for (ColumnFamilyHandle h : extra) {
            h.close();
        }
        rocks.close();
        cfOptions.close();
    }
}
