package io.offstate.propertytests;

import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.ValueView;

/**
 * Reads entries from a {@link Cursor}, checking its contract on the way: key()/value() throw
 * IllegalStateException off an entry (before the first next() of a range or prefix, after a false
 * from positioning or next()), where isOnEntry() is false; next() stays false once false; the
 * views' accessors agree with each other. Compares what was read with the model's answer.
 */
final class CursorReader {
    /**
     * What a cursor yielded.
     *
     * @param entries the entries, in the order yielded
     * @param ended   whether the cursor reported its end (a false from next() or from positioning)
     */
    record Run(List<Map.Entry<Bytes, Bytes>> entries, boolean ended) {
        /** The last key yielded, or {@code previous} if none was. */
        Bytes lastKey(Bytes previous) {
            return entries.isEmpty() ? previous : entries.getLast().getKey();
        }
    }

    private CursorReader() {
    }

    /**
     * Positions {@code cursor} with {@code query}, then reads until it has {@code limit} entries or
     * the cursor ends (the entry a first/last/seek/seekForPrev positions on counts as one).
     */
    static Run scan(Cursor cursor, ScanQuery query, long limit, Object where) {
        boolean onEntry = query.position(cursor);
        List<Map.Entry<Bytes, Bytes>> out = new ArrayList<>();
        if (!query.kind().positionsOnEntry) {
            assertOffEntry(cursor, where, "before the first next() of " + query);
        } else if (!onEntry) {
            assertOffEntry(cursor, where, query + " returned false");
            assertStaysEnded(cursor, where);
            return new Run(out, true);
        } else if (limit > 0) {
            out.add(current(cursor, where, true));
        }
        return read(cursor, out, limit, where);
    }

    /** Calls next() until {@code limit} entries are read or it returns false. */
    static Run next(Cursor cursor, long limit, Object where) {
        return read(cursor, new ArrayList<>(), limit, where);
    }

    private static Run read(Cursor cursor, List<Map.Entry<Bytes, Bytes>> out, long limit, Object where) {
        while (out.size() < limit) {
            if (!cursor.next()) {
                assertOffEntry(cursor, where, "next() returned false");
                assertStaysEnded(cursor, where);
                return new Run(out, true);
            }
            out.add(current(cursor, where, out.isEmpty()));
        }
        return new Run(out, false);
    }

    /** The current entry, copied; with {@code thorough}, after checking every accessor of both views. */
    static Map.Entry<Bytes, Bytes> current(Cursor cursor, Object where, boolean thorough) {
        if (!cursor.isOnEntry()) {
            throw new AssertionError(where + ": isOnEntry() is false on an entry");
        }
        ValueView k = cursor.key();
        ValueView v = cursor.value();
        byte[] key = k.toByteArray();
        byte[] value = v.toByteArray();
        if (thorough) {
            checkView(k, key, where, "key()");
            checkView(v, value, where, "value()");
        }
        return Map.entry(Bytes.wrap(key), Bytes.wrap(value));
    }

    private static void checkView(ValueView view, byte[] bytes, Object where, String which) {
        String problem = null;
        if (view.length() != bytes.length) {
            problem = "length() " + view.length() + " != toByteArray().length " + bytes.length;
        } else if (!view.contentEquals(bytes)) {
            problem = "contentEquals(toByteArray()) is false";
        } else if (!view.segment().isReadOnly()) {
            problem = "segment() is writable";
        } else if (!Arrays.equals(view.segment().toArray(ValueLayout.JAVA_BYTE), bytes)) {
            problem = "segment() differs from toByteArray()";
        } else if (!Arrays.equals(view.memory().asSlice(view.offset(), bytes.length).toArray(ValueLayout.JAVA_BYTE), bytes)) {
            problem = "memory()/offset() differ from toByteArray()";
        }
        if (problem != null) {
            throw new AssertionError(where + ": cursor " + which + ": " + problem);
        }
    }

    private static void assertOffEntry(Cursor cursor, Object where, String when) {
        if (cursor.isOnEntry()) {
            throw new AssertionError(where + ": isOnEntry() is true " + when);
        }
        for (int i = 0; i < 2; i++) {
            try {
                ValueView v = i == 0 ? cursor.key() : cursor.value();
                throw new AssertionError(where + ": " + (i == 0 ? "key()" : "value()") + " readable (" + v.length()
                    + " bytes) " + when);
            } catch (IllegalStateException expected) {
                // no current entry
            }
        }
    }

    private static void assertStaysEnded(Cursor cursor, Object where) {
        if (cursor.next()) {
            throw new AssertionError(where + ": next() returned true after the cursor reported its end");
        }
    }

    /**
     * On a sorted store: a full ascending and a full descending scan (one new cursor) yield exactly
     * {@code model}'s entries. On a hash-only store: cursor() throws UnsupportedOperationException.
     */
    static void assertFullScans(Object where, KeyValueStore store, NavigableMap<Bytes, Bytes> model) {
        if (!store.options().sortedIndex()) {
            try {
                store.cursor();
            } catch (UnsupportedOperationException expected) {
                return;
            }
            throw new AssertionError(where + ": cursor() of a store without a sorted index did not throw");
        }
        Cursor cursor = store.cursor();
        for (ScanQuery.Kind kind : List.of(ScanQuery.Kind.RANGE, ScanQuery.Kind.RANGE_REVERSE)) {
            ScanQuery all = new ScanQuery(kind, null, null);
            assertAnswer(where + ", " + all, all.answer(model, null, Long.MAX_VALUE), Long.MAX_VALUE,
                scan(cursor, all, Long.MAX_VALUE, where));
        }
    }

    /** Asserts {@code observed} is the model's {@code expected} answer to a request of {@code limit} entries. */
    static void assertAnswer(Object where, List<Map.Entry<Bytes, Bytes>> expected, long limit, Run observed) {
        boolean expectedEnded = expected.size() < limit;
        if (expected.equals(observed.entries()) && expectedEnded == observed.ended()) {
            return;
        }
        List<Map.Entry<Bytes, Bytes>> got = observed.entries();
        int at = 0;
        while (at < expected.size() && at < got.size() && expected.get(at).equals(got.get(at))) {
            at++;
        }
        throw new AssertionError(where + ": the cursor yielded " + got.size() + " entries" + (observed.ended() ? " then ended" : "")
            + ", the model " + expected.size() + (expectedEnded ? " then the end" : "") + "; first difference at #" + at
            + ": cursor " + window(got, at) + ", model " + window(expected, at));
    }

    private static String window(List<Map.Entry<Bytes, Bytes>> entries, int at) {
        int from = Math.max(0, at - 2);
        int to = Math.min(entries.size(), at + 3);
        StringBuilder sb = new StringBuilder(from > 0 ? "[..., " : "[");
        for (int i = from; i < to; i++) {
            sb.append(i == at ? ">" : "").append('#').append(i).append(' ').append(entries.get(i).getKey())
                .append('=').append(entries.get(i).getValue()).append(i + 1 < to ? ", " : "");
        }
        return sb.append(to < entries.size() ? ", ...]" : "]").toString();
    }
}
