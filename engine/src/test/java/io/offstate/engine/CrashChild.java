package io.offstate.engine;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import io.offstate.engine.CrashWorkload.Config;
import io.offstate.offheap.file.CommitObserver;
import io.offstate.offheap.file.CommitStep;

/**
 * The child JVM of {@link CrashRecoveryTest}: writes and flushes a file-backed store in a loop until
 * it is killed. Arguments: directory, configuration ({@link Config} name), workload seed.
 *
 * <p>It reports on stdout, one line each, flushed at once (a line the parent reads was written
 * before the kill, so it is an acknowledgement):
 * <ul>
 *   <li>{@code OPENING} before {@link KeyValueStore#open} (which may be replaying a journal);</li>
 *   <li>{@code OPENED <generation> <digest> <metadata generation>} once it has opened the store and
 *       checked its invariants (the last: which flush its {@code lastFlushMetadata()} names);</li>
 *   <li>{@code FLUSHING <g>} after the operations of generation {@code g}, just before
 *       {@code flush(CrashWorkload.flushMetadata(g))};</li>
 *   <li>{@code STEP <name>} as {@code flush()} passes each step of its commit (see
 *       {@link #commitStepReporter()}), so the parent knows where in the flush a kill landed;</li>
 *   <li>{@code FLUSHED <g>} after {@code flush()} returned with generation {@code g}.</li>
 * </ul>
 * It never closes the store; it exits on its own only if something is wrong (or after a safety
 * deadline, so that a lost parent does not leave it running).
 */
final class CrashChild {
    /** The commit steps, in order, as {@code StoreFiles.commit} reports them; the first starts each flush. */
    static final List<String> STEPS = Arrays.stream(CommitStep.values()).map(CommitStep::label).toList();
    static final int DWELL_MILLIS = 25;
    private static final long DEADLINE_NANOS = 120_000_000_000L;

    private CrashChild() {
    }

    public static void main(String[] args) {
        long start = System.nanoTime();
        Path directory = Path.of(args[0]);
        Config config = Config.valueOf(args[1]);
        long seed = Long.parseLong(args[2]);
        say("OPENING");
        KeyValueStore store = KeyValueStore.open(directory, config.options(), commitStepReporter());
        store.verify();
        say("OPENED " + store.flushGeneration() + " " + CrashWorkload.digest(store, config) + " "
            + CrashWorkload.flushMetadataGeneration(store.lastFlushMetadata()));
        CrashWorkload.Target target = new CrashWorkload.Target() {
            @Override
            public void put(byte[] key, int valueLength, long valueSeed) {
                store.put(key, CrashWorkload.value(valueLength, valueSeed));
            }

            @Override
            public void delete(byte[] key) {
                store.delete(key);
            }
        };
        while (System.nanoTime() - start < DEADLINE_NANOS) {
            long next = store.flushGeneration() + 1;
            CrashWorkload.batch(config, seed, next, target);
            say("FLUSHING " + next);
            store.flush(CrashWorkload.flushMetadata(next));
            if (store.flushGeneration() != next) {
                say("WRONG generation " + store.flushGeneration() + " after flush of " + next);
                System.exit(2);
            }
            say("FLUSHED " + next);
        }
        say("DEADLINE");
        System.exit(3);
    }

    /**
     * A commit observer that prints {@code STEP <name>} at each step of a commit (a repeated step,
     * such as one per region applied, once); the store is opened with it through the
     * package-private {@link KeyValueStore#open(Path, StoreOptions, CommitObserver)}.
     *
     * <p>In one flush of three it also dwells {@value #DWELL_MILLIS} ms after one step picked at
     * random: most of a flush's time goes to forcing files, so without this, kills would rarely land
     * between the commit point and the end of writing the records in place — the window where
     * recovery has to replay the journal. The bytes written are the same either way.
     */
    static CommitObserver commitStepReporter() {
        Random random = new Random();
        CommitStep[] last = {null};
        String[] dwell = {null};
        return step -> {
            if (step == last[0]) {
                return;
            }
            last[0] = step;
            String name = step.label();
            say("STEP " + name);
            if (name.equals(STEPS.get(0))) {
                dwell[0] = random.nextInt(3) == 0 ? STEPS.get(random.nextInt(STEPS.size())) : null;
            }
            if (name.equals(dwell[0])) {
                try {
                    Thread.sleep(DWELL_MILLIS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        };
    }

    private static void say(String line) {
        System.out.println(line);
        System.out.flush();
    }
}
