package io.offstate.propertytests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.quicktheories.QuickTheory.qt;
import static org.quicktheories.generators.SourceDSL.booleans;
import static org.quicktheories.generators.SourceDSL.lists;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.quicktheories.api.Pair;
import org.quicktheories.core.Gen;
import org.quicktheories.generators.Generate;

import io.offstate.engine.Cursor;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;
import io.offstate.engine.TransactionCursor;
import io.offstate.engine.ValueView;
import io.offstate.offheap.KeyComponent;

/**
 * Transactions against a model: random interleavings of transactional get, put, delete and cursor
 * scans (forward, reverse, range, prefix), commits (with positions) and aborts, over one store and
 * over two stores together (the second dictionary-encoded). The model keeps the committed state of
 * each store and the pending writes of the open transaction (a null value is a pending delete).
 * After every step: reads inside the transaction equal committed-overlaid-with-pending, and each
 * store's own reads (get and a full scan) equal its committed state only.
 */
class TransactionModelTest {
    static Gen<TxCommand> command(List<Bytes> pool, int stores) {
        Gen<Integer> store = Generate.range(0, stores - 1);
        Gen<TxCommand> put = store.zip(Gens.keyFrom(pool), Gens.value(), TxCommand.Put::new);
        Gen<TxCommand> delete = store.zip(Gens.keyFrom(pool), TxCommand.Delete::new);
        Gen<TxCommand> get = store.zip(Gens.keyFrom(pool), TxCommand.Get::new);
        Gen<Bytes> bound = Generate.frequency(Pair.of(1, Generate.constant((Bytes) null)), Pair.of(4, Gens.keyFrom(pool)));
        Gen<TxCommand> range = store.zip(bound, bound, booleans().all(), (s, f, t, r) -> new TxCommand.Scan(s, f, t, false, r));
        Gen<TxCommand> prefix = store.zip(Gens.keyFrom(pool).map(k -> Bytes.wrap(java.util.Arrays.copyOf(k.array(),
            Math.min(k.array().length, 2)))), booleans().all(), (s, p, r) -> new TxCommand.Scan(s, p, null, true, r));
        Gen<TxCommand> commit = Gens.value().map(v -> new TxCommand.Commit(v.array().length % 3 == 0 ? null : v));
        Gen<TxCommand> abort = Generate.constant(new TxCommand.Abort());
        return Generate.frequency(Pair.of(8, put), Pair.of(3, delete), Pair.of(4, get), Pair.of(3, range),
            Pair.of(1, prefix), Pair.of(2, commit), Pair.of(1, abort));
    }

    static Gen<List<TxCommand>> commands(int stores) {
        return Gens.keyPool().flatMap(pool -> lists().of(command(pool, stores)).ofSizeBetween(1, 60));
    }

    @ParameterizedTest(name = "stores {0}")
    @ValueSource(ints = {1, 2})
    void transactionsMatchTheModel(int stores) {
        qt().withFixedSeed(Settings.seed("transaction-model/" + stores))
            .withExamples(Settings.scaled(200))
            .withShrinkCycles(Settings.shrinkCycles())
            .forAll(commands(stores))
            .checkAssert(cmds -> run(stores, cmds));
    }

