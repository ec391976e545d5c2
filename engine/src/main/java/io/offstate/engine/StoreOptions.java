package io.offstate.engine;

import java.security.SecureRandom;
import java.util.Objects;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.SharedMemoryBudget;
import io.offstate.offheap.index.HashIndex;
import io.offstate.offheap.index.NodeDescriptor;
import io.offstate.offheap.index.SlotDescriptor;
import io.offstate.offheap.index.SortedIndex;
import io.offstate.offheap.memory.PagedMemory;

/**
 * Configuration of a {@link KeyValueStore}. Immutable; build one with {@link #builder()}.
 *
 * <pre>{@code
 * StoreOptions options = StoreOptions.builder()
 *     .name("orders-p3")
 *     .memoryBudget(512L << 20)                            // hard limit: 512 MiB off-heap
 *     .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'))
 *     .build();
 * }</pre>
 *
 * <p>Thread-safe (immutable).
 */
public final class StoreOptions {
    /** Default page size: 1 MiB. */
    public static final int DEFAULT_PAGE_SIZE = 1 << 20;
    /** Default cap on distinct dictionary components. */
    public static final int DEFAULT_MAX_DICTIONARY_CODES = 1 << 20;

    private final String name;
    private final long memoryBudget;
    private final int pageShift;
    private final long expectedEntries;
    private final KeyComponent dictionaryKeyComponent;
    private final int maxDictionaryCodes;
    private final long hashSeed;
    private final int fingerprintBits;
    private final boolean sortedIndex;
    private final int sortedIndexNodeSize;
    private final SharedMemoryBudget sharedBudget;

    private StoreOptions(Builder b) {
        this.name = b.name;
        this.memoryBudget = b.memoryBudget;
        this.pageShift = Integer.numberOfTrailingZeros(b.pageSize);
        this.expectedEntries = b.expectedEntries;
        this.dictionaryKeyComponent = b.dictionaryKeyComponent;
        this.maxDictionaryCodes = b.maxDictionaryCodes;
        this.hashSeed = b.hashSeedSet ? b.hashSeed : new SecureRandom().nextLong();
        this.fingerprintBits = b.fingerprintBits;
        this.sortedIndex = b.sortedIndex;
        this.sortedIndexNodeSize = b.sortedIndexNodeSize;
        this.sharedBudget = b.sharedBudget;
        if (sortedIndexNodeSize > pageSize() / 4) {
            throw new IllegalArgumentException("sorted index node size " + sortedIndexNodeSize
                + " exceeds a quarter of the page size " + pageSize());
        }
    }

    /** Options with every default: unbounded budget, 1 MiB pages, no dictionary, random seed. */
    public static StoreOptions defaults() {
        return builder().build();
    }

    /** A builder starting from the defaults. */
    public static Builder builder() {
        return new Builder();
    }

    /** Name used in exception messages. */
    public String name() {
        return name;
    }

    /** Hard off-heap memory limit in bytes ({@link Long#MAX_VALUE}: none). */
    public long memoryBudget() {
        return memoryBudget;
    }

    /** Page size in bytes. */
    public int pageSize() {
        return 1 << pageShift;
    }

    int pageShift() {
        return pageShift;
    }

    /** Entries the index is sized for up front. */
    public long expectedEntries() {
        return expectedEntries;
    }

    /** The key component replaced by dictionary codes, or {@code null} for plain keys. */
    public KeyComponent dictionaryKeyComponent() {
        return dictionaryKeyComponent;
    }

    /** Most distinct dictionary components. */
    public int maxDictionaryCodes() {
        return maxDictionaryCodes;
    }

    /** Seed of the key hash (random unless set). */
    public long hashSeed() {
        return hashSeed;
    }

    /** Fingerprint bits kept in index slots (12 unless reduced by a test). */
    public int fingerprintBits() {
        return fingerprintBits;
    }

    /** Whether the store keeps a sorted index for ordered scans ({@link KeyValueStore#cursor()}). */
    public boolean sortedIndex() {
        return sortedIndex;
    }

    /** Bytes per sorted index node, or 0 for the default (2 KiB, less on pages under 8 KiB). */
    public int sortedIndexNodeSize() {
        return sortedIndexNodeSize;
    }

    /** The budget shared with other stores, or null (see {@link Builder#sharedBudget}). */
    public SharedMemoryBudget sharedBudget() {
        return sharedBudget;
    }

    /** These options with {@code budget} as the shared budget (hash seed and all else kept). */
    StoreOptions withSharedBudget(SharedMemoryBudget budget) {
        Builder b = copy();
        b.sharedBudget = budget;
        return new StoreOptions(b);
    }

