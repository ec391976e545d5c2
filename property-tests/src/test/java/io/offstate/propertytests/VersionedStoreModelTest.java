package io.offstate.propertytests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.lists;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StatePartition;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.TestManagers;
import io.offstate.engine.Transaction;
import io.offstate.engine.TransactionCursor;
import io.offstate.engine.ValueView;
import io.offstate.engine.time.VersionedRecord;
import io.offstate.engine.time.VersionedStore;

/**
 * The versioned store against a naive model: per key a TreeMap of every version ever put
 * (timestamp → value, null for a tombstone) and the stream time, kept forever — the model never
 * expires anything, so it checks that the horizon alone decides what reads show, whatever the
 * sweep has removed.
 *
 * <p>Commands: puts and deletes at timestamps relative to stream time (mostly a little ahead or
 * behind, often behind the horizon: late records) or absolute small ones; commit, abort; sweeps;
 * a layout check (a full sweep in the transaction, then every version and expiry entry of the
 * backing store parsed and checked: nothing due left, each validTo the next version's timestamp,
 * the expiry index exactly the expirable versions, every version one the model has); and in the
 * managed property revoke/assign, close/reopen and crash/reopen of the {@link StateManager}
 * (default durability: a crash keeps every commit). Timestamps advance in steps against a
 * history retention of {@value #RETENTION} ms, so versions expire often.
 *
 * <p>After every command, for every key: the latest value (both read forms) and the value as of
 * the horizon ±1, every timestamp of the key's versions ±1, stream time and {@code Long.MAX_VALUE},
 * with timestamp and validTo, read outside the transaction (equal to the committed model) and, with
 * a transaction open, through it (equal to the model with its pending writes); and stream time.
 */
class VersionedStoreModelTest {
    static final long RETENTION = 20;
    static final int MAX_COMMANDS = 50;
    static final List<Bytes> KEYS = List.of(Bytes.EMPTY, b(new byte[] {'k'}), b(new byte[] {'k', 0}), b(new byte[] {'k', 'a'}),
        b(new byte[] {'k', 0, 0, 0, 0, 0, 0, 0, 9}), b(new byte[] {(byte) 0xFF, (byte) 0x80}));

    @TempDir
    Path root;

    private static Bytes b(byte[] bytes) {
        return Bytes.wrap(bytes);
    }

    @Test
    void aStandaloneStoreMatchesTheModel() {
        property("versioned-model/standalone", false, Settings.scaled(250));
    }

    @Test
    void aManagedStoreMatchesTheModelAcrossRevokeReopenAndCrash() {
        property("versioned-model/managed", true, Settings.scaled(20));
    }

    private void property(String name, boolean managed, int examples) {
        SequenceMinimizer<Cmd> minimizer = new SequenceMinimizer<>(cmds -> run(managed, cmds), 300);
        try {
            qt().withFixedSeed(Settings.seed(name))
                .withExamples(examples)
                .withShrinkCycles(0)
                .forAll(Generate.pick(List.of(0, 1, 2, 8)).zip(lists().of(command(managed)).ofSizeBetween(1, MAX_COMMANDS),
                    (sweep, list) -> {
                        List<Cmd> all = new ArrayList<>();
                        all.add(new SweepPerWrite(sweep));
                        all.addAll(list);
                        return all;
                    }))
                .checkAssert(minimizer::check);
        } catch (AssertionError e) {
            throw minimizer.explain(e);
        }
    }

    // ---------------------------------------------------------------- commands

    sealed interface Cmd permits SweepPerWrite, Put, Delete, Commit, Abort, Sweep, Layout, Reassign, Reopen, Crash {
    }

    /** The example's sweepPerWrite (always its first command, kept by the minimizer's runs as it may drop it). */
    record SweepPerWrite(int n) implements Cmd {
    }

    /** A timestamp: stream time + {@code n} (at least 0), or {@code n} itself. */
    record When(boolean absolute, int n) {
        long resolve(long streamTime) {
            return absolute ? n : Math.max(0, streamTime + n);
        }

        @Override
        public String toString() {
            return absolute ? "@" + n : "st" + (n < 0 ? "" : "+") + n;
        }
    }

    record Put(int key, Bytes value, When when) implements Cmd {
    }

    record Delete(int key, When when) implements Cmd {
    }

    record Commit() implements Cmd {
    }

    record Abort() implements Cmd {
    }

    record Sweep(int max) implements Cmd {
    }

    record Layout() implements Cmd {
    }

    record Reassign() implements Cmd {
    }

    record Reopen() implements Cmd {
    }

    record Crash() implements Cmd {
    }

