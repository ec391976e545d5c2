package io.offstate.engine.time;

import java.lang.foreign.MemorySegment;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.Transaction;
import io.offstate.engine.ValueView;

/**
 * Windowed aggregation over one backing {@link KeyValueStore} (with a sorted index): per key and
 * window, a fixed-width accumulator of the configured {@link Aggregator}s, updated in place as
 * records arrive, with results emitted to a {@link WindowedResultListener} and late records to a
 * {@link WindowedLateListener}. Key layout: {@link WindowedKeys}.
 *
 * <h2>Contract</h2>
 * <ol>
 *   <li><b>Windows</b> are {@link TimeWindows} (tumbling, hopping, sliding; with grace) or
 *       {@link CountWindows} (tumbling, hopping, sliding), as their classes define them.</li>
 *   <li><b>Stream time</b> is the largest record timestamp (or {@link #advance} time) seen, kept in
 *       the store with the data. The <em>close time</em> of a record is the partition's stream time
 *       ({@link WindowedAggregationOptions.Closing#PARTITION}) or its key's newest timestamp
 *       ({@link WindowedAggregationOptions.Closing#KEY}), each including the record itself.</li>
 *   <li><b>Late</b>: a time window with end {@code e} takes records while {@code e + grace >}
 *       close time. A record that no open window takes goes to the late listener, is not stored and
 *       {@link #process} returns false; a record some of whose (hopping) windows closed goes into the
 *       still-open ones. Count windows never refuse a record.</li>
 *   <li><b>Closing</b> happens in {@code process} (windows the record's close time makes due) and in
 *       {@link #advance} (by partition only: a key's windows close by key only when that key's
 *       records arrive). A closed window emits its final result
 *       ({@link WindowedAggregationOptions.Emit#ON_CLOSE}) and its entries are removed. At most
 *       {@code maxClosesPerCall} windows close per call; the others close on later calls and take no
 *       records meanwhile. Windows close in order of due time ({@code end + grace}), then key
 *       (shorter keys first: keys are length-prefixed in the store), then end.</li>
 *   <li><b>Emission</b>: {@code ON_UPDATE} reports each window after each record it takes
 *       ({@link WindowedResult#isFinal()} false; for count windows true for the update that fills
 *       it); {@code ON_CLOSE} reports each window once, when it closes. A sliding count window is
 *       reported once, on its record, in both modes.</li>
 *   <li><b>Through the transaction</b>: every write is staged in {@code tx}, so an aborted
 *       transaction leaves windows, stream time and held records as they were; results already
 *       emitted for it are the caller's to discard.</li>
 *   <li><b>No allocation</b> in {@code process} once the scratch buffers have grown to the largest key
 *       and window: accumulators are copied to a reused array, updated through an
 *       {@link AggregationSlot} and staged back.</li>
 *   <li><b>Bad input</b> — a null transaction or key (NullPointerException), a negative timestamp,
 *       a timestamp so large that its window end would overflow, an oversized key
 *       (IllegalArgumentException, naming the value) — stages nothing. A {@code byte[]} value without a
 *       {@link WindowedAggregationOptions.Builder#valueExtractor value extractor} throws
 *       IllegalStateException.</li>
 * </ol>
 *
 * <p>Not thread-safe: used by the thread that owns the backing store. Cost: a record touches each
 * window it belongs to (one get and put each, plus a collected entry); a sliding time window is
 * built from the key's held records in its range, a sliding count window from the last {@code size}.
 *
 * <pre>{@code
 * WindowedAggregation counts = WindowedAggregation.on(store,
 *     WindowedAggregationOptions.builder(TimeWindows.tumbling(60_000).grace(5_000))
 *         .aggregators(Aggregators.count())
 *         .onResult(r -> System.out.println(r.windowStart() + ": " + (long) r.value(0)))
 *         .build());
 * try (Transaction tx = Transaction.begin(store)) {
 *     counts.process(tx, key, 1.0, timestamp);
 *     tx.commit();
 * }
 * }</pre>
 */
public final class WindowedAggregation {
    private static final int TIME_HOPPING = 1;
    private static final int TIME_SLIDING = 2;
    private static final int COUNT_HOPPING = 3;
    private static final int COUNT_SLIDING = 4;
    /** A held record's value starts with its number (double bits) and timestamp. */
    private static final int RECORD_HEADER = 16;

    private final KeyValueStore store;
    private final TimeMeta meta;
    private final int type;
    private final long size;
    private final long advance;
    private final long grace;
    private final long maxTimestamp;
    private final boolean byKey;
    private final boolean onUpdate;
    private final boolean collect;
    private final int limit;
    private final Aggregator[] aggregators;
    private final int[] offsets;
    private final int width;
    private final WindowedResultListener resultListener;
    private final WindowedLateListener lateListener;
    private final ToDoubleFunction<byte[]> extractor;

