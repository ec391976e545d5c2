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
 * entry count, and the list of snapshots. Two models are equal when entries, count, snapshot
 * sizes and flush generation are equal. The snapshots' contents are known only on the model side
 * (a snapshot cannot be read without restoring it); they are checked by the restore command, which
 * makes the store equal to the snapshot.
 *
 * <p>For file-backed stores the model also knows the {@link #durable} entries (those of the last
 * flush: what the directory reopens as after a crash) and the {@link #generation} of that flush.
 * For every store it knows the {@link #metadata} of the last flush that carried some (what
 * {@code lastFlushMetadata()} returns: in memory, after every flush, and after every reopen,
 * whether the store was closed or died); it is part of equality.
 * The durable entries are not part of equality: an open store cannot show them, only a reopen can
 * (the reopen commands compare them). In-memory models have generation 0, like
 * {@code flushGeneration()} of an in-memory store.
 *
 * <p>Immutable: commands return new models.
 */
final class Model {
    final NavigableMap<Bytes, Bytes> entries;
    final long size;
    final List<Long> snapshotSizes;
    /** Contents of each snapshot; null for a model observed from the store. */
    final List<SortedMap<Bytes, Bytes>> snapshotContents;
    /** Entries of the last flush (file-backed stores; empty otherwise); null for a model observed from the store. */
    final NavigableMap<Bytes, Bytes> durable;
    /** flushGeneration(): of the last flush of a file-backed store, 0 for an in-memory one. */
    final long generation;
    /** lastFlushMetadata(): the metadata of the last flush(metadata), carried by plain flushes; empty before any. */
    final Bytes metadata;

    private Model(NavigableMap<Bytes, Bytes> entries, long size, List<Long> snapshotSizes,
                  List<SortedMap<Bytes, Bytes>> snapshotContents, NavigableMap<Bytes, Bytes> durable, long generation,
                  Bytes metadata) {
        this.entries = Collections.unmodifiableNavigableMap(entries);
        this.size = size;
        this.snapshotSizes = List.copyOf(snapshotSizes);
        this.snapshotContents = snapshotContents == null ? null : List.copyOf(snapshotContents);
        this.durable = durable == null ? null : Collections.unmodifiableNavigableMap(durable);
        this.generation = generation;
        this.metadata = Objects.requireNonNull(metadata, "metadata");
    }

    /** An empty in-memory store. */
    static Model empty() {
        return new Model(new TreeMap<>(), 0, List.of(), List.of(), new TreeMap<>(), 0, Bytes.EMPTY);
    }

    /** A file-backed store just created in an empty directory: its creation is generation 1. */
    static Model emptyFileBacked() {
        return new Model(new TreeMap<>(), 0, List.of(), List.of(), new TreeMap<>(), 1, Bytes.EMPTY);
    }

    static Model observed(NavigableMap<Bytes, Bytes> entries, long size, List<Long> snapshotSizes, long generation,
                          Bytes metadata) {
        return new Model(entries, size, snapshotSizes, null, null, generation, metadata);
    }

    /** {@code entries} and {@code snapshots}, with this model's durable entries, generation and metadata. */
    private Model of(NavigableMap<Bytes, Bytes> entries, List<SortedMap<Bytes, Bytes>> snapshots) {
        List<Long> sizes = new ArrayList<>(snapshots.size());
        for (SortedMap<Bytes, Bytes> s : snapshots) {
            sizes.add((long) s.size());
        }
        return new Model(entries, entries.size(), sizes, snapshots, durable, generation, metadata);
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

    /** No entries (clear()); snapshots, durable entries, generation and metadata as they were. */
    Model cleared() {
        return of(new TreeMap<>(), snapshotContents);
    }

    /**
     * After a plain flush (also that of close() or verifyFiles()): the entries are durable, one
     * generation later (an in-memory store stays at generation 0); the metadata is kept.
     */
    Model flushed() {
        return flushed(metadata);
    }

    /** After flush({@code flushMetadata}), or a plain flush if null: as {@link #flushed()}, with that metadata. */
    Model flushed(Bytes flushMetadata) {
        return new Model(entries, size, snapshotSizes, snapshotContents, entries, generation == 0 ? 0 : generation + 1,
            flushMetadata == null ? metadata : flushMetadata);
    }

    /**
     * After the process "died" (closeWithoutFlush) and the directory was reopened: the entries of
     * the last flush, same generation. Snapshots live outside the store's files, so they are kept.
     */
    Model recovered() {
        return of(new TreeMap<>(durable), snapshotContents);
    }

    int snapshotCount() {
        return snapshotSizes.size();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Model m && m.size == size && m.generation == generation && m.entries.equals(entries)
            && m.snapshotSizes.equals(snapshotSizes) && m.metadata.equals(metadata);
    }

    @Override
    public int hashCode() {
        return Objects.hash(entries, size, snapshotSizes, generation, metadata);
    }

    @Override
    public String toString() {
        String files = generation == 0 ? "" : ", flushGeneration=" + generation
            + (durable == null ? "" : ", durable entries=" + (durable.equals(entries) ? "all" : durable.size()));
        String meta = metadata.length() == 0 ? "" : ", lastFlushMetadata=" + metadata;
        return "{size=" + size + ", snapshotSizes=" + snapshotSizes + files + meta + ", entries=" + entries + "}";
    }
}
