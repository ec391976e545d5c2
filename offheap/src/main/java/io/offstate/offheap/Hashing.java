package io.offstate.offheap;

/**
 * The seeded 64-bit hash every index uses for variable-length keys.
 *
 * <p>A multiply-fold construction in the style of wyhash: each 16-byte block is folded into the
 * state with a 64x64→128-bit multiply. The seed is random per store, so a user who does not know it
 * cannot choose keys that all land in one probe chain (this raises the bar against hash flooding;
 * it is not a cryptographic MAC). The same bytes hash the same whether they come from a
 * {@code byte[]}, a {@code MemorySegment} or a {@code DirectBuffer}, because all are read as
 * little-endian words through {@link ByteSource}.
 *
 * <p>Stateless and thread-safe.
 */
public final class Hashing {
    static final long P0 = 0xa0761d6478bd642fL;
    static final long P1 = 0xe7037ed1a0b428dbL;
    static final long P2 = 0x8ebc6af09c88c6e3L;
    static final long P3 = 0x589965cc75374cc3L;

    private Hashing() {
    }

    /** Folds a 128-bit product into 64 bits: the mixing step of the hash. */
    public static long mum(long a, long b) {
        return Math.unsignedMultiplyHigh(a, b) ^ (a * b);
    }

    /** Derives the seed for keys whose component was replaced by dictionary code {@code code}. */
    public static long mixCode(long seed, int code) {
        return mum(seed ^ P2, (code + 1L) ^ P3);
    }

    /** Hash of {@code source}'s bytes (its code is not read here; see {@link ByteSource#hash}). */
    public static long hash(ByteSource source, long seed) {
        final int len = source.length();
        long h = seed ^ mum(seed ^ P0, len ^ P1);
        int i = 0;
        for (; i + 16 <= len; i += 16) {
            h = mum(source.longAt(i) ^ P1 ^ h, source.longAt(i + 8) ^ P2);
        }
        int rest = len - i;
        if (rest >= 8) {
            h = mum(source.longAt(i) ^ P1 ^ h, P3 ^ rest);
            i += 8;
            rest -= 8;
        }
        if (rest > 0) {
            h = mum(source.tailAt(i, rest) ^ P2 ^ h, P0 ^ rest);
        }
        return mum(h ^ P3, len ^ P0);
    }

    /** A well-mixed 64-bit hash of one long, for primitive keys and tests. */
    public static long hashLong(long value, long seed) {
        return mum(mum(value ^ P0, seed ^ P1) ^ P2, P3);
    }
}
