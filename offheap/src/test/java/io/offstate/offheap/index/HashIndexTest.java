package io.offstate.offheap.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.function.LongUnaryOperator;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.OffstateException;
import io.offstate.offheap.StoreFullException;
import io.offstate.offheap.memory.MemoryBudget;

/**
 * The index on its own, over fake entries: the "address" of entry {@code i} is {@code i + 1} and
 * its key is the 8-byte little-endian long {@code i}; hashes are chosen by the test, so collisions
 * can be forced.
 */
class HashIndexTest {

    private static final class FakeKeys implements EntryKeys {
        final LongUnaryOperator hashOfId;

        FakeKeys(LongUnaryOperator hashOfId) {
            this.hashOfId = hashOfId;
        }

        @Override
        public boolean keyEquals(long address, ByteSource key) {
            return key.length() == Long.BYTES && key.longAt(0) == address - 1;
        }

        @Override
        public long hashOf(long address) {
            return hashOfId.applyAsLong(address - 1);
        }

        @Override
        public boolean sameKey(long a, long b) {
            return a == b; // an address is its key's id
        }
    }

    private final ByteSource key = new ByteSource();
    private final byte[] keyBytes = new byte[Long.BYTES];

    private ByteSource key(long id) {
        MemorySegment.ofArray(keyBytes).set(ByteSource.LONG_LE, 0, id);
        return key.wrap(keyBytes);
    }

    private static void insert(HashIndex index, FakeKeys keys, long id) {
        index.insert(keys.hashOfId.applyAsLong(id), id + 1);
        index.migrateStep();
    }

    private long find(HashIndex index, FakeKeys keys, long id) {
        return index.find(key(id), keys.hashOfId.applyAsLong(id));
    }

    private boolean remove(HashIndex index, FakeKeys keys, long id) {
        if (find(index, keys, id) == 0) {
            return false;
        }
        index.removeFound();
        index.migrateStep();
        return true;
    }

    @ParameterizedTest(name = "fingerprint bits {0}")
    @ValueSource(ints = {12, 0})
    void keysWithIdenticalHashesAreAllFoundAndRemoved(int fingerprintBits) {
        FakeKeys keys = new FakeKeys(id -> 0xDEAD_BEEF_0000_0000L); // every key has the same home and fingerprint
        try (HashIndex index = new HashIndex(keys, new MemoryBudget("i", Long.MAX_VALUE), 16, fingerprintBits)) {
            int n = 300;
            for (long id = 0; id < n; id++) {
                insert(index, keys, id);
                for (long j = 0; j <= id; j++) {
                    assertEquals(j + 1, find(index, keys, j), "key " + j + " after inserting " + id);
                }
                assertEquals(0, find(index, keys, id + 1));
            }
            for (long id = 0; id < n; id += 2) {
                assertTrue(remove(index, keys, id));
            }
            for (long id = 0; id < n; id++) {
                assertEquals(id % 2 == 0 ? 0 : id + 1, find(index, keys, id), "key " + id);
            }
            assertEquals(n / 2, index.size());
        }
    }

    @Test
    void fingerprintsZeroStillDistinguishKeysByBytes() {
        // distinct hashes, but 0 fingerprint bits: every probe must compare key bytes
        FakeKeys keys = new FakeKeys(id -> io.offstate.offheap.Hashing.hashLong(id, 99));
        try (HashIndex index = new HashIndex(keys, new MemoryBudget("i", Long.MAX_VALUE), 16, 0)) {
            for (long id = 0; id < 5_000; id++) {
                insert(index, keys, id);
            }
            index.finishMigration();
            for (long id = 0; id < 5_000; id++) {
                assertEquals(id + 1, find(index, keys, id));
            }
            for (long id = 5_000; id < 6_000; id++) {
                assertEquals(0, find(index, keys, id));
            }
        }
    }

    @Test
    void everyAddressIsVisitedOnceByPositionsEvenDuringMigration() {
        FakeKeys keys = new FakeKeys(id -> io.offstate.offheap.Hashing.hashLong(id, 7));
        try (HashIndex index = new HashIndex(keys, new MemoryBudget("i", Long.MAX_VALUE), 16, 12)) {
            long id = 0;
            int checkedDuringMigration = 0;
            while (checkedDuringMigration < 3) {
                insert(index, keys, id++);
                if (index.isMigrating()) {
                    checkedDuringMigration++;
                }
                boolean[] seen = new boolean[(int) id];
                for (long p = 0; p < index.positions(); p++) {
                    long address = index.addressAt(p);
                    if (address != 0) {
                        assertFalse(seen[(int) address - 1], "address " + address + " seen twice");
                        seen[(int) address - 1] = true;
                    }
                }
                for (int i = 0; i < id; i++) {
                    assertTrue(seen[i], "id " + i + " visited");
                }
            }
        }
    }

