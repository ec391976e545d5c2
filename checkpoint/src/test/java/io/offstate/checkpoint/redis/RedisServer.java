package io.offstate.checkpoint.redis;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real {@code redis-server} child process on a free loopback port, for tests: started in its own
 * directory, ready once it answers {@code PING}, stopped by {@link #close()}, killed by a shutdown
 * hook if the JVM exits first. Default configuration: {@code --save "" --appendonly no} (nothing
 * on disk); extra arguments (e.g. {@code --appendonly yes}) come after and override it.
 *
 * <p>If {@code redis-server} is not installed, {@link #start} fails with an {@link AssertionError}
 * saying how to install it: the Redis tests fail rather than skip.
 *
 * <p>Not thread-safe: one test thread drives it.
 */
final class RedisServer implements AutoCloseable {
    private static final long READY_TIMEOUT_MILLIS = 30_000;

    private final Path binary;
    private final Path dir;
    private final int port;
    private final List<String> extraArgs;
    private final Thread killer;
    private Process process;

    private RedisServer(Path binary, Path dir, int port, List<String> extraArgs) {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
        this.extraArgs = extraArgs;
        this.killer = new Thread(this::kill, "kill redis-server :" + port);
        Runtime.getRuntime().addShutdownHook(killer);
    }

    /** Starts a server with its working directory (AOF, log) in {@code dir}, on a free port. */
    static RedisServer start(Path dir, String... extraArgs) throws IOException {
        Path binary = findBinary();
        RedisServer server = new RedisServer(binary, dir, freePort(), List.of(extraArgs));
        server.startProcess();
        return server;
    }

    int port() {
        return port;
    }

    Path dir() {
        return dir;
    }

    boolean isRunning() {
        return process != null && process.isAlive();
    }

    /** Kills the server with SIGKILL (a crash: no shutdown, no final fsync) and waits for it. */
    void kill() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroyForcibly();
            try {
                p.waitFor(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    /** Starts the server again on the same port, directory and arguments (after {@link #kill()}). */
    void restart() throws IOException {
        if (isRunning()) {
            throw new IllegalStateException("redis-server on port " + port + " is still running");
        }
        startProcess();
    }

    /** Stops the server (SIGTERM: Redis shuts down cleanly) and forgets the shutdown hook. */
    @Override
    public void close() {
        Process p = process;
        if (p != null && p.isAlive()) {
            p.destroy();
            try {
                if (!p.waitFor(10, TimeUnit.SECONDS)) {
                    kill();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                kill();
            }
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killer);
        } catch (IllegalStateException shuttingDown) {
            // the hook is running or has run: nothing to forget
        }
    }

    private void startProcess() throws IOException {
        List<String> cmd = new ArrayList<>(List.of(binary.toString(),
            "--port", Integer.toString(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", dir.toString(), "--daemonize", "no", "--protected-mode", "yes"));
        cmd.addAll(extraArgs);
        Path log = dir.resolve("redis-" + port + ".log");
        process = new ProcessBuilder(cmd).directory(dir.toFile()).redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(READY_TIMEOUT_MILLIS);
        while (true) {
            if (!process.isAlive()) {
                throw new AssertionError("redis-server exited with " + process.exitValue() + " before answering"
                    + " PING on port " + port + "; command " + cmd + "; log:\n" + readLog(log));
            }
            if (answersPing()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                kill();
                throw new AssertionError("redis-server did not answer PING on port " + port + " within "
                    + READY_TIMEOUT_MILLIS + " ms; command " + cmd + "; log:\n" + readLog(log));
            }
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while waiting for redis-server", e);
            }
        }
    }

    /**
     * True if the server answers {@code PING}: {@code +PONG}, or {@code -NOAUTH} when it wants a
     * password; false while it is still loading its AOF ({@code -LOADING}) or not listening.
     */
    private boolean answersPing() {
        try (Socket s = new Socket()) {
            s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 1000);
            s.setSoTimeout(1000);
            OutputStream out = s.getOutputStream();
            out.write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.US_ASCII));
            String reply = in.readLine();
            return "+PONG".equals(reply) || (reply != null && reply.startsWith("-NOAUTH"));
        } catch (IOException notYet) {
            return false;
        }
    }

    private static String readLog(Path log) {
        try {
            return Files.readString(log);
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** {@code redis-server} on the PATH or in the Debian locations, else an AssertionError saying how to install it. */
    static Path findBinary() {
        return findBinary(System.getenv("PATH"),
            List.of(Path.of("/usr/bin"), Path.of("/usr/sbin"), Path.of("/usr/local/bin")));
    }

    /** {@code redis-server} in a directory of {@code path} or in one of {@code fallbackDirs}. */
    static Path findBinary(String path, List<Path> fallbackDirs) {
        List<Path> dirs = new ArrayList<>();
        if (path != null) {
            for (String d : path.split(File.pathSeparator)) {
                if (!d.isEmpty()) {
                    dirs.add(Path.of(d));
                }
            }
        }
        dirs.addAll(fallbackDirs);
        for (Path d : dirs) {
            Path p = d.resolve("redis-server");
            if (Files.isExecutable(p)) {
                return p;
            }
        }
        throw new AssertionError("redis-server is not installed, and the Redis checkpoint tests need a real one:"
            + " install it (Debian/Ubuntu: `sudo apt-get install redis-server`; .ci/run does this) and run the"
            + " tests again. Looked in " + dirs + ".");
    }
}
