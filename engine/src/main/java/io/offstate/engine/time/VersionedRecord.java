package io.offstate.engine.time;

import io.offstate.engine.ValueView;

/**
 * A reusable result of a {@link VersionedStore} read: one version of a key — its value, the
 * timestamp it was put at, and until when it was valid. Filled by {@link VersionedStore#get(
 * io.offstate.engine.Transaction, byte[], long, VersionedRecord)} and its siblings; create one per
 * reader and reuse it (filling allocates nothing).
 *
 * <ol>
 *   <li>The version was valid on {@code [timestamp(), validTo())}; {@link #validTo()} is
 *       {@link #OPEN} ({@code Long.MAX_VALUE}) while no later version exists
 *       ({@link #hasValidTo()} false), as Kafka's empty {@code VersionedRecord.validTo()}.</li>
 *   <li>{@link #value()} is a zero-copy view into the store's (or the transaction's pending)
 *       memory, valid until the next write to that store or in that transaction; it throws
 *       {@link IllegalStateException} when stale, rather than show other bytes.</li>
 *   <li>After a read that found nothing the record keeps its previous contents: check the read's
 *       return value.</li>
 * </ol>
 * Not thread-safe: confined to the store's thread.
 */
public final class VersionedRecord {
    /** {@link #validTo()} of a version that no later version has superseded. */
    public static final long OPEN = VersionedLayout.OPEN;

    private final ValueView value = new ValueView();
    private long timestamp = -1;
    private long validTo = OPEN;

    /** Creates an empty record. */
    public VersionedRecord() {
    }

    /** Points the value at the user-value part of a version entry's value. */
    VersionedRecord set(ValueView entryValue, long timestamp, long validTo) {
        value.wrapSlice(entryValue, VersionedLayout.VALUE_OFFSET, entryValue.length() - VersionedLayout.VALUE_OFFSET);
        this.timestamp = timestamp;
        this.validTo = validTo;
        return this;
    }

    /** The version's value (zero-copy; see the class contract for its lifetime). */
    public ValueView value() {
        return value;
    }

    /** The timestamp the version was put at. */
    public long timestamp() {
        return timestamp;
    }

    /** The timestamp of the next version (exclusive end of validity), or {@link #OPEN}. */
    public long validTo() {
        return validTo;
    }

    /** Whether a later version superseded this one. */
    public boolean hasValidTo() {
        return validTo != OPEN;
    }

    @Override
    public String toString() {
        return "VersionedRecord[timestamp=" + timestamp + ", validTo=" + (validTo == OPEN ? "open" : validTo)
            + ", value=" + (value.isValid() ? value.length() + " bytes" : "invalid") + "]";
    }
}
