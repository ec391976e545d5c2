package io.offstate.engine.log;

import static io.offstate.engine.log.WalFrameDescriptor.FRAME_HEADER_LENGTH;
import static io.offstate.engine.log.WalFrameDescriptor.HEADER_LENGTH;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

import io.offstate.engine.log.SegmentFiles.Segment;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.UnsupportedFormatVersionException;

/**
 * Recovery of a log directory at open: scans every segment's frames, cuts a torn tail, and either
 * refuses damage followed by valid data ({@link CorruptStoreFileException} naming segment and
 * offset) or, with {@link WalOptions#truncateAtDamage()}, truncates there and reports the loss.
 *
 * <p>Damage is a <em>torn tail</em> when no valid frame follows it anywhere in the log (searched
 * byte by byte in its segment: a valid frame carries its own position, so a match by chance is
 * practically impossible; and from the header in later segments).
 *
 * <p>Single-threaded: runs once, under the directory lock, before the log is shared.
 */
final class LogRecovery {
    /** The repaired log: its segments (the last one is active), its end, and the report. */
    record Result(List<Segment> segments, FileChannel active, long endPosition, WalRecovery report) {
    }

    private final Path directory;
    private final boolean truncateAtDamage;
    private final WalIo io;
    private final FrameReader frames = new FrameReader();

    LogRecovery(Path directory, boolean truncateAtDamage, WalIo io) {
        this.directory = directory;
        this.truncateAtDamage = truncateAtDamage;
        this.io = io;
    }

