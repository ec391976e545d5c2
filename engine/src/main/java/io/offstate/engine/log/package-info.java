/**
 * The local write-ahead log: {@link io.offstate.engine.log.WriteAheadLog} appends one
 * CRC32C-framed batch per commit to append-only segment files, forces them under a
 * {@link io.offstate.engine.log.Durability} policy with group commit, rolls segments, deletes the
 * ones a flush covered, recovers at open (a torn tail is cut, damage in the middle refused or, on
 * request, truncated: {@link io.offstate.engine.log.WalRecovery}) and replays batches zero-copy
 * ({@link io.offstate.engine.log.WalBatch}).
 *
 * <h2>FORMAT</h2>
 * A log directory holds {@code wal.lock} (the directory lock; its content is irrelevant) and
 * segment files named {@code wal-<base position as 20 decimal digits>.seg}. All integers are
 * little-endian.
 * <pre>
 * segment file  = header, frame*
 * header (16 B) = magic int 0x4C57534F ("OSWL") | version int (1) | base position long
 * frame         = payload length int (0..64 MiB) | CRC32C int | position long | payload
 * </pre>
 * <ul>
 *   <li><b>Positions</b> are byte positions in one address space across segments: a frame's
 *       position is its segment's base position plus its file offset minus 16 (the header). A
 *       batch of n payload bytes takes n + 16 positions. The first segment of a new log has base
 *       0; each next segment's base is the end position of the one before it (no gaps).</li>
 *   <li><b>CRC32C</b> covers the length field and the position and payload (every byte of the
 *       frame but the checksum). The position field ties a frame to its place: a frame copied
 *       elsewhere, or read at a wrong offset, fails the check.</li>
 *   <li><b>Rolls:</b> a segment is closed when the next frame would take it past the configured
 *       size (a larger batch gets a segment of its own). The new segment is created with its header,
 *       forced with the directory, before the old one is forced and closed.</li>
 *   <li><b>Recovery</b> reads frames from the first segment on. At the first frame that fails a
 *       check (cut short, length out of range, wrong position, CRC mismatch), or a segment header
 *       that is short, wrong, or does not continue the previous segment: if no valid frame follows
 *       anywhere (the rest of that segment searched byte by byte, later segments from their
 *       header), it is a <em>torn tail</em>: the segment is truncated there and later segments
 *       deleted. Otherwise it is damage: {@code CorruptStoreFileException} naming the segment and
 *       file offset, nothing changed; or, with {@code truncateAtDamage}, the same truncation,
 *       reported as dropped positions and bytes.</li>
 *   <li><b>Retention:</b> {@code deleteUpTo(p)} deletes whole segments whose next segment's base is
 *       ≤ p, oldest first; the remaining first segment's base is the lowest replayable position.</li>
 * </ul>
 */
package io.offstate.engine.log;
