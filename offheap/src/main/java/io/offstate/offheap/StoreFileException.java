package io.offstate.offheap;

import java.nio.file.Path;

/**
 * Base of the exceptions about a file of a file-backed store: the file is named in the message
 * and by {@link #file()}. A store never serves data from a file it has found wrong; it throws one
 * of the subclasses instead.
 *
 * <p>Thread-safety: immutable after construction.
 */
public class StoreFileException extends OffstateException {
    private static final long serialVersionUID = 1L;
    private final transient Path file;

    /** Creates the exception for {@code file}; the message says what is wrong with it. */
    public StoreFileException(Path file, String problem) {
        super(file + ": " + problem);
        this.file = file;
    }

    /** Creates the exception for {@code file} with the cause that revealed the problem. */
    public StoreFileException(Path file, String problem, Throwable cause) {
        super(file + ": " + problem, cause);
        this.file = file;
    }

    /** The file that is wrong. */
    public Path file() {
        return file;
    }
}
