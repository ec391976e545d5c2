package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.offstate.engine.serde.IntSerde;
import io.offstate.engine.serde.LongSerde;
import io.offstate.engine.serde.Serde;
import io.offstate.engine.serde.Serdes;

class SerdesTest {
    private static final long[] LONGS = {Long.MIN_VALUE, Long.MIN_VALUE + 1, -1L << 40, -257, -256, -1, 0, 1, 255, 256, 1L << 40,
        Long.MAX_VALUE - 1, Long.MAX_VALUE};
    private static final int[] INTS = {Integer.MIN_VALUE, Integer.MIN_VALUE + 1, -65536, -257, -1, 0, 1, 255, 256, 65536,
        Integer.MAX_VALUE - 1, Integer.MAX_VALUE};

    private static <T> byte[] encode(Serde<T> serde, T value) {
        byte[] out = new byte[serde.sizeOf(value) + 3];
        serde.write(value, MemorySegment.ofArray(out), 3); // at an offset
        return Arrays.copyOfRange(out, 3, out.length);
    }

    private static <T> T decode(Serde<T> serde, byte[] bytes) {
        byte[] padded = new byte[bytes.length + 2];
        System.arraycopy(bytes, 0, padded, 2, bytes.length);
        return serde.read(MemorySegment.ofArray(padded), 2, bytes.length);
    }

    @Test
    void longsRoundTripAndByteOrderIsNumericOrder() {
        byte[] previous = null;
        for (long v : LONGS) { // ascending
            byte[] bytes = encode(Serdes.LONG, v);
            assertEquals(LongSerde.SIZE, bytes.length);
            assertEquals(v, decode(Serdes.LONG, bytes));
            MemorySegment segment = MemorySegment.ofArray(new byte[8]);
            LongSerde.writeLong(v, segment, 0);
            assertArrayEquals(bytes, segment.toArray(ValueLayout.JAVA_BYTE), "primitive and boxed writes agree");
            assertEquals(v, LongSerde.readLong(segment, 0));
            if (previous != null) {
                assertTrue(Arrays.compareUnsigned(previous, bytes) < 0, "unsigned byte order of " + v);
            }
            previous = bytes;
        }
        assertArrayEquals(new byte[] {(byte) 0x80, 0, 0, 0, 0, 0, 0, 0}, encode(Serdes.LONG, 0L));
        SplittableRandom random = new SplittableRandom(1);
        for (int i = 0; i < 10_000; i++) {
            long a = random.nextLong();
            long b = random.nextLong();
            assertEquals(Long.signum(Long.compare(a, b)),
                Integer.signum(Arrays.compareUnsigned(encode(Serdes.LONG, a), encode(Serdes.LONG, b))), a + " vs " + b);
        }
    }

    @Test
    void intsRoundTripAndByteOrderIsNumericOrder() {
        byte[] previous = null;
        for (int v : INTS) {
            byte[] bytes = encode(Serdes.INT, v);
            assertEquals(IntSerde.SIZE, bytes.length);
            assertEquals(v, decode(Serdes.INT, bytes));
            MemorySegment segment = MemorySegment.ofArray(new byte[4]);
            IntSerde.writeInt(v, segment, 0);
            assertEquals(v, IntSerde.readInt(segment, 0));
            assertArrayEquals(bytes, segment.toArray(ValueLayout.JAVA_BYTE));
            if (previous != null) {
                assertTrue(Arrays.compareUnsigned(previous, bytes) < 0, "unsigned byte order of " + v);
            }
            previous = bytes;
        }
    }

    @Test
    void fixedSizeSerdesRejectWrongLengths() {
        MemorySegment s = MemorySegment.ofArray(new byte[16]);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Serdes.LONG.read(s, 0, 7));
        assertTrue(e.getMessage().contains("8") && e.getMessage().contains("7"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Serdes.LONG.read(s, 0, 9));
        assertThrows(IllegalArgumentException.class, () -> Serdes.INT.read(s, 0, 3));
        assertThrows(IllegalArgumentException.class, () -> Serdes.INT.read(s, 0, 8));
    }

