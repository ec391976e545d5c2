package io.offstate.jmh;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * The summary's table cells: number formatting, and the cells judged against the targets
 * (PASS/MISS), which this object counts; it also collects every place where offstate is slower than
 * a peer. One per summary.
 */
final class Cells {
    /** gc.alloc.rate.norm below this counts as 0 B/op (JMH's own noise). */
    static final double ZERO_BYTES = 1.0;

    private final List<String> behind = new ArrayList<>();
    private int pass;
    private int miss;

    int pass() {
        return pass;
    }

    int miss() {
        return miss;
    }

    List<String> behind() {
        return behind;
    }

    /** Records "workload (where): ratio × peer" when offstate's time is above the peer's. */
    void noteBehind(String where, String workload, String peer, Double off, Double other) {
        if (off != null && other != null && other > 0 && off / other > 1.0) {
            behind.add(String.format(Locale.ROOT, "%s (%s): %.2f × %s", workload, where, off / other, peer));
        }
    }

    /** Records "workload (where): 1/ratio × peer" when offstate's rate is below the peer's ({@code rateRatio} < 1). */
    void noteBehindRate(String where, String workload, String peer, Double rateRatio) {
        if (rateRatio != null && rateRatio > 0 && rateRatio < 1.0) {
            behind.add(String.format(Locale.ROOT, "%s (%s): %.2f × %s", workload, where, 1.0 / rateRatio, peer));
        }
    }

    /** A rate ratio offstate/peer (higher is better), judged against {@code target} (at least). */
    String rateRatio(Double ratio, double target) {
        if (ratio == null) {
            return "n/a";
        }
        boolean ok = ratio >= target;
        count(ok);
        return String.format(Locale.ROOT, "%.2f (≥ %.2f %s)", ratio, target, ok ? "PASS" : "MISS");
    }

    /** offstate/peer, judged against {@code target} (at most). */
    String ratio(Double off, Double peer, double target) {
        if (off == null || peer == null || peer == 0) {
            return "n/a";
        }
        double r = off / peer;
        boolean ok = r <= target;
        count(ok);
        return String.format(Locale.ROOT, "%.2f (≤ %.2f %s)", r, target, ok ? "PASS" : "MISS");
    }

    /** B/op; if {@code judged}, against the 0 B/op target of offstate's hot paths. */
    String bytes(Double bop, boolean judged) {
        if (bop == null) {
            return "n/a";
        }
        String v = String.format(Locale.ROOT, "%.3f", bop);
        if (!judged) {
            return v;
        }
        boolean ok = bop < ZERO_BYTES;
        count(ok);
        return v + (ok ? " (0 PASS)" : " (0 MISS)");
    }

    /**
     * A scan's B/op, judged per entry scanned: a scan of a million entries that allocates nothing
     * per entry still shows the harness's few bytes per iteration divided by few operations.
     */
    String scanBytes(Double bop, double entries) {
        if (bop == null) {
            return "n/a";
        }
        double perEntry = bop / entries;
        boolean ok = perEntry < ZERO_BYTES;
        count(ok);
        return String.format(Locale.ROOT, "%.3f (%.5f, 0 %s)", bop, perEntry, ok ? "PASS" : "MISS");
    }

    /** The 1%-prefix/full scan time ratio, judged: about 1% means at most 1.5% (positioning adds a little). */
    String prefixRatio(double ratio) {
        boolean ok = ratio <= 0.015;
        count(ok);
        return String.format(Locale.ROOT, "%.4f (≈ 0.01, ≤ 0.015 %s)", ratio, ok ? "PASS" : "MISS");
    }

    /** offstate's memory per entry, judged against at most 96 bytes if {@code judged}. */
    String memory(double bytesPerEntry, boolean judged) {
        if (!judged) {
            return fmt(bytesPerEntry);
        }
        boolean ok = bytesPerEntry <= 96.0;
        count(ok);
        return String.format(Locale.ROOT, "%.1f (≤ 96 %s)", bytesPerEntry, ok ? "PASS" : "MISS");
    }

    /** Open time of the largest store over the smallest's, judged: flat means at most 1.5x. */
    String openRatio(double ratio) {
        boolean ok = ratio <= 1.5;
        count(ok);
        return String.format(Locale.ROOT, "%.2f (≤ 1.5 %s)", ratio, ok ? "PASS" : "MISS");
    }

    private void count(boolean ok) {
        if (ok) {
            pass++;
        } else {
            miss++;
        }
    }

    // ------------------------------------------------------------ plain formatting

    /** Score ± JMH's 99.9% confidence half-width. */
    static String time(RunResult r) {
        Result<?> p = r.getPrimaryResult();
        double err = p.getScoreError();
        return Double.isNaN(err) || err == 0 ? fmt(p.getScore()) : fmt(p.getScore()) + " ± " + fmt(err);
    }

    static String timeOrNa(RunResult r) {
        return r == null ? "n/a (no result)" : time(r);
    }

    static String plainRatio(Double a, Double b) {
        return a == null || b == null || b == 0 ? "n/a" : String.format(Locale.ROOT, "%.2f", a / b);
    }

    static Double mbPerSecond(Double bytes, Double msPerOp) {
        return bytes == null || msPerOp == null || msPerOp == 0 ? null : bytes / 1e6 / (msPerOp / 1000.0);
    }

    static String duration(Duration d) {
        return String.format(Locale.ROOT, "%dm%02ds", d.toMinutes(), d.toSecondsPart());
    }

    static String fmt(double v) {
        if (v >= 100_000) {
            return String.format(Locale.ROOT, "%,.0f", v);
        }
        return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.1f", v);
    }
}
