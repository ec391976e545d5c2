package io.offstate.checkpoint.cli;

import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.nio.ByteBuffer;

import io.offstate.engine.StoreOptions;

/** Formatting of sizes, options and opaque bytes for the command line. Stateless. */
final class Format {
    private static final int MAX_SHOWN_BYTES = 64;

    private Format() {
    }

    /** {@code 1536} as {@code "1.5 KiB"}; below 1 KiB as {@code "812 B"}. */
    static String bytes(long n) {
        if (n < 1024) {
            return n + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
        double v = n;
        int u = -1;
        while (v >= 1024 && u < units.length - 1) {
            v /= 1024;
            u++;
        }
        return String.format("%.1f %s", v, units[u]);
    }

    /** The structural options of a store, as a reader of its files would want them. */
    static String options(StoreOptions o) {
        StringBuilder b = new StringBuilder();
        b.append("page size ").append(bytes(o.pageSize()));
        b.append(", sorted index ").append(o.sortedIndex() ? "yes" : "no");
        if (o.sortedIndex() && o.sortedIndexNodeSize() > 0) {
            b.append(" (nodes of ").append(o.sortedIndexNodeSize()).append(" B)");
        }
        if (o.dictionaryKeyComponent() == null) {
            b.append(", dictionary none");
        } else {
            b.append(", dictionary ").append(o.dictionaryKeyComponent()).append(" (at most ").append(o.maxDictionaryCodes())
                .append(" codes)");
        }
        b.append(", fingerprint bits ").append(o.fingerprintBits());
        b.append(", hash seed 0x").append(Long.toHexString(o.hashSeed()));
        return b.toString();
    }

    /** Opaque bytes (flush metadata, positions): their length, and the text if UTF-8 printable, else hex. */
    static String opaque(byte[] bytes) {
        if (bytes == null) {
            return "none";
        }
        if (bytes.length == 0) {
            return "empty";
        }
        int shown = Math.min(bytes.length, MAX_SHOWN_BYTES);
        String more = shown < bytes.length ? "..." : "";
        String text = printable(bytes);
        if (text != null) {
            return bytes.length + " bytes: \"" + (text.length() > MAX_SHOWN_BYTES ? text.substring(0, MAX_SHOWN_BYTES) + "..." : text) + "\"";
        }
        return bytes.length + " bytes: " + HexFormat.of().formatHex(bytes, 0, shown) + more;
    }

    private static String printable(byte[] bytes) {
        try {
            String s = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes)).toString();
            for (int i = 0; i < s.length(); i++) {
                if (Character.isISOControl(s.charAt(i))) {
                    return null;
                }
            }
            return s;
        } catch (CharacterCodingException e) {
            return null;
        }
    }

    /** {@code stored / raw} as a percentage, "-" for nothing. */
    static String ratio(long stored, long raw) {
        return raw == 0 ? "-" : String.format("%.1f%%", 100.0 * stored / raw);
    }
}
