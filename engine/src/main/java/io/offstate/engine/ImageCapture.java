package io.offstate.engine;

import java.lang.foreign.MemorySegment;
import java.util.List;

import io.offstate.offheap.memory.AnonymousBacking;
import io.offstate.offheap.memory.ImagePin;
import io.offstate.offheap.memory.MappedRegion;

/**
 * Takes a {@link StoreImage} of a state and rebuilds a state from one: the two halves of a
 * checkpoint that need the store's internals. Stateless; runs on the store's owner thread.
 */
final class ImageCapture {
    private ImageCapture() {
    }

    /**
     * Pins the regions (all, or only the chunks changed since the last capture) and copies the
     * metadata, then starts a new change interval on every region: O(metadata + chunks), no region
     * bytes are copied here (see {@link StoreImage}). An image of {@code state} still open is first
     * detached (what it has not read is copied now). On failure nothing is pinned and the change
     * tracking is untouched.
     */
    static StoreImage capture(String name, StoreState state, StoreOptions options, byte[] flushMetadata,
                              boolean incremental, long baseToken, long token) {
        state.releasePin();
        List<MappedRegion> regions = state.regions();
        boolean[] whole = new boolean[regions.size()];
        long[][] runs = new long[regions.size()][];
        for (int i = 0; i < regions.size(); i++) {
            MappedRegion r = regions.get(i);
            r.verifyAll(); // a chunk not checked since open must not be checkpointed as good
            whole[i] = !incremental || r.isNewSinceClear();
            runs[i] = whole[i] ? new long[] {0, r.size()} : changedRuns(r);
        }
        byte[] meta = state.writeMeta(options, flushMetadata);
        ImagePin pin = ImagePin.pin(name, regions, whole);
        StoreImage image = new StoreImage(name, options, meta, flushMetadata.clone(), token, incremental ? baseToken : 0,
            incremental, state.map.size(), pin);
        for (int i = 0; i < regions.size(); i++) {
            MappedRegion r = regions.get(i);
            image.addRegion(r.fileId(), r.fileOffset(), r.size(), whole[i], runs[i], pin.region(i));
        }
        state.pin(pin);
        state.clearChanged(); // only once pinned: the pin read which chunks are carried
        return image;
    }

    /** Runs of changed chunks of {@code r} as (offset, length) pairs. */
    private static long[] changedRuns(MappedRegion r) {
        long chunks = r.chunks();
        long[] runs = new long[8];
        int n = 0;
        long c = 0;
        while (c < chunks) {
            if (!r.isChanged(c)) {
                c++;
                continue;
            }
            long start = c;
            while (c < chunks && r.isChanged(c)) {
                c++;
            }
            long from = start << MappedRegion.CHUNK_SHIFT;
            long to = Math.min(c << MappedRegion.CHUNK_SHIFT, r.size());
            if (n + 2 > runs.length) {
                runs = java.util.Arrays.copyOf(runs, runs.length * 2);
            }
            runs[n++] = from;
            runs[n++] = to - from;
        }
        return java.util.Arrays.copyOf(runs, n);
    }

    /**
     * A state rebuilt from {@code header} (read from an image's metadata) in anonymous memory of
     * {@code backing}, every region filled by {@code source}; its change interval starts now.
     */
    static StoreState rebuild(StoreState.Header header, AnonymousBacking backing, StoreImage.RegionSource source) {
        backing.loader(source::load);
        try {
            StoreState state = StoreState.reopen(header, backing);
            state.clearChanged();
            return state;
        } finally {
            backing.loader(null);
        }
    }
}
