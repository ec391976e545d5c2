/**
 * Off-heap memory of a store: {@link io.offstate.offheap.memory.PagedMemory} (pages behind a page
 * table, 40-bit position-independent addresses, a size-class block allocator that reuses freed
 * space) and {@link io.offstate.offheap.memory.MemoryBudget} (the hard per-store limit).
 */
package io.offstate.offheap.memory;
