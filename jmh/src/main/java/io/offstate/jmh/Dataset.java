package io.offstate.jmh;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The shared data set of the point-operation benchmarks: {@code keys} present keys of
 * {@code keyLength} random bytes (fixed seed), values of {@code valueLength} bytes, and as many absent
 * "miss" keys. The shapes: keys of 16 or 64 bytes, values of 64 or 1024 bytes; {@link MainJob}
 * sets the three parameters per run.
 *
 * <h2>Access order</h2>
 * Stores are loaded in key order {@code 0..n-1}; lookups follow {@link #order}, a precomputed random
 * permutation, so no peer gets a cache-friendly order (consecutive operations touch unrelated index
 * slots, entries and nodes). To keep the harness out of the measurement, the keys are materialised
 * <em>in access order</em> ({@link #hitKeys}{@code [i]} is a fresh copy of {@code keys[order[i]]},
 * allocated one after the other), so fetching the next probe key streams through memory the way
 * a batch of incoming requests would, while the store access it drives is random. Lookups use
 * copies, never the stored objects, so an on-heap peer cannot win by reference equality.
 *
 * <p>The access sequence has a power-of-two length ({@link #mask}{@code + 1}, the largest power of
 * two {@code <= keys}); benchmarks step through it with {@code i = (i + 1) & mask}: no allocation,
 * no {@code Random} on the measured path. With {@code keys} not a power of two, a random subset of
 * that size is probed.
 */
@State(Scope.Benchmark)
public class Dataset {
    static final long KEY_SEED = 0x0FF5_7A7EL;
    static final long MISS_SEED = 0x0DD_BA11L;
    static final long ORDER_SEED = 0x5EC_0DE5L;

    /** Number of entries loaded into every store. */
    @Param("1000000")
    public int keys;

    /** Key length in bytes (16 or 64 in the suites; at least 16, see {@link Keys#randomKeys}). */
    @Param("16")
    public int keyLength;

    /** Value length in bytes (64 or 1024 in the suites). */
    @Param("64")
    public int valueLength;

    /** Present keys, in load order. */
    public byte[][] loadKeys;
    /** Random permutation of {@code 0..keys-1}: the access order. */
    public int[] order;
    /** Copies of present keys in access order (length {@code mask + 1}). */
    public byte[][] hitKeys;
    /** Absent keys in access order (length {@code mask + 1}). */
    public byte[][] missKeys;
    /** Two prepared update values, different from every loaded value. */
    public byte[] updateA;
    public byte[] updateB;
    public int mask;

    @Setup(Level.Trial)
    public void setUp() {
        loadKeys = Keys.randomKeys(keys, keyLength, KEY_SEED);
        int length = Keys.accessLength(keys);
        mask = length - 1;
        order = Keys.shuffled(keys, ORDER_SEED);
        hitKeys = new byte[length][];
        for (int i = 0; i < length; i++) {
            hitKeys[i] = loadKeys[order[i]].clone();
        }
        missKeys = Keys.randomKeys(length, keyLength, MISS_SEED);
        updateA = Keys.updateValue(0, valueLength);
        updateB = Keys.updateValue(1, valueLength);
    }

    /** The value loaded for key number {@code i} (a new array). */
    public byte[] value(int i) {
        return Keys.initialValue(i, valueLength);
    }

    /** Bytes of key and value data, {@code keys * (keyLength + valueLength)}. */
    public long dataBytes() {
        return (long) keys * (keyLength + valueLength);
    }
}