    static Gen<Cmd> command(boolean managed) {
        Gen<Integer> key = Generate.range(0, KEYS.size() - 1);
        Gen<When> when = Generate.frequency(
            Pair.of(6, Generate.range(-(int) RETENTION - 8, 8).map(n -> new When(false, n))),
            Pair.of(1, Generate.range(0, 40).map(n -> new When(true, n))));
        Gen<Bytes> value = Generate.range(0, 6).zip(Generate.range(0, 255), (n, seed) -> {
            byte[] v = new byte[n];
            for (int i = 0; i < n; i++) {
                v[i] = (byte) (seed + i);
            }
            return Bytes.wrap(v);
        });
        List<Pair<Integer, Gen<Cmd>>> weighted = new ArrayList<>(List.of(
            Pair.of(10, key.zip(value, when, Put::new)),
            Pair.of(3, key.zip(when, Delete::new)),
            Pair.of(4, Generate.constant(new Commit())),
            Pair.of(1, Generate.constant(new Abort())),
            Pair.of(1, Generate.range(0, 4).map(Sweep::new)),
            Pair.of(1, Generate.constant(new Layout())),
            Pair.of(1, Generate.constant(new Reopen()))));
        if (managed) {
            weighted.add(Pair.of(1, Generate.constant(new Reassign())));
            weighted.add(Pair.of(1, Generate.constant(new Crash())));
        }
        return Generate.frequency(weighted);
    }

    // ---------------------------------------------------------------- the model

    /** Every version ever put, per key, and stream time. */
    static final class Model {
        final TreeMap<Bytes, TreeMap<Long, Bytes>> versions = new TreeMap<>();
        long streamTime = -1;

        Model copy() {
            Model m = new Model();
            for (Map.Entry<Bytes, TreeMap<Long, Bytes>> e : versions.entrySet()) {
                m.versions.put(e.getKey(), new TreeMap<>(e.getValue()));
            }
            m.streamTime = streamTime;
            return m;
        }

        long horizon() {
            return streamTime - RETENTION;
        }

        TreeMap<Long, Bytes> of(Bytes key) {
            return versions.getOrDefault(key, new TreeMap<>());
        }

        /** Kafka's put: the new version's validTo, -1 if latest, Long.MIN_VALUE if below the horizon. */
        long put(Bytes key, Bytes value, long ts) {
            if (ts < horizon()) {
                return VersionedStore.PUT_RETURN_CODE_NOT_PUT;
            }
            TreeMap<Long, Bytes> m = versions.computeIfAbsent(key, k -> new TreeMap<>());
            m.put(ts, value);
            streamTime = Math.max(streamTime, ts);
            Long next = m.higherKey(ts);
            return next == null ? VersionedStore.PUT_RETURN_CODE_VALID_TO_UNDEFINED : next;
        }

        /** Kafka's delete: the timestamp of the record valid at ts, or -1. */
        long delete(Bytes key, long ts) {
            if (ts < horizon()) {
                return VersionedStore.NO_RECORD;
            }
            Map.Entry<Long, Bytes> valid = of(key).floorEntry(ts);
            put(key, null, ts);
            return valid == null || valid.getValue() == null ? VersionedStore.NO_RECORD : valid.getKey();
        }

        /** "value@ts" of the latest version, or null. */
        String latest(Bytes key) {
            Map.Entry<Long, Bytes> last = of(key).lastEntry();
            return last == null || last.getValue() == null ? null : last.getValue() + "@" + last.getKey();
        }

        /** "value@ts..validTo" of the version valid at asOf, or null; below the horizon only the latest. */
        String asOf(Bytes key, long asOf) {
            if (asOf < horizon()) {
                // the history is gone; the latest version never expires
                Map.Entry<Long, Bytes> last = of(key).lastEntry();
                return last == null || last.getValue() == null || last.getKey() > asOf ? null
                    : last.getValue() + "@" + last.getKey() + "..open";
            }
            Map.Entry<Long, Bytes> e = of(key).floorEntry(asOf);
            if (e == null || e.getValue() == null) {
                return null;
            }
            Long next = of(key).higherKey(e.getKey());
            return e.getValue() + "@" + e.getKey() + ".." + (next == null ? "open" : next);
        }
    }

    // ---------------------------------------------------------------- running

    void run(boolean managed, List<Cmd> commands) {
        Path directory = managed ? StoreDirectory.newExampleDirectory(root) : null;
        Run run = new Run(managed, directory);
        try {
            run.open();
            for (int step = 0; step < commands.size(); step++) {
                Cmd c = commands.get(step);
                String where = "step " + step + " " + c;
                run.step(c, where);
                run.check(where);
            }
            run.endTx(false);
            run.reopen(false);
            run.check("after the final reopen");
        } finally {
            run.close();
            if (directory != null) {
                StoreDirectory.deleteRecursively(directory);
            }
        }
    }

