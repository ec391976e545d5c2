package io.offstate.checkpoint;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.NoSuchFileException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import io.offstate.engine.StoreImage;

/**
 * Reads one store of a checkpoint back: follows the chain of parents to the full base, then
 * applies each checkpoint's runs on top, base first, into off-heap memory this reader owns; the
 * result serves as a {@link StoreImage.RegionSource} for {@code KeyValueStore.restoreImage}. Every
 * block is checked ({@link BlockCodec#decompress}); anything missing or inconsistent is a
 * {@link DamagedCheckpointException} naming the checkpoint (and block).
 *
 * <p>One thread; {@link #close()} frees the memory.
 */
final class ChainReader implements StoreImage.RegionSource, AutoCloseable {
    private record Key(int fileId, long fileOffset) {
    }

    private record Held(Arena arena, MemorySegment bytes) {
    }

    private final CheckpointStorage storage;
    private final String tipId;
    private final Map<Key, Held> regions = new HashMap<>();
    private final BlockCodec codec = new BlockCodec();
    private byte[] raw = new byte[0];
    private long bytesRead;

    private ChainReader(CheckpointStorage storage, String tipId) {
        this.storage = storage;
        this.tipId = tipId;
    }

    /**
     * The regions of store {@code section.name()} as of checkpoint {@code chain.getLast()}, where
     * {@code chain} runs from the full base to the tip and {@code sections} are that store's
     * sections in the same order.
     */
    static ChainReader read(CheckpointStorage storage, List<CheckpointManifest> chain,
                            List<CheckpointManifest.StoreSection> sections) throws IOException {
        ChainReader r = new ChainReader(storage, chain.getLast().id());
        try {
            for (int i = 0; i < chain.size(); i++) {
                r.apply(chain.get(i).id(), sections.get(i), i == 0 ? null : sections.get(i - 1));
            }
            return r;
        } catch (IOException | RuntimeException | Error e) {
            r.close();
            throw e;
        }
    }

    /** Compressed bytes read. */
    long bytesRead() {
        return bytesRead;
    }

    private void apply(String id, CheckpointManifest.StoreSection s, CheckpointManifest.StoreSection parent) throws IOException {
        if (parent == null && s.incremental()) {
            throw new DamagedCheckpointException(id, null, "store '" + s.name() + "' is incremental but its chain has no parent", null);
        }
        if (parent != null && s.incremental() && s.baseToken() != parent.token()) {
            throw new DamagedCheckpointException(id, null, "store '" + s.name() + "' was taken against another image than its parent's"
                + " (base token " + s.baseToken() + ", parent's token " + parent.token() + ")", null);
        }
        Map<Key, Held> next = new HashMap<>();
        List<Object[]> targets = new ArrayList<>(); // {Run, MemorySegment}
        try {
            for (CheckpointManifest.Region region : s.regions()) {
                Key key = new Key(region.fileId(), region.fileOffset());
                if (next.containsKey(key)) {
                    throw new DamagedCheckpointException(id, null, "store '" + s.name() + "' lists region " + key + " twice", null);
                }
                Held held;
                if (region.whole() || !s.incremental()) {
                    if (region.size() < 0 || region.size() > Integer.MAX_VALUE * 8L) {
                        throw new DamagedCheckpointException(id, null, "region " + key + " has size " + region.size(), null);
                    }
                    Arena arena = Arena.ofConfined();
                    held = new Held(arena, arena.allocate(Math.max(1, region.size()), 64).asSlice(0, region.size()));
                    long covered = 0;
                    for (CheckpointManifest.Run run : region.runs()) {
                        covered += run.length();
                    }
                    if (covered != region.size()) {
                        next.put(key, held);
                        throw new DamagedCheckpointException(id, null, "whole region " + key + " carries " + covered + " of its "
                            + region.size() + " bytes", null);
                    }
                } else {
                    held = regions.remove(key);
                    if (held == null || held.bytes().byteSize() != region.size()) {
                        if (held != null) {
                            held.arena().close();
                        }
                        throw new DamagedCheckpointException(id, null, "store '" + s.name() + "' changes region " + key
                            + " which its parent does not hold at that size", null);
                    }
                }
                next.put(key, held);
                for (CheckpointManifest.Run run : region.runs()) {
                    targets.add(new Object[] {run, held.bytes()});
                }
            }
        } catch (RuntimeException | Error e) {
            closeAll(next);
            throw e;
        }
        closeAll(regions); // regions of the parent the child no longer has
        regions.putAll(next);
        fill(id, s, targets);
    }

