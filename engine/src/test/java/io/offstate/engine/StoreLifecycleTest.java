package io.offstate.engine;

import static io.offstate.engine.TestData.populate;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

import org.agrona.DirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

import io.offstate.engine.serde.Serdes;
import io.offstate.engine.serde.TypedStore;
import io.offstate.offheap.StoreClosedException;

class StoreLifecycleTest {
    private static final byte[] KEY = utf8("t1|key-1");

    private static void assertClosed(Executable call, String what) {
        StoreClosedException e = assertThrows(StoreClosedException.class, call, what);
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
    }

    @Test
    void everyOperationAfterCloseThrowsStoreClosedException() {
        KeyValueStore store = TestData.dictionaryStore();
        populate(store);
        StoreSnapshot snapshot = store.snapshot();
        store.close();
        ValueView view = new ValueView();
        MemorySegment segment = MemorySegment.ofArray(KEY);
        DirectBuffer buffer = new UnsafeBuffer(KEY);
        assertClosed(() -> store.get(KEY, view), "get(byte[])");
        assertClosed(() -> store.get(segment, view), "get(segment)");
        assertClosed(() -> store.get(segment, 0, KEY.length, view), "get(segment range)");
        assertClosed(() -> store.get(buffer, 0, KEY.length, view), "get(buffer range)");
        assertClosed(() -> store.getCopy(KEY), "getCopy(byte[])");
        assertClosed(() -> store.getCopy(segment), "getCopy(segment)");
        assertClosed(() -> store.contains(KEY), "contains(byte[])");
        assertClosed(() -> store.contains(segment), "contains(segment)");
        assertClosed(() -> store.contains(segment, 0, KEY.length), "contains(segment range)");
        assertClosed(() -> store.contains(buffer, 0, KEY.length), "contains(buffer range)");
        assertClosed(() -> store.put(KEY, KEY), "put(byte[])");
        assertClosed(() -> store.put(segment, segment), "put(segment)");
        assertClosed(() -> store.put(segment, 0, KEY.length, segment, 0, KEY.length), "put(segment ranges)");
        assertClosed(() -> store.put(buffer, 0, KEY.length, buffer, 0, KEY.length), "put(buffer ranges)");
        assertClosed(() -> store.delete(KEY), "delete(byte[])");
        assertClosed(() -> store.delete(segment), "delete(segment)");
        assertClosed(() -> store.delete(segment, 0, KEY.length), "delete(segment range)");
        assertClosed(() -> store.delete(buffer, 0, KEY.length), "delete(buffer range)");
        assertClosed(store::size, "size");
        assertClosed(store::memoryUsed, "memoryUsed");
        assertClosed(store::dictionarySize, "dictionarySize");
        assertClosed(store::snapshot, "snapshot");
        assertClosed(() -> store.restore(snapshot), "restore");
        assertClosed(() -> store.forEach((k, v) -> { }), "forEach");
        // closed wins over bad arguments
        assertClosed(() -> store.put((byte[]) null, null), "put(null, null)");
        TypedStore<String, Long> typed = TypedStore.of(store, Serdes.UTF8, Serdes.LONG);
        assertClosed(() -> typed.getLong("a|b", 0), "typed getLong");
        assertClosed(() -> typed.put("a|b", 1L), "typed put");
        assertTrue(store.isClosed());
        snapshot.close();
    }

    /**
     * The contract: "after close(), every method except close and isClosed throws
     * StoreClosedException". Checked by reflection over every public instance method, so a method
     * added later is covered too.
     */
    @Test
    void everyPublicMethodExceptCloseAndIsClosedThrowsStoreClosedExceptionAfterClose() throws Exception {
        KeyValueStore store = TestData.plainStore();
        store.put(KEY, KEY);
        StoreSnapshot snapshot = store.snapshot();
        store.close();
        Map<Class<?>, Object> arguments = Map.of(
            byte[].class, KEY,
            MemorySegment.class, MemorySegment.ofArray(KEY),
            DirectBuffer.class, new UnsafeBuffer(KEY),
            ValueView.class, new ValueView(),
            StoreSnapshot.class, snapshot,
            EntryVisitor.class, (EntryVisitor) (k, v) -> { },
            int.class, 0,
            long.class, 0L,
            Thread.class, Thread.currentThread(),
            Consumer.class, (Consumer<Object>) x -> { });
        arguments = new java.util.HashMap<>(arguments);
        arguments.put(byte[][].class, new byte[][] {KEY}); // getAll's batches
        arguments.put(MemorySegment[].class, new MemorySegment[] {MemorySegment.ofArray(KEY)});
        arguments.put(ValueView[].class, new ValueView[] {new ValueView()});
        arguments.put(long[].class, new long[] {0});
        arguments.put(int[].class, new int[] {KEY.length});
        List<String> notThrowing = new ArrayList<>();
        for (Method m : KeyValueStore.class.getMethods()) {
            if (Modifier.isStatic(m.getModifiers()) || m.getDeclaringClass() != KeyValueStore.class
                || m.getName().equals("close") || m.getName().equals("closeWithoutFlush") || m.getName().equals("isClosed")
                // identity and write counter: answered after close too, because messages about a closed store use them
                || m.getName().equals("name") || m.getName().equals("version")) {
                continue;
            }
            Object[] args = new Object[m.getParameterCount()];
            for (int i = 0; i < args.length; i++) {
                args[i] = arguments.get(m.getParameterTypes()[i]);
                assertTrue(args[i] != null, "argument for " + m);
            }
            try {
                m.invoke(store, args);
                notThrowing.add(m.getName() + "(" + m.getParameterCount() + " args)");
            } catch (InvocationTargetException e) {
                assertEquals(StoreClosedException.class, e.getCause().getClass(), m + " threw " + e.getCause());
            }
        }
        snapshot.close();
        assertEquals(List.of(), notThrowing, "methods that did not throw StoreClosedException after close");
    }

