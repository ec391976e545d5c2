package io.offstate.propertytests;

import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

import io.offstate.engine.KeyValueStore;

/**
 * The commands of file-backed stores ({@link FileBackedModelTest}): flush, close and reopen, die
 * and reopen, verifyFiles. Each checks what it can see at once (flushGeneration, views and
 * cursors invalidated, the directory's files, every key found through the hash index after an
 * open, memory in use and dictionary as of the flush reopened); the contents are compared with the
 * model by the observation after the command, which reads the whole store (and on sorted stores
 * scans the whole index both ways).
 */
sealed interface FileCommand extends StoreCommand permits FileCommand.Flush, FileCommand.VerifyFiles, FileCommand.Reopen {

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
        sut.wrote(); // a positioned cursor must now fail fast, as after a write
        long generation = store.flushGeneration();
        if (generation != before + 1) {
            throw new AssertionError(command + ": flushGeneration went from " + before + " to " + generation + why);
        }
        StoreCommand.assertViewInvalidated(command, sut.view, viewValid);
        sut.flushed();
        StoreDirectory.checkCommitted(command, sut, StoreUnderTest.contents(store));
        return generation;
    }

    /** flush(): one generation later, the entries are durable; views and cursor positions are invalidated. */
    final class Flush implements FileCommand {
        private long generation;

        @Override
        public void run(StoreUnderTest sut) {
            generation = 0;
            generation = flushingCall(this, sut, sut.store::flush, "");
        }

        @Override
        public Model nextState(Model model) {
            return model.flushed();
        }

        @Override
        public String toString() {
            return "flush()" + (generation == 0 ? "" : " -> generation " + generation);
        }
    }

    /** verifyFiles(): flushes (one generation later), then every chunk's CRC32C must hold. */
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
