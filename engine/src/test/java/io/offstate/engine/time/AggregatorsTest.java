package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

final class AggregatorsTest {
    private static final double[] VALUES = {4, -2, 7, 7, 1};
    private static final long[] TIMES = {30, 10, 50, 20, 50};

    private static double run(Aggregator a) {
        return run(a, VALUES, TIMES);
    }

    private static double run(Aggregator a, double[] values, long[] times) {
        byte[] bytes = new byte[a.width() + 3];
        AggregationSlot slot = new AggregationSlot().wrap(bytes, 3, a.width()); // at an offset, as in a composite
        a.init(slot);
        for (int i = 0; i < values.length; i++) {
            a.add(slot, values[i], times[i]);
        }
        return a.result(slot);
    }

    @Test
    void builtInsGiveExactResults() {
        assertEquals(5.0, run(Aggregators.count()));
        assertEquals(17.0, run(Aggregators.sum()));
        assertEquals(-2.0, run(Aggregators.min()));
        assertEquals(7.0, run(Aggregators.max()));
        assertEquals(3.4, run(Aggregators.mean()));
        // Σx = 17, Σx² = 119, n = 5: (119 − 57.8) / 4 = 15.3, / 5 = 12.24
        assertEquals(Math.sqrt(15.3), run(Aggregators.stdDevSample()), 1e-12);
        assertEquals(Math.sqrt(12.24), run(Aggregators.stdDevPopulation()), 1e-12);
        assertEquals(4.0, run(Aggregators.first()));
        assertEquals(1.0, run(Aggregators.last()));
        assertEquals(-2.0, run(Aggregators.earliest()));
        assertEquals(1.0, run(Aggregators.latest()), "ties on the latest timestamp: the last to arrive");
    }

    @Test
    void earliestKeepsTheFirstArrivalAmongEqualTimestamps() {
        assertEquals(5.0, run(Aggregators.earliest(), new double[] {5, 6}, new long[] {3, 3}));
    }

    @Test
    void standardDeviationOfOneRecord() {
        assertTrue(Double.isNaN(run(Aggregators.stdDevSample(), new double[] {3}, new long[] {0})));
        assertEquals(0.0, run(Aggregators.stdDevPopulation(), new double[] {3}, new long[] {0}));
        assertEquals(0.0, run(Aggregators.stdDevPopulation(), new double[] {0.1, 0.1, 0.1}, new long[] {0, 0, 0}),
            "rounding never makes the variance negative");
    }

    @Test
    void slotRefusesOffsetsOutsideItsWidth() {
        AggregationSlot slot = new AggregationSlot().wrap(new byte[32], 8, 8);
        slot.putLong(0, 7);
        assertEquals(7, slot.getLong(0));
        IndexOutOfBoundsException e = assertThrows(IndexOutOfBoundsException.class, () -> slot.putDouble(4, 1.0));
        assertTrue(e.getMessage().contains("offset 4"), e.getMessage());
        assertThrows(IndexOutOfBoundsException.class, () -> slot.getLong(-1));
    }

    @Test
    void builtInNamesAreStable() {
        assertEquals("COUNT", Aggregators.count().name());
        assertEquals("STDDEV_SAMPLE", Aggregators.stdDevSample().name());
    }
}
