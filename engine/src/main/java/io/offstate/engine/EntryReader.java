package io.offstate.engine;

import java.lang.foreign.MemorySegment;

import io.offstate.offheap.index.EntryDescriptor;
import io.offstate.offheap.index.OriginalKey;
import io.offstate.offheap.memory.PagedMemory;

/**
 * Points {@link ValueView}s at the value and at the original key of an entry: the one place the
 * engine decodes entries (lookups, copies, {@code forEach}, cursors all come here).
 *
 * <p>A value is always viewed in place. A key is viewed in place too, except in a
 * dictionary-encoded store, whose original key is rebuilt (component ++ rest) in this reader's
 * scratch buffer: that view is valid until the next {@link #key} call on this reader.
 *
 * <p>Not thread-safe: one reader per user (a store, a cursor). Allocates only when its scratch
 * buffer must grow.
 */
final class EntryReader {
    private final OriginalKey originalKey = new OriginalKey();
    private MemorySegment decoded;
    private MemorySegment decodedReadOnly;

    /** Points {@code view} at the value of the entry at {@code address} (read-only, in place). */
    static void value(KeyValueStore store, long version, PagedMemory memory, long address, ValueView view) {
        final MemorySegment page = memory.readOnlyPage(address);
        final long offset = memory.offset(address);
        final long span = EntryDescriptor.valueSpan(page, offset);
        view.set(store, version, page, offset + EntryDescriptor.spanOffset(span), EntryDescriptor.spanLength(span));
    }

    /** Points {@code view} at the original key bytes of the entry at {@code address} (read-only). */
    void key(KeyValueStore store, long version, StoreState state, long address, ValueView view) {
        final PagedMemory memory = state.memory;
        final OriginalKey key = originalKey.of(memory, state.dictionary, address);
        final int length = key.length();
        if (key.isContiguous()) {
            view.set(store, version, memory.readOnlyPage(address), key.restOffset(), length);
            return;
        }
        if (decoded == null || decoded.byteSize() < length) {
            decoded = MemorySegment.ofArray(new byte[Math.max(length, 256)]);
            decodedReadOnly = decoded.asReadOnly();
        }
        key.copyTo(decoded, 0);
        view.set(store, version, decodedReadOnly, 0, length);
    }
}
