package io.offstate.engine;

import static io.offstate.engine.TestData.string;
import static io.offstate.engine.TestData.utf8;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.HashMap;
import java.util.Map;

import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.DictionaryFullException;
import io.offstate.offheap.StoreFullException;

class DictionaryEncodingTest {

    private static KeyValueStore store(KeyComponent component) {
        return KeyValueStore.create(StoreOptions.builder().name("dict").hashSeed(4).dictionaryKeyComponent(component).build());
    }

    private static Map<String, String> contents(KeyValueStore store) {
        Map<String, String> seen = new HashMap<>();
        store.forEach((k, v) -> assertNull(seen.put(string(k.toArray(ValueLayout.JAVA_BYTE)), string(v.toArray(ValueLayout.JAVA_BYTE)))));
        return seen;
    }

    @Test
    void untilDelimiterKeysRoundTripAndForEachYieldsTheOriginalKeys() {
        try (KeyValueStore store = store(KeyComponent.untilDelimiter((byte) '|'))) {
            Map<String, String> expected = new HashMap<>();
            String[] keys = {"acme|order-17", "acme|order-18", "globex|order-17", "|leading-delimiter", "no-delimiter",
                "acme", "acme|", "a|b|c", "", "ünïcödé|ключ"};
            for (String k : keys) {
                expected.put(k, "v:" + k);
                store.put(utf8(k), utf8("v:" + k));
            }
            for (int i = 0; i < 2000; i++) {
                String k = "tenant-" + (i % 13) + "|item-" + i;
                expected.put(k, "v" + i);
                store.put(utf8(k), utf8("v" + i));
            }
            assertEquals(expected.size(), store.size());
            // components: acme, globex, "", no-delimiter, a, ünïcödé, tenant-0..12
            assertEquals(6 + 13, store.dictionarySize());
            assertEquals(expected, contents(store));
            for (Map.Entry<String, String> e : expected.entrySet()) {
                assertArrayEquals(utf8(e.getValue()), store.getCopy(utf8(e.getKey())), e.getKey());
            }
            // "acme" and "acme|" and "acme|order-17" are different keys sharing one component
            assertTrue(store.delete(utf8("acme")));
            assertArrayEquals(utf8("v:acme|"), store.getCopy(utf8("acme|")));
            assertFalse(store.contains(utf8("acme")));
        }
    }

    @Test
    void fixedPrefixKeysRoundTripAndForEachYieldsTheOriginalKeys() {
        try (KeyValueStore store = store(KeyComponent.fixedPrefix(6))) {
            Map<String, String> expected = new HashMap<>();
            for (int i = 0; i < 3000; i++) {
                String k = "SYM" + (char) ('A' + i % 7) + "XX" + ":" + i;
                expected.put(k, "p" + i);
                store.put(utf8(k), utf8("p" + i));
            }
            for (String k : new String[] {"", "S", "SYMAX", "SYMAXX"}) {
                expected.put(k, "short:" + k);
                store.put(utf8(k), utf8("short:" + k));
            }
            assertEquals(7 + 4 - 1, store.dictionarySize(), "SYMAXX is shared");
            assertEquals(expected, contents(store));
        }
    }

    @Test
    void lookupOfKeyWithUnknownComponentMissesWithoutGrowingTheDictionary() {
        try (KeyValueStore store = store(KeyComponent.untilDelimiter((byte) '|'))) {
            store.put(utf8("known|k"), utf8("v"));
            Observed before = Observed.of(store);
            byte[] unknown = utf8("unknown|k");
            ValueView view = new ValueView();
            assertFalse(store.get(unknown, view));
            assertFalse(store.get(MemorySegment.ofArray(unknown), view));
            assertFalse(store.get(MemorySegment.ofArray(unknown), 0, unknown.length, view));
            assertFalse(store.get(new UnsafeBuffer(unknown), 0, unknown.length, view));
            assertNull(store.getCopy(unknown));
            assertFalse(store.contains(unknown));
            assertFalse(store.contains(new UnsafeBuffer(unknown), 0, unknown.length));
            assertFalse(store.delete(unknown));
            assertFalse(store.delete(MemorySegment.ofArray(unknown), 0, unknown.length));
            assertFalse(store.contains(utf8("known|other")), "known component, unknown rest");
            before.assertSameAs(store, "after lookups of unknown components");
            assertEquals(1, store.dictionarySize());
        }
    }

