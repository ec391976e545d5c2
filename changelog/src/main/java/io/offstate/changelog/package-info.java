/**
 * Kafka changelog of a {@link io.offstate.engine.StateManager}'s stores: topics, the change sink
 * that replicates commits, recovery on assign, exactly-once commits and the rebalance listener.
 */
package io.offstate.changelog;
