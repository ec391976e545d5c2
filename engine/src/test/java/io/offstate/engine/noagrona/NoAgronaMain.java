package io.offstate.engine.noagrona;

import java.nio.charset.StandardCharsets;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.StoreSnapshot;
import io.offstate.engine.ValueView;
import io.offstate.engine.serde.Serdes;
import io.offstate.engine.serde.TypedStore;
import io.offstate.offheap.KeyComponent;

/**
 * Run in a child JVM by {@link NoAgronaTest} with no Agrona on any path: exercises every non-Agrona
 * feature and exits 0 only if all results are right.
 */
public final class NoAgronaMain {
    private NoAgronaMain() {
    }

    public static void main(String[] args) {
        StoreOptions options = StoreOptions.builder().name("no-agrona")
            .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|')).build();
        try (KeyValueStore store = KeyValueStore.create(options)) {
            for (int i = 0; i < 10_000; i++) {
                store.put(("t" + (i % 7) + "|k" + i).getBytes(StandardCharsets.UTF_8), ("v" + i).getBytes(StandardCharsets.UTF_8));
            }
            ValueView view = new ValueView();
            check(store.get("t3|k3".getBytes(StandardCharsets.UTF_8), view), "get hit");
            check(view.contentEquals("v3".getBytes(StandardCharsets.UTF_8)), "value bytes");
            check(view.segment().byteSize() == 2, "segment view");
            try (StoreSnapshot snapshot = store.snapshot()) {
                check(store.delete("t3|k3".getBytes(StandardCharsets.UTF_8)), "delete");
                store.restore(snapshot);
            }
            check(store.size() == 10_000 && store.dictionarySize() == 7, "restore");
            TypedStore<Long, Long> longs = TypedStore.of(KeyValueStore.create(), Serdes.LONG, Serdes.LONG);
            longs.putLong(42L, 7L);
            check(longs.getLong(42L, -1) == 7L, "typed long");
            longs.store().close();
        }
        System.out.println("NO-AGRONA-OK");
    }

    private static void check(boolean ok, String what) {
        if (!ok) {
            throw new AssertionError(what);
        }
    }
}