    private void fill(String id, CheckpointManifest.StoreSection s, List<Object[]> targets) throws IOException {
        targets.sort(Comparator.comparingLong(t -> ((CheckpointManifest.Run) t[0]).streamOffset()));
        long expect = 0;
        for (Object[] t : targets) {
            CheckpointManifest.Run run = (CheckpointManifest.Run) t[0];
            if (run.streamOffset() != expect) {
                throw new DamagedCheckpointException(id, null, "store '" + s.name() + "' runs do not tile its stream at " + expect, null);
            }
            expect += run.length();
        }
        long streamEnd = expect;
        long blockStart = 0;
        int cursor = 0;
        long doneInRun = 0;
        for (CheckpointManifest.Block b : s.blocks()) {
            if (b.streamOffset() != blockStart) {
                throw new DamagedCheckpointException(id, b.name(), "starts at stream offset " + b.streamOffset() + ", expected " + blockStart, null);
            }
            byte[] stored;
            try {
                stored = storage.readBlock(id, b.name());
            } catch (NoSuchFileException e) {
                throw new DamagedCheckpointException(id, b.name(), "is missing from " + storage.describe(), e);
            }
            bytesRead += stored.length;
            if (raw.length < b.rawLength()) {
                raw = new byte[b.rawLength()];
            }
            codec.decompress(id, b, stored, raw);
            int at = 0;
            while (at < b.rawLength()) {
                if (cursor >= targets.size()) {
                    throw new DamagedCheckpointException(id, b.name(), "holds bytes past the end of the store's runs", null);
                }
                CheckpointManifest.Run run = (CheckpointManifest.Run) targets.get(cursor)[0];
                MemorySegment into = (MemorySegment) targets.get(cursor)[1];
                int n = (int) Math.min(b.rawLength() - at, run.length() - doneInRun);
                MemorySegment.copy(raw, at, into, ValueLayout.JAVA_BYTE, run.offset() + doneInRun, n);
                at += n;
                doneInRun += n;
                if (doneInRun == run.length()) {
                    cursor++;
                    doneInRun = 0;
                }
            }
            blockStart += b.rawLength();
        }
        while (cursor < targets.size() && ((CheckpointManifest.Run) targets.get(cursor)[0]).length() == 0) {
            cursor++;
        }
        if (blockStart != streamEnd || cursor != targets.size()) {
            throw new DamagedCheckpointException(id, null, "store '" + s.name() + "' blocks hold " + blockStart
                + " bytes, its runs " + streamEnd + " (a block is missing from the manifest)", null);
        }
    }

    /** Every region, whole, sorted by file id then offset: to write a merged base. */
    List<SectionWriter.Piece> pieces() {
        List<SectionWriter.Piece> out = new ArrayList<>();
        for (var e : regions.entrySet()) {
            long size = e.getValue().bytes().byteSize();
            out.add(new SectionWriter.Piece(e.getKey().fileId(), e.getKey().fileOffset(), size, true, new long[] {0, size},
                SectionWriter.Source.of(e.getValue().bytes())));
        }
        out.sort(Comparator.comparingInt(SectionWriter.Piece::fileId).thenComparingLong(SectionWriter.Piece::fileOffset));
        return out;
    }

    @Override
    public void load(int fileId, long fileOffset, MemorySegment into) {
        Held held = regions.get(new Key(fileId, fileOffset));
        if (held == null || held.bytes().byteSize() != into.byteSize()) {
            throw new DamagedCheckpointException(tipId, null, "the store metadata names region " + fileId + "@" + fileOffset
                + " of " + into.byteSize() + " bytes, which the checkpoint " + (held == null ? "does not hold" : "holds with "
                + held.bytes().byteSize() + " bytes"), null);
        }
        MemorySegment.copy(held.bytes(), 0, into, 0, into.byteSize());
    }

    private static void closeAll(Map<Key, Held> m) {
        for (Held h : m.values()) {
            h.arena().close();
        }
        m.clear();
    }

    @Override
    public void close() {
        closeAll(regions);
    }
}
