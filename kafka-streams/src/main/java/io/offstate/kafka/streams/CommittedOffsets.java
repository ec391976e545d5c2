package io.offstate.kafka.streams;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.errors.ProcessorStateException;
import org.apache.kafka.streams.processor.StateStoreContext;
import org.apache.kafka.streams.query.Position;
import org.apache.kafka.streams.state.internals.PositionSerde;

/**
 * The changelog offsets of one offstate store (KIP-1035: the store manages its own offsets), and
 * the rule that decides which of Kafka Streams' commits are made durable.
 *
 * <h2>Why a commit need not be durable</h2>
 * A store that manages its offsets answers {@code committedOffset(changelog)} when Kafka Streams
 * opens it, and Kafka Streams restores from the changelog only what comes after that offset. The
 * claim must never exceed the store's durable state. offstate writes the offsets <em>in the same
 * flush</em> as the data (the engine's {@code flush(metadata)}: data and metadata are committed by
 * one journal header, a crash keeps both or neither), so whatever flush survives a crash, the
 * offsets it carries describe exactly its data. A commit therefore only has to record the offsets;
 * making them durable can wait: a crash then reopens an older flush with its older offsets, and
 * Kafka Streams restores the rest from the changelog. This is what Kafka's own RocksDB store does
 * in 4.3 (offsets in a column family, WAL off, atomic flush of all column families).
 *
 * <h2>When a commit is durable</h2>
 * When {@link #commit} says so: the changelog offsets moved by at least
 * {@value OffstateStreamsConfig#DEFAULT_COMMIT_DURABLE_OFFSET_DELTA} (config
 * {@value OffstateStreamsConfig#COMMIT_DURABLE_OFFSET_DELTA_CONFIG}; Kafka's own checkpoint threshold)
 * since the last durable flush, or the store changed and
 * {@value OffstateStreamsConfig#COMMIT_DURABLE_INTERVAL_MS_CONFIG} ms passed since it, or a
 * commit removes offsets the durable flush holds (corruption recovery). The store's {@code close}
 * is always durable. A crash thus costs at most that much restore work.
 *
 * <h2>Metadata layout</h2>
 * Version byte 1; entry count (int); per entry: topic length (short), topic (UTF-8), partition
 * (int), offset (long); then the store's {@link Position} as {@link PositionSerde} writes it.
 *
 * <p>Not thread-safe: the owning store calls it under its lock.
 */
final class CommittedOffsets {
    private static final byte VERSION = 1;

    private final Map<TopicPartition, Long> offsets = new HashMap<>();
    private final long offsetDelta;
    private final long intervalNanos;
    private long durableOffsetSum;
    private boolean durableHasOffsets;
    private long durableVersion = Long.MIN_VALUE;
    private long durableAt = System.nanoTime();
    private boolean committedBeforeLoad;

    /**
     * @param offsetDelta    offset movement that makes a commit durable (0: every commit)
     * @param intervalMillis age of the last durable flush that makes a commit of a changed store durable
     */
    CommittedOffsets(long offsetDelta, long intervalMillis) {
        if (offsetDelta < 0 || intervalMillis < 0) {
            throw new IllegalArgumentException("offset delta and interval must be >= 0, were " + offsetDelta + ", "
                + intervalMillis);
        }
        this.offsetDelta = offsetDelta;
        this.intervalNanos = intervalMillis * 1_000_000L;
    }

    /** The policy configured in {@code context}'s application configs. */
    static CommittedOffsets of(StateStoreContext context) {
        Map<String, Object> configs = context.appConfigs();
        return new CommittedOffsets(
            OffstateStreamsConfig.longConfig(configs, OffstateStreamsConfig.COMMIT_DURABLE_OFFSET_DELTA_CONFIG,
                OffstateStreamsConfig.DEFAULT_COMMIT_DURABLE_OFFSET_DELTA),
            OffstateStreamsConfig.longConfig(configs, OffstateStreamsConfig.COMMIT_DURABLE_INTERVAL_MS_CONFIG,
                OffstateStreamsConfig.DEFAULT_COMMIT_DURABLE_INTERVAL_MS));
    }

