package io.offstate.engine;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Counts of fuzz verdicts per configuration × damage kind × file kind, and the failing cases.
 *
 * <p>Not thread-safe. Test code only.
 */
final class FuzzTally {
    /** A failing case and what it did. */
    record Failure(FuzzCase fuzzCase, FuzzReadBack.Outcome outcome) {
    }

    private final Map<String, int[]> rows = new TreeMap<>();
    private final Map<String, int[]> byKind = new TreeMap<>();
    private final Map<String, int[]> byFile = new TreeMap<>();
    private final Map<String, int[]> byConfig = new TreeMap<>();
    private final EnumMap<FuzzVerdict, Integer> totals = new EnumMap<>(FuzzVerdict.class);
    private final List<Failure> failures = new ArrayList<>();
    private int cases;
    private int refusals;
    private int refusalsNamingStore;
    private int refusalsNamingFile;

    void add(FuzzCase c, FuzzReadBack.Outcome o) {
        String row = String.format("%-10s | %-10s | %-13s", c.ref().config, c.kind(), c.fileKind());
        rows.computeIfAbsent(row, k -> new int[FuzzVerdict.values().length])[o.verdict().ordinal()]++;
        byKind.computeIfAbsent(String.format("%-39s", "damage " + c.kind()), k -> new int[FuzzVerdict.values().length])[o.verdict().ordinal()]++;
        byFile.computeIfAbsent(String.format("%-39s", "file " + c.fileKind()), k -> new int[FuzzVerdict.values().length])[o.verdict().ordinal()]++;
        byConfig.computeIfAbsent(String.format("%-39s", "config " + c.ref().config), k -> new int[FuzzVerdict.values().length])[o.verdict().ordinal()]++;
        totals.merge(o.verdict(), 1, Integer::sum);
        cases++;
        if (o.verdict().failure()) {
            failures.add(new Failure(c, o));
        }
        if ((o.verdict() == FuzzVerdict.REFUSED_AT_OPEN || o.verdict() == FuzzVerdict.REFUSED_ON_TOUCH) && o.error() != null) {
            refusals++;
            String m = String.valueOf(o.error().getMessage());
            if (m.contains("'" + c.ref().config.options().name() + "'") || m.contains(c.ref().config.options().name())) {
                refusalsNamingStore++;
            }
            if (m.contains(c.file()) || m.matches("(?s).*(journal-[01]|pages\\.(dat|sum)|seg-[0-9a-f]+\\.(dat|sum)).*")) {
                refusalsNamingFile++;
            }
        }
    }

    int count(FuzzVerdict v) {
        return totals.getOrDefault(v, 0);
    }

    List<Failure> failures() {
        return failures;
    }

    /** The table, the totals and the first {@code examples} failures of each failing verdict. */
    String report(int examples) {
        StringBuilder b = new StringBuilder();
        String header = String.format("%-10s | %-10s | %-13s", "config", "damage", "file");
        b.append(header);
        for (FuzzVerdict v : FuzzVerdict.values()) {
            b.append(" | ").append(String.format("%16s", v));
        }
        b.append('\n').append("-".repeat(header.length() + 19 * FuzzVerdict.values().length)).append('\n');
        appendRows(b, rows);
        b.append("-".repeat(header.length() + 19 * FuzzVerdict.values().length)).append('\n');
        appendRows(b, byConfig);
        appendRows(b, byKind);
        appendRows(b, byFile);
        b.append(String.format("%-39s", "total (" + cases + " cases)"));
        for (FuzzVerdict v : FuzzVerdict.values()) {
            b.append(" | ").append(String.format("%16d", count(v)));
        }
        b.append('\n');
        b.append("refusals: ").append(refusals).append(", naming the store: ").append(refusalsNamingStore)
            .append(", naming a store file: ").append(refusalsNamingFile).append('\n');
        for (FuzzVerdict v : new FuzzVerdict[] {FuzzVerdict.WRONG_DATA, FuzzVerdict.NON_OFFSTATE}) {
            int shown = 0;
            for (Failure f : failures) {
                if (f.outcome().verdict() == v && shown++ < examples) {
                    if (shown == 1) {
                        b.append("\nfirst ").append(v).append(" cases (replay one with -Doffstate.fuzz.replay=<id>):\n");
                    }
                    b.append("  ").append(f.fuzzCase()).append("\n      -> ").append(f.outcome().detail());
                    Throwable t = f.outcome().error();
                    if (t != null && t.getStackTrace().length > 0) {
                        b.append("\n         at ").append(t.getStackTrace()[0]);
                        StackTraceElement own = firstStoreFrame(t);
                        if (own != null && own != t.getStackTrace()[0]) {
                            b.append("\n         from ").append(own);
                        }
                    }
                    b.append('\n');
                }
            }
        }
        return b.toString();
    }

    private static void appendRows(StringBuilder b, Map<String, int[]> rows) {
        for (Map.Entry<String, int[]> e : rows.entrySet()) {
            b.append(e.getKey());
            for (int n : e.getValue()) {
                b.append(" | ").append(String.format("%16d", n));
            }
            b.append('\n');
        }
    }

    /** The first frame of the store's own code (not the fuzzer's), or null. */
    static StackTraceElement firstStoreFrame(Throwable t) {
        for (StackTraceElement e : t.getStackTrace()) {
            String c = e.getClassName();
            if (c.startsWith("io.offstate.") && !c.startsWith("io.offstate.engine.Fuzz") && !c.startsWith("io.offstate.engine.CorruptionFuzz")) {
                return e;
            }
        }
        return null;
    }

    /** The ids of the failing cases, at most {@code max} of them. */
    String failingIds(int max) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < failures.size() && i < max; i++) {
            b.append(i == 0 ? "" : ", ").append(failures.get(i).fuzzCase().id());
        }
        if (failures.size() > max) {
            b.append(", ... (").append(failures.size() - max).append(" more)");
        }
        return b.toString();
    }
}
