package io.offstate.offheap.file;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import io.offstate.offheap.memory.MappedRegion;

/**
 * A crash injected at every step of a commit: the directory reopens as exactly the previous
 * commit (before the new journal's header exists) or exactly the new one (from the header on),
 * metadata and every region's bytes alike, and a commit after recovery works. Complements the
 * engine's SIGKILL test, which hits random instants.
 */
class CommitCrashPointTest {
    static final int PAGE = 8192;

    @TempDir
    Path dir;

    /** The label of the step the observer crashes at, or null. */
    private volatile String crashAt;

    /** Throws {@link Crash} at step {@link #crashAt}. */
    private final CommitObserver observer = s -> {
        if (s.label().equals(crashAt)) {
            throw new Crash(s.label());
        }
    };

    static final class Crash extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Crash(String step) {
            super("simulated crash at " + step);
        }
    }

    static byte[] meta(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    static void fill(MappedRegion r, long from, long length, int seed) {
        MemorySegment s = r.segment();
        for (long i = from; i < from + length; i++) {
            s.set(ValueLayout.JAVA_BYTE, i, (byte) (i * 13 + seed));
        }
        r.markDirty(from, length);
    }

    static byte[] bytes(MappedRegion r) {
        return r.segment().toArray(ValueLayout.JAVA_BYTE);
    }

    @ParameterizedTest(name = "crash at {0} -> generation {1}")
    @CsvSource({
        "journal-body-written, 2",
        "journal-body-forced, 2",
        "journal-written, 3",
        "committed, 3",
        "superseded, 3",
        "applying, 3",
        "applied, 3",
        "marked-applied, 3",
    })
    void aCrashAtAnyStepRecoversExactlyOneOfTheTwoCommits(String step, long expected) throws IOException {
        byte[] page1Before;
        byte[] segBefore;
        byte[] page1After;
        byte[] segAfter;
        byte[] page2After;
        int segId;
        try (StoreFiles f = StoreFiles.open(dir, observer)) {
            MappedRegion page1 = f.mapPage(1, PAGE);
            MappedRegion seg = f.newSegment(3 * 4096 + 100);
            segId = seg.fileId();
            fill(page1, 0, PAGE, 1);
            fill(seg, 0, seg.size(), 2);
            f.commit(meta("gen1"));
            fill(page1, 5000, 10, 3);
            f.commit(meta("gen2"));
            page1Before = bytes(page1);
            segBefore = bytes(seg);
            // generation 3: changes across two regions and a new page
            fill(page1, 100, 4500, 4);
            fill(seg, 3 * 4096 + 50, 50, 5);
            MappedRegion page2 = f.mapPage(2, PAGE);
            fill(page2, 0, 10, 6);
            page1After = bytes(page1);
            segAfter = bytes(seg);
            page2After = bytes(page2);
            crashAt = step;
            assertThrows(Crash.class, () -> f.commit(meta("gen3")));
            crashAt = null;
            assertThrows(IllegalStateException.class, () -> f.commit(meta("again")), "a failed commit refuses more");
        } // close writes nothing: as if the process died here

        try (StoreFiles f = StoreFiles.open(dir)) {
            assertEquals(expected, f.generation());
            assertArrayEquals(meta(expected == 3 ? "gen3" : "gen2"), f.storeMeta());
            assertArrayEquals(expected == 3 ? page1After : page1Before, bytes(f.openPage(1, PAGE)));
            assertArrayEquals(expected == 3 ? segAfter : segBefore, bytes(f.openSegment(segId, 3 * 4096 + 100)));
            if (expected == 3) {
                assertArrayEquals(page2After, bytes(f.openPage(2, PAGE)));
            }
            f.verify();
            MappedRegion page1 = f.openPage(1, PAGE);
            fill(page1, 0, 1, 9);
            f.commit(meta("next"));
            f.verify();
            assertEquals(expected + 1, f.generation());
        }
        try (StoreFiles f = StoreFiles.open(dir)) {
            assertArrayEquals(meta("next"), f.storeMeta());
        }
    }
}
