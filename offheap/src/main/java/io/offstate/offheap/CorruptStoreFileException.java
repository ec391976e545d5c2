package io.offstate.offheap;

import java.nio.file.Path;

/**
 * A store file is not what it must be: truncated, a checksum that does not match, a wrong magic
 * number (not an offstate file), or metadata that cannot be decoded. The message names the file
 * and, where known, the offset.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class CorruptStoreFileException extends StoreFileException {
    private static final long serialVersionUID = 1L;

    /** Creates the exception for {@code file}; {@code problem} says what is wrong and where. */
    public CorruptStoreFileException(Path file, String problem) {
        super(file, problem);
    }

    /** As {@link #CorruptStoreFileException(Path, String)}, with the cause that revealed it. */
    public CorruptStoreFileException(Path file, String problem, Throwable cause) {
        super(file, problem, cause);
    }
}
