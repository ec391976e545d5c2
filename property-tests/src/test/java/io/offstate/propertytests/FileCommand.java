package io.offstate.propertytests;

import java.util.Arrays;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.offstate.engine.KeyValueStore;

/**
 * The commands of file-backed stores ({@link FileBackedModelTest}): flush (plain, or carrying
 * metadata), refused flushes, close and reopen, die and reopen, verifyFiles. Each checks what it
 * can see at once (flushGeneration, views and cursors invalidated, no chunk left dirty, the
 * directory's files, every key found through the hash index after an open, memory in use and
 * dictionary as of the flush reopened); the contents and lastFlushMetadata() are compared with the
 * model by the observation after the command, which reads the whole store (and on sorted stores
 * scans the whole index both ways). The flushes also run on in-memory stores
 * ({@link StatefulModelTest}), where they only record the metadata.
 */
sealed interface FileCommand extends StoreCommand
    permits FileCommand.Flush, FileCommand.RefusedFlush, FileCommand.VerifyFiles, FileCommand.Reopen {
    /** One byte more than a flush may carry (shared: refused flushes must not allocate a MiB each). */
    byte[] OVERSIZE_METADATA = new byte[KeyValueStore.MAX_FLUSH_METADATA + 1];

    /**
     * Runs {@code call}, which flushes once, and checks what a flush must do: the generation one
     * higher, the view and cursor positions invalidated, the directory holding the store's contents
     * as committed. Returns the new generation.
     */
    private static long flushingCall(FileCommand command, StoreUnderTest sut, Runnable call, String why) {
        KeyValueStore store = sut.store;
        boolean viewValid = sut.view.isValid();
        long before = store.flushGeneration();
        sut.attemptingWrite(); // a flush remaps the written regions: scan the whole index again after it
        call.run();
        sut.flushesSinceOpen++;
        sut.wrote(); // a positioned cursor must now fail fast, as after a write
        sut.expectNothingObserved(command);
        long generation = store.flushGeneration();
        if (generation != before + 1) {
            throw new AssertionError(command + ": flushGeneration went from " + before + " to " + generation + why);
        }
        long dirty = store.stats().dirtyChunks();
        if (dirty != 0) {
            throw new AssertionError(command + ": " + dirty + " chunks still dirty right after the flush");
        }
        StoreCommand.assertViewInvalidated(command, sut.view, viewValid);
        sut.flushed();
        StoreDirectory.checkCommitted(command, sut, StoreUnderTest.contents(store));
        return generation;
    }

    /**
     * flush(), or flush(metadata) if {@link #metadata} is not null: one generation later, the
     * entries are durable; views and cursor positions are invalidated. flush(metadata) must copy
     * the caller's array (it is overwritten after the call), and lastFlushMetadata() must return a
     * copy (overwriting what it returned changes nothing); the observation after the command
     * compares lastFlushMetadata() with the model's. On an in-memory store, only the metadata is
     * recorded: generation 0, nothing invalidated.
     */
    final class Flush implements FileCommand {
        /** The metadata to commit, or null for a plain flush() (which keeps the last metadata). */
        final Bytes metadata;
        private long generation = -1;

        Flush(Bytes metadata) {
            this.metadata = metadata;
        }

        @Override
        public void run(StoreUnderTest sut) {
            generation = -1;
            Runnable call;
            byte[] given = metadata == null ? null : metadata.array().clone();
            if (given == null) {
                call = sut.store::flush;
            } else {
                call = () -> sut.store.flush(given);
            }
            if (sut.directory == null) {
                call.run();
                sut.expectNothingObserved(this);
                generation = sut.store.flushGeneration();
                if (generation != 0) {
                    throw new AssertionError(this + ": an in-memory store has flushGeneration " + generation);
                }
            } else {
                generation = flushingCall(this, sut, call, "");
            }
            if (given != null) {
                Arrays.fill(given, (byte) 0x5A);
                byte[] returned = sut.store.lastFlushMetadata();
                if (!Bytes.wrap(returned).equals(metadata)) {
                    throw new AssertionError(this + ": lastFlushMetadata() is " + Bytes.wrap(returned)
                        + " after the caller overwrote its array (was it not copied?)");
                }
                Arrays.fill(returned, (byte) 0xA5);
                // the observation compares lastFlushMetadata() with the model's: the store's own copy must not have changed
            }
        }

        @Override
        public Model nextState(Model model) {
            return model.flushed(metadata);
        }

        @Override
        public String toString() {
            String call = metadata == null ? "flush()" : "flush(metadata " + metadata + ")";
            return call + (generation < 0 ? "" : generation == 0 ? " (in memory)" : " -> generation " + generation);
        }
    }

    /**
     * A flush the store must refuse before doing anything: flush(null) (NullPointerException) or
     * flush of {@code MAX_FLUSH_METADATA + 1} bytes (IllegalArgumentException). Nothing is flushed:
     * same generation, flush count, dirty chunks, memory and lastFlushMetadata(); no write observed.
     */
    final class RefusedFlush implements FileCommand {
        /** Whether the metadata is null rather than oversize. */
        final boolean nullMetadata;

        RefusedFlush(boolean nullMetadata) {
            this.nullMetadata = nullMetadata;
        }

        @Override
        public void run(StoreUnderTest sut) {
            KeyValueStore store = sut.store;
            long generation = store.flushGeneration();
            long flushes = store.stats().flushes();
            long dirty = store.stats().dirtyChunks();
            long used = store.memoryUsed();
            Bytes metadata = Bytes.wrap(store.lastFlushMetadata());
            try {
                store.flush(nullMetadata ? null : OVERSIZE_METADATA);
                throw new AssertionError(this + ": accepted");
            } catch (NullPointerException | IllegalArgumentException e) {
                Class<?> expected = nullMetadata ? NullPointerException.class : IllegalArgumentException.class;
                if (e.getClass() != expected) {
                    throw new AssertionError(this + ": threw " + e + ", expected " + expected.getSimpleName(), e);
                }
                if (!nullMetadata && !String.valueOf(e.getMessage()).contains(String.valueOf(KeyValueStore.MAX_FLUSH_METADATA))) {
                    throw new AssertionError(this + ": the message does not name the limit: " + e.getMessage(), e);
                }
            }
            sut.expectNothingObserved(this);
            if (store.flushGeneration() != generation || store.stats().flushes() != flushes
                || store.stats().dirtyChunks() != dirty || store.memoryUsed() != used
                || !Bytes.wrap(store.lastFlushMetadata()).equals(metadata)) {
                throw new AssertionError(this + ": refused, but flushGeneration " + generation + " -> " + store.flushGeneration()
                    + ", flushes " + flushes + " -> " + store.stats().flushes() + ", dirtyChunks " + dirty + " -> "
                    + store.stats().dirtyChunks() + ", memoryUsed " + used + " -> " + store.memoryUsed()
                    + ", lastFlushMetadata " + metadata + " -> " + Bytes.wrap(store.lastFlushMetadata()));
            }
        }

        @Override
        public Model nextState(Model model) {
            return model;
        }

        @Override
        public String toString() {
            return nullMetadata ? "flush(null) (refused)" : "flush(" + OVERSIZE_METADATA.length + " bytes of metadata) (refused)";
        }
    }

    /** verifyFiles(): flushes (one generation later, metadata kept), then every chunk's CRC32C must hold. */
    final class VerifyFiles implements FileCommand {
        private long generation;

        @Override
        public void run(StoreUnderTest sut) {
            generation = 0;
            generation = flushingCall(this, sut, sut.store::verifyFiles, " (verifyFiles flushes first)");
        }

        @Override
        public Model nextState(Model model) {
            return model.flushed();
        }

        @Override
        public String toString() {
            return "verifyFiles()" + (generation == 0 ? "" : " -> generation " + generation);
        }
    }

    /**
     * Closes the store and opens its directory again: with {@code close()}, which flushes (the
     * store reopens as it was, one generation later), or with {@code closeWithoutFlush()}, as if
     * the process died (it reopens as of the last flush, same generation). After the open: verify()
     * holds, every stored key is found through the hash index with its value, and memoryUsed and
     * dictionarySize are those of the flush reopened. Snapshots are kept (they are not in the files).
     */
    final class Reopen implements FileCommand {
        /** Whether the store is closed with close() (flushing) rather than dropped. */
        final boolean clean;
        private long generationBefore = -1;
        private long generationAfter = -1;
        private long sizeAfter = -1;

        Reopen(boolean clean) {
            this.clean = clean;
        }

        @Override
        public void run(StoreUnderTest sut) {
            generationAfter = -1;
            sizeAfter = -1;
            generationBefore = sut.store.flushGeneration();
            if (clean) {
                sut.flushed(); // close() flushes first: what reopens is the state right now
            }
            long usedAtFlush = sut.memoryUsedAtFlush;
            int dictionaryAtFlush = sut.dictionarySizeAtFlush;
            sut.reopen(clean);
            KeyValueStore store = sut.store;
            generationAfter = store.flushGeneration();
            long expected = clean ? generationBefore + 1 : generationBefore;
            if (generationAfter != expected) {
                throw new AssertionError(this + ": reopened with flushGeneration " + generationAfter + ", expected " + expected);
            }
            store.verify();
            TreeMap<Bytes, Bytes> contents = StoreUnderTest.contents(store);
            sizeAfter = store.size();
            for (Map.Entry<Bytes, Bytes> e : contents.entrySet()) {
                byte[] found = store.getCopy(e.getKey().array());
                if (found == null || !Objects.equals(Bytes.wrap(found), e.getValue()) || !store.contains(e.getKey().array())) {
                    throw new AssertionError(this + ": after reopening, forEach yields " + e.getKey() + " -> " + e.getValue()
                        + " but getCopy returns " + StoreCommand.describe(found == null ? null : Bytes.wrap(found)));
                }
            }
            if (store.memoryUsed() != usedAtFlush || store.dictionarySize() != dictionaryAtFlush) {
                throw new AssertionError(this + ": reopened with memoryUsed " + store.memoryUsed() + ", dictionarySize "
                    + store.dictionarySize() + "; the flush reopened had " + usedAtFlush + ", " + dictionaryAtFlush);
            }
            sut.flushed(); // the state as opened is the durable one
            StoreDirectory.checkCommitted(this, sut, contents);
        }

        @Override
        public Model nextState(Model model) {
            return clean ? model.flushed() : model.recovered();
        }

        @Override
        public String toString() {
            String call = clean ? "close(), reopen" : "closeWithoutFlush() (process died), reopen";
            if (generationBefore < 0) {
                return call;
            }
            return call + " (generation " + generationBefore + " -> " + (generationAfter < 0 ? "?" : generationAfter)
                + (sizeAfter < 0 ? "" : ", " + sizeAfter + " entries") + ")";
        }
    }
}
