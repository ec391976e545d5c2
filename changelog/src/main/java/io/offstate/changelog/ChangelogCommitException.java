package io.offstate.changelog;

/**
 * A commit's change records (or its Kafka transaction) could not be written, or the consumer group
 * rebalanced before the commit: the local stores are unchanged and the transaction is aborted. The
 * changelog's consumer was rewound to the last committed input offsets of the commit (see
 * {@link ChangelogTransaction}): poll and process again. If {@link #inDoubt()}, Kafka may or may not have committed the transaction (a
 * timeout at commit): the partition then refuses further commits until it is revoked and
 * assigned again, whose recovery finds out.
 */
public final class ChangelogCommitException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int partition;
    private final boolean inDoubt;

    ChangelogCommitException(int partition, boolean inDoubt, String message, Throwable cause) {
        super(message, cause);
        this.partition = partition;
        this.inDoubt = inDoubt;
    }

    /** The partition whose commit failed. */
    public int partition() {
        return partition;
    }

    /** Whether Kafka may have committed what the local store did not apply. */
    public boolean inDoubt() {
        return inDoubt;
    }
}
