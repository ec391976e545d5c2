package io.offstate.propertytests;

import java.util.ConcurrentModificationException;

import io.offstate.engine.Cursor;

/**
 * Resumes the shared cursor where the last {@link ScanCommand} on it left off, with up to
 * {@link #steps} next() calls. If no write changed the store since it was positioned (reads,
 * snapshots, refused puts and deletes of absent keys are not writes), the cursor continues exactly
 * as the model says. Otherwise it fails fast: next() — and key()/value(), if it was on an entry —
 * throw ConcurrentModificationException. No-op on stores without a sorted index or before the
 * shared cursor was positioned.
 */
final class ContinueScanCommand implements StoreCommand {
    final int steps;
    private ScanQuery query;
    private Bytes after;
    private boolean stale;
    private CursorReader.Run observed;

    ContinueScanCommand(int steps) {
        this.steps = steps;
    }

    @Override
    public void run(StoreUnderTest sut) {
        query = null;
        observed = null;
        stale = false;
        if (!sut.sorted()) {
            return;
        }
        TrackedCursor shared = sut.shared();
        if (shared.query == null) {
            return;
        }
        query = shared.query;
        after = shared.lastKey;
        Cursor cursor = shared.cursor;
        if (shared.stale(sut.writes)) {
            stale = true;
            if (cursor.isOnEntry()) {
                throw new AssertionError(this + ": isOnEntry() is true after a write");
            }
            if (shared.onEntry()) {
                expectConcurrentModification("key()", () -> cursor.key());
                expectConcurrentModification("value()", () -> cursor.value());
            }
            expectConcurrentModification("next()", () -> cursor.next());
            return;
        }
        observed = CursorReader.next(cursor, steps, this);
        shared.advanced(observed);
    }

    private void expectConcurrentModification(String call, Runnable r) {
        try {
            r.run();
        } catch (ConcurrentModificationException expected) {
            return;
        }
        throw new AssertionError(this + ": " + call + " after a write did not throw ConcurrentModificationException");
    }

    @Override
    public Model nextState(Model model) {
        if (observed != null) {
            CursorReader.assertAnswer(this, query.answer(model.entries, after, steps), steps, observed);
        }
        return model;
    }

    @Override
    public String toString() {
        return "shared cursor next() up to " + steps + " times"
            + (query == null ? "" : " (positioned with " + query + ", after " + after + (stale ? ", written since" : "") + ")");
    }
}
