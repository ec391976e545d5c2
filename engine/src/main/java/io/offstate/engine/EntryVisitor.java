package io.offstate.engine;

import java.lang.foreign.MemorySegment;

/**
 * Receives the entries of {@link KeyValueStore#forEach}. The segments are read-only views valid only
 * during the call; copy what must outlive it.
 */
@FunctionalInterface
public interface EntryVisitor {
    /** Called once per entry. */
    void accept(MemorySegment key, MemorySegment value);
}
