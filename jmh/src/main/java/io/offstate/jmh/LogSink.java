package io.offstate.jmh;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

import io.offstate.engine.ChangeRecord;
import io.offstate.engine.ChangeSink;
import io.offstate.engine.ValueView;
import io.offstate.engine.log.WriteAheadLog;

/**
 * A {@link ChangeSink} that writes each commit of a transaction as one batch to a
 * {@link WriteAheadLog} before the store applies it: the commit path the state manager builds
 * (log, durable per the log's policy, then apply), wired by hand for the benchmarks until
 * {@code StateManager} is on main. Batch layout (little-endian): positions length (-1: none) and
 * bytes, then per record a kind byte (0 put, 1 delete), key length, key, value length, value.
 *
 * <p>Allocation: one reused {@code byte[]} that grows to the largest batch, nothing per commit.
 * Confined to one transaction thread at a time; the log itself is thread-safe, so sinks of
 * several threads may share it (group commit).
 */
final class LogSink implements ChangeSink {
    private static final VarHandle INT = MethodHandles.byteArrayViewVarHandle(int[].class, ByteOrder.LITTLE_ENDIAN);

    private final WriteAheadLog log;
    private byte[] batch = new byte[4096];
    private int length;
    /** Position of the last batch appended. */
    long lastPosition = -1;

    LogSink(WriteAheadLog log) {
        this.log = log;
    }

    @Override
    public void begin(byte[] positions) {
        length = 0;
        if (positions == null) {
            putInt(-1);
            return;
        }
        ensure(4 + positions.length);
        putInt(positions.length);
        System.arraycopy(positions, 0, batch, length, positions.length);
        length += positions.length;
    }

    @Override
    public void record(ChangeRecord r) {
        ValueView k = r.key();
        ValueView v = r.value();
        ensure(9 + k.length() + v.length());
        batch[length++] = (byte) (r.isDelete() ? 1 : 0);
        putInt(k.length());
        k.copyTo(batch, length);
        length += k.length();
        putInt(v.length());
        v.copyTo(batch, length);
        length += v.length();
    }

    @Override
    public void end() {
        // returns once durable under EVERY_COMMIT (sharing an fsync with concurrent appends)
        lastPosition = log.append(batch, 0, length);
    }

    private void putInt(int v) {
        ensure(4);
        INT.set(batch, length, v);
        length += 4;
    }

    private void ensure(int more) {
        if (length + more > batch.length) {
            batch = Arrays.copyOf(batch, Math.max(batch.length * 2, length + more));
        }
    }
}
