/**
 * Time-based stores on top of offstate's key-value stores: timestamped, versioned, window and
 * session stores, key-value stores with per-entry TTL, and windowed aggregation.
 *
 * <h2>Conventions every store here follows</h2>
 * <ul>
 *   <li>A time store is a typed view over <em>one</em> {@link io.offstate.engine.KeyValueStore}
 *       (standalone or managed by a {@link io.offstate.engine.StatePartition}); it owns no memory of
 *       its own beyond small reused scratch buffers. Stores that scan by time need the backing store
 *       to have a sorted index and refuse one without it.</li>
 *   <li><b>Every write goes through a {@link io.offstate.engine.Transaction}</b>: so it is changelogged,
 *       logged, recovered and flushed exactly like a key-value write, and is all-or-nothing with the
 *       other writes of that transaction. Reads take the transaction too (read-your-writes) or
 *       {@code null} for the store's committed state.</li>
 *   <li>Time is event time: record timestamps and the stream time they drive (the largest timestamp
 *       a store has seen, committed with the data). Never the wall clock. Timestamps are
 *       non-negative milliseconds (negative ones are refused), so they are written big-endian in
 *       keys and byte order is time order.</li>
 *   <li>Expired data is invisible to reads the moment stream time passes its horizon; it is removed
 *       physically by a sweep whose work per write is bounded, so no single write pays for a large
 *       expiry.</li>
 *   <li>Key layout: one metadata entry at key {@code 0x00} (the store's kind and parameters, checked
 *       on every open, and its stream time); data keys start with {@code 0x01} or above.</li>
 *   <li>Results are read through reusable flyweights whose {@link io.offstate.engine.ValueView}s point
 *       into store memory (zero-copy, valid until the next step or write); puts and fetch steps
 *       allocate nothing.</li>
 *   <li>Bad input (null key, negative timestamp, inverted range, non-positive size, a retention that
 *       cannot hold a window, ...) throws a specific exception naming the value, and nothing is staged.</li>
 *   <li>Not thread-safe: a time-store object is used by the thread that owns its backing store.</li>
 * </ul>
 */
package io.offstate.engine.time;
