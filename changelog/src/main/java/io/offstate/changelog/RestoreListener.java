package io.offstate.changelog;

/**
 * Told of each partition's recovery from its changelogs. Called on the thread that drives the
 * {@link Changelog} (the consumer's); must not block long, and must not call back into the
 * changelog. Exceptions it throws are logged and ignored. Every method has an empty default.
 */
public interface RestoreListener {
    /** A listener that ignores everything (the changelog still writes its log lines). */
    RestoreListener NONE = new RestoreListener() { };

    /** Recovery of {@code partition} starts: {@code toDo} offsets behind the changelogs' ends. */
    default void started(int partition, long toDo) {
    }

    /**
     * Store {@code store} of {@code partition} cannot continue from its recorded offset and is
     * rebuilt from the changelog's earliest offset (its local entries are deleted first);
     * {@code reason} says why (offset out of range, local state ahead of Kafka, no offset recorded).
     */
    default void rebuilding(int partition, String store, String reason) {
    }

    /**
     * Another {@link ChangelogOptions#restoreBatchRecords()} records were applied, or a flush made
     * the offsets reached durable (a revoke or crash resumes from the last flush).
     */
    default void progress(RestoreProgress progress) {
    }

    /** Recovery of the partition is complete: it processes input from now on. */
    default void restored(RestoreProgress progress) {
    }

    /** The partition was revoked before its recovery completed; what was restored is kept and resumed at the next assign. */
    default void suspended(RestoreProgress progress) {
    }
}
