package io.offstate.engine;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;

/**
 * The README's examples of the checkpoint, changelog and kafka-streams modules equal the code their own tests
 * run (those tests run the code; this one only compares it with the README, here, so that one
 * {@link ReadmeBlocks} serves every module).
 */
final class ModuleReadmeExamplesTest {
    @Test
    void checkpointExample() throws IOException {
        ReadmeBlocks.assertReadmeShows(Path.of("../checkpoint/src/test/java/io/offstate/checkpoint/ReadmeCheckpointExampleTest.java"),
            "// --- README example starts", "// --- README example ends", 10, 30);
    }

    @Test
    void changelogWordCountExample() throws IOException {
        ReadmeBlocks.assertReadmeShows(Path.of("../changelog/src/test/java/io/offstate/changelog/WordCountExampleTest.java"),
            "// --- README example: begin", "// --- README example: end", 20, 40);
    }

    @Test
    void kafkaStreamsExamples() throws IOException {
        Path source = Path.of("../kafka-streams/src/test/java/io/offstate/kafka/streams/DslTopologyTest.java");
        ReadmeBlocks.assertReadmeShows(source, "// README config line begins", "// README config line ends", 1, 1);
        ReadmeBlocks.assertReadmeShows(source, "// README example begins", "// README example ends", 2, 10);
    }
}
