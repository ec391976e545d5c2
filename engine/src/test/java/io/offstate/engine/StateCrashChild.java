package io.offstate.engine;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;

import io.offstate.engine.log.WalOptions;

/**
 * Child JVM of {@link StateCrashTest}: opens the state manager in {@code args[0]} (fsync every
 * commit, small segments, small auto-flush threshold so that segments roll, partitions auto-flush
 * and the log is trimmed), assigns {@link #PARTITIONS} partitions on the main thread, prints
 * {@code start <p> <n>} with the commit each recovered to, hands each partition to a worker thread
 * of its own, and the workers commit concurrently (group commit) until the process is killed:
 * transaction {@code n} of partition {@code p} is {@link #transaction}, carries positions
 * {@code n} (ASCII), and once {@code commit} returned the worker prints {@code <p> <n>} (flushed
 * before its next commit). Every {@link #EXPLICIT_FLUSH_EVERY}th commit is followed by
 * {@link StatePartition#flush()}.
 */
final class StateCrashChild {
    static final int PARTITIONS = 2;
    static final String STORE_A = "a";
    static final String STORE_B = "b";
    /** Keys "k0".."k{A_KEYS-1}" in store a. */
    static final int A_KEYS = 48;
    /** Keys "b0".."b{B_KEYS-1}" in store b, besides "last". */
    static final int B_KEYS = 12;
    static final long SEGMENT_BYTES = WalOptions.MIN_SEGMENT_BYTES * 4;
    static final long FLUSH_WHEN_LOG_EXCEEDS = 24 << 10;
    static final int EXPLICIT_FLUSH_EVERY = 41;

    private StateCrashChild() {
    }

    /** What a transaction does; the child applies it to a {@link Transaction}, the parent to a model. */
    interface Ops {
        void put(String store, String key, String value);

        void delete(String store, String key);
    }

    static StateManagerOptions options(Path dir) {
        return StateManagerOptions.builder(dir)
            .log(WalOptions.defaults().withSegmentBytes(SEGMENT_BYTES))
            .flushWhenLogExceeds(FLUSH_WHEN_LOG_EXCEEDS)
            .build();
    }

    static void define(StateManager m) {
        m.define(StoreOptions.builder().name(STORE_A).build());
        m.define(StoreOptions.builder().name(STORE_B).sortedIndex(true).build());
    }

    static byte[] positions(long n) {
        return Long.toString(n).getBytes(StandardCharsets.US_ASCII);
    }

    /** The commit number the positions name, 0 for none (a partition that never committed). */
    static long commitOf(byte[] positions) {
        return positions == null ? 0 : Long.parseLong(new String(positions, StandardCharsets.US_ASCII));
    }

    private static int mix(long n, int salt, int modulo) {
        long x = n * 0x9E3779B97F4A7C15L + salt * 0xBF58476D1CE4E5B9L;
        x ^= x >>> 31;
        x *= 0x94D049BB133111EBL;
        x ^= x >>> 29;
        return (int) Math.floorMod(x, (long) modulo);
    }

    static String value(int p, long n, int i) {
        // "p:n", then a padding of 0..239 bytes so that the log grows and segments roll.
        return p + ":" + n + ":" + "x".repeat(mix(n, 100 + i, 240));
    }

    /**
     * Transaction {@code n} (from 1) of partition {@code p}: in store a it puts three keys to
     * "p:n…" and deletes a key commit {@code n-2} wrote; in store b it puts one key, deletes one
     * and sets "last" to n. Both stores change in every commit, so a commit partly present shows.
     */
    static void transaction(int p, long n, Ops ops) {
        for (int i = 0; i < 3; i++) {
            ops.put(STORE_A, "k" + mix(n, i, A_KEYS), value(p, n, i));
        }
        if (n > 2) {
            ops.delete(STORE_A, "k" + mix(n - 2, 0, A_KEYS));
        }
        ops.put(STORE_B, "b" + mix(n, 7, B_KEYS), value(p, n, 7));
        ops.delete(STORE_B, "b" + mix(n, 8, B_KEYS));
        ops.put(STORE_B, "last", Long.toString(n));
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        PrintStream out = System.out;
        StateManager m = StateManager.open(options(dir));
        define(m);
        int[] ids = new int[PARTITIONS];
        for (int p = 0; p < PARTITIONS; p++) {
            ids[p] = p;
        }
        m.assign(ids);
        CountDownLatch go = new CountDownLatch(1);
        List<Thread> workers = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            StatePartition partition = m.partition(p);
            long start = commitOf(partition.committedPositions());
            synchronized (out) {
                out.println("start " + p + " " + start);
                out.flush();
            }
            int id = p;
            Thread worker = Thread.ofPlatform().name("partition-" + p).unstarted(() -> {
                try {
                    go.await();
                } catch (InterruptedException e) {
                    return;
                }
                try {
                    commitForever(partition, id, start, out);
                } catch (Throwable e) {
                    e.printStackTrace();
                    Runtime.getRuntime().halt(3); // the parent sees a child that ended by itself
                }
            });
            partition.handOverTo(worker);
            workers.add(worker);
            worker.start();
        }
        go.countDown();
        for (Thread worker : workers) {
            worker.join();
        }
    }

    private static void commitForever(StatePartition partition, int id, long start, PrintStream out) {
        TxOps ops = new TxOps(partition);
        for (long n = start + 1; ; n++) {
            try (Transaction tx = partition.begin()) {
                ops.tx = tx;
                transaction(id, n, ops);
                tx.commit(positions(n));
            }
            synchronized (out) {
                out.println(id + " " + n);
                out.flush();
            }
            if (n % EXPLICIT_FLUSH_EVERY == 0) {
                partition.flush();
            }
        }
    }

    /** Applies a transaction's operations to the partition's open transaction. */
    static final class TxOps implements Ops {
        final KeyValueStore a;
        final KeyValueStore b;
        Transaction tx;

        TxOps(StatePartition partition) {
            a = partition.store(STORE_A);
            b = partition.store(STORE_B);
        }

        @Override
        public void put(String store, String key, String value) {
            tx.put(store.equals(STORE_A) ? a : b, key.getBytes(StandardCharsets.UTF_8), value.getBytes(StandardCharsets.UTF_8));
        }

        @Override
        public void delete(String store, String key) {
            tx.delete(store.equals(STORE_A) ? a : b, key.getBytes(StandardCharsets.UTF_8));
        }
    }
}
