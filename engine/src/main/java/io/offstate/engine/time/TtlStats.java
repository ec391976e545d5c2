package io.offstate.engine.time;

/**
 * Work counters of one {@link TtlStore} object, so tests and operators can count what expiry cost
 * rather than time it. Counted since the object was created (not persisted), including work done
 * in transactions that were later aborted: the work was done all the same.
 *
 * <p>A live view: the same object is returned by every {@link TtlStore#stats()} call and its values
 * move as the store works. Not thread-safe: read it on the store's thread.
 */
public final class TtlStats {
    long entriesSwept;
    long indexEntriesRead;
    long expiredOnPut;
    long expiredSkipped;

    TtlStats() {
    }

    /** Expired entries physically removed by sweeps (a data entry and its index entry count as one). */
    public long entriesSwept() {
        return entriesSwept;
    }

    /** Expiry-index entries read by sweeps: the work a sweep did, whatever it removed. */
    public long indexEntriesRead() {
        return indexEntriesRead;
    }

    /** Puts refused because their entry was already expired when it arrived (not stored). */
    public long expiredOnPut() {
        return expiredOnPut;
    }

    /** Expired, not yet swept entries that reads stepped over or ignored. */
    public long expiredSkipped() {
        return expiredSkipped;
    }

    @Override
    public String toString() {
        return "TtlStats{entriesSwept=" + entriesSwept + ", indexEntriesRead=" + indexEntriesRead
            + ", expiredOnPut=" + expiredOnPut + ", expiredSkipped=" + expiredSkipped + '}';
    }
}
