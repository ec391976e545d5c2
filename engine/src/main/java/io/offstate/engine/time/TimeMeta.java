package io.offstate.engine.time;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

/**
 * The one metadata entry (key {@code 0x00}) of a time store: what kind of store it is and with
 * which parameters (checked when the store is opened again, so a window store is never read as a
 * session store or with another window size), and a few longs of state that must commit with the
 * data — stream time above all, because expiry and lateness follow it, never the wall clock.
 *
 * <p>Layout, big-endian: magic {@code "OSTM"} (4), kind (1), format (1), {@value #PARAMS} params
 * (8 each), {@value #STATE} state slots (8 each). Reads are cached per transaction (by identity and generation) and,
 * without one, per store version, so the hot path reads the entry once per transaction.
 * Not thread-safe: owned by one time-store object.
 */
final class TimeMeta {
    static final int MAGIC = 0x4F53544D;
    static final int PARAMS = 6;
    static final int STATE = 4;
    static final int LENGTH = 6 + 8 * PARAMS + 8 * STATE;
    private static final byte FORMAT = 1;
    private static final int STATE_OFFSET = 6 + 8 * PARAMS;

    static final byte TIMESTAMPED = 1;
    static final byte VERSIONED = 2;
    static final byte WINDOW = 3;
    static final byte SESSION = 4;
    static final byte TTL = 5;
    static final byte AGGREGATION = 6;

    private final KeyValueStore store;
    private final byte kind;
    private final String kindName;
    private final String[] paramNames;
    private final long[] params;
    private final long[] initial;
    private final long[] state = new long[STATE];
    private final Scratch key = new Scratch(1).putByte(TimeKeys.META_PREFIX);
    private final Scratch value = new Scratch(LENGTH);
    private final ValueView view = new ValueView();
    private Transaction cachedTx;
    /** {@link Transaction#generation()} of {@link #cachedTx} when cached: a reusable transaction's next round reads again. */
    private long cachedGeneration;
    private long committedVersion = Long.MIN_VALUE;
    private boolean cachedCommitted;
    private boolean present;

    /**
     * Binds to {@code store} and checks the metadata it already holds, if any.
     *
     * @throws IllegalArgumentException if the store holds another kind of time store, other
     *                                  parameters, or data that is not a time store's
     */
    TimeMeta(KeyValueStore store, byte kind, String kindName, String[] paramNames, long[] params, long[] initialState) {
        if (params.length > PARAMS || paramNames.length != params.length || initialState.length > STATE) {
            throw new IllegalArgumentException("internal: too many time-store parameters");
        }
        this.store = store;
        this.kind = kind;
        this.kindName = kindName;
        this.paramNames = paramNames;
        this.params = params.clone();
        this.initial = new long[STATE];
        System.arraycopy(initialState, 0, initial, 0, initialState.length);
        load(null);
    }

    long get(Transaction tx, int slot) {
        load(tx);
        return state[slot];
    }

    /** Stages the metadata entry in {@code tx} if the transaction does not see one yet. */
    void ensure(Transaction tx) {
        load(tx);
        if (!present) {
            stage(tx);
        }
    }

    /** Sets a state slot as {@code tx} sees it; stages the entry only when something changes. */
    void set(Transaction tx, int slot, long v) {
        load(tx);
        if (present && state[slot] == v) {
            return;
        }
        state[slot] = v;
        stage(tx);
    }

    /** Sets two slots with at most one staged write. */
    void set(Transaction tx, int slot1, long v1, int slot2, long v2) {
        load(tx);
        if (present && state[slot1] == v1 && state[slot2] == v2) {
            return;
        }
        state[slot1] = v1;
        state[slot2] = v2;
        stage(tx);
    }

    /** Sets three slots with at most one staged write. */
    void set(Transaction tx, int slot1, long v1, int slot2, long v2, int slot3, long v3) {
        load(tx);
        if (present && state[slot1] == v1 && state[slot2] == v2 && state[slot3] == v3) {
            return;
        }
        state[slot1] = v1;
        state[slot2] = v2;
        state[slot3] = v3;
        stage(tx);
    }

    private void stage(Transaction tx) {
        Scratch v = value.reset(LENGTH);
        v.putInt(MAGIC).putByte(kind).putByte(FORMAT);
        for (int i = 0; i < PARAMS; i++) {
            v.putLong(i < params.length ? params[i] : 0);
        }
        for (int i = 0; i < STATE; i++) {
            v.putLong(state[i]);
        }
        tx.put(store, key.segment, 0, 1, v.segment, 0, LENGTH, Math.max(0, state[0]));
        present = true;
    }

    private void load(Transaction tx) {
        if (tx == null) {
            if (cachedCommitted && committedVersion == store.version()) {
                return;
            }
            cachedTx = null;
            cachedCommitted = true;
            committedVersion = store.version();
            read(store.get(key.segment, 0, 1, view));
        } else {
            if (tx == cachedTx && tx.generation() == cachedGeneration) {
                return;
            }
            cachedTx = tx;
            cachedGeneration = tx.generation();
            cachedCommitted = false;
            read(tx.get(store, key.segment, 0, 1, view));
        }
    }

    private void read(boolean found) {
        present = found;
        if (!found) {
            System.arraycopy(initial, 0, state, 0, STATE);
            return;
        }
        if (view.length() != LENGTH || TimeKeys.getInt(view, 0) != MAGIC) {
            throw new IllegalArgumentException("store '" + store.name() + "' holds an entry at key 0x00 that is not a time"
                + " store's metadata (" + view.length() + " bytes): it is not a " + kindName + " store");
        }
        byte storedKind = view.getByte(4);
        if (storedKind != kind) {
            throw new IllegalArgumentException("store '" + store.name() + "' holds a " + kindName(storedKind)
                + " store; it cannot be opened as a " + kindName + " store");
        }
        if (view.getByte(5) != FORMAT) {
            throw new IllegalArgumentException("store '" + store.name() + "' holds a " + kindName
                + " store of format " + view.getByte(5) + "; this version reads format " + FORMAT);
        }
        for (int i = 0; i < params.length; i++) {
            long stored = view.getLongBigEndian(6 + 8 * i);
            if (stored != params[i]) {
                throw new IllegalArgumentException("store '" + store.name() + "' holds a " + kindName + " store with "
                    + paramNames[i] + "=" + stored + "; it was opened with " + paramNames[i] + "=" + params[i]);
            }
        }
        for (int i = 0; i < STATE; i++) {
            state[i] = view.getLongBigEndian(STATE_OFFSET + 8 * i);
        }
    }

    static String kindName(byte kind) {
        return switch (kind) {
            case TIMESTAMPED -> "timestamped key-value";
            case VERSIONED -> "versioned key-value";
            case WINDOW -> "window";
            case SESSION -> "session";
            case TTL -> "TTL key-value";
            case AGGREGATION -> "windowed aggregation";
            default -> "unknown (kind " + kind + ")";
        };
    }
}