    private final AggregationSlot slot = new AggregationSlot();
    private final byte[] acc;
    private final MemorySegment accSegment;
    private final byte[] fetchAcc;
    private final WindowedResult result;
    private final WindowedResult fetched;
    private final WindowedValues values;
    private final TimeScan scan;
    private final TimeScan valuesScan;
    private final Scratch kWin = new Scratch(64);
    private final Scratch kFrom = new Scratch(64);
    private final Scratch kTo = new Scratch(64);
    private final Scratch kDel = new Scratch(64);
    private final Scratch kClose = new Scratch(64);
    /**
     * The last close-index key deleted by {@link #closePartition} in round {@link #closeGeneration}
     * of {@link #closeTx}: the next scan of that round starts just after it instead of stepping
     * over every entry the round already deleted (which made closing n windows in one transaction
     * cost n²). Safe because a window opened later in the round is due after the close time, so its
     * close entry sorts after every deleted one.
     */
    private final Scratch closeResume = new Scratch(64);
    private Transaction closeTx;
    private long closeGeneration;
    private final Scratch kAux = new Scratch(64);
    private final Scratch val = new Scratch(64);
    private final ValueView view = new ValueView();
    private final byte[] doubleBytes = new byte[8];
    private final byte[] empty = new byte[0];
    private final MemorySegment emptySegment = MemorySegment.ofArray(empty);

    /** The key of the record being processed, and of a window being closed by partition. */
    private byte[] recKey = new byte[16];
    private int recLen;
    private byte[] otherKey = new byte[16];
    private int otherLen;
    /** The record being processed. */
    private byte[] inBytes;
    private int inLength;
    private double inNumber;
    private long inTs;
    private long writeTs;
    /** Per-key state read for the record being processed. */
    private long keyTime;
    private long keyRecords;
    private boolean keyStateFound;
    /** Gathered window ends (sliding) and held records (sliding window build). */
    private long[] ends = new long[16];
    private int endCount;
    private long[] gSeq = new long[16];
    private long[] gTs = new long[16];
    private double[] gValue = new double[16];
    private int[] gOffset = new int[16];
    private int[] gLength = new int[16];
    private int[] gOrder = new int[16];
    private byte[] gBytes = new byte[256];
    private MemorySegment gSegment = MemorySegment.ofArray(gBytes);
    private int gCount;
    private int gBytesUsed;
    private long lateRecords;

    private WindowedAggregation(KeyValueStore store, WindowedAggregationOptions o) {
        this.store = store;
        TimeWindows tw = o.timeWindows;
        CountWindows cw = o.countWindows;
        if (tw != null) {
            type = tw.kind() == TimeWindows.Kind.SLIDING ? TIME_SLIDING : TIME_HOPPING;
            size = tw.size();
            advance = tw.advance();
            grace = tw.grace();
            maxTimestamp = Long.MAX_VALUE - size - grace - 2;
        } else {
            type = cw.kind() == CountWindows.Kind.SLIDING ? COUNT_SLIDING : COUNT_HOPPING;
            size = cw.size();
            advance = cw.step();
            grace = 0;
            maxTimestamp = Long.MAX_VALUE - 2;
        }
        byKey = o.closing == WindowedAggregationOptions.Closing.KEY;
        onUpdate = o.emit == WindowedAggregationOptions.Emit.ON_UPDATE;
        collect = o.collect;
        limit = o.maxClosesPerCall;
        aggregators = o.aggregators;
        offsets = new int[aggregators.length];
        int w = 0;
        long hash = 17;
        for (int i = 0; i < aggregators.length; i++) {
            offsets[i] = w;
            w += aggregators[i].width();
            hash = hash * 31 + aggregators[i].name().hashCode();
            hash = hash * 31 + aggregators[i].width();
        }
        width = w;
        resultListener = o.resultListener;
        lateListener = o.lateListener;
        extractor = o.extractor;
        acc = new byte[width];
        accSegment = MemorySegment.ofArray(acc);
        fetchAcc = new byte[width];
        scan = new TimeScan(store);
        valuesScan = new TimeScan(store);
        values = new WindowedValues(valuesScan, collect);
        result = new WindowedResult(aggregators, offsets, values);
        result.accumulator = acc;
        fetched = new WindowedResult(aggregators, offsets, values);
        fetched.accumulator = fetchAcc;
        long flags = (byKey ? 1 : 0) | (collect ? 2 : 0);
        meta = new TimeMeta(store, TimeMeta.AGGREGATION, TimeMeta.kindName(TimeMeta.AGGREGATION),
            new String[] {"windows", "size", "advance", "grace", "aggregators", "flags"},
            new long[] {type, size, advance, grace, hash, flags}, new long[] {-1, 0});
    }

