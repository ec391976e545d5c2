package io.offstate.engine;

import java.util.List;

/**
 * Images of all stores of one {@link StatePartition} taken at one commit, right after a flush
 * ({@link StatePartition#image(boolean)}): consistent across the stores, and each store's flush
 * metadata records {@link #logPosition()}, so a partition rebuilt from them replays the
 * write-ahead log from there.
 *
 * <p>Owns its images: {@link #close()} closes them. Immutable; any thread may read it.
 *
 * @param partition   the partition id
 * @param logPosition the durable log position the flush covered (replay starts there)
 * @param logEpoch    the log's epoch at that flush
 * @param positions   the input positions of the last commit (null: none)
 * @param stores      one image per store, in definition order
 */
public record PartitionImage(int partition, long logPosition, int logEpoch, byte[] positions, List<StoreImage> stores)
    implements AutoCloseable {
    public PartitionImage {
        positions = positions == null ? null : positions.clone();
        stores = List.copyOf(stores);
    }

    @Override
    public byte[] positions() {
        return positions == null ? null : positions.clone();
    }

    /** Closes every store image. */
    @Override
    public void close() {
        for (StoreImage s : stores) {
            s.close();
        }
    }
}
