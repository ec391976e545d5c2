package io.offstate.propertytests;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Objects;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * The model of a store plus its snapshots: the entries (a map sorted by unsigned lexicographic
 * order of the key bytes: readable output, and the answer to cursor queries), the
 * entry count, and the list of snapshots. Two models are equal when entries, count and snapshot
 * sizes are equal. The snapshots' contents are known only on the model side (a snapshot cannot be
 * read without restoring it); they are checked by the restore command, which makes the store equal
 * to the snapshot.
 *
 * <p>Immutable: commands return new models.
 */
final class Model {
    final NavigableMap<Bytes, Bytes> entries;
    final long size;
    final List<Long> snapshotSizes;
    /** Contents of each snapshot; null for a model observed from the store. */
    final List<SortedMap<Bytes, Bytes>> snapshotContents;

    private Model(NavigableMap<Bytes, Bytes> entries, long size, List<Long> snapshotSizes,
                  List<SortedMap<Bytes, Bytes>> snapshotContents) {
        this.entries = Collections.unmodifiableNavigableMap(entries);
        this.size = size;
        this.snapshotSizes = List.copyOf(snapshotSizes);
        this.snapshotContents = snapshotContents == null ? null : List.copyOf(snapshotContents);
    }

    static Model empty() {
        return new Model(new TreeMap<>(), 0, List.of(), List.of());
    }

    static Model observed(NavigableMap<Bytes, Bytes> entries, long size, List<Long> snapshotSizes) {
        return new Model(entries, size, snapshotSizes, null);
    }

    private static Model of(NavigableMap<Bytes, Bytes> entries, List<SortedMap<Bytes, Bytes>> snapshots) {
        List<Long> sizes = new ArrayList<>(snapshots.size());
        for (SortedMap<Bytes, Bytes> s : snapshots) {
            sizes.add((long) s.size());
        }
        return new Model(entries, entries.size(), sizes, snapshots);
    }

    Bytes get(Bytes key) {
        return entries.get(key);
    }

    Model with(Bytes key, Bytes value) {
        TreeMap<Bytes, Bytes> e = new TreeMap<>(entries);
        e.put(key, value);
        return of(e, snapshotContents);
    }

    /** {@code puts} applied in order (later puts of a key win). */
    Model withAll(List<Map.Entry<Bytes, Bytes>> puts) {
        if (puts.isEmpty()) {
            return this;
        }
        TreeMap<Bytes, Bytes> e = new TreeMap<>(entries);
        for (Map.Entry<Bytes, Bytes> p : puts) {
            e.put(p.getKey(), p.getValue());
        }
        return of(e, snapshotContents);
    }

    Model without(Bytes key) {
        TreeMap<Bytes, Bytes> e = new TreeMap<>(entries);
        e.remove(key);
        return of(e, snapshotContents);
    }

    /** {@code keys} removed. */
    Model withoutAll(List<Bytes> keys) {
        if (keys.isEmpty()) {
            return this;
        }
        TreeMap<Bytes, Bytes> e = new TreeMap<>(entries);
        for (Bytes k : keys) {
            e.remove(k);
        }
        return of(e, snapshotContents);
    }

    /** A snapshot of the current entries appended, the oldest dropped if there are already {@code max}. */
    Model withSnapshot(int max) {
        List<SortedMap<Bytes, Bytes>> s = new ArrayList<>(snapshotContents);
        if (s.size() >= max) {
            s.remove(0);
        }
        s.add(entries);
        return of(new TreeMap<>(entries), s);
    }

    /** Entries replaced by those of snapshot {@code index}. */
    Model restored(int index) {
        return of(new TreeMap<>(snapshotContents.get(index)), snapshotContents);
    }

    int snapshotCount() {
        return snapshotSizes.size();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Model m && m.size == size && m.entries.equals(entries) && m.snapshotSizes.equals(snapshotSizes);
    }

    @Override
    public int hashCode() {
        return Objects.hash(entries, size, snapshotSizes);
    }

    @Override
    public String toString() {
        return "{size=" + size + ", snapshotSizes=" + snapshotSizes + ", entries=" + entries + "}";
    }
}
