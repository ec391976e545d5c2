package io.offstate.propertytests;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Checks of a store directory's files against offheap/FORMAT.md, right after a commit (flush,
 * verifyFiles) or an open, and the per-example directories of the file-backed properties.
 *
 * <p>After a commit or an open the directory holds only the documented files, no
 * {@code offstate.creating} (the first commit removed it), no checksum file without its data file,
 * and no segment file that the store's state cannot account for: the files of freed segments are
 * deleted by the next commit, those created after the last commit by the next open. A segment is
 * a hash index table (the store's and the dictionary's, each current and, while growing, old: 4
 * at most) or a large block (a block over a quarter page: each live entry and each dictionary
 * component at most one). So the segment files may not outnumber 4 + the entries whose key and
 * value could make a large block + the dictionary's components.
 */
final class StoreDirectory {
    private static final Pattern SEGMENT = Pattern.compile("seg-([0-9a-f]+)\\.(dat|sum)");
    private static final List<String> FIXED = List.of("offstate.lock", "journal-0", "journal-1", "pages.dat", "pages.sum");
    /** Hash index tables that may exist at once: store and dictionary, current and old. */
    static final int MAX_TABLES = 4;
    /** Bytes an entry may take beyond key and value: two length varints and a dictionary code varint. */
    static final int MAX_ENTRY_OVERHEAD = 16;

    private StoreDirectory() {
    }

    /** A new directory for one example under {@code root}. */
    static Path newExampleDirectory(Path root) {
        try {
            return Files.createTempDirectory(root, "example-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Deletes {@code directory} and everything in it. */
    static void deleteRecursively(Path directory) {
        if (!Files.exists(directory)) {
            return;
        }
        try (Stream<Path> all = Files.walk(directory)) {
            for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + directory, e);
        }
    }

    static List<String> files(Path directory) {
        try (Stream<Path> all = Files.list(directory)) {
            return all.map(p -> p.getFileName().toString()).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Checks the directory of {@code sut} right after a commit or an open; the store holds {@code contents}. */
    static void checkCommitted(Object command, StoreUnderTest sut, Map<Bytes, Bytes> contents) {
        List<String> names = files(sut.directory);
        TreeSet<String> data = new TreeSet<>();
        List<String> sums = new ArrayList<>();
        for (String n : names) {
            Matcher m = SEGMENT.matcher(n);
            if (m.matches()) {
                (m.group(2).equals("dat") ? data : sums).add(m.group(1));
            } else if (!FIXED.contains(n)) {
                throw new AssertionError(command + ": unexpected file " + n + " in the store directory " + names);
            }
        }
        for (String id : sums) {
            if (!data.contains(id)) {
                throw new AssertionError(command + ": seg-" + id + ".sum without its data file " + names);
            }
        }
        int threshold = sut.store.options().pageSize() >>> 2;
        long large = contents.entrySet().stream()
            .filter(e -> e.getKey().length() + e.getValue().length() + MAX_ENTRY_OVERHEAD > threshold).count();
        long bound = MAX_TABLES + large + sut.store.dictionarySize();
        if (data.size() > bound) {
            throw new AssertionError(command + ": " + data.size() + " segment files, but " + MAX_TABLES + " index tables, "
                + large + " entries that could be large blocks and " + sut.store.dictionarySize()
                + " dictionary components account for at most " + bound + " (freed segments not deleted?) " + names);
        }
    }
}
