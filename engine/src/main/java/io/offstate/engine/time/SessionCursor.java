package io.offstate.engine.time;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

/**
 * A reusable flyweight over the results of one {@link SessionStore} find or fetch: positioned by
 * the store, then {@link #next()} steps onto each session; {@link #key()}, {@link #start()},
 * {@link #end()} and {@link #value()} describe the current one.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li>The views are zero-copy slices of the backing store's (or the transaction's pending)
 *       memory, valid until the next step, the next positioning, or any write to the store.</li>
 *   <li>A write to the store (or in the cursor's transaction) after positioning makes the next
 *       step throw {@link java.util.ConcurrentModificationException}: collect what you need, then
 *       write, then position again. After the transaction ended a step throws
 *       {@link IllegalStateException}.</li>
 *   <li>Positioning and stepping allocate nothing (the key bounds are copied into reused buffers;
 *       the first scan through a new transaction gets that transaction's cursor once).</li>
 *   <li>Work per step: a find visits each segment that may hold results; between segments more
 *       than {@value SessionStore#PROBE_SPAN} apart it looks up the next non-empty segment instead
 *       of visiting the empty ones.</li>
 * </ol>
 *
 * <p>Threading: not thread-safe; the thread of the store.
 */
public final class SessionCursor {
    private final SessionStore owner;
    private final TimeScan scan;
    private final ValueView key = new ValueView();
    private final ValueView value = new ValueView();
    /** The one key of a key find, or the lower bound of a key-range find. */
    private final Scratch keyLow = new Scratch(32);
    private final Scratch keyHigh = new Scratch(32);
    private final Scratch from = new Scratch(64);
    private final Scratch to = new Scratch(64);
    /** How many bytes of {@link #keyHigh} the upper bound of a key-range scan keeps (see {@link #upperCut}). */
    private int highCut;
    private boolean singleKey;
    private boolean hasLow;
    private boolean hasHigh;
    private boolean reverse;
    private long lowEnd;
    private long highEnd;
    private long latestStart;
    private long segmentLow;
    private long segmentHigh;
    private long segment;
    private boolean positioned;
    private boolean started;
    private boolean inSegment;
    private boolean done;
    private boolean onEntry;
    private long start;
    private long end;

    SessionCursor(SessionStore owner) {
        this.owner = owner;
        this.scan = new TimeScan(owner.store());
    }

    SessionStore owner() {
        return owner;
    }

    /**
     * Positions before the first result. Times are already checked; {@code lowEnd} already includes
     * the horizon, {@code highEnd} is stream time (no session ends after it).
     */
    SessionCursor position(Transaction tx, byte[] low, byte[] high, boolean single, long lowEnd, long highEnd,
                           long latestStart, boolean reverse) {
        scan.bind(tx);
        this.singleKey = single;
        this.hasLow = low != null;
        this.hasHigh = high != null;
        if (hasLow) {
            keyLow.reset(low.length).putBytes(low);
        }
        if (hasHigh) {
            keyHigh.reset(high.length).putBytes(high);
        }
        if (hasHigh && highEnd >= 0) {
            highCut = upperCut(keyHigh, highEnd);
        }
        this.lowEnd = lowEnd;
        this.highEnd = highEnd;
        this.latestStart = latestStart;
        this.reverse = reverse;
        this.positioned = true;
        this.started = false;
        this.inSegment = false;
        this.onEntry = false;
        this.done = highEnd < 0 || lowEnd > highEnd;
        if (!done) {
            segmentLow = owner.segmentOf(lowEnd);
            segmentHigh = owner.segmentOf(highEnd);
        }
        return this;
    }

    /**
     * Steps onto the next session.
     *
     * @return false when there is none (and for a cursor never positioned)
     */
    public boolean next() {
        onEntry = false;
        if (!positioned || done) {
            return false;
        }
        while (true) {
            if (!inSegment && !nextSegment()) {
                done = true;
                return false;
            }
            if (!scan.next()) {
                inSegment = false;
                continue;
            }
            ValueView k = scan.key();
            int length = k.length();
            int keyLength = SessionKeyDescriptor.keyLength(length);
            if (keyLength < 0) {
                throw new IllegalStateException("store '" + owner.store().name() + "' holds a " + length
                    + "-byte entry that is not a session entry");
            }
            // read through the page segment: one validity check per entry instead of one per field
            MemorySegment memory = k.memory();
            long base = k.offset();
            if (singleKey ? keyLength != keyLow.length : !inKeyRange(memory, base, keyLength)) {
                continue;
            }
            long e = memory.get(SessionKeyDescriptor.TIME, base + SessionKeyDescriptor.endOffset(length));
            long s = memory.get(SessionKeyDescriptor.TIME, base + SessionKeyDescriptor.startOffset(length));
            if (e < lowEnd || e > highEnd || s > latestStart) {
                continue;
            }
            start = s;
            end = e;
            key.wrapSlice(k, SessionKeyDescriptor.KEY_OFFSET, keyLength);
            ValueView v = scan.value();
            value.wrapSlice(v, 0, v.length());
            onEntry = true;
            return true;
        }
    }

    /** The current session's user key. */
    public ValueView key() {
        checkOnEntry();
        return key;
    }

    /** The current session's aggregate. */
    public ValueView value() {
        checkOnEntry();
        return value;
    }

    /** The current session's start time. */
    public long start() {
        checkOnEntry();
        return start;
    }

    /** The current session's end time. */
    public long end() {
        checkOnEntry();
        return end;
    }

