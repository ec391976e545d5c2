package io.offstate.jmh;

import net.openhft.chronicle.bytes.Bytes;
import net.openhft.chronicle.hash.serialization.SizedReader;
import net.openhft.chronicle.hash.serialization.SizedWriter;
import net.openhft.chronicle.hash.serialization.impl.EnumMarshallable;

/**
 * Zero-allocation Chronicle Map marshaller for {@code byte[]} keys and values. Chronicle's default
 * {@code byte[]} data access wraps every key in a new {@code HeapBytesStore} (with its
 * reference-counting objects, 176 B per lookup on chronicle-map 2026.1); with a {@link SizedWriter}
 * Chronicle instead copies the bytes into a per-context buffer it reuses, and the reader fills the
 * caller's array when its length fits ({@code getUsing}).
 */
@SuppressWarnings("rawtypes")
public final class ByteArrayMarshaller implements SizedReader<byte[]>, SizedWriter<byte[]>, EnumMarshallable<ByteArrayMarshaller> {
    /** The instance (a class, not an enum: Chronicle Map refuses enum marshallers). */
    public static final ByteArrayMarshaller INSTANCE = new ByteArrayMarshaller();

    private ByteArrayMarshaller() {
    }

    @Override
    public long size(byte[] toWrite) {
        return toWrite.length;
    }

    @Override
    public void write(Bytes out, long size, byte[] toWrite) {
        out.write(toWrite, 0, (int) size);
    }

    @Override
    public byte[] read(Bytes in, long size, byte[] using) {
        if (using == null || using.length != (int) size) {
            using = new byte[(int) size];
        }
        in.read(using);
        return using;
    }

    @Override
    public ByteArrayMarshaller readResolve() {
        return INSTANCE;
    }
}
