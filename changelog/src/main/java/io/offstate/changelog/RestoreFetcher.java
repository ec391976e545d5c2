package io.offstate.changelog;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.TimeUnit;

import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;

/**
 * Polls the restore consumer on a thread of its own, a few polls ahead of the thread that applies
 * them, so that fetching and parsing the next records overlaps applying the last ones (a restore is
 * otherwise about half Kafka consumer, half store writes, one after the other).
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>While it {@link #isRunning() runs}, only its thread touches the consumer. The driving
 *       thread calls {@link #quiesce()} before any direct use of the consumer (assign, seek,
 *       offsets, close): it stops the thread, waits until it is out of the consumer, and drops what
 *       was fetched ahead; the consumer's positions are then past the dropped records, so the
 *       driver must seek again (it re-syncs the assignment).</li>
 *   <li>Each {@link Fetched} holds one poll's records and the consumer's position of every assigned
 *       partition right after that poll, which is what the records bring a store to. A poll that
 *       brought nothing is passed on only if a position moved (over control records).</li>
 *   <li>A failure of a poll (an offset out of range, say) stops the thread and is handed on as
 *       the next {@link Fetched#failure()}, the consumer's exception itself (its stack trace is the
 *       fetcher thread's); an {@link Error} is handed on wrapped in an {@link IllegalStateException}.</li>
 *   <li>Bounded memory: at most {@value #AHEAD} polls wait in the queue.</li>
 * </ol>
 *
 * <p>Used by one driving thread ({@link Changelog}'s); the hand-over through the queue orders the
 * records' memory. Owns no resource but its thread; the consumer is the caller's.
 */
final class RestoreFetcher {
    private static final System.Logger LOG = System.getLogger("io.offstate.changelog");
    /** Polls fetched ahead at most. */
    static final int AHEAD = 2;
    /** How long one poll of the thread may wait: bounds how long {@link #quiesce()} waits. */
    private static final Duration POLL = Duration.ofMillis(20);

    /** One poll: its records and the positions after it, or the failure that ended the thread. */
    record Fetched(ConsumerRecords<ByteBuffer, ByteBuffer> records, Map<TopicPartition, Long> positions,
                   RuntimeException failure) {
        long position(TopicPartition tp) {
            Long p = positions.get(tp);
            if (p == null) {
                throw new IllegalStateException("no position of " + tp + " after the fetch (assigned: " + positions.keySet() + ")");
            }
            return p;
        }
    }

    private final KafkaConsumer<ByteBuffer, ByteBuffer> consumer;
    private final String name;
    private final ArrayBlockingQueue<Fetched> queue = new ArrayBlockingQueue<>(AHEAD);
    private volatile boolean running;
    private Thread thread;

    RestoreFetcher(KafkaConsumer<ByteBuffer, ByteBuffer> consumer, String name) {
        this.consumer = consumer;
        this.name = name;
    }

    boolean isRunning() {
        return thread != null;
    }

    /** Starts fetching ahead from the consumer's current positions; no-op if running. */
    void start() {
        if (thread != null) {
            return;
        }
        running = true;
        Thread t = Thread.ofPlatform().daemon().name(name).unstarted(this::run);
        thread = t;
        t.start();
    }

    /**
     * The next poll fetched, waiting up to {@code timeout} for one; null if none came.
     *
     * @throws InterruptedException if the driving thread is interrupted while it waits
     */
    Fetched next(Duration timeout) throws InterruptedException {
        if (timeout.isZero()) {
            return queue.poll();
        }
        return queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Stops the thread (waiting until it left the consumer) and drops what it fetched ahead;
     * returns whether it was running (then the consumer's positions may be ahead of what the
     * driver applied: seek again).
     */
    boolean quiesce() {
        Thread t = thread;
        if (t == null) {
            return false;
        }
        running = false;
        boolean interrupted = false;
        while (true) {
            try {
                t.join();
                break;
            } catch (InterruptedException e) {
                interrupted = true; // the consumer must not be shared: wait for the thread regardless
            }
        }
        if (interrupted) {
            Thread.currentThread().interrupt();
        }
        thread = null;
        queue.clear();
        last = Map.of(); // the driver seeks again: the next poll is passed on whatever it brings
        return true;
    }

    /**
     * One poll on the calling thread instead (fetching ahead is off): as the thread would hand it
     * on, or null if nothing changed. Must not be called while the thread runs.
     */
    Fetched pollHere(Duration timeout) {
        if (thread != null) {
            throw new IllegalStateException("the restore fetcher's thread is running: quiesce it first");
        }
        try {
            return fetch(timeout);
        } catch (RuntimeException e) {
            return new Fetched(ConsumerRecords.empty(), Map.of(), e);
        }
    }

    private Map<TopicPartition, Long> last = Map.of();

    /** One poll and the positions after it; null if it brought nothing and no position moved. */
    private Fetched fetch(Duration timeout) {
        ConsumerRecords<ByteBuffer, ByteBuffer> records = consumer.poll(timeout);
        Map<TopicPartition, Long> positions = new HashMap<>();
        for (TopicPartition tp : consumer.assignment()) {
            positions.put(tp, consumer.position(tp));
        }
        if (records.isEmpty() && positions.equals(last)) {
            return null;
        }
        last = positions;
        return new Fetched(records, positions, null);
    }

    private void run() {
        while (running) {
            Fetched f;
            try {
                f = fetch(POLL);
                if (f == null) {
                    continue;
                }
            } catch (RuntimeException e) {
                f = new Fetched(ConsumerRecords.empty(), Map.of(), e);
            } catch (Error e) {
                // handed on, so that the driver does not wait for polls that never come
                f = new Fetched(ConsumerRecords.empty(), Map.of(), new IllegalStateException("the restore fetcher failed: " + e, e));
            }
            try {
                while (!queue.offer(f, 10, TimeUnit.MILLISECONDS)) {
                    if (!running) {
                        return; // quiesced: what it holds is dropped anyway
                    }
                }
            } catch (InterruptedException e) {
                LOG.log(System.Logger.Level.DEBUG, "restore fetcher interrupted; stops");
                return;
            }
            if (f.failure() != null) {
                return; // the driver quiesces, handles it and seeks again
            }
        }
    }
}
