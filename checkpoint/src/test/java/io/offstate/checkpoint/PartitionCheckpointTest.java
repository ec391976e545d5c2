package io.offstate.checkpoint;

import static io.offstate.checkpoint.TestStores.b;
import static io.offstate.checkpoint.TestStores.contents;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StateManager;
import io.offstate.engine.StateManagerOptions;
import io.offstate.engine.StatePartition;
import io.offstate.engine.StoreOptions;
import io.offstate.engine.Transaction;

class PartitionCheckpointTest {
    @TempDir
    Path dir;

    private static void commit(StatePartition p, int round) {
        try (Transaction tx = p.begin()) {
            KeyValueStore clicks = p.store("clicks");
            KeyValueStore users = p.store("users");
            for (int i = 0; i < 200; i++) {
                tx.put(clicks, b("c" + (round * 7 + i) % 500), b("r" + round));
            }
            tx.put(users, b("u" + round), b("user" + round));
            if (round > 0) {
                tx.delete(users, b("u" + (round - 1)));
            }
            tx.commit(b("input@" + round));
        }
    }

    private static StateManager manager(Path stateDir) {
        StateManager m = StateManager.open(StateManagerOptions.builder(stateDir).memoryBudget(256L << 20).build());
        m.define(StoreOptions.builder().name("clicks").build());
        m.define(StoreOptions.builder().name("users").sortedIndex(true).build());
        return m;
    }

    @Test
    void partitionCheckpointIsConsistentAcrossStoresAndRestoreReplaysTheLogFromItsPosition() throws Exception {
        Path stateDir = dir.resolve("state");
        try (LocalCheckpointStorage st = LocalCheckpointStorage.open(dir.resolve("ckpt"));
             StateManager manager = manager(stateDir)) {
            Checkpoints c = Checkpoints.builder(st, "p0").build();
            manager.assign(0);
            StatePartition p = manager.partition(0);
            for (int r = 0; r < 3; r++) {
                commit(p, r);
            }
            CheckpointManifest full = c.checkpoint(p, true);
            assertEquals(0, full.partition());
            assertEquals(2, full.stores().size());
            assertTrue(full.logPosition() > 0);
            assertArrayEquals(b("input@2"), full.positions());
            Map<String, String> clicksAt = contents(p.store("clicks"));
            Map<String, String> usersAt = contents(p.store("users"));
            commit(p, 3);
            CheckpointManifest inc = c.checkpoint(p, true);
            assertEquals(2, inc.chainLength());
            assertTrue(inc.logPosition() > full.logPosition());
            commit(p, 4);
            commit(p, 5); // in the log only, after the last checkpoint
            Map<String, String> clicksEnd = contents(p.store("clicks"));
            Map<String, String> usersEnd = contents(p.store("users"));
            manager.revoke(0);

            assertThrows(IllegalStateException.class, () -> {
                manager.assign(0);
                try {
                    c.restorePartition(null, manager, 0);
                } finally {
                    manager.revoke(0);
                }
            });

            // the stores as the full checkpoint saw them, before any replay
            c.restorePartition(full.id(), manager, 0);
            try (KeyValueStore clicks = KeyValueStore.open(manager.storeDirectory("clicks", 0), manager.definition("clicks"));
                 KeyValueStore users = KeyValueStore.open(manager.storeDirectory("users", 0), manager.definition("users"))) {
                assertEquals(clicksAt, contents(clicks));
                assertEquals(usersAt, contents(users));
            }
            // assigning replays the log from the checkpoint's position: the end state again
            manager.assign(0);
            StatePartition again = manager.partition(0);
            assertEquals(clicksEnd, contents(again.store("clicks")));
            assertEquals(usersEnd, contents(again.store("users")));
            assertArrayEquals(b("input@5"), again.committedPositions());
            manager.revoke(0);

            CheckpointManifest used = c.restorePartition(null, manager, 0); // the latest: the incremental
            assertEquals(inc.id(), used.id());
            manager.assign(0);
            assertEquals(usersEnd, contents(manager.partition(0).store("users")));
        }
    }

