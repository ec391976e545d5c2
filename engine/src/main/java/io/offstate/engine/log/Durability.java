package io.offstate.engine.log;

/**
 * When a {@link WriteAheadLog} forces appended batches to the storage device.
 *
 * <p>Thread-safety: immutable.
 */
public enum Durability {
    /**
     * Every {@link WriteAheadLog#append append} returns only once its batch is durable. Appends of
     * several threads that wait at the same time share one fsync (group commit).
     */
    EVERY_COMMIT,
    /**
     * A background thread forces the log every {@link WalOptions#flushIntervalMillis()} ms; an
     * append returns once written (a crash loses at most that interval of acknowledged batches).
     */
    INTERVAL,
    /**
     * The log is forced only on {@link WriteAheadLog#force()}, at a segment roll and at close; a
     * crash of the machine may lose any batch not yet forced (a crash of the process loses none).
     */
    NEVER
}
