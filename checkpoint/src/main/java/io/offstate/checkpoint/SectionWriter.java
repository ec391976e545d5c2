package io.offstate.checkpoint;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import io.offstate.engine.StoreImage;

/**
 * Writes one store's part of a checkpoint: the image's runs as one stream, cut into blocks of at
 * most {@code blockSize} raw bytes, each compressed, checksummed and written to the storage; returns
 * the manifest section describing them. One thread at a time (it reuses its buffers).
 */
final class SectionWriter {
    private final CheckpointStorage storage;
    private final BlockCodec codec = new BlockCodec();
    private final byte[] raw;
    private final MemorySegment rawSegment;

    SectionWriter(CheckpointStorage storage, int blockSize) {
        this.storage = storage;
        this.raw = new byte[blockSize];
        this.rawSegment = MemorySegment.ofArray(raw);
    }

    /** Where a piece's carried bytes come from: {@code length} bytes at stream position {@code at} into {@code dst}. */
    @FunctionalInterface
    interface Source {
        void read(long at, MemorySegment dst, long dstOffset, long length);

        /** The bytes of {@code data}, in order. */
        static Source of(MemorySegment data) {
            return (at, dst, dstOffset, length) -> MemorySegment.copy(data, at, dst, dstOffset, length);
        }
    }

    /**
     * One region to write: its name and size, and the runs carried ({@code runs} as offset, length
     * pairs), read run after run from {@code data}; each carried byte is read once, in order (an
     * image streams straight out of the store and its copy-on-write side copies, never copied whole).
     */
    record Piece(int fileId, long fileOffset, long size, boolean whole, long[] runs, Source data) {
        int runCount() {
            return runs.length / 2;
        }

        long runOffset(int i) {
            return runs[2 * i];
        }

        long runLength(int i) {
            return runs[2 * i + 1];
        }

        boolean isWhole() {
            return whole;
        }
    }

    /** Writes {@code image} as store {@code index} of checkpoint {@code id}. */
    CheckpointManifest.StoreSection write(String id, int index, StoreImage image) throws IOException {
        List<Piece> pieces = new ArrayList<>();
        for (StoreImage.Region r : image.regions()) {
            long[] runs = new long[2 * r.runCount()];
            for (int i = 0; i < r.runCount(); i++) {
                runs[2 * i] = r.runOffset(i);
                runs[2 * i + 1] = r.runLength(i);
            }
            pieces.add(new Piece(r.fileId(), r.fileOffset(), r.size(), r.isWhole(), runs, r::read));
        }
        return write(id, index, image.storeName(), image.isIncremental(), image.token(), image.baseToken(), image.entries(),
            image.metadata(), pieces);
    }

    /** Writes {@code pieces} as store {@code index} of checkpoint {@code id}. */
    CheckpointManifest.StoreSection write(String id, int index, String storeName, boolean incremental, long token, long baseToken,
                                          long entries, byte[] metadata, List<Piece> pieces) throws IOException {
        List<CheckpointManifest.Region> regions = new ArrayList<>();
        List<CheckpointManifest.Block> blocks = new ArrayList<>();
        long stream = 0;
        int filled = 0;
        long blockStart = 0;
        for (Piece r : pieces) {
            List<CheckpointManifest.Run> runs = new ArrayList<>(r.runCount());
            Source data = r.data();
            long at = 0;
            for (int i = 0; i < r.runCount(); i++) {
                long length = r.runLength(i);
                runs.add(new CheckpointManifest.Run(r.runOffset(i), length, stream));
                long done = 0;
                while (done < length) {
                    int n = (int) Math.min(raw.length - filled, length - done);
                    data.read(at + done, rawSegment, filled, n);
                    filled += n;
                    done += n;
                    if (filled == raw.length) {
                        blocks.add(flushBlock(id, index, blocks.size(), filled, blockStart));
                        blockStart += filled;
                        filled = 0;
                    }
                }
                at += length;
                stream += length;
            }
            regions.add(new CheckpointManifest.Region(r.fileId(), r.fileOffset(), r.size(), r.isWhole(), runs));
        }
        if (filled > 0) {
            blocks.add(flushBlock(id, index, blocks.size(), filled, blockStart));
        }
        return new CheckpointManifest.StoreSection(storeName, incremental, token, baseToken, entries, metadata, regions, blocks);
    }

    private CheckpointManifest.Block flushBlock(String id, int store, int number, int length, long streamOffset) throws IOException {
        String name = "s" + store + "-" + number;
        int rawCrc = codec.crc(raw, 0, length);
        int stored = codec.compress(raw, length);
        byte[] bytes = codec.storedBuffer();
        storage.writeBlock(id, name, bytes, 0, stored);
        return new CheckpointManifest.Block(name, length, stored, rawCrc, codec.crc(bytes, 0, stored), streamOffset);
    }
}
