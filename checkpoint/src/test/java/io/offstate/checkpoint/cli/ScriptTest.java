package io.offstate.checkpoint.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.offstate.engine.KeyValueStore;
import io.offstate.engine.StoreOptions;

/**
 * Runs the real {@code ./offstate store inspect} script once. The script's build step is skipped
 * ({@code OFFSTATE_CLASSPATH} is this test run's class path) so the test stays fast and starts no
 * Maven inside Maven; what it checks is the script's dispatch, JDK choice, working directory
 * (a relative path is taken from where the command was typed) and exit codes.
 */
class ScriptTest {
    @TempDir
    Path tmp;

    record Run(int code, String out) {
    }

    private Run offstate(Path workingDir, String... args) throws IOException, InterruptedException {
        Path script = Path.of("..", "offstate").toAbsolutePath().normalize(); // surefire runs in checkpoint/
        assertTrue(Files.isExecutable(script), "the offstate script is not at " + script);
        List<String> command = new java.util.ArrayList<>(List.of("bash", script.toString()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).directory(workingDir.toFile()).redirectErrorStream(true);
        pb.environment().put("OFFSTATE_CLASSPATH", System.getProperty("java.class.path"));
        pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the script did not end");
        return new Run(p.exitValue(), out);
    }

    @Test
    void storeInspectThroughTheScript() throws Exception {
        try (KeyValueStore s = KeyValueStore.open(tmp.resolve("orders"), StoreOptions.builder().name("orders").build())) {
            s.put("k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8));
            s.flush("pos=7".getBytes(StandardCharsets.UTF_8));
        }
        Run ok = offstate(tmp, "store", "inspect", "orders"); // relative to the working directory
        assertEquals(Cli.OK, ok.code(), ok.out());
        assertTrue(ok.out().contains("entries          1"), ok.out());
        assertTrue(ok.out().contains("\"pos=7\""), ok.out());

        Run missing = offstate(tmp, "store", "inspect", "nope");
        assertEquals(Cli.FAILED, missing.code(), missing.out());
        assertTrue(missing.out().contains("no such directory"), missing.out());

        Run usage = offstate(tmp, "store");
        assertEquals(Cli.USAGE, usage.code(), usage.out());
    }
}
