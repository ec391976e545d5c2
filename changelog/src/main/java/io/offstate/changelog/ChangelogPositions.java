package io.offstate.changelog;

import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

import org.apache.kafka.common.TopicPartition;

/**
 * What a partition's state covers, committed atomically with the state as the engine's input
 * positions ({@link io.offstate.engine.Transaction#commit(byte[])},
 * {@link io.offstate.engine.StatePartition#committedPositions()}): the input offsets of the last
 * commit, and per store the changelog offset from which a replay reproduces the store.
 *
 * <h2>Meaning</h2>
 * <ol>
 *   <li>{@link #inputOffsets()}: per input partition, the next offset to consume (Kafka's committed
 *       offset convention) as of the last commit that gave some.</li>
 *   <li>{@link StoreOffset#offset()}: every changelog record of the store below this offset is in
 *       the store. Records at or above it may be too (the last commit's own records, see
 *       {@link StoreOffset#wrote()}): a replay from here to the end re-applies them, which is
 *       harmless because every record is a blind put or delete (last writer wins per key).</li>
 *   <li>{@link StoreOffset#wrote()}: the commit that carried these positions, whose id is
 *       {@link #commitId()}, produced records to the store's changelog at or after the offset. Under
 *       exactly-once the local commit is written before the Kafka transaction commits, so after a
 *       crash recovery checks that the first committed record from the offset carries this id; if
 *       not, the local store is ahead of Kafka and is rebuilt.</li>
 *   <li>{@link StoreOffset#rebuilding()}: the store is being wiped for a rebuild from the earliest
 *       offset; a recovery that finds it continues the rebuild.</li>
 * </ol>
 *
 * <h2>Binary format</h2> (big-endian, {@link #encode()} / {@link #decode(byte[])})
 * <pre>
 *  0  int    magic 0x4F53434C ("OSCL")
 *  4  byte   version 1
 *  5  long   commit id (0: none; a restore or rebuild commit)
 * 13  int    n, the number of input offsets
 *     n ×  { short topic length t, t bytes topic (UTF-8), int partition, long next offset }
 *     int    m, the number of stores
 *     m ×  { short name length s, s bytes store name (UTF-8), long changelog offset, byte flags }
 *            flags: bit 0 WROTE, bit 1 REBUILDING; other bits must be 0
 * </pre>
 * The same input-offsets part ({@code n} and its entries) is the value of the
 * {@link #INPUT_HEADER} header of every changelog record, and the commit id is the value of
 * {@link #COMMIT_HEADER} (8 bytes, big-endian).
 *
 * <p>Immutable and thread-safe. Bad input throws {@link IllegalArgumentException} (encoding: a
 * topic or store name over 32767 UTF-8 bytes, a negative offset; decoding: bytes not in this format).
 *
 * @param commitId     the id of the commit that carried these positions; 0 for none
 * @param inputOffsets input partition → next offset to consume, in insertion order (unmodifiable)
 * @param stores       store name → its changelog offset, in insertion order (unmodifiable)
 */
public record ChangelogPositions(long commitId, Map<TopicPartition, Long> inputOffsets, Map<String, StoreOffset> stores) {
    /** Record header naming the input offsets of the commit that produced the record. */
    public static final String INPUT_HEADER = "offstate.input";
    /** Record header holding the id of the commit that produced the record (8 bytes, big-endian). */
    public static final String COMMIT_HEADER = "offstate.commit";

    static final int MAGIC = 0x4F53434C;
    static final byte VERSION = 1;
    static final int HEADER_LENGTH = 13;
    static final byte WROTE = 1;
    static final byte REBUILDING = 2;

    /** None: a partition that never committed through a changelog. */
    public static final ChangelogPositions NONE = new ChangelogPositions(0, Map.of(), Map.of());

    /**
     * A store's changelog offset and flags (see the class contract).
     *
     * @param offset     every changelog record below it is in the store (&gt;= 0)
     * @param wrote      the commit of {@link ChangelogPositions#commitId()} produced records at or after it
     * @param rebuilding the store is being wiped and rebuilt from the earliest offset
     */
    public record StoreOffset(long offset, boolean wrote, boolean rebuilding) {
        /** @throws IllegalArgumentException if {@code offset} is negative */
        public StoreOffset {
            if (offset < 0) {
                throw new IllegalArgumentException("changelog offset must be >= 0, was " + offset);
            }
        }
    }

