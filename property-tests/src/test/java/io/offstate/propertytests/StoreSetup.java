package io.offstate.propertytests;

import java.nio.file.Path;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;

/** A configuration with the per-example hash seed and budget: everything needed to re-create a store. */
record StoreSetup(StoreConfig config, long hashSeed, long budget) {
    StoreOptions options() {
        return config.options(hashSeed, budget);
    }

    KeyValueStore create() {
        return KeyValueStore.create(options());
    }

    /** Opens (creating, or reopening as last flushed) the file-backed store of these options in {@code directory}. */
    KeyValueStore open(Path directory) {
        return KeyValueStore.open(directory, options());
    }

    @Override
    public String toString() {
        return config + "[hashSeed=" + hashSeed + "L" + (config.limited ? ", budget=" + budget : "") + "]";
    }
}
