package io.offstate.changelog;

/** The processing guarantee of a {@link Changelog}. */
public enum Guarantee {
    /**
     * Change records are produced (and acknowledged by all in-sync replicas) before the local
     * store applies a commit; input offsets are committed through the consumer after it. A crash
     * may replay input already in the state: updates may be applied twice, none is lost.
     */
    AT_LEAST_ONCE,
    /**
     * One transactional producer per partition (transactional id
     * {@code <prefix>-<partition>}, so that a new owner fences the old one): a commit produces the
     * change records and the caller's output records, sends the input offsets to the transaction
     * with the consumer's group metadata and commits it, then the local store applies the commit.
     * Restores read committed records only. The input consumer must use
     * {@code isolation.level=read_committed} and {@code enable.auto.commit=false}.
     */
    EXACTLY_ONCE
}
