package io.offstate.engine;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import io.offstate.offheap.file.JournalDescriptor;

/**
 * An undamaged file-backed store of one {@link FuzzConfig}, built once from a deterministic
 * workload, and what reading it back must give. The workload has four phases, each ended by a
 * commit, with puts, overwrites (growing and shrinking values), deletes and large values; the
 * directory is copied after each earlier commit (generations 2, 3 and 4; the final one is 5), so
 * each file of the final directory has stale versions from earlier generations (the copies are
 * what a file-by-file copy of a live directory could put back).
 *
 * <p>Not thread-safe; the directories are owned by the caller (deleted with the root it was
 * built under). Test code only.
 */
final class FuzzReference {
    /** Unsigned lexicographic order, the order of the sorted index. */
    static final Comparator<byte[]> ORDER = Arrays::compareUnsigned;
    /** The lock file is the live store's, never part of a copy. */
    static final String LOCK = "offstate.lock";

    final FuzzConfig config;
    /** The directory after the last commit (close). */
    final Path finalDir;
    /** Copies taken after earlier commits, oldest first. */
    final List<Path> staleDirs;
    /** The store's contents after the last commit. */
    final TreeMap<byte[], byte[]> model;
    /** Keys the store must not hold: deleted ones (once present in a stale file) and never-written ones. */
    final List<byte[]> absent;
    /** The newest journal generation of {@link #finalDir}. */
    final long generation;
    /** {@link KeyValueStore#dictionarySize()} of the undamaged store. */
    final int dictionarySize;
    /** File names of {@link #finalDir}, sorted. */
    final List<String> files;
    /** Segment file base names ({@code seg-<id>}) of {@link #finalDir} to {@code seg-large} or {@code seg-table}. */
    private final Map<String, String> segmentKinds;

    private FuzzReference(FuzzConfig config, Path finalDir, List<Path> staleDirs, TreeMap<byte[], byte[]> model,
                          List<byte[]> absent, int dictionarySize) {
        this.config = config;
        this.finalDir = finalDir;
        this.staleDirs = staleDirs;
        this.model = model;
        this.absent = absent;
        this.dictionarySize = dictionarySize;
        this.files = list(finalDir);
        this.generation = generation(finalDir);
        this.segmentKinds = segmentKinds(finalDir, files, model);
    }

    /**
     * The kind of a file for the tally: its name, except that segment files are told apart by
     * what they hold: {@code seg-large} (a large value of the model is in it), {@code seg-table}
     * (the other segments in use: hash tables) and {@code seg-freed} (only in a stale copy).
     */
    String fileKind(String name) {
        if (!name.startsWith("seg-")) {
            return name;
        }
        String base = name.substring(0, name.length() - 4);
        return segmentKinds.getOrDefault(base, "seg-freed") + name.substring(name.length() - 4);
    }

    private static Map<String, String> segmentKinds(Path dir, List<String> files, Map<byte[], byte[]> model) {
        Map<String, String> kinds = new HashMap<>();
        for (String f : files) {
            if (f.startsWith("seg-") && f.endsWith(".dat")) {
                byte[] bytes;
                try {
                    bytes = Files.readAllBytes(dir.resolve(f));
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                boolean large = false;
                for (byte[] v : model.values()) {
                    if (v.length >= 1000 && indexOf(bytes, Arrays.copyOf(v, 64)) >= 0) {
                        large = true;
                        break;
                    }
                }
                kinds.put(f.substring(0, f.length() - 4), large ? "seg-large" : "seg-table");
            }
        }
        return kinds;
    }

    static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }

