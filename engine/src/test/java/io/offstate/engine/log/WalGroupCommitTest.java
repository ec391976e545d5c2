package io.offstate.engine.log;

import static io.offstate.engine.log.WalTestSupport.payload;
import static io.offstate.engine.log.WalTestSupport.replayAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.log.WalTestSupport.Entry;

/**
 * Group commit under {@link Durability#EVERY_COMMIT}: commits waiting together share an fsync, and
 * every acknowledged batch is in the log. The fsyncs are counted by {@link WriteAheadLog#fsyncCount()};
 * the first test orders the threads with latches, not with time.
 */
final class WalGroupCommitTest {
    @TempDir
    Path dir;

    @Test
    void commitsWrittenWhileAnFsyncRunsShareTheNextOne() throws Exception {
        int followers = 7;
        int payloadLength = 10;
        long frame = WalFrameDescriptor.frameLength(payloadLength);
        AtomicReference<WriteAheadLog> holder = new AtomicReference<>();
        CountDownLatch leaderInForce = new CountDownLatch(1);
        AtomicBoolean first = new AtomicBoolean(false); // armed once the log is open (creating it forces too)
        // The first fsync (the leader's, covering its own batch) does not return before the
        // followers' batches are all written: they then queue for durability behind it.
        WalIo blockingFirstForce = new WalIo() {
            @Override
            public void force(FileChannel channel) throws IOException {
                if (first.compareAndSet(true, false)) {
                    leaderInForce.countDown();
                    while (holder.get().endPosition() < (1 + followers) * frame) {
                        Thread.onSpinWait();
                    }
                }
                channel.force(false);
            }
        };
        try (WriteAheadLog log = WriteAheadLog.open(dir, WalOptions.defaults(), blockingFirstForce)) {
            holder.set(log);
            first.set(true);
            ExecutorService pool = Executors.newFixedThreadPool(followers + 1);
            try {
                Future<Long> leader = pool.submit(() -> log.append(payload(-1, payloadLength)));
                assertTrue(leaderInForce.await(30, TimeUnit.SECONDS));
                List<Future<Long>> others = new ArrayList<>();
                for (int i = 0; i < followers; i++) {
                    int id = i;
                    others.add(pool.submit(() -> log.append(payload(id, payloadLength))));
                }
                assertEquals(0, leader.get(30, TimeUnit.SECONDS));
                for (Future<Long> f : others) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertEquals(log.endPosition(), log.durablePosition());
            assertEquals(2, log.fsyncCount(), "8 commits: the leader's fsync and one shared by the 7 that waited behind it");
            assertEquals(8, replayAll(log, 0).size());
        }
    }

    @Test
    void manyThreadsCommittingConcurrentlyAreAllPresentWithFewerFsyncsThanCommits() throws Exception {
        int threads = 8;
        int perThread = 150;
        WalIo slowForce = new WalIo() {
            @Override
            public void force(FileChannel channel) throws IOException {
                channel.force(false);
                Thread.yield();
            }
        };
        Map<Long, byte[]> acknowledged = new ConcurrentHashMap<>();
        long fsyncs;
        try (WriteAheadLog log = WriteAheadLog.open(dir, WalOptions.defaults().withSegmentBytes(64 << 10), slowForce)) {
            CountDownLatch start = new CountDownLatch(1);
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        byte[] bytes = payload(thread * 100_000L + i, 20 + i % 100);
                        long position = log.append(bytes);
                        if (log.durablePosition() < position + 16 + bytes.length) {
                            throw new AssertionError("acknowledged before durable");
                        }
                        acknowledged.put(position, bytes);
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : futures) {
                f.get(120, TimeUnit.SECONDS);
            }
            pool.shutdown();
            fsyncs = log.fsyncCount();
        }
        int commits = threads * perThread;
        assertEquals(commits, acknowledged.size(), "distinct positions");
        assertTrue(fsyncs <= commits, "fsyncs " + fsyncs + " for " + commits + " commits");
        System.out.println("[wal group commit] " + commits + " commits, " + fsyncs + " fsyncs");
        try (WriteAheadLog log = WriteAheadLog.open(dir, WalOptions.defaults())) {
            List<Entry> all = replayAll(log, 0);
            assertEquals(commits, all.size());
            TreeMap<Long, byte[]> sorted = new TreeMap<>(acknowledged);
            int i = 0;
            for (Map.Entry<Long, byte[]> e : sorted.entrySet()) {
                assertEquals(e.getKey(), all.get(i).position());
                assertArrayEquals(e.getValue(), all.get(i).payload());
                i++;
            }
        }
    }
}
