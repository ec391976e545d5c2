package io.offstate.engine.time;

/**
 * The built-in {@link Aggregator}s. Each is a stateless singleton, safe to share; their state is
 * the slot layout given with each (little-endian, through {@link AggregationSlot}).
 *
 * <p>A window always holds at least one record, so no result below is of an empty window, except
 * where noted. Sums are plain double sums in arrival order.
 */
public final class Aggregators {
    private Aggregators() {
    }

    /** Number of records. Slot: count (long). */
    public static Aggregator count() {
        return Builtin.COUNT;
    }

    /** Sum of the values. Slot: sum (double). */
    public static Aggregator sum() {
        return Builtin.SUM;
    }

    /** Smallest value. Slot: min (double, +∞ initially). */
    public static Aggregator min() {
        return Builtin.MIN;
    }

    /** Largest value. Slot: max (double, −∞ initially). */
    public static Aggregator max() {
        return Builtin.MAX;
    }

    /** Arithmetic mean, {@code sum / count}. Slot: count (long), sum (double). */
    public static Aggregator mean() {
        return Builtin.MEAN;
    }

    /**
     * Sample standard deviation, {@code sqrt((Σx² − (Σx)²/n) / (n − 1))}; NaN for fewer than two
     * records. Slot: count (long), sum, sum of squares (doubles).
     */
    public static Aggregator stdDevSample() {
        return Builtin.STDDEV_SAMPLE;
    }

    /** Population standard deviation, {@code sqrt((Σx² − (Σx)²/n) / n)}. Slot as {@link #stdDevSample()}. */
    public static Aggregator stdDevPopulation() {
        return Builtin.STDDEV_POPULATION;
    }

    /** The value of the first record to arrive. Slot: seen flag (long), value (double). */
    public static Aggregator first() {
        return Builtin.FIRST;
    }

    /** The value of the last record to arrive. Slot: value (double). */
    public static Aggregator last() {
        return Builtin.LAST;
    }

    /** The value with the smallest timestamp (the first to arrive among equal ones). Slot: timestamp (long), value (double). */
    public static Aggregator earliest() {
        return Builtin.EARLIEST;
    }

    /** The value with the largest timestamp (the last to arrive among equal ones). Slot: timestamp (long), value (double). */
    public static Aggregator latest() {
        return Builtin.LATEST;
    }

    /** {@code sqrt} of the variance from count, sum and sum of squares; shared so tests compute the same bits. */
    static double stdDev(long n, double sum, double sumSquares, boolean sample) {
        long divisor = sample ? n - 1 : n;
        if (divisor <= 0) {
            return Double.NaN;
        }
        double variance = (sumSquares - sum * sum / n) / divisor;
        return Math.sqrt(Math.max(0.0, variance)); // rounding can make a zero variance slightly negative
    }

    /** Enum constants, so {@link Aggregator#name()} is the constant's (final) {@link Enum#name()}. */
    private enum Builtin implements Aggregator {
        COUNT(8) {
            public void init(AggregationSlot s) {
                s.putLong(0, 0);
            }

            public void add(AggregationSlot s, double v, long ts) {
                s.putLong(0, s.getLong(0) + 1);
            }

            public double result(AggregationSlot s) {
                return s.getLong(0);
            }
        },
        SUM(8) {
            public void init(AggregationSlot s) {
                s.putDouble(0, 0.0);
            }

            public void add(AggregationSlot s, double v, long ts) {
                s.putDouble(0, s.getDouble(0) + v);
            }

            public double result(AggregationSlot s) {
                return s.getDouble(0);
            }
        },
        MIN(8) {
            public void init(AggregationSlot s) {
                s.putDouble(0, Double.POSITIVE_INFINITY);
            }

            public void add(AggregationSlot s, double v, long ts) {
                s.putDouble(0, Math.min(s.getDouble(0), v));
            }

            public double result(AggregationSlot s) {
                return s.getDouble(0);
            }
        },
        MAX(8) {
            public void init(AggregationSlot s) {
                s.putDouble(0, Double.NEGATIVE_INFINITY);
            }

            public void add(AggregationSlot s, double v, long ts) {
                s.putDouble(0, Math.max(s.getDouble(0), v));
            }

            public double result(AggregationSlot s) {
                return s.getDouble(0);
            }
        },
        MEAN(16) {
            public void init(AggregationSlot s) {
                s.putLong(0, 0).putDouble(8, 0.0);
            }

            public void add(AggregationSlot s, double v, long ts) {
                s.putLong(0, s.getLong(0) + 1).putDouble(8, s.getDouble(8) + v);
            }

            public double result(AggregationSlot s) {
                long n = s.getLong(0);
                return n == 0 ? Double.NaN : s.getDouble(8) / n;
            }
        },
        STDDEV_SAMPLE(24) {
            public void init(AggregationSlot s) {
                initMoments(s);
            }

            public void add(AggregationSlot s, double v, long ts) {
                addMoments(s, v);
            }

            public double result(AggregationSlot s) {
                return stdDev(s.getLong(0), s.getDouble(8), s.getDouble(16), true);
            }
        },
        STDDEV_POPULATION(24) {
            public void init(AggregationSlot s) {
                initMoments(s);
            }

            public void add(AggregationSlot s, double v, long ts) {
                addMoments(s, v);
            }

            public double result(AggregationSlot s) {
                return stdDev(s.getLong(0), s.getDouble(8), s.getDouble(16), false);
            }
        },
        FIRST(16) {
            public void init(AggregationSlot s) {
                s.putLong(0, 0).putDouble(8, Double.NaN);
            }

            public void add(AggregationSlot s, double v, long ts) {
                if (s.getLong(0) == 0) {
                    s.putLong(0, 1).putDouble(8, v);
                }
            }

            public double result(AggregationSlot s) {
                return s.getDouble(8);
            }
        },
        LAST(8) {
            public void init(AggregationSlot s) {
                s.putDouble(0, Double.NaN);
            }

            public void add(AggregationSlot s, double v, long ts) {
                s.putDouble(0, v);
            }

            public double result(AggregationSlot s) {
                return s.getDouble(0);
            }
        },
        EARLIEST(16) {
            public void init(AggregationSlot s) {
                s.putLong(0, Long.MAX_VALUE).putDouble(8, Double.NaN);
            }

            public void add(AggregationSlot s, double v, long ts) {
                if (ts < s.getLong(0)) {
                    s.putLong(0, ts).putDouble(8, v);
                }
            }

            public double result(AggregationSlot s) {
                return s.getDouble(8);
            }
        },
        LATEST(16) {
            public void init(AggregationSlot s) {
                s.putLong(0, Long.MIN_VALUE).putDouble(8, Double.NaN);
            }

            public void add(AggregationSlot s, double v, long ts) {
                if (ts >= s.getLong(0)) {
                    s.putLong(0, ts).putDouble(8, v);
                }
            }

            public double result(AggregationSlot s) {
                return s.getDouble(8);
            }
        };

        private final int width;

        Builtin(int width) {
            this.width = width;
        }

        @Override
        public int width() {
            return width;
        }

        static void initMoments(AggregationSlot s) {
            s.putLong(0, 0).putDouble(8, 0.0).putDouble(16, 0.0);
        }

        static void addMoments(AggregationSlot s, double v) {
            s.putLong(0, s.getLong(0) + 1).putDouble(8, s.getDouble(8) + v).putDouble(16, s.getDouble(16) + v * v);
        }
    }
}
