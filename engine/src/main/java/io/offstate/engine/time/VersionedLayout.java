package io.offstate.engine.time;

/**
 * Byte layout of a {@link VersionedStore}'s entries in its backing store. All numbers big-endian.
 *
 * <h2>Version entry</h2>
 * One per (key, version timestamp); a reverse range scan over {@code [0x01][len][key][0 .. asOf]}
 * lands on the newest version at or before {@code asOf} in one positioning.
 * <pre>
 *  key:   0      1          3                  3+len
 *         +------+----------+------------------+---------------------+
 *         | 0x01 | len (2)  | user key (len)   | version ts (8)      |
 *         +------+----------+------------------+---------------------+
 *  value: 0       1                 9
 *         +-------+-----------------+----------------------------------+
 *         | flags | validTo (8)     | user value (absent for tombstone) |
 *         +-------+-----------------+----------------------------------+
 * </pre>
 * The 2-byte length makes {@code [len][key]} prefix-free: the versions of one key are contiguous
 * and no longer key's versions fall inside its range, so a lookup never steps over other keys.
 * {@code validTo} is {@link #OPEN} ({@code Long.MAX_VALUE}) while no later version exists, so
 * "valid at t" is always {@code ts <= t < validTo}. Flag {@link #TOMBSTONE} marks a delete.
 *
 * <h2>Expiry entry</h2>
 * One per version that can expire: a superseded version (at its {@code validTo}) and a latest
 * tombstone (at its own ts). The sweep reads these in time order up to the history horizon and so
 * touches only versions that are due, however much live history the store holds.
 * <pre>
 *  key:   0      1               9          11           11+len
 *         +------+---------------+----------+------------+----------------+
 *         | 0x02 | expiry (8)    | len (2)  | user key   | version ts (8) |
 *         +------+---------------+----------+------------+----------------+
 *  value: empty
 * </pre>
 * The tail of an expiry key from offset {@link #EXPIRY_TAIL_OFFSET} is exactly a version key
 * without its prefix byte, so the sweep rebuilds the version key by one copy.
 */
final class VersionedLayout {
    /** First byte of a version entry's key. */
    static final byte VERSION_PREFIX = TimeKeys.DATA_PREFIX;
    /** First byte of an expiry entry's key. */
    static final byte EXPIRY_PREFIX = 0x02;

    static final int KEY_LENGTH_SIZE = 2;
    static final int TS_SIZE = 8;
    /** Offset of the user key in a version key. */
    static final int VERSION_KEY_OFFSET = 1 + KEY_LENGTH_SIZE;
    /** Bytes a version key adds to the user key. */
    static final int VERSION_OVERHEAD = VERSION_KEY_OFFSET + TS_SIZE;
    /** Offset of the expiry time in an expiry key. */
    static final int EXPIRY_TIME_OFFSET = 1;
    /** Offset of {@code [len][key][ts]} in an expiry key. */
    static final int EXPIRY_TAIL_OFFSET = EXPIRY_TIME_OFFSET + TS_SIZE;
    /** Bytes an expiry key adds to the user key: the largest overhead, so it bounds the key length. */
    static final int EXPIRY_OVERHEAD = EXPIRY_TAIL_OFFSET + KEY_LENGTH_SIZE + TS_SIZE;

    static final int FLAGS_OFFSET = 0;
    static final int VALID_TO_OFFSET = 1;
    static final int VALUE_OFFSET = 9;
    static final int HEADER_LENGTH = VALUE_OFFSET;

    /** Flag bit of a tombstone version. */
    static final byte TOMBSTONE = 1;
    /** {@code validTo} of a version no later version has superseded. */
    static final long OPEN = Long.MAX_VALUE;
    /** Expiry time of a version that never expires (the live latest version of a key). */
    static final long NEVER = Long.MAX_VALUE;

    private VersionedLayout() {
    }

    /** Length of the version key of a user key of {@code keyLength} bytes. */
    static int versionKeyLength(int keyLength) {
        return VERSION_OVERHEAD + keyLength;
    }

    /** Offset of the version timestamp in the version key of a user key of {@code keyLength} bytes. */
    static int versionTsOffset(int keyLength) {
        return VERSION_KEY_OFFSET + keyLength;
    }

    /**
     * When a version with these fields may be removed: at its {@code validTo} once superseded,
     * at its own ts if it is a latest tombstone, {@link #NEVER} if it is the live latest value.
     */
    static long expiry(boolean tombstone, long ts, long validTo) {
        if (validTo != OPEN) {
            return validTo;
        }
        return tombstone ? ts : NEVER;
    }
}
