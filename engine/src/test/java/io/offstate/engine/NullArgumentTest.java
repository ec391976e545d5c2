package io.offstate.engine;

import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Null arguments to ValueView and Cursor methods throw NullPointerException naming the parameter, and change nothing. */
class NullArgumentTest {
    static void assertNamedNull(String parameter, Executable call) {
        NullPointerException e = assertThrows(NullPointerException.class, call);
        assertEquals(parameter, e.getMessage());
    }

    @Test
    void valueViewMethodsNameTheirNullParameter() {
        try (KeyValueStore store = KeyValueStore.create()) {
            store.put(utf8("k"), utf8("value"));
            ValueView view = new ValueView();
            store.get(utf8("k"), view);
            assertNamedNull("target", () -> view.copyTo(null, 0));
            assertNamedNull("bytes", () -> view.contentEquals(null));
            assertNamedNull("target", () -> new ValueView().copyTo(null, 0)); // checked before the view's state
            assertTrue(view.contentEquals(utf8("value")));
        }
    }

    @Test
    void cursorMethodsNameTheirNullParameter() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().sortedIndex(true).build())) {
            store.put(utf8("a"), utf8("1"));
            Cursor cursor = store.cursor();
            assertNamedNull("prefix", () -> cursor.prefix(null));
            assertNamedNull("prefix", () -> cursor.prefixReverse(null));
            assertNamedNull("key", () -> cursor.seek(null));
            assertNamedNull("key", () -> cursor.seekForPrev(null));
            cursor.range(null, null); // null bounds are open ends, not errors
            assertTrue(cursor.next());
            assertEquals(1, cursor.key().length());
        }
    }
}
