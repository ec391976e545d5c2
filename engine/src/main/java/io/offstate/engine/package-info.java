/**
 * The state engine: {@link io.offstate.engine.KeyValueStore} (off-heap key-value store, single
 * writer), {@link io.offstate.engine.StoreOptions}, zero-copy {@link io.offstate.engine.ValueView},
 * {@link io.offstate.engine.StoreSnapshot} for snapshot and restore.
 */
package io.offstate.engine;
