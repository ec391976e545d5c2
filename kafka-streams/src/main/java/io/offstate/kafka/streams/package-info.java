/**
 * offstate stores behind Kafka Streams' store suppliers: a drop-in for its RocksDB stores (Kafka 4.3.1).
 *
 * <h2>What is here</h2>
 * <ul>
 *   <li>{@link io.offstate.kafka.streams.OffstateDslStoreSuppliers}: set as
 *       {@code dsl.store.suppliers.class}, every DSL store of an application is offstate's.</li>
 *   <li>One store at a time: {@link io.offstate.kafka.streams.OffstateKeyValueBytesStoreSupplier},
 *       {@link io.offstate.kafka.streams.OffstateWindowBytesStoreSupplier},
 *       {@link io.offstate.kafka.streams.OffstateSessionBytesStoreSupplier},
 *       {@link io.offstate.kafka.streams.OffstateVersionedBytesStoreSupplier}, passed to
 *       {@code Materialized.as(...)} or {@code Stores.*StoreBuilder(...)}.</li>
 *   <li>{@link io.offstate.kafka.streams.OffstateStreamsConfig#MEMORY_BUDGET_CONFIG}: one off-heap cap
 *       over all offstate stores of an application.</li>
 * </ul>
 *
 * <h2>Design decisions</h2>
 * <ul>
 *   <li><b>Persistence</b>: suppliers make file-backed stores by default ({@code persistent()} is
 *       true; files in {@code context.stateDir()/<store name>}, next to where Kafka keeps a task's
 *       state), or in-memory ones ({@code inMemory(...)}). A file-backed store is made durable at
 *       each {@code commit}, before Kafka Streams checkpoints the changelog offsets, so a restart
 *       restores only the changelog tail. Offsets are not managed by the store
 *       ({@code managesOffsets()} is false: Kafka's {@code .checkpoint} files keep them).</li>
 *   <li><b>Threads</b>: offstate stores are confined to one thread; Kafka Streams reads them from
 *       interactive-query threads too. Every call therefore runs under the store's lock, and between
 *       calls the engine store is parked on a terminated thread, from which the next caller takes
 *       it ({@code SharedAccess}). Reads from other threads are thus correct and never see half a
 *       write; they wait for the writer's current call, never for its whole batch.</li>
 *   <li><b>Iterators</b> never hold the lock between calls and never throw
 *       {@link java.util.ConcurrentModificationException}. Key-value and window iterators copy
 *       entries in batches of 128 and resume after the last key returned (weakly consistent, like
 *       Kafka's in-memory stores); session iterators copy their whole (time-bounded) result at
 *       creation (a snapshot, like RocksDB's). Close them all.</li>
 *   <li><b>No module-info</b>: Kafka's jars have neither module descriptors nor
 *       {@code Automatic-Module-Name}, so a {@code requires} would bind to names derived from jar
 *       file names, and its test jars share packages with its main jars. The jar carries the
 *       automatic module name {@code io.offstate.kafka.streams}.</li>
 *   <li><b>Kafka internals used</b>: {@code TaskMetrics.droppedRecordsSensor} (expired window and
 *       session puts count in Kafka's {@code dropped-records} metric), {@code StoreQueryUtils}
 *       (IQv2 basic queries), {@code RecordBatchingStateRestoreCallback} (versioned restore needs
 *       record timestamps), {@code VersionedKeyValueToBytesStoreAdapter}. Kafka's own stores use the
 *       same; a Kafka upgrade may move them.</li>
 * </ul>
 */
package io.offstate.kafka.streams;
