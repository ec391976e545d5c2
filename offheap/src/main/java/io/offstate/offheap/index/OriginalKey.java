package io.offstate.offheap.index;

import java.lang.foreign.MemorySegment;

import io.offstate.offheap.ByteSource;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.Varint;
import io.offstate.offheap.memory.PagedMemory;

/**
 * A reusable flyweight over the <em>original</em> key bytes of one entry, the bytes a caller put:
 * the one place that undoes dictionary encoding. A plain store's key is one run of bytes in the
 * entry; a dictionary-encoded key is {@code varint(code) ++ rest} in the entry (see
 * {@link EntryDescriptor}), and its original is the component that the code stands for (the key of
 * a dictionary entry) followed by the rest. This class locates both runs without copying; callers
 * compare against them or copy them out.
 *
 * <p>Threading and lifetime: one instance per user (not thread-safe); the runs point into the
 * store's pages and are valid until the next write to the store. Reading it allocates nothing.
 */
public final class OriginalKey {
    private MemorySegment componentPage;
    private long componentOffset;
    private int componentLength;
    private MemorySegment restPage;
    private long restOffset;
    private int restLength;

    /** Creates an empty flyweight; {@link #of} points it at an entry. */
    public OriginalKey() {
    }

    /**
     * Points this flyweight at the original key of the entry at {@code address}.
     *
     * @param dictionary the store's dictionary, or null for a store with plain keys
     * @return this
     * @throws CorruptStateException if the entry (or its component's) does not decode
     *                                                    within its page, or its dictionary code is not registered
     */
    public OriginalKey of(PagedMemory memory, KeyDictionary dictionary, long address) {
        final MemorySegment page = memory.page(address);
        final long offset = memory.offset(address);
        final long span = EntryDescriptor.keySpan(page, offset); // checks the entry lies within its page
        final int keyLength = EntryDescriptor.spanLength(span);
        final long keyOffset = offset + EntryDescriptor.spanOffset(span);
        restPage = page;
        if (dictionary == null) {
            componentPage = null;
            componentOffset = 0;
            componentLength = 0;
            restOffset = keyOffset;
            restLength = keyLength;
            return this;
        }
        final long c = Varint.read(page, keyOffset);
        final int n = Varint.sizeOf(c);
        if (n > keyLength) {
            throw EntryMap.codeOutsideKey(address, keyLength, n);
        }
        final long component = dictionary.componentAddress(Varint.value(c));
        final MemorySegment cPage = memory.page(component);
        final long cOffset = memory.offset(component);
        final long cSpan = EntryDescriptor.keySpan(cPage, cOffset);
        componentPage = cPage;
        componentOffset = cOffset + EntryDescriptor.spanOffset(cSpan);
        componentLength = EntryDescriptor.spanLength(cSpan);
        restOffset = keyOffset + n;
        restLength = keyLength - n;
        return this;
    }

    /** Length of the original key in bytes. */
    public int length() {
        return componentLength + restLength;
    }

    /** Whether the key is one run of bytes in its entry ({@link #restPage()} etc.), so that no copy is needed to view it. */
    public boolean isContiguous() {
        return componentLength == 0;
    }

    /** The page holding the entry's own key bytes (after any dictionary code). */
    public MemorySegment restPage() {
        return restPage;
    }

    /** Offset in {@link #restPage()} of the entry's own key bytes. */
    public long restOffset() {
        return restOffset;
    }

    /** Copies the whole original key to {@code target} at {@code targetOffset}. */
    public void copyTo(MemorySegment target, long targetOffset) {
        if (componentLength > 0) {
            MemorySegment.copy(componentPage, componentOffset, target, targetOffset, componentLength);
        }
        MemorySegment.copy(restPage, restOffset, target, targetOffset + componentLength, restLength);
    }

    /**
     * Compares {@code key} (original form) with this key in unsigned lexicographic order:
     * negative, zero or positive as {@code key} sorts before, equal to or after it.
     */
    public int compare(ByteSource key) {
        final int length = key.length();
        final int first = componentLength;
        final int n1 = Math.min(length, first);
        if (n1 > 0) {
            int c = key.compareTo(0, componentPage, componentOffset, n1);
            if (c != 0) {
                return c;
            }
        }
        if (length < first) {
            return -1; // key is a proper prefix of the stored key
        }
        final int n2 = Math.min(length - first, restLength);
        if (n2 > 0) {
            int c = key.compareTo(first, restPage, restOffset, n2);
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(length, first + restLength);
    }
}
