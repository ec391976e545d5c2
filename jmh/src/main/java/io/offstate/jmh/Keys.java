package io.offstate.jmh;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HashSet;
import java.util.SplittableRandom;

/** Deterministic key and value generation shared by every benchmark (fixed seeds, no I/O). */
final class Keys {
    static final int KEY_LENGTH = 16;
    static final int VALUE_LENGTH = 64;

    private Keys() {
    }

    /**
     * {@code n} distinct random keys of {@link #KEY_LENGTH} bytes. {@code exclude} (may be null)
     * holds keys that must not be produced (used to make miss keys disjoint from hit keys).
     */
    static byte[][] randomKeys(int n, long seed, HashSet<ByteArrayKey> exclude) {
        // 128 random bits: a duplicate among even 10^8 keys has probability ~10^-23, so only the
        // exclusion set is checked (the benchmarks' setups verify every hit and miss anyway)
        SplittableRandom rnd = new SplittableRandom(seed);
        byte[][] keys = new byte[n][];
        int i = 0;
        while (i < n) {
            byte[] k = new byte[KEY_LENGTH];
            rnd.nextBytes(k);
            if (exclude != null && exclude.contains(new ByteArrayKey(k))) {
                continue;
            }
            keys[i++] = k;
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

    static HashSet<ByteArrayKey> asSet(byte[][] keys) {
        HashSet<ByteArrayKey> set = new HashSet<>(Math.max(16, (int) (keys.length / 0.75f) + 1));
        for (byte[] k : keys) {
            set.add(new ByteArrayKey(k));
        }
        return set;
    }

    /** The initial value of the entry loaded from key number {@code i}: 64 pseudo-random bytes. */
    static byte[] initialValue(int i) {
        byte[] v = new byte[VALUE_LENGTH];
        new SplittableRandom(0x5EED_0000L + i).nextBytes(v);
        return v;
    }

    /** A prepared update value, different from every initial value (constant fill byte). */
    static byte[] updateValue(int which) {
        byte[] v = new byte[VALUE_LENGTH];
        Arrays.fill(v, (byte) (which == 0 ? 0xA5 : 0x5A));
        return v;
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
