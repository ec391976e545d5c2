package io.offstate.propertytests;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.TestObservers;

/**
 * A recording write observer ({@link TestObservers}) and the replay of what it saw: every event is
 * kept (with copied bytes) until the next observation, which replays them into a {@code TreeMap}
 * (put, delete; restored: reload from the store; cleared: empty) that must then equal the store's
 * contents. The commands that write state which events their call must have produced, exactly and
 * in order ({@link #expect}): one put per stored entry, one delete per removed key, one restored
 * per restore, one cleared per clear, and nothing for a refused put (StoreFullException), a delete
 * of an absent key, a refused restore, a flush or a read. Keys must be the caller's bytes: a
 * source with a dictionary code (an encoded key) is a failure in itself.
 */
final class ObservedWrites implements TestObservers.Listener {
    enum Kind { PUT, DELETE, RESTORED, CLEARED }

    /** One call of the observer; key and value null where the kind has none. */
    record Event(Kind kind, Bytes key, Bytes value) {
        static final Event RESTORED = new Event(Kind.RESTORED, null, null);
        static final Event CLEARED = new Event(Kind.CLEARED, null, null);

        static Event put(Bytes key, Bytes value) {
            return new Event(Kind.PUT, key, value);
        }

        static Event delete(Bytes key) {
            return new Event(Kind.DELETE, key, null);
        }

        @Override
        public String toString() {
            return switch (kind) {
                case PUT -> "put(" + key + ", " + value + ")";
                case DELETE -> "delete(" + key + ")";
                case RESTORED -> "restored()";
                case CLEARED -> "cleared()";
            };
        }
    }

    /** Events since the last {@link #replay}. */
    private final List<Event> pending = new ArrayList<>();
    /** The store's contents as rebuilt from the events. */
    private final TreeMap<Bytes, Bytes> replayed = new TreeMap<>();
    /** The first source seen with a dictionary code, or null. */
    private String coded;

    /** Installs this observer on {@code store}, whose contents are {@code contents} (the replay starts from them). */
    void attach(KeyValueStore store, Map<Bytes, Bytes> contents) {
        pending.clear();
        replayed.clear();
        replayed.putAll(contents);
        TestObservers.install(store, this);
    }

    @Override
    public void put(byte[] key, int keyCode, byte[] value, int valueCode) {
        Event e = Event.put(Bytes.wrap(key), Bytes.wrap(value));
        if ((keyCode != -1 || valueCode != -1) && coded == null) {
            coded = e + " with key code " + keyCode + ", value code " + valueCode;
        }
        pending.add(e);
    }

    @Override
    public void delete(byte[] key, int keyCode) {
        Event e = Event.delete(Bytes.wrap(key));
        if (keyCode != -1 && coded == null) {
            coded = e + " with key code " + keyCode;
        }
        pending.add(e);
    }

    @Override
    public void restored() {
        pending.add(Event.RESTORED);
    }

    @Override
    public void cleared() {
        pending.add(Event.CLEARED);
    }

    /** The events since the last observation. */
    List<Event> pending() {
        return pending;
    }

    /** Asserts that the events since the last observation are exactly {@code expected}, in order. */
    void expect(Object command, List<Event> expected) {
        checkUncoded(command);
        if (!pending.equals(expected)) {
            throw new AssertionError(command + ": the write observer saw " + abbreviated(pending) + ", expected "
                + abbreviated(expected));
        }
    }

    /**
     * Replays the events since the last observation ({@code readOnly}: the command could not write,
     * so there must be none) and asserts that the replay equals {@code contents}, the store's now.
     */
    void replay(boolean readOnly, Map<Bytes, Bytes> contents) {
        checkUncoded("after the command");
        if (readOnly && !pending.isEmpty()) {
            throw new AssertionError("the write observer saw " + abbreviated(pending) + " during a command that does not write");
        }
        for (int i = 0; i < pending.size(); i++) {
            Event e = pending.get(i);
            switch (e.kind) {
                case PUT -> replayed.put(e.key, e.value);
                case DELETE -> {
                    if (replayed.remove(e.key) == null) {
                        throw new AssertionError("the write observer saw " + e + " of a key the replay of its events lacks: "
                            + abbreviated(pending));
                    }
                }
                case RESTORED -> {
                    if (i != pending.size() - 1) {
                        throw new IllegalStateException("events after restored() in one command cannot be replayed: " + pending);
                    }
                    replayed.clear();
                    replayed.putAll(contents);
                }
                case CLEARED -> replayed.clear();
            }
        }
        pending.clear();
        if (!replayed.equals(contents)) {
            throw new AssertionError("the replay of the write observer's events differs from the store: " + difference(contents));
        }
    }

    private void checkUncoded(Object where) {
        if (coded != null) {
            throw new AssertionError(where + ": the write observer saw a dictionary-encoded source: " + coded);
        }
    }

    private String difference(Map<Bytes, Bytes> contents) {
        List<String> out = new ArrayList<>();
        for (Map.Entry<Bytes, Bytes> e : replayed.entrySet()) {
            Bytes stored = contents.get(e.getKey());
            if (!Objects.equals(stored, e.getValue())) {
                out.add(e.getKey() + ": replay " + e.getValue() + ", store " + StoreCommand.describe(stored));
            }
        }
        for (Map.Entry<Bytes, Bytes> e : contents.entrySet()) {
            if (!replayed.containsKey(e.getKey())) {
                out.add(e.getKey() + ": replay absent, store " + e.getValue());
            }
        }
        return out.size() + " keys differ (replay " + replayed.size() + " entries, store " + contents.size() + "): "
            + abbreviated(out);
    }

    private static String abbreviated(List<?> list) {
        return list.size() <= 20 ? list.toString() : list.subList(0, 20) + " and " + (list.size() - 20) + " more";
    }
}
