package io.offstate.checkpoint.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import io.offstate.checkpoint.CheckpointListener;
import io.offstate.checkpoint.CheckpointManifest;
import io.offstate.checkpoint.CheckpointStorage;
import io.offstate.checkpoint.Checkpoints;
import io.offstate.checkpoint.DamagedCheckpointException;
import io.offstate.checkpoint.LocalCheckpointStorage;
import io.offstate.checkpoint.RestoreResult;
import io.offstate.checkpoint.redis.RedisCheckpointStorage;
import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreDirectory;
import io.offstate.engine.StoreOptions;
import io.offstate.offheap.CorruptStateException;
import io.offstate.offheap.CorruptStoreFileException;
import io.offstate.offheap.StoreLockedException;
import io.offstate.offheap.UnsupportedFormatVersionException;

/**
 * The {@code offstate store ...} and {@code offstate checkpoint ...} commands: inspect and verify a
 * store directory, list, inspect, verify and restore the checkpoints in a backend
 * ({@code file:DIR} or {@code redis://[user:password@]host:port[/prefix]}). Results go to the output
 * stream, progress lines of long operations and errors to the error stream.
 *
 * <p>Exit codes: {@value #OK} success; {@value #DAMAGED} damage found (a bad chunk, block or
 * manifest, named in the output); {@value #USAGE} bad command line; {@value #FAILED} the command
 * could not run (no such directory, not a store, a store locked by another process, an unknown
 * checkpoint id, a backend that cannot be reached).
 *
 * <p>Never writes to a store or a backend, except {@code checkpoint restore}, which writes the new
 * store directory. Thread-safety: {@link #run} keeps no state between calls; one call at a time per
 * pair of streams.
 */
public final class Cli {
    /** Exit code: done, nothing damaged. */
    public static final int OK = 0;
    /** Exit code: damage found. */
    public static final int DAMAGED = 1;
    /** Exit code: the command line is wrong. */
    public static final int USAGE = 2;
    /** Exit code: the command could not run (bad input, locked store, unreachable backend). */
    public static final int FAILED = 3;

    static final String USAGE_TEXT = """
        Usage: offstate store inspect DIR
               offstate store verify DIR
               offstate checkpoint list BACKEND [--series S]
               offstate checkpoint inspect BACKEND ID
               offstate checkpoint verify BACKEND [ID | latest] [--series S]     (default: every checkpoint)
               offstate checkpoint restore BACKEND ID|latest --to DIR [--series S] [--at TIME] [--store NAME]

        BACKEND  file:DIR (a local checkpoint directory) or redis://[user:password@]host:port[/prefix]
                 (prefix default offstate:checkpoint:)
        TIME     an ISO-8601 instant, e.g. 2026-12-03T16:00:00Z: restore the newest checkpoint at or before it
        Exit codes: 0 ok, 1 damage found, 2 usage error, 3 could not run (missing, not a store, locked, unknown id)
        """;

    private final PrintStream out;
    private final PrintStream err;

    private Cli(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    /** Runs {@code args} and exits the JVM with the exit code. */
    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        System.out.flush();
        System.exit(code);
    }

