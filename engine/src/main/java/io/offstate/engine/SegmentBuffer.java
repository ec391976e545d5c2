package io.offstate.engine;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Objects;

import org.agrona.DirectBuffer;
import org.agrona.LangUtil;
import org.agrona.MutableDirectBuffer;

/**
 * A read-only Agrona {@link DirectBuffer} that reads through a {@link MemorySegment}, so that no
 * read can touch memory that is gone: what {@link ValueView#buffer()} returns.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Same answers as Agrona's {@code UnsafeBuffer}</b> over the same bytes: every getter, in
 *       native order or the order given, the ASCII/UTF-8 string getters, the ASCII number parsers
 *       (same results, same {@link org.agrona.AsciiNumberFormatException}s), {@link #compareTo}, {@link #equals}
 *       and {@link #hashCode}. An index outside {@code [0, capacity())} throws
 *       {@link IndexOutOfBoundsException}. Bounds are <b>always</b> checked: Agrona's
 *       {@code agrona.disable.bounds.checks} has no effect here, since an unchecked read is exactly
 *       what could crash the JVM.</li>
 *   <li><b>A view's buffer is guarded.</b> The buffer of a {@link ValueView} remembers the store
 *       and its write count when {@link ValueView#buffer()} pointed it; every method that reads
 *       (and {@link #capacity()}, {@link #addressOffset()}, {@link #boundsCheck}) first throws
 *       {@link io.offstate.offheap.StoreClosedException} if that store was closed,
 *       {@link WrongThreadException} if called from a thread that does not own it, and
 *       {@link IllegalStateException} ("stale") if the store was written since, exactly like the
 *       view. Memory freed since (a deleted large value, a closed store) is therefore never read;
 *       and if it were, the segment's own scope check would throw {@link IllegalStateException}
 *       rather than crash.</li>
 *   <li><b>Any segment can be wrapped</b> ({@link #wrap(MemorySegment)},
 *       {@link #wrap(MemorySegment, long, int)}), native or heap; the segment's own bounds, scope
 *       and thread checks apply. {@link #wrap(byte[])} and {@link #wrap(ByteBuffer)} wrap heap or
 *       buffer segments (allocating one small segment object); {@link #wrap(DirectBuffer)} shares
 *       another {@code SegmentBuffer}'s segment (and guard), or wraps another buffer's
 *       {@code byte[]}/{@code ByteBuffer}. Wrapping a <b>raw address</b> ({@link #wrap(long, int)},
 *       or a {@code DirectBuffer} over one) throws {@link UnsupportedOperationException}: a raw
 *       address cannot be checked — use Agrona's {@code UnsafeBuffer} for that, knowingly. A
 *       re-wrap drops the view guard.</li>
 *   <li><b>No backing array or {@code ByteBuffer} is exposed</b> ({@link #byteArray()},
 *       {@link #byteBuffer()} return {@code null}, {@link #wrapAdjustment()} 0): the bytes are read
 *       only through this buffer's methods. {@link #addressOffset()} returns the native address of
 *       byte 0 (after the guard check), so that Agrona code such as
 *       {@code UnsafeBuffer.putBytes(index, thisBuffer, ...)} keeps working at the moment of the call;
 *       for a heap segment it throws {@link UnsupportedOperationException}. To copy out, prefer
 *       {@link #getBytes(int, MutableDirectBuffer, int, int)}, which reads through the segment.</li>
 * </ol>
 *
 * <p>Threading: not thread-safe (a flyweight, re-pointed by its owner); a view's buffer is confined
 * to the store's thread. Memory: the buffer owns nothing; the segment's owner decides its lifetime.
 * Getters of primitives allocate nothing; string getters allocate their result.
 */
