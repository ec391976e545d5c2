package io.offstate.engine.serde;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;

/**
 * {@link String} as UTF-8 bytes, encoded straight into the target segment (no intermediate array).
 * Unpaired surrogates encode as {@code '?'}, as {@link String#getBytes} does. Stateless and
 * thread-safe; use {@link Serdes#UTF8}.
 */
public final class Utf8Serde implements Serde<String> {
    Utf8Serde() {
    }

    @Override
    public int sizeOf(String value) {
        int n = 0;
        final int len = value.length();
        for (int i = 0; i < len; i++) {
            char c = value.charAt(i);
            if (c < 0x80) {
                n += 1;
            } else if (c < 0x800) {
                n += 2;
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(value.charAt(i + 1))) {
                n += 4;
                i++;
            } else if (Character.isSurrogate(c)) {
                n += 1; // '?'
            } else {
                n += 3;
            }
        }
        return n;
    }

    @Override
    public void write(String value, MemorySegment target, long offset) {
        long o = offset;
        final int len = value.length();
        for (int i = 0; i < len; i++) {
            char c = value.charAt(i);
            if (c < 0x80) {
                target.set(ValueLayout.JAVA_BYTE, o++, (byte) c);
            } else if (c < 0x800) {
                target.set(ValueLayout.JAVA_BYTE, o++, (byte) (0xC0 | (c >> 6)));
                target.set(ValueLayout.JAVA_BYTE, o++, (byte) (0x80 | (c & 0x3F)));
            } else if (Character.isHighSurrogate(c) && i + 1 < len && Character.isLowSurrogate(value.charAt(i + 1))) {
                int cp = Character.toCodePoint(c, value.charAt(++i));
                target.set(ValueLayout.JAVA_BYTE, o++, (byte) (0xF0 | (cp >> 18)));
                target.set(ValueLayout.JAVA_BYTE, o++, (byte) (0x80 | ((cp >> 12) & 0x3F)));
                target.set(ValueLayout.JAVA_BYTE, o++, (byte) (0x80 | ((cp >> 6) & 0x3F)));
                target.set(ValueLayout.JAVA_BYTE, o++, (byte) (0x80 | (cp & 0x3F)));
            } else if (Character.isSurrogate(c)) {
                target.set(ValueLayout.JAVA_BYTE, o++, (byte) '?');
            } else {
                target.set(ValueLayout.JAVA_BYTE, o++, (byte) (0xE0 | (c >> 12)));
                target.set(ValueLayout.JAVA_BYTE, o++, (byte) (0x80 | ((c >> 6) & 0x3F)));
                target.set(ValueLayout.JAVA_BYTE, o++, (byte) (0x80 | (c & 0x3F)));
            }
        }
    }

    @Override
    public String read(MemorySegment source, long offset, int length) {
        byte[] bytes = new byte[length];
        MemorySegment.copy(source, ValueLayout.JAVA_BYTE, offset, bytes, 0, length);
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
