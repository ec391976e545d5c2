package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.stream.Stream;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.StateCrashTest.Model;
import io.offstate.engine.log.WalOptions;
import io.offstate.engine.log.WalRecovery;
import io.offstate.engine.log.WriteAheadLog;
import io.offstate.offheap.CorruptStoreFileException;

/**
 * Damage to the files of a state manager, seen through the manager: a manager commits a known
 * sequence to two partitions over two stores (small segments, no checkpoint: every commit is only
 * in the log), then crashes ({@link StateManager#crashForTests()}: stores closed without a flush).
 * Copies of that directory are then damaged:
 * <ul>
 *   <li>the last segment cut inside its last batch: a torn tail, cut on open; exactly the commits
 *       before it are recovered;</li>
 *   <li>a bit flipped inside an older segment: {@link StateManager#open} refuses it with a
 *       {@link CorruptStoreFileException} naming the segment and the frame's offset, changes
 *       nothing, and holds no lock; with {@link WalOptions#withTruncateAtDamage(boolean)} it opens,
 *       reports the truncation, and the state is the model after the last commit before it;</li>
 *   <li>the {@code .partitions} record damaged: {@link CorruptStoreFileException} naming it.</li>
 * </ul>
 * The seed of the random flips is printed; {@code -Doffstate.corruption.seed=S} repeats it.
 */
final class StateLogCorruptionTest {
    static final long SEGMENT_BYTES = WalOptions.MIN_SEGMENT_BYTES;
    static final int COMMITS = 140;
    static final int PARTITIONS = 2;

    @TempDir
    Path temp;

    private Path pristine;
    private final List<Frame> frames = new ArrayList<>();
    private final TreeMap<Long, Path> segments = new TreeMap<>();

    /** One batch of the pristine log: where its frame lies and which commit it is. */
    record Frame(long position, long length, int partition, long n, Path segment, long fileOffset) {
    }

    private static StateManagerOptions options(Path dir, WalOptions log) {
        return StateManagerOptions.builder(dir).log(log.withSegmentBytes(SEGMENT_BYTES)).build();
    }

    private static StateManager open(Path dir, WalOptions log) {
        StateManager m = StateManager.open(options(dir, log));
        StateCrashChild.define(m);
        return m;
    }

    private static void commit(StatePartition p, long n) {
        StateCrashChild.TxOps ops = new StateCrashChild.TxOps(p);
        try (Transaction tx = p.begin()) {
            ops.tx = tx;
            StateCrashChild.transaction(p.id(), n, ops);
            tx.commit(StateCrashChild.positions(n));
        }
    }

