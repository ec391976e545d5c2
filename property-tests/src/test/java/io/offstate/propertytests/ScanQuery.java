package io.offstate.propertytests;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;

import io.offstate.engine.Cursor;

/**
 * One positioning call of a {@link Cursor} with concrete arguments, and the model's answer to it:
 * the entries the cursor must yield, in order, computed from a map sorted by unsigned lexicographic
 * key order (a {@code TreeMap<Bytes, Bytes>}) with no help from the engine's code.
 *
 * <ul>
 *   <li>{@code range(a, b)}: keys {@code a <= k < b}, ascending; a null end is open; {@code a >= b}
 *       (both non-null) is empty. {@code rangeReverse}: the same keys, descending.</li>
 *   <li>{@code prefix(a)}: keys starting with {@code a}, ascending ({@code prefixReverse}: descending).</li>
 *   <li>{@code first()}: all keys ascending; {@code last()}: all keys descending.</li>
 *   <li>{@code seek(a)}: keys {@code >= a} ascending; {@code seekForPrev(a)}: keys {@code <= a} descending.</li>
 * </ul>
 * The range and prefix calls position the cursor before their first entry (next() yields it); the
 * others position it on their first entry (and return whether there is one).
 *
 * @param kind the call
 * @param a    the from bound, prefix or seek key (null: open from bound; unused by first/last)
 * @param b    the to bound of ranges (null: open); unused otherwise
 */
record ScanQuery(Kind kind, Bytes a, Bytes b) {
    enum Kind {
        RANGE(false, false), RANGE_REVERSE(true, false), PREFIX(false, false), PREFIX_REVERSE(true, false),
        FIRST(false, true), LAST(true, true), SEEK(false, true), SEEK_FOR_PREV(true, true);

        final boolean descending;
        /** Whether the call positions the cursor on its first entry (else before it). */
        final boolean positionsOnEntry;

        Kind(boolean descending, boolean positionsOnEntry) {
            this.descending = descending;
            this.positionsOnEntry = positionsOnEntry;
        }
    }

    /**
     * Positions {@code cursor}. The bound arrays passed are fresh copies, scribbled over right after
     * the call: the cursor must have copied what it needs.
     *
     * @return whether the cursor is on an entry (always false for range and prefix calls)
     */
    boolean position(Cursor cursor) {
        byte[] x = a == null ? null : a.array().clone();
        byte[] y = b == null ? null : b.array().clone();
        boolean onEntry = switch (kind) {
            case RANGE -> {
                cursor.range(x, y);
                yield false;
            }
            case RANGE_REVERSE -> {
                cursor.rangeReverse(x, y);
                yield false;
            }
            case PREFIX -> {
                cursor.prefix(x);
                yield false;
            }
            case PREFIX_REVERSE -> {
                cursor.prefixReverse(x);
                yield false;
            }
            case FIRST -> cursor.first();
            case LAST -> cursor.last();
            case SEEK -> cursor.seek(x);
            case SEEK_FOR_PREV -> cursor.seekForPrev(x);
        };
        scribble(x);
        scribble(y);
        return onEntry;
    }

    private static void scribble(byte[] bytes) {
        if (bytes != null) {
            for (int i = 0; i < bytes.length; i++) {
                bytes[i] ^= (byte) 0xFF;
            }
        }
    }

    /**
     * The model's answer: at most {@code limit} entries of this query over {@code model}, in the
     * cursor's order, starting after key {@code after} in that order (null: from the beginning).
     */
    List<Map.Entry<Bytes, Bytes>> answer(NavigableMap<Bytes, Bytes> model, Bytes after, long limit) {
        NavigableMap<Bytes, Bytes> ordered = inCursorOrder(model);
        if (after != null) {
            ordered = ordered.tailMap(after, false);
        }
        List<Map.Entry<Bytes, Bytes>> out = new ArrayList<>();
        for (Map.Entry<Bytes, Bytes> e : ordered.entrySet()) {
            if (out.size() >= limit || (kind == Kind.PREFIX && !e.getKey().startsWith(a))) {
                break;
            }
            out.add(Map.entry(e.getKey(), e.getValue()));
        }
        return out;
    }

    /** The entries of the query as a map iterated in cursor order (for PREFIX: all keys from the prefix on). */
    private NavigableMap<Bytes, Bytes> inCursorOrder(NavigableMap<Bytes, Bytes> model) {
        return switch (kind) {
            case RANGE -> range(model);
            case RANGE_REVERSE -> range(model).descendingMap();
            case PREFIX -> model.tailMap(a, true);
            case PREFIX_REVERSE -> {
                Bytes last = null;
                for (Bytes k : model.tailMap(a, true).keySet()) {
                    if (!k.startsWith(a)) {
                        break;
                    }
                    last = k;
                }
                yield last == null ? Collections.emptyNavigableMap() : model.subMap(a, true, last, true).descendingMap();
            }
            case FIRST -> model;
            case LAST -> model.descendingMap();
            case SEEK -> model.tailMap(a, true);
            case SEEK_FOR_PREV -> model.headMap(a, true).descendingMap();
        };
    }

    private NavigableMap<Bytes, Bytes> range(NavigableMap<Bytes, Bytes> model) {
        if (a != null && b != null) {
            return a.compareTo(b) >= 0 ? Collections.emptyNavigableMap() : model.subMap(a, true, b, false);
        }
        if (a != null) {
            return model.tailMap(a, true);
        }
        return b != null ? model.headMap(b, false) : model;
    }

    @Override
    public String toString() {
        return switch (kind) {
            case RANGE -> "range(" + bound(a) + ", " + bound(b) + ")";
            case RANGE_REVERSE -> "rangeReverse(" + bound(a) + ", " + bound(b) + ")";
            case PREFIX -> "prefix(" + a + ")";
            case PREFIX_REVERSE -> "prefixReverse(" + a + ")";
            case FIRST -> "first()";
            case LAST -> "last()";
            case SEEK -> "seek(" + a + ")";
            case SEEK_FOR_PREV -> "seekForPrev(" + a + ")";
        };
    }

    private static String bound(Bytes b) {
        return b == null ? "null" : b.toString();
    }
}
