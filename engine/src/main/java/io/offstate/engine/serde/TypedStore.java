package io.offstate.engine.serde;

import java.lang.foreign.MemorySegment;
import java.util.Objects;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.ValueView;

/**
 * Typed access to a {@link KeyValueStore} through a key {@link Serde} and a value {@link Serde}.
 *
 * <p>Keys and values are encoded into scratch memory owned by this wrapper (grown on demand, then
 * reused), so a put allocates nothing beyond what the serde itself does. Reads that return objects
 * allocate the object; the primitive paths ({@link #getLong(Object, long)},
 * {@link #putLong(long, long)}, ...) allocate nothing at all.
 *
 * <pre>{@code
 * TypedStore<String, Long> counts = TypedStore.of(store, Serdes.UTF8, Serdes.LONG);
 * counts.putLong("clicks", counts.getLong("clicks", 0) + 1);
 * }</pre>
 *
 * <p>Threading: like the store, one thread at a time; each thread needs its own wrapper (the
 * scratch memory is not shared). The wrapper owns no off-heap memory; closing the store is enough.
 *
 * @param <K> key type
 * @param <V> value type
 */
public final class TypedStore<K, V> {
    private final KeyValueStore store;
    private final Serde<K> keySerde;
    private final Serde<V> valueSerde;
    private final ValueView view = new ValueView();
    private final MemorySegment longKey = MemorySegment.ofArray(new byte[LongSerde.SIZE]);
    private final MemorySegment longValue = MemorySegment.ofArray(new byte[LongSerde.SIZE]);
    private final MemorySegment intValue = MemorySegment.ofArray(new byte[IntSerde.SIZE]);
    private MemorySegment keyScratch = MemorySegment.ofArray(new byte[64]);
    private MemorySegment valueScratch = MemorySegment.ofArray(new byte[64]);

    private TypedStore(KeyValueStore store, Serde<K> keySerde, Serde<V> valueSerde) {
        this.store = Objects.requireNonNull(store, "store");
        this.keySerde = Objects.requireNonNull(keySerde, "keySerde");
        this.valueSerde = Objects.requireNonNull(valueSerde, "valueSerde");
    }

    /** A typed view of {@code store}. */
    public static <K, V> TypedStore<K, V> of(KeyValueStore store, Serde<K> keySerde, Serde<V> valueSerde) {
        return new TypedStore<>(store, keySerde, valueSerde);
    }

    /** The underlying store. */
    public KeyValueStore store() {
        return store;
    }

    /** The value of {@code key}, or {@code null} if absent. */
    public V get(K key) {
        int n = encodeKey(key);
        if (!store.get(keyScratch, 0, n, view)) {
            return null;
        }
        return valueSerde.read(view.memory(), view.offset(), view.length());
    }

    /** Inserts or replaces {@code key} → {@code value}. */
    public void put(K key, V value) {
        int n = encodeKey(key);
        Objects.requireNonNull(value, "value");
        int m = valueSerde.sizeOf(value);
        if (m < 0 || m > KeyValueStore.MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("value of " + m + " bytes exceeds the maximum value length of "
                + KeyValueStore.MAX_VALUE_LENGTH + " bytes");
        }
        valueScratch = ensure(valueScratch, m);
        valueSerde.write(value, valueScratch, 0);
        store.put(keyScratch, 0, n, valueScratch, 0, m);
    }

    /** Removes {@code key}; returns whether it was present. */
    public boolean delete(K key) {
        int n = encodeKey(key);
        return store.delete(keyScratch, 0, n);
    }

    /** Whether {@code key} is present. */
    public boolean contains(K key) {
        int n = encodeKey(key);
        return store.contains(keyScratch, 0, n);
    }

    // ---------------------------------------------------------------- primitive paths

    /**
     * The {@code long} value of {@code key}, or {@code ifAbsent}; boxes nothing.
     *
     * @throws IllegalStateException if the value serde is not {@link Serdes#LONG}
     */
    public long getLong(K key, long ifAbsent) {
        requireValueSerde(Serdes.LONG);
        int n = encodeKey(key);
        return store.get(keyScratch, 0, n, view) ? readLongValue() : ifAbsent;
    }

