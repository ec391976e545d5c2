package io.offstate.engine.time;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.TransactionCursor;
import io.offstate.engine.ValueView;

/**
 * One ordered scan of a time store's backing store, either of its committed entries (no
 * transaction) or through a transaction (read-your-writes). Keeps one {@link Cursor} and the
 * last transaction's {@link TransactionCursor}, so a re-positioned scan allocates nothing.
 * Not thread-safe.
 */
final class TimeScan {
    private final KeyValueStore store;
    private final Cursor cursor;
    private Transaction boundTx;
    private TransactionCursor txCursor;
    private boolean viaTx;

    TimeScan(KeyValueStore store) {
        this.store = store;
        this.cursor = store.cursor();
    }

    /** Scans through {@code tx} from now on, or the committed entries if null. */
    TimeScan bind(Transaction tx) {
        if (tx == null) {
            viaTx = false;
            return this;
        }
        if (tx != boundTx) {
            txCursor = tx.cursor(store);
            boundTx = tx;
        }
        viaTx = true;
        return this;
    }

    TimeScan range(byte[] from, int fromLength, byte[] to, int toLength, boolean reverse) {
        if (viaTx) {
            if (reverse) {
                txCursor.rangeReverse(from, fromLength, to, toLength);
            } else {
                txCursor.range(from, fromLength, to, toLength);
            }
        } else if (reverse) {
            cursor.rangeReverse(from, fromLength, to, toLength);
        } else {
            cursor.range(from, fromLength, to, toLength);
        }
        return this;
    }

    TimeScan range(Scratch from, Scratch to, boolean reverse) {
        return range(from == null ? null : from.array, from == null ? 0 : from.length,
            to == null ? null : to.array, to == null ? 0 : to.length, reverse);
    }

    boolean next() {
        return viaTx ? txCursor.next() : cursor.next();
    }

    ValueView key() {
        return viaTx ? txCursor.key() : cursor.key();
    }

    ValueView value() {
        return viaTx ? txCursor.value() : cursor.value();
    }

    /** Forgets a finished transaction so its cursor can be collected. */
    void release() {
        boundTx = null;
        txCursor = null;
        viaTx = false;
    }
}
