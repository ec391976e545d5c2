package io.offstate.offheap;

import java.nio.file.Path;

/**
 * A store file carries a format version this build cannot read (written by a newer offstate).
 * Nothing was changed; open it with the version that wrote it.
 *
 * <p>Thread-safety: immutable after construction.
 */
public final class UnsupportedFormatVersionException extends StoreFileException {
    private static final long serialVersionUID = 1L;
    private final int version;

    /** Creates the exception for {@code file} of format {@code version}, when {@code supported} is the newest known. */
    public UnsupportedFormatVersionException(Path file, int version, int supported) {
        super(file, "format version " + version + " is newer than this offstate supports (" + supported + ")");
        this.version = version;
    }

    /** The version found in the file. */
    public int version() {
        return version;
    }
}
