/**
 * Shared vocabulary of the memory layer: the {@link io.offstate.offheap.ByteSource} flyweight that
 * names caller bytes without copying them, the seeded {@link io.offstate.offheap.Hashing} function,
 * {@link io.offstate.offheap.KeyComponent} for dictionary encoding, and the exceptions every layer
 * throws ({@link io.offstate.offheap.StoreFullException}, {@link io.offstate.offheap.StoreClosedException},
 * {@link io.offstate.offheap.CorruptStateException}).
 */
package io.offstate.offheap;
