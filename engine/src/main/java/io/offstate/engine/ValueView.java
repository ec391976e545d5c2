package io.offstate.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

import org.agrona.DirectBuffer;

/**
 * A caller-owned, reusable, zero-copy view of one value in a {@link KeyValueStore}, filled by
 * {@link KeyValueStore#get(byte[], ValueView)}. Filling it allocates nothing and copies nothing.
 *
 * <h2>Lifetime</h2>
 * <ol>
 *   <li>A view is valid from the {@code get} that filled it <b>until the next write to that store</b>
 *       (put, delete, restore) or its close. Its accessors check this and throw
 *       {@link IllegalStateException} ("stale view") or
 *       {@link io.offstate.offheap.StoreClosedException} rather than read reused memory.</li>
 *   <li>Segments obtained from it ({@link #memory()}, {@link #segment()}) are not checked for
 *       staleness: do not keep them across writes. Once the memory behind them is released (the store
 *       closed, a large value deleted) they throw {@link IllegalStateException} on access (their
 *       arena is closed) rather than crash.</li>
 *   <li>The Agrona {@link #buffer()} is checked like the view itself: after a write it throws
 *       {@link IllegalStateException} ("stale"), after close
 *       {@link io.offstate.offheap.StoreClosedException}; it reads through the segment, so it cannot
 *       crash the JVM either.</li>
 * </ol>
 * The value is exposed read-only. Multi-byte accessors read little-endian.
 *
 * <p>Threading: confined to the store's thread, like the store.
 */
public final class ValueView {
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfLong LONG_BE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private KeyValueStore store;
    private long version;
    private MemorySegment memory;
    private long offset;
    private int length;
    private Object buffer; // a SegmentBuffer, created on first use; typed Object so Agrona stays optional

    /** Creates an empty view. */
    public ValueView() {
    }

    void set(KeyValueStore store, long version, MemorySegment memory, long offset, int length) {
        this.store = store;
        this.version = version;
        this.memory = memory;
        this.offset = offset;
        this.length = length;
    }

    /**
     * Points this view at {@code length} bytes of {@code source} starting at {@code offset}: a
     * zero-copy slice that is valid exactly as long as {@code source}'s current value is (time
     * stores use it to show the user key inside a composite key).
     *
     * @throws IllegalStateException     if {@code source} is empty or stale
     * @throws IndexOutOfBoundsException if the slice is not inside {@code source}
     */
    public ValueView wrapSlice(ValueView source, int offset, int length) {
        source.check();
        if (offset < 0 || length < 0 || offset > source.length - length) {
            throw new IndexOutOfBoundsException("slice [" + offset + ", " + offset + " + " + length
                + ") is outside a view of " + source.length + " bytes");
        }
        set(source.store, source.version, source.memory, source.offset + offset, length);
        return this;
    }

    void clear() {
        store = null;
        memory = null;
        offset = 0;
        length = 0;
    }

    /** Whether the view holds a value that is still valid (filled by a hit, no write since). */
    public boolean isValid() {
        return store != null && !store.isClosed() && store.version() == version;
    }

    private void check() {
        if (store == null) {
            throw new IllegalStateException("value view is empty: it was never filled or the last get missed");
        }
        store.ensureOpen();
        if (store.version() != version) {
            throw new IllegalStateException("value view is stale: store '" + store.name()
                + "' was written after the view was filled; call get again");
        }
    }

    /** Length of the value in bytes. */
    public int length() {
        check();
        return length;
    }

    /** Byte at {@code index} of the value. */
    public byte getByte(int index) {
        check();
        Objects.checkIndex(index, length);
        return memory.get(ValueLayout.JAVA_BYTE, offset + index);
    }

    /** Little-endian int at {@code index} of the value. */
    public int getInt(int index) {
        check();
        Objects.checkFromIndexSize(index, Integer.BYTES, length);
        return memory.get(INT_LE, offset + index);
    }

    /** Little-endian long at {@code index} of the value. */
    public long getLong(int index) {
        check();
        Objects.checkFromIndexSize(index, Long.BYTES, length);
        return memory.get(LONG_LE, offset + index);
    }

    /** Big-endian long at {@code index} of the value. */
    public long getLongBigEndian(int index) {
        check();
        Objects.checkFromIndexSize(index, Long.BYTES, length);
        return memory.get(LONG_BE, offset + index);
    }

    /**
     * The read-only segment (a whole page) that holds the value at {@link #offset()}; the
     * allocation-free way to read it with any layout.
     */
    public MemorySegment memory() {
        check();
        return memory;
    }

    /** Offset of the value inside {@link #memory()}. */
    public long offset() {
        check();
        return offset;
    }

    /** A read-only segment of exactly the value's bytes (a slice: no copy, one small object). */
    public MemorySegment segment() {
        check();
        return memory.asSlice(offset, length);
    }

    /**
     * The value as an Agrona {@link DirectBuffer} over the same memory (a {@link SegmentBuffer}): no
     * copy, and no allocation after the first call on this view, which re-points the same buffer.
     * It reads through the store's {@link MemorySegment}, and every read first checks, like this
     * view, that the store is open, owned by the calling thread and not written since this call: a
     * stale buffer throws {@link IllegalStateException}, a closed store's
     * {@link io.offstate.offheap.StoreClosedException}. Needs Agrona on the class/module path, and
     * no JVM flag (no {@code --add-exports}).
     */
    public DirectBuffer buffer() {
        check();
        buffer = SegmentBuffer.forView(buffer, store, version, memory, offset, length);
        return (DirectBuffer) buffer;
    }

    /** A copy of the value. */
    public byte[] toByteArray() {
        check();
        return memory.asSlice(offset, length).toArray(ValueLayout.JAVA_BYTE);
    }

    /** Copies the value into {@code target} at {@code targetOffset}. */
    public void copyTo(byte[] target, int targetOffset) {
        Objects.requireNonNull(target, "target");
        check();
        Objects.checkFromIndexSize(targetOffset, length, target.length);
        MemorySegment.copy(memory, ValueLayout.JAVA_BYTE, offset, target, targetOffset, length);
    }

    /** Whether the value's bytes equal {@code bytes}. */
    public boolean contentEquals(byte[] bytes) {
        Objects.requireNonNull(bytes, "bytes");
        check();
        return bytes.length == length
            && MemorySegment.mismatch(memory, offset, offset + length, MemorySegment.ofArray(bytes), 0, length) < 0;
    }

    @Override
    public String toString() {
        return isValid() ? "ValueView[length=" + length + "]" : "ValueView[empty or stale]";
    }
}
