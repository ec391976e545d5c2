package io.offstate.engine;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Layout of a pending record: the value a transaction's staging store holds for a key.
 *
 * <pre>
 *  0        1                         9
 *  +--------+-------------------------+-------------------------------+
 *  | kind   | record timestamp (LE)   | value bytes (puts only) ...   |
 *  +--------+-------------------------+-------------------------------+
 * </pre>
 *
 * Kind {@link #PUT} or {@link #DELETE} (the tombstone marker).
 */
final class PendingDescriptor {
    /** What a lookup returns for a key with no pending write. */
    static final byte ABSENT = -1;
    /** A pending delete (tombstone). */
    static final byte DELETE = 0;
    /** A pending put. */
    static final byte PUT = 1;

    static final int KIND_OFFSET = 0;
    static final int TIMESTAMP_OFFSET = 1;
    static final int HEADER_LENGTH = 9;
    static final ValueLayout.OfLong TIMESTAMP_LAYOUT = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private PendingDescriptor() {
    }
}