    /** Whether the last {@link #next()} stepped onto a session. */
    public boolean isOnEntry() {
        return onEntry;
    }

    private void checkOnEntry() {
        if (!onEntry) {
            throw new IllegalStateException("session cursor is not on a session: call next() and check its result");
        }
    }

    /** Moves to the next segment that may hold results and positions the scan on it. */
    private boolean nextSegment() {
        long next;
        if (!started) {
            started = true;
            next = reverse ? segmentHigh : segmentLow;
        } else if (reverse) {
            if (segment == segmentLow) {
                return false;
            }
            next = segment - 1;
        } else {
            if (segment == segmentHigh) {
                return false;
            }
            next = segment + 1;
        }
        if ((reverse ? next - segmentLow : segmentHigh - next) > SessionStore.PROBE_SPAN) {
            next = probe(next);
            if (next < 0) {
                return false;
            }
        }
        segment = next;
        positionInSegment();
        inSegment = true;
        return true;
    }

    /** The nearest non-empty segment from {@code next} on (in the cursor's direction), or -1. */
    private long probe(long next) {
        if (reverse) {
            SessionKeyDescriptor.segmentStart(from, segmentLow);
            SessionKeyDescriptor.segmentBound(to, next);
        } else {
            SessionKeyDescriptor.segmentStart(from, next);
            SessionKeyDescriptor.segmentBound(to, segmentHigh);
        }
        scan.range(from, to, reverse);
        return scan.next() ? SessionKeyDescriptor.segment(scan.key()) : -1;
    }

    private void positionInSegment() {
        int prefix = SessionKeyDescriptor.KEY_OFFSET;
        if (singleKey) {
            append(begin(from, prefix + keyLow.length + 8), keyLow).putLong(lowEnd);
            append(begin(to, prefix + keyLow.length + 9), keyLow).putLong(highEnd).putByte(SessionKeyDescriptor.ABOVE_TIME);
        } else {
            begin(from, prefix + (hasLow ? keyLow.length : 0));
            if (hasLow) {
                append(from, keyLow);
            }
            if (hasHigh) {
                begin(to, prefix + highCut + 9);
                System.arraycopy(keyHigh.array, 0, to.array, to.length, highCut);
                to.length += highCut;
                to.putLong(highEnd).putByte(SessionKeyDescriptor.ABOVE_TIME);
            } else {
                SessionKeyDescriptor.segmentBound(to, segment);
            }
        }
        scan.range(from, to, reverse);
    }

    /**
     * The upper bound of a key-range scan. Every entry of a key {@code <= keyTo} in the segment is
     * below {@code keyTo[0, j) ‖ T} for some {@code j}, with {@code T = BE(highEnd) ‖ 0x80}: a key that
     * is not a prefix of {@code keyTo} is below {@code keyTo ‖ T} at its first smaller byte, and the
     * key {@code keyTo[0, j)} has end {@code <= highEnd} and a start whose first byte is at most 0x7F.
     * But a prefix key's time bytes can exceed the rest of {@code keyTo} (keys ending in zero bytes),
     * so the tight bound {@code keyTo ‖ T} alone would miss it; the bound is the largest of these
     * candidates. Returns its {@code j} (usually {@code keyTo.length}): each candidate is compared
     * with the best so far over at most T's 9 bytes, because both share {@code keyTo[0, j)}.
     */
    static int upperCut(Scratch keyTo, long highEnd) {
        byte[] k = keyTo.array;
        int best = keyTo.length;
        for (int j = keyTo.length - 1; j >= 0; j--) {
            // compare T with best's bytes from j on: keyTo[j, best) then T
            for (int p = 0; p < 9; p++) {
                int t = timeByte(highEnd, p);
                int q = j + p;
                int other = q < best ? k[q] & 0xFF : timeByte(highEnd, q - best);
                if (t != other) {
                    if (t > other) {
                        best = j;
                    }
                    break;
                }
            }
        }
        return best;
    }

    /** Byte {@code p} of {@code BE(highEnd) ‖ 0x80}. */
    private static int timeByte(long highEnd, int p) {
        return p < 8 ? (int) (highEnd >>> (56 - 8 * p)) & 0xFF : 0x80;
    }

    /** Starts a bound in the current segment, with room for {@code capacity} bytes. */
    private Scratch begin(Scratch s, int capacity) {
        return s.reset(capacity).putByte(TimeKeys.DATA_PREFIX).putLong(segment);
    }

    private static Scratch append(Scratch s, Scratch src) {
        System.arraycopy(src.array, 0, s.array, s.length, src.length);
        s.length += src.length;
        return s;
    }

    private boolean inKeyRange(MemorySegment memory, long base, int keyLength) {
        return (!hasLow || compareKey(memory, base, keyLength, keyLow) >= 0)
            && (!hasHigh || compareKey(memory, base, keyLength, keyHigh) <= 0);
    }

    /** Unsigned order of the user key of the entry at {@code base} against {@code bound}, without copying it. */
    private static int compareKey(MemorySegment memory, long base, int keyLength, Scratch bound) {
        long from = base + SessionKeyDescriptor.KEY_OFFSET;
        long m = MemorySegment.mismatch(memory, from, from + keyLength, bound.segment, 0, bound.length);
        if (m < 0) {
            return 0;
        }
        if (m == keyLength) {
            return -1;
        }
        if (m == bound.length) {
            return 1;
        }
        return Integer.compare(memory.get(ValueLayout.JAVA_BYTE, from + m) & 0xFF, bound.array[(int) m] & 0xFF);
    }
}
