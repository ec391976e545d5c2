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
     * Pins the regions (all, or only the lines changed since the last capture) and copies the
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

    /**
     * Unchanged lines between two changed ones up to which the two are carried as one run: a run
     * costs 16 bytes of manifest and a seek on restore, so a gap of a line or two is cheaper carried.
     */
    static final int RUN_GAP_LINES = 2;

    /** Runs of changed {@value MappedRegion#LINE_SIZE}-byte lines of {@code r} as (offset, length) pairs. */
    static long[] changedRuns(MappedRegion r) {
        final long chunks = r.chunks();
        final long gap = (long) RUN_GAP_LINES << MappedRegion.LINE_SHIFT;
        long[] runs = new long[8];
        int n = 0;
        long from = -1;
        long to = -1;
        for (long c = 0; c < chunks; c++) {
            long lines = r.changedLines(c);
            while (lines != 0) {
                int i = Long.numberOfTrailingZeros(lines);
                int k = Long.numberOfTrailingZeros(~(lines >>> i)); // consecutive changed lines from i
                long start = (c << MappedRegion.CHUNK_SHIFT) + ((long) i << MappedRegion.LINE_SHIFT);
                long end = start + ((long) k << MappedRegion.LINE_SHIFT);
                lines = i + k >= 64 ? 0 : lines & (-1L << (i + k));
                if (from >= 0 && start - to <= gap) {
                    to = end;
                    continue;
                }
                if (from >= 0) {
                    if (n + 2 > runs.length) {
                        runs = java.util.Arrays.copyOf(runs, runs.length * 2);
                    }
                    runs[n++] = from;
                    runs[n++] = to - from;
                }
                from = start;
                to = end;
            }
        }
        if (from >= 0) {
            to = Math.min(to, r.size());
            if (n + 2 > runs.length) {
                runs = java.util.Arrays.copyOf(runs, runs.length + 2);
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
