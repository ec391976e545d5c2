package io.offstate.propertytests;

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

    @Override
    public String toString() {
        return config + "[hashSeed=" + hashSeed + "L" + (config.limited ? ", budget=" + budget : "") + "]";
    }
}
