package io.offstate.offheap.index;

import io.offstate.offheap.ByteSource;

/**
 * What a {@link HashIndex} needs to know about the entries its slots point at. The index itself
 * stores only addresses and fingerprints; comparing keys and rehashing them during growth is
 * delegated here.
 *
 * <p>Threading: called on the writer thread only.
 */
public interface EntryKeys {
    /** Whether the entry at {@code address} has the key {@code key} (in its stored form). */
    boolean keyEquals(long address, ByteSource key);

    /** The hash of the key of the entry at {@code address}, as {@link ByteSource#hash} gave it at insert. */
    long hashOf(long address);

    /** Whether the entries at {@code a} and {@code b} have the same key (for {@link HashIndex#verify}). */
    boolean sameKey(long a, long b);
}
