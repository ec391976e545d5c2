package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import org.agrona.AsciiNumberFormatException;
import org.agrona.DirectBuffer;
import org.agrona.ExpandableArrayBuffer;
import org.agrona.MutableDirectBuffer;
import org.agrona.concurrent.UnsafeBuffer;
import org.junit.jupiter.api.Test;

/**
 * Model test: {@link SegmentBuffer} gives the same answers as Agrona's {@link UnsafeBuffer} (with
 * its default bounds checks) over the same bytes. Seeded random contents (raw, digit-heavy for the
 * parsers, with length-prefixed strings), random calls at random and boundary indexes, both byte
 * orders; every call's result — value, copied bytes, or exception class (and message for
 * {@link AsciiNumberFormatException}) — must match.
 */
class SegmentBufferConformanceTest {
    private static final long SEED = 0x5E6B0FFL;
    private static final int BUFFERS = 200;
    private static final int CALLS_PER_BUFFER = 400;
    private static final byte[] DIGITISH = "0123456789012345678901234567890123456789--+x ".getBytes(StandardCharsets.US_ASCII);
    private static final ByteOrder[] ORDERS = {ByteOrder.LITTLE_ENDIAN, ByteOrder.BIG_ENDIAN};

    /** One call with its arguments already drawn, applied to either buffer. */
    private interface Call {
        Object apply(DirectBuffer buffer);
    }

    private record Drawn(String name, Call call) {
    }

    @Test
    void everyGetterMatchesUnsafeBufferOverTheSameNativeBytes() {
        Random random = new Random(SEED);
        Map<String, Integer> calls = new HashMap<>();
        int thrown = 0;
        for (int b = 0; b < BUFFERS; b++) {
            byte[] bytes = contents(random);
            try (Arena arena = Arena.ofConfined()) {
                // a slice at an odd offset of a larger segment, so base offsets are exercised too
                MemorySegment whole = arena.allocate(bytes.length + 11L);
                whole.fill((byte) 0x7F);
                MemorySegment.copy(bytes, 0, whole, ValueLayout.JAVA_BYTE, 5, bytes.length);
                DirectBuffer ours = new SegmentBuffer(whole, 5, bytes.length);
                DirectBuffer theirs = new UnsafeBuffer(whole.address() + 5, bytes.length);
                thrown += compareCalls(random, bytes.length, ours, theirs, calls);
            }
        }
        // the draw reached every method, boundaries and failures included
        assertEquals(Drawer.NAMES.size(), calls.size(), "methods drawn: " + calls.keySet());
        assertTrue(thrown > BUFFERS, "out-of-range calls were drawn: " + thrown);
    }

    @Test
    void heapSegmentsAndWrappedArraysAnswerAsUnsafeBufferOverTheArray() {
        Random random = new Random(SEED + 1);
        Map<String, Integer> calls = new HashMap<>();
        for (int b = 0; b < BUFFERS / 3; b++) {
            byte[] bytes = contents(random);
            byte[] padded = new byte[bytes.length + 6];
            System.arraycopy(bytes, 0, padded, 3, bytes.length);
            SegmentBuffer fromArray = new SegmentBuffer();
            fromArray.wrap(padded, 3, bytes.length);
            DirectBuffer theirs = new UnsafeBuffer(padded, 3, bytes.length);
            compareCalls(random, bytes.length, fromArray, theirs, calls);
            compareCalls(random, bytes.length, new SegmentBuffer(MemorySegment.ofArray(bytes).asReadOnly()), theirs, calls);
            SegmentBuffer viaDirectBuffer = new SegmentBuffer();
            viaDirectBuffer.wrap(new UnsafeBuffer(padded), 3, bytes.length);
            compareCalls(random, bytes.length, viaDirectBuffer, theirs, calls);
            ByteBuffer direct = ByteBuffer.allocateDirect(padded.length).put(padded).position(4);
            SegmentBuffer fromByteBuffer = new SegmentBuffer();
            fromByteBuffer.wrap(direct, 3, bytes.length); // absolute, whatever the position
            compareCalls(random, bytes.length, fromByteBuffer, theirs, calls);
        }
    }