public final class SegmentBuffer implements DirectBuffer {
    private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
    private static final ByteOrder SWAPPED = NATIVE == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
    private static final ValueLayout.OfLong LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(NATIVE);
    private static final ValueLayout.OfLong LONG_SWAPPED = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(SWAPPED);
    private static final ValueLayout.OfLong LONG_LE = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(NATIVE);
    private static final ValueLayout.OfInt INT_SWAPPED = ValueLayout.JAVA_INT_UNALIGNED.withOrder(SWAPPED);
    private static final ValueLayout.OfShort SHORT = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(NATIVE);
    private static final ValueLayout.OfShort SHORT_SWAPPED = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(SWAPPED);
    private static final ValueLayout.OfChar CHAR = ValueLayout.JAVA_CHAR_UNALIGNED.withOrder(NATIVE);
    private static final ValueLayout.OfChar CHAR_SWAPPED = ValueLayout.JAVA_CHAR_UNALIGNED.withOrder(SWAPPED);
    private static final ValueLayout.OfFloat FLOAT = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(NATIVE);
    private static final ValueLayout.OfFloat FLOAT_SWAPPED = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(SWAPPED);
    private static final ValueLayout.OfDouble DOUBLE = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(NATIVE);
    private static final ValueLayout.OfDouble DOUBLE_SWAPPED = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(SWAPPED);
    private static final MemorySegment EMPTY = MemorySegment.ofArray(new byte[0]).asReadOnly();

    private MemorySegment segment = EMPTY;
    /** Offset of this buffer's byte 0 in {@link #segment}. */
    private long base;
    private int capacity;
    /** The store whose view this buffer shows, or null when not a view's buffer. */
    private KeyValueStore store;
    /** The store's write count when this buffer was pointed at the view's value. */
    private long version;

    /** An empty buffer (capacity 0); wrap it before use. */
    public SegmentBuffer() {
    }

    /** A buffer over all of {@code segment} (at most {@link Integer#MAX_VALUE} bytes). */
    public SegmentBuffer(MemorySegment segment) {
        wrap(segment);
    }

    /** A buffer over {@code length} bytes of {@code segment} at {@code offset}. */
    public SegmentBuffer(MemorySegment segment, long offset, int length) {
        wrap(segment, offset, length);
    }

    /**
     * Re-points {@code reuse} (a SegmentBuffer, or null for a new one) at a view's value, guarded by
     * {@code store} at write count {@code version}; returns the buffer. Typed {@code Object} so
     * that {@link ValueView} links without Agrona on the path.
     */
    static Object forView(Object reuse, KeyValueStore store, long version, MemorySegment memory, long offset, int length) {
        SegmentBuffer buffer = reuse == null ? new SegmentBuffer() : (SegmentBuffer) reuse;
        // reference stores cost GC barriers: skip the ones that would not change anything
        if (buffer.segment != memory) {
            buffer.segment = memory;
        }
        if (buffer.store != store) {
            buffer.store = store;
        }
        buffer.base = offset;
        buffer.capacity = length;
        buffer.version = version;
        return buffer;
    }

    // ---------------------------------------------------------------- wrapping

    /** Points this buffer at all of {@code segment}; drops any view guard. */
    public void wrap(MemorySegment segment) {
        Objects.requireNonNull(segment, "segment");
        if (segment.byteSize() > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("segment of " + segment.byteSize()
                + " bytes is larger than a DirectBuffer can address (" + Integer.MAX_VALUE + " bytes)");
        }
        point(segment, 0, (int) segment.byteSize());
    }

    /** Points this buffer at {@code length} bytes of {@code segment} at {@code offset}; drops any view guard. */
    public void wrap(MemorySegment segment, long offset, int length) {
        Objects.requireNonNull(segment, "segment");
        Objects.checkFromIndexSize(offset, length, segment.byteSize());
        point(segment, offset, length);
    }

    /** Wraps a heap segment over {@code buffer} (one small allocation); drops any view guard. */
    @Override
    public void wrap(byte[] buffer) {
        point(MemorySegment.ofArray(buffer), 0, buffer.length);
    }