    /**
     * An aggregation over {@code store} as {@code options} define it; checks the store's metadata.
     *
     * @throws IllegalArgumentException if the store has no sorted index, or holds another kind of
     *                                  time store or an aggregation with other windows, aggregators,
     *                                  closing strategy or collecting
     * @throws NullPointerException     if an argument is null
     */
    public static WindowedAggregation on(KeyValueStore store, WindowedAggregationOptions options) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(options, "options");
        if (!store.options().sortedIndex()) {
            throw new IllegalArgumentException("store '" + store.name() + "' has no sorted index; a windowed aggregation"
                + " scans its windows in order (StoreOptions.builder().sortedIndex(true))");
        }
        return new WindowedAggregation(store, options);
    }

    /** The backing store. */
    public KeyValueStore store() {
        return store;
    }

    /** Stream time as {@code tx} sees it (null: committed), -1 before the first record. */
    public long streamTime(Transaction tx) {
        return meta.get(tx, 0);
    }

    /** Records refused as late by this object since it was made (not persisted). */
    public long lateRecords() {
        return lateRecords;
    }

    /**
     * Adds a record with numeric value {@code value} to its windows; returns false if it was late.
     *
     * @throws NullPointerException     if {@code tx} or {@code key} is null
     * @throws IllegalArgumentException for a negative or too large timestamp or an oversized key
     */
    public boolean process(Transaction tx, byte[] key, double value, long timestamp) {
        check(tx, key, timestamp);
        TimeKeys.putLong(doubleBytes, 0, Double.doubleToRawLongBits(value));
        return run(tx, key, null, doubleBytes, value, timestamp);
    }

    /**
     * Adds a record whose number the value extractor takes from {@code value}; collected windows
     * keep {@code value}'s bytes. Returns false if it was late.
     *
     * @throws IllegalStateException    if the options have no value extractor
     * @throws NullPointerException     if {@code tx}, {@code key} or {@code value} is null
     * @throws IllegalArgumentException as {@link #process(Transaction, byte[], double, long)}, or for
     *                                  a value too large to collect
     */
    public boolean process(Transaction tx, byte[] key, byte[] value, long timestamp) {
        check(tx, key, timestamp);
        Objects.requireNonNull(value, "value");
        if (extractor == null) {
            throw new IllegalStateException("no value extractor in the options of this windowed aggregation: use"
                + " process(tx, key, double, timestamp) or WindowedAggregationOptions.Builder.valueExtractor");
        }
        if (value.length > Transaction.MAX_VALUE_LENGTH - RECORD_HEADER) {
            throw new IllegalArgumentException("value of " + value.length + " bytes exceeds the limit of "
                + (Transaction.MAX_VALUE_LENGTH - RECORD_HEADER) + " bytes for a windowed aggregation");
        }
        double number = extractor.applyAsDouble(value);
        return run(tx, key, value, value, number, timestamp);
    }

    /**
     * Raises stream time to {@code streamTime} (never lowers it) and, when closing by partition,
     * closes the time windows that makes due (at most {@code maxClosesPerCall}); returns how many
     * closed. Closing by key, or with count windows, only stream time moves.
     *
     * @throws NullPointerException     if {@code tx} is null
     * @throws IllegalArgumentException if {@code streamTime} is negative or too large
     */
    public int advance(Transaction tx, long streamTime) {
        Objects.requireNonNull(tx, "tx");
        checkTime(streamTime, "stream time");
        long st = Math.max(meta.get(tx, 0), streamTime);
        meta.set(tx, 0, st);
        writeTs = st;
        if (byKey || type >= COUNT_HOPPING) {
            return 0;
        }
        int closed = closePartition(tx, st);
        if (type == TIME_SLIDING) {
            purgePartition(tx, st);
        }
        return closed;
    }

    /**
     * The current aggregate of {@code key}'s window ending at {@code windowEnd} (exclusive; record
     * number for count windows) as {@code tx} sees it (null: committed), or null if there is none.
     * The result is reused and valid until the next call on this aggregation.
     */
    public WindowedResult fetch(Transaction tx, byte[] key, long windowEnd) {
        TimeKeys.checkKey(key, WindowedKeys.OVERHEAD, "key");
        WindowedKeys.keyed(kAux, WindowedKeys.WINDOW, key, key.length).putLong(windowEnd);
        boolean found = tx == null ? store.get(kAux.segment, 0, kAux.length, view)
            : tx.get(store, kAux.segment, 0, kAux.length, view);
        if (!found) {
            return null;
        }
        fill(tx, key, key.length, windowEnd, view);
        return fetched;
    }

    /**
     * Calls {@code listener} for every window held (not yet closed), in key then end order, as
     * {@code tx} sees it (null: committed). For inspection and tests: allocates. The listener must
     * not write to the backing store.
     */
    public void forEachWindow(Transaction tx, WindowedResultListener listener) {
        TimeScan s = new TimeScan(store).bind(tx);
        byte[] from = {WindowedKeys.WINDOW};
        byte[] to = {WindowedKeys.WINDOW + 1};
        s.range(from, 1, to, 1, false);
        while (s.next()) {
            byte[] k = s.key().toByteArray();
            int len = ((k[1] & 0xFF) << 8) | (k[2] & 0xFF);
            byte[] userKey = java.util.Arrays.copyOfRange(k, WindowedKeys.KEY_OFFSET, WindowedKeys.KEY_OFFSET + len);
            fill(tx, userKey, len, TimeKeys.getLong(k, WindowedKeys.KEY_OFFSET + len), s.value());
            listener.onResult(fetched);
        }
    }

    private void fill(Transaction tx, byte[] key, int len, long end, ValueView v) {
        v.copyTo(fetchAcc, 0);
        fetched.key(key, len);
        fetched.start = windowStart(end);
        fetched.end = end;
        fetched.isFinal = false;
        if (collect) {
            bindCollected(tx, key, len, end);
        }
    }

    // ------------------------------------------------------------------ processing

    private void check(Transaction tx, byte[] key, long timestamp) {
        Objects.requireNonNull(tx, "tx");
        TimeKeys.checkKey(key, WindowedKeys.OVERHEAD, "key");
        checkTime(timestamp, "timestamp");
    }

    private void checkTime(long t, String what) {
        TimeKeys.checkTimestamp(t, what);
        if (t > maxTimestamp) {
            throw new IllegalArgumentException(what + " " + t + " is too large: a window end plus grace would overflow"
                + " (at most " + maxTimestamp + ")");
        }
    }

    private boolean run(Transaction tx, byte[] key, byte[] original, byte[] bytes, double number, long ts) {
        if (recKey.length < key.length) {
            recKey = new byte[Math.max(key.length, recKey.length * 2)];
        }
        System.arraycopy(key, 0, recKey, 0, key.length);
        recLen = key.length;
        inBytes = bytes;
        inLength = bytes.length;
        inNumber = number;
        inTs = ts;
        writeTs = ts;
        long st = meta.get(tx, 0);
        boolean accepted;
        switch (type) {
            case TIME_HOPPING -> accepted = processHopping(tx, st);
            case TIME_SLIDING -> accepted = processSliding(tx, st);
            default -> accepted = processCount(tx);
        }
        if (accepted) {
            meta.set(tx, 0, Math.max(st, ts), 1, meta.get(tx, 1) + 1);
        } else {
            lateRecords++;
            lateListener.onLate(key, original, number, ts, byKey ? keyTime : st);
        }
        return accepted;
    }

    /** The close time of the current record: partition or key stream time including it. */
    private long closeTime(Transaction tx, long st) {
        if (!byKey) {
            return Math.max(st, inTs);
        }
        loadKeyState(tx);
        long ct = Math.max(keyTime, inTs);
        if (ct != keyTime || !keyStateFound) {
            keyTime = ct;
            storeKeyState(tx);
        }
        return ct;
    }

    private boolean processHopping(Transaction tx, long st) {
        long ct = closeTime(tx, st);
        closeDue(tx, ct);
        long ts = inTs;
        long kMax = ts / advance;
        long kMin = ts < size ? 0 : (ts - size) / advance + 1;
        boolean any = false;
        long seq = meta.get(tx, 1);
        for (long k = kMin; k <= kMax; k++) {
            long end = k * advance + size;
            if (end + grace > ct) {
                update(tx, end, seq);
                any = true;
            }
        }
        return any;
    }

    private boolean processSliding(Transaction tx, long st) {
        long ct = closeTime(tx, st);
        closeDue(tx, ct);
        if (byKey) {
            purgeKey(tx, ct);
        } else {
            purgePartition(tx, ct);
        }
        long ts = inTs;
        long seq = meta.get(tx, 1);
        // existing windows holding ts: ends in (ts, ts + size]
        endCount = 0;
        WindowedKeys.keyed(kFrom, WindowedKeys.WINDOW, recKey, recLen).putLong(ts + 1);
        WindowedKeys.keyed(kTo, WindowedKeys.WINDOW, recKey, recLen).putLong(ts + size + 1);
        scan.bind(tx).range(kFrom, kTo, false);
        boolean own = false;
        while (scan.next()) {
            long end = WindowedKeys.getLong(scan.key(), WindowedKeys.KEY_OFFSET + recLen);
            if (end + grace > ct) {
                if (endCount == ends.length) {
                    ends = java.util.Arrays.copyOf(ends, endCount * 2);
                }
                ends[endCount++] = end;
                own |= end == ts + 1;
            }
        }
        for (int i = 0; i < endCount; i++) {
            update(tx, ends[i], seq);
        }
        boolean created = false;
        if (!own && ts + 1 + grace > ct) {
            createSliding(tx, ts + 1, seq);
            created = true;
        }
        if (endCount == 0 && !created) {
            return false;
        }
        WindowedKeys.keyed(kAux, WindowedKeys.RECORD, recKey, recLen).putLong(ts).putLong(seq);
        putRecordValue(tx, kAux);
        if (!byKey) {
            WindowedKeys.timed(kAux, WindowedKeys.PURGE, ts + size + grace, recKey, recLen).putLong(ts).putLong(seq);
            tx.put(store, kAux.segment, 0, kAux.length, emptySegment, 0, 0, writeTs);
        }
        return true;
    }

    private void putRecordValue(Transaction tx, Scratch key) {
        int n = collect ? inLength : 0;
        Scratch v = val.reset(RECORD_HEADER + n).putLong(Double.doubleToRawLongBits(inNumber)).putLong(inTs);
        if (n > 0) {
            System.arraycopy(inBytes, 0, v.array, RECORD_HEADER, n);
            v.length += n;
        }
        tx.put(store, key.segment, 0, key.length, v.segment, 0, v.length, writeTs);
    }

    /** Builds the sliding window ending at {@code end} from the key's held records in its range, plus the current one. */
    private void createSliding(Transaction tx, long end, long seq) {
        gCount = 0;
        gBytesUsed = 0;
        WindowedKeys.keyed(kFrom, WindowedKeys.RECORD, recKey, recLen).putLong(windowStart(end));
        WindowedKeys.keyed(kTo, WindowedKeys.RECORD, recKey, recLen).putLong(end);
        scan.bind(tx).range(kFrom, kTo, false);
        while (scan.next()) {
            gather(scan.key(), scan.value());
        }
        sortGatheredBySeq();
        initAccumulator();
        for (int i = 0; i < gCount; i++) {
            int g = gOrder[i];
            addToAccumulator(gValue[g], gTs[g]);
        }
        addToAccumulator(inNumber, inTs);
        WindowedKeys.keyed(kWin, WindowedKeys.WINDOW, recKey, recLen).putLong(end);
        tx.put(store, kWin.segment, 0, kWin.length, accSegment, 0, width, writeTs);
        putCloseEntry(tx, end);
        if (collect) {
            for (int i = 0; i < gCount; i++) {
                int g = gOrder[i];
                WindowedKeys.keyed(kAux, WindowedKeys.COLLECT, recKey, recLen).putLong(end).putLong(gSeq[g]);
                tx.put(store, kAux.segment, 0, kAux.length, gSegment, gOffset[g], gLength[g], writeTs);
            }
            putCollected(tx, end, seq);
        }
        if (onUpdate) {
            emit(tx, recKey, recLen, end, false);
        }
    }

    private void gather(ValueView key, ValueView value) {
        if (gCount == gSeq.length) {
            int n = gCount * 2;
            gSeq = java.util.Arrays.copyOf(gSeq, n);
            gTs = java.util.Arrays.copyOf(gTs, n);
            gValue = java.util.Arrays.copyOf(gValue, n);
            gOffset = java.util.Arrays.copyOf(gOffset, n);
            gLength = java.util.Arrays.copyOf(gLength, n);
            gOrder = java.util.Arrays.copyOf(gOrder, n);
        }
        int tail = WindowedKeys.KEY_OFFSET + recLen;
        gTs[gCount] = WindowedKeys.getLong(value, 8);
        gSeq[gCount] = WindowedKeys.getLong(key, tail + 8);
        gValue[gCount] = Double.longBitsToDouble(WindowedKeys.getLong(value, 0));
        int n = value.length() - RECORD_HEADER;
        if (gBytesUsed + n > gBytes.length) {
            gBytes = java.util.Arrays.copyOf(gBytes, Math.max(gBytesUsed + n, gBytes.length * 2));
            gSegment = MemorySegment.ofArray(gBytes);
        }
        for (int i = 0; i < n; i++) {
            gBytes[gBytesUsed + i] = value.getByte(RECORD_HEADER + i);
        }
        gOffset[gCount] = gBytesUsed;
        gLength[gCount] = n;
        gBytesUsed += n;
        gOrder[gCount] = gCount;
        gCount++;
    }

    /** Insertion sort of the gathered records by arrival (they come in timestamp order). */
    private void sortGatheredBySeq() {
        for (int i = 1; i < gCount; i++) {
            int g = gOrder[i];
            int j = i - 1;
            while (j >= 0 && gSeq[gOrder[j]] > gSeq[g]) {
                gOrder[j + 1] = gOrder[j];
                j--;
            }
            gOrder[j + 1] = g;
        }
    }

    private boolean processCount(Transaction tx) {
        loadKeyState(tx);
        long n = keyRecords;
        if (type == COUNT_SLIDING) {
            WindowedKeys.keyed(kAux, WindowedKeys.RECORD, recKey, recLen).putLong(n).putLong(n);
            putRecordValue(tx, kAux);
            if (n >= size) {
                WindowedKeys.keyed(kDel, WindowedKeys.RECORD, recKey, recLen).putLong(n - size).putLong(n - size);
                tx.delete(store, kDel.segment, 0, kDel.length, writeTs);
            }
            long start = Math.max(0, n + 1 - size);
            WindowedKeys.keyed(kFrom, WindowedKeys.RECORD, recKey, recLen).putLong(start);
            WindowedKeys.keyed(kTo, WindowedKeys.RECORD, recKey, recLen).putLong(n + 1);
            initAccumulator();
            scan.bind(tx).range(kFrom, kTo, false);
            while (scan.next()) {
                ValueView v = scan.value();
                addToAccumulator(Double.longBitsToDouble(WindowedKeys.getLong(v, 0)), WindowedKeys.getLong(v, 8));
            }
            emitCount(tx, start, n + 1, true, true);
        } else {
            long kMax = n / advance;
            long kMin = n < size ? 0 : (n - size) / advance + 1;
            for (long k = kMin; k <= kMax; k++) {
                updateCount(tx, k * advance + size, n);
            }
        }
        keyRecords = n + 1;
        keyTime = Math.max(keyTime, inTs);
        storeKeyState(tx);
        return true;
    }

    private void updateCount(Transaction tx, long end, long n) {
        WindowedKeys.keyed(kWin, WindowedKeys.WINDOW, recKey, recLen).putLong(end);
        boolean found = tx.get(store, kWin.segment, 0, kWin.length, view);
        if (found) {
            view.copyTo(acc, 0);
        } else {
            initAccumulator();
        }
        addToAccumulator(inNumber, inTs);
        if (collect) {
            putCollected(tx, end, n);
        }
        if (n + 1 == end) {
            emitCount(tx, end - size, end, true, false);
            if (found) {
                WindowedKeys.keyed(kWin, WindowedKeys.WINDOW, recKey, recLen).putLong(end);
                tx.delete(store, kWin.segment, 0, kWin.length, writeTs);
            }
            if (collect) {
                deleteCollected(tx, recKey, recLen, end);
            }
        } else {
            WindowedKeys.keyed(kWin, WindowedKeys.WINDOW, recKey, recLen).putLong(end);
            tx.put(store, kWin.segment, 0, kWin.length, accSegment, 0, width, writeTs);
            if (onUpdate) {
                emitCount(tx, end - size, end, false, false);
            }
        }
    }

    private void emitCount(Transaction tx, long start, long end, boolean isFinal, boolean records) {
        result.key(recKey, recLen);
        result.start = start;
        result.end = end;
        result.isFinal = isFinal;
        if (collect) {
            valuesScan.bind(tx);
            if (records) {
                values.bind(kFrom, kTo, RECORD_HEADER);
            } else {
                bindCollected(tx, recKey, recLen, end);
            }
        }
        resultListener.onResult(result);
    }

    /** Adds the current record to the time window of the current key ending at {@code end}. */
    private void update(Transaction tx, long end, long seq) {
        WindowedKeys.keyed(kWin, WindowedKeys.WINDOW, recKey, recLen).putLong(end);
        if (tx.get(store, kWin.segment, 0, kWin.length, view)) {
            view.copyTo(acc, 0);
        } else {
            initAccumulator();
            putCloseEntry(tx, end);
            WindowedKeys.keyed(kWin, WindowedKeys.WINDOW, recKey, recLen).putLong(end);
        }
        addToAccumulator(inNumber, inTs);
        tx.put(store, kWin.segment, 0, kWin.length, accSegment, 0, width, writeTs);
        if (collect) {
            putCollected(tx, end, seq);
        }
        if (onUpdate) {
            emit(tx, recKey, recLen, end, false);
        }
    }

    private void putCloseEntry(Transaction tx, long end) {
        if (!byKey) {
            WindowedKeys.timed(kAux, WindowedKeys.CLOSE, end + grace, recKey, recLen).putLong(end);
            tx.put(store, kAux.segment, 0, kAux.length, emptySegment, 0, 0, writeTs);
        }
    }

    private void putCollected(Transaction tx, long end, long seq) {
        WindowedKeys.keyed(kAux, WindowedKeys.COLLECT, recKey, recLen).putLong(end).putLong(seq);
        Scratch v = val.reset(inLength);
        System.arraycopy(inBytes, 0, v.array, 0, inLength);
        v.length = inLength;
        tx.put(store, kAux.segment, 0, kAux.length, v.segment, 0, inLength, writeTs);
    }

    private void initAccumulator() {
        for (int i = 0; i < aggregators.length; i++) {
            aggregators[i].init(slot.wrap(acc, offsets[i], aggregators[i].width()));
        }
    }

    private void addToAccumulator(double value, long ts) {
        for (int i = 0; i < aggregators.length; i++) {
            aggregators[i].add(slot.wrap(acc, offsets[i], aggregators[i].width()), value, ts);
        }
    }

    private long windowStart(long end) {
        return Math.max(0, end - size);
    }

    private void emit(Transaction tx, byte[] key, int len, long end, boolean isFinal) {
        result.key(key, len);
        result.start = windowStart(end);
        result.end = end;
        result.isFinal = isFinal;
        if (collect) {
            bindCollected(tx, key, len, end);
        }
        resultListener.onResult(result);
    }

    private void bindCollected(Transaction tx, byte[] key, int len, long end) {
        valuesScan.bind(tx);
        WindowedKeys.keyed(kFrom, WindowedKeys.COLLECT, key, len).putLong(end);
        WindowedKeys.keyed(kTo, WindowedKeys.COLLECT, key, len).putLong(end + 1);
        values.bind(kFrom, kTo, 0);
    }

    // ------------------------------------------------------------------ closing

    private void closeDue(Transaction tx, long ct) {
        if (byKey) {
            closeKey(tx, ct);
        } else {
            closePartition(tx, ct);
        }
    }

    /** Closes the current key's windows with end + grace ≤ ct. */
    private void closeKey(Transaction tx, long ct) {
        long bound = ct - grace + 1; // ends below bound are due
        if (bound <= 0) {
            return;
        }
        for (int n = 0; n < limit; n++) {
            WindowedKeys.keyed(kFrom, WindowedKeys.WINDOW, recKey, recLen);
            WindowedKeys.keyed(kTo, WindowedKeys.WINDOW, recKey, recLen).putLong(bound);
            scan.bind(tx).range(kFrom, kTo, false);
            if (!scan.next()) {
                return;
            }
            long end = WindowedKeys.getLong(scan.key(), WindowedKeys.KEY_OFFSET + recLen);
            closeWindow(tx, recKey, recLen, end);
        }
    }

    /** Closes windows of any key whose due time (end + grace) ≤ ct, in due order; returns how many. */
    private int closePartition(Transaction tx, long ct) {
        int n = 0;
        for (; n < limit; n++) {
            if (tx == closeTx && tx.generation() == closeGeneration) {
                kFrom.reset(closeResume.length + 1); // the least key after it: it, then a 0x00 byte
                System.arraycopy(closeResume.array, 0, kFrom.array, 0, closeResume.length);
                kFrom.length = closeResume.length;
                kFrom.putByte(0);
            } else {
                kFrom.reset(1).putByte(WindowedKeys.CLOSE);
            }
            kTo.reset(9).putByte(WindowedKeys.CLOSE).putLong(ct + 1);
            scan.bind(tx).range(kFrom, kTo, false);
            if (!scan.next()) {
                break;
            }
            copyKey(scan.key(), kClose);
            int len = readOtherKey(kClose, WindowedKeys.TIMED_KEY_OFFSET);
            long end = TimeKeys.getLong(kClose.array, WindowedKeys.TIMED_KEY_OFFSET + len);
            closeWindow(tx, otherKey, otherLen, end);
            tx.delete(store, kClose.segment, 0, kClose.length, writeTs);
            kClose.copyPrefixTo(closeResume, kClose.length);
            closeTx = tx;
            closeGeneration = tx.generation();
        }
        return n;
    }

    /** Drops held records (sliding time windows) no window that can still be made would take. */
    private void purgePartition(Transaction tx, long ct) {
        for (int n = 0; n < limit; n++) {
            kFrom.reset(1).putByte(WindowedKeys.PURGE);
            kTo.reset(9).putByte(WindowedKeys.PURGE).putLong(ct + 1);
            scan.bind(tx).range(kFrom, kTo, false);
            if (!scan.next()) {
                return;
            }
            copyKey(scan.key(), kClose);
            int len = readOtherKey(kClose, WindowedKeys.TIMED_KEY_OFFSET);
            int tail = WindowedKeys.TIMED_KEY_OFFSET + len;
            WindowedKeys.keyed(kDel, WindowedKeys.RECORD, otherKey, len)
                .putLong(TimeKeys.getLong(kClose.array, tail)).putLong(TimeKeys.getLong(kClose.array, tail + 8));
            tx.delete(store, kDel.segment, 0, kDel.length, writeTs);
            tx.delete(store, kClose.segment, 0, kClose.length, writeTs);
        }
    }

    /** As {@link #purgePartition} for the current key, when closing by key. */
    private void purgeKey(Transaction tx, long ct) {
        long bound = ct - size - grace + 1; // records with ts < bound are no longer needed
        if (bound <= 0) {
            return;
        }
        for (int n = 0; n < limit; n++) {
            WindowedKeys.keyed(kFrom, WindowedKeys.RECORD, recKey, recLen);
            WindowedKeys.keyed(kTo, WindowedKeys.RECORD, recKey, recLen).putLong(bound);
            scan.bind(tx).range(kFrom, kTo, false);
            if (!scan.next()) {
                return;
            }
            copyKey(scan.key(), kDel);
            tx.delete(store, kDel.segment, 0, kDel.length, writeTs);
        }
    }

    private void closeWindow(Transaction tx, byte[] key, int len, long end) {
        WindowedKeys.keyed(kWin, WindowedKeys.WINDOW, key, len).putLong(end);
        if (!tx.get(store, kWin.segment, 0, kWin.length, view)) {
            return;
        }
        if (!onUpdate) {
            view.copyTo(acc, 0);
            emit(tx, key, len, end, true);
            WindowedKeys.keyed(kWin, WindowedKeys.WINDOW, key, len).putLong(end);
        }
        tx.delete(store, kWin.segment, 0, kWin.length, writeTs);
        if (collect) {
            deleteCollected(tx, key, len, end);
        }
    }

    private void deleteCollected(Transaction tx, byte[] key, int len, long end) {
        while (true) {
            WindowedKeys.keyed(kFrom, WindowedKeys.COLLECT, key, len).putLong(end);
            WindowedKeys.keyed(kTo, WindowedKeys.COLLECT, key, len).putLong(end + 1);
            scan.bind(tx).range(kFrom, kTo, false);
            if (!scan.next()) {
                return;
            }
            copyKey(scan.key(), kDel);
            tx.delete(store, kDel.segment, 0, kDel.length, writeTs);
        }
    }

    private static void copyKey(ValueView key, Scratch target) {
        target.reset(key.length());
        key.copyTo(target.array, 0);
        target.length = key.length();
    }

    /** Copies the user key found at {@code offset} of {@code s} (after its u16 length) into {@link #otherKey}. */
    private int readOtherKey(Scratch s, int offset) {
        int len = ((s.array[offset - 2] & 0xFF) << 8) | (s.array[offset - 1] & 0xFF);
        if (otherKey.length < len) {
            otherKey = new byte[Math.max(len, otherKey.length * 2)];
        }
        System.arraycopy(s.array, offset, otherKey, 0, len);
        otherLen = len;
        return len;
    }

    // ------------------------------------------------------------------ per-key state

    private void loadKeyState(Transaction tx) {
        WindowedKeys.keyed(kAux, WindowedKeys.KEY_STATE, recKey, recLen);
        keyStateFound = tx.get(store, kAux.segment, 0, kAux.length, view);
        if (keyStateFound) {
            keyTime = WindowedKeys.getLong(view, 0);
            keyRecords = WindowedKeys.getLong(view, 8);
        } else {
            keyTime = -1;
            keyRecords = 0;
        }
    }

    private void storeKeyState(Transaction tx) {
        WindowedKeys.keyed(kAux, WindowedKeys.KEY_STATE, recKey, recLen);
        Scratch v = val.reset(16).putLong(keyTime).putLong(keyRecords);
        tx.put(store, kAux.segment, 0, kAux.length, v.segment, 0, v.length, writeTs);
        keyStateFound = true;
    }
}
