package io.offstate.engine.log;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The append hot path allocates nothing once its staging buffer has grown: measured with the
 * thread's allocation counter ({@code com.sun.management.ThreadMXBean}) over many appends, under
 * each durability policy that appends on the caller's thread alone (no segment roll in between).
 */
final class WalAllocationTest {
    static final int APPENDS = 5_000;

    @TempDir
    Path dir;

    @Test
    void appendAllocatesNothingWithoutFsync() {
        assertAppendDoesNotAllocate(Durability.NEVER);
    }

    @Test
    void appendAllocatesNothingWithAnFsyncPerCommit() {
        assertAppendDoesNotAllocate(Durability.EVERY_COMMIT);
    }

    private void assertAppendDoesNotAllocate(Durability durability) {
        com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long thread = Thread.currentThread().threadId();
        byte[] payload = WalTestSupport.payload(1, 200);
        WalOptions options = WalOptions.defaults().withDurability(durability).withSegmentBytes(64L << 20);
        try (WriteAheadLog log = WriteAheadLog.open(dir.resolve(durability.name()), options)) {
            for (int i = 0; i < APPENDS; i++) {
                log.append(payload); // warm up: JIT, lazily built channel state
            }
            long before = threads.getThreadAllocatedBytes(thread);
            for (int i = 0; i < APPENDS; i++) {
                log.append(payload);
            }
            long allocated = threads.getThreadAllocatedBytes(thread) - before;
            assertTrue(allocated < APPENDS, durability + ": " + allocated + " bytes allocated by " + APPENDS + " appends");
        }
    }
}
