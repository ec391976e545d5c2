package io.offstate.engine;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import io.offstate.offheap.CorruptStateException;

/**
 * What a checkpoint chain would hold, in heap arrays: the full bytes of every region of the last
 * image, incremental images applied on top. Test helper for the copy-on-write image tests.
 */
final class ImageChain {
    private Map<String, byte[]> regions = new HashMap<>();
    private byte[] metadata;
    private long token;

    private static String name(int fileId, long fileOffset) {
        return fileId + "@" + fileOffset;
    }

    /**
     * Reads every carried byte of {@code image} (streamed with {@link StoreImage.Region#read} in
     * pieces of random size, or through {@link StoreImage.Region#data()}) and applies it: a full
     * image replaces the chain, an incremental one patches it. Any thread.
     */
    void apply(StoreImage image, Random random) {
        if (image.isIncremental() && image.baseToken() != token) {
            throw new AssertionError("incremental image relative to " + image.baseToken() + ", chain is at " + token);
        }
        Map<String, byte[]> next = new HashMap<>();
        for (StoreImage.Region r : image.regions()) {
            byte[] carried = new byte[(int) r.bytesCarried()];
            MemorySegment into = MemorySegment.ofArray(carried);
            if (random.nextBoolean()) {
                MemorySegment.copy(r.data(), 0, into, 0, carried.length);
            } else {
                long at = 0;
                while (at < carried.length) {
                    long n = Math.min(carried.length - at, 1 + random.nextInt(random.nextBoolean() ? 100 : 20_000));
                    r.read(at, into, at, n);
                    at += n;
                }
            }
            String name = name(r.fileId(), r.fileOffset());
            byte[] bytes;
            if (r.isWhole()) {
                bytes = carried;
            } else {
                byte[] base = regions.get(name);
                if (base == null || base.length != r.size()) {
                    throw new AssertionError("incremental region " + name + " has no base of " + r.size() + " bytes");
                }
                bytes = base.clone();
                long at = 0;
                for (int i = 0; i < r.runCount(); i++) {
                    System.arraycopy(carried, (int) at, bytes, (int) r.runOffset(i), (int) r.runLength(i));
                    at += r.runLength(i);
                }
            }
            if (bytes.length != r.size()) {
                throw new AssertionError("region " + name + " carries " + bytes.length + " bytes of " + r.size());
            }
            next.put(name, bytes);
        }
        regions = next;
        metadata = image.metadata();
        token = image.token();
    }

    /** A store rebuilt from the chain: in memory ({@code directory} null) or file-backed. */
    KeyValueStore restore(Path directory, StoreOptions options) {
        return KeyValueStore.restoreImage(directory, options, metadata, (fileId, fileOffset, into) -> {
            byte[] b = regions.get(name(fileId, fileOffset));
            if (b == null || b.length != into.byteSize()) {
                throw new CorruptStateException("chain has no region " + name(fileId, fileOffset) + " of " + into.byteSize() + " bytes");
            }
            MemorySegment.copy(b, 0, into, ValueLayout.JAVA_BYTE, 0, b.length);
        }, token);
    }

    /** Every entry of {@code store}, keys and values as strings of their bytes (ISO-8859-1). */
    static TreeMap<String, String> contents(KeyValueStore store) {
        TreeMap<String, String> all = new TreeMap<>();
        store.forEach((k, v) -> all.put(latin1(k), latin1(v)));
        return all;
    }

    static String latin1(MemorySegment s) {
        return new String(s.toArray(ValueLayout.JAVA_BYTE), java.nio.charset.StandardCharsets.ISO_8859_1);
    }
}
