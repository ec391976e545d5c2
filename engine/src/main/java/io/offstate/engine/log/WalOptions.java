package io.offstate.engine.log;

/**
 * How a {@link WriteAheadLog} is opened: its durability policy, segment size, largest batch and
 * what recovery does with damage in the middle of the log.
 *
 * <p>Immutable and thread-safe; each {@code with…} method returns a new instance.
 *
 * @param durability          when appended batches are forced ({@link Durability})
 * @param flushIntervalMillis the flush interval of {@link Durability#INTERVAL}, ≥ 1
 * @param segmentBytes        a segment is rolled when the next frame would take it past this
 *                            size (a batch larger than it gets a segment of its own); 4 KiB..1 GiB
 * @param maxBatchBytes       largest payload {@link WriteAheadLog#append} accepts;
 *                            1..{@value #MAX_BATCH_BYTES}
 * @param truncateAtDamage    if true, recovery truncates the log at a damaged frame that valid
 *                            data follows (and reports what it dropped in {@link WalRecovery})
 *                            instead of throwing {@code CorruptStoreFileException}
 */
public record WalOptions(Durability durability, long flushIntervalMillis, long segmentBytes, int maxBatchBytes,
                         boolean truncateAtDamage) {
    /** Upper bound of {@link #maxBatchBytes()}: 64 MiB. */
    public static final int MAX_BATCH_BYTES = 64 << 20;
    /** Smallest allowed segment size. */
    public static final long MIN_SEGMENT_BYTES = 4096;
    /** Largest allowed segment size (segments are mapped whole for recovery and replay). */
    public static final long MAX_SEGMENT_BYTES = 1L << 30;

    /**
     * Validates the options.
     *
     * @throws NullPointerException     if {@code durability} is null
     * @throws IllegalArgumentException if a number is out of its documented range
     */
    public WalOptions {
        if (durability == null) {
            throw new NullPointerException("durability must not be null");
        }
        if (flushIntervalMillis < 1) {
            throw new IllegalArgumentException("flushIntervalMillis must be >= 1, was " + flushIntervalMillis);
        }
        if (segmentBytes < MIN_SEGMENT_BYTES || segmentBytes > MAX_SEGMENT_BYTES) {
            throw new IllegalArgumentException("segmentBytes must be in " + MIN_SEGMENT_BYTES + ".." + MAX_SEGMENT_BYTES
                + ", was " + segmentBytes);
        }
        if (maxBatchBytes < 1 || maxBatchBytes > MAX_BATCH_BYTES) {
            throw new IllegalArgumentException("maxBatchBytes must be in 1.." + MAX_BATCH_BYTES + ", was " + maxBatchBytes);
        }
    }

    /** Fsync every commit, 10 ms interval (unused), 64 MiB segments, 64 MiB batches, throw on damage. */
    public static WalOptions defaults() {
        return new WalOptions(Durability.EVERY_COMMIT, 10, 64L << 20, MAX_BATCH_BYTES, false);
    }

    /** These options with {@code policy}. */
    public WalOptions withDurability(Durability policy) {
        return new WalOptions(policy, flushIntervalMillis, segmentBytes, maxBatchBytes, truncateAtDamage);
    }

    /** These options with {@link Durability#INTERVAL} every {@code millis} ms. */
    public WalOptions withFlushInterval(long millis) {
        return new WalOptions(Durability.INTERVAL, millis, segmentBytes, maxBatchBytes, truncateAtDamage);
    }

    /** These options with segments of {@code bytes}. */
    public WalOptions withSegmentBytes(long bytes) {
        return new WalOptions(durability, flushIntervalMillis, bytes, maxBatchBytes, truncateAtDamage);
    }

    /** These options with batches of at most {@code bytes}. */
    public WalOptions withMaxBatchBytes(int bytes) {
        return new WalOptions(durability, flushIntervalMillis, segmentBytes, bytes, truncateAtDamage);
    }

    /** These options with recovery truncating at damage ({@code true}) or throwing ({@code false}). */
    public WalOptions withTruncateAtDamage(boolean truncate) {
        return new WalOptions(durability, flushIntervalMillis, segmentBytes, maxBatchBytes, truncate);
    }
}
