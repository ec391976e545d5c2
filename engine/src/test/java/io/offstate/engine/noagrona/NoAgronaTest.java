package io.offstate.engine.noagrona;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import org.junit.jupiter.api.Test;

/**
 * Agrona is an optional edge dependency and the core needs no JVM flags: a child JVM runs the engine
 * from the module path with no Agrona jar anywhere, with {@code sun.misc.Unsafe} memory access
 * denied and no {@code --add-opens}/{@code --add-exports}, and must print no warning.
 */
class NoAgronaTest {

    @Test
    void engineRunsOnModulePathWithoutAgronaOrFlags() throws Exception {
        String[] classPath = System.getProperty("java.class.path").split(File.pathSeparator);
        String hppc = Arrays.stream(classPath).filter(p -> p.contains("hppc")).findFirst().orElseThrow();
        Path engineClasses = Path.of("target", "classes").toAbsolutePath();
        Path offheapClasses = Path.of("..", "offheap", "target", "classes").toAbsolutePath().normalize();
        Path testClasses = Path.of("target", "test-classes").toAbsolutePath();
        assertTrue(Files.isDirectory(offheapClasses.resolve("io")), "offheap classes at " + offheapClasses);

        List<String> command = new ArrayList<>(List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "--sun-misc-unsafe-memory-access=deny",
            "--module-path", String.join(File.pathSeparator, offheapClasses.toString(), engineClasses.toString(), hppc),
            "--add-modules", "io.offstate.engine",
            "-cp", testClasses.toString(),
            NoAgronaMain.class.getName()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output;
        try (var in = process.getInputStream()) {
            output = new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), "child JVM finished");
        assertEquals(0, process.exitValue(), "child JVM output:\n" + output);
        assertTrue(output.contains("NO-AGRONA-OK"), output);
        assertFalse(output.lines().anyMatch(l -> l.contains("WARNING")),
            "no JVM warnings expected:\n" + output.lines().collect(Collectors.joining("\n")));
        assertFalse(System.getProperty("java.class.path").isEmpty());
    }
}
