package io.offstate.engine;

import java.util.Objects;

import io.offstate.offheap.ByteSource;

/**
 * The package-private {@link WriteObserver} seam of {@link KeyValueStore}, made reachable for the
 * property tests with copies of what it is shown: the observer's key and value sources are
 * flyweights valid only during the call, so each is copied ({@link ByteSource#toByteArray()})
 * before the listener sees it. Like {@link TestOptions}, this class lives in the engine's package
 * but only in the property tests' sources (the tests run on the class path, where a package may
 * span two jars). Not for production use.
 */
public final class TestObservers {
    private TestObservers() {
    }

    /** What a {@link WriteObserver} is told, with copied bytes. */
    public interface Listener {
        /**
         * {@code key} now maps to {@code value}; {@code keyCode} and {@code valueCode} are the
         * sources' dictionary codes (-1: none; the observer must see the caller's bytes, never a coded key).
         */
        void put(byte[] key, int keyCode, byte[] value, int valueCode);

        /** {@code key} (dictionary code {@code keyCode}, -1 for none) was removed. */
        void delete(byte[] key, int keyCode);

        /** The contents were replaced by a snapshot's. */
        void restored();

        /** Every entry was removed. */
        void cleared();
    }

    /** Installs an observer on {@code store} that tells {@code listener} every change, with copied bytes. */
    public static void install(KeyValueStore store, Listener listener) {
        Objects.requireNonNull(listener, "listener");
        store.observer(new WriteObserver() {
            @Override
            public void put(ByteSource key, ByteSource value) {
                listener.put(key.toByteArray(), key.code(), value.toByteArray(), value.code());
            }

            @Override
            public void delete(ByteSource key) {
                listener.delete(key.toByteArray(), key.code());
            }

            @Override
            public void restored() {
                listener.restored();
            }

            @Override
            public void cleared() {
                listener.cleared();
            }
        });
    }

    /** Removes the observer of {@code store}. */
    public static void remove(KeyValueStore store) {
        store.observer(null);
    }
}
