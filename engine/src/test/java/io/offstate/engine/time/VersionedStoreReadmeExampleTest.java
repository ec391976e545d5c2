package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.ReadmeBlocks;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;

/** The README's versioned lookup example (an as-of join's lookup side), kept compiling, true, and equal to the README. */
final class VersionedStoreReadmeExampleTest {
    private static final Path SOURCE = Path.of("src/test/java/io/offstate/engine/time/VersionedStoreReadmeExampleTest.java");

    @Test
    void asOfLookupSeesTheVersionValidAtTheTime() {
        List<String> out = new ArrayList<>();
        // README example begins
        KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("prices").sortedIndex(true).build());
        VersionedStore prices = VersionedStore.on(store, Duration.ofHours(1).toMillis());   // history kept: 1 h of stream time
        byte[] sku = "sku-42".getBytes(StandardCharsets.UTF_8);
        try (Transaction tx = Transaction.begin(store)) {
            prices.put(tx, sku, "9.99".getBytes(StandardCharsets.UTF_8), 1_000);
            prices.put(tx, sku, "12.50".getBytes(StandardCharsets.UTF_8), 5_000);
            prices.put(tx, sku, "10.00".getBytes(StandardCharsets.UTF_8), 3_000); // out of order: lands in between
            tx.commit();
        }
        VersionedRecord r = new VersionedRecord();                 // reusable; value() is a zero-copy view
        for (long orderTime : new long[] {500, 2_000, 4_000, 9_000}) {
            if (prices.get(null, sku, orderTime, r)) {            // null: read committed state
                out.add(orderTime + ": " + new String(r.value().toByteArray(), StandardCharsets.UTF_8)
                    + " valid [" + r.timestamp() + ", " + (r.hasValidTo() ? r.validTo() : "now") + ")");
            } else {
                out.add(orderTime + ": no price");
            }
        }
        // out: "500: no price", "2000: 9.99 valid [1000, 3000)", "4000: 10.00 valid [3000, 5000)", "9000: 12.50 valid [5000, now)"
        // README example ends
        assertEquals(List.of("500: no price", "2000: 9.99 valid [1000, 3000)", "4000: 10.00 valid [3000, 5000)",
            "9000: 12.50 valid [5000, now)"), out);
        store.close();
    }

    @Test
    void readmeShowsThisExample() throws IOException {
        ReadmeBlocks.assertReadmeShows(SOURCE, "// README example begins", "// README example ends", 10, 30);
    }
}