    @Test
    void compareToEqualsAndHashCodeMatchUnsafeBuffer() {
        Random random = new Random(SEED + 2);
        try (Arena arena = Arena.ofConfined()) {
            for (int i = 0; i < 2_000; i++) {
                byte[] a = new byte[random.nextInt(40)];
                random.nextBytes(a);
                byte[] c = random.nextInt(3) == 0 ? a.clone() : mutated(random, a);
                SegmentBuffer ourA = new SegmentBuffer(arena.allocateFrom(ValueLayout.JAVA_BYTE, a), 0, a.length);
                SegmentBuffer ourC = new SegmentBuffer(MemorySegment.ofArray(c));
                UnsafeBuffer theirA = new UnsafeBuffer(a);
                UnsafeBuffer theirC = new UnsafeBuffer(c);
                int expected = Integer.signum(theirA.compareTo(theirC));
                assertEquals(expected, Integer.signum(ourA.compareTo(ourC)), () -> Arrays.toString(a) + " vs " + Arrays.toString(c));
                assertEquals(expected, Integer.signum(ourA.compareTo(theirC)), "against an Agrona buffer");
                assertEquals(-expected, Integer.signum(ourC.compareTo(ourA)));
                assertEquals(theirA.equals(theirC), ourA.equals(ourC));
                assertEquals(theirA.hashCode(), ourA.hashCode());
                assertEquals(theirC.hashCode(), ourC.hashCode());
            }
        }
    }

