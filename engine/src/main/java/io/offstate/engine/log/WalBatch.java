package io.offstate.engine.log;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.Objects;

/**
 * One replayed batch: its position and a zero-copy view of its payload in the mapped segment file.
 *
 * <p>A flyweight: {@link WriteAheadLog#replay} wraps one instance over each batch in turn, so it
 * and the {@link #payload()} segment are valid only during {@link BatchHandler#onBatch}; after it
 * returns, reads throw {@code IllegalStateException} (the mapping is closed) or see the next
 * batch. Not thread-safe: read it on the replaying thread.
 */
public final class WalBatch {
    private MemorySegment mapping = MemorySegment.NULL;
    private long payloadOffset;
    private int length;
    private long position;

    WalBatch() {
    }

    void wrap(MemorySegment mapping, long payloadOffset, int length, long position) {
        this.mapping = mapping;
        this.payloadOffset = payloadOffset;
        this.length = length;
        this.position = position;
    }

    /** The batch's position, as {@link WriteAheadLog#append} returned it. */
    public long position() {
        return position;
    }

    /** The position right after this batch: where a replay that has applied it goes on from. */
    public long nextPosition() {
        return position + WalFrameDescriptor.frameLength(length);
    }

    /** Payload length in bytes. */
    public int length() {
        return length;
    }

    /**
     * The payload byte at {@code index}.
     *
     * @throws IndexOutOfBoundsException if {@code index} is not in {@code 0..length()-1}
     */
    public byte getByte(int index) {
        Objects.checkIndex(index, length);
        return mapping.get(ValueLayout.JAVA_BYTE, payloadOffset + index);
    }

    /**
     * Copies {@code count} payload bytes from {@code srcIndex} into {@code dst} at {@code dstIndex}.
     *
     * @throws IndexOutOfBoundsException if a range is outside its array or the payload
     */
    public void copyTo(int srcIndex, byte[] dst, int dstIndex, int count) {
        Objects.checkFromIndexSize(srcIndex, count, length);
        Objects.checkFromIndexSize(dstIndex, count, dst.length);
        MemorySegment.copy(mapping, ValueLayout.JAVA_BYTE, payloadOffset + srcIndex, dst, dstIndex, count);
    }

    /** A copy of the payload (allocates; for tests and tools). */
    public byte[] toByteArray() {
        byte[] copy = new byte[length];
        copyTo(0, copy, 0, length);
        return copy;
    }

    /** A read-only view of the payload, valid during the callback only. */
    public MemorySegment payload() {
        return mapping.asSlice(payloadOffset, length).asReadOnly();
    }
}
