package io.offstate.engine;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.TreeMap;

import io.offstate.offheap.OffstateException;

/**
 * The corruption fuzzer's classifier: opens a (possibly damaged) store directory as a user would
 * — without {@code verify()} or {@code verifyFiles()} first — reads everything back and compares
 * each answer with the expected model at once: {@code size()}, {@code dictionarySize()},
 * {@code getCopy}/{@code get}/{@code contains} of every expected key and of absent ones, a full
 * {@code forEach}, and with a sorted index full forward and reverse cursor scans and seeks. Each
 * read is tried on its own, so an offstate exception from one does not hide a wrong answer from
 * another; after the first offstate exception a {@code put} must be refused too. A store that
 * read back intact is then written to (new keys, an overwrite, a large value, a delete), read
 * back again, closed (a flush), reopened and read back a third time, so damage that only shows
 * once the store changes (a mixed directory, a damaged free list) is met too. The first wrong
 * answer or non-offstate exception ends the run and decides the {@link FuzzVerdict}.
 *
 * <p>Confined to the calling thread (it opens the store, so it owns it). The directory is
 * changed by the writes; it is a scratch copy. Test code only.
 */
final class FuzzReadBack {
    private FuzzReadBack() {
    }

    /**
     * What the undamaged store answers.
     *
     * @param dictionarySize expected {@link KeyValueStore#dictionarySize()}, or -1 not to check it
     */
    record Expected(StoreOptions options, NavigableMap<byte[], byte[]> model, List<byte[]> absent, int dictionarySize) {
        Expected {
            if (model.comparator() != FuzzReference.ORDER) {
                throw new IllegalArgumentException("the model must be ordered by FuzzReference.ORDER");
            }
        }
    }

    /**
     * The verdict on one directory.
     *
     * @param detail what happened: the first wrong answer, or the call and exception
     * @param error  the exception that decided the verdict, or null
     */
    record Outcome(FuzzVerdict verdict, String detail, Throwable error) {
        @Override
        public String toString() {
            return verdict + ": " + detail;
        }
    }

    /** Opens {@code dir} with the expected options, reads it back (and writes, see above), closes it, and classifies. */
    static Outcome classify(Path dir, Expected expected) {
        KeyValueStore store;
        try {
            store = KeyValueStore.open(dir, expected.options());
        } catch (Throwable t) {
            return isOffstate(t)
                ? new Outcome(FuzzVerdict.REFUSED_AT_OPEN, "open: " + describe(t), t)
                : new Outcome(FuzzVerdict.NON_OFFSTATE, "open: " + describe(t), t);
        }
        Run run = new Run(dir, store, expected);
        try {
            run.readAll();
            if (run.refusal == null) {
                run.writes();
            }
            if (run.refusal == null) {
                run.phase = "after writes: ";
                run.readAll();
            }
            if (run.refusal == null && run.reopen()) {
                run.phase = "after writes, flush and reopen: ";
                run.readAll();
            }
            run.writeAfterDamage();
        } catch (Stop stop) {
            // the verdict is decided; the rest of the read-back would add nothing
        }
        run.close();
        return run.outcome();
    }

    static boolean isOffstate(Throwable t) {
        return t instanceof OffstateException;
    }

    static String describe(Throwable t) {
        return t.getClass().getName() + ": " + t.getMessage();
    }

    static String show(byte[] key) {
        for (byte b : key) {
            if (b < 0x20 || b > 0x7e) {
                return "0x" + java.util.HexFormat.of().formatHex(key);
            }
        }
        return "\"" + new String(key, StandardCharsets.US_ASCII) + "\"";
    }

    /** Null if equal, else where {@code actual} first differs from {@code expected}. */
    static String difference(byte[] actual, byte[] expected) {
        if (actual == null) {
            return "null, expected " + expected.length + " bytes";
        }
        int i = Arrays.mismatch(actual, expected);
        if (i < 0) {
            return null;
        }
        String at = i < Math.min(actual.length, expected.length)
            ? String.format(", first difference at byte %d: 0x%02x, expected 0x%02x", i, actual[i] & 0xff, expected[i] & 0xff)
            : ", first difference at byte " + i;
        return actual.length + " bytes, expected " + expected.length + at;
    }

    /** Thrown inside a run once its verdict is decided. */
    private static final class Stop extends RuntimeException {
        Stop() {
            super(null, null, false, false);
        }
    }

    /** A read step that may throw. */
    @FunctionalInterface
    private interface Step {
        void run();
    }

    /** The read-back of one open store. */
    private static final class Run {
        private final Path dir;
        private KeyValueStore store;
        private Expected expected;
        private NavigableMap<byte[], byte[]> model;
        /** Prefix of every detail: which part of the run it happened in. */
        private String phase = "";
        private String refusedAt;
        private Throwable refusal;
        private FuzzVerdict failure;
        private String failureDetail;
        private Throwable failureError;

        Run(Path dir, KeyValueStore store, Expected expected) {
            this.dir = dir;
            this.store = store;
            this.expected = expected;
            this.model = expected.model();
        }

