package io.offstate.jmh;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.SplittableRandom;

/** Deterministic key and value generation shared by every benchmark (fixed seeds, no I/O). */
final class Keys {
    /** Default key length (bytes): the primary shape is 16-byte keys, 64-byte values. */
    static final int KEY_LENGTH = 16;
    /** Default value length (bytes). */
    static final int VALUE_LENGTH = 64;

    private Keys() {
    }

    /**
     * {@code n} random keys of {@code length} (at least 16) bytes, from {@code seed}. With 128 or more
     * random bits per key, a duplicate among even 10^8 keys, or a collision between two sets drawn
     * from different seeds (hit and miss keys), has probability ~10^-23, so none is checked for: no
     * exclusion set, which would cost a GB of heap at 10M keys. The benchmarks' setups verify every
     * hit key and every miss key against the loaded store anyway.
     */
    static byte[][] randomKeys(int n, int length, long seed) {
        if (length < 16) {
            throw new IllegalArgumentException("random keys need >= 16 bytes, was " + length);
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[][] keys = new byte[n][];
        for (int i = 0; i < n; i++) {
            byte[] k = new byte[length];
            rnd.nextBytes(k);
            keys[i] = k;
        }
        return keys;
    }

    /** {@code n} distinct keys {@code tenant-<4 digits>|} + 8 random bytes, over {@code tenants} tenants. */
    static byte[][] tenantKeys(int n, int tenants, long seed, HashSet<ByteArrayKey> exclude) {
        SplittableRandom rnd = new SplittableRandom(seed);
        HashSet<ByteArrayKey> seen = new HashSet<>(Math.max(16, (int) (n / 0.75f) + 1));
        byte[][] keys = new byte[n][];
        int i = 0;
        while (i < n) {
            byte[] prefix = String.format("tenant-%04d|", rnd.nextInt(tenants)).getBytes(StandardCharsets.US_ASCII);
            byte[] k = Arrays.copyOf(prefix, prefix.length + 8);
            for (int b = prefix.length; b < k.length; b++) {
                k[b] = (byte) rnd.nextInt(256);
            }
            ByteArrayKey w = new ByteArrayKey(k);
            if ((exclude != null && exclude.contains(w)) || !seen.add(w)) {
                continue;
            }
            keys[i++] = k;
        }
        return keys;
    }

    /** The initial value of the entry loaded from key number {@code i}: {@code length} pseudo-random bytes. */
    static byte[] initialValue(int i, int length) {
        byte[] v = new byte[length];
        new SplittableRandom(0x5EED_0000L + i).nextBytes(v);
        return v;
    }

    /** {@link #initialValue(int, int)} of the default {@link #VALUE_LENGTH}. */
    static byte[] initialValue(int i) {
        return initialValue(i, VALUE_LENGTH);
    }

    /** A prepared update value of {@code length} bytes, different from every initial value (constant fill byte). */
    static byte[] updateValue(int which, int length) {
        byte[] v = new byte[length];
        Arrays.fill(v, (byte) (which == 0 ? 0xA5 : 0x5A));
        return v;
    }

    /** {@link #updateValue(int, int)} of the default {@link #VALUE_LENGTH}. */
    static byte[] updateValue(int which) {
        return updateValue(which, VALUE_LENGTH);
    }

    /** A random permutation of {@code 0..n-1} (Fisher–Yates, fixed seed). */
    static int[] shuffled(int n, long seed) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    /** Largest power of two {@code <= n} (n >= 1): the length of an access sequence, so the cursor can wrap with a mask. */
    static int accessLength(int n) {
        return Integer.highestOneBit(Math.max(1, n));
    }
}
