package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;
import java.util.SplittableRandom;

import org.junit.jupiter.api.Test;

import io.offstate.offheap.KeyComponent;
import io.offstate.offheap.StoreFullException;

/**
 * The commit plan is sound: over many random batches against tight budgets (plain, sorted,
 * dictionary-encoded; small and large values; inserts, overwrites, deletes), a commit either
 * applies everything or throws {@link StoreFullException} from the plan with the store exactly as
 * before and the transaction still open. A budget refusal while applying (which would leave the
 * store half-changed) would fail the transaction ({@link Transaction#isDone()}) and this test.
 */
class TransactionBudgetTest {
    private static final HexFormat HEX = HexFormat.of();

    private static Map<String, String> contents(KeyValueStore store) {
        Map<String, String> out = new HashMap<>();
        store.forEach((k, v) -> out.put(HEX.formatHex(k.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE)),
            HEX.formatHex(v.toArray(java.lang.foreign.ValueLayout.JAVA_BYTE))));
        return out;
    }

    private static byte[] key(SplittableRandom r, int range) {
        return TestData.utf8("t" + r.nextInt(3) + "|k" + r.nextInt(range));
    }

    /** Whether writing the batch's outcome one put/delete at a time into a copy of {@code store} stays within its budget. */
    private static boolean fitsOneByOne(KeyValueStore store, Map<String, byte[]> expected, Map<String, String> before) {
        try (StoreSnapshot snapshot = store.snapshot(); KeyValueStore copy = KeyValueStore.create(store.options())) {
            copy.restore(snapshot);
            for (String k : before.keySet()) {
                if (!expected.containsKey(k)) {
                    copy.delete(HEX.parseHex(k));
                }
            }
            for (Map.Entry<String, byte[]> e : expected.entrySet()) {
                copy.put(HEX.parseHex(e.getKey()), e.getValue());
            }
            return true;
        } catch (StoreFullException e) {
            return false;
        }
    }

    @Test
    void commitEitherAppliesWhollyOrIsRefusedByThePlanWithNothingChanged() {
        int refused = 0;
        int applied = 0;
        int wouldFit = 0;
        for (int s = 0; s < 300; s++) {
            final int seed = s;
            SplittableRandom r = new SplittableRandom(seed);
            StoreOptions.Builder b = StoreOptions.builder().name("tight-" + seed).pageSize(4096)
                .memoryBudget((64 + r.nextInt(256)) * 1024L).sortedIndex(r.nextBoolean()).hashSeed(seed);
            if (r.nextInt(3) == 0) {
                b.dictionaryKeyComponent(KeyComponent.untilDelimiter((byte) '|'));
            }
            try (KeyValueStore store = KeyValueStore.create(b.build())) {
                int range = 200 + r.nextInt(3000);
                int prefill = r.nextInt(2000);
                for (int i = 0; i < prefill; i++) {
                    try {
                        store.put(key(r, range), TestData.pattern(r.nextInt(300), i));
                    } catch (StoreFullException e) {
                        break;
                    }
                }
                Map<String, String> before = contents(store);
                long used = store.memoryUsed();
                Map<String, byte[]> expected = new HashMap<>();
                before.forEach((k, v) -> expected.put(k, HEX.parseHex(v)));
                try (Transaction tx = Transaction.begin(store)) {
                    int writes = 1 + r.nextInt(1500);
                    try {
                        for (int i = 0; i < writes; i++) {
                            byte[] k = key(r, range);
                            if (r.nextInt(5) == 0) {
                                tx.delete(store, k);
                                expected.remove(HEX.formatHex(k));
                            } else {
                                byte[] v = TestData.pattern(r.nextInt(10) == 0 ? 2000 + r.nextInt(6000) : r.nextInt(300), i);
                                tx.put(store, k, v);
                                expected.put(HEX.formatHex(k), v);
                            }
                        }
                    } catch (StoreFullException e) {
                        assertTrue(e.getMessage().contains("#pending"), e.getMessage()); // the staging budget: that write was not staged
                    }
                    try {
                        tx.commit();
                        applied++;
                        Map<String, String> after = contents(store);
                        assertEquals(expected.size(), after.size(), "seed " + seed);
                        expected.forEach((k, v) -> assertEquals(HEX.formatHex(v), after.get(k), "seed " + seed));
                    } catch (StoreFullException e) {
                        refused++;
                        assertFalse(tx.isDone(), "seed " + seed + ": refused while applying, not by the plan: " + e.getMessage());
                        assertEquals(before, contents(store), "seed " + seed);
                        assertEquals(used, store.memoryUsed(), "seed " + seed);
                        if (fitsOneByOne(store, expected, before)) {
                            wouldFit++;
                        }
                    }
                }
                assertTrue(store.memoryUsed() <= store.memoryBudget());
                store.verify();
            }
        }
        System.out.println("TransactionBudgetTest: applied " + applied + ", refused by the plan " + refused
            + " (of which would have fitted if applied one write at a time: " + wouldFit + ")");
        assertTrue(refused > 10 && applied > 10, "both outcomes are exercised: refused " + refused + ", applied " + applied);
    }
}
