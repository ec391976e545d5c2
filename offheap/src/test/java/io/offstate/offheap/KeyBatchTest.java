package io.offstate.offheap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

/**
 * A {@link KeyBatch} hashes and compares its keys exactly as a {@link ByteSource} over the same
 * bytes does, in each of its three forms, for every length 0..70 (every tail length, several
 * 16-byte blocks) and for a long key: a batched lookup finds what a single lookup finds.
 */
class KeyBatchTest {
    private static final int MAX_LENGTH = 70;
    private static final long SEED = 0x0FF5_7A7EL;

    @Test
    void everyFormHashesAndComparesAsByteSourceDoes() {
        SplittableRandom random = new SplittableRandom(11);
        int n = MAX_LENGTH + 2;
        byte[][] keys = new byte[n][];
        for (int i = 0; i < n; i++) {
            keys[i] = new byte[i <= MAX_LENGTH ? i : 1000];
            random.nextBytes(keys[i]);
        }
        try (Arena arena = Arena.ofConfined()) {
            MemorySegment[] segments = new MemorySegment[n];
            long total = 0;
            for (byte[] k : keys) {
                total += k.length + 3;
            }
            MemorySegment buffer = arena.allocate(total);
            buffer.fill((byte) 0x5A);
            long[] offsets = new long[n];
            int[] lengths = new int[n];
            long at = 3;
            for (int i = 0; i < n; i++) {
                MemorySegment.copy(keys[i], 0, buffer, ValueLayout.JAVA_BYTE, at, keys[i].length);
                offsets[i] = at;
                lengths[i] = keys[i].length;
                segments[i] = buffer.asSlice(at, keys[i].length);
                at += keys[i].length + 3;
            }
            KeyBatch[] forms = {new KeyBatch().wrap(keys), new KeyBatch().wrap(segments),
                new KeyBatch().wrap(buffer, offsets, lengths)};
            ByteSource single = new ByteSource();
            MemorySegment stored = arena.allocate(1100);
            for (int i = 0; i < n; i++) {
                long expected = single.wrap(keys[i]).hash(SEED);
                MemorySegment.copy(keys[i], 0, stored, ValueLayout.JAVA_BYTE, 5, keys[i].length);
                for (int f = 0; f < forms.length; f++) {
                    KeyBatch b = forms[f];
                    assertEquals(expected, b.hash(i, SEED), "hash of key " + i + ", form " + f);
                    assertEquals(keys[i].length, b.length(i));
                    assertEquals(expected, b.wrapKey(i, new ByteSource()).hash(SEED));
                    assertTrue(b.bytesEqual(i, stored, 5), "key " + i + " equals its stored copy, form " + f);
                    if (keys[i].length > 0) {
                        int flip = random.nextInt(keys[i].length);
                        stored.set(ValueLayout.JAVA_BYTE, 5 + flip, (byte) ~keys[i][flip]);
                        assertFalse(b.bytesEqual(i, stored, 5), "key " + i + " differs in byte " + flip + ", form " + f);
                        stored.set(ValueLayout.JAVA_BYTE, 5 + flip, keys[i][flip]);
                    }
                }
            }
        }
    }

    @Test
    void anUnwrappedOrClearedBatchRefusesToRead() {
        KeyBatch b = new KeyBatch();
        assertThrows(IllegalStateException.class, () -> b.hash(0, SEED));
        b.wrap(new byte[][] {{1}});
        assertEquals(1, b.length(0));
        b.clear();
        assertThrows(IllegalStateException.class, () -> b.length(0));
    }
}
