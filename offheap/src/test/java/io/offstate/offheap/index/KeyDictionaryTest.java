package io.offstate.offheap.index;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.DictionaryFullException;
import io.offstate.offheap.StoreFullException;
import io.offstate.offheap.memory.MemoryBudget;
import io.offstate.offheap.memory.PagedMemory;

class KeyDictionaryTest {
    private static ByteSource bytes(String s) {
        return new ByteSource().wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void codesAreDenseInOrderOfFirstAppearanceAndDecodeBack() {
        try (PagedMemory memory = new PagedMemory(12, new MemoryBudget("d", Long.MAX_VALUE));
             KeyDictionary dictionary = new KeyDictionary(memory, 1, 1000)) {
            String[] components = new String[500];
            for (int i = 0; i < components.length; i++) {
                components[i] = i % 7 == 0 ? "" + i : "tenant-" + i + "-" + "z".repeat(i % 40);
                assertEquals(-1, dictionary.find(bytes(components[i])));
                assertEquals(i, dictionary.add(bytes(components[i])));
            }
            assertEquals(components.length, dictionary.size());
            ByteSource target = new ByteSource();
            for (int i = 0; i < components.length; i++) {
                assertEquals(i, dictionary.find(bytes(components[i])));
                assertArrayEquals(components[i].getBytes(StandardCharsets.UTF_8), dictionary.component(i, target).toByteArray());
            }
            assertThrows(CorruptStateException.class, () -> dictionary.component(components.length, new ByteSource()));
            assertThrows(CorruptStateException.class, () -> dictionary.component(-1, new ByteSource()));
        }
    }

    @Test
    void addingBeyondMaxCodesThrowsAndAddsNothing() {
        MemoryBudget budget = new MemoryBudget("dict-store", Long.MAX_VALUE);
        try (PagedMemory memory = new PagedMemory(12, budget);
             KeyDictionary dictionary = new KeyDictionary(memory, 1, 2)) {
            dictionary.add(bytes("a"));
            dictionary.add(bytes("b"));
            long used = budget.used();
            DictionaryFullException e = assertThrows(DictionaryFullException.class, () -> dictionary.add(bytes("c")));
            assertTrue(e.getMessage().contains("2 distinct key components") && e.getMessage().contains("dict-store"), e.getMessage());
            assertEquals(2, e.limit());
            assertTrue(e instanceof StoreFullException);
            assertThrows(DictionaryFullException.class, () -> dictionary.bytesNeededToAdd(1));
            assertEquals(2, dictionary.size());
            assertEquals(-1, dictionary.find(bytes("c")));
            assertEquals(used, budget.used());
        }
    }

    @Test
    void copyIsIndependent() {
        try (PagedMemory memory = new PagedMemory(12, new MemoryBudget("d", Long.MAX_VALUE));
             KeyDictionary dictionary = new KeyDictionary(memory, 1, 100)) {
            dictionary.add(bytes("a"));
            try (PagedMemory copyMemory = memory.copy(new MemoryBudget("c", Long.MAX_VALUE));
                 KeyDictionary copy = dictionary.copy(copyMemory)) {
                dictionary.add(bytes("b"));
                assertEquals(1, copy.size());
                assertEquals(-1, copy.find(bytes("b")));
                assertEquals(1, copy.add(bytes("c")));
                assertEquals(-1, dictionary.find(bytes("c")));
                assertEquals(0, copy.find(bytes("a")));
            }
        }
    }
}
