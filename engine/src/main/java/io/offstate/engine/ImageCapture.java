package io.offstate.engine;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.List;

import io.offstate.offheap.memory.AnonymousBacking;
import io.offstate.offheap.memory.MappedRegion;

/**
 * Takes a {@link StoreImage} of a state and rebuilds a state from one: the two halves of a
 * checkpoint that need the store's internals. Stateless; runs on the store's owner thread.
 */
final class ImageCapture {
    private ImageCapture() {
    }

    /**
     * Copies the regions (all, or only the chunks changed since the last capture) and the metadata
     * into memory the image owns, then starts a new change interval on every region. On failure
     * nothing is left allocated and the change tracking is untouched.
     */
    static StoreImage capture(String name, StoreState state, StoreOptions options, byte[] flushMetadata,
                              boolean incremental, long baseToken, long token) {
        Arena arena = Arena.ofShared();
        try {
            List<StoreImage.Region> out = new ArrayList<>();
            for (MappedRegion r : state.regions()) {
                r.verifyAll(); // a chunk not checked since open must not be checkpointed as good
                boolean whole = !incremental || r.isNewSinceClear();
                long[] runs = whole ? new long[] {0, r.size()} : changedRuns(r);
                long total = 0;
                for (int i = 1; i < runs.length; i += 2) {
                    total += runs[i];
                }
                MemorySegment data = arena.allocate(Math.max(1, total), 64).asSlice(0, total);
                long at = 0;
                for (int i = 0; i < runs.length; i += 2) {
                    MemorySegment.copy(r.segment(), runs[i], data, at, runs[i + 1]);
                    at += runs[i + 1];
                }
                out.add(new StoreImage.Region(r.fileId(), r.fileOffset(), r.size(), whole, runs, data.asReadOnly()));
            }
            byte[] meta = state.writeMeta(options, flushMetadata);
            state.clearChanged(); // only once everything is copied: a failed capture keeps the interval open
            return new StoreImage(name, options, meta, flushMetadata.clone(), token, incremental ? baseToken : 0,
                incremental, out, state.map.size(), arena);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
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
