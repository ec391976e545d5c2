package io.offstate.changelog;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.log.WalOptions;

/** Small helpers shared by the changelog tests. */
final class ChangelogTestSupport {
    private static final AtomicInteger NAMES = new AtomicInteger();

    private ChangelogTestSupport() {
    }

    /** A unique name for topics and application ids of one test. */
    static String unique(String prefix) {
        return prefix + "-" + NAMES.incrementAndGet() + "-" + Long.toHexString(System.nanoTime() & 0xffffff);
    }

    /** A manager on {@code dir} with the given stores defined (fsync never: tests need speed, not durability against power loss). */
    static StateManager manager(Path dir, String... stores) {
        StateManager m = StateManager.open(StateManagerOptions.builder(dir)
            .log(WalOptions.defaults().withDurability(io.offstate.engine.log.Durability.NEVER)).build());
        for (String s : stores) {
            m.define(StoreOptions.builder().name(s).build());
        }
        return m;
    }

    static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static String str(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }

    static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    static long longOf(byte[] b) {
        return ByteBuffer.wrap(b).getLong();
    }

    /** The store's contents as a sorted map of UTF-8 strings (values as strings). */
    static Map<String, String> contents(KeyValueStore store) {
        Map<String, String> m = new TreeMap<>();
        store.forEach((k, v) -> m.put(new String(k.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8),
            new String(v.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE), StandardCharsets.UTF_8)));
        return m;
    }

    /** A listener that records every call. */
    static final class RecordingListener implements RestoreListener {
        final List<String> rebuilds = new ArrayList<>();
        final List<RestoreProgress> progress = new ArrayList<>();
        final List<RestoreProgress> restored = new ArrayList<>();
        final List<RestoreProgress> suspended = new ArrayList<>();
        final List<Long> started = new ArrayList<>();

        @Override
        public void started(int partition, long toDo) {
            started.add(toDo);
        }

        @Override
        public void rebuilding(int partition, String store, String reason) {
            rebuilds.add(partition + "/" + store + ": " + reason);
        }

        @Override
        public void progress(RestoreProgress p) {
            progress.add(p);
        }

        @Override
        public void restored(RestoreProgress p) {
            restored.add(p);
        }

        @Override
        public void suspended(RestoreProgress p) {
            suspended.add(p);
        }
    }
}
