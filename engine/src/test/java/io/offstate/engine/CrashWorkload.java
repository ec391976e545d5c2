package io.offstate.engine;

import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;

import io.offstate.offheap.KeyComponent;

/**
 * The deterministic workload of {@link CrashRecoveryTest}, shared by the child that writes it and
 * the parent that replays it into a model: store configurations, the operations of each flush
 * generation, value bytes and a content digest.
 *
 * <p>The operations that lead to generation {@code g} depend only on (seed, configuration, g), so
 * the parent can compute the expected contents of any generation from the contents of an earlier
 * one without the child telling it anything but generation numbers.
 */
final class CrashWorkload {
    /** Ordinary keys drawn per operation; small enough that overwrites and deletes hit often. */
    static final int KEYS = 1500;
    /** Keys that only ever hold values over the large threshold, so at most this many large values live at once. */
    static final int BIG_KEYS = 6;

    private CrashWorkload() {
    }

    /** The store configurations the test cycles through. */
    enum Config {
        /** Hash index only, 1 MiB pages. */
        HASH,
        /** Sorted index, 1 MiB pages. */
        SORTED,
        /** Dictionary-encoded keys (component before '|'), hash index only. */
        DICTIONARY,
        /** 4 KiB pages (large values are then anything over 1 KiB), sorted index and dictionary. */
        SMALL_PAGES;

        StoreOptions options() {
            StoreOptions.Builder b = StoreOptions.builder().name("crash-" + name().toLowerCase()).hashSeed(ordinal() + 11);
            if (this == SORTED || this == SMALL_PAGES) {
                b.sortedIndex(true);
            }
            if (this == DICTIONARY || this == SMALL_PAGES) {
                b.dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'));
            }
            if (this == SMALL_PAGES) {
                b.pageSize(4096);
            }
            return b.build();
        }

        boolean sorted() {
            return this == SORTED || this == SMALL_PAGES;
        }

        /** Values longer than this get a segment file of their own. */
        int largeThreshold() {
            return options().pageSize() / 4;
        }
    }

    /** Where a batch's operations go: the store (child) or the model (parent). */
    interface Target {
        void put(byte[] key, int valueLength, long valueSeed);

        void delete(byte[] key);
    }

