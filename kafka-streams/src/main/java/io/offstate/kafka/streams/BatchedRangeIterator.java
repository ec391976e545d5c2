package io.offstate.kafka.streams;

import java.util.Arrays;
import java.util.NoSuchElementException;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.KeyValueIterator;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.offheap.StoreClosedException;

/**
 * A Kafka Streams iterator over a key range of a shared offstate store, read in copied batches.
 *
 * <p>Each batch of up to {@value #BATCH} entries is copied out of the store under its lock; the
 * next batch starts just after the last key returned. So the iterator never holds the store between
 * calls, never throws {@link java.util.ConcurrentModificationException} (writes between batches are
 * allowed, also from the thread that iterates), and is <em>weakly consistent</em>, like Kafka's
 * in-memory store: an entry written or deleted after the iterator was created shows or not, but
 * every key comes at most once and in order, and an entry present and unchanged for the whole
 * iteration is returned.
 *
 * <p>Threading: one thread at a time (as every Kafka Streams iterator). Memory: keys and values are
 * heap copies owned by the caller. {@link #close()} is idempotent; after it, and after the store is
 * closed, reads throw {@link InvalidStateStoreException}.
 */
final class BatchedRangeIterator implements KeyValueIterator<Bytes, byte[]> {
    static final int BATCH = 128;
    private static final byte[][] NONE = new byte[0][];

    private final SharedAccess access;
    private final String storeName;
    private final boolean reverse;
    private byte[] from;
    private byte[] to;
    private Cursor cursor;
    private byte[][] keys = NONE;
    private byte[][] values = NONE;
    private int size;
    private int index;
    private boolean exhausted;
    private boolean closed;

    /**
     * @param from    first key, inclusive, or null for none
     * @param to      upper bound, exclusive, or null for none
     */
    BatchedRangeIterator(SharedAccess access, String storeName, byte[] from, byte[] to, boolean reverse) {
        this.access = access;
        this.storeName = storeName;
        this.from = from;
        this.to = to;
        this.reverse = reverse;
    }

    static BatchedRangeIterator empty(SharedAccess access, String storeName) {
        BatchedRangeIterator it = new BatchedRangeIterator(access, storeName, null, null, false);
        it.exhausted = true;
        return it;
    }

    @Override
    public boolean hasNext() {
        if (closed) {
            throw new InvalidStateStoreException("iterator of store '" + storeName + "' is closed");
        }
        if (index < size) {
            return true;
        }
        if (exhausted) {
            return false;
        }
        fill();
        return index < size;
    }

    @Override
    public KeyValue<Bytes, byte[]> next() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more entries in store '" + storeName + "'");
        }
        KeyValue<Bytes, byte[]> kv = KeyValue.pair(Bytes.wrap(keys[index]), values[index]);
        keys[index] = null;
        values[index] = null;
        index++;
        return kv;
    }

    @Override
    public Bytes peekNextKey() {
        if (!hasNext()) {
            throw new NoSuchElementException("no more entries in store '" + storeName + "'");
        }
        return Bytes.wrap(keys[index]);
    }

    @Override
    public void close() {
        closed = true;
        keys = NONE;
        values = NONE;
        size = 0;
        index = 0;
    }

    private void fill() {
        if (keys.length == 0) {
            keys = new byte[BATCH][];
            values = new byte[BATCH][];
        }
        size = 0;
        index = 0;
        KeyValueStore store = access.enter();
        try {
            if (store == null || store.isClosed()) {
                throw new InvalidStateStoreException("store '" + storeName + "' is closed");
            }
            if (cursor == null) {
                cursor = store.cursor();
            }
            if (reverse) {
                cursor.rangeReverse(from, to);
            } else {
                cursor.range(from, to);
            }
            while (size < BATCH && cursor.next()) {
                keys[size] = cursor.key().toByteArray();
                values[size] = cursor.value().toByteArray();
                size++;
            }
        } catch (StoreClosedException e) {
            throw new InvalidStateStoreException("store '" + storeName + "' is closed", e);
        } finally {
            access.exit();
        }
        if (size < BATCH) {
            exhausted = true;
        } else if (reverse) {
            to = keys[size - 1];                        // exclusive: resume below the last key returned
        } else {
            byte[] last = keys[size - 1];
            from = Arrays.copyOf(last, last.length + 1); // last ‖ 0x00: the smallest key after last
        }
    }
}