    Result run() throws IOException {
        List<Segment> segments = SegmentFiles.list(directory);
        if (segments.isEmpty()) {
            FileChannel active = SegmentFiles.create(directory, 0, io);
            return new Result(new ArrayList<>(List.of(new Segment(SegmentFiles.pathOf(directory, 0), 0))), active, 0,
                new WalRecovery(1, 0, 0, 0, false, 0, null, -1, -1, 0));
        }
        long batches = 0;
        long expectedBase = segments.get(0).base();
        int damagedIndex = -1;
        long damageOffset = -1;
        String problem = null;
        long endPosition = expectedBase;
        for (int i = 0; i < segments.size() && damagedIndex < 0; i++) {
            Segment segment = segments.get(i);
            if (segment.base() != expectedBase) {
                damagedIndex = i;
                damageOffset = 0;
                problem = "segment starts at position " + segment.base() + " but the segment before it ends at "
                    + expectedBase + " (a segment is missing)";
                break;
            }
            try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(segment.path(), StandardOpenOption.READ)) {
                long size = channel.size();
                if (size < HEADER_LENGTH) {
                    damagedIndex = i;
                    damageOffset = 0;
                    problem = "segment header cut short (" + size + " bytes)";
                    break;
                }
                checkSegmentSize(segment, size);
                ByteBuffer buffer = map(channel, size, arena);
                String headerProblem = headerProblem(segment, buffer);
                if (headerProblem != null) {
                    damagedIndex = i;
                    damageOffset = 0;
                    problem = headerProblem;
                    break;
                }
                long offset = HEADER_LENGTH;
                while (offset < size) {
                    int length = frames.check(buffer, size, segment.base(), offset);
                    if (length < 0) {
                        damagedIndex = i;
                        damageOffset = offset;
                        problem = FrameReader.describe(length);
                        break;
                    }
                    batches++;
                    offset += FRAME_HEADER_LENGTH + length;
                }
                endPosition = WalFrameDescriptor.positionAt(segment.base(), offset);
                expectedBase = endPosition;
            }
        }
        boolean tornTail = false;
        long tornTailBytes = 0;
        Path damagedSegment = null;
        long droppedFrom = -1;
        long droppedBytes = 0;
        long reportedOffset = -1;
        if (damagedIndex >= 0) {
            Segment damaged = segments.get(damagedIndex);
            long cutOffset = Math.max(damageOffset, HEADER_LENGTH);
            boolean validDataFollows = validFrameAfter(segments, damagedIndex,
                damageOffset <= 0 ? HEADER_LENGTH : damageOffset + 1);
            if (validDataFollows && !truncateAtDamage) {
                throw new CorruptStoreFileException(damaged.path(), "write-ahead log damaged at offset " + damageOffset
                    + " (position " + WalFrameDescriptor.positionAt(damaged.base(), cutOffset) + "): " + problem
                    + "; valid batches follow, so this is not a torn tail. Nothing was changed; open with"
                    + " WalOptions.withTruncateAtDamage(true) to drop everything from here");
            }
            long dropped = cut(segments, damagedIndex, damageOffset);
            // a whole segment dropped: the log ends where the segment before it ended (or this one began)
            endPosition = damageOffset <= 0 ? expectedBase : WalFrameDescriptor.positionAt(damaged.base(), damageOffset);
            if (validDataFollows) {
                damagedSegment = damaged.path();
                reportedOffset = damageOffset;
                droppedFrom = endPosition;
                droppedBytes = dropped;
            } else {
                tornTail = true;
                tornTailBytes = dropped;
            }
            segments = new ArrayList<>(segments.subList(0, damageOffset <= 0 ? damagedIndex : damagedIndex + 1));
        }
        FileChannel active;
        if (segments.isEmpty()) {
            active = SegmentFiles.create(directory, endPosition, io);
            segments = new ArrayList<>(List.of(new Segment(SegmentFiles.pathOf(directory, endPosition), endPosition)));
        } else {
            segments = new ArrayList<>(segments);
            active = FileChannel.open(segments.getLast().path(), StandardOpenOption.READ, StandardOpenOption.WRITE);
        }
        WalRecovery report = new WalRecovery(segments.size(), batches, segments.getFirst().base(), endPosition,
            tornTail, tornTailBytes, damagedSegment, reportedOffset, droppedFrom, droppedBytes);
        return new Result(segments, active, endPosition, report);
    }

    private static void checkSegmentSize(Segment segment, long size) {
        if (size > Integer.MAX_VALUE) {
            throw new CorruptStoreFileException(segment.path(), "segment of " + size + " bytes is larger than any"
                + " segment this log writes (" + WalOptions.MAX_SEGMENT_BYTES + " + one batch)");
        }
    }

    private static ByteBuffer map(FileChannel channel, long size, Arena arena) throws IOException {
        MemorySegment mapping = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
        return mapping.asByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    }

    private static String headerProblem(Segment segment, ByteBuffer buffer) {
        int magic = buffer.getInt(WalFrameDescriptor.MAGIC_OFFSET);
        if (magic != WalFrameDescriptor.MAGIC) {
            return "segment header has magic 0x" + Integer.toHexString(magic) + ", not a write-ahead log segment";
        }
        int version = buffer.getInt(WalFrameDescriptor.VERSION_OFFSET);
        if (version > WalFrameDescriptor.VERSION) {
            throw new UnsupportedFormatVersionException(segment.path(), version, WalFrameDescriptor.VERSION);
        }
        if (version < 1) {
            return "segment header has version " + version;
        }
        long base = buffer.getLong(WalFrameDescriptor.BASE_POSITION_OFFSET);
        if (base != segment.base()) {
            return "segment header says base position " + base + " but its name says " + segment.base();
        }
        return null;
    }

    /** Whether a valid frame starts at or after {@code firstOffset} of segment {@code index} or in a later segment. */
    private boolean validFrameAfter(List<Segment> segments, int index, long firstOffset) throws IOException {
        for (int i = index; i < segments.size(); i++) {
            Segment segment = segments.get(i);
            try (Arena arena = Arena.ofConfined(); FileChannel channel = FileChannel.open(segment.path(), StandardOpenOption.READ)) {
                long size = channel.size();
                if (size < HEADER_LENGTH + FRAME_HEADER_LENGTH || size > Integer.MAX_VALUE) {
                    continue;
                }
                ByteBuffer buffer = map(channel, size, arena);
                long start = i == index ? firstOffset : HEADER_LENGTH;
                for (long q = start; q + FRAME_HEADER_LENGTH <= size; q++) {
                    long expected = WalFrameDescriptor.positionAt(segment.base(), q);
                    if (buffer.getLong((int) q + WalFrameDescriptor.POSITION_OFFSET) == expected
                        && frames.check(buffer, size, segment.base(), q) >= 0) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    /** Truncates segment {@code index} at {@code offset} (deletes it if 0) and deletes all later ones; returns the bytes dropped. */
    private long cut(List<Segment> segments, int index, long offset) throws IOException {
        long dropped = 0;
        for (int i = segments.size() - 1; i > index; i--) {
            Path path = segments.get(i).path();
            dropped += Files.size(path);
            Files.delete(path);
        }
        Path damaged = segments.get(index).path();
        if (offset <= 0) {
            dropped += Files.size(damaged);
            Files.delete(damaged);
        } else {
            try (FileChannel channel = FileChannel.open(damaged, StandardOpenOption.WRITE)) {
                dropped += channel.size() - offset;
                channel.truncate(offset);
                io.force(channel);
            }
        }
        SegmentFiles.forceDirectory(directory);
        return dropped;
    }
}
