/**
 * Finding entries: the Robin Hood {@link io.offstate.offheap.index.HashIndex} with incremental
 * growth, the slot and entry layouts ({@link io.offstate.offheap.index.SlotDescriptor},
 * {@link io.offstate.offheap.index.EntryDescriptor}), the {@link io.offstate.offheap.index.EntryMap}
 * that combines them with {@link io.offstate.offheap.memory.PagedMemory}, the optional
 * {@link io.offstate.offheap.index.SortedIndex} (a B+tree over entry addresses, laid out by
 * {@link io.offstate.offheap.index.NodeDescriptor}) for ordered scans, and the
 * {@link io.offstate.offheap.index.KeyDictionary}.
 */
package io.offstate.offheap.index;