    @Test
    void asciiNumberParsersMatchUnsafeBufferAtTheLimits() {
        String[] inputs = {"", "-", "0", "-0", "7", "-7", "12345678", "123456789", "1234567890", "12345678901",
            "2147483647", "2147483648", "-2147483648", "-2147483649", "4294967296", "0000000000", "00000000001",
            "9223372036854775807", "9223372036854775808", "-9223372036854775808", "-9223372036854775809",
            "9223372036854775806", "92233720368547758070", "00000000000000000001", "99999999x1234567890",
            "1234x", "x1234", "12 34", "+12", "--1", "1-", "922337203685477580x", "9223372036854775807 "};
        Map<String, Integer> calls = new HashMap<>();
        for (String input : inputs) {
            byte[] bytes = ("#" + input + "#").getBytes(StandardCharsets.US_ASCII);
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment segment = arena.allocateFrom(ValueLayout.JAVA_BYTE, bytes);
                DirectBuffer ours = new SegmentBuffer(segment);
                DirectBuffer theirs = new UnsafeBuffer(segment.address(), bytes.length);
                for (int method = 33; method <= 36; method++) {
                    Drawn drawn = Drawer.parse(method, 1, input.length());
                    calls.merge(drawn.name(), 1, Integer::sum);
                    assertEquals(outcome(drawn.call(), theirs), outcome(drawn.call(), ours), () -> drawn.name() + " of '" + input + "'");
                }
            }
        }
        assertEquals(4, calls.size());
    }

    private static byte[] mutated(Random random, byte[] a) {
        byte[] c = Arrays.copyOf(a, Math.max(0, a.length + random.nextInt(5) - 2));
        if (c.length > 0 && random.nextBoolean()) {
            c[random.nextInt(c.length)] = (byte) random.nextInt(256);
        }
        return c;
    }

    /** Random contents: raw bytes, digit-heavy text, or a length-prefixed string. */
    private static byte[] contents(Random random) {
        int length = random.nextInt(8) == 0 ? random.nextInt(4) : random.nextInt(64);
        byte[] bytes = new byte[length];
        switch (random.nextInt(3)) {
            case 0 -> random.nextBytes(bytes);
            case 1 -> {
                for (int i = 0; i < length; i++) {
                    bytes[i] = DIGITISH[random.nextInt(DIGITISH.length)];
                }
            }
            default -> {
                random.nextBytes(bytes);
                if (length >= 4) {
                    int at = random.nextInt(length - 3);
                    int strLength = random.nextInt(length - at - 3 + 2); // sometimes one too long
                    ByteBuffer.wrap(bytes).order(random.nextBoolean() ? ByteOrder.LITTLE_ENDIAN : ByteOrder.BIG_ENDIAN)
                        .putInt(at, strLength);
                }
            }
        }
        return bytes;
    }

    private static int compareCalls(Random random, int capacity, DirectBuffer ours, DirectBuffer theirs, Map<String, Integer> calls) {
        assertEquals(theirs.capacity(), ours.capacity());
        int thrown = 0;
        for (int c = 0; c < CALLS_PER_BUFFER; c++) {
            Drawn drawn = Drawer.draw(random, capacity);
            calls.merge(drawn.name(), 1, Integer::sum);
            Object expected = outcome(drawn.call(), theirs);
            Object actual = outcome(drawn.call(), ours);
            assertEquals(expected, actual, () -> drawn.name() + " on " + capacity + " bytes");
            if (expected instanceof Failure) {
                thrown++;
            }
        }
        return thrown;
    }

    /** What a call did: its result made comparable, or the exception it threw. */
    private static Object outcome(Call call, DirectBuffer buffer) {
        try {
            Object result = call.apply(buffer);
            return switch (result) {
                case byte[] b -> "bytes" + Arrays.toString(b);
                case Float f -> "float:" + Float.floatToRawIntBits(f);
                case Double d -> "double:" + Double.doubleToRawLongBits(d);
                case null -> "null";
                default -> result;
            };
        } catch (AsciiNumberFormatException e) {
            return new Failure(e.getClass(), e.getMessage());
        } catch (RuntimeException e) {
            return new Failure(e.getClass(), null);
        }
    }

    private record Failure(Class<?> type, String message) {
    }

    /** Draws one call: a method, and arguments near the interesting places. */
    private static final class Drawer {
        static final List<String> NAMES = new ArrayList<>();

        static {
            for (int m = 0; ; m++) {
                Drawn d = call(m, new Random(0), 16);
                if (d == null) {
                    break;
                }
                NAMES.add(d.name());
            }
        }

        static Drawn draw(Random random, int capacity) {
            return call(random.nextInt(NAMES.size()), random, capacity);
        }

        static Drawn parse(int method, int i, int n) {
            return switch (method) {
                case 33 -> new Drawn("parseNaturalIntAscii", b -> b.parseNaturalIntAscii(i, n));
                case 34 -> new Drawn("parseNaturalLongAscii", b -> b.parseNaturalLongAscii(i, n));
                case 35 -> new Drawn("parseIntAscii", b -> b.parseIntAscii(i, n));
                default -> new Drawn("parseLongAscii", b -> b.parseLongAscii(i, n));
            };
        }

        /** An index: mostly inside, often at the edges for {@code size}, sometimes far outside. */
        static int index(Random random, int capacity, int size) {
            return switch (random.nextInt(10)) {
                case 0 -> -1;
                case 1 -> capacity - size;
                case 2 -> capacity - size + 1;
                case 3 -> capacity;
                case 4 -> random.nextBoolean() ? Integer.MAX_VALUE : Integer.MIN_VALUE;
                case 5 -> 0;
                default -> random.nextInt(capacity + 1);
            };
        }

        static int length(Random random, int capacity, int index) {
            return switch (random.nextInt(8)) {
                case 0 -> -1;
                case 1 -> capacity - index;
                case 2 -> capacity - index + 1;
                case 3 -> 0;
                default -> random.nextInt(Math.max(1, capacity - Math.max(0, index) + 1));
            };
        }

        static Drawn call(int method, Random r, int cap) {
            ByteOrder order = ORDERS[r.nextInt(2)];
            int i = index(r, cap, 1 << r.nextInt(4));
            int n = length(r, cap, i);
            int dstOffset = r.nextInt(4);
            int extra = r.nextInt(2) * 3;
            return switch (method) {
                case 0 -> new Drawn("getLong", b -> b.getLong(i));
                case 1 -> new Drawn("getLong(order)", b -> b.getLong(i, order));
                case 2 -> new Drawn("getInt", b -> b.getInt(i));
                case 3 -> new Drawn("getInt(order)", b -> b.getInt(i, order));
                case 4 -> new Drawn("getShort", b -> b.getShort(i));
                case 5 -> new Drawn("getShort(order)", b -> b.getShort(i, order));
                case 6 -> new Drawn("getChar", b -> b.getChar(i));
                case 7 -> new Drawn("getChar(order)", b -> b.getChar(i, order));
                case 8 -> new Drawn("getFloat", b -> b.getFloat(i));
                case 9 -> new Drawn("getFloat(order)", b -> b.getFloat(i, order));
                case 10 -> new Drawn("getDouble", b -> b.getDouble(i));
                case 11 -> new Drawn("getDouble(order)", b -> b.getDouble(i, order));
                case 12 -> new Drawn("getByte", b -> b.getByte(i));
                case 13 -> new Drawn("getBytes(byte[])", b -> {
                    byte[] dst = new byte[Math.max(0, n)];
                    b.getBytes(i, dst);
                    return dst;
                });
                case 14 -> new Drawn("getBytes(byte[],off,len)", b -> {
                    byte[] dst = new byte[Math.max(0, n) + extra];
                    b.getBytes(i, dst, dstOffset, n);
                    return dst;
                });
                case 15 -> new Drawn("getBytes(MutableDirectBuffer)", b -> {
                    MutableDirectBuffer dst = new UnsafeBuffer(new byte[Math.max(0, n) + 4]);
                    b.getBytes(i, dst, dstOffset, n);
                    return dst.byteArray();
                });
                case 16 -> new Drawn("getBytes(direct MutableDirectBuffer)", b -> {
                    ByteBuffer backing = ByteBuffer.allocateDirect(Math.max(0, n) + 4);
                    b.getBytes(i, new UnsafeBuffer(backing), dstOffset, n);
                    byte[] out = new byte[backing.capacity()];
                    backing.get(0, out);
                    return out;
                });
                case 17 -> new Drawn("getBytes(ExpandableArrayBuffer)", b -> {
                    ExpandableArrayBuffer dst = new ExpandableArrayBuffer(2);
                    b.getBytes(i, dst, dstOffset, n);
                    return Arrays.copyOf(dst.byteArray(), Math.max(0, n) + dstOffset);
                });
                case 18 -> new Drawn("getBytes(ByteBuffer,len)", b -> {
                    ByteBuffer dst = ByteBuffer.allocate(Math.max(0, n) + 4).position(dstOffset);
                    b.getBytes(i, dst, n);
                    return dst.position() + Arrays.toString(dst.array());
                });
                case 19 -> new Drawn("getBytes(direct ByteBuffer,off,len)", b -> {
                    ByteBuffer dst = ByteBuffer.allocateDirect(Math.max(0, n) + 4).order(order);
                    b.getBytes(i, dst, dstOffset, n);
                    byte[] out = new byte[dst.capacity()];
                    dst.get(0, out);
                    return dst.position() + Arrays.toString(out);
                });
                case 20 -> new Drawn("getBytes(heap ByteBuffer slice,off,len)", b -> {
                    ByteBuffer dst = ByteBuffer.allocate(Math.max(0, n) + 8).slice(2, Math.max(0, n) + 4);
                    b.getBytes(i, dst, dstOffset, n);
                    return Arrays.toString(dst.array());
                });
                case 21 -> new Drawn("getStringAscii", b -> b.getStringAscii(i));
                case 22 -> new Drawn("getStringAscii(order)", b -> b.getStringAscii(i, order));
                case 23 -> new Drawn("getStringAscii(appendable)", b -> {
                    StringBuilder sb = new StringBuilder();
                    return b.getStringAscii(i, sb) + ":" + sb;
                });
                case 24 -> new Drawn("getStringAscii(appendable,order)", b -> {
                    StringBuilder sb = new StringBuilder();
                    return b.getStringAscii(i, sb, order) + ":" + sb;
                });
                case 25 -> new Drawn("getStringAscii(len)", b -> b.getStringAscii(i, n));
                case 26 -> new Drawn("getStringAscii(len,appendable)", b -> {
                    StringBuilder sb = new StringBuilder();
                    return b.getStringAscii(i, n, sb) + ":" + sb;
                });
                case 27 -> new Drawn("getStringWithoutLengthAscii", b -> b.getStringWithoutLengthAscii(i, n));
                case 28 -> new Drawn("getStringWithoutLengthAscii(appendable)", b -> {
                    StringBuilder sb = new StringBuilder();
                    return b.getStringWithoutLengthAscii(i, n, sb) + ":" + sb;
                });
                case 29 -> new Drawn("getStringUtf8", b -> b.getStringUtf8(i));
                case 30 -> new Drawn("getStringUtf8(order)", b -> b.getStringUtf8(i, order));
                case 31 -> new Drawn("getStringUtf8(len)", b -> b.getStringUtf8(i, n));
                case 32 -> new Drawn("getStringWithoutLengthUtf8", b -> b.getStringWithoutLengthUtf8(i, n));
                case 33, 34, 35, 36 -> parse(method, i, n);
                case 37 -> new Drawn("boundsCheck", b -> {
                    b.boundsCheck(i, n);
                    return "in bounds";
                });
                case 38 -> new Drawn("checkLimit", b -> {
                    b.checkLimit(i);
                    return "within";
                });
                case 39 -> new Drawn("capacity", DirectBuffer::capacity);
                default -> null;
            };
        }
    }
}
