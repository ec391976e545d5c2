package io.offstate.offheap.file;

import io.offstate.offheap.memory.MappedRegion;

/**
 * Layout of a checksum file ({@code pages.sum}, {@code seg-<hex>.sum}): one 8-byte little-endian
 * entry per {@value MappedRegion#CHUNK_SIZE}-byte chunk of its data file, entry <i>c</i> at byte
 * <i>8c</i> for the chunk at byte <i>c</i>·{@value MappedRegion#CHUNK_SIZE}.
 *
 * <pre>
 *  63           33  32  31                       0
 * +---------------+---+--------------------------+
 * |     zero      | 1 |  CRC32C of the chunk     |
 * +---------------+---+--------------------------+
 * </pre>
 * An entry of 0 ({@link #NEVER_WRITTEN}) means the chunk was never written; it must then be all
 * zero bytes. The written bit tells a chunk whose CRC is 0 from one never written.
 *
 * <p>Stateless and thread-safe.
 */
final class ChunkSumDescriptor {
    /** Bytes of one entry. */
    static final int ENTRY_SIZE = Long.BYTES;
    /** The entry of a chunk never written. */
    static final long NEVER_WRITTEN = 0;
    private static final int WRITTEN_SHIFT = 32;
    private static final long WRITTEN = 1L << WRITTEN_SHIFT;

    private ChunkSumDescriptor() {
    }

    /** Where in the checksum file the entry of the chunk at {@code fileOffset} of the data file is. */
    static long entryOffset(long fileOffset) {
        return (fileOffset >>> MappedRegion.CHUNK_SHIFT) * ENTRY_SIZE;
    }

    /** The entry of a written chunk whose CRC32C ({@link java.util.zip.CRC32C#getValue()}) is {@code crc}. */
    static long entry(long crc) {
        return crc | WRITTEN;
    }

    /** Whether {@code entry} is a written chunk's entry holding {@code crc}. */
    static boolean matches(long entry, int crc) {
        return (entry >>> WRITTEN_SHIFT) == 1 && (int) entry == crc;
    }
}
