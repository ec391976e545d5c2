package io.offstate.offheap.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.Varint;
import io.offstate.offheap.memory.MemoryBudget;
import io.offstate.offheap.memory.PagedMemory;

/**
 * Bad bytes planted in entries, slots and sorted-index nodes of an in-memory store: every read
 * that decodes them throws {@link CorruptStateException} saying what is wrong and where, never an
 * IndexOutOfBounds, NullPointer or ArrayIndexOutOfBounds exception from the JDK. (Page indexes
 * that point outside the page table are checked by {@link PagedMemory#page}; these faults keep the
 * page index valid and damage everything decoded after it.)
 */
class DamagedReadTest {
    private static final long SEED = 0xDA_3A6EDL;
    private static final int PAGE_SHIFT = 12;

    private final ByteSource key = new ByteSource();
    private final ByteSource value = new ByteSource();

    private static byte[] keyBytes(int i) {
        return ("key-" + i).getBytes(StandardCharsets.US_ASCII);
    }

    private EntryMap map(PagedMemory memory, int keys, int valueLength) {
        EntryMap map = new EntryMap(memory, SEED, false, 16, 12);
        for (int i = 0; i < keys; i++) {
            key.wrap(keyBytes(i));
            map.put(key, map.hash(key), value.wrap(new byte[valueLength]));
        }
        return map;
    }

    private long find(EntryMap map, int i) {
        key.wrap(keyBytes(i));
        return map.find(key, map.hash(key));
    }

    private static byte[] valueOf(EntryMap map, long address) {
        MemorySegment page = map.memory().page(address);
        long offset = map.memory().offset(address);
        long span = EntryDescriptor.valueSpan(page, offset);
        return page.asSlice(offset + EntryDescriptor.spanOffset(span), EntryDescriptor.spanLength(span)).toArray(ValueLayout.JAVA_BYTE);
    }

    private static CorruptStateException assertCorrupt(Executable read, String... fragments) {
        CorruptStateException e = assertThrows(CorruptStateException.class, read);
        for (String f : fragments) {
            assertTrue(e.getMessage().contains(f), "message '" + e.getMessage() + "' names '" + f + "'");
        }
        return e;
    }

    private static void writeBytes(MemorySegment page, long offset, int... bytes) {
        for (int i = 0; i < bytes.length; i++) {
            page.set(ValueLayout.JAVA_BYTE, offset + i, (byte) bytes[i]);
        }
    }

