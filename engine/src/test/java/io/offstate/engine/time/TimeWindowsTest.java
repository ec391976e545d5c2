package io.offstate.engine.time;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

final class TimeWindowsTest {
    private static void refused(String fragment, Executable e) {
        IllegalArgumentException x = assertThrows(IllegalArgumentException.class, e);
        assertTrue(x.getMessage().contains(fragment), x.getMessage());
    }

    @Test
    void factoriesDescribeTheWindows() {
        TimeWindows t = TimeWindows.tumbling(10).grace(3);
        assertEquals(TimeWindows.Kind.TUMBLING, t.kind());
        assertEquals(10, t.advance());
        assertEquals(3, t.grace());
        assertEquals(TimeWindows.Kind.HOPPING, TimeWindows.hopping(10, 4).kind());
        assertEquals(TimeWindows.Kind.TUMBLING, TimeWindows.hopping(10, 10).kind());
        assertEquals(TimeWindows.Kind.SLIDING, TimeWindows.sliding(5).kind());
    }

    @Test
    void badParametersAreRefusedNamingTheValue() {
        refused("window size must be positive: 0", () -> TimeWindows.tumbling(0));
        refused("window size must be positive: -5", () -> TimeWindows.sliding(-5));
        refused("window advance must be positive: 0", () -> TimeWindows.hopping(10, 0));
        refused("window advance 11 must not exceed the window size 10", () -> TimeWindows.hopping(10, 11));
        refused("grace period must not be negative: -1", () -> TimeWindows.tumbling(10).grace(-1));
    }
}
