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
 *   <li>Segments and buffers obtained from it ({@link #memory()}, {@link #segment()},
 *       {@link #buffer()}) cannot be checked later: do not keep them across writes. Segments of a
 *       closed store throw on access; the Agrona {@link #buffer()} reads raw memory and must never be
 *       used after the store is closed.</li>
 * </ol>
 * The value is exposed read-only. Multi-byte accessors read little-endian.
 *
 * <p>Threading: confined to the store's thread, like the store.
 */
public final class ValueView {
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT_LE = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private KeyValueStore store;
    private long version;
    private MemorySegment memory;
    private long offset;
    private int length;
    private Object buffer; // an Agrona UnsafeBuffer, created on first use so Agrona stays optional

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
        return memory.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN), offset + index);
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
     * The value as an Agrona {@link DirectBuffer} over the same memory: no copy, and no allocation
     * after the first call on this view. Needs Agrona on the class/module path and, on JDK 25,
     * {@code --add-exports=java.base/jdk.internal.misc=ALL-UNNAMED} for Agrona's {@code UnsafeBuffer}.
     * The buffer reads raw memory: never use it after a write to, or close of, the store.
     */
    public DirectBuffer buffer() {
        check();
        buffer = AgronaViews.wrap(buffer, memory.address() + offset, length);
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
