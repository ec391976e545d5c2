package io.offstate.engine;

import org.agrona.concurrent.UnsafeBuffer;

/**
 * The only class that instantiates Agrona types. Kept apart so that stores used without Agrona
 * never load it (Agrona is an optional dependency).
 */
final class AgronaViews {
    private AgronaViews() {
    }

    /** Re-points {@code reuse} (an UnsafeBuffer, or null) at raw memory; returns the buffer. */
    static Object wrap(Object reuse, long address, int length) {
        if (reuse == null) {
            return new UnsafeBuffer(address, length);
        }
        UnsafeBuffer buffer = (UnsafeBuffer) reuse;
        buffer.wrap(address, length);
        return buffer;
    }
}