    /** Runs {@code args}, writing to {@code out} and {@code err}; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Cli cli = new Cli(out, err);
        try {
            return cli.dispatch(new Args(args));
        } catch (UsageException e) {
            err.println("offstate: " + e.getMessage());
            err.print(USAGE_TEXT);
            return USAGE;
        } catch (DamagedCheckpointException e) {
            err.println("offstate: DAMAGED: " + e.getMessage());
            return DAMAGED;
        } catch (CorruptStoreFileException | CorruptStateException e) {
            err.println("offstate: DAMAGED: " + e.getMessage());
            return DAMAGED;
        } catch (StoreLockedException e) {
            err.println("offstate: the store is locked (open in this or another process): " + e.getMessage());
            return FAILED;
        } catch (UnsupportedFormatVersionException e) {
            err.println("offstate: " + e.getMessage());
            return FAILED;
        } catch (Failure e) {
            err.println("offstate: " + e.getMessage());
            return FAILED;
        } catch (UncheckedIOException e) {
            err.println("offstate: " + describe(e.getCause()));
            return FAILED;
        } catch (IOException e) {
            err.println("offstate: " + describe(e));
            return FAILED;
        } catch (IllegalArgumentException e) { // not a store, options that do not fit: the message says what
            err.println("offstate: " + e.getMessage());
            return FAILED;
        } catch (RuntimeException e) {
            err.println("offstate: " + e.getMessage() + " (" + e.getClass().getSimpleName() + ")");
            return FAILED;
        }
    }

    private static String describe(IOException e) {
        if (e instanceof NoSuchFileException n) {
            return n.getFile() + ": " + (n.getReason() == null ? "no such file or directory" : n.getReason());
        }
        if (e instanceof NotDirectoryException n) {
            return n.getFile() + ": not a directory";
        }
        return e.getMessage();
    }

    private int dispatch(Args a) throws IOException {
        String group = a.next("a command: store or checkpoint");
        String command;
        return switch (group) {
            case "store" -> {
                command = a.next("a store command: inspect or verify");
                if (isHelp(command)) {
                    out.print(USAGE_TEXT);
                    yield OK;
                }
                Path dir = Path.of(a.next("the store directory"));
                a.expectEnd();
                yield switch (command) {
                    case "inspect" -> storeInspect(dir);
                    case "verify" -> storeVerify(dir);
                    default -> throw new UsageException("unknown store command '" + command + "'");
                };
            }
            case "checkpoint" -> {
                command = a.next("a checkpoint command: list, inspect, verify or restore");
                if (isHelp(command)) {
                    out.print(USAGE_TEXT);
                    yield OK;
                }
                if (!Set.of("list", "inspect", "verify", "restore").contains(command)) {
                    throw new UsageException("unknown checkpoint command '" + command + "'");
                }
                String backend = a.next("a backend (file:DIR or redis://host:port/prefix)");
                yield switch (command) {
                    case "list" -> checkpointList(backend, a);
                    case "inspect" -> checkpointInspect(backend, a);
                    case "verify" -> checkpointVerify(backend, a);
                    default -> checkpointRestore(backend, a);
                };
            }
            case "help", "-h", "--help" -> {
                out.print(USAGE_TEXT);
                yield OK;
            }
            default -> throw new UsageException("unknown command '" + group + "'");
        };
    }

    private static boolean isHelp(String s) {
        return s.equals("help") || s.equals("-h") || s.equals("--help");
    }

    // ---------------------------------------------------------------- store

    private int storeInspect(Path dir) {
        StoreDirectory.Info i = StoreDirectory.inspect(dir);
        printInfo(i);
        return OK;
    }

    private void printInfo(StoreDirectory.Info i) {
        out.println("store directory  " + i.directory());
        out.println("generation       " + i.generation());
        out.println("entries          " + i.entries());
        out.println("options          " + Format.options(i.options()));
        out.println("memory           " + Format.bytes(i.memoryUsed()) + " (" + i.pages() + " pages of " + Format.bytes(i.pageSize())
            + ", large values " + Format.bytes(i.largeValueBytes()) + ", " + i.hashCapacity() + " hash slots"
            + (i.options().sortedIndex() ? ", " + i.sortedIndexNodes() + " sorted-index nodes" : "")
            + (i.options().dictionaryKeyComponent() != null ? ", " + i.dictionarySize() + " dictionary codes" : "") + ")");
        out.println("files            " + i.files() + " files, " + Format.bytes(i.fileBytes()));
        out.println("flush metadata   " + Format.opaque(i.flushMetadata()));
    }

    private int storeVerify(Path dir) {
        Progress progress = new Progress(err, "verifying " + dir);
        long[] total = {0};
        StoreDirectory.Verification v = StoreDirectory.verify(dir, done -> progress.update(done, total[0], ""));
        out.println("store directory  " + v.info().directory());
        out.println("generation       " + v.info().generation());
        out.println("entries          " + v.info().entries());
        out.println("checked          " + Format.bytes(v.bytesChecked()) + " of stored chunks against their CRC32C");
        if (v.intact()) {
            out.println("result           OK");
            return OK;
        }
        out.println("result           DAMAGED: " + (v.damagedChunks() > 0 ? v.damagedChunks() + " bad chunk(s)" : "inconsistent state"));
        for (RuntimeException e : v.damage()) {
            out.println("  " + e.getMessage());
        }
        if (v.damage().size() < v.damagedChunks()) {
            out.println("  ... and " + (v.damagedChunks() - v.damage().size()) + " more");
        }
        return DAMAGED;
    }

    // ---------------------------------------------------------------- checkpoints

    static CheckpointStorage openBackend(String spec) throws IOException {
        if (spec.startsWith("file:")) {
            Path root = Path.of(spec.substring("file:".length()));
            if (!Files.isDirectory(root)) {
                throw new Failure(root + ": no such checkpoint directory");
            }
            if (!Files.isDirectory(root.resolve("manifests"))) {
                throw new Failure(root + " is not a checkpoint directory (it has no manifests/)");
            }
            return LocalCheckpointStorage.open(root);
        }
        if (spec.startsWith("redis://")) {
            URI uri;
            try {
                uri = new URI(spec);
            } catch (URISyntaxException e) {
                throw new UsageException("bad Redis address '" + spec + "': " + e.getMessage());
            }
            if (uri.getHost() == null) {
                throw new UsageException("bad Redis address '" + spec + "': no host");
            }
            RedisCheckpointStorage.Builder b = RedisCheckpointStorage.builder().host(uri.getHost())
                .port(uri.getPort() < 0 ? 6379 : uri.getPort());
            String path = uri.getRawPath();
            if (path != null && path.length() > 1) {
                b.prefix(URLDecoder.decode(path.substring(1), StandardCharsets.UTF_8));
            }
            String userInfo = uri.getUserInfo();
            if (userInfo != null) {
                int colon = userInfo.indexOf(':');
                if (colon < 0) {
                    b.password(userInfo);
                } else {
                    if (colon > 0) {
                        b.user(userInfo.substring(0, colon));
                    }
                    b.password(userInfo.substring(colon + 1));
                }
            }
            return b.build();
        }
        throw new UsageException("unknown backend '" + spec + "': use file:DIR or redis://host:port/prefix");
    }

    /** The series of checkpoint id {@code id}: what comes before its last dot. */
    static String seriesOf(String id) {
        int dot = id.lastIndexOf('.');
        return dot <= 0 ? id : id.substring(0, dot);
    }