    /** Puts a {@code long} value; boxes nothing. Requires value serde {@link Serdes#LONG}. */
    public void putLong(K key, long value) {
        requireValueSerde(Serdes.LONG);
        int n = encodeKey(key);
        LongSerde.writeLong(value, longValue, 0);
        store.put(keyScratch, 0, n, longValue, 0, LongSerde.SIZE);
    }

    /** The {@code int} value of {@code key}, or {@code ifAbsent}. Requires value serde {@link Serdes#INT}. */
    public int getInt(K key, int ifAbsent) {
        requireValueSerde(Serdes.INT);
        int n = encodeKey(key);
        if (!store.get(keyScratch, 0, n, view)) {
            return ifAbsent;
        }
        Serdes.expectLength(view.length(), IntSerde.SIZE, "int");
        return IntSerde.readInt(view.memory(), view.offset());
    }

    /** Puts an {@code int} value. Requires value serde {@link Serdes#INT}. */
    public void putInt(K key, int value) {
        requireValueSerde(Serdes.INT);
        int n = encodeKey(key);
        IntSerde.writeInt(value, intValue, 0);
        store.put(keyScratch, 0, n, intValue, 0, IntSerde.SIZE);
    }

    /**
     * The {@code long} value of the {@code long} key {@code key}, or {@code ifAbsent}: the fully
     * primitive path, no boxing, no allocation. Requires key and value serdes {@link Serdes#LONG}.
     */
    public long getLong(long key, long ifAbsent) {
        requireKeySerde(Serdes.LONG);
        requireValueSerde(Serdes.LONG);
        LongSerde.writeLong(key, longKey, 0);
        return store.get(longKey, 0, LongSerde.SIZE, view) ? readLongValue() : ifAbsent;
    }

    /** Puts {@code key} → {@code value}, both {@code long}; no allocation. Requires LONG serdes. */
    public void putLong(long key, long value) {
        requireKeySerde(Serdes.LONG);
        requireValueSerde(Serdes.LONG);
        LongSerde.writeLong(key, longKey, 0);
        LongSerde.writeLong(value, longValue, 0);
        store.put(longKey, 0, LongSerde.SIZE, longValue, 0, LongSerde.SIZE);
    }

    /** Removes the {@code long} key; returns whether it was present. Requires key serde LONG. */
    public boolean deleteLong(long key) {
        requireKeySerde(Serdes.LONG);
        LongSerde.writeLong(key, longKey, 0);
        return store.delete(longKey, 0, LongSerde.SIZE);
    }

    private long readLongValue() {
        Serdes.expectLength(view.length(), LongSerde.SIZE, "long");
        return LongSerde.readLong(view.memory(), view.offset());
    }

    private void requireValueSerde(Serde<?> expected) {
        if (valueSerde != expected) {
            throw new IllegalStateException("this primitive method needs value serde " + expected.getClass().getSimpleName()
                + ", this store uses " + valueSerde.getClass().getSimpleName());
        }
    }

    private void requireKeySerde(Serde<?> expected) {
        if (keySerde != expected) {
            throw new IllegalStateException("this primitive method needs key serde " + expected.getClass().getSimpleName()
                + ", this store uses " + keySerde.getClass().getSimpleName());
        }
    }

    private int encodeKey(K key) {
        Objects.requireNonNull(key, "key");
        int n = keySerde.sizeOf(key);
        if (n < 0 || n > KeyValueStore.MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("key of " + n + " bytes exceeds the maximum key length of "
                + KeyValueStore.MAX_KEY_LENGTH + " bytes");
        }
        keyScratch = ensure(keyScratch, n);
        keySerde.write(key, keyScratch, 0);
        return n;
    }

    private static MemorySegment ensure(MemorySegment scratch, int size) {
        if (scratch.byteSize() >= size) {
            return scratch;
        }
        long grown = Math.max(size, Math.min((long) Integer.MAX_VALUE - 8, scratch.byteSize() * 2));
        return MemorySegment.ofArray(new byte[(int) grown]);
    }
}