    /** Wraps a heap segment over {@code length} bytes of {@code buffer} at {@code offset}; drops any view guard. */
    @Override
    public void wrap(byte[] buffer, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buffer.length);
        point(MemorySegment.ofArray(buffer), offset, length);
    }

    /** Wraps {@code buffer} from index 0 to its capacity, like {@code UnsafeBuffer} (position and limit ignored). */
    @Override
    public void wrap(ByteBuffer buffer) {
        point(wholeBuffer(buffer), 0, buffer.capacity());
    }

    /** Wraps {@code length} bytes of {@code buffer} from absolute index {@code offset}. */
    @Override
    public void wrap(ByteBuffer buffer, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buffer.capacity());
        point(wholeBuffer(buffer), offset, length);
    }

    /**
     * Shares another {@code SegmentBuffer}'s segment and guard, or wraps another buffer's
     * {@code byte[]} or {@code ByteBuffer}.
     *
     * @throws UnsupportedOperationException if {@code buffer} is over a raw address
     */
    @Override
    public void wrap(DirectBuffer buffer) {
        wrap(buffer, 0, buffer.capacity());
    }

    /** As {@link #wrap(DirectBuffer)}, over {@code length} bytes of {@code buffer} at {@code offset}. */
    @Override
    public void wrap(DirectBuffer buffer, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, buffer.capacity());
        if (buffer instanceof SegmentBuffer other) {
            other.check();
            MemorySegment s = other.segment;
            long b = other.base + offset;
            KeyValueStore guard = other.store;
            long v = other.version;
            point(s, b, length);
            this.store = guard;
            this.version = v;
            return;
        }
        byte[] array = buffer.byteArray();
        ByteBuffer byteBuffer = buffer.byteBuffer();
        if (array != null) {
            point(MemorySegment.ofArray(array), (long) buffer.wrapAdjustment() + offset, length);
        } else if (byteBuffer != null) {
            point(wholeBuffer(byteBuffer), (long) buffer.wrapAdjustment() + offset, length);
        } else {
            throw rawAddress();
        }
    }

    /**
     * Always throws: a raw address cannot be checked, so reading it could crash the JVM.
     *
     * @throws UnsupportedOperationException always
     */
    @Override
    public void wrap(long address, int length) {
        throw rawAddress();
    }

    private static UnsupportedOperationException rawAddress() {
        return new UnsupportedOperationException("SegmentBuffer reads only through a MemorySegment and cannot wrap a raw "
            + "address (it could not check it); wrap a MemorySegment you own, or use Agrona's UnsafeBuffer knowingly");
    }

    private static MemorySegment wholeBuffer(ByteBuffer buffer) {
        // UnsafeBuffer wraps a ByteBuffer from index 0 to its capacity, whatever its position and limit
        return MemorySegment.ofBuffer(buffer.slice(0, buffer.capacity()));
    }

    private void point(MemorySegment segment, long base, int capacity) {
        this.segment = segment;
        this.base = base;
        this.capacity = capacity;
        this.store = null;
        this.version = 0;
    }

    // ---------------------------------------------------------------- identity and checks

    /**
     * Throws unless a view's buffer may still be read: the store open, called by its owner, not
     * written since the buffer was pointed.
     */
    private void check() {
        final KeyValueStore s = store;
        if (s != null) {
            s.ensureOpen();
            if (s.version() != version) {
                throw new IllegalStateException("value view buffer is stale: store '" + s.name()
                    + "' was written after the view was filled; call get and buffer() again");
            }
        }
    }

    private void checkRange(int index, int length) {
        check();
        Objects.checkFromIndexSize(index, length, capacity);
    }

    /**
     * The native address of byte 0, valid only until the next write to or close of a view's store.
     *
     * @throws UnsupportedOperationException for a heap segment, which has no address Agrona could use
     */
    @Override
    public long addressOffset() {
        check();
        if (!segment.isNative()) {
            throw new UnsupportedOperationException("this SegmentBuffer reads a heap segment, which has no raw address; "
                + "copy out with getBytes(index, dst, dstIndex, length)");
        }
        return segment.address() + base;
    }

    /** Always {@code null}: the bytes are read only through this buffer. */
    @Override
    public byte[] byteArray() {
        return null;
    }

    /** Always {@code null}: the bytes are read only through this buffer. */
    @Override
    public ByteBuffer byteBuffer() {
        return null;
    }

    /** Always 0 (no backing array or {@code ByteBuffer} is exposed). */
    @Override
    public int wrapAdjustment() {
        return 0;
    }

    @Override
    public int capacity() {
        check();
        return capacity;
    }

    @Override
    public void checkLimit(int limit) {
        check();
        if (limit > capacity) {
            throw new IndexOutOfBoundsException("limit=" + limit + " is beyond capacity=" + capacity);
        }
    }

    @Override
    public void boundsCheck(int index, int length) {
        checkRange(index, length);
    }

    // ---------------------------------------------------------------- primitives

    @Override
    public long getLong(int index, ByteOrder byteOrder) {
        checkRange(index, Long.BYTES);
        return segment.get(byteOrder == NATIVE ? LONG : LONG_SWAPPED, base + index);
    }

    @Override
    public long getLong(int index) {
        checkRange(index, Long.BYTES);
        return segment.get(LONG, base + index);
    }

    @Override
    public int getInt(int index, ByteOrder byteOrder) {
        checkRange(index, Integer.BYTES);
        return segment.get(byteOrder == NATIVE ? INT : INT_SWAPPED, base + index);
    }

    @Override
    public int getInt(int index) {
        checkRange(index, Integer.BYTES);
        return segment.get(INT, base + index);
    }

    @Override
    public double getDouble(int index, ByteOrder byteOrder) {
        checkRange(index, Double.BYTES);
        return segment.get(byteOrder == NATIVE ? DOUBLE : DOUBLE_SWAPPED, base + index);
    }

    @Override
    public double getDouble(int index) {
        checkRange(index, Double.BYTES);
        return segment.get(DOUBLE, base + index);
    }

    @Override
    public float getFloat(int index, ByteOrder byteOrder) {
        checkRange(index, Float.BYTES);
        return segment.get(byteOrder == NATIVE ? FLOAT : FLOAT_SWAPPED, base + index);
    }

    @Override
    public float getFloat(int index) {
        checkRange(index, Float.BYTES);
        return segment.get(FLOAT, base + index);
    }

    @Override
    public short getShort(int index, ByteOrder byteOrder) {
        checkRange(index, Short.BYTES);
        return segment.get(byteOrder == NATIVE ? SHORT : SHORT_SWAPPED, base + index);
    }

    @Override
    public short getShort(int index) {
        checkRange(index, Short.BYTES);
        return segment.get(SHORT, base + index);
    }

    @Override
    public char getChar(int index, ByteOrder byteOrder) {
        checkRange(index, Character.BYTES);
        return segment.get(byteOrder == NATIVE ? CHAR : CHAR_SWAPPED, base + index);
    }

    @Override
    public char getChar(int index) {
        checkRange(index, Character.BYTES);
        return segment.get(CHAR, base + index);
    }

    @Override
    public byte getByte(int index) {
        checkRange(index, Byte.BYTES);
        return segment.get(ValueLayout.JAVA_BYTE, base + index);
    }

    // ---------------------------------------------------------------- bulk copies

    @Override
    public void getBytes(int index, byte[] dst) {
        getBytes(index, dst, 0, dst.length);
    }

    @Override
    public void getBytes(int index, byte[] dst, int offset, int length) {
        checkRange(index, length);
        Objects.checkFromIndexSize(offset, length, dst.length);
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, base + index, dst, offset, length);
    }

    /**
     * Copies through {@code dstBuffer}'s own put methods (Agrona's buffers would otherwise read this
     * one's raw address); checks the destination range first unless it is expandable.
     */
    @Override
    public void getBytes(int index, MutableDirectBuffer dstBuffer, int dstIndex, int length) {
        checkRange(index, length);
        if (!dstBuffer.isExpandable()) {
            dstBuffer.boundsCheck(dstIndex, length);
            byte[] array = dstBuffer.byteArray();
            if (array != null) {
                MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, base + index, array,
                    dstBuffer.wrapAdjustment() + dstIndex, length);
                return;
            }
        }
        final long from = base + index;
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES) {
            dstBuffer.putLong(dstIndex + i, segment.get(LONG_LE, from + i), ByteOrder.LITTLE_ENDIAN);
        }
        for (; i < length; i++) {
            dstBuffer.putByte(dstIndex + i, segment.get(ValueLayout.JAVA_BYTE, from + i));
        }
    }

    @Override
    public void getBytes(int index, ByteBuffer dstBuffer, int length) {
        final int dstOffset = dstBuffer.position();
        getBytes(index, dstBuffer, dstOffset, length);
        dstBuffer.position(dstOffset + length);
    }

    /** Copies to {@code dstBuffer} at absolute index {@code dstOffset} (its position and limit are ignored, as in Agrona). */
    @Override
    public void getBytes(int index, ByteBuffer dstBuffer, int dstOffset, int length) {
        checkRange(index, length);
        Objects.checkFromIndexSize(dstOffset, length, dstBuffer.capacity());
        final long from = base + index;
        if (dstBuffer.hasArray()) {
            MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, from, dstBuffer.array(),
                dstBuffer.arrayOffset() + dstOffset, length);
            return;
        }
        // absolute puts: no ByteBuffer or segment allocated; a read-only target throws ReadOnlyBufferException
        final ValueLayout.OfLong order = dstBuffer.order() == ByteOrder.LITTLE_ENDIAN ? LONG_LE
            : ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.BIG_ENDIAN);
        int i = 0;
        for (; i + Long.BYTES <= length; i += Long.BYTES) {
            dstBuffer.putLong(dstOffset + i, segment.get(order, from + i));
        }
        for (; i < length; i++) {
            dstBuffer.put(dstOffset + i, segment.get(ValueLayout.JAVA_BYTE, from + i));
        }
    }

    // ---------------------------------------------------------------- strings

    @Override
    public String getStringAscii(int index) {
        return getStringAscii(index, NATIVE);
    }

    @Override
    public int getStringAscii(int index, Appendable appendable) {
        return getStringAscii(index, appendable, NATIVE);
    }

    @Override
    public String getStringAscii(int index, ByteOrder byteOrder) {
        final int length = getInt(index, byteOrder);
        return length == 0 ? "" : getStringWithoutLengthAscii(index + STR_HEADER_LEN, length);
    }

    @Override
    public int getStringAscii(int index, Appendable appendable, ByteOrder byteOrder) {
        final int length = getInt(index, byteOrder);
        return length == 0 ? 0 : getStringWithoutLengthAscii(index + STR_HEADER_LEN, length, appendable);
    }

    @Override
    public String getStringAscii(int index, int length) {
        checkRange(index + STR_HEADER_LEN, length);
        return length == 0 ? "" : string(index + STR_HEADER_LEN, length, StandardCharsets.US_ASCII);
    }

    @Override
    public int getStringAscii(int index, int length, Appendable appendable) {
        // Agrona checks [index, index + 4 + length) here, unlike the String variant
        checkRange(index, length + STR_HEADER_LEN);
        appendAscii(index + STR_HEADER_LEN, length, appendable);
        return length;
    }

    @Override
    public String getStringWithoutLengthAscii(int index, int length) {
        checkRange(index, length);
        return length == 0 ? "" : string(index, length, StandardCharsets.US_ASCII);
    }

    @Override
    public int getStringWithoutLengthAscii(int index, int length, Appendable appendable) {
        checkRange(index, length);
        appendAscii(index, length, appendable);
        return length;
    }

    @Override
    public String getStringUtf8(int index) {
        return getStringUtf8(index, NATIVE);
    }

    @Override
    public String getStringUtf8(int index, ByteOrder byteOrder) {
        final int length = getInt(index, byteOrder);
        return length == 0 ? "" : getStringWithoutLengthUtf8(index + STR_HEADER_LEN, length);
    }

    @Override
    public String getStringUtf8(int index, int length) {
        checkRange(index + STR_HEADER_LEN, length);
        return string(index + STR_HEADER_LEN, length, StandardCharsets.UTF_8);
    }

    @Override
    public String getStringWithoutLengthUtf8(int index, int length) {
        checkRange(index, length);
        return length == 0 ? "" : string(index, length, StandardCharsets.UTF_8);
    }

    private String string(int index, int length, java.nio.charset.Charset charset) {
        byte[] bytes = new byte[length];
        MemorySegment.copy(segment, ValueLayout.JAVA_BYTE, base + index, bytes, 0, length);
        return new String(bytes, charset);
    }

    private void appendAscii(int index, int length, Appendable appendable) {
        try {
            for (int i = index, limit = index + length; i < limit; i++) {
                final char c = (char) segment.get(ValueLayout.JAVA_BYTE, base + i);
                appendable.append(c > 127 ? '?' : c);
            }
        } catch (IOException e) {
            LangUtil.rethrowUnchecked(e); // as Agrona: the IOException itself, unwrapped
        }
    }

    // ---------------------------------------------------------------- ASCII numbers

    @Override
    public int parseNaturalIntAscii(int index, int length) {
        checkRange(index, length);
        return AsciiNumbers.parseNaturalInt(segment, base, index, length);
    }

    @Override
    public long parseNaturalLongAscii(int index, int length) {
        checkRange(index, length);
        return AsciiNumbers.parseNaturalLong(segment, base, index, length);
    }

    @Override
    public int parseIntAscii(int index, int length) {
        checkRange(index, length);
        return AsciiNumbers.parseInt(segment, base, index, length);
    }

    @Override
    public long parseLongAscii(int index, int length) {
        checkRange(index, length);
        return AsciiNumbers.parseLong(segment, base, index, length);
    }

    private byte byteAt(int i) {
        return segment.get(ValueLayout.JAVA_BYTE, base + i);
    }

    // ---------------------------------------------------------------- comparison

    /**
     * Agrona's order, reproduced exactly: native-order signed longs 8 bytes at a time, then signed
     * bytes, then the shorter first. {@code that} is read through its own getters.
     */
    @Override
    public int compareTo(DirectBuffer that) {
        if (this == that) {
            return 0;
        }
        check();
        final int thisCapacity = capacity;
        final int thatCapacity = that.capacity();
        final int length = Math.min(thisCapacity, thatCapacity);
        int i = 0;
        for (int end = length & ~7; i < end; i += 8) {
            final int cmp = Long.compare(segment.get(LONG, base + i), that.getLong(i));
            if (cmp != 0) {
                return cmp;
            }
        }
        for (; i < length; i++) {
            final int cmp = Byte.compare(byteAt(i), that.getByte(i));
            if (cmp != 0) {
                return cmp;
            }
        }
        return Integer.compare(thisCapacity, thatCapacity);
    }

    /** Equal to another {@code SegmentBuffer} of the same capacity and bytes (as Agrona's buffers are to their own class). */
    @Override
    public boolean equals(Object obj) {
        if (this == obj) {
            return true;
        }
        if (!(obj instanceof SegmentBuffer that)) {
            return false;
        }
        check();
        that.check();
        return capacity == that.capacity
            && MemorySegment.mismatch(segment, base, base + capacity, that.segment, that.base, that.base + capacity) < 0;
    }

    /** Agrona's content hash (native-order longs, then bytes), so equal bytes hash as in {@code UnsafeBuffer}. */
    @Override
    public int hashCode() {
        check();
        int i = 0;
        int hashCode = 19;
        for (int end = capacity & ~7; i < end; i += 8) {
            hashCode = 31 * hashCode + Long.hashCode(segment.get(LONG, base + i));
        }
        for (; i < capacity; i++) {
            hashCode = 31 * hashCode + byteAt(i);
        }
        return hashCode;
    }

    /** Capacity and kind; never reads the bytes, so it is safe on a stale or closed view. */
    @Override
    public String toString() {
        return "SegmentBuffer[capacity=" + capacity + (store != null ? ", view of store '" + store.name() + "'" : "") + "]";
    }
}
