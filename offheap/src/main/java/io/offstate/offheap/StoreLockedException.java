package io.offstate.offheap;

import java.nio.file.Path;

/**
 * A store directory is already open for writing, by this process or another one (it holds the
 * directory's file lock). Nothing was changed. Close the other store first.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class StoreLockedException extends OffstateException {
    private static final long serialVersionUID = 1L;
    private final transient Path directory;

    /** Creates the exception for {@code directory}. */
    public StoreLockedException(Path directory, String holder) {
        super("store directory " + directory + " is already open (" + holder + "); a directory is opened by one store at a time");
        this.directory = directory;
    }

    /** The locked directory. */
    public Path directory() {
        return directory;
    }
}