    /**
     * Copies the maps (keeping their order).
     *
     * @throws NullPointerException     if a map, key or value is null
     * @throws IllegalArgumentException if an input offset is negative
     */
    public ChangelogPositions {
        Objects.requireNonNull(inputOffsets, "inputOffsets");
        Objects.requireNonNull(stores, "stores");
        Map<TopicPartition, Long> in = new LinkedHashMap<>();
        for (Map.Entry<TopicPartition, Long> e : inputOffsets.entrySet()) {
            Objects.requireNonNull(e.getKey(), "input partition");
            long o = Objects.requireNonNull(e.getValue(), "input offset");
            if (o < 0) {
                throw new IllegalArgumentException("input offset of " + e.getKey() + " must be >= 0, was " + o);
            }
            in.put(e.getKey(), o);
        }
        Map<String, StoreOffset> st = new LinkedHashMap<>();
        for (Map.Entry<String, StoreOffset> e : stores.entrySet()) {
            st.put(Objects.requireNonNull(e.getKey(), "store name"), Objects.requireNonNull(e.getValue(), "store offset"));
        }
        inputOffsets = Collections.unmodifiableMap(in);
        stores = Collections.unmodifiableMap(st);
    }

    /** The store's offset, or {@code null} if these positions name no such store. */
    public StoreOffset store(String name) {
        return stores.get(name);
    }

    /** These positions with {@code name} set to {@code offset}. */
    ChangelogPositions withStore(String name, StoreOffset offset) {
        Map<String, StoreOffset> st = new LinkedHashMap<>(stores);
        st.put(name, offset);
        return new ChangelogPositions(commitId, inputOffsets, st);
    }

    ChangelogPositions withCommitId(long id) {
        return new ChangelogPositions(id, inputOffsets, stores);
    }

    /** The bytes of the format above. */
    public byte[] encode() {
        byte[][] topics = new byte[inputOffsets.size()][];
        byte[][] names = new byte[stores.size()][];
        int length = HEADER_LENGTH + 4 + 4;
        int i = 0;
        for (TopicPartition tp : inputOffsets.keySet()) {
            topics[i] = utf8(tp.topic(), "topic");
            length += 2 + topics[i].length + 4 + 8;
            i++;
        }
        i = 0;
        for (String name : stores.keySet()) {
            names[i] = utf8(name, "store name");
            length += 2 + names[i].length + 8 + 1;
            i++;
        }
        ByteBuffer b = ByteBuffer.allocate(length);
        b.putInt(MAGIC).put(VERSION).putLong(commitId);
        putInputs(b, topics);
        b.putInt(stores.size());
        i = 0;
        for (StoreOffset so : stores.values()) {
            b.putShort((short) names[i].length).put(names[i]).putLong(so.offset())
                .put((byte) ((so.wrote() ? WROTE : 0) | (so.rebuilding() ? REBUILDING : 0)));
            i++;
        }
        return b.array();
    }

    /** The input-offsets part alone: the value of {@link #INPUT_HEADER}. */
    byte[] encodeInputs() {
        byte[][] topics = new byte[inputOffsets.size()][];
        int length = 4;
        int i = 0;
        for (TopicPartition tp : inputOffsets.keySet()) {
            topics[i] = utf8(tp.topic(), "topic");
            length += 2 + topics[i].length + 12;
            i++;
        }
        ByteBuffer b = ByteBuffer.allocate(length);
        putInputs(b, topics);
        return b.array();
    }

    private void putInputs(ByteBuffer b, byte[][] topics) {
        b.putInt(inputOffsets.size());
        int i = 0;
        for (Map.Entry<TopicPartition, Long> e : inputOffsets.entrySet()) {
            b.putShort((short) topics[i].length).put(topics[i]).putInt(e.getKey().partition()).putLong(e.getValue());
            i++;
        }
    }

