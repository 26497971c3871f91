package io.docjobs.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class EmbeddedLibraryExampleTest {

    @Test
    void runsEveryJobToItsEndAndPrintsTheSummary() {
        ByteArrayOutputStream captured = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            // the example bounds its own wait at 30 s; this bound only guards against a hang elsewhere
            assertTimeoutPreemptively(Duration.ofSeconds(60), () -> EmbeddedLibraryExample.main(new String[0]));
        } finally {
            System.setOut(original);
        }

        String output = captured.toString(StandardCharsets.UTF_8);
        assertThat(output)
                .contains("summary: 5 mails sent, 3 reports rendered, 3 payments charged, 1 dead-lettered")
                .containsPattern("dead letter \\w+ \\(example\\.payment\\.charge, attempt 1\\): account closed-4 is closed");
    }
}
