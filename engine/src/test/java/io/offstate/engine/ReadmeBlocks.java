package io.offstate.engine;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Keeps README.md's examples and their tests equal: the lines between two marker comments of a
 * test source must appear as one {@code ```java} block of README.md (compared line by line,
 * trimmed, blank lines dropped). Test-only; used by the README example tests of every package.
 */
public final class ReadmeBlocks {
    private static final Path README = Path.of("..", "README.md");

    private ReadmeBlocks() {
    }

    public static void assertReadmeShows(Path source, String beginMarker, String endMarker, int minLines, int maxLines) throws IOException {
        assertTrue(Files.exists(README), "README.md is missing at " + README.toAbsolutePath().normalize());
        List<String> example = normalize(rawExampleLines(source, beginMarker, endMarker));
        assertTrue(example.size() >= minLines && example.size() <= maxLines,
            "example has " + minLines + ".." + maxLines + " lines: " + example.size());
        List<List<String>> blocks = javaBlocks(Files.readAllLines(README, StandardCharsets.UTF_8));
        assertFalse(blocks.isEmpty(), "README.md has no ```java block");
        assertTrue(blocks.contains(example), "README.md has no ```java block equal to the example in "
            + source + " (compared line by line, trimmed, blank lines dropped). Paste this:\n```java\n"
            + String.join("\n", rawExampleLines(source, beginMarker, endMarker)) + "\n```");
    }

    /** The lines between the markers, de-indented to the first line's indentation. */
    private static List<String> rawExampleLines(Path source, String beginMarker, String endMarker) throws IOException {
        List<String> lines = Files.readAllLines(source, StandardCharsets.UTF_8);
        int begin = -1;
        int end = -1;
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).trim().equals(beginMarker)) {
                begin = i;
            } else if (lines.get(i).trim().equals(endMarker)) {
                end = i;
            }
        }
        assertTrue(begin >= 0 && end > begin, "markers found in " + source.toAbsolutePath());
        List<String> raw = lines.subList(begin + 1, end);
        int indent = raw.get(0).length() - raw.get(0).stripLeading().length();
        List<String> out = new ArrayList<>();
        for (String line : raw) {
            out.add(line.length() >= indent && line.substring(0, indent).isBlank() ? line.substring(indent) : line.strip());
        }
        return out;
    }

    private static List<String> normalize(List<String> lines) {
        return lines.stream().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    private static List<List<String>> javaBlocks(List<String> readme) {
        List<List<String>> blocks = new ArrayList<>();
        List<String> current = null;
        for (String line : readme) {
            String t = line.strip();
            if (current == null && t.equals("```java")) {
                current = new ArrayList<>();
            } else if (current != null && t.equals("```")) {
                blocks.add(normalize(current));
                current = null;
            } else if (current != null) {
                current.add(line);
            }
        }
        return blocks;
    }
}