    /** Published ids grouped by series, in publication order. */
    private static Map<String, List<String>> bySeries(CheckpointStorage storage) throws IOException {
        Map<String, List<String>> m = new LinkedHashMap<>();
        for (String id : storage.list()) {
            m.computeIfAbsent(seriesOf(id), k -> new ArrayList<>()).add(id);
        }
        return m;
    }

    private int checkpointList(String backend, Args a) throws IOException {
        String only = a.option("--series");
        a.expectEnd();
        try (CheckpointStorage storage = openBackend(backend)) {
            return checkpointList(storage, only);
        }
    }

    private int checkpointList(CheckpointStorage storage, String only) throws IOException {
        Map<String, List<String>> series = bySeries(storage);
        if (only != null && !series.containsKey(only)) {
            throw new Failure("no series '" + only + "' in " + storage.describe() + "; it holds " + series.keySet());
        }
        out.println(storage.describe() + ": " + storage.list().size() + " checkpoint(s) in " + series.size() + " series");
        int damaged = 0;
        for (Map.Entry<String, List<String>> e : series.entrySet()) {
            if (only != null && !only.equals(e.getKey())) {
                continue;
            }
            Checkpoints c = Checkpoints.builder(storage, e.getKey()).build();
            out.printf("%-40s %-24s %-5s %5s %6s %12s %10s %10s  %s%n", "id", "time", "kind", "chain", "stores", "entries",
                "raw", "stored", "parent");
            for (String id : c.ids()) {
                CheckpointManifest m;
                try {
                    m = c.manifest(id);
                } catch (DamagedCheckpointException d) {
                    damaged++;
                    out.printf("%-40s DAMAGED: %s%n", id, d.getMessage());
                    continue;
                } catch (NoSuchFileException d) {
                    continue; // deleted meanwhile
                }
                long entries = 0;
                long raw = 0;
                long stored = 0;
                boolean incremental = false;
                for (CheckpointManifest.StoreSection s : m.stores()) {
                    entries += s.entries();
                    raw += s.rawBytes();
                    stored += s.storedBytes();
                    incremental |= s.incremental();
                }
                out.printf("%-40s %-24s %-5s %5d %6d %12d %10s %10s  %s%n", id, m.time(), incremental ? "incr" : "full",
                    m.chainLength(), m.stores().size(), entries, Format.bytes(raw), Format.bytes(stored),
                    m.parent() == null ? "-" : m.parent());
            }
        }
        List<String> leftovers = storage.listUnpublished();
        if (!leftovers.isEmpty()) {
            out.println(leftovers.size() + " unpublished upload(s) (interrupted, never served; the next checkpoint "
                + "of their series deletes them): " + leftovers);
        }
        if (damaged > 0) {
            err.println("offstate: DAMAGED: " + damaged + " checkpoint manifest(s) cannot be read");
            return DAMAGED;
        }
        return OK;
    }

