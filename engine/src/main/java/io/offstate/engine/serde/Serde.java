package io.offstate.engine.serde;

import java.lang.foreign.MemorySegment;

/**
 * Converts values of type {@code T} to and from bytes in off-heap (or heap) memory, for
 * {@link TypedStore}. Implementations write straight into the target segment, so encoding needs no
 * intermediate {@code byte[]}.
 *
 * <p>Implementations must be stateless or thread-safe, and deterministic: equal values must
 * encode to equal bytes (keys are compared byte for byte).
 *
 * @param <T> the Java type
 */
public interface Serde<T> {
    /** Exact number of bytes {@link #write} will produce for {@code value}. */
    int sizeOf(T value);

    /** Writes {@code value} at {@code target[offset ..]}; exactly {@link #sizeOf} bytes. */
    void write(T value, MemorySegment target, long offset);

    /**
     * Reads a value from the {@code length} bytes at {@code source[offset ..]}.
     *
     * @throws IllegalArgumentException if the bytes are not a valid encoding (wrong length)
     */
    T read(MemorySegment source, long offset, int length);
}
