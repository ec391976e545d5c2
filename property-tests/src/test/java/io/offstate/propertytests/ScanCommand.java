package io.offstate.propertytests;

import java.util.List;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;

/**
 * Positions a cursor (range, rangeReverse, prefix, prefixReverse, first, last, seek, seekForPrev)
 * and reads up to a number of entries; they must be the model's answer, in order, values included.
 * Bounds are chosen when the command runs, from the keys the store holds ({@link BoundChoice}).
 * Uses the example's shared cursor (re-positioned across writes and restores) or a new one.
 *
 * <p>A store without a sorted index must refuse {@code cursor()} with UnsupportedOperationException.
 */
final class ScanCommand implements StoreCommand {
    /** How a range's two bounds relate. */
    enum Pairing {
        /** As chosen: sometimes from > to (an empty range, documented). */
        AS_CHOSEN,
        /** to = from: always empty. */
        EQUAL,
        /** The smaller bound first (when both are non-null). */
        ORDERED
    }

    final ScanQuery.Kind kind;
    final BoundChoice from;
    final BoundChoice to;
    final Pairing pairing;
    /** Entries to read: next() calls of range/prefix, 1 + next() calls of first/last/seek/seekForPrev. */
    final long limit;
    final boolean freshCursor;
    private ScanQuery query;
    private CursorReader.Run observed;
    private boolean refused;

    ScanCommand(ScanQuery.Kind kind, BoundChoice from, BoundChoice to, Pairing pairing, long limit, boolean freshCursor) {
        this.kind = kind;
        this.from = from;
        this.to = to;
        this.pairing = pairing;
        this.limit = limit;
        this.freshCursor = freshCursor;
    }

    @Override
    public void run(StoreUnderTest sut) {
        query = null;
        observed = null;
        refused = false;
        KeyValueStore store = sut.store;
        if (!sut.sorted()) {
            try {
                store.cursor();
                throw new AssertionError(this + ": cursor() of a store without a sorted index did not throw");
            } catch (UnsupportedOperationException expected) {
                refused = true;
                return;
            }
        }
        query = resolve(sut.observedKeys);
        TrackedCursor shared = freshCursor ? null : sut.shared();
        Cursor cursor = freshCursor ? store.cursor() : shared.cursor;
        observed = CursorReader.scan(cursor, query, limit, this);
        if (shared != null) {
            shared.positioned(query, observed, sut.writes);
        }
    }

    ScanQuery resolve(List<Bytes> keys) {
        Bytes a = from.resolve(keys);
        Bytes b = to.resolve(keys);
        if (kind == ScanQuery.Kind.RANGE || kind == ScanQuery.Kind.RANGE_REVERSE) {
            if (pairing == Pairing.EQUAL) {
                b = a;
            } else if (pairing == Pairing.ORDERED && a != null && b != null && a.compareTo(b) > 0) {
                Bytes t = a;
                a = b;
                b = t;
            }
            return new ScanQuery(kind, a, b);
        }
        return new ScanQuery(kind, a == null ? Bytes.EMPTY : a, null);
    }

    @Override
    public Model nextState(Model model) {
        if (!refused) {
            CursorReader.assertAnswer(this, query.answer(model.entries, null, limit), limit, observed);
        }
        return model;
    }

    @Override
    public String toString() {
        String call = switch (kind) {
            case RANGE, RANGE_REVERSE -> kind + "(" + from + ", " + (pairing == Pairing.EQUAL ? "=from" : to)
                + (pairing == Pairing.ORDERED ? ", ordered" : "") + ")";
            case PREFIX, PREFIX_REVERSE, SEEK, SEEK_FOR_PREV -> kind + "(" + from + ")";
            case FIRST, LAST -> kind + "()";
        };
        String reads = limit == Long.MAX_VALUE ? "all" : Long.toString(limit);
        return (freshCursor ? "new cursor " : "shared cursor ") + call + " reading " + reads
            + (query == null ? "" : ", ran as " + query);
    }
}
