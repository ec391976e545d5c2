/**
 * Typed access: the {@link io.offstate.engine.serde.Serde} contract, built-in serdes for long, int,
 * UTF-8 String and byte[] ({@link io.offstate.engine.serde.Serdes}), and the
 * {@link io.offstate.engine.serde.TypedStore} wrapper with allocation-free primitive paths.
 */
package io.offstate.engine.serde;
