package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.docjobs.FakeAuthServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code docjobs run} with a wrong password stops at once with exit code 2, naming the failure and
 * the host, and prints and logs no password. A {@link FakeAuthServer} that rejects every login
 * stands in for MongoDB (the embedded server has no authentication).
 */
class DaemonAuthenticationFailureTest {
    private static final String SECRET = "wr0ngS3cret";

    @TempDir
    Path dir;

    @Test
    void aWrongPasswordIsExitCode2NamingTheFailureWithThePasswordMasked() throws Exception {
        try (FakeAuthServer server = new FakeAuthServer()) {
            String host = "127.0.0.1:" + server.port();
            Path config = Files.writeString(dir.resolve("docjobs.yaml"), """
                    database:
                      connectionString: "mongodb://app:%s@%s/?authSource=admin"
                      operationTimeout: 3s
                    discoverHandlers: false
                    http:
                      enabled: false
                    supervisor:
                      drainTimeout: 2s
                    handlers:
                      email.send:
                        class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                    """.formatted(SECRET, host));
            LogCapture logs = new LogCapture();
            try {
                long start = System.nanoTime();
                Cli.Result result = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Cli.run(config, "run"),
                        "run must stop on failed authentication");
                Duration took = Duration.ofNanos(System.nanoTime() - start);

                assertThat(result.code()).as("exit code; err: %s", result.err()).isEqualTo(ExitCodes.CONFIG);
                assertThat(result.err()).contains("authentication to").contains(host)
                        .contains("user name, password and authSource");
                assertThat(result.out() + result.err()).doesNotContain(SECRET);
                assertThat(logs.events()).as("log lines")
                        .allSatisfy(event -> assertThat(event.getFormattedMessage()).doesNotContain(SECRET));
                assertThat(took).as("time to fail").isLessThan(Duration.ofSeconds(10));
                assertThat(server.commands()).as("the daemon tried to log in").anyMatch(c -> c.endsWith(":saslStart"));
            } finally {
                logs.close();
            }
        }
    }
}
