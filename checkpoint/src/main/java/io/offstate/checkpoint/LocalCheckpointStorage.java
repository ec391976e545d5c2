package io.offstate.checkpoint;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;

/**
 * A {@link CheckpointStorage} in a local directory:
 * <pre>
 *   root/blocks/&lt;id&gt;/&lt;block&gt;                one file per block (forced when written)
 *   root/manifests/&lt;seq:20 digits&gt;.&lt;id&gt;     one file per published checkpoint
 * </pre>
 * <b>Publication</b> writes the manifest to {@code blocks/<id>/~manifest}, forces it and the
 * checkpoint's block directory, renames it into {@code manifests/} (atomic on POSIX file systems)
 * and forces {@code manifests/}: the rename is the commit point, so a crash leaves either no
 * manifest or a complete checkpoint. The sequence number in the manifest's name gives the
 * publication order. Blocks are written to {@code ~<block>}, forced and renamed, so a block file
 * under its own name is always whole. <b>Delete</b> removes the manifest first (and forces
 * {@code manifests/}), then the blocks.
 *
 * <p>Threading: safe for several threads; publications are serialized by this object, so one
 * directory should be used by one {@code LocalCheckpointStorage} (one process) at a time.
 * Errors: file-system failures are {@link IOException}s, missing checkpoints and blocks
 * {@link NoSuchFileException}s naming the id (and block).
 */
public final class LocalCheckpointStorage implements CheckpointStorage {
    private static final String TEMP_PREFIX = "~";
    private static final String MANIFEST_TEMP = "~manifest";
    private static final int SEQUENCE_DIGITS = 20;

    private final Path root;
    private final Path blocks;
    private final Path manifests;
    private volatile boolean closed;

    private LocalCheckpointStorage(Path root) {
        this.root = root;
        this.blocks = root.resolve("blocks");
        this.manifests = root.resolve("manifests");
    }

    /**
     * Opens (creating if needed) the checkpoint directory {@code root}.
     *
     * @throws IOException if the directories cannot be created
     */
    public static LocalCheckpointStorage open(Path root) throws IOException {
        Objects.requireNonNull(root, "root");
        LocalCheckpointStorage s = new LocalCheckpointStorage(root.toAbsolutePath());
        Files.createDirectories(s.blocks);
        Files.createDirectories(s.manifests);
        return s;
    }

    /** The directory. */
    public Path root() {
        return root;
    }

    @Override
    public String describe() {
        return "directory " + root;
    }

