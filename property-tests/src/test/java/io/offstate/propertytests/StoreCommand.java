package io.offstate.propertytests;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;

import org.agrona.DirectBuffer;
import org.quicktheories.core.stateful.Command;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreSnapshot;
import io.offstate.engine.ValueView;
import io.offstate.offheap.StoreFullException;

/**
 * The commands of the stateful model property. {@link #run} acts on the store and records what it
 * returned; {@link #nextState} (called right after, by {@code Sequential.modelCheck}) checks that
 * return value against the model and returns the next model. Checks that need the store's state
 * before and after the call (store unchanged by a refused put, views invalidated by writes) happen
 * in {@code run}. Commands that change the store report it ({@link StoreUnderTest#wrote()}), so
 * that the cursor commands know when a positioned cursor must fail fast. Writing commands also
 * state what a write observer must have seen of their call ({@link StoreUnderTest#expectObserved}).
 * Every command prints as a readable call.
 */
sealed interface StoreCommand extends Command<StoreUnderTest, Model>
    permits StoreCommand.Put, StoreCommand.Get, StoreCommand.Delete, StoreCommand.Contains, StoreCommand.TakeSnapshot,
            StoreCommand.Restore, StoreCommand.Clear, BulkPutCommand, BulkDeleteCommand, ScanCommand, ContinueScanCommand,
            RewriteCommand, FileCommand {
    /** Most snapshots kept at once; taking another closes the oldest. */
    int MAX_SNAPSHOTS = 4;

    static String describe(Bytes b) {
        return b == null ? "absent" : b.toString();
    }

    /** Asserts a refused operation left the store exactly as it was (contents, memory, dictionary). */
    static void assertUnchanged(StoreCommand command, StoreUnderTest sut, StoreFullException e,
                                TreeMap<Bytes, Bytes> before, long usedBefore, int dictionaryBefore) {
        KeyValueStore store = sut.store;
        if (e.budget() != store.memoryBudget() || e.requested() <= 0 || e.inUse() + e.requested() <= e.budget()) {
            throw new AssertionError(command + ": StoreFullException with inconsistent numbers: budget " + e.budget()
                + ", in use " + e.inUse() + ", requested " + e.requested() + " (store budget " + store.memoryBudget() + ")", e);
        }
        if (store.memoryUsed() != usedBefore) {
            throw new AssertionError(command + ": refused with StoreFullException but memoryUsed changed from "
                + usedBefore + " to " + store.memoryUsed(), e);
        }
        if (store.dictionarySize() != dictionaryBefore) {
            throw new AssertionError(command + ": refused with StoreFullException but dictionarySize changed from "
                + dictionaryBefore + " to " + store.dictionarySize(), e);
        }
        TreeMap<Bytes, Bytes> after = StoreUnderTest.contents(store);
        if (!after.equals(before) || store.size() != before.size()) {
            throw new AssertionError(command + ": refused with StoreFullException but contents changed from "
                + before + " to " + after + " (size " + store.size() + ")", e);
        }
    }

    /** Asserts that a view valid before a write is no longer valid and refuses reads. */
    static void assertViewInvalidated(StoreCommand command, ValueView view, boolean wasValid) {
        if (!wasValid) {
            return;
        }
        if (view.isValid()) {
            throw new AssertionError(command + ": value view still valid after a write");
        }
        try {
            view.length();
            throw new AssertionError(command + ": stale value view still readable after a write");
        } catch (IllegalStateException expected) {
            // stale view refused
        }
    }

    /** put(key, value) through one of the overloads; a StoreFullException must leave the store unchanged. */
    final class Put implements StoreCommand {
        final Bytes key;
        final Bytes value;
        final KeyForm form;
        final int pad;
        private boolean stored;

        Put(Bytes key, Bytes value, KeyForm form, int pad) {
            this.key = key;
            this.value = value;
            this.form = form;
            this.pad = pad;
        }

        @Override
        public void run(StoreUnderTest sut) {
            sut.attemptingWrite();
            KeyValueStore store = sut.store;
            boolean viewValid = sut.view.isValid();
            long usedBefore = store.memoryUsed();
            int dictionaryBefore = store.dictionarySize();
            TreeMap<Bytes, Bytes> before = sut.limited() ? StoreUnderTest.contents(store) : null;
            try {
                form.put(store, key.array(), value.array(), pad);
                stored = true;
                sut.wrote();
            } catch (StoreFullException e) {
                if (!sut.limited()) {
                    throw new AssertionError(this + ": StoreFullException with an unlimited budget", e);
                }
                stored = false;
                sut.expectNothingObserved(this + " (refused with StoreFullException)");
                assertUnchanged(this, sut, e, before, usedBefore, dictionaryBefore);
                return;
            }
            sut.expectObserved(this, List.of(ObservedWrites.Event.put(key, value)));
            sut.assertDirtied(this);
            assertViewInvalidated(this, sut.view, viewValid);
        }

        @Override
        public Model nextState(Model model) {
            return stored ? model.with(key, value) : model;
        }

        @Override
        public String toString() {
            return "put(" + key + ", " + value + ") via " + form.label(pad);
        }
    }

    /** get(key, view) (checking the view's accessors against each other) or getCopy(key). */
    final class Get implements StoreCommand {
        final Bytes key;
        final KeyForm form;
        final int pad;
        final boolean copy;
        final int probe;
        private Bytes observed;

        Get(Bytes key, KeyForm form, int pad, boolean copy, int probe) {
            this.key = key;
            this.form = form;
            this.pad = pad;
            this.copy = copy;
            this.probe = probe;
        }

        @Override
        public void run(StoreUnderTest sut) {
            if (copy) {
                byte[] c = form.getCopy(sut.store, key.array(), pad);
                observed = c == null ? null : Bytes.wrap(c);
                return;
            }
            ValueView view = sut.view;
            if (form.get(sut.store, key.array(), pad, view)) {
                observed = Bytes.wrap(readView(view));
            } else {
                observed = null;
                if (view.isValid()) {
                    throw new AssertionError(this + ": miss left the view valid");
                }
                try {
                    view.length();
                    throw new AssertionError(this + ": miss left the view readable");
                } catch (IllegalStateException expected) {
                    // cleared view refused
                }
            }
        }

        /** The view's bytes, after checking that all its accessors agree. */
        private byte[] readView(ValueView view) {
            if (!view.isValid()) {
                throw new AssertionError(this + ": hit but view not valid");
            }
            int length = view.length();
            byte[] bytes = view.toByteArray();
            check(bytes.length == length, "toByteArray length " + bytes.length + " != length() " + length);
            check(view.contentEquals(bytes), "contentEquals(toByteArray()) is false");
            MemorySegment segment = view.segment();
            check(segment.isReadOnly(), "segment() is writable");
            check(Arrays.equals(segment.toArray(ValueLayout.JAVA_BYTE), bytes), "segment() differs from toByteArray()");
            check(Arrays.equals(view.memory().asSlice(view.offset(), length).toArray(ValueLayout.JAVA_BYTE), bytes),
                "memory()/offset() differ from toByteArray()");
            byte[] target = new byte[length + 2];
            view.copyTo(target, 1);
            check(Arrays.equals(target, 1, length + 1, bytes, 0, length), "copyTo differs from toByteArray()");
            DirectBuffer buffer = view.buffer();
            check(buffer.capacity() == length, "buffer() capacity " + buffer.capacity() + " != " + length);
            byte[] fromBuffer = new byte[length];
            buffer.getBytes(0, fromBuffer);
            check(Arrays.equals(fromBuffer, bytes), "buffer() differs from toByteArray()");
            if (length > 0) {
                int i = probe % length;
                check(view.getByte(i) == bytes[i], "getByte(" + i + ") differs");
            }
            if (length >= Long.BYTES) {
                int i = probe % (length - Long.BYTES + 1);
                ByteBuffer bb = ByteBuffer.wrap(bytes);
                check(view.getLong(i) == bb.order(ByteOrder.LITTLE_ENDIAN).getLong(i), "getLong(" + i + ") differs");
                check(view.getLongBigEndian(i) == bb.order(ByteOrder.BIG_ENDIAN).getLong(i), "getLongBigEndian(" + i + ") differs");
                check(view.getInt(i) == bb.order(ByteOrder.LITTLE_ENDIAN).getInt(i), "getInt(" + i + ") differs");
            }
            return bytes;
        }

        private void check(boolean ok, String what) {
            if (!ok) {
                throw new AssertionError(this + ": " + what);
            }
        }

        @Override
        public Model nextState(Model model) {
            Bytes expected = model.get(key);
            if (!Objects.equals(expected, observed)) {
                throw new AssertionError(this + ": store returned " + describe(observed) + ", model has " + describe(expected));
            }
            return model;
        }

        @Override
        public String toString() {
            return (copy ? "getCopy(" : "get(") + key + ") via " + (copy ? form.forCopy() : form).label(pad);
        }
    }

    /** delete(key): returns whether the key was present. */
    final class Delete implements StoreCommand {
        final Bytes key;
        final KeyForm form;
        final int pad;
        private boolean removed;

        Delete(Bytes key, KeyForm form, int pad) {
            this.key = key;
            this.form = form;
            this.pad = pad;
        }

        @Override
        public void run(StoreUnderTest sut) {
            sut.attemptingWrite();
            boolean viewValid = sut.view.isValid();
            removed = form.delete(sut.store, key.array(), pad);
            sut.expectObserved(this + (removed ? "" : " (returned false)"),
                removed ? List.of(ObservedWrites.Event.delete(key)) : List.of());
            if (removed) {
                sut.wrote();
                sut.assertDirtied(this);
                assertViewInvalidated(this, sut.view, viewValid);
            }
        }

        @Override
        public Model nextState(Model model) {
            boolean present = model.get(key) != null;
            if (removed != present) {
                throw new AssertionError(this + ": returned " + removed + " but the model " + (present ? "has" : "lacks") + " the key");
            }
            return removed ? model.without(key) : model;
        }

        @Override
        public String toString() {
            return "delete(" + key + ") via " + form.label(pad);
        }
    }

    /** contains(key). */
    final class Contains implements StoreCommand {
        final Bytes key;
        final KeyForm form;
        final int pad;
        private boolean observed;

        Contains(Bytes key, KeyForm form, int pad) {
            this.key = key;
            this.form = form;
            this.pad = pad;
        }

        @Override
        public void run(StoreUnderTest sut) {
            observed = form.contains(sut.store, key.array(), pad);
        }

        @Override
        public Model nextState(Model model) {
            boolean present = model.get(key) != null;
            if (observed != present) {
                throw new AssertionError(this + ": returned " + observed + " but the model " + (present ? "has" : "lacks") + " the key");
            }
            return model;
        }

        @Override
        public String toString() {
            return "contains(" + key + ") via " + form.label(pad);
        }
    }

    /** snapshot(): kept by the SUT (the oldest closed beyond {@link #MAX_SNAPSHOTS}); the model keeps the map. */
    final class TakeSnapshot implements StoreCommand {
        @Override
        public void run(StoreUnderTest sut) {
            if (sut.snapshots.size() >= MAX_SNAPSHOTS) {
                sut.snapshots.remove(0).close();
            }
            KeyValueStore store = sut.store;
            long used = store.memoryUsed();
            StoreSnapshot snapshot = store.snapshot();
            sut.snapshots.add(snapshot);
            if (snapshot.size() != store.size() || snapshot.memoryUsed() != used || store.memoryUsed() != used) {
                throw new AssertionError(this + ": snapshot has size " + snapshot.size() + ", memoryUsed " + snapshot.memoryUsed()
                    + "; store has size " + store.size() + ", memoryUsed " + used + " before and " + store.memoryUsed() + " after");
            }
        }

        @Override
        public Model nextState(Model model) {
            return model.withSnapshot(MAX_SNAPSHOTS);
        }

        @Override
        public String toString() {
            return "snapshot()";
        }
    }

    /**
     * restore(snapshot number {@code pick % count}) (no-op without snapshots): the store becomes
     * equal to the snapshot, memory in use included. Refused with StoreFullException only if the
     * snapshot needs more than the budget, and then leaves the store unchanged.
     */
    final class Restore implements StoreCommand {
        final int pick;
        private int restored;

        Restore(int pick) {
            this.pick = pick;
        }

        @Override
        public void run(StoreUnderTest sut) {
            restored = -1;
            if (sut.snapshots.isEmpty()) {
                return;
            }
            int index = pick % sut.snapshots.size();
            StoreSnapshot snapshot = sut.snapshots.get(index);
            sut.attemptingWrite();
            KeyValueStore store = sut.store;
            boolean viewValid = sut.view.isValid();
            long usedBefore = store.memoryUsed();
            int dictionaryBefore = store.dictionarySize();
            TreeMap<Bytes, Bytes> before = sut.limited() ? StoreUnderTest.contents(store) : null;
            try {
                store.restore(snapshot);
                sut.wrote();
            } catch (StoreFullException e) {
                if (!sut.limited() || snapshot.memoryUsed() <= store.memoryBudget()) {
                    throw new AssertionError(this + ": StoreFullException although the snapshot's memoryUsed "
                        + snapshot.memoryUsed() + " fits the budget " + store.memoryBudget(), e);
                }
                sut.expectNothingObserved(this + " (refused with StoreFullException)");
                assertUnchanged(this, sut, e, before, usedBefore, dictionaryBefore);
                return;
            }
            sut.expectObserved(this, List.of(ObservedWrites.Event.RESTORED));
            if (store.memoryUsed() != snapshot.memoryUsed()) {
                throw new AssertionError(this + ": after restore memoryUsed is " + store.memoryUsed()
                    + ", the snapshot's is " + snapshot.memoryUsed());
            }
            assertViewInvalidated(this, sut.view, viewValid);
            restored = index;
        }

        @Override
        public Model nextState(Model model) {
            return restored < 0 ? model : model.restored(restored);
        }

        @Override
        public String toString() {
            return "restore(snapshot[" + pick + " % count])";
        }
    }

    /**
     * clear(): the store holds no entry and no dictionary component, with the memory of a new empty
     * store; views (and cursor positions) are invalidated. Snapshots are kept; a file-backed store's
     * files keep the last flush until the next one (the model's durable entries stay as they were).
     */
    final class Clear implements StoreCommand {
        private long sizeBefore = -1;

        @Override
        public void run(StoreUnderTest sut) {
            sut.attemptingWrite();
            KeyValueStore store = sut.store;
            boolean viewValid = sut.view.isValid();
            sizeBefore = store.size();
            store.clear();
            sut.wrote();
            sut.expectObserved(this, List.of(ObservedWrites.Event.CLEARED));
            if (store.size() != 0 || store.dictionarySize() != 0 || store.memoryUsed() != sut.memoryUsedWhenEmpty) {
                throw new AssertionError(this + ": left size " + store.size() + ", dictionarySize " + store.dictionarySize()
                    + ", memoryUsed " + store.memoryUsed() + " (a new empty store uses " + sut.memoryUsedWhenEmpty + ")");
            }
            assertViewInvalidated(this, sut.view, viewValid);
        }

        @Override
        public Model nextState(Model model) {
            return model.cleared();
        }

        @Override
        public String toString() {
            return "clear()" + (sizeBefore < 0 ? "" : " of " + sizeBefore + " entries");
        }
    }
}
