package io.offstate.jmh;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;

/**
 * What one run of the {@link MainJob} measured: the JMH results of each {@link Suite.Case}, and the
 * facts the forks wrote to the case's side directory through {@link Report} (memory per entry,
 * byte counts, notes, why a peer could not run).
 */
final class Measured {
    private static final String PKG = "io.offstate.jmh.";

    private final Map<String, List<RunResult>> results;
    private final Path side;

    Measured(Map<String, List<RunResult>> results, Path side) {
        this.results = results;
        this.side = side;
    }

    List<RunResult> results(Suite.Case c) {
        return results.getOrDefault(c.id(), List.of());
    }

    /** The result of {@code benchmark} ({@code Class.method}) in {@code mode}, for HashMap's {@code impl} if not null. */
    RunResult find(Suite.Case c, String benchmark, Mode mode, String impl) {
        for (RunResult r : results(c)) {
            var p = r.getParams();
            if (p.getBenchmark().equals(PKG + benchmark) && p.getMode() == mode
                && (impl == null || impl.equals(p.getParam("impl")))) {
                return r;
            }
        }
        return null;
    }

    /** The result of {@code benchmark} in {@code mode} whose JMH parameter {@code param} is {@code value}. */
    RunResult find(Suite.Case c, String benchmark, Mode mode, String param, String value) {
        for (RunResult r : results(c)) {
            var p = r.getParams();
            if (p.getBenchmark().equals(PKG + benchmark) && p.getMode() == mode && value.equals(p.getParam(param))) {
                return r;
            }
        }
        return null;
    }

    /**
     * The result of {@code benchmark} in {@code mode} whose JMH parameters match every
     * {@code name, value} pair of {@code params}.
     */
    RunResult findWith(Suite.Case c, String benchmark, Mode mode, String... params) {
        outer:
        for (RunResult r : results(c)) {
            var p = r.getParams();
            if (!p.getBenchmark().equals(PKG + benchmark) || p.getMode() != mode) {
                continue;
            }
            for (int i = 0; i + 1 < params.length; i += 2) {
                if (!params[i + 1].equals(p.getParam(params[i]))) {
                    continue outer;
                }
            }
            return r;
        }
        return null;
    }

    static Double primary(RunResult r) {
        return r == null ? null : r.getPrimaryResult().getScore();
    }

    /** JMH {@code -prof gc}'s {@code gc.alloc.rate.norm}, or null. */
    static Double bytesPerOp(RunResult r) {
        if (r == null) {
            return null;
        }
        Result<?> a = r.getSecondaryResults().get("gc.alloc.rate.norm");
        return a == null ? null : a.getScore();
    }

    /** The text of side file {@code name} that case {@code c} wrote ({@link Report#write}), or null. */
    String sideFile(Suite.Case c, String name) {
        Path p = side.resolve(c.id()).resolve(name);
        try {
            return Files.isRegularFile(p) ? Files.readString(p) : null;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    /** A number {@link Report#metric} recorded in case {@code c}, at the case's key count or without one. */
    Double metric(Suite.Case c, String name) {
        Path p = side.resolve(c.id()).resolve("metric-" + name + "@" + c.keys() + ".txt");
        if (!Files.isRegularFile(p)) {
            p = side.resolve(c.id()).resolve("metric-" + name + ".txt");
        }
        try {
            return Files.isRegularFile(p) ? Double.parseDouble(Files.readString(p).trim()) : null;
        } catch (IOException | NumberFormatException e) {
            return null;
        }
    }

    /** "missing: reason" for a peer ({@code key} as in its error file) without a result in case {@code c}. */
    String missing(Suite.Case c, String key) {
        Path dir = side.resolve(c.id());
        for (String file : new String[] {"error-" + key + ".txt", "error-run.txt"}) {
            Path p = dir.resolve(file);
            if (Files.isRegularFile(p)) {
                try {
                    String first = Files.readString(p).trim().lines().findFirst().orElse("?");
                    first = first.replace("|", "/");
                    return "missing: " + (first.length() > 140 ? first.substring(0, 140) + "…" : first);
                } catch (IOException e) {
                    break;
                }
            }
        }
        return "missing: no result (the benchmark failed; see the JMH log)";
    }

    /** Every note and error the forks of {@code cases} recorded, as "case, file: text". */
    List<String> notes(List<Suite.Case> cases) {
        List<String> notes = new ArrayList<>();
        for (Suite.Case c : cases) {
            Path dir = side.resolve(c.id());
            if (!Files.isDirectory(dir)) {
                continue;
            }
            try (Stream<Path> files = Files.list(dir)) {
                for (Path p : files.sorted().toList()) {
                    String name = p.getFileName().toString();
                    if (name.startsWith("note-") || name.startsWith("error-")) {
                        String text = String.join(" / ", Files.readString(p).trim().lines().limit(3).toList());
                        notes.add(c.id() + ", " + name.substring(0, name.length() - 4) + ": " + text);
                    }
                }
            } catch (IOException e) {
                notes.add(c.id() + ": cannot read side results: " + e);
            }
        }
        return notes;
    }
}
