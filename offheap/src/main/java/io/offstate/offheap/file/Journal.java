package io.offstate.offheap.file;

import java.nio.file.Path;

/**
 * What a journal file holds, as {@link JournalReader} found it: its header fields and, if valid,
 * its metadata section; or, if not valid, why not. Immutable (the metadata array is not copied:
 * do not change it).
 *
 * @param file          the journal file
 * @param valid         whether its header and metadata check out
 * @param problem       why it is not valid (null if valid), for a {@code CorruptStoreFileException}
 * @param generation    the generation it holds (-1 if not valid)
 * @param flags         {@link JournalDescriptor#FLAG_APPLIED}, {@link JournalDescriptor#FLAG_SUPERSEDED}
 * @param metaLength    bytes of the metadata section
 * @param recordsLength bytes of the record section (cut off from the file once applied)
 * @param recordsCrc    CRC32C of the record section
 * @param meta          the metadata section
 */
record Journal(Path file, boolean valid, String problem, long generation, int flags,
               long metaLength, long recordsLength, int recordsCrc, byte[] meta) {
    static Journal invalid(Path file, String problem) {
        return new Journal(file, false, problem, -1, 0, 0, 0, 0, null);
    }

    /** Its records were written to the data files and forced. */
    boolean applied() {
        return (flags & JournalDescriptor.FLAG_APPLIED) != 0;
    }

    /** A later generation was committed after it. */
    boolean superseded() {
        return (flags & JournalDescriptor.FLAG_SUPERSEDED) != 0;
    }
}