    /**
     * The operations between generation {@code generation - 1} and {@code generation}: a few or a few
     * hundred puts (mostly small values, some medium, a few over the large threshold) and deletes.
     */
    static void batch(Config config, long seed, long generation, Target target) {
        SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + generation * 0xC2B2AE3D27D4EB4FL + config.ordinal());
        int large = config.largeThreshold();
        int ops = 1 + r.nextInt(r.nextBoolean() ? 30 : 400);
        for (int i = 0; i < ops; i++) {
            int p = r.nextInt(100);
            if (p < 3) {
                target.put(bigKey(r.nextInt(BIG_KEYS)), large + 1 + r.nextInt(large), r.nextLong());
            } else if (p < 5) {
                target.delete(bigKey(r.nextInt(BIG_KEYS)));
            } else if (p < 75) {
                // medium values stay under a 4 KiB page's large threshold of 1 KiB
                int length = r.nextInt(10) == 0 ? 64 + r.nextInt(900) : r.nextInt(48);
                target.put(key(r.nextInt(KEYS)), length, r.nextLong());
            } else {
                target.delete(key(r.nextInt(KEYS)));
            }
        }
    }

    /**
     * Key {@code n}: a dictionary component {@code t<n mod 11>|}, a byte that is often 0x80..0xFF (so
     * unsigned order matters), and the number; key 0 is empty and key 1 has no component.
     */
    static byte[] key(int n) {
        if (n == 0) {
            return new byte[0];
        }
        if (n == 1) {
            return "no-component".getBytes(StandardCharsets.US_ASCII);
        }
        byte[] prefix = ("t" + (n % 11) + "|").getBytes(StandardCharsets.US_ASCII);
        byte[] digits = Integer.toString(n).getBytes(StandardCharsets.US_ASCII);
        byte[] k = Arrays.copyOf(prefix, prefix.length + 1 + digits.length);
        k[prefix.length] = (byte) (n * 151);
        System.arraycopy(digits, 0, k, prefix.length + 1, digits.length);
        return k;
    }

    static byte[] bigKey(int n) {
        return ("big|" + n).getBytes(StandardCharsets.US_ASCII);
    }

    static byte[] value(int length, long seed) {
        byte[] v = new byte[length];
        new SplittableRandom(seed).nextBytes(v);
        return v;
    }

    /** A value as the model keeps it: its bytes are {@link #value(int, long) value(length, seed)}. */
    record Value(int length, long seed) {
        byte[] bytes() {
            return value(length, seed);
        }
    }

    /** The expected contents of a store: keys in unsigned order, as a sorted store's cursor reads them. */
    /**
     * The metadata a child's flush of {@code generation} carries: the generation (8 bytes, big
     * endian) then 0..200 bytes derived from it, so that a reopened store's metadata names the flush
     * it came from and damage to it shows. Generation 0 stands for "no flush carried any": empty.
     */
    static byte[] flushMetadata(long generation) {
        if (generation == 0) {
            return new byte[0];
        }
        byte[] tail = value((int) Math.floorMod(generation * 37, 201), generation * 7919);
        byte[] m = new byte[8 + tail.length];
        java.nio.ByteBuffer.wrap(m).putLong(generation).put(tail);
        return m;
    }

    /** The generation {@code metadata} names (0 if empty), or -1 if it is not one of {@link #flushMetadata}'s. */
    static long flushMetadataGeneration(byte[] metadata) {
        if (metadata.length == 0) {
            return 0;
        }
        if (metadata.length < 8) {
            return -1;
        }
        long g = java.nio.ByteBuffer.wrap(metadata).getLong();
        return g > 0 && java.util.Arrays.equals(metadata, flushMetadata(g)) ? g : -1;
    }

    static TreeMap<byte[], Value> emptyModel() {
        return new TreeMap<>(Arrays::compareUnsigned);
    }

    static Target modelTarget(Map<byte[], Value> model) {
        return new Target() {
            @Override
            public void put(byte[] key, int valueLength, long valueSeed) {
                model.put(key, new Value(valueLength, valueSeed));
            }

            @Override
            public void delete(byte[] key) {
                model.remove(key);
            }
        };
    }

    /** SHA-256 of the entries (length-prefixed key and value) in unsigned key order, and their count. */
    static final class Digest {
        private final MessageDigest sha;
        private long count;

        Digest() {
            try {
                sha = MessageDigest.getInstance("SHA-256");
            } catch (NoSuchAlgorithmException e) {
                throw new AssertionError(e);
            }
        }

        void add(byte[] key, byte[] value) {
            sha.update(intBytes(key.length));
            sha.update(key);
            sha.update(intBytes(value.length));
            sha.update(value);
            count++;
        }

        String finish() {
            return count + ":" + HexFormat.of().formatHex(sha.digest());
        }

        private static byte[] intBytes(int i) {
            return new byte[] {(byte) (i >>> 24), (byte) (i >>> 16), (byte) (i >>> 8), (byte) i};
        }
    }

    static String digest(Map<byte[], Value> model) {
        Digest d = new Digest();
        model.forEach((k, v) -> d.add(k, v.bytes()));
        return d.finish();
    }

    /**
     * The digest of a store's contents: a sorted store is read by its cursor (so a wrong order changes
     * the digest), a hash store by forEach, sorted here.
     */
    static String digest(KeyValueStore store, Config config) {
        Digest d = new Digest();
        if (config.sorted()) {
            Cursor cursor = store.cursor();
            for (boolean on = cursor.first(); on; on = cursor.next()) {
                d.add(cursor.key().toByteArray(), cursor.value().toByteArray());
            }
        } else {
            TreeMap<byte[], byte[]> entries = new TreeMap<>(Arrays::compareUnsigned);
            store.forEach((k, v) -> entries.put(k.toArray(ValueLayout.JAVA_BYTE), v.toArray(ValueLayout.JAVA_BYTE)));
            entries.forEach(d::add);
        }
        return d.finish();
    }
}
