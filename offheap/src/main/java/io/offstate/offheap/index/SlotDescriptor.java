package io.offstate.offheap.index;

import io.offstate.offheap.memory.PagedMemory;

/**
 * Layout of one 8-byte slot of a {@link HashIndex} table.
 *
 * <pre>
 *   63          52 51          40 39                               0
 *  +--------------+--------------+----------------------------------+
 *  | fingerprint  |  distance+1  |          entry address           |
 *  |   12 bits    |   12 bits    |            40 bits               |
 *  +--------------+--------------+----------------------------------+
 * </pre>
 * A slot of all zero bits is empty; an occupied slot always has a non-zero distance field, so no
 * live slot can look empty. The fingerprint is 12 low bits of the key's hash (the home slot comes
 * from the high bits), so a probe rejects a foreign key without touching its bytes in all but
 * 1 of 4096 cases. The distance is how far the slot is from the key's home slot, which Robin Hood
 * probing needs to stop a miss early and deletion needs to shift a chain back without rehashing.
 *
 * <p>Stateless and thread-safe.
 */
public final class SlotDescriptor {
    /** An empty slot. */
    public static final long EMPTY = 0L;
    /** Mask of the address field: an address has {@link PagedMemory#ADDRESS_BITS} bits. */
    public static final long ADDRESS_MASK = PagedMemory.MAX_ADDRESS;
    /** Shift of the distance field. */
    public static final int DISTANCE_SHIFT = PagedMemory.ADDRESS_BITS;
    /** One unit of the distance field, added to a slot to move it one place further from home. */
    public static final long DISTANCE_ONE = 1L << DISTANCE_SHIFT;
    /** Shift of the fingerprint field. */
    public static final int FINGERPRINT_SHIFT = 52;
    /** Largest value of the distance field (distance + 1). */
    public static final int MAX_DISTANCE = (1 << (FINGERPRINT_SHIFT - DISTANCE_SHIFT)) - 1;
    /** Most fingerprint bits a slot keeps (the default; fewer only to force collisions in tests). */
    public static final int MAX_FINGERPRINT_BITS = 64 - FINGERPRINT_SHIFT;
    /** Mask of a fingerprint value (before shifting). */
    public static final int FINGERPRINT_MASK = (1 << MAX_FINGERPRINT_BITS) - 1;

    private SlotDescriptor() {
    }

    /** Packs a slot; {@code distance} is the stored field (probe distance + 1, from 1). */
    public static long slot(int fingerprint, int distance, long address) {
        return ((long) fingerprint << FINGERPRINT_SHIFT) | ((long) distance << DISTANCE_SHIFT) | address;
    }

    /** The entry address of an occupied slot. */
    public static long address(long slot) {
        return slot & ADDRESS_MASK;
    }

    /** The stored distance field (probe distance + 1); 0 only for an empty slot. */
    public static int distance(long slot) {
        return (int) (slot >>> DISTANCE_SHIFT) & MAX_DISTANCE;
    }

    /** The fingerprint field. */
    public static int fingerprint(long slot) {
        return (int) (slot >>> FINGERPRINT_SHIFT);
    }

    /** The slot with its address replaced. */
    public static long withAddress(long slot, long address) {
        return (slot & ~ADDRESS_MASK) | address;
    }
}
