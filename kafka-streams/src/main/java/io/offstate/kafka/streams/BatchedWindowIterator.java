package io.offstate.kafka.streams;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;

import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.state.KeyValueIterator;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.time.WindowCursor;

/**
 * A Kafka Streams iterator over the windows of a shared offstate window store, read in copied
 * batches (see {@link BatchedRangeIterator} for the key-value twin).
 *
 * <p>The engine returns windows segment by segment and, within one, in the order of the stored
 * bytes {@code key ‖ start}. Each batch re-positions a cursor on the time range of the segment of
 * the last window returned, skips what is not after it in that order, and copies up to
 * {@value #BATCH} windows. So the iterator never holds the store between calls, never throws
 * {@link java.util.ConcurrentModificationException}, and is weakly consistent: each window comes at
 * most once and in order; one written after creation may show (duplicates of a window already
 * returned do not).
 *
 * <p>Threading: one thread at a time. Memory: heap copies handed to the caller. {@link #close()}
 * is idempotent; when the store closes first, {@link #hasNext()} returns false.
 *
 * @param <K> the key handed out: {@code Long} (window start) for one key, {@code Windowed<Bytes>} for several
 */
class BatchedWindowIterator<K> implements KeyValueIterator<K, byte[]> {
    static final int BATCH = 128;

    /** Positions the store's cursor on one time range (inclusive) of this iterator's query. */
    interface Query {
        void position(WindowCursor cursor, long from, long to, boolean backward);
    }

    /** Makes the key handed out from a window's key bytes and start. */
    interface KeyMaker<K> {
        K make(byte[] key, long windowStart);
    }

    private final OffstateWindowStore owner;
    private final Set<BatchedWindowIterator<?>> openSet;
    private final Query query;
    private final KeyMaker<K> keyMaker;
    private final long from;
    private final long to;
    private final boolean backward;
    private final long interval;
    private final List<byte[]> keys = new ArrayList<>();
    private final List<Long> starts = new ArrayList<>();
    private final List<byte[]> values = new ArrayList<>();
    private int index;
    private byte[] lastKey;
    private long lastStart;
    private boolean exhausted;
    private volatile boolean closed;

    BatchedWindowIterator(OffstateWindowStore owner, Set<BatchedWindowIterator<?>> openSet, Query query,
                          KeyMaker<K> keyMaker, long from, long to, boolean backward, long interval) {
        this.owner = owner;
        this.openSet = openSet;
        this.query = query;
        this.keyMaker = keyMaker;
        this.from = from;
        this.to = to;
        this.backward = backward;
        this.interval = interval;
        this.exhausted = to < from;
        openSet.add(this);
    }

    @Override
    public boolean hasNext() {
        if (closed) {
            return false;
        }
        if (index < keys.size()) {
            return true;
        }
        if (exhausted) {
            return false;
        }
        fill();
        return !closed && index < keys.size();
    }

    @Override
    public KeyValue<K, byte[]> next() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        KeyValue<K, byte[]> kv = KeyValue.pair(keyMaker.make(keys.get(index), starts.get(index)), values.get(index));
        index++;
        return kv;
    }

    @Override
    public K peekNextKey() {
        if (!hasNext()) {
            throw new NoSuchElementException();
        }
        return keyMaker.make(keys.get(index), starts.get(index));
    }

    @Override
    public void close() {
        closed = true;
        openSet.remove(this);
    }

    void closeByStore() {
        closed = true;
    }

    private void fill() {
        keys.clear();
        starts.clear();
        values.clear();
        index = 0;
        long lo = from;
        long hi = to;
        if (lastKey != null) {                  // resume in the segment of the last window returned
            long segment = lastStart / interval;
            if (backward) {
                hi = Math.min(to, segment * interval + interval - 1);
            } else {
                lo = Math.max(from, segment * interval);
            }
        }
        KeyValueStore store = owner.enterForIterator();
        if (store == null) {
            closed = true;
            return;
        }
        try {
            WindowCursor cursor = owner.cursor();
            query.position(cursor, lo, hi, backward);
            boolean more = false;
            while (cursor.next()) {
                long start = cursor.windowStart();
                byte[] key = cursor.key().toByteArray();
                if (lastKey != null && !after(key, start)) {
                    continue;
                }
                // a batch never ends inside a run of duplicates of one window: resuming skips equals
                int n = keys.size();
                if (n >= BATCH && compare(key, start, keys.get(n - 1), starts.get(n - 1)) != 0) {
                    more = true;
                    break;
                }
                keys.add(key);
                starts.add(start);
                values.add(cursor.value().toByteArray());
            }
            exhausted = !more;
        } finally {
            owner.exitForIterator();
        }
        if (!keys.isEmpty()) {
            lastKey = keys.get(keys.size() - 1);
            lastStart = starts.get(starts.size() - 1);
        }
    }

    /** Whether (key, start) comes after the last window returned, in this iterator's direction. */
    private boolean after(byte[] key, long start) {
        int c = compare(key, start, lastKey, lastStart);
        return backward ? c < 0 : c > 0;
    }

    /** The engine's order: segment, then the bytes {@code key ‖ start (8, big-endian)}, unsigned. */
    private int compare(byte[] k1, long t1, byte[] k2, long t2) {
        int c = Long.compare(t1 / interval, t2 / interval);
        if (c != 0) {
            return c;
        }
        int n = Math.min(k1.length, k2.length);
        for (int i = 0; i < n; i++) {
            c = Integer.compare(k1[i] & 0xFF, k2[i] & 0xFF);
            if (c != 0) {
                return c;
            }
        }
        // one key is a prefix of the other: compare the rest of the longer key with the other's start
        if (k1.length == k2.length) {
            return Long.compare(t1, t2);                // starts are >= 0: signed order is byte order
        }
        byte[] longer = k1.length > k2.length ? k1 : k2;
        long shortStart = k1.length > k2.length ? t2 : t1;
        int sign = k1.length > k2.length ? 1 : -1;
        byte[] rest = new byte[longer.length - n + 8];
        System.arraycopy(longer, n, rest, 0, longer.length - n);
        long longStart = k1.length > k2.length ? t1 : t2;
        for (int i = 0; i < 8; i++) {
            rest[longer.length - n + i] = (byte) (longStart >>> (56 - 8 * i));
        }
        for (int i = 0; i < 8; i++) {
            int a = rest[i] & 0xFF;
            int b = (int) (shortStart >>> (56 - 8 * i)) & 0xFF;
            if (a != b) {
                return sign * Integer.compare(a, b);
            }
        }
        return sign;                                    // equal so far: the longer stored key sorts after
    }

}
