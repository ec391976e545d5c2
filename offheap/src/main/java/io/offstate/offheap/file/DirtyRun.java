package io.offstate.offheap.file;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.CRC32C;

import io.offstate.offheap.memory.MappedRegion;

/**
 * One run of dirty chunks of a region, with their checksum entries: what a commit writes, once
 * into the journal and once in place ({@link #collect}). Lives for one commit, on the store's
 * thread: {@link #data()} is a view of the region's memory (not a copy), valid until the region is
 * remapped or freed.
 *
 * @param region the region
 * @param from   offset of the run in the region, at a chunk boundary
 * @param length bytes of the run (the last chunk of a region may be short)
 * @param sums   the run's {@link ChunkSumDescriptor} entries, as they go into the checksum file
 */
record DirtyRun(MappedRegion region, long from, long length, byte[] sums) {
    /** The runs of dirty chunks of {@code regions}, region by region, in chunk order within each. */
    static List<DirtyRun> collect(Iterable<MappedRegion> regions) {
        List<DirtyRun> runs = new ArrayList<>();
        CRC32C crc = new CRC32C();
        for (MappedRegion region : regions) {
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
                ByteBuffer sums = ByteBuffer.allocate((int) (c - start) * ChunkSumDescriptor.ENTRY_SIZE)
                    .order(ByteOrder.LITTLE_ENDIAN);
                for (long k = start; k < c; k++) {
                    long o = k << MappedRegion.CHUNK_SHIFT;
                    crc.reset();
                    crc.update(region.segment().asSlice(o, Math.min(MappedRegion.CHUNK_SIZE, region.size() - o)).asByteBuffer());
                    sums.putLong(ChunkSumDescriptor.entry(crc.getValue()));
                }
                runs.add(new DirtyRun(region, from, to - from, sums.array()));
            }
        }
        return runs;
    }

    /** Where the run starts in its data file. */
    long fileOffset() {
        return region.fileOffset() + from;
    }

    /** Where the run's checksum entries start in its checksum file. */
    long sumsOffset() {
        return ChunkSumDescriptor.entryOffset(fileOffset());
    }

    /** The run's bytes, as they are in memory now. */
    ByteBuffer data() {
        return region.segment().asSlice(from, length).asByteBuffer();
    }

    /** The run's checksum entries. */
    ByteBuffer sumsBuffer() {
        return ByteBuffer.wrap(sums);
    }
}