    @Test
    void utf8MatchesStringGetBytesForOneToFourByteCharacters() {
        String[] strings = {"", "hello", "a\u0000b", "\u007f", "\u0080", "é", "\u07ff", "\u0800", "€", "\uffff", "日本語",
            "😀", "a😀b", "\uD800\uDC00", "\uDBFF\uDFFF", "mixed: ä € 😀 z"};
        for (String s : strings) {
            byte[] expected = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(expected.length, Serdes.UTF8.sizeOf(s), "sizeOf " + s);
            assertArrayEquals(expected, encode(Serdes.UTF8, s), "bytes of " + s);
            assertEquals(s, decode(Serdes.UTF8, expected));
        }
        assertEquals(2, Serdes.UTF8.sizeOf("é"));
        assertEquals(3, Serdes.UTF8.sizeOf("€"));
        assertEquals(4, Serdes.UTF8.sizeOf("😀"));
    }

    @Test
    void utf8EncodesUnpairedSurrogatesAsQuestionMarkLikeGetBytes() {
        String[] strings = {"\uD800", "\uDC00", "a\uD800b", "a\uDC00b", "end\uD83D", "\uDE00start", "\uD800\uD800\uDC00",
            "\uDC00\uD800"};
        for (String s : strings) {
            byte[] expected = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(expected.length, Serdes.UTF8.sizeOf(s), "sizeOf " + escape(s));
            assertArrayEquals(expected, encode(Serdes.UTF8, s), "bytes of " + escape(s));
        }
        assertEquals("a?b", decode(Serdes.UTF8, encode(Serdes.UTF8, "a\uD800b")));
        assertEquals("?\uD800\uDC00", decode(Serdes.UTF8, encode(Serdes.UTF8, "\uD800\uD800\uDC00"))); // ? then U+10000
    }

    @Test
    void utf8MatchesGetBytesForRandomStrings() {
        SplittableRandom random = new SplittableRandom(2);
        for (int i = 0; i < 5_000; i++) {
            StringBuilder sb = new StringBuilder();
            int n = random.nextInt(20);
            for (int j = 0; j < n; j++) {
                switch (random.nextInt(5)) {
                    case 0 -> sb.append((char) random.nextInt(0x80));
                    case 1 -> sb.append((char) (0x80 + random.nextInt(0x780)));
                    case 2 -> sb.appendCodePoint(0x800 + random.nextInt(0xD800 - 0x800));
                    case 3 -> sb.appendCodePoint(0x10000 + random.nextInt(0x100000));
                    default -> sb.append((char) (0xD800 + random.nextInt(0x800))); // lone surrogate
                }
            }
            String s = sb.toString();
            byte[] expected = s.getBytes(StandardCharsets.UTF_8);
            assertEquals(expected.length, Serdes.UTF8.sizeOf(s), escape(s));
            assertArrayEquals(expected, encode(Serdes.UTF8, s), escape(s));
            assertEquals(new String(expected, StandardCharsets.UTF_8), decode(Serdes.UTF8, expected));
        }
    }

    @Test
    void bytesRoundTripAsTheyAre() {
        byte[] bytes = {0, -1, 127, -128, 5};
        assertEquals(5, Serdes.BYTES.sizeOf(bytes));
        assertArrayEquals(bytes, encode(Serdes.BYTES, bytes));
        byte[] read = decode(Serdes.BYTES, bytes);
        assertArrayEquals(bytes, read);
        assertArrayEquals(new byte[0], decode(Serdes.BYTES, new byte[0]));
    }

    private static String escape(String s) {
        StringBuilder sb = new StringBuilder();
        s.chars().forEach(c -> sb.append(String.format("\\u%04x", c)));
        return sb.toString();
    }
}
