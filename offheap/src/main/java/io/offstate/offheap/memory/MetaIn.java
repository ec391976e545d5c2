package io.offstate.offheap.memory;

import java.nio.charset.StandardCharsets;

import io.offstate.offheap.CorruptStateException;

/**
 * Reads what {@link MetaOut} wrote, checking every read against the end and every decoded value
 * against its allowed range: metadata that does not decode throws {@link CorruptStateException}
 * (the caller names the file), never a wrong store.
 *
 * <p>Not thread-safe.
 */
public final class MetaIn {
    private final byte[] bytes;
    private int position;

    /** Reads {@code bytes} from the start. */
    public MetaIn(byte[] bytes) {
        this.bytes = bytes;
    }

    private void need(int n, String what) {
        if (n < 0 || position + n > bytes.length) {
            throw new CorruptStateException("metadata ends inside " + what + " at byte " + position);
        }
    }

    /** Reads a 4-byte int. */
    public int getInt(String what) {
        need(4, what);
        int v = 0;
        for (int i = 0; i < 4; i++) {
            v |= (bytes[position++] & 0xFF) << (8 * i);
        }
        return v;
    }

    /** Reads an int and checks {@code min <= v <= max}. */
    public int getInt(String what, int min, int max) {
        int v = getInt(what);
        if (v < min || v > max) {
            throw new CorruptStateException("metadata " + what + " is " + v + ", outside " + min + ".." + max);
        }
        return v;
    }

    /** Reads an 8-byte long. */
    public long getLong(String what) {
        need(8, what);
        long v = 0;
        for (int i = 0; i < 8; i++) {
            v |= (bytes[position++] & 0xFFL) << (8 * i);
        }
        return v;
    }

    /** Reads a long and checks {@code min <= v <= max}. */
    public long getLong(String what, long min, long max) {
        long v = getLong(what);
        if (v < min || v > max) {
            throw new CorruptStateException("metadata " + what + " is " + v + ", outside " + min + ".." + max);
        }
        return v;
    }

    /** Reads a length-prefixed byte string of at most {@code max} bytes. */
    public byte[] getBytes(String what, int max) {
        int n = getInt(what + " length", 0, max);
        need(n, what);
        byte[] v = new byte[n];
        System.arraycopy(bytes, position, v, 0, n);
        position += n;
        return v;
    }

    /** Reads a UTF-8 string written as {@link MetaOut#putBytes}. */
    public String getString(String what, int max) {
        return new String(getBytes(what, max), StandardCharsets.UTF_8);
    }

    /** Throws unless every byte was read. */
    public void expectEnd() {
        if (position != bytes.length) {
            throw new CorruptStateException("metadata has " + (bytes.length - position) + " unexpected trailing bytes");
        }
    }
}
