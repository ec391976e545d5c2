/**
 * offstate's state engine: the {@link io.offstate.engine.KeyValueStore} users program against, its
 * zero-copy {@link io.offstate.engine.ValueView}, snapshots, typed access through serdes, transactions and the
 * write-ahead log, and time stores (timestamped, versioned, window, session, TTL, windowed aggregation).
 *
 * <p>Agrona is optional ({@code requires static}): it is needed only for {@code DirectBuffer} keys
 * and {@link io.offstate.engine.ValueView#buffer()} (a {@link io.offstate.engine.SegmentBuffer},
 * which reads through the segment: no {@code --add-exports} needed).
 */
module io.offstate.engine {
    requires transitive io.offstate.offheap;
    requires static org.agrona;

    exports io.offstate.engine;
    exports io.offstate.engine.serde;
    exports io.offstate.engine.log;
    exports io.offstate.engine.time;
}