        Outcome outcome() {
            if (failure != null) {
                return new Outcome(failure, failureDetail
                    + (refusal != null && failureError != refusal ? " (after " + refusedAt + " threw " + describe(refusal) + ")" : ""),
                    failureError);
            }
            if (refusal != null) {
                return new Outcome(FuzzVerdict.REFUSED_ON_TOUCH, refusedAt + ": " + describe(refusal), refusal);
            }
            return new Outcome(FuzzVerdict.HARMLESS, "identical read-back", null);
        }

        void wrong(String what) {
            failure = FuzzVerdict.WRONG_DATA;
            failureDetail = phase + what;
            throw new Stop();
        }

        /** Runs one read: an offstate exception is a refusal (the first one is kept), anything else ends the run. */
        void step(String what, Step step) {
            try {
                step.run();
            } catch (Stop stop) {
                throw stop;
            } catch (Throwable t) {
                if (isOffstate(t)) {
                    if (refusal == null) {
                        refusal = t;
                        refusedAt = phase + what;
                    }
                    return;
                }
                failure = FuzzVerdict.NON_OFFSTATE;
                failureDetail = phase + what + ": " + describe(t);
                failureError = t;
                throw new Stop();
            }
        }

        void readAll() {
            step("size()", () -> {
                long size = store.size();
                if (size != model.size()) {
                    wrong("size() = " + size + ", expected " + model.size());
                }
            });
            if (expected.dictionarySize() >= 0) {
                step("dictionarySize()", () -> {
                    int n = store.dictionarySize();
                    if (n != expected.dictionarySize()) {
                        wrong("dictionarySize() = " + n + ", expected " + expected.dictionarySize());
                    }
                });
            }
            ValueView view = new ValueView();
            for (Map.Entry<byte[], byte[]> e : model.entrySet()) {
                byte[] k = e.getKey();
                byte[] v = e.getValue();
                step("getCopy(" + show(k) + ")", () -> {
                    String d = difference(store.getCopy(k), v);
                    if (d != null) {
                        wrong("getCopy(" + show(k) + ") returned " + d);
                    }
                });
                step("get(" + show(k) + ", view)", () -> {
                    if (!store.get(k, view)) {
                        wrong("get(" + show(k) + ", view) returned false, expected " + v.length + " bytes");
                    }
                    String d = difference(view.toByteArray(), v);
                    if (d != null) {
                        wrong("get(" + show(k) + ", view) gave " + d);
                    }
                });
                step("contains(" + show(k) + ")", () -> {
                    if (!store.contains(k)) {
                        wrong("contains(" + show(k) + ") = false for a present key");
                    }
                });
            }
            for (byte[] k : expected.absent()) {
                step("getCopy(" + show(k) + ") of an absent key", () -> {
                    byte[] got = store.getCopy(k);
                    if (got != null) {
                        wrong("getCopy(" + show(k) + ") returned " + got.length + " bytes for an absent key");
                    }
                });
                step("contains(" + show(k) + ") of an absent key", () -> {
                    if (store.contains(k)) {
                        wrong("contains(" + show(k) + ") = true for an absent key");
                    }
                });
            }
            step("forEach", this::forEach);
            if (expected.options().sortedIndex()) {
                step("cursor forward scan", () -> scan(false));
                step("cursor reverse scan", () -> scan(true));
                int i = 0;
                for (byte[] k : model.keySet()) {
                    if (i++ % 13 == 0) {
                        step("cursor seek(" + show(k) + ")", () -> seek(k));
                    }
                }
                for (byte[] k : expected.absent()) {
                    step("cursor seek(" + show(k) + ") of an absent key", () -> seek(k));
                }
            }
        }

        void forEach() {
            TreeMap<byte[], byte[]> seen = new TreeMap<>(FuzzReference.ORDER);
            store.forEach((ks, vs) -> {
                byte[] k = ks.toArray(ValueLayout.JAVA_BYTE);
                byte[] v = vs.toArray(ValueLayout.JAVA_BYTE);
                byte[] want = model.get(k);
                if (want == null) {
                    wrong("forEach yielded " + show(k) + ", which is not in the store");
                }
                if (seen.put(k, v) != null) {
                    wrong("forEach yielded " + show(k) + " twice");
                }
                String d = difference(v, want);
                if (d != null) {
                    wrong("forEach value of " + show(k) + ": " + d);
                }
            });
            if (seen.size() != model.size()) {
                for (byte[] k : model.keySet()) {
                    if (!seen.containsKey(k)) {
                        wrong("forEach yielded " + seen.size() + " of " + model.size() + " entries, missing " + show(k));
                    }
                }
            }
        }