    private Checkpoints seriesFor(CheckpointStorage storage, String id) throws IOException {
        if (!storage.list().contains(id)) {
            List<String> unpublished = storage.listUnpublished();
            throw new Failure("no checkpoint '" + id + "' in " + storage.describe()
                + (unpublished.contains(id) ? " (its upload never completed: it is not published)" : "")
                + "; see 'offstate checkpoint list'");
        }
        return Checkpoints.builder(storage, seriesOf(id)).build();
    }

    private static String onlySeries(CheckpointStorage storage, String given) throws IOException {
        Set<String> all = new LinkedHashSet<>(bySeries(storage).keySet());
        if (given != null) {
            if (!all.contains(given)) {
                throw new Failure("no series '" + given + "' in " + storage.describe() + "; it holds " + all);
            }
            return given;
        }
        if (all.isEmpty()) {
            throw new Failure(storage.describe() + " holds no checkpoint");
        }
        if (all.size() > 1) {
            throw new UsageException(storage.describe() + " holds several series " + all + ": name one with --series");
        }
        return all.iterator().next();
    }

    private int checkpointInspect(String backend, Args a) throws IOException {
        String id = a.next("a checkpoint id");
        a.expectEnd();
        try (CheckpointStorage storage = openBackend(backend)) {
            return checkpointInspect(storage, id);
        }
    }

    private int checkpointInspect(CheckpointStorage storage, String id) throws IOException {
        CheckpointManifest m = seriesFor(storage, id).manifest(id);
        out.println("checkpoint       " + m.id());
        out.println("series           " + seriesOf(m.id()));
        out.println("sequence         " + m.sequence());
        out.println("time             " + m.time());
        out.println("parent           " + (m.parent() == null ? "none (every store full)" : m.parent()));
        out.println("chain length     " + m.chainLength());
        out.println("partition        " + (m.partition() < 0 ? "none (a store checkpoint)" : m.partition()));
        out.println("log position     " + (m.logPosition() < 0 ? "none" : m.logPosition() + " (epoch " + m.logEpoch() + ")"));
        out.println("positions        " + Format.opaque(m.positions()));
        for (CheckpointManifest.StoreSection s : m.stores()) {
            out.println("store '" + s.name() + "'");
            out.println("  kind           " + (s.incremental() ? "incremental" : "full"));
            out.println("  entries        " + s.entries());
            try {
                StoreDirectory.Settings settings = StoreDirectory.settings(s.metadata(), s.name());
                out.println("  options        " + Format.options(settings.options()));
                out.println("  flush metadata " + Format.opaque(settings.flushMetadata()));
            } catch (CorruptStateException e) {
                throw new DamagedCheckpointException(m.id(), null, "store '" + s.name() + "' metadata is damaged: " + e.getMessage(), e);
            }
            out.println("  regions        " + s.regions().size());
            out.println("  blocks         " + s.blocks().size() + ", " + Format.bytes(s.rawBytes()) + " raw, "
                + Format.bytes(s.storedBytes()) + " stored (" + Format.ratio(s.storedBytes(), s.rawBytes()) + ")");
        }
        return OK;
    }