    @Test
    void aKeyLengthAboveIntMaxIsCorruptionOnFind() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             EntryMap map = map(memory, 50, 8)) {
            long a = find(map, 7);
            writeBytes(memory.page(a), memory.offset(a), 0xFF, 0xFF, 0xFF, 0xFF, 0x7F);
            assertCorrupt(() -> find(map, 7), "varint at offset " + memory.offset(a), "exceeds");
            assertNotEquals(0, find(map, 8), "other keys still read");
        }
    }

    @Test
    void aValueLengthRunningPastThePageIsCorruptionOnFindAndOnValueReads() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             EntryMap map = map(memory, 50, 8)) {
            long a = find(map, 3);
            MemorySegment page = memory.page(a);
            long offset = memory.offset(a);
            // value length (second varint) becomes 2^20: within an int, far beyond a 4 KiB page
            writeBytes(page, offset + 1, 0x80, 0x80, 0x40);
            CorruptStateException e = assertCorrupt(() -> find(map, 3), "entry at offset " + offset, "past the end of its 4096-byte page");
            assertTrue(e.getMessage().contains("value length " + (1 << 20)), e.getMessage());
            assertCorrupt(() -> EntryDescriptor.valueSpan(page, offset), "entry at offset " + offset);
            assertCorrupt(() -> EntryDescriptor.sizeAt(page, offset));
            assertCorrupt(() -> map.storedKey(a, new ByteSource()));
            assertCorrupt(() -> new OriginalKey().of(memory, null, a));
        }
    }

    @Test
    void aVarintCutOffByTheEndOfThePageIsCorruption() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             EntryMap map = map(memory, 50, 8)) {
            long a = find(map, 0);
            long lastByte = (a & ~((1L << PAGE_SHIFT) - 1)) | ((1 << PAGE_SHIFT) - 1);
            memory.page(lastByte).set(ValueLayout.JAVA_BYTE, memory.offset(lastByte), (byte) 0x85); // continuation bit on the last byte
            assertCorrupt(() -> EntryDescriptor.valueSpan(memory.page(lastByte), memory.offset(lastByte)), "runs past the end");
            assertCorrupt(() -> map.keyEquals(lastByte, key.wrap(keyBytes(0))), "varint at offset 4095");
        }
    }

    @Test
    void aSlotWhoseAddressIsMovedWithinThePageIsCorruptionOrAMissNeverAJdkException() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             EntryMap map = map(memory, 10, 8)) {
            long a = find(map, 5);
            MemorySegment slots = map.index().slotsForTest(false);
            long at = slotOf(slots, a);
            long lastByte = (a & ~((1L << PAGE_SHIFT) - 1)) | ((1 << PAGE_SHIFT) - 1);
            slots.set(ValueLayout.JAVA_LONG, at << 3, SlotDescriptor.withAddress(slots.get(ValueLayout.JAVA_LONG, at << 3), lastByte));
            memory.page(lastByte).set(ValueLayout.JAVA_BYTE, memory.offset(lastByte), (byte) 0x07); // key length 7 at the last byte
            // the key length reads, the value length would start beyond the page
            assertCorrupt(() -> find(map, 5), "varint at offset 4096", "outside its segment of 4096 bytes");
            assertCorrupt(() -> map.verify(null), "varint at offset 4096");
        }
    }

    private static long slotOf(MemorySegment slots, long address) {
        for (long i = 0; i < slots.byteSize() >>> 3; i++) {
            if (SlotDescriptor.address(slots.get(ValueLayout.JAVA_LONG, i << 3)) == address) {
                return i;
            }
        }
        throw new AssertionError("no slot holds " + address);
    }

    @Test
    void aLargeValueWhoseLengthOutgrowsItsSegmentIsCorruption() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             EntryMap map = map(memory, 3, 3000)) { // 3000 > 4096 / 4: each value has a segment of its own
            long a = find(map, 1);
            MemorySegment page = memory.page(a);
            assertEquals(0, memory.offset(a));
            assertArrayEquals(new byte[3000], valueOf(map, a));
            long v = Varint.read(page, 1);
            assertEquals(3000, Varint.value(v));
            Varint.write(page, 1, 3000 + 16); // same varint size, 16 bytes beyond the segment
            assertCorrupt(() -> valueOf(map, a), "value length 3016", "past the end of its " + page.byteSize() + "-byte page");
            assertNotEquals(0, find(map, 2));
        }
    }

    @Test
    void aDictionaryCodeLongerThanItsKeyOrUnregisteredIsCorruption() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("s", Long.MAX_VALUE));
             KeyDictionary dictionary = new KeyDictionary(memory, SEED, 100);
             EntryMap map = new EntryMap(memory, SEED, true, 16, 12)) {
            int code = dictionary.add(key.wrap("tenant".getBytes(StandardCharsets.US_ASCII)));
            key.wrap(new byte[] {'x'}).code(code);
            long a = map.put(key, map.hash(key), value.wrap(new byte[4]));
            MemorySegment page = memory.page(a);
            long offset = memory.offset(a);
            assertEquals(2, EntryDescriptor.keyLength(page, offset), "code byte + 'x'");
            long keyOffset = EntryDescriptor.keyOffset(page, offset);
            // the code now takes 3 bytes (0x80 0x81 0x01), running into the value: the key is only 2 bytes long
            writeBytes(page, keyOffset, 0x80, 0x81, 0x01);
            assertCorrupt(() -> map.storedKey(a, new ByteSource()), "entry at address " + a, "longer than its key");
            assertCorrupt(() -> new OriginalKey().of(memory, dictionary, a), "longer than its key");
            // a one-byte code that is not registered
            page.set(ValueLayout.JAVA_BYTE, keyOffset, (byte) 0x09);
            assertCorrupt(() -> new OriginalKey().of(memory, dictionary, a), "dictionary code 9 is not registered");
            assertCorrupt(() -> map.verify(dictionary), "dictionary code 9", "1 are registered");
        }
    }

    @Test
    void aDictionaryEntryWhoseCodeDisagreesWithItsRegistrationIsCorruptionOnFind() {
        try (PagedMemory memory = new PagedMemory(PAGE_SHIFT, new MemoryBudget("dict-store", Long.MAX_VALUE));
             KeyDictionary dictionary = new KeyDictionary(memory, SEED, 100)) {
            byte[] a = "alpha".getBytes(StandardCharsets.US_ASCII);
            byte[] b = "beta".getBytes(StandardCharsets.US_ASCII);
            dictionary.add(key.wrap(a));
            dictionary.add(key.wrap(b));
            long entry = dictionary.componentAddress(1);
            MemorySegment page = memory.page(entry);
            long offset = memory.offset(entry);
            long valueOffset = offset + EntryDescriptor.spanOffset(EntryDescriptor.valueSpan(page, offset));
            page.set(ValueLayout.JAVA_INT_UNALIGNED, valueOffset, 0); // code 0, which belongs to "alpha"
            assertCorrupt(() -> dictionary.find(key.wrap(b)), "dict-store", "entry at address " + entry, "holds code 0");
            assertEquals(0, dictionary.find(key.wrap(a)), "the other component still reads");
            assertCorrupt(dictionary::verify, "holds code 0");
        }
    }

    // ------------------------------------------------------------------ sorted index nodes

    private static SortedIndexFixture tree() {
        SortedIndexFixture fx = SortedIndexFixture.plain(NodeDescriptor.MIN_NODE_SIZE);
        for (int i = 0; i < 200; i++) {
            fx.insert(String.format("k%05d", i * 7).getBytes(StandardCharsets.US_ASCII));
        }
        assertTrue(fx.index.levels() >= 3);
        fx.checkAgainstModel("before the damage");
        return fx;
    }

    @Test
    void aLeafCountAboveCapacityIsCorruptionOnScansAndSeeks() {
        try (SortedIndexFixture fx = tree()) {
            SortedIndexFixture.Node leaf = fx.shape().leaves().get(3);
            NodeDescriptor.count(fx.memory.page(leaf.address()), fx.memory.offset(leaf.address()), 1000);
            assertCorrupt(fx::forward, "leaf of 128 bytes at offset " + fx.memory.offset(leaf.address()), "count 1000", "capacity 6");
            assertCorrupt(fx::backward, "count 1000");
            byte[] inside = fx.keyOfEntry(NodeDescriptor.leafAddress(fx.memory.page(leaf.address()), fx.memory.offset(leaf.address()), 0));
            assertCorrupt(() -> fx.index.ceiling(fx.key(inside)), "count 1000");
            assertCorrupt(fx.index::verify, "bad leaf at " + leaf.address(), "count 1000");
        }
    }

    @Test
    void aNegativeCountOrAWrongKindIsCorruptionOnTheDescent() {
        try (SortedIndexFixture fx = tree()) {
            long root = fx.shape().root();
            MemorySegment page = fx.memory.page(root);
            long offset = fx.memory.offset(root);
            int count = NodeDescriptor.count(page, offset);
            NodeDescriptor.count(page, offset, -3);
            byte[] probe = "k00100".getBytes(StandardCharsets.US_ASCII);
            assertCorrupt(() -> fx.index.ceiling(fx.key(probe)), "inner node", "count -3");
            NodeDescriptor.count(page, offset, count);
            page.set(ValueLayout.JAVA_BYTE, offset, NodeDescriptor.LEAF);
            assertCorrupt(() -> fx.index.floor(fx.key(probe)), "has kind 1 (expected 2)");
            assertCorrupt(() -> fx.index.prepareInsert(fx.key("new".getBytes(StandardCharsets.US_ASCII))), "has kind 1");
            page.set(ValueLayout.JAVA_BYTE, offset, NodeDescriptor.INNER);
            fx.checkAgainstModel("repaired");
        }
    }

    @Test
    void aChildAddressNearTheEndOfAPageIsCorruptionNotAnOutOfBoundsRead() {
        try (SortedIndexFixture fx = tree()) {
            long root = fx.shape().root();
            MemorySegment page = fx.memory.page(root);
            long offset = fx.memory.offset(root);
            long child = NodeDescriptor.child0(page, offset);
            long nearEnd = (child & ~((1L << PAGE_SHIFT) - 1)) | ((1 << PAGE_SHIFT) - 16);
            NodeDescriptor.child0(page, offset, nearEnd);
            assertCorrupt(() -> fx.index.ceiling(fx.key(new byte[] {0})), "at offset " + ((1 << PAGE_SHIFT) - 16),
                "runs past the end of its 4096-byte page");
            assertCorrupt(fx.index::verify, "bad inner node at " + nearEnd, "run past the end");
        }
    }

    @Test
    void aLeafLinkToAnEmptyLeafIsCorruptionNotAnEndlessScan() {
        try (SortedIndexFixture fx = tree()) {
            SortedIndexFixture.Shape shape = fx.shape();
            long second = shape.leaves().get(1).address();
            long first = shape.leaves().get(0).address();
            // the second leaf empty and linked to itself: a scan that skipped empty leaves would spin forever
            NodeDescriptor.count(fx.memory.page(second), fx.memory.offset(second), 0);
            NodeDescriptor.next(fx.memory.page(second), fx.memory.offset(second), second);
            assertCorrupt(fx::forward, "leaf at address " + second, "empty");
            NodeDescriptor.prev(fx.memory.page(second), fx.memory.offset(second), second);
            long third = shape.leaves().get(2).address();
            assertCorrupt(() -> fx.index.previous(third << 16), "leaf at address " + second, "empty"); // position 0 of the third leaf
            assertCorrupt(fx.index::verify, "bad leaf at " + second);
            assertNotEquals(first, second);
        }
    }

    @Test
    void aLeafElementPointingAtGarbageIsCorruptionOnScan() {
        try (SortedIndexFixture fx = tree()) {
            long leaf = fx.shape().leaves().get(4).address();
            MemorySegment page = fx.memory.page(leaf);
            long offset = fx.memory.offset(leaf);
            long junk = fx.memory.allocate(16); // a block of its own, so the garbage clobbers nothing else
            writeBytes(fx.memory.page(junk), fx.memory.offset(junk), 0x05, 0x80, 0x80, 0x40); // key 5 bytes, value 2^20
            NodeDescriptor.leafAddress(page, offset, 1, junk);
            assertCorrupt(fx::forward, "entry at offset " + fx.memory.offset(junk), "value length 1048576");
            assertCorrupt(fx.index::verify, "entry at offset " + fx.memory.offset(junk));
        }
    }
}
