/**
 * offstate stores behind Kafka Streams' store suppliers: a drop-in for its RocksDB stores.
 *
 * <p>{@link io.offstate.kafka.streams.OffstateKeyValueBytesStoreSupplier} supplies key-value stores
 * ({@link io.offstate.kafka.streams.OffstateKeyValueStore}, timestamped or plain, file-backed or in
 * memory). The stores are safe for interactive queries from other threads: every call runs under
 * the store's lock, and iterators copy entries out in batches.
 */
package io.offstate.kafka.streams;
