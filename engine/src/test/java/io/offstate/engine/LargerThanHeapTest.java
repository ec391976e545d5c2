package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A file-backed store several times larger than the JVM heap: a child JVM with {@code -Xmx256m}
 * writes about 1 GiB (1 KiB values, flushing every 128 MiB), closes, reopens and reads every
 * value back byte for byte. {@code -Doffstate.largeStore.mib=N} changes the size.
 */
class LargerThanHeapTest {
    static final int VALUE = 1024;

    @TempDir
    Path dir;

    static void fill(byte[] value, long i) {
        for (int j = 0; j < value.length; j++) {
            value[j] = (byte) (i * 31 + j * 7 + (j >>> 8));
        }
    }

    static byte[] key(long i) {
        return ("entry-" + i).getBytes(StandardCharsets.US_ASCII);
    }

    static long rssAnonKiB() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("RssAnon:")) {
                    return Long.parseLong(line.replaceAll("\\D", ""));
                }
            }
        } catch (Exception e) {
            // not Linux: report -1
        }
        return -1;
    }

    /** Child: args = directory, entries. Prints one "RESULT ..." line; exits 1 on a wrong value. */
    public static void main(String[] args) {
        Path directory = Path.of(args[0]);
        long entries = Long.parseLong(args[1]);
        StoreOptions options = StoreOptions.builder().name("larger-than-heap").build();
        byte[] value = new byte[VALUE];
        long used;
        long writeRss = 0;
        try (KeyValueStore s = KeyValueStore.open(directory, options)) {
            for (long i = 0; i < entries; i++) {
                fill(value, i);
                s.put(key(i), value);
                if ((i + 1) % (128 * 1024) == 0) {
                    s.flush();
                    writeRss = Math.max(writeRss, rssAnonKiB());
                }
            }
            used = s.memoryUsed();
        }
        long nanos = System.nanoTime();
        try (KeyValueStore s = KeyValueStore.open(directory, options)) {
            long openMicros = (System.nanoTime() - nanos) / 1000;
            if (s.size() != entries) {
                System.out.println("WRONG size " + s.size());
                System.exit(1);
            }
            ValueView view = new ValueView();
            MemorySegment expected = MemorySegment.ofArray(value);
            for (long i = 0; i < entries; i++) {
                fill(value, i);
                if (!s.get(key(i), view) || view.segment().mismatch(expected) != -1) {
                    System.out.println("WRONG value of entry " + i);
                    System.exit(1);
                }
            }
            System.out.println("RESULT entries=" + entries + " memoryUsed=" + used + " maxHeap=" + Runtime.getRuntime().maxMemory()
                + " openMicros=" + openMicros + " rssAnonKiBWhileWriting=" + writeRss + " rssAnonKiBAfterReading=" + rssAnonKiB());
        }
    }

    @Test
    void aStoreFourTimesTheHeapIsWrittenReopenedAndReadBack() throws Exception {
        long mib = Long.getLong("offstate.largeStore.mib", 1024);
        long entries = mib * 1024 * 1024 / (VALUE + 64);
        Process child = ChildJvm.start(List.of("-Xmx256m"), LargerThanHeapTest.class, dir.toString(), Long.toString(entries));
        String result = null;
        StringBuilder output = new StringBuilder();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                output.append(line).append('\n');
                if (line.startsWith("RESULT")) {
                    result = line;
                }
            }
            assertTrue(child.waitFor(10, TimeUnit.MINUTES));
        } finally {
            child.destroyForcibly();
        }
        assertEquals(0, child.exitValue(), output.toString());
        assertTrue(result != null, output.toString());
        System.out.println("[larger-than-heap] " + result);
        long used = Long.parseLong(result.replaceAll(".*memoryUsed=(\\d+).*", "$1"));
        long heap = Long.parseLong(result.replaceAll(".*maxHeap=(\\d+).*", "$1"));
        assertTrue(heap <= 256L << 20, "child heap " + heap);
        if (mib >= 1024) {
            assertTrue(used >= 4 * heap, "store of " + used + " bytes should be at least 4x the heap of " + heap);
        }
    }
}
