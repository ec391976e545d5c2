package io.offstate.engine.time;

import io.offstate.engine.ValueView;

/**
 * Key layout of a {@link WindowedAggregation}'s backing store. The user key is length-prefixed so
 * that one key's entries are contiguous and never mixed with a longer key sharing its prefix;
 * times are big-endian (non-negative), so byte order is time order.
 *
 * <pre>
 *   meta     [0x00]                                            TimeMeta (slot 0 stream time, slot 1 next seq)
 *   window   [0x01][len u16][key][end 8]                       → accumulator (the aggregators' slots)
 *   close    [0x02][due 8][len u16][key][end 8]                → empty; due = end + grace (closing by partition)
 *   collect  [0x03][len u16][key][end 8][seq 8]                → the record's value bytes
 *   record   [0x04][len u16][key][ts 8][seq 8]                 → number (double bits 8), timestamp (8)[, value bytes if collecting]
 *   keystate [0x05][len u16][key]                              → key time (8), records of the key (8)
 *   purge    [0x06][due 8][len u16][key][ts 8][seq 8]          → empty; due = ts + size + grace
 * </pre>
 * Windows are keyed by their end (exclusive): a sliding window's start may be clamped to 0, its end
 * never is. Count windows use record numbers for end and, in {@code record}, for ts.
 */
final class WindowedKeys {
    static final byte WINDOW = 0x01;
    static final byte CLOSE = 0x02;
    static final byte COLLECT = 0x03;
    static final byte RECORD = 0x04;
    static final byte KEY_STATE = 0x05;
    static final byte PURGE = 0x06;

    /** Bytes the longest layout ({@code purge}) adds around the user key. */
    static final int OVERHEAD = 1 + 8 + 2 + 8 + 8;
    /** Offset of the user key in the layouts that start with a time ({@code close}, {@code purge}). */
    static final int TIMED_KEY_OFFSET = 1 + 8 + 2;
    /** Offset of the user key in the layouts that start with it. */
    static final int KEY_OFFSET = 1 + 2;

    private WindowedKeys() {
    }

    /**
     * The big-endian long at {@code offset} of {@code v}. Through the little-endian accessor because
     * {@link ValueView#getLongBigEndian} builds a layout per call (it allocates).
     */
    static long getLong(ValueView v, int offset) {
        return Long.reverseBytes(v.getLong(offset));
    }

    /** {@code [prefix][len][key]}, then the caller appends. */
    static Scratch keyed(Scratch s, byte prefix, byte[] key, int keyLength) {
        s.reset(OVERHEAD + keyLength).putByte(prefix);
        return putKey(s, key, keyLength);
    }

    /** {@code [prefix][time][len][key]}, then the caller appends. */
    static Scratch timed(Scratch s, byte prefix, long time, byte[] key, int keyLength) {
        s.reset(OVERHEAD + keyLength).putByte(prefix).putLong(time);
        return putKey(s, key, keyLength);
    }

    private static Scratch putKey(Scratch s, byte[] key, int keyLength) {
        s.putByte(keyLength >>> 8).putByte(keyLength);
        System.arraycopy(key, 0, s.array, s.length, keyLength);
        s.length += keyLength;
        return s;
    }
}
