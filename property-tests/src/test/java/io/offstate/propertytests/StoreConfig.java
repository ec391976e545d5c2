package io.offstate.propertytests;

import io.offstate.engine.StoreOptions;
import io.offstate.engine.TestOptions;
import io.offstate.offheap.KeyComponent;

/**
 * The store configurations every model property runs over: hash-only ones (cursors are refused
 * with UnsupportedOperationException) and {@code SORTED_*} ones with a sorted index.
 */
enum StoreConfig {
    /** Plain defaults (1 MiB pages, unbounded budget, no dictionary); only the hash seed is fixed. */
    DEFAULTS(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b;
        }
    },
    /** Dictionary-encoded: the bytes before the first '|' become a code. */
    DICT_DELIMITER(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.dictionaryKeyComponent(DELIMITER);
        }
    },
    /** Dictionary-encoded: the first 3 bytes (or the whole shorter key) become a code. */
    DICT_PREFIX3(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.dictionaryKeyComponent(KeyComponent.fixedPrefix(3));
        }
    },
    /** No fingerprint bits: every probe compares key bytes. */
    COLLIDING(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return TestOptions.fingerprintBits(b, 0);
        }
    },
    /** No fingerprint bits, with dictionary encoding (until '|'). */
    COLLIDING_DICT_DELIMITER(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return TestOptions.fingerprintBits(b, 0).dictionaryKeyComponent(DELIMITER);
        }
    },
    /** No fingerprint bits, a 1-entry initial index (grows all the time), fixed-prefix dictionary. */
    COLLIDING_TINY_INDEX_DICT_PREFIX3(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return TestOptions.fingerprintBits(b, 0).expectedEntries(1).dictionaryKeyComponent(KeyComponent.fixedPrefix(3));
        }
    },
    /** No fingerprint bits and a 1-entry initial index: dense chains where every slot is a candidate. */
    COLLIDING_TINY_INDEX(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return TestOptions.fingerprintBits(b, 0).expectedEntries(1);
        }
    },
    /** A 1-entry initial index: the index grows (incrementally) throughout. */
    TINY_INDEX(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.expectedEntries(1);
        }
    },
    /** 4 KiB pages: entries over a quarter page (~1 KiB) go to dedicated large segments. */
    SMALL_PAGES(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.pageSize(4096);
        }
    },
    /** 4 KiB pages with dictionary encoding (until '|'). */
    SMALL_PAGES_DICT_DELIMITER(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.pageSize(4096).dictionaryKeyComponent(DELIMITER);
        }
    },
    /** 4 KiB pages, a budget of 4..64 KiB (per example, mostly under 24 KiB): puts often throw StoreFullException. */
    TIGHT_BUDGET(true) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.pageSize(4096).expectedEntries(16);
        }
    },
    /** As {@link #TIGHT_BUDGET}, with dictionary encoding (until '|'): new components need headroom. */
    TIGHT_BUDGET_DICT_DELIMITER(true) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.pageSize(4096).expectedEntries(16).dictionaryKeyComponent(DELIMITER);
        }
    },
    /** With a sorted index beside the hash index; otherwise defaults. */
    SORTED(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.sortedIndex(true);
        }
    },
    /** Sorted, dictionary-encoded until '|': scans must follow the original key bytes, not the codes. */
    SORTED_DICT_DELIMITER(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.sortedIndex(true).dictionaryKeyComponent(DELIMITER);
        }
    },
    /** Sorted, with the first 3 bytes (or the whole shorter key) dictionary-encoded. */
    SORTED_DICT_PREFIX3(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.sortedIndex(true).dictionaryKeyComponent(KeyComponent.fixedPrefix(3));
        }
    },
    /** Sorted with 4 KiB pages: index nodes are small and split often; long keys fill a node alone. */
    SORTED_SMALL_PAGES(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.sortedIndex(true).pageSize(4096);
        }
    },
    /** Sorted with 4 KiB pages and dictionary encoding (until '|'). */
    SORTED_SMALL_PAGES_DICT_DELIMITER(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.sortedIndex(true).pageSize(4096).dictionaryKeyComponent(DELIMITER);
        }
    },
    /** Sorted, no fingerprint bits, a 1-entry initial hash index, fixed-prefix dictionary. */
    SORTED_COLLIDING_TINY_INDEX_DICT_PREFIX3(false) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return TestOptions.fingerprintBits(b.sortedIndex(true), 0).expectedEntries(1)
                .dictionaryKeyComponent(KeyComponent.fixedPrefix(3));
        }
    },
    /** As {@link #TIGHT_BUDGET}, sorted: index node splits may be refused with StoreFullException. */
    SORTED_TIGHT_BUDGET(true) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.sortedIndex(true).pageSize(4096).expectedEntries(16);
        }
    },
    /** As {@link #TIGHT_BUDGET_DICT_DELIMITER}, sorted. */
    SORTED_TIGHT_BUDGET_DICT_DELIMITER(true) {
        @Override
        StoreOptions.Builder configure(StoreOptions.Builder b) {
            return b.sortedIndex(true).pageSize(4096).expectedEntries(16).dictionaryKeyComponent(DELIMITER);
        }
    };

    static final byte DELIMITER_BYTE = '|';
    static final KeyComponent DELIMITER = KeyComponent.untilDelimiter(DELIMITER_BYTE);
    static final int MIN_TIGHT_BUDGET = 4 << 10;
    static final int MAX_TIGHT_BUDGET = 64 << 10;

    /** Whether the configuration has a small memory budget (puts may throw StoreFullException). */
    final boolean limited;

    StoreConfig(boolean limited) {
        this.limited = limited;
    }

    abstract StoreOptions.Builder configure(StoreOptions.Builder b);

    /** Options with this configuration, {@code hashSeed} and (if {@link #limited}) {@code budget} bytes. */
    StoreOptions options(long hashSeed, long budget) {
        StoreOptions.Builder b = configure(StoreOptions.builder().name(name().toLowerCase()).hashSeed(hashSeed));
        if (limited) {
            b.memoryBudget(budget);
        }
        return b.build();
    }

    /** The dictionary key component of this configuration, or null. */
    KeyComponent keyComponent() {
        return configure(StoreOptions.builder().hashSeed(0)).build().dictionaryKeyComponent();
    }

    boolean hasDictionary() {
        return keyComponent() != null;
    }

    /** Whether stores of this configuration have a sorted index (and so answer cursors). */
    boolean sorted() {
        return configure(StoreOptions.builder().hashSeed(0)).build().sortedIndex();
    }

    /**
     * The dictionary component of {@code key} under {@code component} (computed independently of the
     * store, from KeyComponent's documented rules).
     */
    static Bytes componentOf(KeyComponent component, byte[] key) {
        int length;
        if (component.equals(DELIMITER)) {
            length = key.length;
            for (int i = 0; i < key.length; i++) {
                if (key[i] == DELIMITER_BYTE) {
                    length = i;
                    break;
                }
            }
        } else if (component.equals(KeyComponent.fixedPrefix(3))) {
            length = Math.min(3, key.length);
        } else {
            throw new IllegalArgumentException("no model of " + component);
        }
        return Bytes.wrap(java.util.Arrays.copyOf(key, length));
    }
}
