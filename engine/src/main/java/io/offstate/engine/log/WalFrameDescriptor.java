package io.offstate.engine.log;

/**
 * Layout of a write-ahead-log segment file: a segment header, then frames back to back, one per
 * committed batch. All integers are little-endian.
 *
 * <pre>
 * Segment header (HEADER_LENGTH = 16 bytes, at file offset 0):
 *   0                   4                   8                                  16
 *   +-------------------+-------------------+----------------------------------+
 *   | magic "OSWL"      | version (1)       | base position (long)             |
 *   +-------------------+-------------------+----------------------------------+
 *
 * Frame (FRAME_HEADER_LENGTH = 16 bytes, then the payload):
 *   0                   4                   8                                  16
 *   +-------------------+-------------------+----------------------------------+
 *   | payload length    | CRC32C            | position (long)                  |
 *   +-------------------+-------------------+----------------------------------+
 *   | payload (payload length bytes) ...                                        |
 *   +---------------------------------------------------------------------------+
 * </pre>
 *
 * The CRC32C covers the length field (bytes 0..4) and the position and payload (bytes 8..end),
 * that is every byte of the frame except the checksum itself. A frame's position is
 * {@code base position + (file offset of the frame - HEADER_LENGTH)}: positions are byte
 * positions in one address space across all segments, and the next segment's base position is
 * the end position of the one before it.
 *
 * <p>Thread-safety: constants and pure functions only.
 */
final class WalFrameDescriptor {
    /** "OSWL" read as a little-endian int. */
    static final int MAGIC = 0x4C57534F;
    static final int VERSION = 1;

    static final int MAGIC_OFFSET = 0;
    static final int VERSION_OFFSET = 4;
    static final int BASE_POSITION_OFFSET = 8;
    static final int HEADER_LENGTH = 16;

    static final int LENGTH_OFFSET = 0;
    static final int CRC_OFFSET = 4;
    static final int POSITION_OFFSET = 8;
    static final int FRAME_HEADER_LENGTH = 16;

    private WalFrameDescriptor() {
    }

    /** Bytes a frame of {@code payloadLength} takes in the log (and in position space). */
    static long frameLength(int payloadLength) {
        return (long) FRAME_HEADER_LENGTH + payloadLength;
    }

    /** Position of the frame at {@code fileOffset} of the segment based at {@code basePosition}. */
    static long positionAt(long basePosition, long fileOffset) {
        return basePosition + fileOffset - HEADER_LENGTH;
    }

    /** File offset of {@code position} in the segment based at {@code basePosition}. */
    static long fileOffsetOf(long basePosition, long position) {
        return position - basePosition + HEADER_LENGTH;
    }
}