    static final class Run {
        final boolean managed;
        final Path directory;
        final VersionedRecord record = new VersionedRecord();
        final ValueView view = new ValueView();
        StateManager manager;
        StatePartition partition;
        KeyValueStore store;
        VersionedStore versioned;
        int sweepPerWrite = VersionedStore.DEFAULT_SWEEP_PER_WRITE;
        Transaction tx;
        Model committed = new Model();
        Model working;

        Run(boolean managed, Path directory) {
            this.managed = managed;
            this.directory = directory;
        }

        void open() {
            if (managed) {
                manager = StateManager.open(StateManagerOptions.builder(directory).build());
                manager.define(StoreOptions.builder().name("versions").sortedIndex(true).build());
                manager.assign(0);
                partition = manager.partition(0);
                store = partition.store("versions");
            } else if (store == null) {
                store = KeyValueStore.create(StoreOptions.builder().name("versions").sortedIndex(true).build());
            }
            versioned = VersionedStore.on(store, RETENTION, sweepPerWrite);
        }

        void close() {
            if (managed) {
                if (manager != null && !manager.isClosed()) {
                    manager.close();
                }
            } else {
                if (tx != null) {
                    tx.close();
                }
                store.close();
            }
        }

        Transaction tx() {
            if (tx == null) {
                tx = managed ? partition.begin() : Transaction.begin(store);
                working = committed.copy();
            }
            return tx;
        }

        void endTx(boolean commit) {
            if (tx == null) {
                return;
            }
            if (commit) {
                tx.commit();
                committed = working;
            } else {
                tx.abort();
            }
            tx = null;
            working = null;
        }

        /** Close (or crash) and open again; an open transaction is lost. */
        void reopen(boolean crash) {
            if (managed) {
                if (crash) {
                    TestManagers.crash(manager);
                } else {
                    manager.close();
                }
                tx = null;
                working = null;
            } else {
                endTx(false);
            }
            open();
        }

        void step(Cmd c, String where) {
            switch (c) {
                case SweepPerWrite s -> {
                    sweepPerWrite = s.n();
                    versioned = VersionedStore.on(store, RETENTION, sweepPerWrite);
                }
                case Put p -> {
                    Transaction t = tx();
                    long ts = p.when().resolve(working.streamTime);
                    long expected = working.put(KEYS.get(p.key()), p.value(), ts);
                    assertEquals(expected, versioned.put(t, KEYS.get(p.key()).array(), p.value().array(), ts), where + " at " + ts);
                }
                case Delete d -> {
                    Transaction t = tx();
                    long ts = d.when().resolve(working.streamTime);
                    long expected = working.delete(KEYS.get(d.key()), ts);
                    assertEquals(expected, versioned.delete(t, KEYS.get(d.key()).array(), ts), where + " at " + ts);
                }
                case Commit ignored -> endTx(true);
                case Abort ignored -> endTx(false);
                case Sweep s -> {
                    int removed = versioned.sweep(tx(), s.max());
                    assertTrue(removed >= 0 && removed <= s.max(), where + ": removed " + removed);
                }
                case Layout ignored -> checkLayout(where);
                case Reassign ignored -> {
                    manager.revoke(0);
                    tx = null;
                    working = null;
                    manager.assign(0);
                    partition = manager.partition(0);
                    store = partition.store("versions");
                    versioned = VersionedStore.on(store, RETENTION, sweepPerWrite);
                }
                case Reopen ignored -> reopen(false);
                case Crash ignored -> reopen(true);
            }
        }

        void check(String where) {
            checkReads(null, committed, where + " (committed)");
            if (tx != null) {
                checkReads(tx, working, where + " (in the transaction)");
            }
        }

        private void checkReads(Transaction t, Model model, String where) {
            assertEquals(model.streamTime, versioned.streamTime(t), where + ": stream time");
            for (Bytes key : KEYS) {
                String latest = versioned.get(t, key.array(), record) ? Bytes.wrap(record.value().toByteArray()) + "@"
                    + record.timestamp() : null;
                assertEquals(model.latest(key), latest, where + ": latest of " + key);
                boolean hit = versioned.get(t, key.array(), view);
                assertEquals(latest != null, hit, where + ": latest view of " + key);
                if (hit) {
                    assertEquals(latest, Bytes.wrap(view.toByteArray()) + "@" + record.timestamp(), where);
                }
                TreeSet<Long> points = new TreeSet<>(List.of(model.horizon() - 1, model.horizon(), model.streamTime,
                    model.streamTime + 1, Long.MAX_VALUE));
                for (long ts : model.of(key).keySet()) {
                    points.add(ts - 1);
                    points.add(ts);
                    points.add(ts + 1);
                }
                for (long asOf : points) {
                    if (asOf < 0) {
                        continue;
                    }
                    String actual = versioned.get(t, key.array(), asOf, record) ? Bytes.wrap(record.value().toByteArray()) + "@"
                        + record.timestamp() + ".." + (record.hasValidTo() ? record.validTo() : "open") : null;
                    assertEquals(model.asOf(key, asOf), actual, where + ": " + key + " as of " + asOf);
                }
            }
        }

