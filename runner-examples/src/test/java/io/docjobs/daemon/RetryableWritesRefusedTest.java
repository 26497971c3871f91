package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.docjobs.JobQueue;
import io.docjobs.QueueConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A server that refuses retryable writes, as Amazon DocumentDB does when docjobs cannot recognise
 * it by its host name: {@code run} stops before the supervisor starts, and {@code enqueue} fails,
 * each with exit code 2 naming the fix, {@code retryWrites=false}; with it, both work.
 */
class RetryableWritesRefusedTest {
    @TempDir
    Path dir;

    private RefusingRetryableWritesServer server;

    @BeforeEach
    void startServer() {
        server = new RefusingRetryableWritesServer();
    }

    @AfterEach
    void stopServer() {
        server.close();
    }

    private Path config(String connectionString) throws IOException {
        return Files.writeString(dir.resolve("docjobs.yaml"), """
                database:
                  connectionString: "%s"
                  changeStreams: false
                  operationTimeout: 3s
                http:
                  enabled: false
                supervisor:
                  drainTimeout: 1s
                handlers:
                  example.email.send:
                    class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                """.formatted(connectionString));
    }

    @Test
    void aServerRefusingRetryableWritesStopsTheDaemonWithExitCode2NamingRetryWritesFalse()
            throws IOException {
        Path config = config(server.connectionString());
        try (LogCapture logs = new LogCapture()) {
            Cli.Result result = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> Cli.run(config, "run"),
                    "run must refuse to start, not run with every write failing");

            assertThat(result.code()).as("exit code; err: %s", result.err()).isEqualTo(ExitCodes.CONFIG);
            assertThat(result.err()).contains("refuses retryable writes").contains("Retryable writes are not supported")
                    .contains("retryWrites=false").contains("DOCJOBS_DATABASE_CONNECTION_STRING").doesNotContain("\tat ");
            assertThat(logs.events()).noneMatch(event -> event.getFormattedMessage().startsWith("supervisor "));
        }
    }

    @Test
    void enqueueingToAServerRefusingRetryableWritesIsExitCode2NamingRetryWritesFalse() throws IOException {
        Path config = config(server.connectionString());

        Cli.Result result = Cli.run(config, "enqueue", "--type", "example.email.send", "--payload", "{\"to\": \"a@example.com\"}");

        assertThat(result.code()).as("exit code; err: %s", result.err()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains("refuses retryable writes").contains("retryWrites=false").doesNotContain("\tat ");
        assertThat(server.refused()).as("the server saw the retryable write").contains("insert");
    }

    @Test
    void enqueueingWithRetryWritesFalseWorksOnThatServer() throws IOException {
        Path config = config(server.connectionString() + "/?retryWrites=false");

        Cli.Result result = Cli.run(config, "enqueue", "--type", "example.email.send", "--payload", "{\"to\": \"a@example.com\"}");

        assertThat(result.code()).as("exit code; err: %s", result.err()).isZero();
        try (JobQueue queue = JobQueue.connect(QueueConfig.builder().connectionString(server.connectionString()
                + "/?retryWrites=false").changeStreams(false).build())) {
            assertThat(queue.get(result.out().trim())).isPresent();
        }
        assertThat(server.refused()).isEmpty();
    }
}
