package io.offstate.propertytests;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeMap;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreSnapshot;
import io.offstate.engine.ValueView;
import io.offstate.offheap.KeyComponent;

/** The system under test: a store, the snapshots taken of it so far, and a reused value view. */
final class StoreUnderTest implements AutoCloseable {
    final StoreSetup setup;
    final KeyValueStore store;
    final List<StoreSnapshot> snapshots = new ArrayList<>();
    final ValueView view = new ValueView();
    private final KeyComponent component;

    StoreUnderTest(StoreSetup setup) {
        this.setup = setup;
        this.store = setup.create();
        this.component = setup.config().keyComponent();
    }

    boolean limited() {
        return setup.config().limited;
    }

    /** The store's entries, read with forEach (segments copied during the call); checks forEach's contract. */
    static TreeMap<Bytes, Bytes> contents(KeyValueStore store) {
        TreeMap<Bytes, Bytes> out = new TreeMap<>();
        store.forEach((k, v) -> {
            if (!k.isReadOnly() || !v.isReadOnly()) {
                throw new AssertionError("forEach passed a writable segment (key " + k.isReadOnly() + ", value " + v.isReadOnly() + ")");
            }
            Bytes key = Bytes.copyOf(k);
            Bytes previous = out.put(key, Bytes.copyOf(v));
            if (previous != null) {
                throw new AssertionError("forEach visited key " + key + " twice");
            }
        });
        return out;
    }

    /** The SUT as a model: contents via forEach, size(), snapshot sizes; checks budget and dictionary invariants. */
    Model observe() {
        TreeMap<Bytes, Bytes> entries = contents(store);
        long used = store.memoryUsed();
        if (used > store.memoryBudget() || used < 0) {
            throw new AssertionError("memoryUsed " + used + " outside [0, budget " + store.memoryBudget() + "]");
        }
        if (component == null) {
            if (store.dictionarySize() != 0) {
                throw new AssertionError("dictionarySize " + store.dictionarySize() + " without a dictionary");
            }
        } else {
            Set<Bytes> components = new HashSet<>();
            for (Bytes k : entries.keySet()) {
                components.add(StoreConfig.componentOf(component, k.array()));
            }
            if (store.dictionarySize() < components.size()) {
                throw new AssertionError("dictionarySize " + store.dictionarySize() + " < " + components.size()
                    + " distinct components of live keys");
            }
        }
        List<Long> sizes = new ArrayList<>(snapshots.size());
        for (StoreSnapshot s : snapshots) {
            sizes.add(s.size());
        }
        return Model.observed(entries, store.size(), sizes);
    }

    @Override
    public void close() {
        for (StoreSnapshot s : snapshots) {
            s.close();
        }
        snapshots.clear();
        store.close();
    }
}