    private Builder copy() {
        Builder b = new Builder();
        b.name = name;
        b.memoryBudget = memoryBudget;
        b.pageSize = pageSize();
        b.expectedEntries = expectedEntries;
        b.dictionaryKeyComponent = dictionaryKeyComponent;
        b.maxDictionaryCodes = maxDictionaryCodes;
        b.hashSeed = hashSeed;
        b.hashSeedSet = true;
        b.fingerprintBits = fingerprintBits;
        b.sortedIndex = sortedIndex;
        b.sortedIndexNodeSize = sortedIndexNodeSize;
        b.sharedBudget = sharedBudget;
        return b;
    }

    /**
     * These options for reopening a store whose files recorded the given structural settings: they
     * must match these options (else the reopened store would read its bytes wrongly); the hash
     * seed is taken from the files.
     *
     * @throws IllegalArgumentException naming every setting that differs
     */
    StoreOptions reopened(int storedPageShift, boolean storedSorted, int storedNodeSize, int storedFingerprintBits,
                          KeyComponent storedComponent, int storedMaxCodes, long storedSeed) {
        StringBuilder diff = new StringBuilder();
        if (storedPageShift != pageShift) {
            diff.append(", page size ").append(1 << storedPageShift).append(" (options say ").append(pageSize()).append(')');
        }
        if (storedSorted != sortedIndex) {
            diff.append(", sorted index ").append(storedSorted).append(" (options say ").append(sortedIndex).append(')');
        }
        if (storedSorted && sortedIndex && storedNodeSize != sortedIndexNodeSize) {
            diff.append(", sorted index node size ").append(storedNodeSize).append(" (options say ").append(sortedIndexNodeSize).append(')');
        }
        if (storedFingerprintBits != fingerprintBits) {
            diff.append(", fingerprint bits ").append(storedFingerprintBits).append(" (options say ").append(fingerprintBits).append(')');
        }
        if (!Objects.equals(storedComponent, dictionaryKeyComponent)) {
            diff.append(", dictionary key component ").append(storedComponent).append(" (options say ").append(dictionaryKeyComponent).append(')');
        }
        if (storedComponent != null && storedMaxCodes != maxDictionaryCodes) {
            diff.append(", max dictionary codes ").append(storedMaxCodes).append(" (options say ").append(maxDictionaryCodes).append(')');
        }
        if (diff.length() > 0) {
            throw new IllegalArgumentException("store '" + name + "' was created with other settings: " + diff.substring(2)
                + "; reopen it with the settings it was created with");
        }
        Builder b = copy();
        b.hashSeed = storedSeed;
        return new StoreOptions(b);
    }

    @Override
    public String toString() {
        return "StoreOptions[name=" + name + ", memoryBudget=" + memoryBudget + ", pageSize=" + pageSize()
            + ", expectedEntries=" + expectedEntries + ", dictionaryKeyComponent=" + dictionaryKeyComponent
            + ", fingerprintBits=" + fingerprintBits + ", sortedIndex=" + sortedIndex
            + (sharedBudget == null ? "" : ", sharedBudget=" + sharedBudget.name()) + "]";
    }

    /** Mutable builder of {@link StoreOptions}; not thread-safe. Setters validate at once. */
    public static final class Builder {
        private String name = "store";
        private long memoryBudget = Long.MAX_VALUE;
        private int pageSize = DEFAULT_PAGE_SIZE;
        private long expectedEntries = 1024;
        private KeyComponent dictionaryKeyComponent;
        private int maxDictionaryCodes = DEFAULT_MAX_DICTIONARY_CODES;
        private long hashSeed;
        private boolean hashSeedSet;
        private int fingerprintBits = SlotDescriptor.MAX_FINGERPRINT_BITS;
        private boolean sortedIndex;
        private int sortedIndexNodeSize;
        private SharedMemoryBudget sharedBudget;

        private Builder() {
        }

        /**
         * A budget this store shares with other stores (null, the default: none): the store's
         * off-heap bytes, and its transactions' pending writes, count against it as well as against
         * {@link #memoryBudget(long)}; a write that would pass either throws
         * {@link io.offstate.offheap.StoreFullException} and changes nothing. Not stored in the
         * store's files: give it again when reopening. Snapshots are not charged to it.
         */
        public Builder sharedBudget(SharedMemoryBudget budget) {
            this.sharedBudget = budget;
            return this;
        }

