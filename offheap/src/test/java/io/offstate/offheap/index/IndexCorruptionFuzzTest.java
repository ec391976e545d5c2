package io.offstate.offheap.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;

/**
 * Random damage to an in-memory store (entry map, hash slots, sorted-index nodes, dictionary
 * entries, any page byte), one byte at a time over a few thousand cases with a fixed seed. After
 * each flip every read path runs (point lookups, a full walk of the hash slots decoding every entry,
 * forward and backward scans, seeks) and then every verifier. The only acceptable outcomes:
 * <ul>
 *   <li>a read throws {@link CorruptStateException};</li>
 *   <li>every answer is the correct one (the damage was in bytes no read depends on);</li>
 *   <li>a byte flipped inside one entry changes only that entry's value (its value bytes, or its
 *       value length within the page: nothing in memory can tell such bytes from intended ones;
 *       file-backed stores have checksums for that);</li>
 *   <li>any other wrong answer, and {@code verify} reports it with {@link CorruptStateException}.</li>
 * </ul>
 * Any other exception (IndexOutOfBounds, NullPointer, ...) from a read or a verifier fails the test,
 * and so does a wrong answer that verify misses. {@code -Doffstate.indexFuzz.cases=N} and
 * {@code -Doffstate.indexFuzz.seed=S} change the run.
 *
 * <p>Page indexes that fall outside the page table, or name an unused page, are
 * {@link io.offstate.offheap.memory.PagedMemory#page}'s to check. Until that check is present (it is
 * probed at the start), the ArrayIndexOutOfBounds and NullPointer exceptions such a lookup gives
 * are counted apart as {@code PAGE_TABLE_PENDING} instead of failing; once it is, they fail.
 */
class IndexCorruptionFuzzTest {
    private static final int CASES = Integer.getInteger("offstate.indexFuzz.cases", 2000);
    private static final long SEED = Long.getLong("offstate.indexFuzz.seed", 0x1DE5_F022L);
    private static final int NODE_SIZE = NodeDescriptor.MIN_NODE_SIZE;
    private static final int COMPONENT = 2;

    enum Target { ENTRY_HEADER_OR_KEY, ENTRY_VALUE, SLOT, NODE, DICTIONARY_ENTRY, ANY_PAGE_BYTE }

    enum Outcome { REPORTED_ON_READ, HARMLESS, CONFINED_TO_DAMAGED_ENTRY, DETECTED_BY_VERIFY, PAGE_TABLE_PENDING, FAILED }

    private final ByteSource stored = new ByteSource();
    private final ByteSource component = new ByteSource();
    private final ByteSource probe = new ByteSource();

    private static String hex(byte[] b) {
        return b == null ? "null" : HexFormat.of().formatHex(b);
    }

