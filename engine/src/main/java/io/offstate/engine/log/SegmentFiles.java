package io.offstate.engine.log;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * Names, listing and creation of segment files: {@code wal-<base position, 20 digits>.seg}.
 *
 * <p>Thread-safety: stateless.
 */
final class SegmentFiles {
    static final String PREFIX = "wal-";
    static final String SUFFIX = ".seg";
    private static final int DIGITS = 20;

    private SegmentFiles() {
    }

    /** A segment file and the base position its name carries. */
    record Segment(Path path, long base) {
    }

    static Path pathOf(Path directory, long base) {
        return directory.resolve(PREFIX + String.format("%0" + DIGITS + "d", base) + SUFFIX);
    }

    /** The segment files of {@code directory}, in base-position order. */
    static List<Segment> list(Path directory) throws IOException {
        List<Segment> segments = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, PREFIX + "*" + SUFFIX)) {
            for (Path file : files) {
                String name = file.getFileName().toString();
                String digits = name.substring(PREFIX.length(), name.length() - SUFFIX.length());
                if (digits.length() == DIGITS && digits.chars().allMatch(Character::isDigit)) {
                    segments.add(new Segment(file, Long.parseLong(digits)));
                }
            }
        }
        segments.sort(Comparator.comparingLong(Segment::base));
        return segments;
    }

    /**
     * Creates the segment based at {@code base} (header written and forced, directory forced) and
     * returns its channel open for reading and writing.
     */
    static FileChannel create(Path directory, long base, WalIo io) throws IOException {
        Path path = pathOf(directory, base);
        FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE_NEW, StandardOpenOption.READ,
            StandardOpenOption.WRITE);
        try {
            ByteBuffer header = ByteBuffer.allocate(WalFrameDescriptor.HEADER_LENGTH).order(ByteOrder.LITTLE_ENDIAN);
            header.putInt(WalFrameDescriptor.MAGIC_OFFSET, WalFrameDescriptor.MAGIC);
            header.putInt(WalFrameDescriptor.VERSION_OFFSET, WalFrameDescriptor.VERSION);
            header.putLong(WalFrameDescriptor.BASE_POSITION_OFFSET, base);
            while (header.hasRemaining()) {
                io.write(channel, header, header.position());
            }
            io.force(channel);
            forceDirectory(directory);
            return channel;
        } catch (IOException | RuntimeException e) {
            channel.close();
            Files.deleteIfExists(path);
            throw e;
        }
    }

    /** Makes the directory's entries (created or deleted files) durable. */
    static void forceDirectory(Path directory) throws IOException {
        try (FileChannel dir = FileChannel.open(directory, StandardOpenOption.READ)) {
            dir.force(true);
        }
    }
}