    /**
     * The newest generation among the journals of {@code dir}, read from the journal headers
     * ({@link JournalDescriptor#GENERATION_OFFSET}); for describing stale copies only.
     */
    static long generation(Path dir) {
        long g = 0;
        for (String j : List.of("journal-0", "journal-1")) {
            Path p = dir.resolve(j);
            try {
                if (Files.size(p) >= JournalDescriptor.GENERATION_OFFSET + Long.BYTES) {
                    byte[] b = Files.readAllBytes(p);
                    g = Math.max(g, ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).getLong(JournalDescriptor.GENERATION_OFFSET));
                }
            } catch (IOException e) {
                // a missing journal has no generation
            }
        }
        return g;
    }

    /** The expected read-back of this reference. */
    FuzzReadBack.Expected expected() {
        return new FuzzReadBack.Expected(config.options(), model, absent, dictionarySize);
    }

    static byte[] key(int i) {
        return ("t" + (i % 7) + "|key-" + i).getBytes(StandardCharsets.UTF_8);
    }

    static byte[] largeKey(int i) {
        return ("big|large-" + i).getBytes(StandardCharsets.UTF_8);
    }

    private static byte[] value(Random random, int length) {
        byte[] v = new byte[length];
        random.nextBytes(v);
        return v;
    }

    /** A small value: 0..60 bytes. */
    private static byte[] small(Random random) {
        return value(random, random.nextInt(61));
    }

    /** A large value: over a quarter of a 4 KiB page, so a block (and a segment file) of its own. */
    private static byte[] large(Random random) {
        return value(random, 1500 + random.nextInt(5000));
    }

    /** Builds the reference of {@code config} in a new directory under {@code root}. */
    static FuzzReference build(FuzzConfig config, Path root) {
        try {
            Path base = Files.createTempDirectory(root, "ref-" + config.name().toLowerCase() + "-");
            Path live = base.resolve("final");
            List<Path> stale = new ArrayList<>();
            TreeMap<byte[], byte[]> model = new TreeMap<>(ORDER);
            TreeSet<byte[]> everWritten = new TreeSet<>(ORDER);
            Random random = new Random(1234 + config.ordinal());
            StoreOptions options = config.options();

            // phase 1: creation (generation 1), puts, close (generation 2)
            try (KeyValueStore s = KeyValueStore.open(live, options)) {
                for (int i = 0; i < 200; i++) {
                    put(s, model, everWritten, key(i), small(random));
                }
                for (int i = 0; i < 3; i++) {
                    put(s, model, everWritten, largeKey(i), large(random));
                }
            }
            stale.add(copy(live, base.resolve("stale-1")));

            // phase 2: overwrites, deletes, more keys and large values; a flush, then a copy of the open directory
            try (KeyValueStore s = KeyValueStore.open(live, options)) {
                for (int i = 0; i < 50; i++) {
                    put(s, model, everWritten, key(random.nextInt(200)), small(random));
                }
                for (int i = 0; i < 30; i++) {
                    delete(s, model, key(random.nextInt(200)));
                }
                for (int i = 200; i < 300; i++) {
                    put(s, model, everWritten, key(i), small(random));
                }
                delete(s, model, largeKey(0));
                put(s, model, everWritten, largeKey(3), large(random));
                s.flush();
                stale.add(copy(live, base.resolve("stale-2")));

                // phase 3: more of the same, committed by close
                for (int i = 0; i < 20; i++) {
                    delete(s, model, key(random.nextInt(300)));
                }
                for (int i = 0; i < 20; i++) {
                    put(s, model, everWritten, key(random.nextInt(300)), small(random));
                }
                for (int i = 300; i < 350; i++) {
                    put(s, model, everWritten, key(i), small(random));
                }
                put(s, model, everWritten, largeKey(1), small(random)); // large becomes small
                put(s, model, everWritten, largeKey(2), large(random)); // large replaced by another large
                put(s, model, everWritten, key(5), large(random));      // small becomes large
            }
            stale.add(copy(live, base.resolve("stale-3")));

            // phase 4: small changes only (no segment file is added or freed), committed by close, so
            // that a stale journal of phase 3 refers to files that all still exist: a silent rollback
            try (KeyValueStore s = KeyValueStore.open(live, options)) {
                List<byte[]> keys = new ArrayList<>(model.keySet());
                for (int i = 0; i < 10; i++) {
                    byte[] k = keys.get(random.nextInt(keys.size()));
                    if (model.get(k).length < 100) {
                        put(s, model, everWritten, k, small(random));
                    }
                }
                for (int i = 0; i < 5; i++) {
                    byte[] k = keys.get(random.nextInt(keys.size()));
                    if (model.containsKey(k) && model.get(k).length < 100) {
                        delete(s, model, k);
                    }
                }
            }
            // checked on a copy: opening may commit a generation of its own, which would make the
            // final directory's older journal hold the same data as the newest one
            int dictionarySize;
            Path check = copy(live, base.resolve("check"));
            try (KeyValueStore s = KeyValueStore.open(check, options)) {
                if (s.size() != model.size()) {
                    throw new AssertionError("reference store of " + config + " holds " + s.size() + " entries, model " + model.size());
                }
                s.verifyFiles();
                dictionarySize = s.dictionarySize();
                s.closeWithoutFlush();
            }
            deleteTree(check);
            List<byte[]> absent = new ArrayList<>();
            for (byte[] k : everWritten) {
                if (!model.containsKey(k)) {
                    absent.add(k);
                }
            }
            for (int i = 0; i < 10; i++) {
                absent.add(("t" + i + "|never-" + i).getBytes(StandardCharsets.UTF_8));
            }
            absent.add(new byte[0]);
            return new FuzzReference(config, live, Collections.unmodifiableList(stale), model, absent, dictionarySize);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void put(KeyValueStore s, TreeMap<byte[], byte[]> model, TreeSet<byte[]> ever, byte[] k, byte[] v) {
        s.put(k, v);
        model.put(k, v);
        ever.add(k);
    }

    private static void delete(KeyValueStore s, TreeMap<byte[], byte[]> model, byte[] k) {
        boolean removed = s.delete(k);
        if (removed != (model.remove(k) != null)) {
            throw new AssertionError("delete disagrees with the model");
        }
    }

    /** Copies the regular files of {@code from} (not the lock) into a new directory {@code to}. */
    static Path copy(Path from, Path to) {
        try {
            Files.createDirectories(to);
            for (String name : list(from)) {
                Files.copy(from.resolve(name), to.resolve(name));
            }
            return to;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Names of the regular files in {@code dir} except the lock, sorted. */
    static List<String> list(Path dir) {
        try (Stream<Path> s = Files.list(dir)) {
            return s.filter(Files::isRegularFile).map(p -> p.getFileName().toString())
                .filter(n -> !n.equals(LOCK)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes {@code dir} and everything under it; quietly ignores what is already gone. */
    static void deleteTree(Path dir) {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