    @ParameterizedTest(name = "expected entries {0}")
    @ValueSource(longs = {-1, (1L << 37) + 1, 1L << 40, Long.MAX_VALUE})
    void absurdExpectedEntriesAreRefusedNamingTheLimit(long entries) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> new HashIndex(new FakeKeys(id -> id), new MemoryBudget("i", Long.MAX_VALUE), entries, 12));
        assertTrue(e.getMessage().contains(Long.toString(HashIndex.MAX_EXPECTED_ENTRIES)), e.getMessage());
    }

    @Test
    void firstTableBeyondBudgetThrowsStoreFull() {
        MemoryBudget budget = new MemoryBudget("tiny", 64);
        assertThrows(StoreFullException.class, () -> new HashIndex(new FakeKeys(id -> id), budget, 16, 12));
        assertEquals(0, budget.used());
    }

    @Test
    void growthBeyondBudgetThrowsAndLeavesIndexUnchanged() {
        FakeKeys keys = new FakeKeys(id -> io.offstate.offheap.Hashing.hashLong(id, 3));
        // capacity 19 (152 bytes) fits, the 1.5x growth (28 slots, 224 bytes more) does not
        MemoryBudget budget = new MemoryBudget("i", 200);
        try (HashIndex index = new HashIndex(keys, budget, 16, 12)) {
            long capacity = index.capacity();
            long id = 0;
            while (index.bytesNeededForInsert() == 0) {
                insert(index, keys, id++);
            }
            long used = budget.used();
            long finalId = id;
            assertThrows(StoreFullException.class, () -> index.insert(keys.hashOfId.applyAsLong(finalId), finalId + 1));
            assertEquals(used, budget.used());
            assertEquals(id, index.size());
            assertEquals(capacity, index.capacity());
            assertFalse(index.isMigrating());
            for (long i = 0; i < id; i++) {
                assertEquals(i + 1, find(index, keys, i));
            }
            assertEquals(0, find(index, keys, id));
        }
    }

    @Test
    void slotDescriptorPacksFieldsIndependently() {
        long slot = SlotDescriptor.slot(0xABC, 0x123, 0xFF_FFFF_FFFFL);
        assertEquals(0xABC, SlotDescriptor.fingerprint(slot));
        assertEquals(0x123, SlotDescriptor.distance(slot));
        assertEquals(0xFF_FFFF_FFFFL, SlotDescriptor.address(slot));
        long moved = SlotDescriptor.withAddress(slot, 42);
        assertEquals(42, SlotDescriptor.address(moved));
        assertEquals(0xABC, SlotDescriptor.fingerprint(moved));
        assertEquals(0x123, SlotDescriptor.distance(moved));
        assertEquals(0x124, SlotDescriptor.distance(slot + SlotDescriptor.DISTANCE_ONE));
    }

    @Test
    void pathologicalCollisionsHitTheDistanceLimitWithoutCorruptingTheIndex() {
        FakeKeys keys = new FakeKeys(id -> 0x4000_0000_0000_0000L);
        try (HashIndex index = new HashIndex(keys, new MemoryBudget("i", Long.MAX_VALUE), 10_000, 12)) {
            long id = 0;
            OffstateException overflow = null;
            while (overflow == null && id < 10_000) {
                try {
                    index.insert(keys.hashOfId.applyAsLong(id), id + 1);
                    id++;
                } catch (OffstateException e) {
                    overflow = e;
                }
            }
            assertTrue(overflow != null, "the distance limit was reached");
            assertTrue(overflow.getMessage().contains(String.valueOf(SlotDescriptor.MAX_DISTANCE)), overflow.getMessage());
            assertEquals(id, index.size());
            assertEquals(SlotDescriptor.MAX_DISTANCE, id, "exactly MAX_DISTANCE keys share one home");
            for (long i = 0; i < id; i += 97) {
                assertEquals(i + 1, find(index, keys, i));
            }
            assertEquals(0, find(index, keys, id));
        }
    }

    @Test
    void entryDescriptorLaysOutHeaderKeyAndValue() {
        MemorySegment page = MemorySegment.ofArray(new byte[400]);
        long keyOffset = EntryDescriptor.writeHeader(page, 10, 16, 200);
        assertEquals(10 + 1 + 2, keyOffset);
        assertEquals(16, EntryDescriptor.keyLength(page, 10));
        assertEquals(keyOffset, EntryDescriptor.keyOffset(page, 10));
        long span = EntryDescriptor.valueSpan(page, 10);
        assertEquals(200, EntryDescriptor.spanLength(span));
        assertEquals(1 + 2 + 16, EntryDescriptor.spanOffset(span));
        assertEquals(EntryDescriptor.entrySize(16, 200), EntryDescriptor.sizeAt(page, 10));
        assertEquals(82, EntryDescriptor.entrySize(16, 64), "documented: 16-byte key, 64-byte value");
        assertEquals(0, page.get(ValueLayout.JAVA_BYTE, 9));
    }
}
