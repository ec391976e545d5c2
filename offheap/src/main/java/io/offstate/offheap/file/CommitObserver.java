package io.offstate.offheap.file;

import java.io.IOException;

/**
 * Sees each {@link CommitStep} of a store directory's commits as the commit passes it, on the
 * committing thread, for crash tests and tracing. Given to {@link StoreFiles#open(java.nio.file.Path,
 * CommitObserver)}; the observer of {@link StoreFiles#open(java.nio.file.Path)} is {@link #NONE}.
 *
 * <p>An observer that throws aborts the commit right there, as a crash at that step would leave
 * the files: an {@link IOException} surfaces as the commit's {@link java.io.UncheckedIOException},
 * an unchecked exception as itself. The store must then be closed (closing writes nothing) and
 * reopened, which recovers exactly the previous commit or the new one. An observer that blocks
 * stalls the commit (and the store's writer thread) as long.
 */
@FunctionalInterface
public interface CommitObserver {
    /** Observes nothing. */
    CommitObserver NONE = step -> {
    };

    /** The commit reached {@code step}; {@link CommitStep#APPLYING} comes once per run written in place. */
    void reached(CommitStep step) throws IOException;
}
