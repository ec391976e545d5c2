package io.offstate.changelog;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;
import static org.quicktheories.generators.SourceDSL.strings;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

/** The binary format of {@link ChangelogPositions}: round trips and refusals. */
class ChangelogPositionsTest {
    @Test
    void roundTripsInputsStoresAndFlags() {
        Map<TopicPartition, Long> in = new LinkedHashMap<>();
        in.put(new TopicPartition("words", 3), 42L);
        in.put(new TopicPartition("clicks-ü", 0), 0L);
        Map<String, ChangelogPositions.StoreOffset> st = new LinkedHashMap<>();
        st.put("counts", new ChangelogPositions.StoreOffset(17, true, false));
        st.put("w", new ChangelogPositions.StoreOffset(0, false, true));
        ChangelogPositions p = new ChangelogPositions(-5, in, st);
        ChangelogPositions back = ChangelogPositions.decode(p.encode());
        assertEquals(p, back);
        assertEquals(List.copyOf(in.keySet()), List.copyOf(back.inputOffsets().keySet()), "order kept");
        assertEquals(in, ChangelogPositions.decodeInputs(p.encodeInputs()));
        assertSame(ChangelogPositions.NONE, ChangelogPositions.decode(null));
        assertSame(ChangelogPositions.NONE, ChangelogPositions.decode(new byte[0]));
        assertArrayEquals(ChangelogPositions.NONE.encode(), ChangelogPositions.decode(ChangelogPositions.NONE.encode()).encode());
        assertEquals(-5, ChangelogPositions.commitOf(ChangelogPositions.commitHeader(-5)));
    }

    @Test
    void randomPositionsRoundTrip() {
        qt().withExamples(300).forAll(longs().all(), lists().of(integers().between(0, 1000)).ofSizeBetween(0, 8),
                strings().basicLatinAlphabet().ofLengthBetween(0, 20))
            .checkAssert((id, parts, name) -> {
                Map<TopicPartition, Long> in = new LinkedHashMap<>();
                Map<String, ChangelogPositions.StoreOffset> st = new LinkedHashMap<>();
                for (int p : parts) {
                    in.put(new TopicPartition(name + "t", p), (long) p * 1_000_003L);
                    st.put(name + p, new ChangelogPositions.StoreOffset(p, p % 2 == 0, p % 3 == 0));
                }
                ChangelogPositions pos = new ChangelogPositions(id, in, st);
                assertEquals(pos, ChangelogPositions.decode(pos.encode()));
            });
    }

    @Test
    void refusesBytesNotInTheFormat() {
        byte[] good = new ChangelogPositions(1, Map.of(new TopicPartition("t", 1), 5L),
            Map.of("s", new ChangelogPositions.StoreOffset(3, false, false))).encode();
        assertThrows(IllegalArgumentException.class, () -> ChangelogPositions.decode("clicks-0@42".getBytes()));
        assertThrows(IllegalArgumentException.class, () -> ChangelogPositions.decode(Arrays.copyOf(good, good.length - 1)));
        assertThrows(IllegalArgumentException.class, () -> ChangelogPositions.decode(Arrays.copyOf(good, good.length + 1)));
        byte[] version = good.clone();
        version[4] = 9;
        assertThrows(IllegalArgumentException.class, () -> ChangelogPositions.decode(version));
        byte[] flags = good.clone();
        flags[flags.length - 1] = 8;
        assertThrows(IllegalArgumentException.class, () -> ChangelogPositions.decode(flags));
        assertThrows(IllegalArgumentException.class, () -> new ChangelogPositions.StoreOffset(-1, false, false));
        assertThrows(IllegalArgumentException.class, () -> new ChangelogPositions(0, Map.of(new TopicPartition("t", 0), -1L), Map.of()));
        assertThrows(NullPointerException.class, () -> new ChangelogPositions(0, null, Map.of()));
    }
}
