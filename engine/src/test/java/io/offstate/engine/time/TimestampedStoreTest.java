package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

import org.junit.jupiter.api.Test;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;

final class TimestampedStoreTest {
    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Test
    void storesKafkaValueAndTimestampBytesUnderTheKeyAsIs() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("t").sortedIndex(true).build())) {
            TimestampedStore ts = TimestampedStore.on(store);
            try (Transaction tx = Transaction.begin(store)) {
                ts.put(tx, b("k"), b("value"), 0x0102030405060708L);
                TimestampedValue v = new TimestampedValue();
                assertTrue(ts.get(tx, b("k"), v), "read-your-writes");
                assertEquals(0x0102030405060708L, v.timestamp());
                assertFalse(ts.get(null, b("k"), v), "not committed yet");
                tx.commit();
            }
            byte[] raw = store.getCopy(b("k"));
            byte[] expected = ByteBuffer.allocate(8 + 5).putLong(0x0102030405060708L).put(b("value")).array();
            assertArrayEquals(expected, raw, "Kafka Streams' ValueAndTimestamp layout: 8-byte big-endian timestamp, then the value");
            TimestampedValue v = new TimestampedValue();
            assertTrue(ts.get(null, b("k"), v));
            assertArrayEquals(b("value"), v.value().toByteArray());
            assertArrayEquals(expected, v.raw().toByteArray());
        }
    }

    @Test
    void putRawPutIfNewerDeleteAndScan() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("t").sortedIndex(true).build())) {
            TimestampedStore ts = TimestampedStore.on(store);
            try (Transaction tx = Transaction.begin(store)) {
                ts.putRaw(tx, b("a"), ByteBuffer.allocate(9).putLong(50).put((byte) 7).array());
                assertFalse(ts.putIfNewer(tx, b("a"), b("older"), 49), "out-of-order record ignored");
                assertTrue(ts.putIfNewer(tx, b("a"), b("newer"), 50), "same timestamp replaces");
                assertTrue(ts.putIfNewer(tx, b("b"), b("first"), 1));
                ts.put(tx, b("c"), b("gone"), 2);
                assertTrue(ts.delete(tx, b("c"), 3));
                tx.commit();
            }
            Cursor c = store.cursor().range(null, null);
            TimestampedValue v = new TimestampedValue();
            StringBuilder seen = new StringBuilder();
            while (c.next()) {
                ts.from(c, v);
                seen.append(new String(c.key().toByteArray(), StandardCharsets.UTF_8)).append('@').append(v.timestamp())
                    .append('=').append(new String(v.value().toByteArray(), StandardCharsets.UTF_8)).append(' ');
            }
            assertEquals("a@50=newer b@1=first ", seen.toString());
        }
    }

    @Test
    void badInputIsRefusedAndNothingStaged() {
        try (KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("t").build())) {
            TimestampedStore ts = TimestampedStore.on(store);
            try (Transaction tx = Transaction.begin(store)) {
                assertThrows(NullPointerException.class, () -> ts.put(tx, null, b("v"), 1));
                assertThrows(NullPointerException.class, () -> ts.put(tx, b("k"), null, 1));
                assertThrows(NullPointerException.class, () -> ts.put(null, b("k"), b("v"), 1));
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> ts.put(tx, b("k"), b("v"), -3));
                assertTrue(e.getMessage().contains("-3"), e.getMessage());
                assertThrows(IllegalArgumentException.class, () -> ts.putRaw(tx, b("k"), new byte[7]));
                assertThrows(IllegalArgumentException.class,
                    () -> ts.putRaw(tx, b("k"), ByteBuffer.allocate(8).putLong(-1).array()));
                assertEquals(0, tx.pendingWrites(store));
                tx.commit();
            }
            store.put(b("short"), b("1234567"));
            TimestampedValue v = new TimestampedValue();
            IllegalStateException corrupt = assertThrows(IllegalStateException.class, () -> ts.get(null, b("short"), v));
            assertTrue(corrupt.getMessage().contains("7 bytes"), corrupt.getMessage());
            assertFalse(v.isPresent());
            assertThrows(IllegalStateException.class, v::timestamp);
        }
    }
}
