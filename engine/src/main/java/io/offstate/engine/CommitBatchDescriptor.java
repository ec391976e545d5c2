package io.offstate.engine;

import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * Layout of the payload of one write-ahead-log batch written by a {@link StatePartition}: one
 * commit, or the cancellation of one. Little-endian; the log's frame around it carries length and
 * CRC32C, so nothing here is checksummed again.
 *
 * <pre>
 * COMMIT                                   CANCEL
 *  0 int   magic 'OSCB'                     0 int   magic
 *  4 byte  kind 1                           4 byte  kind 2
 *  5 byte  version 1                        5 byte  version 1
 *  6 short 0                                6 short 0
 *  8 int   partition                        8 int   partition
 * 12 int   positions length (-1: none)     12 long  position of the cancelled commit batch
 * 16 …     positions bytes
 *    int   section count
 *    per section (one store, commit order):
 *      short name length, name (UTF-8), int record count
 *      per record: byte kind (1 put, 2 delete), long timestamp, int key length,
 *                  int value length (0 for a delete), key bytes, value bytes
 * </pre>
 *
 * A CANCEL follows a commit whose batch was appended but whose application then failed (only
 * damage found in a store can cause that): replay skips the commit it names.
 */
final class CommitBatchDescriptor {
    static final int MAGIC = 0x4243534F; // "OSCB" read little-endian
    static final byte COMMIT = 1;
    static final byte CANCEL = 2;
    static final byte VERSION = 1;
    static final byte PUT = 1;
    static final byte DELETE = 2;

    static final int MAGIC_OFFSET = 0;
    static final int KIND_OFFSET = 4;
    static final int VERSION_OFFSET = 5;
    static final int PARTITION_OFFSET = 8;
    static final int POSITIONS_LENGTH_OFFSET = 12;
    static final int POSITIONS_OFFSET = 16;
    static final int CANCELLED_POSITION_OFFSET = 12;
    static final int CANCEL_LENGTH = 20;
    /** kind, timestamp, key length, value length. */
    static final int RECORD_HEADER_LENGTH = 1 + 8 + 4 + 4;
    static final int MAX_NAME_LENGTH = 255;

    static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private CommitBatchDescriptor() {
    }
}
