package io.offstate.checkpoint;

import java.util.zip.CRC32C;

import net.jpountz.lz4.LZ4Compressor;
import net.jpountz.lz4.LZ4Exception;
import net.jpountz.lz4.LZ4Factory;
import net.jpountz.lz4.LZ4SafeDecompressor;

/**
 * Compresses and checks one block: LZ4 (the pure-Java, safe instance: no JNI, no Unsafe) and a
 * CRC32C of the stored bytes and of the raw bytes. Reuses its buffers, so one codec serves one
 * thread at a time.
 */
final class BlockCodec {
    private static final LZ4Factory LZ4 = LZ4Factory.safeInstance();
    private final LZ4Compressor compressor = LZ4.fastCompressor();
    private final LZ4SafeDecompressor decompressor = LZ4.safeDecompressor();
    private final CRC32C crc = new CRC32C();
    private byte[] stored = new byte[0];

    /** Bytes of the last {@link #compress} (valid until the next call): its stored form. */
    byte[] storedBuffer() {
        return stored;
    }

    /** Compresses {@code raw[0, length)} into {@link #storedBuffer()}; returns the stored length. */
    int compress(byte[] raw, int length) {
        int max = compressor.maxCompressedLength(length);
        if (stored.length < max) {
            stored = new byte[max];
        }
        return compressor.compress(raw, 0, length, stored, 0, max);
    }

    int crc(byte[] bytes, int offset, int length) {
        crc.reset();
        crc.update(bytes, offset, length);
        return (int) crc.getValue();
    }

    /**
     * Checks and decompresses block {@code b} of checkpoint {@code id} from its stored bytes into
     * {@code raw} (at least {@code b.rawLength()} long).
     *
     * @throws DamagedCheckpointException if a length or checksum does not match or LZ4 refuses the bytes
     */
    void decompress(String id, CheckpointManifest.Block b, byte[] stored, byte[] raw) {
        if (stored.length != b.storedLength()) {
            throw new DamagedCheckpointException(id, b.name(), "is " + stored.length + " bytes, the manifest says "
                + b.storedLength() + " (truncated or replaced)", null);
        }
        if (crc(stored, 0, stored.length) != b.storedCrc()) {
            throw new DamagedCheckpointException(id, b.name(), "fails its CRC32C", null);
        }
        int n;
        try {
            n = decompressor.decompress(stored, 0, stored.length, raw, 0, b.rawLength());
        } catch (LZ4Exception e) {
            throw new DamagedCheckpointException(id, b.name(), "does not decompress (" + e.getMessage() + ")", e);
        }
        if (n != b.rawLength() || crc(raw, 0, n) != b.rawCrc()) {
            throw new DamagedCheckpointException(id, b.name(), "decompresses to bytes that fail their CRC32C", null);
        }
    }
}
