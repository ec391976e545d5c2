package io.offstate.offheap.file;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The step labels are an interface: crash tests parse them from a child's output. */
class CommitStepTest {
    @Test
    void stepsComeInCommitOrderWithTheirStableLabels() {
        assertEquals(List.of("journal-body-written", "journal-body-forced", "journal-written", "committed",
                "superseded", "applying", "applied", "marked-applied"),
            Arrays.stream(CommitStep.values()).map(CommitStep::label).toList());
    }

    @Test
    void aLabelNamesItsStep() {
        for (CommitStep s : CommitStep.values()) {
            assertEquals(s, CommitStep.ofLabel(s.label()));
            assertEquals(s.label(), s.toString());
        }
        assertThrows(IllegalArgumentException.class, () -> CommitStep.ofLabel("JOURNAL_WRITTEN"));
    }
}
