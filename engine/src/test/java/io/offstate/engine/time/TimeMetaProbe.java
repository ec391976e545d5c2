package io.offstate.engine.time;

import io.offstate.engine.KeyValueStore;

/** Opens a store's metadata as another kind of time store, to test the kind check. */
final class TimeMetaProbe {
    private TimeMetaProbe() {
    }

    static void openAsSession(KeyValueStore store) {
        new TimeMeta(store, TimeMeta.SESSION, "session", new String[0], new long[0], new long[] {-1});
    }
}