    @Test
    void closeIsIdempotent() {
        KeyValueStore store = TestData.plainStore();
        populate(store);
        assertFalse(store.isClosed());
        store.close();
        assertTrue(store.isClosed());
        store.close();
        assertTrue(store.isClosed());
        assertClosed(store::size, "size after double close");
    }

    @Test
    void viewFilledBeforeCloseThrowsStoreClosedExceptionOnAccess() {
        KeyValueStore store = TestData.plainStore();
        store.put(KEY, TestData.pattern(16, 1));
        ValueView view = new ValueView();
        assertTrue(store.get(KEY, view));
        MemorySegment segment = view.segment();
        assertTrue(view.isValid());
        store.close();
        assertFalse(view.isValid());
        assertClosed(view::length, "length");
        assertClosed(() -> view.getByte(0), "getByte");
        assertClosed(() -> view.getInt(0), "getInt");
        assertClosed(() -> view.getLong(0), "getLong");
        assertClosed(() -> view.getLongBigEndian(0), "getLongBigEndian");
        assertClosed(view::memory, "memory");
        assertClosed(view::offset, "offset");
        assertClosed(view::segment, "segment");
        assertClosed(view::buffer, "buffer");
        assertClosed(view::toByteArray, "toByteArray");
        assertClosed(() -> view.copyTo(new byte[16], 0), "copyTo");
        assertClosed(() -> view.contentEquals(new byte[16]), "contentEquals");
        assertEquals("ValueView[empty or stale]", view.toString());
        // a segment taken from the view earlier cannot read freed memory either: FFM refuses
        assertThrows(IllegalStateException.class, () -> segment.get(ValueLayout.JAVA_BYTE, 0));
    }

    @Test
    void viewIsStaleAfterPutDeleteAndRestoreAndValidAgainAfterGet() {
        try (KeyValueStore store = TestData.plainStore()) {
            store.put(KEY, utf8("one"));
            store.put(utf8("other"), utf8("x"));
            ValueView view = new ValueView();
            StoreSnapshot snapshot = store.snapshot();

            assertTrue(store.get(KEY, view));
            store.put(utf8("unrelated"), utf8("y"));
            assertStale(view);
            assertTrue(store.get(KEY, view));
            assertArrayEquals(utf8("one"), view.toByteArray());

            store.delete(utf8("other"));
            assertStale(view);
            assertTrue(store.get(KEY, view));
            assertTrue(view.isValid());

            store.restore(snapshot);
            assertStale(view);
            assertTrue(store.get(KEY, view));
            assertArrayEquals(utf8("one"), view.toByteArray());

            // reads do not invalidate
            store.getCopy(KEY);
            store.contains(utf8("other"));
            store.forEach((k, v) -> { });
            store.snapshot().close();
            assertFalse(store.delete(utf8("absent")), "a delete that removes nothing is no write");
            assertTrue(view.isValid());
            assertEquals(3, view.length());
            snapshot.close();
        }
    }

    private static void assertStale(ValueView view) {
        assertFalse(view.isValid());
        IllegalStateException e = assertThrows(IllegalStateException.class, view::length);
        assertTrue(e.getMessage().contains("stale"), e.getMessage());
        assertThrows(IllegalStateException.class, view::toByteArray);
        assertThrows(IllegalStateException.class, () -> view.getByte(0));
        assertThrows(IllegalStateException.class, view::segment);
    }

    @Test
    void closedSnapshotCannotBeRestoredOrInspected() {
        try (KeyValueStore store = TestData.plainStore()) {
            populate(store);
            Observed before = Observed.of(store);
            StoreSnapshot snapshot = store.snapshot();
            snapshot.close();
            assertTrue(snapshot.isClosed());
            snapshot.close(); // idempotent
            assertClosed(() -> store.restore(snapshot), "restore of a closed snapshot");
            assertClosed(snapshot::size, "snapshot size");
            assertClosed(snapshot::memoryUsed, "snapshot memoryUsed");
            before.assertSameAs(store, "after refused restore");
        }
    }

    @Test
    void snapshotOutlivesItsStore() {
        KeyValueStore store = TestData.plainStore();
        populate(store);
        Observed before = Observed.of(store);
        StoreSnapshot snapshot = store.snapshot();
        store.close();
        try (KeyValueStore other = TestData.plainStore(); snapshot) {
            other.restore(snapshot);
            before.assertSameAs(other, "restored from the snapshot of a closed store");
        }
    }
}
