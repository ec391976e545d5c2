package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import io.offstate.offheap.OutOfNativeMemoryException;
import io.offstate.offheap.StoreFullException;
import io.offstate.offheap.index.HashIndex;

/**
 * {@code expectedEntries} is bounded by what the slot format can address (2^37 entries): beyond it
 * the builder refuses at once with the limit in the message, instead of an OutOfMemoryError at
 * create (2^40) or a silently tiny index (Long.MAX_VALUE overflowing the sizing arithmetic).
 */
class ExpectedEntriesLimitTest {

    @Test
    void limitIsTwoToTheThirtySeventh() {
        assertEquals(1L << 37, HashIndex.MAX_EXPECTED_ENTRIES);
    }

    @ParameterizedTest(name = "expectedEntries({0})")
    @ValueSource(longs = {(1L << 37) + 1, 1L << 40, Long.MAX_VALUE})
    void beyondTheLimitIsIllegalArgumentNamingIt(long entries) {
        StoreOptions.Builder builder = StoreOptions.builder();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> builder.expectedEntries(entries));
        assertTrue(e.getMessage().contains(Long.toString(HashIndex.MAX_EXPECTED_ENTRIES)), e.getMessage());
        assertTrue(e.getMessage().contains(Long.toString(entries)), e.getMessage());
        assertEquals(1024, builder.build().expectedEntries(), "a refused value leaves the builder as it was");
    }

    @Test
    void negativeIsStillRefused() {
        assertThrows(IllegalArgumentException.class, () -> StoreOptions.builder().expectedEntries(-1));
    }

    @Test
    void theLimitItselfIsAcceptedByTheBuilder() {
        // creating a store that big needs ~1.2 TB of index; only the option is checked here
        assertEquals(HashIndex.MAX_EXPECTED_ENTRIES, StoreOptions.builder().expectedEntries(HashIndex.MAX_EXPECTED_ENTRIES).build().expectedEntries());
    }

    @Test
    void anIndexTheSystemCannotHoldIsAStoreFullExceptionNotAnOutOfMemoryError() {
        // 2^37 entries need a 2 TiB hash table: far past this machine's RAM + swap, so the kernel's
        // overcommit heuristic refuses it at once (nothing is touched, nothing is zeroed)
        StoreOptions huge = StoreOptions.builder().name("huge").expectedEntries(HashIndex.MAX_EXPECTED_ENTRIES).build();
        OutOfNativeMemoryException e = assertThrows(OutOfNativeMemoryException.class, () -> KeyValueStore.create(huge));
        assertTrue(e.getMessage().contains("store 'huge'"), e.getMessage());
        assertTrue(e.requested() >= HashIndex.MAX_EXPECTED_ENTRIES * Long.BYTES, e.getMessage());
        assertTrue(e instanceof StoreFullException);
        try (KeyValueStore after = KeyValueStore.create(StoreOptions.builder().name("after").build())) {
            after.put(new byte[] {1}, new byte[] {2}); // nothing leaked that stops the next store
            assertArrayEquals(new byte[] {2}, after.getCopy(new byte[] {1}));
        }
    }

    @Test
    void aStoreSizedWithinTheLimitWorks() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().expectedEntries(100_000).build())) {
            byte[] k = "k".getBytes(StandardCharsets.UTF_8);
            store.put(k, new byte[] {7});
            assertArrayEquals(new byte[] {7}, store.getCopy(k));
        }
    }
}