    @ParameterizedTest(name = "dictionary-encoded {0}")
    @ValueSource(booleans = {false, true})
    void randomDamageIsReportedHarmlessOrFoundByVerify(boolean coded) {
        SplittableRandom random = new SplittableRandom(SEED ^ (coded ? 1 : 0));
        try (SortedIndexFixture fx = coded ? SortedIndexFixture.coded(NODE_SIZE, COMPONENT) : SortedIndexFixture.plain(NODE_SIZE)) {
            TreeMap<byte[], Integer> lengths = new TreeMap<>(Arrays::compareUnsigned);
            populate(fx, lengths, random);
            List<String> baseline = readBack(fx, lengths);
            assertEquals(expected(lengths), baseline.subList(0, lengths.size()), "the undamaged store reads back its model");
            verifyAll(fx);
            boolean pageTableChecked = pageTableChecked(fx);

            List<SortedIndexFixture.Node> nodes = new ArrayList<>(fx.shape().nodes().values());
            List<byte[]> keys = new ArrayList<>(lengths.keySet());
            TreeMap<byte[], Integer> sizes = new TreeMap<>(Arrays::compareUnsigned);
            for (byte[] k : keys) {
                long address = fx.model.get(k);
                sizes.put(k, EntryDescriptor.sizeAt(fx.memory.page(address), fx.memory.offset(address)));
            }
            TreeSet<Long> pageBases = new TreeSet<>();
            for (byte[] k : keys) {
                pageBases.add(fx.model.get(k) & ~((1L << SortedIndexFixture.PAGE_SHIFT) - 1));
            }
            MemorySegment slots = fx.map.index().slotsForTest(false);
            Map<Target, Map<Outcome, Integer>> tally = new EnumMap<>(Target.class);
            List<String> failures = new ArrayList<>();

            for (int c = 0; c < CASES; c++) {
                Target target = Target.values()[random.nextInt(Target.values().length)];
                if (target == Target.DICTIONARY_ENTRY && !coded) {
                    target = Target.ENTRY_HEADER_OR_KEY;
                }
                byte[] damagedKey;
                MemorySegment segment;
                long at;
                switch (target) {
                    case ENTRY_HEADER_OR_KEY, ENTRY_VALUE -> {
                        damagedKey = keys.get(random.nextInt(keys.size()));
                        long address = fx.model.get(damagedKey);
                        segment = fx.memory.page(address);
                        long offset = fx.memory.offset(address);
                        long span = EntryDescriptor.valueSpan(segment, offset);
                        int valueStart = EntryDescriptor.spanOffset(span);
                        int valueLength = EntryDescriptor.spanLength(span);
                        if (target == Target.ENTRY_VALUE && valueLength > 0) {
                            at = offset + valueStart + random.nextInt(valueLength);
                        } else {
                            target = Target.ENTRY_HEADER_OR_KEY;
                            at = offset + random.nextInt(valueStart);
                        }
                    }
                    case SLOT -> {
                        damagedKey = null;
                        segment = slots;
                        at = random.nextLong(slots.byteSize());
                    }
                    case NODE -> {
                        damagedKey = null;
                        SortedIndexFixture.Node node = nodes.get(random.nextInt(nodes.size()));
                        segment = fx.memory.page(node.address());
                        at = fx.memory.offset(node.address()) + random.nextInt(NODE_SIZE);
                    }
                    case DICTIONARY_ENTRY -> {
                        damagedKey = null;
                        long address = fx.dictionary.componentAddress(random.nextInt(fx.dictionary.size()));
                        segment = fx.memory.page(address);
                        long offset = fx.memory.offset(address);
                        at = offset + random.nextInt(EntryDescriptor.sizeAt(segment, offset));
                    }
                    default -> {
                        damagedKey = null;
                        long base = pageBases.stream().skip(random.nextInt(pageBases.size())).findFirst().orElseThrow();
                        segment = fx.memory.page(base);
                        at = random.nextLong(segment.byteSize());
                    }
                }
                byte original = segment.get(ValueLayout.JAVA_BYTE, at);
                byte damaged = random.nextInt(10) < 7 ? (byte) (original ^ (1 << random.nextInt(8))) : (byte) random.nextInt(256);
                if (damaged == original) {
                    damaged ^= 1;
                }
                String id = (coded ? "coded" : "plain") + "#" + c + " " + target + " byte " + at + " " + (original & 0xFF) + "->" + (damaged & 0xFF);
                segment.set(ValueLayout.JAVA_BYTE, at, damaged);
                Outcome outcome;
                try {
                    outcome = classify(fx, lengths, baseline, entryHolding(fx, sizes, segment, at), pageTableChecked, id, failures);
                } finally {
                    segment.set(ValueLayout.JAVA_BYTE, at, original);
                }
                tally.computeIfAbsent(target, t -> new EnumMap<>(Outcome.class)).merge(outcome, 1, Integer::sum);
                if (c % 500 == 499) {
                    assertEquals(baseline, readBack(fx, lengths), "repairing the byte restores every answer (after " + id + ")");
                }
            }
            System.out.println("IndexCorruptionFuzzTest " + (coded ? "dictionary-encoded" : "plain") + ", " + CASES
                + " cases, seed " + SEED + ", page table checked by PagedMemory.page: " + pageTableChecked);
            tally.forEach((t, m) -> System.out.println("  " + t + ": " + m));
            if (System.getProperty("offstate.indexFuzz.dump") != null) {
                try {
                    java.nio.file.Files.write(java.nio.file.Path.of(System.getProperty("offstate.indexFuzz.dump") + (coded ? ".coded" : ".plain")),
                        failures.stream().map(f -> f.length() > 400 ? f.substring(0, 400) : f).toList());
                } catch (java.io.IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }
            assertTrue(failures.isEmpty(), failures.size() + " cases failed; first ones:\n" + String.join("\n", failures.subList(0, Math.min(10, failures.size()))));
            int reported = tally.values().stream().mapToInt(m -> m.getOrDefault(Outcome.REPORTED_ON_READ, 0)).sum();
            int detected = tally.values().stream().mapToInt(m -> m.getOrDefault(Outcome.DETECTED_BY_VERIFY, 0)).sum();
            assertTrue(reported > CASES / 100 && reported + detected > CASES / 10,
                "the damage is real: reads reported " + reported + " cases, verify " + detected);
        }
    }

    /** The key whose entry (as it was before the damage) holds byte {@code at} of {@code segment}, or null. */
    private static byte[] entryHolding(SortedIndexFixture fx, TreeMap<byte[], Integer> sizes, MemorySegment segment, long at) {
        for (Map.Entry<byte[], Integer> e : sizes.entrySet()) {
            long address = fx.model.get(e.getKey());
            long offset = fx.memory.offset(address);
            if (fx.memory.page(address) == segment && at >= offset && at < offset + e.getValue()) {
                return e.getKey();
            }
        }
        return null;
    }

    private Outcome classify(SortedIndexFixture fx, TreeMap<byte[], Integer> lengths, List<String> baseline,
                             byte[] damagedKey, boolean pageTableChecked, String id, List<String> failures) {
        List<String> answers;
        try {
            answers = readBack(fx, lengths);
        } catch (CorruptStateException reported) {
            return checkVerify(fx, pageTableChecked, id, failures, Outcome.REPORTED_ON_READ);
        } catch (RuntimeException | StackOverflowError e) {
            return unexpected(e, pageTableChecked, id + " (read)", failures);
        }
        if (answers.equals(baseline)) {
            return checkVerify(fx, pageTableChecked, id, failures, Outcome.HARMLESS);
        }
        if (damagedKey != null && answers.size() == baseline.size()) {
            // only the value read for the damaged entry's own key may differ: the find and entry lines of that key
            String find = "find " + hex(damagedKey) + " = ";
            String entry = "entry " + hex(damagedKey) + " = ";
            boolean confined = true;
            for (int i = 0; i < answers.size() && confined; i++) {
                String a = answers.get(i);
                confined = a.equals(baseline.get(i)) || (a.startsWith(find) && baseline.get(i).startsWith(find))
                    || (a.startsWith(entry) && baseline.get(i).startsWith(entry));
            }
            if (confined) {
                return checkVerify(fx, pageTableChecked, id, failures, Outcome.CONFINED_TO_DAMAGED_ENTRY);
            }
        }
        try {
            verifyAll(fx);
        } catch (CorruptStateException found) {
            return Outcome.DETECTED_BY_VERIFY;
        } catch (RuntimeException | StackOverflowError e) {
            return unexpected(e, pageTableChecked, id + " (verify)", failures);
        }
        failures.add(id + ": wrong answers that verify() did not report: " + firstDifference(answers, baseline));
        return Outcome.FAILED;
    }

    /** Runs every verifier; it may report the damage or not, but only ever with CorruptStateException. */
    private Outcome checkVerify(SortedIndexFixture fx, boolean pageTableChecked, String id, List<String> failures, Outcome outcome) {
        try {
            verifyAll(fx);
        } catch (CorruptStateException expected) {
            // reported: fine either way
        } catch (RuntimeException | StackOverflowError e) {
            return unexpected(e, pageTableChecked, id + " (verify)", failures);
        }
        return outcome;
    }

    private static Outcome unexpected(Throwable e, boolean pageTableChecked, String id, List<String> failures) {
        if (!pageTableChecked && isPageTableLookup(e)) {
            return Outcome.PAGE_TABLE_PENDING;
        }
        StackTraceElement[] trace = e.getStackTrace();
        failures.add(id + ": " + e + " at " + Arrays.toString(Arrays.copyOf(trace, Math.min(6, trace.length))));
        return Outcome.FAILED;
    }

    /**
     * What a page-table lookup without its own check throws: an index past the table
     * (ArrayIndexOutOfBounds), or the null segment of an unused page (NullPointer). The index
     * layer indexes no other array with a decoded value, and the JIT may drop these exceptions'
     * stack traces, so the type is all there is to go by.
     */
    private static boolean isPageTableLookup(Throwable e) {
        return e instanceof ArrayIndexOutOfBoundsException || e instanceof NullPointerException;
    }

    private static boolean pageTableChecked(SortedIndexFixture fx) {
        try {
            fx.memory.page(1L << 39);
            return false;
        } catch (CorruptStateException checked) {
            return true;
        } catch (RuntimeException notYet) {
            return false;
        }
    }

    private static void verifyAll(SortedIndexFixture fx) {
        fx.memory.verifyFreeLists();
        fx.map.verify(fx.dictionary);
        if (fx.dictionary != null) {
            fx.dictionary.verify();
        }
        assertEquals(fx.index.size(), fx.map.size());
        fx.index.verify(fx.map);
    }

    private static String firstDifference(List<String> answers, List<String> baseline) {
        for (int i = 0; i < Math.min(answers.size(), baseline.size()); i++) {
            if (!answers.get(i).equals(baseline.get(i))) {
                return "got '" + answers.get(i) + "', expected '" + baseline.get(i) + "'";
            }
        }
        return answers.size() + " answers, expected " + baseline.size();
    }

    // ------------------------------------------------------------------ the store and its reads

    private static byte[] keyOf(SplittableRandom random, int i) {
        return String.format("%c%c-%05d", 'a' + random.nextInt(4), 'p' + random.nextInt(3), i).getBytes(StandardCharsets.US_ASCII);
    }

    private static void populate(SortedIndexFixture fx, TreeMap<byte[], Integer> lengths, SplittableRandom random) {
        for (int i = 0; i < 400; i++) {
            byte[] k = keyOf(random, i);
            int length = random.nextInt(20) == 0 ? 1100 + random.nextInt(400) : random.nextInt(60);
            fx.insert(k, length);
            lengths.put(k, length);
        }
        for (byte[] k : lengths.keySet().toArray(new byte[0][])) {
            int r = random.nextInt(6);
            if (r == 0) {
                fx.delete(k);
                lengths.remove(k);
            } else if (r == 1) {
                int length = 60 + random.nextInt(100); // another size class: the entry moves
                fx.move(k, length);
                lengths.put(k, length);
            }
        }
        fx.checkAgainstModel("populated");
    }

    private static List<String> expected(TreeMap<byte[], Integer> lengths) {
        List<String> lines = new ArrayList<>();
        lengths.forEach((k, length) -> {
            byte[] v = new byte[length];
            Arrays.fill(v, (byte) (int) length);
            lines.add("find " + hex(k) + " = " + hex(v));
        });
        return lines;
    }

    /** Every read path's answers, one line each, in a fixed order. */
    private List<String> readBack(SortedIndexFixture fx, TreeMap<byte[], Integer> lengths) {
        List<String> lines = new ArrayList<>();
        for (byte[] k : lengths.keySet()) {
            lines.add("find " + hex(k) + " = " + hex(lookup(fx, k)));
        }
        for (byte[] absent : new byte[][] {"zz-99999".getBytes(StandardCharsets.US_ASCII), "ap-00000x".getBytes(StandardCharsets.US_ASCII)}) {
            lines.add("find " + hex(absent) + " = " + hex(lookup(fx, absent)));
        }
        // every slot, decoded as forEach does
        TreeMap<String, String> entries = new TreeMap<>();
        OriginalKey originalKey = new OriginalKey();
        HashIndex index = fx.map.index();
        for (long p = 0; p < index.positions(); p++) {
            long address = index.addressAt(p);
            if (address != 0) {
                OriginalKey k = originalKey.of(fx.memory, fx.dictionary, address);
                byte[] bytes = new byte[k.length()];
                k.copyTo(MemorySegment.ofArray(bytes), 0);
                entries.merge(hex(bytes), hex(valueAt(fx, address)), (a, b) -> a + "+" + b);
            }
        }
        entries.forEach((k, v) -> lines.add("entry " + k + " = " + v + " "));
        int limit = lengths.size() + 2; // a scan longer than the store is itself a wrong answer
        StringBuilder scan = new StringBuilder("forward");
        int n = 0;
        for (long p = fx.index.first(); p != SortedIndex.NONE && n++ < limit; p = fx.index.next(p)) {
            scan.append(' ').append(hex(fx.keyAt(p)));
        }
        lines.add(scan.toString());
        scan = new StringBuilder("backward");
        n = 0;
        for (long p = fx.index.last(); p != SortedIndex.NONE && n++ < limit; p = fx.index.previous(p)) {
            scan.append(' ').append(hex(fx.keyAt(p)));
        }
        lines.add(scan.toString());
        int i = 0;
        for (byte[] k : lengths.keySet()) {
            if (i++ % 10 == 0) {
                lines.add("ceiling " + hex(k) + " = " + hex(fx.keyAt(fx.index.ceiling(probe.wrap(k))))
                    + ", floor = " + hex(fx.keyAt(fx.index.floor(probe.wrap(k)))));
            }
        }
        return lines;
    }

    private byte[] lookup(SortedIndexFixture fx, byte[] key) {
        stored.wrap(key);
        if (fx.dictionary != null) {
            int code = fx.dictionary.find(component.wrap(key, 0, COMPONENT));
            if (code < 0) {
                return null;
            }
            stored.narrow(COMPONENT, key.length - COMPONENT).code(code);
        }
        long address = fx.map.find(stored, fx.map.hash(stored));
        return address == 0 ? null : valueAt(fx, address);
    }

    private static byte[] valueAt(SortedIndexFixture fx, long address) {
        MemorySegment page = fx.memory.page(address);
        long offset = fx.memory.offset(address);
        long span = EntryDescriptor.valueSpan(page, offset);
        return page.asSlice(offset + EntryDescriptor.spanOffset(span), EntryDescriptor.spanLength(span)).toArray(ValueLayout.JAVA_BYTE);
    }
}
