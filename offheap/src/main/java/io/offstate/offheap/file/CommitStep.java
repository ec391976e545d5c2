package io.offstate.offheap.file;

/**
 * The steps of a commit ({@link StoreFiles#commit}), in the order a commit passes them, as a
 * {@link CommitObserver} sees them. A crash before {@link #JOURNAL_WRITTEN} is forced leaves the
 * previous commit; from {@link #COMMITTED} on, reopening recovers the new one.
 *
 * <p>{@link #label()} is the step's stable name ({@code "journal-body-written"}, ...): tools and
 * test children print it, and parents parse it back ({@link #ofLabel}).
 */
public enum CommitStep {
    /** The metadata and records are written into the next journal (not forced yet, no header). */
    JOURNAL_BODY_WRITTEN("journal-body-written"),
    /** The journal body is forced. */
    JOURNAL_BODY_FORCED("journal-body-forced"),
    /** The journal header is written, not forced: forcing it is the commit point. */
    JOURNAL_WRITTEN("journal-written"),
    /** The header is forced (and the directory, for a new journal file): the commit point is past. */
    COMMITTED("committed"),
    /** The other journal is marked superseded and forced. */
    SUPERSEDED("superseded"),
    /** One run of dirty chunks was written in place (reported once per run). */
    APPLYING("applying"),
    /** Every run is written in place and the data files are forced. */
    APPLIED("applied"),
    /** The journal is marked applied and forced (its records are cut off next). */
    MARKED_APPLIED("marked-applied");

    private final String label;

    CommitStep(String label) {
        this.label = label;
    }

    /** The step's stable name, such as {@code "journal-body-written"}. */
    public String label() {
        return label;
    }

    /**
     * The step named {@code label}.
     *
     * @throws IllegalArgumentException if no step has that label
     */
    public static CommitStep ofLabel(String label) {
        for (CommitStep s : values()) {
            if (s.label.equals(label)) {
                return s;
            }
        }
        throw new IllegalArgumentException("no commit step is called " + label);
    }

    @Override
    public String toString() {
        return label;
    }
}
