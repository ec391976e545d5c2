package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.management.ManagementFactory;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Consumer;

import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import io.offstate.offheap.StoreClosedException;

/**
 * The buffer of a {@link ValueView} is checked like the view: stale after a write, closed with the
 * store, confined to the owner thread; it reads the value's bytes in place, allocation-free; and
 * raw addresses are refused. (That a use after close or delete cannot crash the JVM is proven in a
 * child JVM by {@link BufferCrashTest}.)
 */
class SegmentBufferViewTest {
    private static final byte[] KEY = utf8("key");
    private static final byte[] VALUE = pattern(40, 7);

    /** Every read a user may make through a DirectBuffer, each of which must check the guard. */
    private static final List<Consumer<DirectBuffer>> READS = List.of(
        DirectBuffer::capacity,
        b -> b.getLong(0),
        b -> b.getLong(0, ByteOrder.BIG_ENDIAN),
        b -> b.getInt(0),
        b -> b.getInt(0, ByteOrder.BIG_ENDIAN),
        b -> b.getShort(0),
        b -> b.getChar(0),
        b -> b.getFloat(0),
        b -> b.getDouble(0),
        b -> b.getByte(0),
        b -> b.getBytes(0, new byte[8]),
        b -> b.getBytes(0, new byte[8], 0, 8),
        b -> b.getBytes(0, new UnsafeBuffer(new byte[8]), 0, 8),
        b -> b.getBytes(0, java.nio.ByteBuffer.allocateDirect(8), 0, 8),
        b -> b.getStringAscii(0, 4),
        b -> b.getStringWithoutLengthUtf8(0, 4),
        b -> b.getStringWithoutLengthAscii(0, 4, new StringBuilder()),
        b -> b.parseNaturalIntAscii(0, 1),
        b -> b.boundsCheck(0, 1),
        b -> b.checkLimit(1),
        DirectBuffer::addressOffset,
        DirectBuffer::hashCode,
        b -> b.compareTo(new UnsafeBuffer(new byte[8])),
        b -> new UnsafeBuffer(new byte[64]).putBytes(0, b, 0, 8));

    private KeyValueStore store;
    private final ValueView view = new ValueView();