        void scan(boolean reverse) {
            Cursor c = store.cursor();
            if (reverse) {
                c.rangeReverse(null, null);
            } else {
                c.range(null, null);
            }
            String name = reverse ? "reverse scan" : "forward scan";
            Iterator<Map.Entry<byte[], byte[]>> want = (reverse ? model.descendingMap() : model).entrySet().iterator();
            int n = 0;
            while (c.next()) {
                byte[] k = c.key().toByteArray();
                byte[] v = c.value().toByteArray();
                if (!want.hasNext()) {
                    wrong(name + " yielded " + show(k) + " after all " + model.size() + " entries");
                }
                Map.Entry<byte[], byte[]> e = want.next();
                if (!Arrays.equals(k, e.getKey())) {
                    wrong(name + " entry " + n + " is " + show(k) + ", expected " + show(e.getKey()));
                }
                String d = difference(v, e.getValue());
                if (d != null) {
                    wrong(name + " value of " + show(k) + ": " + d);
                }
                n++;
            }
            if (want.hasNext()) {
                wrong(name + " ended after " + n + " of " + model.size() + " entries, missing " + show(want.next().getKey()));
            }
        }

        void seek(byte[] k) {
            Cursor c = store.cursor();
            boolean on = c.seek(k);
            Map.Entry<byte[], byte[]> want = model.ceilingEntry(k);
            if (want == null) {
                if (on) {
                    wrong("seek(" + show(k) + ") found " + show(c.key().toByteArray()) + ", expected nothing");
                }
                return;
            }
            if (!on) {
                wrong("seek(" + show(k) + ") found nothing, expected " + show(want.getKey()));
            }
            byte[] got = c.key().toByteArray();
            if (!Arrays.equals(got, want.getKey())) {
                wrong("seek(" + show(k) + ") found " + show(got) + ", expected " + show(want.getKey()));
            }
            String d = difference(c.value().toByteArray(), want.getValue());
            if (d != null) {
                wrong("seek(" + show(k) + ") value: " + d);
            }
        }

        /**
         * Writes to a store that read back intact: new keys, an overwrite, a large value and a
         * delete, so damage the reads did not meet (free lists, spare table slots, pages past the
         * committed length) is met now. The model follows; the first refusal ends the writes.
         */
        void writes() {
            phase = "writes: ";
            TreeMap<byte[], byte[]> next = new TreeMap<>(model);
            List<byte[]> absent = new ArrayList<>(expected.absent());
            step("put of new keys", () -> {
                for (int i = 0; i < 20; i++) {
                    byte[] k = ("t" + (i % 7) + "|fuzz-new-" + i).getBytes(StandardCharsets.US_ASCII);
                    byte[] v = TestData.pattern(i * 3, i);
                    store.put(k, v);
                    next.put(k, v);
                }
            });
            if (refusal == null && !model.isEmpty()) {
                step("overwrite of " + show(model.firstKey()), () -> {
                    byte[] v = TestData.pattern(33, 77);
                    store.put(model.firstKey(), v);
                    next.put(model.firstKey(), v);
                });
            }
            if (refusal == null) {
                step("put of a large value", () -> {
                    byte[] k = "big|fuzz-large".getBytes(StandardCharsets.US_ASCII);
                    byte[] v = TestData.pattern(3000, 5);
                    store.put(k, v);
                    next.put(k, v);
                });
            }
            if (refusal == null && model.size() > 1) {
                byte[] k = model.lastKey();
                step("delete of " + show(k), () -> {
                    if (!store.delete(k)) {
                        wrong("delete(" + show(k) + ") = false for a present key");
                    }
                    next.remove(k);
                    absent.add(k);
                });
            }
            expected = new Expected(expected.options(), next, absent, -1);
            model = next;
        }

        /** Closes the store (a flush) and opens it again; false if either was refused. */
        boolean reopen() {
            phase = "flush and reopen: ";
            step("close", store::close);
            if (refusal != null) {
                return false;
            }
            try {
                store = KeyValueStore.open(dir, expected.options());
                return true;
            } catch (Throwable t) {
                store = null;
                if (isOffstate(t)) {
                    refusal = t;
                    refusedAt = phase + "open";
                    return false;
                }
                failure = FuzzVerdict.NON_OFFSTATE;
                failureDetail = phase + "open: " + describe(t);
                failureError = t;
                throw new Stop();
            }
        }

        /** A store that reported damage must refuse writes, so it never writes the damage back. */
        void writeAfterDamage() {
            if (refusal == null || store == null || store.isClosed()) {
                return;
            }
            byte[] k = "fuzz|probe".getBytes(StandardCharsets.US_ASCII);
            try {
                store.put(k, new byte[] {1, 2, 3});
            } catch (Throwable t) {
                if (!isOffstate(t)) {
                    failure = FuzzVerdict.NON_OFFSTATE;
                    failureDetail = phase + "put after damage: " + describe(t);
                    failureError = t;
                }
                return;
            }
            wrong("wrote after damage: put was accepted after " + refusedAt + " threw " + describe(refusal));
        }

        void close() {
            if (store == null) {
                return;
            }
            try {
                store.closeWithoutFlush();
            } catch (Throwable t) {
                if (!isOffstate(t) && failure == null) {
                    failure = FuzzVerdict.NON_OFFSTATE;
                    failureDetail = phase + "closeWithoutFlush: " + describe(t);
                    failureError = t;
                }
            }
        }
    }
}
