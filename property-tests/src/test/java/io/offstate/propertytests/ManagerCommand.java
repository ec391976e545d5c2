package io.offstate.propertytests;

/**
 * One step of {@link StateManagerModelTest} against a state manager with two partitions (0 and 1)
 * of two stores each: {@code a} (hash only, store 0) and {@code b} (sorted, store 1). Keys are
 * indexes into the test's small fixed key space. A step that needs a transaction on its partition
 * begins one if none is open (the model records it).
 */
sealed interface ManagerCommand {
    /** {@code partition.begin()}: must throw IllegalStateException if a transaction is open. */
    record Begin(int partition) implements ManagerCommand {
    }

    record Put(int partition, int store, int key, Bytes value) implements ManagerCommand {
    }

    /** Must return whether the key was visible to the transaction. */
    record Delete(int partition, int store, int key) implements ManagerCommand {
    }

    /** Transactional getCopy and contains, and the same key read outside the transaction. */
    record Get(int partition, int store, int key) implements ManagerCommand {
    }

    /** A full cursor read of the sorted store b through the transaction, forward or reverse. */
    record Scan(int partition, boolean reverse) implements ManagerCommand {
    }

    /** Commit with {@code positions} (null: none); with no transaction open, of a new empty one. */
    record Commit(int partition, Bytes positions) implements ManagerCommand {
        @Override
        public String toString() {
            return "Commit[partition=" + partition + ", positions=" + positions + "]";
        }
    }

    /** Abort of the open transaction (nothing without one). */
    record Abort(int partition) implements ManagerCommand {
    }

    /** close() of the open transaction without commit (aborts); without one, close() of the last ended one (a no-op). */
    record CloseTx(int partition) implements ManagerCommand {
    }

    /** {@code partition.flush()}: must throw IllegalStateException if a transaction is open. */
    record Flush(int partition) implements ManagerCommand {
    }

    /** revoke(partition) (aborts its open transaction) and assign(partition) again. */
    record Reassign(int partition) implements ManagerCommand {
    }

    /** close() of the manager (aborts open transactions) and a new manager over the directory. */
    record Reopen() implements ManagerCommand {
    }

    /** crashForTests() (stores closed without a flush) and a new manager over the directory. */
    record Crash() implements ManagerCommand {
    }

    /** getCopy, contains and size of a store outside any transaction (committed state only). */
    record ReadOutside(int partition, int store, int key) implements ManagerCommand {
    }

    /** A call with bad input or in a bad state: the specific exception, nothing changed. */
    record Bad(int partition, BadKind kind) implements ManagerCommand {
    }

    /** A call on the partition's last ended transaction (or its cursor): IllegalStateException. */
    record UseAfterEnd(int partition, EndedUse use) implements ManagerCommand {
    }

    enum BadKind {
        /** tx.put(store, null, v): NullPointerException. */
        NULL_KEY_PUT,
        /** tx.getCopy(store, null): NullPointerException. */
        NULL_KEY_GET,
        /** tx.contains(store, null): NullPointerException. */
        NULL_KEY_CONTAINS,
        /** tx.delete(store, null): NullPointerException. */
        NULL_KEY_DELETE,
        /** tx.put(store, k, null): NullPointerException. */
        NULL_VALUE_PUT,
        /** store.getCopy(null) outside a transaction: NullPointerException. */
        NULL_KEY_OUTSIDE,
        /** commit with {@code PartitionMetadata.MAX_POSITIONS + 1} bytes: IllegalArgumentException, still open. */
        POSITIONS_OVER_PARTITION_LIMIT,
        /** commit with {@code KeyValueStore.MAX_FLUSH_METADATA + 1} bytes: IllegalArgumentException, still open. */
        POSITIONS_OVER_STORE_LIMIT,
        /** begin while a transaction is open: IllegalStateException. */
        BEGIN_WHILE_OPEN,
        /** flush while a transaction is open: IllegalStateException. */
        FLUSH_WHILE_OPEN,
        /** tx.cursor(a), a not sorted: UnsupportedOperationException. */
        CURSOR_ON_HASH_STORE,
        /** tx.put on a store of the other partition: IllegalArgumentException. */
        FOREIGN_STORE,
        /** store.put outside a transaction (a managed store): IllegalStateException. */
        DIRECT_WRITE,
        /** assign of an assigned partition: IllegalStateException. */
        ASSIGN_ASSIGNED,
        /** revoke of partition 2, never assigned: IllegalStateException. */
        REVOKE_UNASSIGNED,
        /** partition.store("c"), not defined: IllegalArgumentException. */
        UNKNOWN_STORE
    }

    enum EndedUse {
        PUT, GET, CONTAINS, DELETE, CURSOR, COMMIT, ABORT, STALE_CURSOR_RANGE
    }
}