    /**
     * Takes the offsets and position of the store's last durable flush ({@code metadata}, empty for
     * a new store) as opened, with the store's version then. Offsets committed before this (a store
     * whose files open at its first use) are newer and are kept.
     *
     * @throws ProcessorStateException if the metadata is not this class's layout
     */
    void load(byte[] metadata, long version, Position position) {
        Map<TopicPartition, Long> durable = new HashMap<>();
        if (metadata.length > 0) {
            try {
                ByteBuffer b = ByteBuffer.wrap(metadata);
                if (b.get() != VERSION) {
                    throw new IllegalArgumentException("unknown layout version " + metadata[0]);
                }
                int n = b.getInt();
                for (int i = 0; i < n; i++) {
                    byte[] topic = new byte[b.getShort()];
                    b.get(topic);
                    durable.put(new TopicPartition(new String(topic, StandardCharsets.UTF_8), b.getInt()), b.getLong());
                }
                position.merge(PositionSerde.deserialize(b));
            } catch (RuntimeException e) {
                throw new ProcessorStateException("store flush metadata is not offstate's changelog offsets: " + e, e);
            }
        }
        durableHasOffsets = !durable.isEmpty();
        durableOffsetSum = sum(durable);
        durableVersion = version;
        durableAt = System.nanoTime();
        if (!committedBeforeLoad) {
            offsets.clear();
            offsets.putAll(durable);
        }
    }

    /** The offset last committed for {@code partition}, or null. */
    Long get(TopicPartition partition) {
        return offsets.get(partition);
    }

    /** Whether any offset is committed. */
    boolean isEmpty() {
        return offsets.isEmpty();
    }

    /**
     * Records a commit as KIP-1035 defines it (an empty map removes every offset, a null value
     * removes that partition's) and answers whether it must be made durable now, given the store's
     * {@code version} (its write counter).
     */
    boolean commit(Map<TopicPartition, Long> changelogOffsets, long version) {
        committedBeforeLoad = true;
        if (changelogOffsets.isEmpty()) {
            offsets.clear();
        } else {
            for (Map.Entry<TopicPartition, Long> e : changelogOffsets.entrySet()) {
                if (e.getValue() == null) {
                    offsets.remove(e.getKey());
                } else {
                    offsets.put(e.getKey(), e.getValue());
                }
            }
        }
        return due(version);
    }

    /** Whether the current state must be made durable now (see the class comment). */
    boolean due(long version) {
        if (offsetDelta == 0) {
            return true;
        }
        if (durableHasOffsets && offsets.isEmpty()) {
            return true; // removal: a crash must not bring back offsets Kafka Streams dropped
        }
        long moved = Math.abs(sum(offsets) - durableOffsetSum);
        if (moved >= offsetDelta) {
            return true;
        }
        boolean changed = moved != 0 || version != durableVersion;
        return changed && System.nanoTime() - durableAt >= intervalNanos;
    }

    /** The metadata to flush with the data: the offsets and {@code position}. */
    byte[] encode(Position position) {
        ByteBuffer p = PositionSerde.serialize(position);
        int size = 1 + 4 + p.remaining();
        byte[][] topics = new byte[offsets.size()][];
        int i = 0;
        for (TopicPartition tp : offsets.keySet()) {
            topics[i] = tp.topic().getBytes(StandardCharsets.UTF_8);
            size += 2 + topics[i].length + 4 + 8;
            i++;
        }
        ByteBuffer b = ByteBuffer.allocate(size);
        b.put(VERSION).putInt(offsets.size());
        i = 0;
        for (Map.Entry<TopicPartition, Long> e : offsets.entrySet()) {
            b.putShort((short) topics[i].length).put(topics[i]).putInt(e.getKey().partition()).putLong(e.getValue());
            i++;
        }
        b.put(p);
        return b.array();
    }

    /** Records that the current offsets were flushed durably, the store then at {@code version}. */
    void durable(long version) {
        durableHasOffsets = !offsets.isEmpty();
        durableOffsetSum = sum(offsets);
        durableVersion = version;
        durableAt = System.nanoTime();
    }

    private static long sum(Map<TopicPartition, Long> m) {
        long s = 0;
        for (long v : m.values()) {
            s += v;
        }
        return s;
    }
}