    @Test
    void componentsStayKnownAfterTheirLastKeyIsDeleted() {
        try (KeyValueStore store = store(KeyComponent.untilDelimiter((byte) '|'))) {
            store.put(utf8("a|1"), utf8("v"));
            assertTrue(store.delete(utf8("a|1")));
            assertEquals(0, store.size());
            assertEquals(1, store.dictionarySize());
            long used = store.memoryUsed();
            store.put(utf8("a|1"), utf8("w"));
            assertEquals(1, store.dictionarySize());
            assertEquals(used, store.memoryUsed(), "the entry reuses its freed block");
        }
    }

    @Test
    void exceedingMaxDictionaryCodesThrowsDictionaryFullExceptionAndLeavesStoreUnchanged() {
        StoreOptions options = StoreOptions.builder().name("capped").dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'))
            .maxDictionaryCodes(3).build();
        assertEquals(3, options.maxDictionaryCodes());
        try (KeyValueStore store = KeyValueStore.create(options)) {
            store.put(utf8("a|1"), utf8("1"));
            store.put(utf8("b|1"), utf8("2"));
            store.put(utf8("c|1"), utf8("3"));
            Observed before = Observed.of(store);
            DictionaryFullException e = assertThrows(DictionaryFullException.class, () -> store.put(utf8("d|1"), utf8("4")));
            assertTrue(e instanceof StoreFullException, "still caught by a StoreFullException handler");
            assertEquals(3, e.limit(), "names the component limit");
            assertEquals(3, e.inUse());
            assertTrue(e.getMessage().contains("3 distinct key components") && e.getMessage().contains("capped")
                && e.getMessage().contains("maxDictionaryCodes"), e.getMessage());
            before.assertSameAs(store, "after a refused new component");
            assertThrows(DictionaryFullException.class, () -> store.put(MemorySegment.ofArray(utf8("e|1")), MemorySegment.ofArray(utf8("5"))));
            before.assertSameAs(store, "after a second refused new component");
            // known components still take new keys
            store.put(utf8("a|2"), utf8("6"));
            assertArrayEquals(utf8("6"), store.getCopy(utf8("a|2")));
            assertEquals(3, store.dictionarySize());
        }
    }

    @Test
    void dictionaryStoreUsesLessMemoryThanPlainForLongRepeatedComponents() {
        StoreOptions plainOptions = StoreOptions.builder().hashSeed(1).pageSize(64 * 1024).expectedEntries(50_000).build();
        StoreOptions dictOptions = StoreOptions.builder().hashSeed(1).pageSize(64 * 1024).expectedEntries(50_000)
            .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|')).build();
        try (KeyValueStore plain = KeyValueStore.create(plainOptions); KeyValueStore dict = KeyValueStore.create(dictOptions)) {
            String[] tenants = new String[20];
            for (int t = 0; t < tenants.length; t++) {
                tenants[t] = "organisation-" + t + "-of-the-very-long-tenant-names-department";
            }
            byte[] value = new byte[8];
            for (int i = 0; i < 50_000; i++) {
                byte[] key = utf8(tenants[i % tenants.length] + "|" + i);
                plain.put(key, value);
                dict.put(key, value);
            }
            assertEquals(20, dict.dictionarySize());
            long p = plain.memoryUsed();
            long d = dict.memoryUsed();
            // entries: ~2 + 57 + 6 + 8 bytes plain vs ~2 + 1 + 6 + 8 encoded, plus the same index
            assertTrue(d * 2 < p, "dictionary " + d + " bytes vs plain " + p + " bytes");
        }
    }

