package io.offstate.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * The same bytes hash alike whatever holds them (byte[], heap segment, native segment, Agrona
 * buffer, each at an offset), for every length 0..40: every tail length and every block count the
 * hash distinguishes.
 */
class HashingTest {
    private static final int MAX_LENGTH = 40;
    private static final long SEED = 0x1234_5678_9abc_def0L;

    private static byte[] randomBytes(SplittableRandom random, int length) {
        byte[] bytes = new byte[length];
        random.nextBytes(bytes);
        return bytes;
    }

    @Test
    void sameBytesHashEqualFromEveryKindOfSource() {
        SplittableRandom random = new SplittableRandom(7);
        ByteSource source = new ByteSource();
        try (Arena arena = Arena.ofConfined()) {
            for (int length = 0; length <= MAX_LENGTH; length++) {
                byte[] key = randomBytes(random, length);
                long expected = source.wrap(key).hash(SEED);

                int offset = 5 + length % 3;
                byte[] padded = new byte[offset + length + 9];
                random.nextBytes(padded); // garbage around the key must not matter
                System.arraycopy(key, 0, padded, offset, length);

                assertEquals(expected, source.wrap(padded, offset, length).hash(SEED), "byte[] at offset, length " + length);
                assertEquals(expected, source.wrap(MemorySegment.ofArray(key), 0, length).hash(SEED), "heap segment, length " + length);
                assertEquals(expected, source.wrap(MemorySegment.ofArray(padded), offset, length).hash(SEED),
                    "heap segment at offset, length " + length);

                MemorySegment nativeSegment = arena.allocate(padded.length, 1);
                MemorySegment.copy(padded, 0, nativeSegment, ValueLayout.JAVA_BYTE, 0, padded.length);
                assertEquals(expected, source.wrap(nativeSegment, offset, length).hash(SEED), "native segment at offset, length " + length);

                assertEquals(expected, Hashing.hash(source.wrap(key), SEED), "Hashing.hash equals ByteSource.hash without a code");
            }
        }
    }

    /**
     * Agrona's UnsafeBuffer needs {@code --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED} on
     * JDK 25; without it this test fails with IllegalAccessError from org.agrona.UnsafeApi.
     */
    @Test
    void sameBytesHashEqualFromAgronaUnsafeBufferOverByteArrayAtAnOffset() {
        SplittableRandom random = new SplittableRandom(7);
        ByteSource source = new ByteSource();
        for (int length = 0; length <= MAX_LENGTH; length++) {
            byte[] key = randomBytes(random, length);
            long expected = source.wrap(key).hash(SEED);
            int offset = 5 + length % 3;
            byte[] padded = new byte[offset + length + 9];
            random.nextBytes(padded);
            System.arraycopy(key, 0, padded, offset, length);

            UnsafeBuffer buffer = new UnsafeBuffer(padded, 1, padded.length - 1); // the buffer itself starts at an offset
            assertEquals(expected, source.wrap(buffer, offset - 1, length).hash(SEED), "UnsafeBuffer over byte[] at offset, length " + length);
            UnsafeBuffer whole = new UnsafeBuffer(key);
            assertEquals(expected, source.wrap(whole, 0, length).hash(SEED), "UnsafeBuffer over the whole byte[], length " + length);
        }
    }

    @Test
    void differentSeedsGiveDifferentHashesForEveryLength() {
        SplittableRandom random = new SplittableRandom(11);
        ByteSource source = new ByteSource();
        for (int length = 0; length <= MAX_LENGTH; length++) {
            source.wrap(randomBytes(random, length));
            Set<Long> hashes = new HashSet<>();
            for (long seed = 0; seed < 64; seed++) {
                hashes.add(source.hash(seed * 0x9E3779B97F4A7C15L));
            }
            assertEquals(64, hashes.size(), "64 seeds give 64 distinct hashes at length " + length);
        }
    }

    @Test
    void everyByteAndTheLengthAffectTheHash() {
        SplittableRandom random = new SplittableRandom(13);
        ByteSource source = new ByteSource();
        Set<Long> byLength = new HashSet<>();
        for (int length = 0; length <= MAX_LENGTH; length++) {
            // all-zero keys of different lengths must differ: the length is mixed in
            assertTrue(byLength.add(source.wrap(new byte[length]).hash(SEED)), "zero key of length " + length);

            byte[] key = randomBytes(random, length);
            long base = source.wrap(key).hash(SEED);
            for (int i = 0; i < length; i++) {
                for (int bit = 0; bit < 8; bit++) {
                    key[i] ^= (byte) (1 << bit);
                    assertNotEquals(base, source.wrap(key).hash(SEED), "flipping bit " + bit + " of byte " + i + " of " + length);
                    key[i] ^= (byte) (1 << bit);
                }
            }
        }
    }

    @Test
    void dictionaryCodeChangesTheHashAndDistinctCodesDiffer() {
        ByteSource source = new ByteSource();
        byte[] rest = "|order-17".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        long plain = source.wrap(rest).hash(SEED);
        Set<Long> hashes = new HashSet<>();
        hashes.add(plain);
        for (int code = 0; code < 1000; code++) {
            assertTrue(hashes.add(source.wrap(rest).code(code).hash(SEED)), "code " + code);
        }
        // wrap clears the code again
        assertEquals(plain, source.wrap(rest).hash(SEED));
    }

    @Test
    void hashLongIsDeterministicAndSeedDependent() {
        assertEquals(Hashing.hashLong(42, 1), Hashing.hashLong(42, 1));
        assertNotEquals(Hashing.hashLong(42, 1), Hashing.hashLong(42, 2));
        assertNotEquals(Hashing.hashLong(42, 1), Hashing.hashLong(43, 1));
    }
}
