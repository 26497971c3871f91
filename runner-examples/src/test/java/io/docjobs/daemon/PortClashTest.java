package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.docjobs.JobEntry;
import io.docjobs.JobQueue;
import io.docjobs.JobState;
import io.docjobs.QueueConfig;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.bson.Document;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A port the daemon needs is taken: {@code run} stops with exit code 2 naming the key and the port,
 * before the supervisor starts, so no job is claimed.
 */
class PortClashTest {
    private static final String HANDLER = """
            handlers:
              example.email.send:
                class: io.docjobs.examples.handlers.SendEmailHandler$Provider
            """;

    @TempDir
    Path dir;

    @Test
    void aTakenHttpPortIsExitCode2NamingHttpPortBeforeAnyJobIsClaimed() throws IOException {
        EmbeddedDatabase database = EmbeddedDatabase.start(null, 0);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                JobQueue queue = JobQueue.connect(QueueConfig.builder().connectionString(database.connectionString())
                        .changeStreams(false).build());
                LogCapture logs = new LogCapture()) {
            String waiting = queue.enqueue("example.email.send", new Document("to", "a@example.com"), Duration.ofSeconds(30));
            Path config = Files.writeString(dir.resolve("docjobs.yaml"), """
                    database:
                      connectionString: "%s"
                      changeStreams: false
                    http:
                      port: %d
                    """.formatted(database.connectionString(), taken.getLocalPort()) + HANDLER);

            Cli.Result result = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Cli.run(config, "run"));

            assertThat(result.code()).as("exit code; err: %s", result.err()).isEqualTo(ExitCodes.CONFIG);
            assertThat(result.err()).contains("http.port " + taken.getLocalPort()).contains("DOCJOBS_HTTP_PORT")
                    .doesNotContain("\tat ");
            assertThat(logs.events()).as("the supervisor never started")
                    .noneMatch(event -> event.getFormattedMessage().startsWith("supervisor "));
            JobEntry entry = queue.get(waiting).orElseThrow();
            assertThat(entry.state()).isEqualTo(JobState.READY);
            assertThat(entry.attempts()).as("never claimed").isZero();
        } finally {
            database.close();
        }
    }

    @Test
    void aTakenEmbeddedPortIsExitCode2NamingEmbeddedPortWithoutAStackTrace() throws IOException {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                LogCapture logs = new LogCapture()) {
            Path config = Files.writeString(dir.resolve("docjobs.yaml"), """
                    database:
                      embedded: true
                    embedded:
                      port: %d
                      dataFile: "%s"
                    http:
                      port: 0
                    """.formatted(taken.getLocalPort(), dir.resolve("data/docjobs.h2").toString().replace("\\", "\\\\"))
                    + HANDLER);

            Cli.Result result = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Cli.run(config, "run"));

            assertThat(result.code()).as("exit code; err: %s", result.err()).isEqualTo(ExitCodes.CONFIG);
            assertThat(result.err()).contains("embedded.port " + taken.getLocalPort()).contains("DOCJOBS_EMBEDDED_PORT")
                    .doesNotContain("\tat ");
            assertThat(logs.events()).noneMatch(event -> event.getFormattedMessage().startsWith("supervisor "));
        }
    }

    @Test
    void twoTakenPortsAreNamedAtOnce() throws IOException {
        try (ServerSocket http = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                ServerSocket embedded = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path config = Files.writeString(dir.resolve("docjobs.yaml"), """
                    database:
                      embedded: true
                    embedded:
                      port: %d
                      dataFile: ""
                    http:
                      port: %d
                    """.formatted(embedded.getLocalPort(), http.getLocalPort()) + HANDLER);

            Cli.Result result = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Cli.run(config, "run"));

            assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
            assertThat(result.err()).contains("http.port " + http.getLocalPort())
                    .contains("embedded.port " + embedded.getLocalPort());
        }
    }
}
