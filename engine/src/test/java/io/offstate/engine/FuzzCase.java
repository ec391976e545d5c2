package io.offstate.engine;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * One damage to one file of a {@link FuzzReference}'s final directory, generated from a seed and
 * a case index (so {@link #id()} {@code "<seed>-<index>"} replays it exactly, given the same
 * references).
 *
 * <p>Immutable; {@link #apply} writes only into the directory given. Test code only.
 *
 * @param id          {@code "<seed>-<index>"}
 * @param ref         the reference whose final directory is damaged
 * @param kind        what is done to the file
 * @param file        the file's name
 * @param offset      byte offset of a flip or a zeroed block, or the new length of a truncation
 * @param bit         the bit flipped (0..7), or the index into {@link FuzzReference#staleDirs}
 * @param description a readable account of the damage
 */
record FuzzCase(String id, FuzzReference ref, Kind kind, String file, long offset, int bit, String description) {
    /** Size of a checksum chunk and of a zeroed block. */
    static final int CHUNK = 4096;

    /** The damage kinds. */
    enum Kind {
        BIT_FLIP, ZERO_BLOCK, TRUNCATE, STALE_COPY, DELETE
    }

    /** The kind of the damaged file, for the tally (see {@link FuzzReference#fileKind}). */
    String fileKind() {
        return ref.fileKind(file);
    }

    /** Case {@code index} of {@code seed}: the configuration cycles over {@code refs}, the rest is drawn at random. */
    static FuzzCase generate(List<FuzzReference> refs, long seed, int index) {
        FuzzReference ref = refs.get(index % refs.size());
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + index * 0xBF58476D1CE4E5B9L + 1);
        String id = seed + "-" + index;
        String cfg = ref.config.name();
        int pick = r.nextInt(100);
        if (pick < 55) {
            String f = nonEmptyFile(ref, r);
            long len = contents(ref, f).length;
            long off = r.nextInt(10) < 7 ? nonZeroOffset(ref, f, r) : (long) (r.nextDouble() * len);
            int bit = r.nextInt(8);
            return new FuzzCase(id, ref, Kind.BIT_FLIP, f, off, bit, cfg + ": flip bit " + bit + " of byte " + off + " of " + f + " (" + len + " bytes)");
        }
        if (pick < 70) {
            String f = nonEmptyFile(ref, r);
            long len = contents(ref, f).length;
            long block = r.nextInt(10) < 8 ? nonZeroOffset(ref, f, r) / CHUNK : (long) (r.nextDouble() * ((len + CHUNK - 1) / CHUNK));
            long off = block * CHUNK;
            return new FuzzCase(id, ref, Kind.ZERO_BLOCK, f, off, 0,
                cfg + ": zero bytes " + off + ".." + Math.min(len, off + CHUNK) + " of " + f + " (" + len + " bytes)");
        }
        if (pick < 85) {
            String f = nonEmptyFile(ref, r);
            long len = contents(ref, f).length;
            int mode = r.nextInt(3);
            long to;
            String how;
            if (mode == 0) {
                to = 0;
                how = "to 0";
            } else if (mode == 1) {
                long boundaries = (len - 1) / CHUNK; // chunk boundaries strictly inside the file
                to = boundaries > 0 ? CHUNK * (1 + (long) (r.nextDouble() * boundaries)) : 0;
                how = "to chunk boundary " + to;
            } else {
                long limit = r.nextBoolean() ? len : lastNonZero(ref, f) + 1; // half of them inside the data in use
                to = Math.max(1, (long) (r.nextDouble() * limit));
                if (to % CHUNK == 0) {
                    to = Math.min(len - 1, to + 1 + r.nextInt(CHUNK - 1));
                }
                how = "mid-chunk to " + to;
            }
            return new FuzzCase(id, ref, Kind.TRUNCATE, f, to, 0, cfg + ": truncate " + f + " (" + len + " bytes) " + how);
        }
        if (pick < 95) {
            int which = r.nextInt(ref.staleDirs.size());
            Path stale = ref.staleDirs.get(which);
            List<String> candidates = new ArrayList<>();
            List<String> all = FuzzReference.list(stale);
            for (String name : all) {
                if (!ref.files.contains(name) || !Arrays.equals(contents(ref, name), read(stale.resolve(name)))) {
                    candidates.add(name);
                }
            }
            if (candidates.isEmpty()) {
                candidates = all;
            }
            String f = byKind(ref, candidates, r);
            boolean existed = ref.files.contains(f);
            return new FuzzCase(id, ref, Kind.STALE_COPY, f, 0, which, cfg + ": " + (existed ? "replace " : "add ") + f
                + " by its copy from the directory at generation " + FuzzReference.generation(stale) + " (final: " + ref.generation + ")");
        }
        String f = byKind(ref, ref.files, r);
        return new FuzzCase(id, ref, Kind.DELETE, f, 0, 0, cfg + ": delete " + f);
    }

    /** Applies this damage to {@code dir}, a copy of the reference's final directory. */
    void apply(Path dir) {
        Path p = dir.resolve(file);
        try {
            switch (kind) {
                case BIT_FLIP -> {
                    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                        f.seek(offset);
                        int b = f.read();
                        f.seek(offset);
                        f.write(b ^ (1 << bit));
                    }
                }
                case ZERO_BLOCK -> {
                    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                        int n = (int) Math.min(CHUNK, f.length() - offset);
                        f.seek(offset);
                        f.write(new byte[n]);
                    }
                }
                case TRUNCATE -> {
                    try (RandomAccessFile f = new RandomAccessFile(p.toFile(), "rw")) {
                        f.setLength(offset);
                    }
                }
                case STALE_COPY -> Files.copy(ref.staleDirs.get(bit).resolve(file), p, StandardCopyOption.REPLACE_EXISTING);
                case DELETE -> Files.delete(p);
                default -> throw new AssertionError(kind);
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    @Override
    public String toString() {
        return id + " " + description;
    }

    // ------------------------------------------------------------ the reference's bytes, cached

    private static final Map<Path, byte[]> CONTENTS = new HashMap<>();
    private static final Map<Path, int[]> NON_ZERO = new HashMap<>();

    private static synchronized byte[] contents(FuzzReference ref, String file) {
        return CONTENTS.computeIfAbsent(ref.finalDir.resolve(file), FuzzCase::read);
    }

    private static byte[] read(Path p) {
        try {
            return Files.readAllBytes(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Offsets of the non-zero bytes of a final file: where the data is (the files are mostly sparse zeros). */
    private static synchronized int[] nonZero(FuzzReference ref, String file) {
        return NON_ZERO.computeIfAbsent(ref.finalDir.resolve(file), p -> {
            byte[] b = contents(ref, file);
            int n = 0;
            int[] at = new int[64];
            for (int i = 0; i < b.length; i++) {
                if (b[i] != 0) {
                    if (n == at.length) {
                        at = Arrays.copyOf(at, n * 2);
                    }
                    at[n++] = i;
                }
            }
            return Arrays.copyOf(at, n);
        });
    }

    private static long nonZeroOffset(FuzzReference ref, String file, Random r) {
        int[] at = nonZero(ref, file);
        if (at.length == 0) {
            return (long) (r.nextDouble() * contents(ref, file).length);
        }
        return at[r.nextInt(at.length)];
    }

    private static long lastNonZero(FuzzReference ref, String file) {
        int[] at = nonZero(ref, file);
        return at.length == 0 ? contents(ref, file).length - 1 : at[at.length - 1];
    }

    /** A non-empty file: first a file kind at random (so the one pages.dat weighs as much as all segment files), then a file of it. */
    private static String nonEmptyFile(FuzzReference ref, Random r) {
        List<String> names = new ArrayList<>();
        for (String f : ref.files) {
            if (contents(ref, f).length > 0) {
                names.add(f);
            }
        }
        return byKind(ref, names, r);
    }

    /** One of {@code names}: a file kind drawn uniformly, then a file of that kind. */
    static String byKind(FuzzReference ref, List<String> names, Random r) {
        List<String> kinds = names.stream().map(ref::fileKind).distinct().sorted().toList();
        String kind = kinds.get(r.nextInt(kinds.size()));
        List<String> of = names.stream().filter(n -> ref.fileKind(n).equals(kind)).toList();
        return of.get(r.nextInt(of.size()));
    }

    /** Forgets the cached bytes (the references are rebuilt per test run). */
    static synchronized void clearCache() {
        CONTENTS.clear();
        NON_ZERO.clear();
    }
}
