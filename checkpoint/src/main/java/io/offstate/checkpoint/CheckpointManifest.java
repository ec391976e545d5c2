package io.offstate.checkpoint;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * What one checkpoint holds: the manifest, decoded. A checkpoint covers one store or all stores of
 * one state-manager partition ({@link #stores()}), each {@link StoreSection#incremental() full or
 * incremental} relative to the same store in the {@link #parent()} checkpoint.
 *
 * <h2>Binary format (version {@value #VERSION}, little-endian)</h2>
 * <pre>
 *  0  int    magic 'OSCM' (0x4D43534F)
 *  4  int    format version
 *  8  int    total length in bytes, this header and the trailer included
 * 12  ...    body
 * len-4 int  CRC32C of bytes [0, len-4)
 *
 * body:   str id | str parent ("" none) | long sequence | long time (epoch ms) | int chain length
 *         | int partition (-1: a store checkpoint) | long log position (-1 none) | int log epoch
 *         | bytes positions (int length, -1: none) | int store count | store...
 * store:  str name | byte incremental | long token | long base token | long entries
 *         | bytes engine metadata (structural options, flush metadata, allocator and index roots)
 *         | int region count | region... | int block count | block...
 * region: int file id | long file offset | long size | byte whole | int run count
 *         | run: long offset in region | long length | long offset in the store's stream
 * block:  str name | int raw length | int stored length | int raw CRC32C | int stored CRC32C
 *         | long offset in the store's stream
 * str:    int length | UTF-8 bytes
 * </pre>
 * A store's <em>stream</em> is its regions' runs concatenated in region order; it is cut into
 * blocks of at most the writer's block size, each LZ4-compressed (stored) and checked twice: the
 * stored bytes before decompression, the raw bytes after.
 *
 * <p>Immutable and thread-safe.
 */
public final class CheckpointManifest {
    /** Format version written and read. */
    public static final int VERSION = 1;
    static final int MAGIC = 0x4D43534F;
    private static final int HEADER = 12;

    /** One run of bytes of a region carried by this checkpoint. */
    public record Run(long offset, long length, long streamOffset) {
    }

    /** One region of a store: whole here, or changed runs over the parent's same region. */
    public record Region(int fileId, long fileOffset, long size, boolean whole, List<Run> runs) {
        public Region {
            runs = List.copyOf(runs);
        }
    }

    /** One compressed block of a store's stream. */
    public record Block(String name, int rawLength, int storedLength, int rawCrc, int storedCrc, long streamOffset) {
    }

    /** One store of the checkpoint. */
    public record StoreSection(String name, boolean incremental, long token, long baseToken, long entries,
                               byte[] metadata, List<Region> regions, List<Block> blocks) {
        public StoreSection {
            metadata = metadata.clone();
            regions = List.copyOf(regions);
            blocks = List.copyOf(blocks);
        }

        @Override
        public byte[] metadata() {
            return metadata.clone();
        }

        /** Bytes of the stream (what this checkpoint carries of the store, uncompressed). */
        public long rawBytes() {
            long n = 0;
            for (Block b : blocks) {
                n += b.rawLength();
            }
            return n;
        }

        /** Bytes stored (compressed). */
        public long storedBytes() {
            long n = 0;
            for (Block b : blocks) {
                n += b.storedLength();
            }
            return n;
        }
    }

    private final String id;
    private final String parent;
    private final long sequence;
    private final long timeMillis;
    private final int chainLength;
    private final int partition;
    private final long logPosition;
    private final int logEpoch;
    private final byte[] positions;
    private final List<StoreSection> stores;

    CheckpointManifest(String id, String parent, long sequence, long timeMillis, int chainLength, int partition,
                       long logPosition, int logEpoch, byte[] positions, List<StoreSection> stores) {
        this.id = id;
        this.parent = parent;
        this.sequence = sequence;
        this.timeMillis = timeMillis;
        this.chainLength = chainLength;
        this.partition = partition;
        this.logPosition = logPosition;
        this.logEpoch = logEpoch;
        this.positions = positions == null ? null : positions.clone();
        this.stores = List.copyOf(stores);
    }

    /** The checkpoint's id. */
    public String id() {
        return id;
    }

    /** The checkpoint the incremental stores build on, or null if every store is full. */
    public String parent() {
        return parent;
    }

    /** Position in its series, from 1. */
    public long sequence() {
        return sequence;
    }

    /** When the checkpoint was taken. */
    public Instant time() {
        return Instant.ofEpochMilli(timeMillis);
    }

    /** Checkpoints a restore reads: 1 for a full one, parent's + 1 for an incremental one. */
    public int chainLength() {
        return chainLength;
    }

    /** The state-manager partition, or -1 for a checkpoint of one store. */
    public int partition() {
        return partition;
    }

    /** Write-ahead-log position the checkpoint covers (replay starts there), or -1. */
    public long logPosition() {
        return logPosition;
    }

    /** The log's epoch at {@link #logPosition()}. */
    public int logEpoch() {
        return logEpoch;
    }

    /** Input positions (changelog offsets, input offsets) the checkpoint covers, a copy; null if none. */
    public byte[] positions() {
        return positions == null ? null : positions.clone();
    }

    /** The stores. */
    public List<StoreSection> stores() {
        return stores;
    }

    /** The section of store {@code name}, or null. */
    public StoreSection store(String name) {
        for (StoreSection s : stores) {
            if (s.name().equals(name)) {
                return s;
            }
        }
        return null;
    }

    @Override
    public String toString() {
        long raw = 0;
        long stored = 0;
        for (StoreSection s : stores) {
            raw += s.rawBytes();
            stored += s.storedBytes();
        }
        return "checkpoint " + id + " #" + sequence + " at " + time() + (parent == null ? " full" : " on " + parent)
            + ", chain " + chainLength + ", " + stores.size() + " store(s), " + raw + " bytes raw, " + stored + " stored";
    }

    // ---------------------------------------------------------------- codec

    byte[] encode() {
        Out o = new Out();
        o.i(MAGIC).i(VERSION).i(0);
        o.s(id).s(parent == null ? "" : parent).l(sequence).l(timeMillis).i(chainLength).i(partition)
            .l(logPosition).i(logEpoch).b(positions);
        o.i(stores.size());
        for (StoreSection s : stores) {
            o.s(s.name()).i8(s.incremental() ? 1 : 0).l(s.token()).l(s.baseToken()).l(s.entries()).b(s.metadata);
            o.i(s.regions().size());
            for (Region r : s.regions()) {
                o.i(r.fileId()).l(r.fileOffset()).l(r.size()).i8(r.whole() ? 1 : 0).i(r.runs().size());
                for (Run run : r.runs()) {
                    o.l(run.offset()).l(run.length()).l(run.streamOffset());
                }
            }
            o.i(s.blocks().size());
            for (Block b : s.blocks()) {
                o.s(b.name()).i(b.rawLength()).i(b.storedLength()).i(b.rawCrc()).i(b.storedCrc()).l(b.streamOffset());
            }
        }
        return o.finish();
    }

    /**
     * Decodes and checks a manifest read under {@code expectedId}.
     *
     * @throws DamagedCheckpointException if it is truncated, fails its checksum, has another
     *         version or magic, names another id (a foreign manifest), or is inconsistent
     */
    static CheckpointManifest decode(String expectedId, byte[] bytes) {
        if (bytes.length < HEADER + 4) {
            throw damaged(expectedId, "manifest is " + bytes.length + " bytes, shorter than its header");
        }
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        int magic = b.getInt();
        int version = b.getInt();
        int length = b.getInt();
        if (magic != MAGIC) {
            throw damaged(expectedId, "manifest does not start with the checkpoint magic (not a checkpoint manifest)");
        }
        if (length != bytes.length) {
            throw damaged(expectedId, "manifest is " + bytes.length + " bytes, its header says " + length + " (truncated or extended)");
        }
        CRC32C crc = new CRC32C();
        crc.update(bytes, 0, bytes.length - 4);
        int stored = b.getInt(bytes.length - 4);
        if ((int) crc.getValue() != stored) {
            throw damaged(expectedId, "manifest fails its CRC32C");
        }
        if (version != VERSION) {
            throw damaged(expectedId, "manifest has format version " + version + ", this build reads " + VERSION);
        }
        try {
            b.limit(bytes.length - 4);
            In in = new In(b);
            String id = in.s();
            if (!id.equals(expectedId)) {
                throw damaged(expectedId, "manifest belongs to checkpoint '" + id + "' (a foreign manifest)");
            }
            String parent = in.s();
            long sequence = in.l();
            long time = in.l();
            int chain = in.i();
            int partition = in.i();
            long logPosition = in.l();
            int logEpoch = in.i();
            byte[] positions = in.b();
            int storeCount = in.count();
            List<StoreSection> stores = new ArrayList<>();
            for (int k = 0; k < storeCount; k++) {
                String name = in.s();
                boolean incremental = in.i8() == 1;
                long token = in.l();
                long baseToken = in.l();
                long entries = in.l();
                byte[] meta = in.b();
                if (meta == null) {
                    throw damaged(expectedId, "store '" + name + "' has no metadata");
                }
                int regionCount = in.count();
                List<Region> regions = new ArrayList<>(regionCount);
                for (int r = 0; r < regionCount; r++) {
                    int fileId = in.i();
                    long fileOffset = in.l();
                    long size = in.l();
                    boolean whole = in.i8() == 1;
                    int runCount = in.count();
                    List<Run> runs = new ArrayList<>(runCount);
                    for (int u = 0; u < runCount; u++) {
                        Run run = new Run(in.l(), in.l(), in.l());
                        if (run.offset() < 0 || run.length() < 0 || run.offset() + run.length() > size || run.streamOffset() < 0) {
                            throw damaged(expectedId, "store '" + name + "' region " + fileId + "@" + fileOffset + " has a run outside it");
                        }
                        runs.add(run);
                    }
                    regions.add(new Region(fileId, fileOffset, size, whole, runs));
                }
                int blockCount = in.count();
                List<Block> blocks = new ArrayList<>(blockCount);
                for (int u = 0; u < blockCount; u++) {
                    Block block = new Block(in.s(), in.i(), in.i(), in.i(), in.i(), in.l());
                    if (block.rawLength() < 0 || block.storedLength() < 0) {
                        throw damaged(expectedId, "block '" + block.name() + "' has a negative length");
                    }
                    blocks.add(block);
                }
                stores.add(new StoreSection(name, incremental, token, baseToken, entries, meta, regions, blocks));
            }
            if (b.hasRemaining()) {
                throw damaged(expectedId, "manifest has " + b.remaining() + " bytes after its last store");
            }
            if (chain < 1 || sequence < 1 || (parent.isEmpty() != (chain == 1))) {
                throw damaged(expectedId, "manifest is inconsistent (sequence " + sequence + ", chain " + chain + ", parent '" + parent + "')");
            }
            return new CheckpointManifest(id, parent.isEmpty() ? null : parent, sequence, time, chain, partition,
                logPosition, logEpoch, positions, stores);
        } catch (BufferUnderflowException | IllegalArgumentException e) {
            throw damaged(expectedId, "manifest is malformed (" + e + ")");
        }
    }

    private static DamagedCheckpointException damaged(String id, String problem) {
        return new DamagedCheckpointException(id, null, problem, null);
    }

    private static final class Out {
        private ByteBuffer b = ByteBuffer.allocate(1024).order(ByteOrder.LITTLE_ENDIAN);

        private void room(int n) {
            if (b.remaining() < n) {
                ByteBuffer bigger = ByteBuffer.allocate(Math.max(b.capacity() * 2, b.position() + n)).order(ByteOrder.LITTLE_ENDIAN);
                b.flip();
                bigger.put(b);
                b = bigger;
            }
        }

        Out i(int v) {
            room(4);
            b.putInt(v);
            return this;
        }

        Out i8(int v) {
            room(1);
            b.put((byte) v);
            return this;
        }

        Out l(long v) {
            room(8);
            b.putLong(v);
            return this;
        }

        Out s(String v) {
            byte[] u = v.getBytes(StandardCharsets.UTF_8);
            i(u.length);
            room(u.length);
            b.put(u);
            return this;
        }

        Out b(byte[] v) {
            if (v == null) {
                return i(-1);
            }
            i(v.length);
            room(v.length);
            b.put(v);
            return this;
        }

        byte[] finish() {
            room(4);
            int length = b.position() + 4;
            b.putInt(8, length);
            CRC32C crc = new CRC32C();
            crc.update(b.array(), 0, b.position());
            b.putInt((int) crc.getValue());
            return java.util.Arrays.copyOf(b.array(), length);
        }
    }

    private static final class In {
        private final ByteBuffer b;

        In(ByteBuffer b) {
            this.b = b;
        }

        int i() {
            return b.getInt();
        }

        int i8() {
            return b.get();
        }

        long l() {
            return b.getLong();
        }

        /** A count that cannot exceed what is left (each element takes at least one byte). */
        int count() {
            int n = b.getInt();
            if (n < 0 || n > b.remaining()) {
                throw new IllegalArgumentException("count " + n + " with " + b.remaining() + " bytes left");
            }
            return n;
        }

        String s() {
            int n = count();
            byte[] u = new byte[n];
            b.get(u);
            return new String(u, StandardCharsets.UTF_8);
        }

        byte[] b() {
            int n = b.getInt();
            if (n == -1) {
                return null;
            }
            if (n < 0 || n > b.remaining()) {
                throw new IllegalArgumentException("length " + n + " with " + b.remaining() + " bytes left");
            }
            byte[] u = new byte[n];
            b.get(u);
            return u;
        }
    }
}
