package io.offstate.offheap.index;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.memory.MemoryBudget;
import io.offstate.offheap.memory.PagedMemory;

/**
 * Each verifier ({@link HashIndex#verify}, {@link EntryMap#verify}, {@link KeyDictionary#verify},
 * {@link PagedMemory#verifyFreeLists}, {@link SortedIndex#verify(EntryMap)}) passes healthy
 * structures, including after long churn across several growths and in the middle of migrations,
 * and catches a planted fault with a message saying what is wrong and where.
 */
class StructureVerifyTest {
    private static final long SEED = 0x7E_21F7L;
    private static final int PAGE_SHIFT = 12;

    private final ByteSource key = new ByteSource();
    private final ByteSource value = new ByteSource();

    private static byte[] keyBytes(int i) {
        return ("verify-" + i + "-" + "y".repeat(i % 17)).getBytes(StandardCharsets.US_ASCII);
    }

    private void put(EntryMap map, int i, int valueLength) {
        key.wrap(keyBytes(i));
        map.put(key, map.hash(key), value.wrap(new byte[valueLength]));
    }

    private long find(EntryMap map, int i) {
        key.wrap(keyBytes(i));
        return map.find(key, map.hash(key));
    }

    private static void assertCorrupt(Executable verify, String... fragments) {
        CorruptStateException e = assertThrows(CorruptStateException.class, verify);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' names '" + f + "'");
        }
    }

    private static MemorySegment slots(EntryMap map) {
        return map.index().slotsForTest(false);
    }

    private static long slot(EntryMap map, long i) {
        return slots(map).get(ValueLayout.JAVA_LONG, i << 3);
    }

    private static void slot(EntryMap map, long i, long slot) {
        slots(map).set(ValueLayout.JAVA_LONG, i << 3, slot);
    }

    /** A slot that is occupied and followed by an empty one (the end of a cluster). */
    private static long clusterEnd(EntryMap map) {
        long capacity = map.index().capacity();
        for (long i = 0; i < capacity; i++) {
            if (slot(map, i) != SlotDescriptor.EMPTY && slot(map, (i + 1) % capacity) == SlotDescriptor.EMPTY) {
                return i;
            }
        }
        throw new AssertionError("no cluster end");
    }

    private static EntryMap newMap(PagedMemory memory) {
        return new EntryMap(memory, SEED, false, 16, 12);
    }

    @Test
    void healthyStructuresPassThroughChurnGrowthAndMigration() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("churn", Long.MAX_VALUE));
             EntryMap map = newMap(memory)) {
            SplittableRandom random = new SplittableRandom(11);
            boolean[] present = new boolean[3000];
            int verifiedWhileMigrating = 0;
            long capacity = map.index().capacity();
            for (int step = 0; step < 20_000; step++) {
                int i = random.nextInt(present.length);
                if (present[i] && random.nextInt(3) == 0) {
                    key.wrap(keyBytes(i));
                    assertTrue(map.remove(key, map.hash(key)));
                    present[i] = false;
                } else {
                    // sizes across many classes, and now and then a large value, so blocks move and free lists fill
                    put(map, i, random.nextInt(10) == 0 ? 1500 + random.nextInt(500) : random.nextInt(200));
                    present[i] = true;
                }
                if (step % 97 == 0 || map.index().isMigrating() && step % 7 == 0) {
                    map.verify(null);
                    memory.verifyFreeLists();
                    if (map.index().isMigrating()) {
                        verifiedWhileMigrating++;
                    }
                }
            }
            map.verify(null);
            memory.verifyFreeLists();
            assertTrue(map.index().capacity() > capacity * 10, "the index grew several times");
            assertTrue(verifiedWhileMigrating > 5, "verified in the middle of migrations: " + verifiedWhileMigrating);
            for (int i = 0; i < present.length; i++) {
                assertEquals(present[i], find(map, i) != 0, "key " + i);
            }
        }
    }

    @Test
    void hashIndexVerifyCatchesAWrongFingerprint() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("fp-store", Long.MAX_VALUE));
             EntryMap map = newMap(memory)) {
            for (int i = 0; i < 10; i++) {
                put(map, i, 8);
            }
            map.verify(null);
            long i = clusterEnd(map);
            slot(map, i, slot(map, i) ^ (1L << SlotDescriptor.FINGERPRINT_SHIFT));
            assertCorrupt(() -> map.verify(null), "hash index of store 'fp-store'", "current table", "slot " + i, "has fingerprint");
        }
    }

    @Test
    void hashIndexVerifyCatchesAWrongDistance() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             EntryMap map = newMap(memory)) {
            for (int i = 0; i < 10; i++) {
                put(map, i, 8);
            }
            long i = clusterEnd(map);
            slot(map, i, slot(map, i) + SlotDescriptor.DISTANCE_ONE); // claims a home one slot further back
            assertCorrupt(() -> map.verify(null), "slot " + i);
        }
    }

    @Test
    void hashIndexVerifyCatchesADuplicateKey() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             EntryMap map = newMap(memory)) {
            for (int i = 0; i < 10; i++) {
                put(map, i, 8);
            }
            long i = clusterEnd(map);
            long next = (i + 1) % map.index().capacity();
            slot(map, next, slot(map, i) + SlotDescriptor.DISTANCE_ONE); // the same entry again, one place on: a valid-looking probe
            assertCorrupt(() -> map.verify(null), "slot " + next, "holds the same key as slot " + i);
        }
    }

    @Test
    void hashIndexVerifyCatchesACountThatDisagreesAndAnEmptyAddress() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             EntryMap map = newMap(memory)) {
            for (int i = 0; i < 10; i++) {
                put(map, i, 8);
            }
            long i = clusterEnd(map);
            long saved = slot(map, i);
            slot(map, i, SlotDescriptor.EMPTY);
            assertCorrupt(() -> map.verify(null), "9 slots are occupied, its count says 10");
            slot(map, i, SlotDescriptor.withAddress(saved, 0));
            assertCorrupt(() -> map.verify(null), "slot " + i, "neither empty nor a valid entry");
            slot(map, i, saved);
            map.verify(null);
        }
    }

    @Test
    void hashIndexVerifyCatchesAKeyInBothTablesWhileGrowing() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             EntryMap map = newMap(memory)) {
            int n = 0;
            while (!map.index().isMigrating()) {
                put(map, n++, 8);
            }
            map.verify(null);
            // a key the old table still holds, placed in the current table too
            MemorySegment old = map.index().slotsForTest(true);
            long oldSlot = -1;
            for (long i = 0; i < old.byteSize() >>> 3; i++) {
                if (old.get(ValueLayout.JAVA_LONG, i << 3) != SlotDescriptor.EMPTY) {
                    oldSlot = i;
                    break;
                }
            }
            assertTrue(oldSlot >= 0);
            long address = SlotDescriptor.address(old.get(ValueLayout.JAVA_LONG, oldSlot << 3));
            long hash = map.hashOf(address);
            map.index().insert(hash, address); // bypasses the existence check, as damage would
            assertCorrupt(() -> map.verify(null), "growing table", "a key that the current table holds too");
        }
    }

    @Test
    void entryMapVerifyCatchesASmallEntryThatClaimsALargeSize() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             EntryMap map = newMap(memory)) {
            put(map, 0, 8);
            long a = find(map, 0);
            MemorySegment page = memory.page(a);
            long offset = memory.offset(a);
            assertTrue(offset < 100, "the first entry is at the start of its page");
            // value length 2000: still within the 4 KiB page, but a block that size would be a large one of its own
            io.offstate.offheap.Varint.write(page, offset + 1, 2000);
            page.set(ValueLayout.JAVA_BYTE, offset, (byte) keyBytes(0).length); // header sizes change: keep the key length
            assertCorrupt(() -> map.verify(null), "entry at address " + a, "is not alone in a large block");
        }
    }

    @Test
    void entryMapVerifyCatchesAValueLengthGrownIntoTheNextEntry() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             EntryMap map = newMap(memory)) {
            put(map, 0, 20);
            put(map, 1, 20);
            long a = find(map, 0);
            long b = find(map, 1);
            MemorySegment page = memory.page(a);
            assertEquals(a + EntryDescriptor.sizeAt(page, memory.offset(a)), b, "bump-allocated back to back");
            map.verify(null);
            page.set(ValueLayout.JAVA_BYTE, memory.offset(a) + 1, (byte) 24); // value length 20 -> 24: still decodes in the page
            assertCorrupt(() -> map.verify(null), "entry at address " + a, "overlaps the entry at address " + b);
        }
    }

    @Test
    void keyDictionaryVerifyPassesWhenHealthyAndCatchesCodesThatDisagree() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("dict", Long.MAX_VALUE));
             KeyDictionary dictionary = new KeyDictionary(memory, SEED, 10_000)) {
            for (int i = 0; i < 500; i++) {
                dictionary.add(key.wrap(("component-" + i).getBytes(StandardCharsets.US_ASCII)));
            }
            dictionary.verify();
            long a = dictionary.componentAddress(123);
            MemorySegment page = memory.page(a);
            long offset = memory.offset(a);
            long valueOffset = offset + EntryDescriptor.spanOffset(EntryDescriptor.valueSpan(page, offset));
            ValueLayout.OfInt le = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
            int code = page.get(le, valueOffset);
            assertEquals(123, code);
            page.set(le, valueOffset, code + 1);
            assertCorrupt(dictionary::verify, "key dictionary of store 'dict'", "entry at address " + a, "holds code 124");
            page.set(le, valueOffset, code);
            dictionary.verify();
        }
    }

    @Test
    void freeListVerifyCatchesLoopsLinksOutsidePagesAndBlocksBeyondTheBumpPointer() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("alloc", Long.MAX_VALUE))) {
            long[] blocks = new long[20];
            for (int i = 0; i < blocks.length; i++) {
                blocks[i] = memory.allocate(40);
            }
            long large = memory.allocate(3000);
            for (int i = 0; i < blocks.length; i += 2) {
                memory.free(blocks[i], 40);
            }
            memory.verifyFreeLists();
            long head = blocks[blocks.length - 2]; // last freed: the head of the 40-byte list
            MemorySegment page = memory.page(head);
            long link = page.get(ValueLayout.JAVA_LONG_UNALIGNED, memory.offset(head));
            assertEquals(blocks[blocks.length - 4], link);

            page.set(ValueLayout.JAVA_LONG_UNALIGNED, memory.offset(head), head);
            assertCorrupt(memory::verifyFreeLists, "memory of store 'alloc'", "40-byte blocks", "a link loops");
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, memory.offset(head), large);
            assertCorrupt(memory::verifyFreeLists, "entry " + large, "outside every live page");
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, memory.offset(head), 99L << PAGE_SHIFT);
            assertCorrupt(memory::verifyFreeLists, "outside every live page");
            long nearEnd = (head & ~((1L << PAGE_SHIFT) - 1)) | ((1 << PAGE_SHIFT) - 8);
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, memory.offset(head), nearEnd);
            assertCorrupt(memory::verifyFreeLists, "entry " + nearEnd, "runs past the end of its page");
            long beyondBump = blocks[blocks.length - 1] + 400; // the bump page, past everything handed out
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, memory.offset(head), beyondBump);
            assertCorrupt(memory::verifyFreeLists, "entry " + beyondBump, "beyond the bump pointer");
            page.set(ValueLayout.JAVA_LONG_UNALIGNED, memory.offset(head), link);
            memory.verifyFreeLists();
            assertNotEquals(0, memory.allocate(40));
        }
    }

    @Test
    void sortedIndexVerifyAgainstTheMapCatchesAKeyTheHashIndexLacks() {
        try (SortedIndexFixture fx = SortedIndexFixture.coded(NodeDescriptor.MIN_NODE_SIZE, 2)) {
            SplittableRandom random = new SplittableRandom(5);
            for (int i = 0; i < 300; i++) {
                byte[] k = String.format("%c%c-%05d", 'a' + random.nextInt(5), 'a' + random.nextInt(5), i).getBytes(StandardCharsets.US_ASCII);
                fx.insert(k);
            }
            int deleted = 0;
            for (byte[] k : fx.model.keySet().toArray(new byte[0][])) {
                if (random.nextInt(3) == 0) {
                    fx.delete(k);
                    deleted++;
                }
            }
            assertTrue(deleted > 50);
            fx.index.verify(fx.map);
            fx.map.verify(fx.dictionary);
            fx.dictionary.verify();
            fx.memory.verifyFreeLists();

            byte[] victim = fx.model.keySet().stream().skip(40).findFirst().orElseThrow();
            long address = fx.model.get(victim);
            MemorySegment slots = fx.map.index().slotsForTest(false);
            for (long i = 0; i < slots.byteSize() >>> 3; i++) {
                if (SlotDescriptor.address(slots.get(ValueLayout.JAVA_LONG, i << 3)) == address) {
                    slots.set(ValueLayout.JAVA_LONG, i << 3, slots.get(ValueLayout.JAVA_LONG, i << 3) ^ (1L << SlotDescriptor.FINGERPRINT_SHIFT));
                }
            }
            fx.index.verify(); // the tree alone is still well formed
            assertCorrupt(() -> fx.index.verify(fx.map), "points at entry " + address, "hash index does not hold");
        }
    }
}
