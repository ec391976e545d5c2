package io.offstate.engine.log;

import static io.offstate.engine.log.WalFrameDescriptor.CRC_OFFSET;
import static io.offstate.engine.log.WalFrameDescriptor.FRAME_HEADER_LENGTH;
import static io.offstate.engine.log.WalFrameDescriptor.LENGTH_OFFSET;
import static io.offstate.engine.log.WalFrameDescriptor.POSITION_OFFSET;

import java.nio.ByteBuffer;
import java.util.zip.CRC32C;

/**
 * Checks one frame of a segment held in a little-endian {@link ByteBuffer} (a mapping of the
 * segment file): the one decoder of frames, used by recovery and replay.
 *
 * <p>Not thread-safe: it owns a {@link CRC32C} and moves the buffer's position and limit.
 */
final class FrameReader {
    /** The frame header does not fit before the end of the segment. */
    static final int SHORT_HEADER = -1;
    /** The length field is negative or above {@link WalOptions#MAX_BATCH_BYTES}. */
    static final int BAD_LENGTH = -2;
    /** The payload does not fit before the end of the segment. */
    static final int SHORT_PAYLOAD = -3;
    /** The position field is not the frame's position. */
    static final int BAD_POSITION = -4;
    /** The CRC32C does not match. */
    static final int BAD_CRC = -5;

    private final CRC32C crc = new CRC32C();

    /**
     * Checks the frame at {@code offset} of {@code segment} (of {@code size} bytes, based at
     * {@code basePosition}); returns its payload length, or one of the negative codes.
     */
    int check(ByteBuffer segment, long size, long basePosition, long offset) {
        if (size - offset < FRAME_HEADER_LENGTH) {
            return SHORT_HEADER;
        }
        int at = (int) offset;
        int length = segment.getInt(at + LENGTH_OFFSET);
        if (length < 0 || length > WalOptions.MAX_BATCH_BYTES) {
            return BAD_LENGTH;
        }
        if (size - offset - FRAME_HEADER_LENGTH < length) {
            return SHORT_PAYLOAD;
        }
        if (segment.getLong(at + POSITION_OFFSET) != WalFrameDescriptor.positionAt(basePosition, offset)) {
            return BAD_POSITION;
        }
        if (segment.getInt(at + CRC_OFFSET) != checksum(segment, at, length)) {
            return BAD_CRC;
        }
        return length;
    }

    /** The CRC32C of the frame at {@code at} with a payload of {@code length}, as the format defines it. */
    int checksum(ByteBuffer frame, int at, int length) {
        crc.reset();
        int limit = frame.limit();
        frame.limit(at + LENGTH_OFFSET + Integer.BYTES).position(at + LENGTH_OFFSET);
        crc.update(frame);
        frame.limit(at + FRAME_HEADER_LENGTH + length).position(at + POSITION_OFFSET);
        crc.update(frame);
        frame.limit(limit).position(0);
        return (int) crc.getValue();
    }

    /** Why {@link #check} refused a frame, for messages. */
    static String describe(int code) {
        return switch (code) {
            case SHORT_HEADER -> "frame header cut short by the end of the segment";
            case BAD_LENGTH -> "frame length out of range";
            case SHORT_PAYLOAD -> "frame payload cut short by the end of the segment";
            case BAD_POSITION -> "frame position does not match its place in the log";
            case BAD_CRC -> "frame CRC32C mismatch";
            default -> "unknown frame problem " + code;
        };
    }
}
