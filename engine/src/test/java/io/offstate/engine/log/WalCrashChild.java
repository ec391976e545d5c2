package io.offstate.engine.log;

import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Child JVM of {@link WalCrashTest}: opens the log in {@code args[0]} under
 * {@link Durability#EVERY_COMMIT} and appends batches from {@code args[2]} threads until it is
 * killed, printing {@code ack <id> <position>} for each append that returned (each line flushed
 * before the next append of that thread). Batch {@code id} of run {@code args[1]} is
 * {@link #batch(long)}: its id, then bytes derived from it, so the parent can tell an intact batch
 * from a damaged or partial one.
 */
final class WalCrashChild {
    static final long SEGMENT_BYTES = 16 << 10;
    static final long IDS_PER_THREAD = 1_000_000;
    static final long IDS_PER_RUN = 100 * IDS_PER_THREAD;

    private WalCrashChild() {
    }

    /** The payload of batch {@code id}: 8 bytes of id, then 0..3000 bytes drawn from a generator seeded with it. */
    static byte[] batch(long id) {
        SplittableRandom random = new SplittableRandom(id);
        byte[] bytes = new byte[8 + random.nextInt(3001)];
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, id);
        for (int i = 8; i < bytes.length; i++) {
            bytes[i] = (byte) random.nextInt(256);
        }
        return bytes;
    }

    static long idOf(byte[] payload) {
        return ByteBuffer.wrap(payload).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long run = Long.parseLong(args[1]);
        int threads = Integer.parseInt(args[2]);
        PrintStream out = System.out;
        WriteAheadLog log = WriteAheadLog.open(dir, WalOptions.defaults().withSegmentBytes(SEGMENT_BYTES));
        synchronized (out) {
            out.println("open " + log.endPosition());
            out.flush();
        }
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            long firstId = run * IDS_PER_RUN + t * IDS_PER_THREAD;
            workers.add(Thread.ofPlatform().start(() -> {
                for (long id = firstId; ; id++) {
                    long position = log.append(batch(id));
                    synchronized (out) {
                        out.println("ack " + id + " " + position);
                        out.flush();
                    }
                }
            }));
        }
        for (Thread worker : workers) {
            worker.join();
        }
    }
}