    /**
     * Decodes {@link #encode()}'s bytes; {@code null} or empty gives {@link #NONE}.
     *
     * @throws IllegalArgumentException if the bytes are not changelog positions (another format,
     *                                  another version, truncated, trailing bytes, unknown flags)
     */
    public static ChangelogPositions decode(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return NONE;
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        try {
            if (bytes.length < HEADER_LENGTH + 8 || b.getInt() != MAGIC) {
                throw new IllegalArgumentException("the " + bytes.length + " bytes are not changelog positions (no 'OSCL' magic):"
                    + " the partition was committed without a changelog");
            }
            byte version = b.get();
            if (version != VERSION) {
                throw new IllegalArgumentException("changelog positions of version " + version + "; this build reads " + VERSION);
            }
            long commitId = b.getLong();
            Map<TopicPartition, Long> inputs = getInputs(b);
            int m = b.getInt();
            if (m < 0 || m > b.remaining()) {
                throw new IllegalArgumentException("changelog positions name " + m + " stores in " + bytes.length + " bytes");
            }
            Map<String, StoreOffset> stores = new LinkedHashMap<>();
            for (int i = 0; i < m; i++) {
                String name = getString(b);
                long offset = b.getLong();
                byte flags = b.get();
                if ((flags & ~(WROTE | REBUILDING)) != 0 || offset < 0) {
                    throw new IllegalArgumentException("changelog positions of store '" + name + "' are malformed (offset "
                        + offset + ", flags " + flags + ")");
                }
                stores.put(name, new StoreOffset(offset, (flags & WROTE) != 0, (flags & REBUILDING) != 0));
            }
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("changelog positions have " + b.remaining() + " bytes after their end");
            }
            return new ChangelogPositions(commitId, inputs, stores);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("changelog positions of " + bytes.length + " bytes are truncated", e);
        }
    }

    /**
     * Decodes the value of an {@link #INPUT_HEADER} header.
     *
     * @throws IllegalArgumentException if it is malformed
     */
    public static Map<TopicPartition, Long> decodeInputs(byte[] header) {
        ByteBuffer b = ByteBuffer.wrap(Objects.requireNonNull(header, "header"));
        try {
            Map<TopicPartition, Long> inputs = getInputs(b);
            if (b.hasRemaining()) {
                throw new IllegalArgumentException("input offsets header has " + b.remaining() + " bytes after its end");
            }
            return Collections.unmodifiableMap(inputs);
        } catch (BufferUnderflowException e) {
            throw new IllegalArgumentException("input offsets header of " + header.length + " bytes is truncated", e);
        }
    }

    private static Map<TopicPartition, Long> getInputs(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalArgumentException("changelog positions name " + n + " input partitions in " + b.capacity() + " bytes");
        }
        Map<TopicPartition, Long> inputs = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            String topic = getString(b);
            int partition = b.getInt();
            long offset = b.getLong();
            if (partition < 0 || offset < 0) {
                throw new IllegalArgumentException("input offset " + topic + "-" + partition + " @ " + offset + " is malformed");
            }
            inputs.put(new TopicPartition(topic, partition), offset);
        }
        return inputs;
    }

    private static String getString(ByteBuffer b) {
        int length = Short.toUnsignedInt(b.getShort());
        if (length > b.remaining()) {
            throw new BufferUnderflowException();
        }
        byte[] s = new byte[length];
        b.get(s);
        return new String(s, StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s, String what) {
        byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
        if (bytes.length > Short.MAX_VALUE) {
            throw new IllegalArgumentException(what + " of " + bytes.length + " UTF-8 bytes exceeds the limit of " + Short.MAX_VALUE);
        }
        return bytes;
    }

    /** 8 bytes, big-endian: the value of {@link #COMMIT_HEADER}. */
    static byte[] commitHeader(long id) {
        return ByteBuffer.allocate(8).putLong(id).array();
    }

    /** The commit id of a {@link #COMMIT_HEADER} value, or 0 if it is not 8 bytes. */
    static long commitOf(byte[] header) {
        return header == null || header.length != 8 ? 0 : ByteBuffer.wrap(header).getLong();
    }
}