    /** Commits the known sequence (commit i: partition i % 2, its commit i / 2 + 1), crashes, and maps the log. */
    @BeforeEach
    void writeKnownSequence() throws IOException {
        pristine = temp.resolve("pristine");
        StateManager m = open(pristine, WalOptions.defaults());
        m.assign(0, 1);
        for (int i = 0; i < COMMITS; i++) {
            commit(m.partition(i % PARTITIONS), i / PARTITIONS + 1);
        }
        m.crashForTests();

        Path logDir = pristine.resolve(StateManager.LOG_DIRECTORY);
        try (Stream<Path> files = Files.list(logDir)) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.startsWith("wal-") && name.endsWith(".seg")) {
                    segments.put(Long.parseLong(name.substring(4, name.length() - 4)), f);
                }
            }
        }
        try (WriteAheadLog log = WriteAheadLog.open(logDir, WalOptions.defaults().withSegmentBytes(SEGMENT_BYTES))) {
            assertFalse(log.recovery().tornTail());
            log.replay(log.firstPosition(), batch -> {
                ByteBuffer b = ByteBuffer.wrap(batch.toByteArray()).order(ByteOrder.LITTLE_ENDIAN);
                assertEquals(CommitBatchDescriptor.COMMIT, b.get(CommitBatchDescriptor.KIND_OFFSET));
                int partition = b.getInt(CommitBatchDescriptor.PARTITION_OFFSET);
                byte[] positions = new byte[b.getInt(CommitBatchDescriptor.POSITIONS_LENGTH_OFFSET)];
                b.get(CommitBatchDescriptor.POSITIONS_OFFSET, positions);
                long base = segments.floorKey(batch.position());
                frames.add(new Frame(batch.position(), 16L + batch.length(), partition, StateCrashChild.commitOf(positions),
                    segments.get(base), batch.position() - base + 16));
            });
        }
        assertEquals(COMMITS, frames.size(), "one batch per commit");
        for (int i = 0; i < COMMITS; i++) {
            assertEquals(i % PARTITIONS, frames.get(i).partition());
            assertEquals(i / PARTITIONS + 1, frames.get(i).n());
        }
        // The frames tile every segment exactly (so an offset past the header is inside some frame).
        for (var e : segments.entrySet()) {
            long end = 16;
            for (Frame f : frames) {
                if (f.segment().equals(e.getValue())) {
                    assertEquals(end, f.fileOffset());
                    end += f.length();
                }
            }
            assertEquals(end, Files.size(e.getValue()), e.getValue() + " holds frames only");
        }
        assertTrue(segments.size() >= 6, "the log rolled into several segments: " + segments.size());
    }

    // ---------------------------------------------------------------- (a) torn tail

    @Test
    void aTailCutInsideTheLastBatchRecoversExactlyTheCommitsBeforeIt() throws IOException {
        Frame last = frames.getLast();
        assertEquals(segments.lastEntry().getValue(), last.segment(), "the last batch is in the last segment");
        TreeSet<Long> cuts = new TreeSet<>(List.of(0L, 1L, 8L, 15L, 16L, 17L, last.length() / 2, last.length() - 1));
        for (long cut : cuts) {
            String where = "last batch cut after " + cut + " of its " + last.length() + " bytes";
            Path dir = copy(pristine, "torn-" + cut);
            Path segment = moved(last.segment(), dir);
            try (FileChannel c = FileChannel.open(segment, StandardOpenOption.WRITE)) {
                c.truncate(last.fileOffset() + cut);
            }
            StateManager m = open(dir, WalOptions.defaults());
            try {
                WalRecovery r = m.logRecovery();
                assertEquals(cut > 0, r.tornTail(), where + ": torn tail reported");
                assertEquals(cut, r.tornTailBytes(), where + ": bytes cut");
                assertFalse(r.truncatedAtDamage(), where);
                assertEquals(last.position(), r.endPosition(), where + ": the log ends where the torn batch began");
                assertEquals(last.fileOffset(), Files.size(segment), where + ": the segment was cut back");
                m.assign(0, 1);
                checkState(m, last.position(), where);
                // The log goes on from there: the torn commit, committed again, is recovered.
                StatePartition p = m.partition(last.partition());
                commit(p, last.n());
                m.crashForTests();
                m = open(dir, WalOptions.defaults());
                assertFalse(m.logRecovery().tornTail(), where + ", then committed again");
                m.assign(0, 1);
                checkState(m, Long.MAX_VALUE, where + ", then committed again");
            } finally {
                m.close();
            }
        }
    }

    // ---------------------------------------------------------------- (b) damage refused

    @Test
    void aBitFlipInAnOlderSegmentIsRefusedNamingSegmentAndOffsetAndHoldsNoLock() throws IOException {
        long seed = Long.getLong("offstate.corruption.seed", System.nanoTime());
        System.out.println("[state log corruption] refuse: seed " + seed);
        Random random = new Random(seed);
        Path dir = copy(pristine, "refused");
        for (int trial = 0; trial < 12; trial++) {
            Flip flip = flip(random, dir);
            String where = "seed " + seed + ", trial " + trial + ": " + flip;
            byte[] damaged = Files.readAllBytes(flip.segment());
            for (int attempt = 0; attempt < 2; attempt++) { // the second: no lock or half-open state was left behind
                CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class,
                    () -> StateManager.open(options(dir, WalOptions.defaults())), where);
                assertEquals(flip.segment(), e.file(), where + ": " + e.getMessage());
                assertTrue(e.getMessage().contains(flip.segment().toString()), where + ": names the segment: " + e.getMessage());
                assertTrue(e.getMessage().contains("offset " + flip.frame().fileOffset() + " (position "
                    + flip.frame().position() + ")"), where + ": names the frame's offset: " + e.getMessage());
                assertArrayEquals(damaged, Files.readAllBytes(flip.segment()), where + ": nothing was changed");
                assertEquals(segments.size(), logSegmentCount(dir), where + ": no segment deleted");
            }
            flip.undo();
        }
        // Restored: it opens, and nothing was lost.
        try (StateManager m = open(dir, WalOptions.defaults())) {
            assertFalse(m.logRecovery().tornTail());
            assertFalse(m.logRecovery().truncatedAtDamage());
            m.assign(0, 1);
            checkState(m, Long.MAX_VALUE, "restored");
        }
    }

    // ---------------------------------------------------------------- (c) damage truncated

    @Test
    void withTruncateAtDamageTheStateIsTheModelAfterTheLastCommitBeforeTheDamage() throws IOException {
        long seed = Long.getLong("offstate.corruption.seed", System.nanoTime());
        System.out.println("[state log corruption] truncate: seed " + seed);
        Random random = new Random(seed);
        for (int trial = 0; trial < 8; trial++) {
            Path dir = copy(pristine, "truncated-" + trial);
            Flip flip = flip(random, dir);
            String where = "seed " + seed + ", trial " + trial + ": " + flip;
            long dropped = Files.size(flip.segment()) - flip.frame().fileOffset();
            for (var e : segments.tailMap(baseOf(flip.frame()), false).values()) {
                dropped += Files.size(moved(e, dir));
            }
            StateManager m = open(dir, WalOptions.defaults().withTruncateAtDamage(true));
            try {
                WalRecovery r = m.logRecovery();
                assertTrue(r.truncatedAtDamage(), where);
                assertFalse(r.tornTail(), where);
                assertEquals(flip.segment(), r.damagedSegment(), where);
                assertEquals(flip.frame().fileOffset(), r.damageOffset(), where);
                assertEquals(flip.frame().position(), r.droppedFromPosition(), where);
                assertEquals(dropped, r.droppedBytes(), where + ": the segment's rest and every later segment");
                assertEquals(flip.frame().position(), r.endPosition(), where);
                m.assign(0, 1);
                checkState(m, flip.frame().position(), where);
                // The log goes on from the truncation: a commit of each partition after it is recovered.
                for (int p = 0; p < PARTITIONS; p++) {
                    StatePartition sp = m.partition(p);
                    commit(sp, StateCrashChild.commitOf(sp.committedPositions()) + 1);
                }
                long[] expected = new long[PARTITIONS];
                for (int p = 0; p < PARTITIONS; p++) {
                    expected[p] = StateCrashChild.commitOf(m.partition(p).committedPositions());
                }
                m.crashForTests();
                m = open(dir, WalOptions.defaults());
                assertFalse(m.logRecovery().truncatedAtDamage(), where + ", then committed");
                m.assign(0, 1);
                for (int p = 0; p < PARTITIONS; p++) {
                    check(m.partition(p), expected[p], where + ", then committed");
                }
            } finally {
                m.close();
            }
        }
    }

    // ---------------------------------------------------------------- (d) partition record

    @Test
    void aDamagedPartitionRecordIsRefusedNamingIt() throws IOException {
        Path dir = copy(pristine, "record");
        Path record = dir.resolve(LogRetention.FILE);
        byte[] original = Files.readAllBytes(record);
        assertTrue(original.length >= 16, "the crash left a partition record");
        List<byte[]> damages = new ArrayList<>();
        for (int i = 0; i < original.length; i++) {
            for (int bit : new int[] {0, 7}) {
                byte[] d = original.clone();
                d[i] ^= (byte) (1 << bit);
                damages.add(d);
            }
        }
        for (int length : new int[] {0, 3, 15, original.length - 1}) {
            damages.add(java.util.Arrays.copyOf(original, length));
        }
        damages.add(java.util.Arrays.copyOf(original, original.length + 1));
        for (int i = 0; i < damages.size(); i++) {
            byte[] d = damages.get(i);
            Files.write(record, d);
            String where = "damage " + i + " (" + d.length + " bytes)";
            CorruptStoreFileException e = assertThrows(CorruptStoreFileException.class,
                () -> StateManager.open(options(dir, WalOptions.defaults())), where);
            assertEquals(record, e.file(), where + ": " + e.getMessage());
            assertTrue(e.getMessage().contains(record.toString()), where + ": names the record: " + e.getMessage());
            assertArrayEquals(d, Files.readAllBytes(record), where + ": nothing was changed");
        }
        Files.write(record, original);
        try (StateManager m = open(dir, WalOptions.defaults())) {
            m.assign(0, 1);
            checkState(m, Long.MAX_VALUE, "record restored");
        }
    }

    // ---------------------------------------------------------------- (c') truncation and later flushes

    /**
     * A store flushed at a position the truncation dropped is refused at assign (it holds commits
     * the log lost) — and must stay refused once other partitions' new commits have grown the log
     * past that position again, because positions after a truncation are reused: otherwise a
     * partition whose stores were flushed on either side of the damage (a crash between two stores'
     * checkpoint, as here) is assigned with one store holding commits the other lacks.
     */
    @Test
    void aStoreFlushedPastTheTruncationStaysRefusedAfterOtherPartitionsRegrowTheLog() throws IOException {
        Path dir = temp.resolve("regrown");
        StateManager m = open(dir, WalOptions.defaults());
        m.assign(0, 1);
        StatePartition p0 = m.partition(0);
        StatePartition p1 = m.partition(1);
        for (long n = 1; n <= 20; n++) {
            commit(p0, n);
            commit(p1, n);
        }
        p0.flush(); // both stores of partition 0 hold commit 20
        long damaged = -1;
        for (long n = 21; n <= 40; n++) {
            if (n == 30) {
                damaged = m.stats().logEndPosition();
            }
            commit(p0, n);
            commit(p1, n);
        }
        // The process dies in the middle of partition 0's next checkpoint: store a is flushed at the
        // log's (durable) end with commit 40, store b still holds commit 20.
        long flushedA = m.stats().logEndPosition();
        p0.store(StateCrashChild.STORE_A).flushManaged(new PartitionMetadata(flushedA, 0, StateCrashChild.positions(40)).encode());
        m.crashForTests();
        // Damage in partition 0's commit 30 (between the two stores' flush positions).
        Path segment = segmentOf(dir, damaged);
        xor(segment, fileOffsetOf(segment, damaged) + 40, 3);

        StateManager reopened = open(dir, WalOptions.defaults().withTruncateAtDamage(true));
        try {
            assertTrue(reopened.logRecovery().truncatedAtDamage());
            assertEquals(damaged, reopened.logRecovery().droppedFromPosition());
            assertThrows(CorruptStoreFileException.class, () -> reopened.assign(0),
                "store a of partition 0 is flushed past the log's end");
            assertTrue(reopened.assigned().isEmpty());
            reopened.assign(1);
            StatePartition q1 = reopened.partition(1);
            check(q1, 29, "partition 1 after the truncation");
            long n = 29;
            while (reopened.stats().logEndPosition() <= flushedA) {
                commit(q1, ++n);
            }
            reopened.revoke(1);
            CorruptStoreFileException refused = null;
            try {
                reopened.assign(0);
            } catch (CorruptStoreFileException e) {
                refused = e;
            }
            if (refused == null) {
                StatePartition q0 = reopened.partition(0);
                long newestInA = 0;
                for (String v : StateCrashTest.contents(q0.store(StateCrashChild.STORE_A)).values()) {
                    newestInA = Math.max(newestInA, Long.parseLong(v.split(":")[1]));
                }
                String last = new String(q0.store(StateCrashChild.STORE_B).getCopy("last".getBytes()), java.nio.charset.StandardCharsets.UTF_8);
                throw new AssertionError("partition 0 was assigned once partition 1's commits took the log's end ("
                    + reopened.stats().logEndPosition() + ") past store a's flush position (" + flushedA + ", in the range the"
                    + " truncation at " + damaged + " dropped): positions " + StateCrashChild.commitOf(q0.committedPositions())
                    + ", store b at commit " + last + ", store a holding keys of commits up to " + newestInA
                    + " — commits 30.." + newestInA + " are partly present");
            }
        } finally {
            reopened.close();
        }
    }

    private static Path segmentOf(Path dir, long position) throws IOException {
        Path found = null;
        long foundBase = -1;
        try (Stream<Path> files = Files.list(dir.resolve(StateManager.LOG_DIRECTORY))) {
            for (Path f : files.toList()) {
                String name = f.getFileName().toString();
                if (name.startsWith("wal-") && name.endsWith(".seg")) {
                    long base = Long.parseLong(name.substring(4, name.length() - 4));
                    if (base <= position && base > foundBase) {
                        found = f;
                        foundBase = base;
                    }
                }
            }
        }
        return found;
    }

    private static long fileOffsetOf(Path segment, long position) {
        String name = segment.getFileName().toString();
        return position - Long.parseLong(name.substring(4, name.length() - 4)) + 16;
    }

    // ---------------------------------------------------------------- helpers

    /** A bit flipped in {@link #segment} (a copy's), inside {@link #frame}; {@link #undo()} restores it. */
    record Flip(Path segment, long offset, int bit, Frame frame) {
        void undo() throws IOException {
            xor(segment, offset, bit);
        }

        @Override
        public String toString() {
            return "bit " + bit + " of offset " + offset + " of " + segment.getFileName() + " (in the frame at offset "
                + frame.fileOffset() + ", position " + frame.position() + ", commit " + frame.n() + " of partition "
                + frame.partition() + ")";
        }
    }

    /** Flips a random bit past the header of a random segment but the last, in the copy {@code dir}. */
    private Flip flip(Random random, Path dir) throws IOException {
        List<Path> older = new ArrayList<>(segments.values()).subList(0, segments.size() - 1);
        Path original = older.get(random.nextInt(older.size()));
        Path segment = moved(original, dir);
        long offset = 16 + random.nextLong(Files.size(segment) - 16);
        int bit = random.nextInt(8);
        Frame frame = null;
        for (Frame f : frames) {
            if (f.segment().equals(original) && f.fileOffset() <= offset && offset < f.fileOffset() + f.length()) {
                frame = f;
            }
        }
        assertTrue(frame != null, "offset " + offset + " of " + original + " lies in a frame");
        xor(segment, offset, bit);
        return new Flip(segment, offset, bit, frame);
    }

    private long baseOf(Frame frame) {
        for (var e : segments.entrySet()) {
            if (e.getValue().equals(frame.segment())) {
                return e.getKey();
            }
        }
        throw new AssertionError(frame.toString());
    }

    private static void xor(Path file, long offset, int bit) throws IOException {
        try (FileChannel c = FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            ByteBuffer one = ByteBuffer.allocate(1);
            c.read(one, offset);
            one.put(0, (byte) (one.get(0) ^ (1 << bit)));
            one.rewind();
            c.write(one, offset);
        }
    }

    /** The state of every partition is the model after its last commit logged before {@code position}. */
    private void checkState(StateManager m, long position, String where) {
        for (int p = 0; p < PARTITIONS; p++) {
            long n = 0;
            for (Frame f : frames) {
                if (f.partition() == p && f.position() < position) {
                    n = Math.max(n, f.n());
                }
            }
            check(m.partition(p), n, where);
        }
    }

    private static void check(StatePartition sp, long n, String where) {
        assertEquals(n, StateCrashChild.commitOf(sp.committedPositions()), where + ": partition " + sp.id() + " positions");
        Model model = new Model(sp.id());
        model.advanceTo(n);
        try {
            StateCrashTest.check(sp, model);
        } catch (AssertionError e) {
            throw new AssertionError(where + ": " + e.getMessage(), e);
        }
    }

    private Path moved(Path file, Path dir) {
        return dir.resolve(pristine.relativize(file));
    }

    private static long logSegmentCount(Path dir) throws IOException {
        try (Stream<Path> files = Files.list(dir.resolve(StateManager.LOG_DIRECTORY))) {
            return files.filter(f -> f.getFileName().toString().endsWith(".seg")).count();
        }
    }

    private Path copy(Path from, String name) throws IOException {
        Path to = temp.resolve(name);
        try (Stream<Path> walk = Files.walk(from)) {
            for (Path source : walk.toList()) {
                Path target = to.resolve(from.relativize(source));
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target);
                }
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
        return to;
    }
}
