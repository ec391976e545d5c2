package io.offstate.changelog;

/**
 * The partition's transactional producer was fenced: another instance took the partition over
 * (same transactional id, newer epoch) or the consumer group moved on (a newer generation). The
 * commit that saw it was not applied: the partition's state is that of its last committed Kafka
 * transaction. The partition can no longer commit; revoke it (the rebalance that fenced it does).
 */
public final class ChangelogFencedException extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final int partition;

    ChangelogFencedException(int partition, Throwable cause) {
        super("partition " + partition + " was fenced by a newer owner (" + cause + "): the commit was not applied;"
            + " the partition's state is that of its last committed transaction; revoke it", cause);
        this.partition = partition;
    }

    /** The partition that was fenced. */
    public int partition() {
        return partition;
    }
}