    @Test
    void damagedPartitionCheckpointLeavesTheStoresUntouchedAndLatestFallsBack() throws Exception {
        Path stateDir = dir.resolve("state");
        try (LocalCheckpointStorage st = LocalCheckpointStorage.open(dir.resolve("ckpt"));
             StateManager manager = manager(stateDir)) {
            Checkpoints c = Checkpoints.builder(st, "p0").build();
            manager.assign(0);
            StatePartition p = manager.partition(0);
            commit(p, 0);
            CheckpointManifest first = c.checkpoint(p, false);
            commit(p, 1);
            CheckpointManifest second = c.checkpoint(p, false);
            manager.revoke(0);
            java.nio.file.Files.delete(dir.resolve("ckpt/blocks").resolve(second.id()).resolve("s1-0"));
            DamagedCheckpointException e = assertThrows(DamagedCheckpointException.class,
                () -> c.restorePartition(second.id(), manager, 0));
            assertEquals("s1-0", e.block());
            try (KeyValueStore users = KeyValueStore.open(manager.storeDirectory("users", 0), manager.definition("users"))) {
                assertTrue(users.contains(b("u1")), "untouched: still the state after commit 1");
            }
            assertEquals(first.id(), c.restorePartition(null, manager, 0).id());
            manager.assign(0);
            assertTrue(manager.partition(0).store("users").contains(b("u1")), "replayed from the first checkpoint");
        }
    }

    /**
     * A checkpoint older than the log's first kept position would restore stores that silently
     * miss the trimmed commits: refused, stores untouched. A restore that is accepted keeps the log
     * from being trimmed past the checkpoint until the partition is assigned.
     */
    @Test
    void checkpointOlderThanTheLogIsRefusedAndARestoreHoldsTheLog() throws Exception {
        Path stateDir = dir.resolve("state");
        StateManagerOptions options = StateManagerOptions.builder(stateDir).memoryBudget(256L << 20)
            .log(io.offstate.engine.log.WalOptions.defaults().withSegmentBytes(16 * 1024)).build();
        try (LocalCheckpointStorage st = LocalCheckpointStorage.open(dir.resolve("ckpt"));
             StateManager manager = StateManager.open(options)) {
            manager.define(StoreOptions.builder().name("clicks").build());
            manager.define(StoreOptions.builder().name("users").sortedIndex(true).build());
            Checkpoints c = Checkpoints.builder(st, "p0").build();
            manager.assign(0);
            StatePartition p = manager.partition(0);
            commit(p, 0);
            CheckpointManifest old = c.checkpoint(p, false);
            for (int r = 1; r < 40; r++) {
                commit(p, r);
                p.flush(); // each flush may trim the segments nobody needs any more
            }
            Map<String, String> usersNow = contents(p.store("users"));
            manager.revoke(0);
            IllegalStateException refused = assertThrows(IllegalStateException.class, () -> c.restorePartition(old.id(), manager, 0));
            assertTrue(refused.getMessage().contains("trimmed"), refused.getMessage());
            try (KeyValueStore users = KeyValueStore.open(manager.storeDirectory("users", 0), manager.definition("users"))) {
                assertEquals(usersNow, contents(users), "a refused restore leaves the stores as they were");
            }

            // a fresh checkpoint is accepted; commits of another partition and its flushes meanwhile
            // must not trim what partition 0's replay needs
            manager.assign(0);
            CheckpointManifest fresh = c.checkpoint(manager.partition(0), false);
            commit(manager.partition(0), 40);
            Map<String, String> usersEnd = contents(manager.partition(0).store("users"));
            manager.revoke(0);
            c.restorePartition(fresh.id(), manager, 0);
            manager.assign(1);
            for (int r = 0; r < 40; r++) {
                commit(manager.partition(1), r);
                manager.partition(1).flush();
            }
            manager.assign(0);
            assertEquals(usersEnd, contents(manager.partition(0).store("users")), "replayed commit 40 from the held log");
        }
    }
}
