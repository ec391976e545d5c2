package io.offstate.engine.log;

import static io.offstate.engine.log.WalTestSupport.payload;
import static io.offstate.engine.log.WalTestSupport.replayAll;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.integers;
import static org.quicktheories.generators.SourceDSL.lists;
import static org.quicktheories.generators.SourceDSL.longs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import io.offstate.engine.log.WalTestSupport.Entry;

/**
 * Model test: random sequences of appends (0..1500 bytes, so segments of 4-8 KiB roll often),
 * {@code deleteUpTo} at a batch's position, replays from a batch's position, reopens, and
 * simulated crashes that tear the last batch (the log is closed and its last frame cut short by
 * 1..frame-1 bytes, as a process killed mid-write leaves it), against a model that is a list of
 * (position, payload). After every command: the log's end equals the model's; replaying from
 * {@link WriteAheadLog#firstPosition()} yields exactly the model's batches from there on; the
 * first position never passes the largest {@code deleteUpTo} argument; a batch the log no longer
 * has lies wholly before that argument.
 *
 * <p>{@code -Doffstate.wal.examples=N} runs more examples (default {@value #EXAMPLES}).
 */
final class WalModelTest {
    static final int EXAMPLES = 60;

    @TempDir
    Path root;

    private final AtomicInteger runs = new AtomicInteger();

    sealed interface Command permits Append, DeleteUpTo, Replay, Reopen, TearLast {
    }

    record Append(int length, long seed) implements Command {
    }

    /** deleteUpTo at the position of the model's batch at {@code pick} permille (or the end for 1000). */
    record DeleteUpTo(int pick) implements Command {
    }

    record Replay(int pick) implements Command {
    }

    record Reopen() implements Command {
    }

    /** Close, cut the last frame short by a share of its length, reopen: the torn batch is gone. */
    record TearLast(int permille) implements Command {
    }

    record Scenario(long segmentBytes, Durability durability, List<Command> commands) {
    }

    static Gen<Command> commands() {
        Gen<Command> append = integers().between(0, 1500).zip(longs().all(), Append::new);
        Gen<Command> delete = integers().between(0, 1000).map(DeleteUpTo::new);
        Gen<Command> replay = integers().between(0, 1000).map(Replay::new);
        Gen<Command> reopen = Generate.constant(new Reopen());
        Gen<Command> tear = integers().between(0, 999).map(TearLast::new);
        return Generate.frequency(Pair.of(12, append), Pair.of(2, delete), Pair.of(2, replay), Pair.of(1, reopen),
            Pair.of(1, tear));
    }

    static Gen<Scenario> scenarios() {
        return Generate.pick(List.of(4096L, 8192L)).zip(Generate.enumValues(Durability.class),
            lists().of(commands()).ofSizeBetween(1, 80), Scenario::new);
    }

    @Test
    void theLogBehavesLikeAListOfBatches() {
        qt().withFixedSeed(Long.getLong("offstate.wal.seed", 14L))
            .withExamples(Integer.getInteger("offstate.wal.examples", EXAMPLES))
            .withShrinkCycles(100)
            .forAll(scenarios())
            .checkAssert(this::check);
    }

    private void check(Scenario scenario) {
        Path dir = root.resolve("run-" + runs.incrementAndGet());
        WalOptions options = WalOptions.defaults().withSegmentBytes(scenario.segmentBytes())
            .withDurability(scenario.durability());
        List<Entry> model = new ArrayList<>();
        long modelEnd = 0;
        long deleteFloor = 0;
        WriteAheadLog log = WriteAheadLog.open(dir, options);
        try {
            int step = 0;
            for (Command command : scenario.commands()) {
                String where = "step " + step++ + " " + command;
                switch (command) {
                    case Append a -> {
                        byte[] bytes = payload(a.seed(), a.length());
                        long position = log.append(bytes);
                        assertEquals(modelEnd, position, where);
                        model.add(new Entry(position, bytes));
                        modelEnd = position + 16 + a.length();
                    }
                    case DeleteUpTo d -> {
                        long position = pick(model, d.pick(), modelEnd);
                        log.deleteUpTo(position);
                        deleteFloor = Math.max(deleteFloor, position);
                    }
                    case Replay r -> {
                        long from = Math.max(pick(model, r.pick(), modelEnd), log.firstPosition());
                        List<Entry> expected = model.stream().filter(e -> e.position() >= from).toList();
                        WalTestSupport.assertSameEntries(expected, replayAll(log, from), where);
                    }
                    case Reopen ignored -> {
                        log.close();
                        log = WriteAheadLog.open(dir, options);
                        assertTrue(!log.recovery().tornTail() && !log.recovery().truncatedAtDamage(), where);
                    }
                    case TearLast t -> {
                        log.close();
                        if (!model.isEmpty() && model.getLast().position() >= log.firstPosition()) {
                            Entry last = model.removeLast();
                            long frame = 16 + last.payload().length;
                            long cut = 1 + (frame - 1) * t.permille() / 1000;
                            // the segment holding the last batch (a later, empty segment may follow it)
                            SegmentFiles.Segment holder = segmentHolding(dir, last.position());
                            truncateTo(holder.path(), WalFrameDescriptor.fileOffsetOf(holder.base(), last.position())
                                + frame - Math.min(cut, frame - 1));
                            modelEnd = last.position();
                        }
                        log = WriteAheadLog.open(dir, options);
                    }
                }
                long first = log.firstPosition();
                assertEquals(modelEnd, log.endPosition(), where + ": end");
                assertTrue(first == 0 || first <= deleteFloor, where + ": first " + first + " floor " + deleteFloor);
                long floor = deleteFloor;
                for (Entry e : model) {
                    if (e.position() < first) {
                        assertTrue(e.position() + 16 + e.payload().length <= floor, where + ": dropped a batch not covered");
                    }
                }
                model.removeIf(e -> e.position() < first);
                List<Entry> actual = replayAll(log, first);
                assertEquals(model.size(), actual.size(), where + ": batches");
                for (int i = 0; i < model.size(); i++) {
                    assertEquals(model.get(i).position(), actual.get(i).position(), where);
                    assertArrayEquals(model.get(i).payload(), actual.get(i).payload(), where);
                }
            }
        } finally {
            log.close();
        }
    }

    private static long pick(List<Entry> model, int permille, long end) {
        if (model.isEmpty() || permille >= 1000) {
            return end;
        }
        return model.get(model.size() * permille / 1000).position();
    }

    private static SegmentFiles.Segment segmentHolding(Path dir, long position) {
        try {
            return SegmentFiles.list(dir).stream().filter(s -> s.base() <= position).reduce((a, b) -> b).orElseThrow();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void truncateTo(Path file, long size) {
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.WRITE)) {
            assertEquals(true, size < channel.size(), "the torn batch ends its segment");
            channel.truncate(size);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