    private int checkpointVerify(String backend, Args a) throws IOException {
        String series = a.option("--series");
        String which = a.hasNext() ? a.next("a checkpoint id") : null;
        a.expectEnd();
        try (CheckpointStorage storage = openBackend(backend)) {
            return checkpointVerify(storage, series, which);
        }
    }

    private int checkpointVerify(CheckpointStorage storage, String series, String which) throws IOException {
        List<String> ids = new ArrayList<>();
        if (which == null) {
            for (Map.Entry<String, List<String>> e : bySeries(storage).entrySet()) {
                if (series == null || series.equals(e.getKey())) {
                    ids.addAll(Checkpoints.builder(storage, e.getKey()).build().ids());
                }
            }
            if (ids.isEmpty()) {
                throw new Failure(storage.describe() + " holds no checkpoint" + (series == null ? "" : " of series '" + series + "'"));
            }
        } else if (which.equals("latest")) {
            List<String> all = Checkpoints.builder(storage, onlySeries(storage, series)).build().ids();
            ids.add(all.getLast());
        } else {
            seriesFor(storage, which);
            ids.add(which);
        }
        Progress progress = new Progress(err, "verifying");
        CountingStorage counting = new CountingStorage(storage, progress, 0);
        int damaged = 0;
        for (String id : ids) {
            Checkpoints c = Checkpoints.builder(counting, seriesOf(id)).build();
            long before = counting.bytes();
            try {
                CheckpointManifest m = c.verify(id);
                out.println(id + "  OK (chain " + m.chainLength() + ", " + Format.bytes(counting.bytes() - before) + " read)");
            } catch (DamagedCheckpointException e) {
                damaged++;
                out.println(id + "  DAMAGED: " + e.getMessage());
            } catch (NoSuchFileException e) {
                out.println(id + "  gone (deleted meanwhile)");
            }
        }
        out.println(ids.size() + " checkpoint(s) verified, " + damaged + " damaged, " + counting.blocks() + " blocks ("
            + Format.bytes(counting.bytes()) + ") read");
        return damaged > 0 ? DAMAGED : OK;
    }

    private int checkpointRestore(String backend, Args a) throws IOException {
        String to = a.option("--to");
        String series = a.option("--series");
        String at = a.option("--at");
        String storeName = a.option("--store");
        String which = a.next("a checkpoint id or 'latest'");
        a.expectEnd();
        if (to == null) {
            throw new UsageException("restore needs --to DIR (an empty or absent directory for the new store)");
        }
        Instant time = null;
        if (at != null) {
            try {
                time = Instant.parse(at);
            } catch (DateTimeParseException e) {
                throw new UsageException("--at '" + at + "' is not an ISO-8601 instant such as 2026-12-03T16:00:00Z");
            }
        }
        if (at != null && !which.equals("latest")) {
            throw new UsageException("--at goes with 'latest' (the newest checkpoint at or before TIME), not with an id");
        }
        try (CheckpointStorage storage = openBackend(backend)) {
            return checkpointRestore(storage, which, Path.of(to), series, time, storeName);
        }
    }

