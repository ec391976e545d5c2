package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import org.agrona.DirectBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ValueViewTest {
    private static final byte[] KEY = utf8("key");
    /** 10 bytes: a little-endian long 0x0807060504030201 followed by 0x09, 0x0A. */
    private static final byte[] VALUE = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10};

    private KeyValueStore store;
    private final ValueView view = new ValueView();

    @BeforeEach
    void open() {
        store = TestData.plainStore();
        store.put(utf8("before"), pattern(33, 1)); // the value is not at the start of its page
        store.put(KEY, VALUE);
        assertTrue(store.get(KEY, view));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void primitiveAccessorsReadLittleEndianWithinTheValue() {
        assertEquals(10, view.length());
        assertEquals(0x0807060504030201L, view.getLong(0));
        assertEquals(0x0A09080706050403L, view.getLong(2));
        assertEquals(0x0102030405060708L, view.getLongBigEndian(0));
        assertEquals(0x04030201, view.getInt(0));
        assertEquals(0x0A090807, view.getInt(6));
        assertEquals(1, view.getByte(0));
        assertEquals(10, view.getByte(9));
    }

    @Test
    void accessorsOutsideTheValueThrowIndexOutOfBounds() {
        assertThrows(IndexOutOfBoundsException.class, () -> view.getLong(3), "8 bytes at 3 of 10");
        assertThrows(IndexOutOfBoundsException.class, () -> view.getLong(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> view.getLong(Integer.MAX_VALUE));
        assertThrows(IndexOutOfBoundsException.class, () -> view.getLongBigEndian(3));
        assertThrows(IndexOutOfBoundsException.class, () -> view.getInt(7), "4 bytes at 7 of 10");
        assertThrows(IndexOutOfBoundsException.class, () -> view.getInt(-1));
        assertThrows(IndexOutOfBoundsException.class, () -> view.getByte(10));
        assertThrows(IndexOutOfBoundsException.class, () -> view.getByte(-1));
        // the neighbouring entry is not readable through the view
        assertTrue(store.get(utf8("before"), view));
        assertThrows(IndexOutOfBoundsException.class, () -> view.getByte(33));
    }

    @Test
    void segmentIsReadOnlyAndExactlyTheValue() {
        MemorySegment segment = view.segment();
        assertEquals(10, segment.byteSize());
        assertTrue(segment.isReadOnly());
        assertArrayEquals(VALUE, segment.toArray(ValueLayout.JAVA_BYTE));
        // JDK 25 reports a write to a read-only segment as IllegalArgumentException
        assertThrows(IllegalArgumentException.class, () -> segment.set(ValueLayout.JAVA_BYTE, 0, (byte) 99));
        assertThrows(IllegalArgumentException.class, () -> segment.fill((byte) 0));
        assertTrue(view.memory().isReadOnly());
        assertThrows(IllegalArgumentException.class, () -> view.memory().set(ValueLayout.JAVA_BYTE, view.offset(), (byte) 99));
        assertEquals(1, view.memory().get(ValueLayout.JAVA_BYTE, view.offset()));
        assertArrayEquals(VALUE, store.getCopy(KEY), "the store's value is unchanged");
    }

    @Test
    void toByteArrayCopyToAndContentEquals() {
        byte[] copy = view.toByteArray();
        assertArrayEquals(VALUE, copy);
        copy[0] = 42;
        assertArrayEquals(VALUE, view.toByteArray(), "toByteArray returns a copy");

        byte[] target = new byte[14];
        view.copyTo(target, 3);
        assertArrayEquals(new byte[] {0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0}, target);
        assertThrows(IndexOutOfBoundsException.class, () -> view.copyTo(new byte[14], 5));
        assertThrows(IndexOutOfBoundsException.class, () -> view.copyTo(new byte[14], -1));
        assertThrows(IndexOutOfBoundsException.class, () -> view.copyTo(new byte[9], 0));

        assertTrue(view.contentEquals(VALUE.clone()));
        assertFalse(view.contentEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9}), "shorter");
        assertFalse(view.contentEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}), "longer");
        assertFalse(view.contentEquals(new byte[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 11}), "last byte differs");
        assertFalse(view.contentEquals(new byte[] {0, 2, 3, 4, 5, 6, 7, 8, 9, 10}), "first byte differs");
    }

    @Test
    void bufferIsAnAgronaDirectBufferOverTheValue() {
        DirectBuffer buffer = view.buffer();
        assertEquals(10, buffer.capacity());
        assertEquals(0x0807060504030201L, buffer.getLong(0, ByteOrder.LITTLE_ENDIAN));
        assertEquals(10, buffer.getByte(9));
        byte[] bytes = new byte[10];
        buffer.getBytes(0, bytes);
        assertArrayEquals(VALUE, bytes);

        // the same buffer object is re-pointed by later calls (no allocation after the first)
        assertTrue(store.get(utf8("before"), view));
        DirectBuffer again = view.buffer();
        assertSame(buffer, again);
        assertEquals(33, again.capacity());
        byte[] before = new byte[33];
        again.getBytes(0, before);
        assertArrayEquals(pattern(33, 1), before);
        assertTrue(again instanceof SegmentBuffer, "reads through the segment, not a raw address");
    }

    @Test
    void bufferOfADictionaryKeyViewReadsTheRebuiltKeyOnTheHeap() {
        StoreOptions options = StoreOptions.builder().name("dict-sorted").sortedIndex(true)
            .dictionaryKeyComponent(io.offstate.offheap.KeyComponent.untilDelimiter((byte) '|')).build();
        try (KeyValueStore dict = KeyValueStore.create(options)) {
            dict.put(utf8("tenant|key-1"), utf8("v"));
            Cursor cursor = dict.cursor().range(null, null);
            assertTrue(cursor.next());
            DirectBuffer key = cursor.key().buffer(); // a heap segment: the key is rebuilt (component ++ rest)
            assertEquals("tenant|key-1", key.getStringWithoutLengthAscii(0, key.capacity()));
            assertThrows(UnsupportedOperationException.class, key::addressOffset, "no raw address for heap bytes");
            dict.put(utf8("tenant|key-2"), utf8("w"));
            assertThrows(IllegalStateException.class, () -> key.getByte(0), "stale after a write");
        }
    }

    @Test
    void emptyOrMissedViewThrowsIllegalState() {
        ValueView fresh = new ValueView();
        assertFalse(fresh.isValid());
        IllegalStateException e = assertThrows(IllegalStateException.class, fresh::length);
        assertTrue(e.getMessage().contains("empty"), e.getMessage());
        assertFalse(store.get(utf8("absent"), view), "a miss");
        assertFalse(view.isValid(), "a miss clears the view");
        assertThrows(IllegalStateException.class, view::toByteArray);
        assertEquals("ValueView[empty or stale]", view.toString());
    }

    @Test
    void viewOfLargeValueReadsItsOwnSegment() {
        byte[] large = pattern(700_000, 5);
        store.put(utf8("large"), large);
        assertTrue(store.get(utf8("large"), view));
        assertEquals(large.length, view.length());
        assertTrue(view.contentEquals(large));
        assertEquals(large[699_999], view.getByte(699_999));
        assertEquals(MemorySegment.ofArray(large).get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 699_992),
            view.getLong(699_992));
        assertEquals("ValueView[length=700000]", view.toString());
    }

    @Test
    void oneViewCanBeReusedAcrossStores() {
        try (KeyValueStore other = TestData.plainStore()) {
            other.put(KEY, utf8("other"));
            assertTrue(other.get(KEY, view));
            store.put(utf8("x"), utf8("y")); // a write to the first store does not touch a view of the second
            assertTrue(view.isValid());
            assertArrayEquals(utf8("other"), view.toByteArray());
        }
    }
}
