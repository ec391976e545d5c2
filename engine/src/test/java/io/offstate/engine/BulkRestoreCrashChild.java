package io.offstate.engine;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Child JVM of {@link BulkRestoreCrashTest}: opens the state manager in {@code args[0]}, assigns
 * partition 0 (stores {@link #STORE_A} and {@link #STORE_B}, the latter with a sorted index),
 * reads the record number its positions name, prints {@code start <n>}, and replays the
 * deterministic change log ({@link #record}) from there through a {@link BulkRestore}: "polls"
 * of {@link #POLL} records, after each the positions set to the records applied and
 * {@link BulkRestore#flushIfDue()} (first after {@link #FLUSH_EVERY}, doubling), printing
 * {@code flushed <n>} when it flushed, then pausing {@link #POLL_PAUSE_MS}. At the end it closes the restore, prints {@code done} and
 * waits to be killed.
 */
final class BulkRestoreCrashChild {
    static final String STORE_A = "a";
    static final String STORE_B = "b";
    static final int TOTAL = 400_000;
    static final int KEYS = 3_000;
    static final int POLL = 777;
    static final int FLUSH_EVERY = 5_000;
    /**
     * Pause after each poll, as a restore consumer waits for its next fetch: it makes a restore from
     * scratch last over {@code TOTAL / POLL} ms on any machine, so the parent can kill inside it.
     */
    static final int POLL_PAUSE_MS = 1;

    private BulkRestoreCrashChild() {
    }

    /** What record {@code i} of the change log does; the child applies it to a restore, the parent to a model. */
    interface Ops {
        void put(String store, String key, String value);

        void delete(String store, String key);
    }

    static StateManagerOptions options(Path dir) {
        return StateManagerOptions.builder(dir).build();
    }

    static void define(StateManager m) {
        m.define(StoreOptions.builder().name(STORE_A).build());
        m.define(StoreOptions.builder().name(STORE_B).sortedIndex(true).build());
    }

    static byte[] positions(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    /** The record count the positions name, 0 for none. */
    static long recordsOf(byte[] positions) {
        return positions == null ? 0 : Long.parseLong(new String(positions, StandardCharsets.US_ASCII));
    }

    private static int mix(long n, int salt, int modulo) {
        long x = n * 0x9E3779B97F4A7C15L + salt * 0xBF58476D1CE4E5B9L;
        x ^= x >>> 31;
        x *= 0x94D049BB133111EBL;
        x ^= x >>> 29;
        return (int) Math.floorMod(x, (long) modulo);
    }

    /** Record {@code i} (from 0): a put (7 in 8) or a delete of one key of one of the stores. */
    static void record(long i, Ops ops) {
        String store = mix(i, 1, 3) == 0 ? STORE_B : STORE_A;
        String key = "k" + mix(i, 2, KEYS);
        if (mix(i, 3, 8) == 0) {
            ops.delete(store, key);
        } else {
            ops.put(store, key, i + ":" + "v".repeat(mix(i, 4, 120)));
        }
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        PrintStream out = System.out;
        StateManager m = StateManager.open(options(dir));
        define(m);
        m.assign(0);
        StatePartition p = m.partition(0);
        KeyValueStore a = p.store(STORE_A);
        KeyValueStore b = p.store(STORE_B);
        long start = recordsOf(p.committedPositions());
        out.println("start " + start);
        out.flush();
        BulkRestore restore = p.beginRestore(FLUSH_EVERY);
        restore.expect(a, TOTAL - start);
        Ops ops = new Ops() {
            @Override
            public void put(String store, String key, String value) {
                restore.put(store.equals(STORE_A) ? a : b, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public void delete(String store, String key) {
                restore.delete(store.equals(STORE_A) ? a : b, key.getBytes(StandardCharsets.UTF_8));
            }
        };
        long i = start;
        while (i < TOTAL) {
            long end = Math.min(TOTAL, i + POLL);
            for (; i < end; i++) {
                record(i, ops);
            }
            restore.positions(positions(i));
            if (restore.flushIfDue()) {
                out.println("flushed " + i);
                out.flush();
            }
            Thread.sleep(POLL_PAUSE_MS);
        }
        restore.close();
        out.println("done");
        out.flush();
        Thread.sleep(60_000);
    }
}
