package io.offstate.engine;

import io.offstate.offheap.KeyComponent;

/**
 * The store configurations the corruption fuzzer damages: all file-backed with 4 KiB pages and
 * {@code expectedEntries(16)}, so the hash table outgrows its first size and lives in segment
 * files, and large values (over a quarter page) get segment files of their own.
 *
 * <p>Immutable, thread-safe. Test code only.
 */
enum FuzzConfig {
    /** Hash index only. */
    HASH_ONLY,
    /** Hash index plus sorted index (cursor scans are part of the read-back). */
    SORTED,
    /** Dictionary key encoding (component: bytes before {@code '|'}) with a sorted index. */
    DICTIONARY;

    /** Bytes per page of every configuration (the smallest page the store allows in practice). */
    static final int PAGE_SIZE = 4096;

    /** The options a store of this configuration is created and reopened with. */
    StoreOptions options() {
        StoreOptions.Builder b = StoreOptions.builder()
            .name("fuzz-" + name().toLowerCase())
            .pageSize(PAGE_SIZE)
            .expectedEntries(16)
            .hashSeed(0x5EED + ordinal());
        if (this != HASH_ONLY) {
            b.sortedIndex(true);
        }
        if (this == DICTIONARY) {
            b.dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'));
        }
        return b.build();
    }

    boolean sorted() {
        return this != HASH_ONLY;
    }
}
