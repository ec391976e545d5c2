package io.offstate.kafka.streams;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.state.KeyValueStore;
import org.apache.kafka.streams.state.WindowStore;
import org.apache.kafka.test.InternalMockProcessorContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.offheap.StoreFullException;
import io.offstate.offheap.SharedMemoryBudget;

/** {@value OffstateStreamsConfig#MEMORY_BUDGET_CONFIG}: one cap over every offstate store of an application. */
class ApplicationMemoryBudgetTest {
    @TempDir
    Path stateDir;

    private InternalMockProcessorContext<?, ?> context(String app, long cap) {
        Map<String, Object> props = new HashMap<>();
        props.put(StreamsConfig.APPLICATION_ID_CONFIG, app);
        props.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, "127.0.0.1:9");
        props.put(OffstateStreamsConfig.MEMORY_BUDGET_CONFIG, cap);
        return new InternalMockProcessorContext<>(stateDir.toFile(), Serdes.Bytes(), Serdes.ByteArray(),
            new StreamsConfig(props));
    }

    @Test
    void storesOfOneApplicationShareOneCapAndAWriteBeyondItChangesNothing() {
        long cap = 24L << 20;
        InternalMockProcessorContext<?, ?> context = context("capped-app", cap);
        KeyValueStore<Bytes, byte[]> a = OffstateKeyValueBytesStoreSupplier.inMemory("a").get();
        WindowStore<Bytes, byte[]> w = OffstateWindowBytesStoreSupplier.inMemory("w", 60_000, 1_000, false).get();
        a.init(context, a);
        w.init(context, w);
        try {
            byte[] big = new byte[1 << 20];
            int written = 0;
            StoreFullException full = null;
            try {
                for (int i = 0; i < 64; i++) {                 // 64 MiB wanted, 24 MiB allowed for both stores
                    a.put(Bytes.wrap(new byte[] {(byte) i}), big);
                    written++;
                    w.put(Bytes.wrap(new byte[] {(byte) i}), big, i);
                }
            } catch (StoreFullException e) {
                full = e;
            }
            assertTrue(full != null, "the shared cap stopped the writes");
            assertTrue(written > 2 && written < 24, "both stores drew on one cap: " + written + " rounds");
            SharedMemoryBudget budget = OffstateStreamsConfig.budgetOf("capped-app",
                Map.of(OffstateStreamsConfig.MEMORY_BUDGET_CONFIG, cap));
            assertEquals(cap, budget.limit());
            assertTrue(budget.used() <= cap, "used " + budget.used() + " <= cap");
            assertArrayEquals(big, a.get(Bytes.wrap(new byte[] {0})), "earlier writes intact");
        } finally {
            a.close();
            w.close();
        }
    }

    @Test
    void aCapThatIsNotAPositiveNumberIsRefusedNamingTheKey() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
            () -> OffstateStreamsConfig.budgetOf("x", Map.of(OffstateStreamsConfig.MEMORY_BUDGET_CONFIG, "lots")));
        assertTrue(e.getMessage().contains(OffstateStreamsConfig.MEMORY_BUDGET_CONFIG), e.getMessage());
    }
}
