package io.offstate.engine;

/**
 * Receives the change records of every commit of the {@link Transaction}s it is
 * {@link Transaction#addSink registered} on, <b>before</b> the stores apply them: the SPI through
 * which a write-ahead log or a change-log producer (Kafka) sees commits.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>For one commit, a sink sees {@link #begin(byte[])}, then {@link #record(ChangeRecord)}
 *       once per change in commit order, then {@link #end()}. Only after every sink's {@code end()}
 *       returned are the changes applied to the stores.</li>
 *   <li>A sink refuses a commit by throwing from any of the three (a log append that failed, a
 *       broker that refused). The commit then fails with that exception, <em>nothing</em> is
 *       applied to any store, and every sink that had {@link #begin(byte[]) begun} is told
 *       {@link #aborted()} (in registration order; exceptions from {@code aborted} are added as
 *       suppressed). The transaction stays open: the caller may retry {@code commit} or abort.</li>
 *   <li>The {@link ChangeRecord} passed is a flyweight reused for every record; its key and value
 *       views point into the transaction's pending memory and are valid only during the call.
 *       Copy what must be kept. The {@code positions} array is the caller's: read, do not keep or
 *       change it (null if the commit carries none).</li>
 *   <li>A sink that accepted a commit ({@code end()} returned) may still see {@code aborted()} if a
 *       later sink refused, or if applying failed (a store became unwritable after damage was
 *       found): it must then discard what it recorded for this commit.</li>
 * </ol>
 *
 * <p>Threading: called on the transaction's thread (the stores' owner), never concurrently for
 * one transaction. A sink shared by transactions on several threads must be thread-safe itself.
 */
public interface ChangeSink {
    /** A commit starts; {@code positions} are the input positions it carries (null: none). */
    default void begin(byte[] positions) {
    }

    /** One change of the commit, in order; valid only during the call. */
    void record(ChangeRecord record);

    /** Every record of the commit was passed; returning accepts it. */
    default void end() {
    }

    /** The commit begun on this sink was not applied: forget it. */
    default void aborted() {
    }
}
