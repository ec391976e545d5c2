package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import org.junit.jupiter.api.Test;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.ReadmeBlocks;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;

/** The README's windowed aggregation example, kept compiling, true, and equal to the README. */
final class WindowedAggregationReadmeExampleTest {
    private static final Path SOURCE = Path.of("src/test/java/io/offstate/engine/time/WindowedAggregationReadmeExampleTest.java");

    @Test
    void readmeShowsThisExample() throws IOException {
        ReadmeBlocks.assertReadmeShows(SOURCE, "// README example begins", "// README example ends", 10, 40);
    }

    @Test
    void tumblingCountPerKeyWithFinalEmission() {
        List<String> emitted = new ArrayList<>();
        // README example begins
        KeyValueStore store = KeyValueStore.create(StoreOptions.builder().name("clicks").sortedIndex(true).build());
        WindowedAggregation clicksPerMinute = WindowedAggregation.on(store,
            WindowedAggregationOptions.builder(TimeWindows.tumbling(60_000).grace(10_000))
                .aggregators(Aggregators.count())
                .onResult(r -> emitted.add(new String(r.copyKey(), StandardCharsets.UTF_8)
                    + " " + r.windowStart() + " " + (long) r.value(0)))
                .onLate((key, value, number, ts, closeTime) -> emitted.add("late " + ts))
                .build());
        byte[] alice = "alice".getBytes(StandardCharsets.UTF_8);
        byte[] bob = "bob".getBytes(StandardCharsets.UTF_8);
        try (Transaction tx = Transaction.begin(store)) {
            clicksPerMinute.process(tx, alice, 1.0, 1_000);
            clicksPerMinute.process(tx, bob, 1.0, 30_000);
            clicksPerMinute.process(tx, alice, 1.0, 65_000);
            clicksPerMinute.process(tx, alice, 1.0, 59_000);   // out of order, within grace
            clicksPerMinute.process(tx, bob, 1.0, 70_000);     // stream time 70 000: minute 0 closes
            clicksPerMinute.process(tx, bob, 1.0, 2_000);      // too late for its minute
            tx.commit();
        }
        // emitted: "bob 0 1", "alice 0 2", "late 2000"
        // README example ends
        // windows due together close in (key length, key) order: the key is length-prefixed in the store
        assertEquals(List.of("bob 0 1", "alice 0 2", "late 2000"), emitted);
        store.close();
    }
}
