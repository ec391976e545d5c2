package io.offstate.engine.time;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import io.offstate.engine.ValueView;

/**
 * Layout of a session store's data key: one entry per session, its value the aggregate as given.
 *
 * <pre>
 *  0        1                   9                 9+k             17+k            25+k
 *  +--------+-------------------+-----------------+---------------+---------------+
 *  |  0x01  | segment id (BE 8) | user key (k)    | end (BE 8)    | start (BE 8)  |
 *  +--------+-------------------+-----------------+---------------+---------------+
 * </pre>
 *
 * The segment id is {@code end / segmentInterval}, so the sorted index groups a segment's sessions
 * and an expired segment is one contiguous key range below the live ones: the sweep deletes that
 * range and never steps over a live entry. Inside a segment entries sort by user key, then end,
 * then start (Kafka Streams' {@code [key][end][start]} session key schema), so one key's sessions of
 * a segment are one short range. The user key has no length prefix (it would break the key order of
 * key-range scans); its length is the entry length less {@value #OVERHEAD}, and a scan checks it,
 * because a longer key that begins with the wanted one can fall inside the wanted key's range.
 * Times are non-negative, so the first byte of a big-endian end or start is at most {@code 0x7F}:
 * {@link #ABOVE_TIME} appended after a key and an end bounds every start of that key and end.
 */
final class SessionKeyDescriptor {
    static final int PREFIX_OFFSET = 0;
    static final int SEGMENT_OFFSET = 1;
    static final int KEY_OFFSET = 9;
    /** Bytes the layout adds around the user key. */
    static final int OVERHEAD = 25;
    /** How end and start are written. */
    static final ValueLayout.OfLong TIME = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    /** A byte above the first byte of any non-negative big-endian long. */
    static final byte ABOVE_TIME = (byte) 0x80;

    private SessionKeyDescriptor() {
    }

    static int keyLength(int entryLength) {
        return entryLength - OVERHEAD;
    }

    static int endOffset(int entryLength) {
        return entryLength - 16;
    }

    static int startOffset(int entryLength) {
        return entryLength - 8;
    }

    static long segment(ValueView entry) {
        return entry.memory().get(TIME, entry.offset() + SEGMENT_OFFSET);
    }

    /** Writes the whole key of session ({@code key}, {@code start}, {@code end}) into {@code out}. */
    static Scratch encode(Scratch out, long segmentInterval, byte[] key, long start, long end) {
        return out.reset(OVERHEAD + key.length).putByte(TimeKeys.DATA_PREFIX).putLong(end / segmentInterval)
            .putBytes(key).putLong(end).putLong(start);
    }

    /** The first key of segment {@code segment}. */
    static Scratch segmentStart(Scratch out, long segment) {
        return out.reset(KEY_OFFSET).putByte(TimeKeys.DATA_PREFIX).putLong(segment);
    }

    /** An exclusive upper bound of segment {@code segment}: the start of the next one. */
    static Scratch segmentBound(Scratch out, long segment) {
        if (segment == Long.MAX_VALUE) {
            return out.reset(1).putByte(TimeKeys.DATA_PREFIX + 1);
        }
        return segmentStart(out, segment + 1);
    }
}
