/**
 * Kafka changelog for offstate's {@link io.offstate.engine.StateManager}: every commit of a
 * partition's stores replicated to a compacted topic, recovery from it when a partition is assigned,
 * at-least-once or exactly-once (Kafka transactions), tied to a consumer's rebalances.
 */
module io.offstate.changelog {
    requires transitive io.offstate.engine;
    requires transitive kafka.clients;

    exports io.offstate.changelog;
}