        /** Name used in exception messages (default {@code "store"}). */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /**
         * Hard limit on the off-heap bytes the store holds: pages, large-value segments and index
         * tables. An operation that would exceed it throws {@link io.offstate.offheap.StoreFullException}
         * and changes nothing. Default: unbounded.
         *
         * @throws IllegalArgumentException if not positive
         */
        public Builder memoryBudget(long bytes) {
            if (bytes <= 0) {
                throw new IllegalArgumentException("memory budget must be positive, was " + bytes);
            }
            this.memoryBudget = bytes;
            return this;
        }

        /**
         * Page size: a power of two from 4 KiB to 1 GiB (default 1 MiB). Entries larger than a
         * quarter page get a segment of their own.
         *
         * @throws IllegalArgumentException if not a power of two in range
         */
        public Builder pageSize(int bytes) {
            if (Integer.bitCount(bytes) != 1 || bytes < (1 << PagedMemory.MIN_PAGE_SHIFT)
                || bytes > (1 << PagedMemory.MAX_PAGE_SHIFT)) {
                throw new IllegalArgumentException("page size must be a power of two from 4096 to 1073741824, was " + bytes);
            }
            this.pageSize = bytes;
            return this;
        }

        /**
         * Entries to size the index for up front, avoiding early growth (default 1024), at most
         * {@link HashIndex#MAX_EXPECTED_ENTRIES} (2^37, the most entries the 40-bit addresses can reach).
         *
         * @throws IllegalArgumentException if {@code entries} is negative or above that limit
         */
        public Builder expectedEntries(long entries) {
            if (entries < 0 || entries > HashIndex.MAX_EXPECTED_ENTRIES) {
                throw new IllegalArgumentException("expected entries must be 0.." + HashIndex.MAX_EXPECTED_ENTRIES
                    + " (2^37, the most entries a store's 40-bit addresses can reach), was " + entries);
            }
            this.expectedEntries = entries;
            return this;
        }

        /** Encodes this leading key component as a dictionary code ({@code null}: plain keys). */
        public Builder dictionaryKeyComponent(KeyComponent component) {
            this.dictionaryKeyComponent = component;
            return this;
        }

        /** Most distinct dictionary components before puts of new ones are refused (default 2^20). */
        public Builder maxDictionaryCodes(int codes) {
            if (codes < 1) {
                throw new IllegalArgumentException("max dictionary codes must be >= 1, was " + codes);
            }
            this.maxDictionaryCodes = codes;
            return this;
        }

        /** Fixes the hash seed (default: random per store). Fixing it makes runs reproducible. */
        public Builder hashSeed(long seed) {
            this.hashSeed = seed;
            this.hashSeedSet = true;
            return this;
        }

        /**
         * Tests only, hence not public: keeps only {@code bits} (0..12) fingerprint bits in index
         * slots, so that fingerprints collide and every probe compares key bytes.
         */
        Builder fingerprintBitsForTesting(int bits) {
            if (bits < 0 || bits > SlotDescriptor.MAX_FINGERPRINT_BITS) {
                throw new IllegalArgumentException("fingerprint bits must be 0.." + SlotDescriptor.MAX_FINGERPRINT_BITS + ", was " + bits);
            }
            this.fingerprintBits = bits;
            return this;
        }

        /**
         * Keeps a sorted index beside the hash index (default off), so the store answers ordered
         * queries through {@link KeyValueStore#cursor()}: ranges, prefixes, their reverses, first,
         * last and seek, in unsigned lexicographic order of the key bytes. Point operations still use
         * the hash index. The index costs memory (about 16 to 32 bytes per key in its nodes, under
         * the same budget) and time on every insert and delete; a store without it pays nothing.
         */
        public Builder sortedIndex(boolean enabled) {
            this.sortedIndex = enabled;
            return this;
        }

        /**
         * Tests only, hence not public: sorted index nodes of {@code bytes} (128..65536, at most a
         * quarter page) instead of the default, so that small stores have deep trees and split and
         * merge often.
         */
        Builder sortedIndexNodeSizeForTesting(int bytes) {
            if (bytes < NodeDescriptor.MIN_NODE_SIZE || bytes > SortedIndex.MAX_NODE_SIZE) {
                throw new IllegalArgumentException("sorted index node size must be " + NodeDescriptor.MIN_NODE_SIZE + ".."
                    + SortedIndex.MAX_NODE_SIZE + " bytes, was " + bytes);
            }
            this.sortedIndexNodeSize = bytes;
            return this;
        }

        /** The options. */
        public StoreOptions build() {
            return new StoreOptions(this);
        }
    }
}
