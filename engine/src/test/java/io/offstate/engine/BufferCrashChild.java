package io.offstate.engine;

import static io.offstate.engine.TestData.pattern;
import static io.offstate.engine.TestData.utf8;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Consumer;

import org.agrona.DirectBuffer;

/**
 * The child JVM of {@link BufferCrashTest}: for each way a {@link ValueView#buffer()} (or a view's
 * segment) can outlive its memory, reads through it once the memory is gone and prints
 * {@code CAUGHT <scenario> <exception class>}, or {@code READ <scenario>} if the read returned.
 * Each read is first warmed up so that the JIT-compiled path is the one tested. Then it uses
 * {@code DirectBuffer} keys and values and prints {@code KEYS-OK} if they worked, and {@code DONE}
 * at the end; a crash (SIGSEGV) ends it before that (exit code 134, or 1 without core dumps).
 * Argument: a scratch directory for the file-backed scenarios.
 */
final class BufferCrashChild {
    private static final int WARM_UP_READS = 200_000;
    /** Larger than a quarter of the default 1 MiB page: a large value, in a segment of its own. */
    private static final int LARGE = 600_000;

    private BufferCrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path scratch = Path.of(args[0]);
        StoreOptions options = StoreOptions.builder().name("crash").build();

        // the store closed under a buffer of a small value, then of a large one
        afterClose("closed-in-memory", KeyValueStore.create(options), 64);
        afterClose("closed-large-in-memory", KeyValueStore.create(options), LARGE);
        afterClose("closed-file", KeyValueStore.open(Files.createDirectories(scratch.resolve("a")), options), 64);
        afterClose("closed-large-file", KeyValueStore.open(Files.createDirectories(scratch.resolve("b")), options), LARGE);

        // a large value deleted under its buffer: its segment is released at once
        afterDelete("deleted-large-in-memory", KeyValueStore.create(options));
        afterDelete("deleted-large-file", KeyValueStore.open(Files.createDirectories(scratch.resolve("c")), options));

        // the view's raw segment: no staleness check, but released memory still throws
        try (KeyValueStore store = KeyValueStore.create(options)) {
            store.put(utf8("large"), pattern(LARGE, 1));
            ValueView view = new ValueView();
            store.get(utf8("large"), view);
            MemorySegment segment = view.segment();
            store.delete(utf8("large"));
            attempt("segment-deleted-large-in-memory", () -> segment.get(ValueLayout.JAVA_LONG_UNALIGNED, 8));
        }
        KeyValueStore store = KeyValueStore.create(options);
        store.put(utf8("k"), pattern(64, 1));
        ValueView view = new ValueView();
        store.get(utf8("k"), view);
        MemorySegment segment = view.segment();
        store.close();
        attempt("segment-closed-in-memory", () -> segment.get(ValueLayout.JAVA_LONG_UNALIGNED, 8));

        // DirectBuffer keys and values (here SegmentBuffers) need no flag either: read through the interface
        try (KeyValueStore keys = KeyValueStore.create(options)) {
            SegmentBuffer key = new SegmentBuffer(MemorySegment.ofArray(utf8("xkeyx")), 1, 3);
            SegmentBuffer value = new SegmentBuffer();
            value.wrap(utf8("value"));
            keys.put(key, 0, 3, value, 0, 5);
            ValueView got = new ValueView();
            boolean ok = keys.get(key, 0, 3, got) && got.contentEquals(utf8("value")) && keys.contains(key, 0, 3)
                && keys.delete(key, 0, 3) && !keys.contains(utf8("key"));
            System.out.println(ok ? "KEYS-OK" : "KEYS-WRONG");
        }
        System.out.println("DONE");
    }

    private static void afterClose(String scenario, KeyValueStore store, int size) {
        store.put(utf8("k"), pattern(size, 3));
        ValueView view = new ValueView();
        store.get(utf8("k"), view);
        DirectBuffer buffer = view.buffer();
        warmUp(buffer);
        store.close();
        readAll(scenario, buffer);
    }

    private static void afterDelete(String scenario, KeyValueStore store) {
        try (store) {
            store.put(utf8("large"), pattern(LARGE, 5));
            ValueView view = new ValueView();
            store.get(utf8("large"), view);
            DirectBuffer buffer = view.buffer();
            warmUp(buffer);
            store.delete(utf8("large"));
            readAll(scenario, buffer);
        }
    }

    private static void warmUp(DirectBuffer buffer) {
        long sink = 0;
        for (int i = 0; i < WARM_UP_READS; i++) {
            sink += buffer.getLong(i & 31) + buffer.getByte(buffer.capacity() - 1);
        }
        if (sink == 42) {
            System.out.println("(sink)");
        }
    }

    /**
     * One line per kind of read: a plain getter, a bulk copy, a string. (Agrona's own buffers, which
     * copy out of it through its address, need {@code --add-exports}: SegmentBufferViewTest covers them.)
     */
    private static void readAll(String scenario, DirectBuffer buffer) {
        attempt(scenario + ":getLong", () -> buffer.getLong(buffer.capacity() - 8));
        attempt(scenario + ":getBytes", () -> buffer.getBytes(0, new byte[64]));
        attempt(scenario + ":getString", () -> buffer.getStringWithoutLengthUtf8(0, 64));
    }

    private static void attempt(String scenario, Runnable read) {
        Consumer<String> say = line -> {
            System.out.println(line);
            System.out.flush();
        };
        try {
            read.run();
            say.accept("READ " + scenario);
        } catch (RuntimeException e) {
            say.accept("CAUGHT " + scenario + " " + e.getClass().getName());
        }
    }
}