    static void run(int storeCount, List<TxCommand> commands) {
        KeyValueStore[] stores = new KeyValueStore[storeCount];
        stores[0] = KeyValueStore.create(StoreOptions.builder().name("s0").sortedIndex(true).hashSeed(11).build());
        if (storeCount > 1) {
            stores[1] = KeyValueStore.create(StoreOptions.builder().name("s1").sortedIndex(true).hashSeed(12)
                .dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|')).build());
        }
        List<TreeMap<Bytes, Bytes>> committed = new ArrayList<>();
        List<Map<Bytes, Bytes>> pending = new ArrayList<>();
        for (int i = 0; i < storeCount; i++) {
            committed.add(new TreeMap<>());
            pending.add(new HashMap<>());
        }
        Bytes positions = null;
        Transaction tx = null;
        ValueView view = new ValueView();
        try {
            for (int step = 0; step < commands.size(); step++) {
                TxCommand c = commands.get(step);
                String where = "step " + step + " " + c + " of " + commands;
                if (tx == null && !(c instanceof TxCommand.Commit) && !(c instanceof TxCommand.Abort)) {
                    tx = Transaction.begin(stores);
                }
                switch (c) {
                    case TxCommand.Put p -> {
                        tx.put(stores[p.store()], p.key().array(), p.value().array());
                        pending.get(p.store()).put(p.key(), p.value());
                    }
                    case TxCommand.Delete d -> {
                        boolean visible = visible(committed.get(d.store()), pending.get(d.store())).containsKey(d.key());
                        assertEquals(visible, tx.delete(stores[d.store()], d.key().array()), where);
                        pending.get(d.store()).put(d.key(), null);
                    }
                    case TxCommand.Get g -> {
                        Bytes expected = visible(committed.get(g.store()), pending.get(g.store())).get(g.key());
                        boolean found = tx.get(stores[g.store()], g.key().array(), view);
                        assertEquals(expected != null, found, where);
                        if (expected != null) {
                            assertArrayEquals(expected.array(), view.toByteArray(), where);
                        }
                        assertEquals(expected != null, tx.contains(stores[g.store()], g.key().array()), where);
                        Bytes outside = committed.get(g.store()).get(g.key());
                        assertEquals(outside != null, stores[g.store()].contains(g.key().array()), "outside, " + where);
                    }
                    case TxCommand.Scan s -> {
                        TreeMap<Bytes, Bytes> vis = visible(committed.get(s.store()), pending.get(s.store()));
                        TransactionCursor cursor = tx.cursor(stores[s.store()]);
                        if (s.prefix()) {
                            if (s.reverse()) {
                                cursor.prefixReverse(s.from().array());
                            } else {
                                cursor.prefix(s.from().array());
                            }
                        } else {
                            byte[] from = s.from() == null ? null : s.from().array();
                            byte[] to = s.to() == null ? null : s.to().array();
                            if (s.reverse()) {
                                cursor.rangeReverse(from, to);
                            } else {
                                cursor.range(from, to);
                            }
                        }
                        List<Bytes> got = new ArrayList<>();
                        while (cursor.next()) {
                            Bytes k = Bytes.wrap(cursor.key().toByteArray());
                            got.add(k);
                            assertArrayEquals(vis.get(k).array(), cursor.value().toByteArray(), where);
                        }
                        assertEquals(s.expected(vis), got, where);
                    }
                    case TxCommand.Commit m -> {
                        if (tx != null) {
                            tx.commit(m.positions() == null ? null : m.positions().array());
                            for (int i = 0; i < storeCount; i++) {
                                committed.set(i, visible(committed.get(i), pending.get(i)));
                                pending.get(i).clear();
                            }
                            positions = m.positions();
                            tx = null;
                        }
                    }
                    case TxCommand.Abort a -> {
                        if (tx != null) {
                            tx.abort();
                            for (Map<Bytes, Bytes> p : pending) {
                                p.clear();
                            }
                            tx = null;
                        }
                    }
                }
                for (int i = 0; i < storeCount; i++) {
                    assertEquals(committed.get(i), contents(stores[i]), "store " + i + " shows committed state only, " + where);
                    byte[] p = Transaction.committedPositions(stores[i]);
                    assertEquals(positions, p == null ? null : Bytes.wrap(p), where);
                }
            }
        } finally {
            if (tx != null) {
                tx.close();
            }
            for (KeyValueStore s : stores) {
                s.verify();
                s.close();
            }
        }
    }

    static TreeMap<Bytes, Bytes> visible(TreeMap<Bytes, Bytes> committed, Map<Bytes, Bytes> pending) {
        TreeMap<Bytes, Bytes> v = new TreeMap<>(committed);
        for (Map.Entry<Bytes, Bytes> e : pending.entrySet()) {
            if (e.getValue() == null) {
                v.remove(e.getKey());
            } else {
                v.put(e.getKey(), e.getValue());
            }
        }
        return v;
    }

    static TreeMap<Bytes, Bytes> contents(KeyValueStore store) {
        TreeMap<Bytes, Bytes> out = new TreeMap<>();
        Cursor c = store.cursor().range(null, null);
        while (c.next()) {
            out.put(Bytes.wrap(c.key().toByteArray()), Bytes.wrap(c.value().toByteArray()));
        }
        assertEquals(store.size(), out.size());
        return out;
    }
}
