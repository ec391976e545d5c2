package io.offstate.engine;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a test class's {@code main} in a child JVM with this test run's class path. */
final class ChildJvm {
    private ChildJvm() {
    }

    /** The child's stdout is a pipe ({@link Process#getInputStream()}), its stderr this JVM's. */
    static Process start(List<String> jvmOptions, Class<?> main, String... args) throws IOException {
        return builder(jvmOptions, main, args).start();
    }

    /**
     * The child's stdout goes to {@code stdout}, its stderr to this JVM's. Use this when the child
     * may be killed and every line it wrote matters: a killed writer's lines are all in the file,
     * whereas a pipe read through {@link Process#getInputStream()} can lose the last ones (when the
     * process ends, the JDK drains and closes the pipe, and a read blocked on it at that moment fails
     * with "Stream closed").
     */
    static Process start(List<String> jvmOptions, Class<?> main, Path stdout, String... args) throws IOException {
        return builder(jvmOptions, main, args).redirectOutput(stdout.toFile()).start();
    }

    private static ProcessBuilder builder(List<String> jvmOptions, Class<?> main, String... args) {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(List.of(args));
        return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
    }

    static String classPathSeparator() {
        return File.pathSeparator;
    }
}