    @BeforeEach
    void open() {
        store = TestData.plainStore();
        store.put(utf8("before"), pattern(13, 1));
        store.put(KEY, VALUE);
        assertTrue(store.get(KEY, view));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void bufferReadsTheValueInPlace() {
        DirectBuffer buffer = view.buffer();
        assertEquals(VALUE.length, buffer.capacity());
        assertEquals(MemorySegment.ofArray(VALUE).get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), 3),
            buffer.getLong(3, ByteOrder.BIG_ENDIAN));
        byte[] copy = new byte[VALUE.length];
        buffer.getBytes(0, copy);
        assertArrayEquals(VALUE, copy);
        assertEquals(view.memory().address() + view.offset(), buffer.addressOffset(), "the store's memory, no copy");
        assertNull(buffer.byteArray());
        assertNull(buffer.byteBuffer());
        assertEquals(0, buffer.wrapAdjustment());
        assertThrows(IndexOutOfBoundsException.class, () -> buffer.getByte(VALUE.length), "the next entry is out of reach");
    }

    @Test
    void agronaBuffersCopyFromItThroughTheirOwnMethods() {
        DirectBuffer buffer = view.buffer();
        UnsafeBuffer target = new UnsafeBuffer(new byte[VALUE.length + 2]);
        target.putBytes(2, buffer, 0, VALUE.length); // Agrona reads addressOffset(), checked at this moment
        assertArrayEquals(VALUE, java.util.Arrays.copyOfRange(target.byteArray(), 2, VALUE.length + 2));
        ExpandableArrayBuffer expandable = new ExpandableArrayBuffer(4);
        buffer.getBytes(0, expandable, 1, VALUE.length);
        assertArrayEquals(VALUE, java.util.Arrays.copyOfRange(expandable.byteArray(), 1, VALUE.length + 1));
        assertEquals(0, buffer.compareTo(new UnsafeBuffer(VALUE.clone())));
    }

    @Test
    void bufferCanBeAKeyOfAnotherStore() {
        try (KeyValueStore other = TestData.plainStore()) {
            DirectBuffer key = view.buffer();
            other.put(key, 0, key.capacity(), key, 4, 8);
            assertArrayEquals(java.util.Arrays.copyOfRange(VALUE, 4, 12), other.getCopy(VALUE));
            assertTrue(other.contains(key, 0, key.capacity()));
        }
    }

    @Test
    void everyReadOfAStaleBufferThrowsIllegalState() {
        DirectBuffer buffer = view.buffer();
        store.put(utf8("other"), utf8("x"));
        for (int i = 0; i < READS.size(); i++) {
            Consumer<DirectBuffer> read = READS.get(i);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> read.accept(buffer), "read #" + i);
            assertTrue(e.getMessage().contains("stale") && e.getMessage().contains("'plain'"), e.getMessage());
        }
        assertEquals("SegmentBuffer[capacity=40, view of store 'plain']", buffer.toString(), "toString reads nothing");
        // a fresh get and buffer() make it readable again: the same object, re-pointed
        assertTrue(store.get(KEY, view));
        assertSame(buffer, view.buffer());
        assertEquals(VALUE[5], buffer.getByte(5));
    }

    @Test
    void aGetDoesNotMakeTheBufferStaleAndTheBufferKeepsItsValue() {
        DirectBuffer buffer = view.buffer();
        assertTrue(store.get(utf8("before"), view), "a read is not a write");
        assertEquals(VALUE.length, buffer.capacity(), "still the value it was pointed at");
        assertEquals(VALUE[39], buffer.getByte(39));
    }

    @Test
    void everyReadAfterCloseThrowsStoreClosed() {
        DirectBuffer buffer = view.buffer();
        store.close();
        for (int i = 0; i < READS.size(); i++) {
            Consumer<DirectBuffer> read = READS.get(i);
            assertThrows(StoreClosedException.class, () -> read.accept(buffer), "read #" + i);
        }
    }

    @Test
    void bufferOfADeletedLargeValueThrowsIllegalState() {
        byte[] large = pattern(store.stats().pageSize() / 2, 9);
        store.put(utf8("large"), large);
        assertTrue(store.get(utf8("large"), view));
        DirectBuffer buffer = view.buffer();
        assertEquals(large[large.length - 1], buffer.getByte(large.length - 1));
        MemorySegment segment = view.segment();
        assertTrue(store.delete(utf8("large")));
        assertThrows(IllegalStateException.class, () -> buffer.getLong(0));
        // the second line of defence: the large value's own arena is closed, so even the raw segment throws
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void readsFromAnotherThreadThrowWrongThread() throws Exception {
        DirectBuffer buffer = view.buffer();
        AtomicReference<Throwable> caught = new AtomicReference<>();
        Thread reader = Thread.ofPlatform().name("reader").start(() -> {
            try {
                buffer.getLong(0);
            } catch (Throwable t) {
                caught.set(t);
            }
        });
        reader.join();
        assertTrue(caught.get() instanceof WrongThreadException, String.valueOf(caught.get()));
        assertEquals(VALUE[0], buffer.getByte(0), "the owner still reads it");
    }

    @Test
    void aSliceOfAViewBufferKeepsTheGuard() {
        SegmentBuffer slice = new SegmentBuffer();
        slice.wrap(view.buffer(), 8, 16);
        assertEquals(16, slice.capacity());
        assertEquals(VALUE[8], slice.getByte(0));
        assertThrows(IndexOutOfBoundsException.class, () -> slice.getByte(16));
        store.delete(KEY);
        assertThrows(IllegalStateException.class, () -> slice.getByte(0));
        slice.wrap(new byte[] {1, 2, 3}); // a re-wrap drops the guard
        assertEquals(3, slice.getByte(2));
    }

    @Test
    void rawAddressesAreRefused() {
        SegmentBuffer buffer = new SegmentBuffer();
        UnsupportedOperationException e = assertThrows(UnsupportedOperationException.class,
            () -> buffer.wrap(view.buffer().addressOffset(), 8));
        assertTrue(e.getMessage().contains("raw address"), e.getMessage());
        assertThrows(UnsupportedOperationException.class,
            () -> buffer.wrap(new UnsafeBuffer(view.buffer().addressOffset(), 8)));
        assertThrows(UnsupportedOperationException.class, () -> new SegmentBuffer(MemorySegment.ofArray(new byte[4])).addressOffset(),
            "a heap segment has no address Agrona could use");
        assertEquals(0, buffer.capacity(), "a refused wrap leaves the buffer as it was");
    }

    @Test
    void userSegmentsAreCheckedByTheSegment() {
        SegmentBuffer buffer;
        try (Arena arena = Arena.ofConfined()) {
            buffer = new SegmentBuffer(arena.allocateFrom(ValueLayout.JAVA_LONG, 42L));
            assertEquals(42L, buffer.getLong(0));
        }
        assertThrows(IllegalStateException.class, () -> buffer.getLong(0), "arena closed");
        assertThrows(IndexOutOfBoundsException.class, () -> new SegmentBuffer(MemorySegment.ofArray(new byte[4]), 2, 3));
    }

    @Test
    void refillingAndReadingThroughTheBufferAllocatesNothing() {
        java.lang.management.ThreadMXBean bean = ManagementFactory.getThreadMXBean();
        if (!(bean instanceof com.sun.management.ThreadMXBean threads) || !threads.isThreadAllocatedMemorySupported()) {
            return;
        }
        threads.setThreadAllocatedMemoryEnabled(true);
        byte[][] keys = new byte[64][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = utf8("k" + i);
            store.put(keys[i], pattern(8 + i, i));
        }
        final int ops = 20_000;
        long sink = 0;
        long allocated = 0;
        for (int round = 0; round < 5; round++) { // the last round counts, after JIT warm-up
            long before = threads.getCurrentThreadAllocatedBytes();
            for (int i = 0; i < ops; i++) {
                store.get(keys[i & 63], view);
                DirectBuffer buffer = view.buffer();
                sink += buffer.getLong(0) + buffer.getInt(4, ByteOrder.BIG_ENDIAN) + buffer.getByte(buffer.capacity() - 1);
            }
            allocated = threads.getCurrentThreadAllocatedBytes() - before;
        }
        assertTrue(allocated < 256, "allocated " + allocated + " bytes over " + ops + " get+buffer()+reads (sink " + sink + ")");
    }
}
