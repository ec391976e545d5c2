package io.offstate.propertytests;

import io.offstate.engine.Cursor;

/**
 * The cursor that the scan commands of one example share, with what it was last positioned with
 * and how far it got. Sharing it means one cursor is re-positioned again and again, across writes,
 * snapshots and restores; {@link ContinueScanCommand} later resumes it and checks that it either
 * continues exactly where the model says (no write since positioning) or fails fast (a write since).
 */
final class TrackedCursor {
    final Cursor cursor;
    /** The last positioning, or null if never positioned. */
    ScanQuery query;
    /** The last key yielded since positioning, or null if none. */
    Bytes lastKey;
    /** Whether the cursor reported its end since positioning. */
    boolean ended;
    /** {@link StoreUnderTest#writes} when positioned. */
    long writesAtPositioning;

    TrackedCursor(Cursor cursor) {
        this.cursor = cursor;
    }

    void positioned(ScanQuery q, CursorReader.Run run, long writes) {
        query = q;
        lastKey = run.lastKey(null);
        ended = run.ended();
        writesAtPositioning = writes;
    }

    void advanced(CursorReader.Run run) {
        lastKey = run.lastKey(lastKey);
        ended |= run.ended();
    }

    /** Whether the store was written since the cursor was positioned. */
    boolean stale(long writes) {
        return writes != writesAtPositioning;
    }

    /** Whether the cursor is on an entry (positioned, yielded one, not ended). */
    boolean onEntry() {
        return query != null && lastKey != null && !ended;
    }
}
