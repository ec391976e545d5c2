package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.RandomAccessFile;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.TreeMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The corruption fuzzer of issue 13: small file-backed stores ({@link FuzzConfig}: hash-only,
 * sorted, dictionary; 4 KiB pages) are damaged one way at a time — a single-bit flip, a zeroed
 * 4 KiB block, a truncation, a stale copy of a file from an earlier commit, a deleted file, in
 * any file of the directory — reopened and fully read back ({@link FuzzReadBack}). No case may
 * serve wrong data silently or throw anything but an offstate exception.
 *
 * <p>System properties: {@code offstate.fuzz.cases} (default {@value #DEFAULT_CASES}; 0 skips
 * the fuzzer), {@code offstate.fuzz.seed} (default {@value #DEFAULT_SEED}),
 * {@code offstate.fuzz.replay=<seed>-<index>} to run one case and print its stack trace,
 * {@code offstate.fuzz.keep=true} to keep the reference directories (the path is printed),
 * {@code offstate.fuzz.verbose=true} to print every case and its verdict. The
 * tally goes to stdout. Work directories are under {@code /dev/shm} when it exists.
 *
 * <pre>{@code
 * ./mvnw -B -ntp verify -pl offheap,engine -Dtest=CorruptionFuzzTest -Dsurefire.failIfNoSpecifiedTests=false -Doffstate.fuzz.cases=5000
 * ./mvnw -B -ntp verify -pl offheap,engine -Dtest=CorruptionFuzzTest -Dsurefire.failIfNoSpecifiedTests=false -Doffstate.fuzz.replay=13-19
 * ./mvnw -B -ntp verify -pl offheap,engine -Dtest='!CorruptionFuzzTest'      # everything else
 * }</pre>
 *
 * <p>Each case runs on one worker thread (the store's owner); a case still running after
 * {@value #HANG_SECONDS} s (a loop over damaged links) is counted NON_OFFSTATE and its thread
 * abandoned.
 */
class CorruptionFuzzTest {
    static final int DEFAULT_CASES = 500;
    static final long DEFAULT_SEED = 13;
    /** A case still running after this long is reported as hung (NON_OFFSTATE): a loop over damaged links. */
    static final long HANG_SECONDS = 60;

    static Path root;
    static List<FuzzReference> refs;

    @BeforeAll
    static void buildReferences() throws IOException {
        Path shm = Path.of("/dev/shm");
        Path base = Files.isDirectory(shm) && Files.isWritable(shm) ? shm : Path.of(System.getProperty("java.io.tmpdir"));
        root = Files.createTempDirectory(base, "offstate-fuzz-");
        FuzzCase.clearCache();
        refs = new ArrayList<>();
        for (FuzzConfig c : FuzzConfig.values()) {
            refs.add(FuzzReference.build(c, root));
        }
    }

    @AfterAll
    static void deleteAll() {
        FuzzCase.clearCache();
        if (Boolean.getBoolean("offstate.fuzz.keep")) {
            System.out.println("corruption fuzzer: reference directories kept under " + root);
        } else {
            FuzzReference.deleteTree(root);
        }
    }

    /** Copies the reference's final directory, applies the damage, reads back, deletes the copy. */
    static FuzzReadBack.Outcome run(FuzzCase c, Path caseDir) {
        try {
            FuzzReference.copy(c.ref().finalDir, caseDir);
            c.apply(caseDir);
            return FuzzReadBack.classify(caseDir, c.ref().expected());
        } finally {
            FuzzReference.deleteTree(caseDir);
        }
    }

    @Test
    void damageIsNeverServedAndOnlyOffstateExceptionsAreThrown() throws Exception {
        int cases = Integer.getInteger("offstate.fuzz.cases", DEFAULT_CASES);
        long seed = Long.getLong("offstate.fuzz.seed", DEFAULT_SEED);
        String replay = System.getProperty("offstate.fuzz.replay");
        if (replay != null && !replay.isBlank()) {
            replay(replay.trim());
            return;
        }
        Assumptions.assumeTrue(cases > 0, "offstate.fuzz.cases=0: fuzzer skipped");
        FuzzTally tally = new FuzzTally();
        boolean verbose = Boolean.getBoolean("offstate.fuzz.verbose");
        ExecutorService worker = newWorker();
        try {
            for (int i = 0; i < cases; i++) {
                FuzzCase c = FuzzCase.generate(refs, seed, i);
                Path caseDir = root.resolve("case-" + i);
                Future<FuzzReadBack.Outcome> f = worker.submit(() -> run(c, caseDir));
                FuzzReadBack.Outcome o;
                try {
                    o = f.get(HANG_SECONDS, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    // the stuck thread cannot be stopped; it is a daemon, abandoned with its store
                    worker.shutdownNow();
                    worker = newWorker();
                    o = new FuzzReadBack.Outcome(FuzzVerdict.NON_OFFSTATE, "hung for over " + HANG_SECONDS + " s", null);
                } catch (ExecutionException e) {
                    throw new AssertionError("case " + c + " could not be run", e.getCause());
                }
                tally.add(c, o);
                if (verbose) {
                    System.out.println(c + "\n  -> " + o);
                }
            }
        } finally {
            worker.shutdownNow();
        }
        System.out.println("corruption fuzzer: " + cases + " cases, seed " + seed + "\n" + tally.report(10));
        assertEquals(0, tally.count(FuzzVerdict.WRONG_DATA) + tally.count(FuzzVerdict.NON_OFFSTATE),
            tally.count(FuzzVerdict.WRONG_DATA) + " cases served wrong data and " + tally.count(FuzzVerdict.NON_OFFSTATE)
                + " threw a non-offstate exception (see the tally on stdout): " + tally.failingIds(100));
    }

    private static ExecutorService newWorker() {
        return Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fuzz-case");
            t.setDaemon(true);
            return t;
        });
    }

    private static void replay(String id) {
        int dash = id.lastIndexOf('-');
        if (dash <= 0) {
            throw new IllegalArgumentException("offstate.fuzz.replay must be <seed>-<index>, not " + id);
        }
        FuzzCase c = FuzzCase.generate(refs, Long.parseLong(id.substring(0, dash)), Integer.parseInt(id.substring(dash + 1)));
        FuzzReadBack.Outcome o = run(c, root.resolve("replay"));
        String trace = "";
        if (o.error() != null) {
            StringWriter w = new StringWriter();
            o.error().printStackTrace(new PrintWriter(w));
            trace = "\n" + w;
        }
        System.out.println("replay " + c + "\n  -> " + o + trace);
        assertFalse(o.verdict().failure(), "case " + c + ": " + o + trace);
    }

    // ------------------------------------------------------------ the classifier itself

    @Test
    void everyUndamagedReferenceReadsBackHarmless() {
        for (FuzzReference ref : refs) {
            Path dir = root.resolve("undamaged-" + ref.config);
            try {
                FuzzReference.copy(ref.finalDir, dir);
                FuzzReadBack.Outcome o = FuzzReadBack.classify(dir, ref.expected());
                assertEquals(FuzzVerdict.HARMLESS, o.verdict(), ref.config + ": " + o);
            } finally {
                FuzzReference.deleteTree(dir);
            }
        }
    }

    @Test
    void theReferencesExerciseSegmentFilesAndStaleCopies() {
        for (FuzzReference ref : refs) {
            List<String> kinds = ref.files.stream().map(ref::fileKind).distinct().toList();
            assertTrue(kinds.containsAll(List.of("seg-large.dat", "seg-large.sum", "seg-table.dat", "seg-table.sum")),
                ref.config + " has hash-table and large-value segment files: " + ref.files + " " + kinds);
            assertTrue(ref.files.containsAll(List.of("journal-0", "journal-1", "pages.dat", "pages.sum")), ref.files.toString());
            assertEquals(3, ref.staleDirs.size());
            assertEquals(5, ref.generation, "four phases after the creation commit");
            assertTrue(ref.model.size() > 250, "entries: " + ref.model.size());
        }
    }

    @Test
    void aModelTheStoreDoesNotMatchIsWrongData() {
        FuzzReference ref = refs.get(FuzzConfig.SORTED.ordinal());
        Path dir = root.resolve("wrong-model");
        try {
            FuzzReference.copy(ref.finalDir, dir);
            FuzzReadBack.Expected good = ref.expected();

            // one value differs by one bit
            TreeMap<byte[], byte[]> changed = new TreeMap<>(ref.model);
            byte[] k = changed.firstEntry().getValue().length > 0 ? changed.firstKey() : changed.higherKey(changed.firstKey());
            byte[] v = changed.get(k).clone();
            v[v.length / 2] ^= 1;
            changed.put(k, v);
            FuzzReadBack.Outcome o = FuzzReadBack.classify(dir, new FuzzReadBack.Expected(good.options(), changed, good.absent(), good.dictionarySize()));
            assertEquals(FuzzVerdict.WRONG_DATA, o.verdict(), o.toString());
            assertTrue(o.detail().contains("first difference at byte " + v.length / 2), o.detail());

            // the store holds a key the model does not (size and scans differ)
            TreeMap<byte[], byte[]> fewer = new TreeMap<>(ref.model);
            fewer.pollLastEntry();
            o = FuzzReadBack.classify(dir, new FuzzReadBack.Expected(good.options(), fewer, good.absent(), -1));
            assertEquals(FuzzVerdict.WRONG_DATA, o.verdict(), o.toString());
            assertTrue(o.detail().startsWith("size()"), o.detail());

            // a present key expected absent
            List<byte[]> absent = new ArrayList<>(good.absent());
            absent.add(ref.model.lastKey());
            TreeMap<byte[], byte[]> without = new TreeMap<>(ref.model);
            without.pollLastEntry();
            o = FuzzReadBack.classify(dir, new FuzzReadBack.Expected(good.options(), without, absent, -1));
            assertEquals(FuzzVerdict.WRONG_DATA, o.verdict(), o.toString());

            // the same directory, the right model: harmless (the classifier changed nothing)
            assertEquals(FuzzVerdict.HARMLESS, FuzzReadBack.classify(dir, good).verdict());
        } finally {
            FuzzReference.deleteTree(dir);
        }
    }

    @Test
    void anExceptionThatIsNotAnOffstateOneIsNonOffstate() {
        // reopening a sorted store as a hash-only one is refused with IllegalArgumentException:
        // right for misuse, but the classifier must count it as not an offstate exception
        FuzzReference ref = refs.get(FuzzConfig.SORTED.ordinal());
        Path dir = root.resolve("wrong-options");
        try {
            FuzzReference.copy(ref.finalDir, dir);
            FuzzReadBack.Expected good = ref.expected();
            StoreOptions hashOnly = FuzzConfig.HASH_ONLY.options();
            FuzzReadBack.Outcome o = FuzzReadBack.classify(dir, new FuzzReadBack.Expected(hashOnly, good.model(), good.absent(), -1));
            assertEquals(FuzzVerdict.NON_OFFSTATE, o.verdict(), o.toString());
            assertTrue(o.error() instanceof IllegalArgumentException, o.toString());
        } finally {
            FuzzReference.deleteTree(dir);
        }
    }

    @Test
    void aStoreWithBothJournalsTruncatedIsRefusedAtOpen() throws IOException {
        FuzzReference ref = refs.get(FuzzConfig.HASH_ONLY.ordinal());
        Path dir = root.resolve("no-journals");
        try {
            FuzzReference.copy(ref.finalDir, dir);
            for (String j : List.of("journal-0", "journal-1")) {
                try (RandomAccessFile f = new RandomAccessFile(dir.resolve(j).toFile(), "rw")) {
                    f.setLength(40);
                }
            }
            FuzzReadBack.Outcome o = FuzzReadBack.classify(dir, ref.expected());
            assertEquals(FuzzVerdict.REFUSED_AT_OPEN, o.verdict(), o.toString());
        } finally {
            FuzzReference.deleteTree(dir);
        }
    }

    @Test
    void caseGenerationIsDeterministic() {
        for (int i = 0; i < 50; i++) {
            assertEquals(FuzzCase.generate(refs, 99, i).description(), FuzzCase.generate(refs, 99, i).description());
        }
        assertFalse(FuzzCase.generate(refs, 99, 7).description().equals(FuzzCase.generate(refs, 100, 7).description())
            && FuzzCase.generate(refs, 99, 8).description().equals(FuzzCase.generate(refs, 100, 8).description()));
    }

    // ------------------------------------------------------------ the issue's examples

    /**
     * Issue 13's stale-journal example: put a, flush, keep a copy of {@code journal-0}; put b,
     * flush; put c, delete a, close (generation 4); the old {@code journal-0} put back. The other
     * journal is marked superseded, which proves a later commit: the store must not open at
     * generation 3 and serve it.
     */
    @Test
    void theIssueExampleStaleJournalIsNotServed() throws IOException {
        Path dir = root.resolve("issue-stale-journal");
        try {
            StoreOptions options = StoreOptions.builder().name("issue-stale").build();
            byte[] a = {'a'};
            byte[] b = {'b'};
            byte[] c = {'c'};
            byte[] old;
            try (KeyValueStore s = KeyValueStore.open(dir, options)) {
                s.put(a, a);
                s.flush();
                old = Files.readAllBytes(dir.resolve("journal-0"));
                s.put(b, b);
                s.flush();
                s.put(c, c);
                s.delete(a);
            }
            Files.write(dir.resolve("journal-0"), old);
            TreeMap<byte[], byte[]> model = new TreeMap<>(FuzzReference.ORDER);
            model.put(b, b);
            model.put(c, c);
            FuzzReadBack.Outcome o = FuzzReadBack.classify(dir, new FuzzReadBack.Expected(options, model, List.of(a), -1));
            assertFalse(o.verdict().failure(), o.toString());
        } finally {
            FuzzReference.deleteTree(dir);
        }
    }

    /**
     * Issue 13's hash-table example: 4 KiB pages, {@code expectedEntries(16)}, 300 puts, close;
     * each bit of byte 4 (the page-index part of the entry address) of the first non-empty slot
     * of the last {@code seg-*.dat} (the hash table: there are no large values) flipped in turn.
     * Once threw {@code ArrayIndexOutOfBoundsException} from {@code PagedMemory.page}.
     */
    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2, 3, 4, 5, 6, 7})
    void theIssueExampleHashSlotFlipIsNotServed(int bit) throws IOException {
        Path dir = root.resolve("issue-slot-" + bit);
        try {
            StoreOptions options = StoreOptions.builder().name("issue-slot").pageSize(4096).expectedEntries(16).hashSeed(3).build();
            TreeMap<byte[], byte[]> model = new TreeMap<>(FuzzReference.ORDER);
            try (KeyValueStore s = KeyValueStore.open(dir, options)) {
                for (int i = 0; i < 300; i++) {
                    byte[] k = ("key-" + i).getBytes(StandardCharsets.US_ASCII);
                    byte[] v = TestData.pattern(20 + i % 30, i);
                    s.put(k, v);
                    model.put(k, v);
                }
            }
            String table = FuzzReference.list(dir).stream().filter(f -> f.startsWith("seg-") && f.endsWith(".dat"))
                .max(java.util.Comparator.comparingLong(f -> Long.parseLong(f.substring(4, f.length() - 4), 16))).orElseThrow();
            byte[] bytes = Files.readAllBytes(dir.resolve(table));
            int slot = 0;
            while (slot + 8 <= bytes.length && java.nio.ByteBuffer.wrap(bytes, slot, 8).getLong() == 0) {
                slot += 8;
            }
            assertTrue(slot + 8 <= bytes.length, table + " holds an occupied slot");
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve(table).toFile(), "rw")) {
                f.seek(slot + 4);
                f.write(bytes[slot + 4] ^ (1 << bit));
            }
            FuzzReadBack.Outcome o = FuzzReadBack.classify(dir, new FuzzReadBack.Expected(options, model, List.of(), -1));
            // the address now names a page far past the page table: no read can find the entry
            assertTrue(o.verdict() == FuzzVerdict.REFUSED_ON_TOUCH || o.verdict() == FuzzVerdict.REFUSED_AT_OPEN,
                table + " slot at " + slot + ": " + o);
        } finally {
            FuzzReference.deleteTree(dir);
        }
    }

    /**
     * Issue 13's example: default options, {@code k} → 64 × {@code 0xAB}, close; bit 0 of value byte
     * 10 in {@code pages.dat} flipped; reopened, {@code getCopy(k)} must not return {@code 0xAA}
     * there.
     */
    @Test
    void theIssueExampleFlipIsNotServed() throws IOException {
        Path dir = root.resolve("issue-example");
        try {
            byte[] k = "k".getBytes(StandardCharsets.US_ASCII);
            byte[] v = new byte[64];
            Arrays.fill(v, (byte) 0xAB);
            StoreOptions options = StoreOptions.defaults();
            try (KeyValueStore s = KeyValueStore.open(dir, options)) {
                s.put(k, v);
            }
            byte[] pages = Files.readAllBytes(dir.resolve("pages.dat"));
            int at = FuzzReference.indexOf(pages, v);
            assertTrue(at > 0, "the value is in pages.dat");
            try (RandomAccessFile f = new RandomAccessFile(dir.resolve("pages.dat").toFile(), "rw")) {
                f.seek(at + 10);
                f.write(pages[at + 10] ^ 1);
            }
            TreeMap<byte[], byte[]> model = new TreeMap<>(FuzzReference.ORDER);
            model.put(k, v);
            FuzzReadBack.Outcome o = FuzzReadBack.classify(dir, new FuzzReadBack.Expected(options, model, List.of(), -1));
            assertFalse(o.verdict().failure(), o.toString());
        } finally {
            FuzzReference.deleteTree(dir);
        }
    }

}
