package io.offstate.propertytests;

import java.util.Arrays;
import java.util.List;

/**
 * How a scan command picks one bound (range end, prefix, seek key): open, fixed bytes, or derived
 * from a key the store holds when the command runs (the keys observed after the previous command,
 * which equal the model's). Derived bounds hit the interesting places: exactly a stored key, a
 * proper prefix of one, its immediate successor (key + 0x00), just above or below it. With no key
 * stored, a derived bound falls back to {@link #fixed}.
 *
 * @param source where the bound comes from
 * @param index  which stored key: {@code index % count}, in key order (shrinks towards the smallest)
 * @param cut    for {@link Source#STORED_PREFIX}: bytes kept, {@code cut % (length + 1)}
 * @param fixed  the bound for {@link Source#FIXED}, and the fallback of derived bounds
 */
record BoundChoice(Source source, int index, int cut, Bytes fixed) {
    enum Source {
        /** null: an open range end. */
        OPEN,
        /** {@link #fixed} itself. */
        FIXED,
        /** A stored key. */
        STORED,
        /** A prefix of a stored key (possibly empty, possibly the whole key). */
        STORED_PREFIX,
        /** A stored key + 0x00: the smallest byte string above it. */
        STORED_SUCCESSOR,
        /** A stored key + 0xFF 0xFF: above every key it prefixes with a second byte below 0xFF. */
        STORED_PLUS_FF,
        /** A stored key with its last byte + 1 (0xFF wraps to 0x00; the empty key becomes 0x00). */
        STORED_LAST_UP,
        /** A stored key with its last byte - 1 (0x00 wraps to 0xFF; the empty key stays empty). */
        STORED_LAST_DOWN
    }

    static BoundChoice open() {
        return new BoundChoice(Source.OPEN, 0, 0, null);
    }

    /** The bound, given the store's keys in ascending order. */
    Bytes resolve(List<Bytes> storedKeys) {
        if (source == Source.OPEN) {
            return null;
        }
        if (source == Source.FIXED || storedKeys.isEmpty()) {
            return fixed;
        }
        byte[] key = storedKeys.get(Math.floorMod(index, storedKeys.size())).array();
        int n = key.length;
        return Bytes.wrap(switch (source) {
            case STORED -> key;
            case STORED_PREFIX -> Arrays.copyOf(key, Math.floorMod(cut, n + 1));
            case STORED_SUCCESSOR -> Arrays.copyOf(key, n + 1);
            case STORED_PLUS_FF -> Gens.concat(key, new byte[] {(byte) 0xFF, (byte) 0xFF});
            case STORED_LAST_UP -> n == 0 ? new byte[1] : lastByteAdded(key, 1);
            case STORED_LAST_DOWN -> n == 0 ? key : lastByteAdded(key, -1);
            default -> throw new AssertionError(source);
        });
    }

    private static byte[] lastByteAdded(byte[] key, int delta) {
        byte[] b = key.clone();
        b[b.length - 1] += (byte) delta;
        return b;
    }

    @Override
    public String toString() {
        return switch (source) {
            case OPEN -> "open";
            case FIXED -> fixed.toString();
            case STORED -> "key[" + index + "]";
            case STORED_PREFIX -> "prefix(key[" + index + "], " + cut + ")";
            case STORED_SUCCESSOR -> "key[" + index + "]+00";
            case STORED_PLUS_FF -> "key[" + index + "]+FFFF";
            case STORED_LAST_UP -> "key[" + index + "]++";
            case STORED_LAST_DOWN -> "key[" + index + "]--";
        } + (source == Source.OPEN || source == Source.FIXED ? "" : " or " + fixed);
    }
}
