/**
 * Kafka changelog of a {@link io.offstate.engine.StateManager}'s stores.
 *
 * <ul>
 *   <li>{@link io.offstate.changelog.Changelog}: the facade: topics, assign/revoke with recovery,
 *       standbys, the processing loop's poll.</li>
 *   <li>{@link io.offstate.changelog.ChangelogPartition} and
 *       {@link io.offstate.changelog.ChangelogTransaction}: commits replicated to the changelog,
 *       at-least-once or exactly-once ({@link io.offstate.changelog.Guarantee}).</li>
 *   <li>{@link io.offstate.changelog.ChangelogPositions}: what a partition's state covers (input
 *       and changelog offsets), committed with the data; its binary format.</li>
 *   <li>{@link io.offstate.changelog.RestoreListener}, {@link io.offstate.changelog.RestoreProgress}:
 *       recovery progress.</li>
 *   <li>{@link io.offstate.changelog.GlobalTable}: every partition of a topic on every instance.</li>
 * </ul>
 *
 * Everything here is confined to one thread per instance (the consumer's), as the engine's
 * partitions are.
 */
package io.offstate.changelog;
