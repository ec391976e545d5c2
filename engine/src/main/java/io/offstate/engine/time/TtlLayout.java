package io.offstate.engine.time;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

/**
 * The entries a {@link TtlStore} keeps in its backing store. Every byte offset the store reads or
 * writes is named here.
 *
 * <pre>
 * metadata (one, see TimeMeta):
 *   key   [0x00]
 *
 * data entry (one per live or not yet swept user key, in user-key order):
 *   key   [0x01][user key ...............]
 *   value [expiry: 8, big-endian][user value ...]
 *          ^ VALUE_EXPIRY_OFFSET   ^ VALUE_OFFSET
 *
 * expiry index entry (one per data entry, in expiry order, then user-key order):
 *   key   [0x02][expiry: 8, big-endian][user key ...]
 *          ^      ^ INDEX_EXPIRY_OFFSET  ^ INDEX_USER_KEY_OFFSET
 *   value (empty)
 * </pre>
 *
 * The expiry is {@code timestamp + ttl} (saturated at {@link Long#MAX_VALUE}), never negative, so
 * unsigned byte order of the index keys is expiry order and a sweep reads the oldest first (Quix
 * Streams' TTL index: expiry‖key).
 */
final class TtlLayout {
    static final byte DATA_PREFIX = TimeKeys.DATA_PREFIX;
    static final byte INDEX_PREFIX = 0x02;
    /** The first byte past every data and index key: the open upper bound of an index scan. */
    static final byte END_PREFIX = 0x03;

    static final int PREFIX_LENGTH = 1;
    static final int EXPIRY_LENGTH = 8;

    static final int DATA_USER_KEY_OFFSET = PREFIX_LENGTH;
    static final int VALUE_EXPIRY_OFFSET = 0;
    static final int VALUE_OFFSET = EXPIRY_LENGTH;

    static final int INDEX_EXPIRY_OFFSET = PREFIX_LENGTH;
    static final int INDEX_USER_KEY_OFFSET = PREFIX_LENGTH + EXPIRY_LENGTH;

    /** What the largest layout key (the index key) adds around a user key. */
    static final int KEY_OVERHEAD = INDEX_USER_KEY_OFFSET;
    /** Longest user key: an index key must fit {@link KeyValueStore#MAX_KEY_LENGTH}. */
    static final int MAX_KEY_LENGTH = KeyValueStore.MAX_KEY_LENGTH - KEY_OVERHEAD;
    /** Longest user value: the data value carries the expiry in front of it. */
    static final int MAX_VALUE_LENGTH = Transaction.MAX_VALUE_LENGTH - EXPIRY_LENGTH;

    /**
     * One big-endian long layout for every read: {@link ValueView#getLongBigEndian} builds a new
     * layout (and var handle) per call, which allocates on every put and read.
     */
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);

    private TtlLayout() {
    }

    /**
     * The big-endian long at {@code offset} of {@code view} (an expiry), read without allocating.
     *
     * @throws IllegalStateException     if the view is empty or stale
     * @throws IndexOutOfBoundsException if the view is shorter than {@code offset + 8}
     */
    static long getLong(ValueView view, int offset) {
        java.util.Objects.checkFromIndexSize(offset, EXPIRY_LENGTH, view.length());
        return view.memory().get(LONG_BE, view.offset() + offset);
    }

    /** {@code timestamp + ttl}, saturated: a sum past {@link Long#MAX_VALUE} is {@code Long.MAX_VALUE}. */
    static long expiry(long timestamp, long ttl) {
        long sum = timestamp + ttl;
        return sum < timestamp ? Long.MAX_VALUE : sum;
    }

    static int dataKeyLength(int userKeyLength) {
        return DATA_USER_KEY_OFFSET + userKeyLength;
    }

    static int indexKeyLength(int userKeyLength) {
        return INDEX_USER_KEY_OFFSET + userKeyLength;
    }

    static int userKeyLengthOfIndexKey(int indexKeyLength) {
        return indexKeyLength - INDEX_USER_KEY_OFFSET;
    }
}
