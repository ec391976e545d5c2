package io.offstate.engine.serde;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/** {@code byte[]} as itself. Reads copy. Stateless and thread-safe; use {@link Serdes#BYTES}. */
public final class BytesSerde implements Serde<byte[]> {
    BytesSerde() {
    }

    @Override
    public int sizeOf(byte[] value) {
        return value.length;
    }

    @Override
    public void write(byte[] value, MemorySegment target, long offset) {
        MemorySegment.copy(value, 0, target, ValueLayout.JAVA_BYTE, offset, value.length);
    }

    @Override
    public byte[] read(MemorySegment source, long offset, int length) {
        byte[] out = new byte[length];
        MemorySegment.copy(source, ValueLayout.JAVA_BYTE, offset, out, 0, length);
        return out;
    }
}
