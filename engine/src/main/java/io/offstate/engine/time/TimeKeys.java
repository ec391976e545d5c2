package io.offstate.engine.time;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.ValueView;

import java.util.Objects;

/**
 * Byte-order helpers and argument checks shared by the time stores. Timestamps in keys are written
 * big-endian: every time store refuses negative timestamps, so unsigned byte order is time order.
 */
final class TimeKeys {
    /** The first byte of the metadata entry every time store keeps; data entries start higher. */
    static final byte META_PREFIX = 0x00;
    /** The first byte of every data entry. */
    static final byte DATA_PREFIX = 0x01;

    private TimeKeys() {
    }

    static void putLong(byte[] a, int off, long v) {
        for (int i = 7; i >= 0; i--) {
            a[off + i] = (byte) v;
            v >>>= 8;
        }
    }

    static void putInt(byte[] a, int off, int v) {
        a[off] = (byte) (v >>> 24);
        a[off + 1] = (byte) (v >>> 16);
        a[off + 2] = (byte) (v >>> 8);
        a[off + 3] = (byte) v;
    }

    static long getLong(byte[] a, int off) {
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v = (v << 8) | (a[off + i] & 0xFF);
        }
        return v;
    }

    static int getInt(ValueView v, int off) {
        return ((v.getByte(off) & 0xFF) << 24) | ((v.getByte(off + 1) & 0xFF) << 16)
            | ((v.getByte(off + 2) & 0xFF) << 8) | (v.getByte(off + 3) & 0xFF);
    }

    /** The big-endian long at {@code off} of {@code v}. */
    static long getLong(ValueView v, int off) {
        return v.getLongBigEndian(off);
    }

    /** Refuses a null or oversized user key; {@code overhead} is what the layout adds around it. */
    static byte[] checkKey(byte[] key, int overhead, String what) {
        Objects.requireNonNull(key, what);
        if (key.length > KeyValueStore.MAX_KEY_LENGTH - overhead) {
            throw new IllegalArgumentException(what + " of " + key.length + " bytes exceeds the limit of "
                + (KeyValueStore.MAX_KEY_LENGTH - overhead) + " bytes for this store layout");
        }
        return key;
    }

    /**
     * The retention horizon of window and session stores (Kafka Streams' rule): the oldest live
     * timestamp, {@code streamTime - retention + 1}, at least 0 (stream time is -1 before the first
     * write). One rule for both, so a window and a session of the same age expire together.
     */
    static long retentionHorizon(long streamTime, long retention) {
        return Math.max(0, streamTime - retention + 1); // streamTime >= -1, retention > 0: no overflow
    }

    static long checkTimestamp(long ts, String what) {
        if (ts < 0) {
            throw new IllegalArgumentException(what + " must not be negative: " + ts);
        }
        return ts;
    }

    static void checkRange(long from, long to, String fromName, String toName) {
        checkTimestamp(from, fromName);
        checkTimestamp(to, toName);
        if (from > to) {
            throw new IllegalArgumentException("inverted time range: " + fromName + " " + from + " > " + toName + " " + to);
        }
    }

    static long checkPositive(long v, String what) {
        if (v <= 0) {
            throw new IllegalArgumentException(what + " must be positive: " + v);
        }
        return v;
    }

    /** Unsigned lexicographic comparison of two arrays (null sorts last when {@code nullHigh}). */
    static int compare(byte[] a, byte[] b) {
        return java.util.Arrays.compareUnsigned(a, b);
    }
}