    private int checkpointRestore(CheckpointStorage storage, String which, Path dir, String series, Instant time,
                                  String storeName) throws IOException {
        if (Files.exists(dir)) {
            try (var entries = Files.list(dir)) {
                if (entries.findAny().isPresent()) {
                    throw new Failure(dir + " is not empty: restore into an empty or absent directory");
                }
            }
        }
        boolean latest = which.equals("latest");
        Checkpoints plain = latest ? Checkpoints.builder(storage, onlySeries(storage, series)).build() : seriesFor(storage, which);
        // The options come from the checkpoint itself (its newest readable manifest for 'latest').
        CheckpointManifest probe = latest ? newestReadable(plain, time) : plain.manifest(which);
        CheckpointManifest.StoreSection section = pickStore(probe, storeName);
        StoreOptions options;
        try {
            options = StoreDirectory.settings(section.metadata(), section.name()).options();
        } catch (CorruptStateException e) {
            throw new DamagedCheckpointException(probe.id(), null, "store '" + section.name() + "' metadata is damaged: " + e.getMessage(), e);
        }
        Progress progress = new Progress(err, "restoring");
        CountingStorage counting = new CountingStorage(storage, progress, 0);
        Checkpoints c = Checkpoints.builder(counting, plain.series())
            .listener(new CheckpointListener() {
                @Override
                public void fellBack(String id, DamagedCheckpointException damage) {
                    err.println("offstate: checkpoint " + id + " is damaged, falling back to an older one: " + damage.getMessage());
                }
            })
            .build();
        RestoreResult r = latest
            ? (time == null ? c.restoreLatest(options, dir) : c.restoreAtOrBefore(time, options, dir))
            : c.restore(which, options, dir);
        long entries;
        try (KeyValueStore store = r.store()) {
            entries = store.size();
        }
        out.println("restored checkpoint " + r.checkpoint().id() + " (" + r.checkpoint().time() + ", store '" + section.name()
            + "', " + entries + " entries) into " + dir.toAbsolutePath());
        if (r.fellBack()) {
            out.println("skipped " + r.skipped().size() + " damaged newer checkpoint(s):");
            for (DamagedCheckpointException e : r.skipped()) {
                out.println("  " + e.getMessage());
            }
        }
        return OK;
    }

    private static CheckpointManifest newestReadable(Checkpoints c, Instant atOrBefore) throws IOException {
        List<String> ids = c.ids();
        for (int i = ids.size() - 1; i >= 0; i--) {
            try {
                CheckpointManifest m = c.manifest(ids.get(i));
                if (atOrBefore == null || !m.time().isAfter(atOrBefore)) {
                    return m;
                }
            } catch (DamagedCheckpointException | NoSuchFileException e) {
                // the restore falls back past it and says so
            }
        }
        throw new Failure("series '" + c.series() + "' has no readable checkpoint"
            + (atOrBefore == null ? "" : " taken at or before " + atOrBefore));
    }

    private static CheckpointManifest.StoreSection pickStore(CheckpointManifest m, String name) {
        if (name == null) {
            if (m.stores().size() != 1) {
                throw new UsageException("checkpoint " + m.id() + " holds stores " + names(m) + ": name one with --store");
            }
            return m.stores().getFirst();
        }
        CheckpointManifest.StoreSection s = m.store(name);
        if (s == null) {
            throw new Failure("checkpoint " + m.id() + " has no store '" + name + "'; it holds " + names(m));
        }
        return s;
    }

    private static List<String> names(CheckpointManifest m) {
        return m.stores().stream().map(CheckpointManifest.StoreSection::name).toList();
    }

    // ---------------------------------------------------------------- arguments

    /** A wrong command line: exit {@value #USAGE}. */
    static final class UsageException extends RuntimeException {
        UsageException(String message) {
            super(message);
        }
    }

    /** A command that cannot run on its input: exit {@value #FAILED}. */
    static final class Failure extends RuntimeException {
        Failure(String message) {
            super(message);
        }
    }

    /** The arguments: positional ones in order, {@code --name value} options anywhere after the command. */
    private static final class Args {
        private final List<String> positional = new ArrayList<>();
        private final Map<String, String> options = new LinkedHashMap<>();
        private int next;

        Args(String[] args) {
            for (int i = 0; i < args.length; i++) {
                String s = args[i];
                if (s.startsWith("--") && s.length() > 2 && !s.equals("--help")) {
                    int eq = s.indexOf('=');
                    if (eq > 0) {
                        options.put(s.substring(0, eq), s.substring(eq + 1));
                    } else {
                        if (i + 1 >= args.length) {
                            throw new UsageException("option " + s + " needs a value");
                        }
                        options.put(s, args[++i]);
                    }
                } else {
                    positional.add(s);
                }
            }
        }

        boolean hasNext() {
            return next < positional.size();
        }

        String next(String what) {
            if (!hasNext()) {
                throw new UsageException("missing " + what);
            }
            return positional.get(next++);
        }

        String option(String name) {
            return options.remove(name);
        }

        void expectEnd() {
            if (hasNext()) {
                throw new UsageException("unexpected argument '" + positional.get(next) + "'");
            }
            if (!options.isEmpty()) {
                throw new UsageException("unknown option " + options.keySet().iterator().next());
            }
        }
    }
}