        /**
         * A full sweep in the transaction, then the backing store as the transaction sees it, parsed:
         * nothing due is left, validTo chains are exact, the expiry index is exactly the expirable
         * versions, and every version is one of the model's. The sweep changes no read.
         */
        private void checkLayout(String where) {
            Transaction t = tx();
            while (versioned.sweep(t, 3) == 3) {
                // bounded batches until none is due
            }
            assertEquals(0, versioned.sweep(t, 100), where + ": nothing left due");
            long horizon = versioned.historyHorizon(t);
            TransactionCursor c = t.cursor(store);
            c.range(null, null);
            Set<String> expected = new HashSet<>();
            Set<String> expiries = new HashSet<>();
            Map<Bytes, TreeMap<Long, long[]>> found = new TreeMap<>();
            while (c.next()) {
                byte[] k = c.key().toByteArray();
                byte[] v = c.value().toByteArray();
                if (k[0] == 0x00) {
                    assertEquals(1, k.length, where + ": metadata key");
                } else if (k[0] == 0x01) {
                    int len = ((k[1] & 0xFF) << 8) | (k[2] & 0xFF);
                    assertEquals(3 + len + 8, k.length, where + ": version key length");
                    Bytes key = Bytes.wrap(java.util.Arrays.copyOfRange(k, 3, 3 + len));
                    long ts = longAt(k, 3 + len);
                    boolean tombstone = (v[0] & 1) != 0;
                    long validTo = longAt(v, 1);
                    found.computeIfAbsent(key, x -> new TreeMap<>()).put(ts, new long[] {tombstone ? 1 : 0, validTo});
                    TreeMap<Long, Bytes> modelVersions = working.of(key);
                    assertTrue(modelVersions.containsKey(ts), where + ": version " + key + "@" + ts + " is the model's");
                    Bytes modelValue = modelVersions.get(ts);
                    assertEquals(modelValue == null ? "tombstone" : modelValue.toString(),
                        tombstone ? "tombstone" : Bytes.wrap(java.util.Arrays.copyOfRange(v, 9, v.length)).toString(),
                        where + ": value of " + key + "@" + ts);
                    long expiry = validTo != Long.MAX_VALUE ? validTo : tombstone ? ts : Long.MAX_VALUE;
                    assertTrue(expiry > horizon, where + ": " + key + "@" + ts + " expiring at " + expiry + " is left after a full sweep");
                    if (expiry != Long.MAX_VALUE) {
                        expected.add(expiry + "/" + key + "/" + ts);
                    }
                } else if (k[0] == 0x02) {
                    assertEquals(0, v.length, where + ": expiry entries are empty");
                    int len = ((k[9] & 0xFF) << 8) | (k[10] & 0xFF);
                    assertEquals(1 + 8 + 2 + len + 8, k.length, where + ": expiry key length");
                    expiries.add(longAt(k, 1) + "/" + Bytes.wrap(java.util.Arrays.copyOfRange(k, 11, 11 + len)) + "/"
                        + longAt(k, 11 + len));
                } else {
                    throw new AssertionError(where + ": unexpected entry " + Bytes.wrap(k));
                }
            }
            assertEquals(new TreeSet<>(expected), new TreeSet<>(expiries), where + ": the expiry index");
            for (Map.Entry<Bytes, TreeMap<Long, long[]>> e : found.entrySet()) {
                Long previous = null;
                for (Map.Entry<Long, long[]> version : e.getValue().entrySet()) {
                    if (previous != null) {
                        assertEquals(version.getKey(), e.getValue().get(previous)[1], where + ": validTo of " + e.getKey() + "@" + previous);
                    }
                    previous = version.getKey();
                }
                assertEquals(Long.MAX_VALUE, e.getValue().get(previous)[1], where + ": the latest of " + e.getKey() + " is open");
            }
        }

        private static long longAt(byte[] a, int off) {
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (a[off + i] & 0xFF);
            }
            return v;
        }
    }
}
