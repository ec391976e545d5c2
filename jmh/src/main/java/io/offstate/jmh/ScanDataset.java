package io.offstate.jmh;

import java.util.SplittableRandom;

import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The data set of the ordered-scan benchmarks: {@code keys} entries of 16-byte keys and 64-byte
 * values, loaded in random key order. A key's first byte is its <em>group</em>, {@code 0..99}
 * ({@code i % 100} for the i-th key loaded), and its other 15 bytes are random, so each one-byte
 * prefix selects exactly 1% of the keys: the 1%-prefix scan.
 *
 * <ul>
 *   <li>{@link #prefixes}: the 100 one-byte prefixes in a shuffled order; prefix scans cycle through
 *       them.</li>
 *   <li>{@link #rangeStarts}: {@value #RANGES} present keys (copies) in random order; a range scan
 *       reads the {@value #RANGE_LENGTH} keys from one of them on (fewer only for the last 99 keys in
 *       key order: a start is one of those with probability 10^-4 at 1M keys).</li>
 * </ul>
 * Values are {@link Keys#initialValue(int)}, as in {@link Dataset}.
 */
@State(Scope.Benchmark)
public class ScanDataset {
    static final int GROUPS = 100;
    static final int RANGES = 4096;
    static final int RANGE_LENGTH = 100;

    @Param("1000000")
    public int keys;

    byte[][] loadKeys;
    byte[][] prefixes;
    byte[][] rangeStarts;

    @Setup(Level.Trial)
    public void setUp() {
        loadKeys = Keys.randomKeys(keys, Keys.KEY_LENGTH, 0x5CA_11L);
        for (int i = 0; i < keys; i++) {
            loadKeys[i][0] = (byte) (i % GROUPS);
        }
        int[] groupOrder = Keys.shuffled(GROUPS, 0x9_0D5L);
        prefixes = new byte[GROUPS][];
        for (int i = 0; i < GROUPS; i++) {
            prefixes[i] = new byte[] {(byte) groupOrder[i]};
        }
        SplittableRandom rnd = new SplittableRandom(0x2A_4E5L);
        rangeStarts = new byte[RANGES][];
        for (int i = 0; i < RANGES; i++) {
            rangeStarts[i] = loadKeys[rnd.nextInt(keys)].clone();
        }
    }

    /** The value loaded for key number {@code i} (a new array). */
    byte[] value(int i) {
        return Keys.initialValue(i);
    }

    /** Keys with the first byte of {@code prefix}: {@code keys / 100}, rounded up for the low groups. */
    int groupSize(byte[] prefix) {
        int g = prefix[0];
        return keys / GROUPS + (g < keys % GROUPS ? 1 : 0);
    }

    /** A range scan's expected length: {@value #RANGE_LENGTH}, or fewer on a tiny data set. */
    int rangeLength() {
        return Math.min(RANGE_LENGTH, keys);
    }
}