    @Test
    void dictionaryKeysViaEveryOverloadReachTheSameEntry() {
        try (KeyValueStore store = store(KeyComponent.untilDelimiter((byte) '|'))) {
            byte[] key = utf8("tenant|order-1");
            byte[] padded = new byte[key.length + 4];
            System.arraycopy(key, 0, padded, 2, key.length);
            store.put(new UnsafeBuffer(padded), 2, key.length, new UnsafeBuffer(utf8("xvaluex")), 1, 5);
            assertArrayEquals(utf8("value"), store.getCopy(key));
            assertTrue(store.contains(MemorySegment.ofArray(padded), 2, key.length));
            assertTrue(store.delete(MemorySegment.ofArray(key)));
            assertEquals(0, store.size());
        }
    }

    // ---------------------------------------------------------------- verify() checks every structure

    /** The store's state, reached behind its back to plant damage (tests only). */
    private static StoreState stateOf(KeyValueStore store) throws ReflectiveOperationException {
        java.lang.reflect.Field core = KeyValueStore.class.getDeclaredField("core");
        core.setAccessible(true);
        return ((StoreCore) core.get(store)).state();
    }

    private static void flipFirstKeyByte(StoreState state, long address) {
        MemorySegment page = state.memory.page(address);
        long keyOffset = io.offstate.offheap.index.EntryDescriptor.keyOffset(page, state.memory.offset(address));
        // the last byte of the stored key: after any dictionary code, so the entry still decodes
        int keyLength = io.offstate.offheap.index.EntryDescriptor.keyLength(page, state.memory.offset(address));
        long at = keyOffset + keyLength - 1;
        page.set(ValueLayout.JAVA_BYTE, at, (byte) (page.get(ValueLayout.JAVA_BYTE, at) ^ 0x01));
    }

    @Test
    void verifyOfAHashOnlyStoreChecksTheHashIndexAndNamesTheStore() throws ReflectiveOperationException {
        StoreOptions options = StoreOptions.builder().name("hash-only").expectedEntries(16).hashSeed(3).build();
        try (KeyValueStore store = KeyValueStore.create(options)) {
            for (int i = 0; i < 500; i++) {
                store.put(utf8("key-" + i), utf8("value-" + i));
            }
            for (int i = 0; i < 500; i += 3) {
                store.delete(utf8("key-" + i));
            }
            store.verify(); // healthy after growth, migration and deletes
            StoreState state = stateOf(store);
            io.offstate.offheap.ByteSource k = new io.offstate.offheap.ByteSource().wrap(utf8("key-10"));
            long address = state.map.find(k, state.map.hash(k));
            flipFirstKeyByte(state, address);
            io.offstate.offheap.CorruptStateException e = assertThrows(io.offstate.offheap.CorruptStateException.class, store::verify);
            assertTrue(e.getMessage().contains("store 'hash-only'") && e.getMessage().contains("hash index"), e.getMessage());
            assertThrows(io.offstate.offheap.CorruptStateException.class, () -> store.put(utf8("new"), utf8("x")),
                "a store found damaged refuses writes");
        }
    }

    @Test
    void verifyOfADictionaryStoreChecksTheDictionaryAndNamesTheStore() throws ReflectiveOperationException {
        StoreOptions options = StoreOptions.builder().name("dict-verify").dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'))
            .sortedIndex(true).build();
        try (KeyValueStore store = KeyValueStore.create(options)) {
            for (int i = 0; i < 300; i++) {
                store.put(utf8("tenant" + (i % 7) + "|" + i), utf8("v" + i));
            }
            store.verify();
            StoreState state = stateOf(store);
            long component = state.dictionary.componentAddress(4);
            MemorySegment page = state.memory.page(component);
            long offset = state.memory.offset(component);
            long span = io.offstate.offheap.index.EntryDescriptor.valueSpan(page, offset);
            long valueOffset = offset + io.offstate.offheap.index.EntryDescriptor.spanOffset(span);
            ValueLayout.OfInt le = ValueLayout.JAVA_INT_UNALIGNED.withOrder(java.nio.ByteOrder.LITTLE_ENDIAN);
            page.set(le, valueOffset, 5); // component 4's entry now claims code 5
            io.offstate.offheap.CorruptStateException e = assertThrows(io.offstate.offheap.CorruptStateException.class, store::verify);
            assertTrue(e.getMessage().contains("store 'dict-verify'") && e.getMessage().contains("key dictionary")
                && e.getMessage().contains("holds code 5"), e.getMessage());
        }
    }
}