    @Override
    public void writeBlock(String id, String block, byte[] data, int offset, int length) throws IOException {
        ensureOpen();
        CheckpointNames.check("checkpoint id", id);
        CheckpointNames.check("block name", block);
        Objects.checkFromIndexSize(offset, length, data.length);
        if (manifestFile(id) != null) {
            throw new IllegalStateException("checkpoint '" + id + "' in " + describe() + " is already published");
        }
        Path dir = blocks.resolve(id);
        Files.createDirectories(dir);
        Path temp = dir.resolve(TEMP_PREFIX + block);
        writeForced(temp, data, offset, length);
        Files.move(temp, dir.resolve(block), StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    @Override
    public byte[] readBlock(String id, String block) throws IOException {
        ensureOpen();
        CheckpointNames.check("checkpoint id", id);
        CheckpointNames.check("block name", block);
        Path file = blocks.resolve(id).resolve(block);
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(file.toString(), null, "block '" + block + "' of checkpoint '" + id + "' is missing");
        }
    }

    @Override
    public synchronized void publish(String id, byte[] manifest) throws IOException {
        ensureOpen();
        CheckpointNames.check("checkpoint id", id);
        Objects.requireNonNull(manifest, "manifest");
        if (manifestFile(id) != null) {
            throw new IllegalStateException("checkpoint '" + id + "' in " + describe() + " is already published");
        }
        Path dir = blocks.resolve(id);
        Files.createDirectories(dir);
        Path temp = dir.resolve(MANIFEST_TEMP);
        writeForced(temp, manifest, 0, manifest.length);
        forceDirectory(dir);      // the blocks' directory entries are durable before the manifest is visible
        forceDirectory(blocks);   // and so is the checkpoint's directory itself
        long next = 1;
        TreeMap<String, String> published = published();
        if (!published.isEmpty()) {
            next = Long.parseLong(published.lastKey().substring(0, SEQUENCE_DIGITS)) + 1;
        }
        String name = String.format("%0" + SEQUENCE_DIGITS + "d", next) + "." + id;
        Files.move(temp, manifests.resolve(name), StandardCopyOption.ATOMIC_MOVE); // the commit point
        forceDirectory(manifests);
    }

    @Override
    public List<String> list() throws IOException {
        ensureOpen();
        return new ArrayList<>(published().values());
    }

    @Override
    public List<String> listUnpublished() throws IOException {
        ensureOpen();
        List<String> ids = new ArrayList<>();
        java.util.Set<String> published = new java.util.HashSet<>(published().values());
        try (DirectoryStream<Path> s = Files.newDirectoryStream(blocks)) {
            for (Path p : s) {
                String id = p.getFileName().toString();
                if (Files.isDirectory(p) && !published.contains(id)) {
                    ids.add(id);
                }
            }
        }
        return ids;
    }

    @Override
    public byte[] readManifest(String id) throws IOException {
        ensureOpen();
        CheckpointNames.check("checkpoint id", id);
        Path file = manifestFile(id);
        if (file == null) {
            throw new NoSuchFileException(manifests.resolve(id).toString(), null, "checkpoint '" + id + "' is not published in " + describe());
        }
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) { // deleted meanwhile
            throw new NoSuchFileException(file.toString(), null, "checkpoint '" + id + "' is not published in " + describe());
        }
    }

    @Override
    public synchronized void delete(String id) throws IOException {
        ensureOpen();
        CheckpointNames.check("checkpoint id", id);
        Path manifest = manifestFile(id);
        if (manifest != null) {
            Files.deleteIfExists(manifest);
            forceDirectory(manifests); // unpublished first: never a visible checkpoint with missing blocks
        }
        Path dir = blocks.resolve(id);
        if (Files.isDirectory(dir)) {
            try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
                for (Path p : s) {
                    Files.deleteIfExists(p);
                }
            }
            Files.deleteIfExists(dir);
            forceDirectory(blocks);
        }
    }

    @Override
    public void close() {
        closed = true;
    }

    /** Published manifests: file name (sequence first, so sorted in publication order) to id. */
    private TreeMap<String, String> published() throws IOException {
        TreeMap<String, String> m = new TreeMap<>();
        try (DirectoryStream<Path> s = Files.newDirectoryStream(manifests)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                if (name.length() > SEQUENCE_DIGITS + 1 && name.charAt(SEQUENCE_DIGITS) == '.' && isDigits(name, SEQUENCE_DIGITS)) {
                    m.put(name, name.substring(SEQUENCE_DIGITS + 1));
                }
            }
        }
        return m;
    }

    private Path manifestFile(String id) throws IOException {
        for (var e : published().entrySet()) {
            if (e.getValue().equals(id)) {
                return manifests.resolve(e.getKey());
            }
        }
        return null;
    }

    private static boolean isDigits(String s, int n) {
        for (int i = 0; i < n; i++) {
            if (s.charAt(i) < '0' || s.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    private static void writeForced(Path file, byte[] data, int offset, int length) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
            StandardOpenOption.TRUNCATE_EXISTING)) {
            ByteBuffer b = ByteBuffer.wrap(data, offset, length);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    private static void forceDirectory(Path dir) throws IOException {
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            // some file systems (not Linux ones) refuse to open a directory; the rename is still atomic there
            if (!System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("win")) {
                throw e;
            }
        }
    }

    private void ensureOpen() {
        if (closed) {
            throw new IllegalStateException(describe() + " is closed");
        }
    }
}
