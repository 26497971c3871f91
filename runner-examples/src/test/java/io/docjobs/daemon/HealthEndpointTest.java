package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code /health} and {@code /health/readiness} say 200 while the supervisor runs and the database
 * answers, 503 once the database is gone; {@code /health/liveness} stays 200 through the outage.
 */
class HealthEndpointTest {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    private static HttpResponse<String> health(int port) throws Exception {
        return get(port, "/health");
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void healthTurns503WhenTheDatabaseStopsAnswering() throws Exception {
        DaemonConfig config = new ConfigLoader(Map.of()).load(Files.writeString(dir.resolve("docjobs.yaml"), """
                database:
                  embedded: true
                  operationTimeout: 1s
                discoverHandlers: false
                handlers:
                  email.send:
                    class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                http:
                  port: 0
                """), true);
        EmbeddedDatabase database = EmbeddedDatabase.start(null, 0);
        try (Daemon daemon = Daemon.start(config, HandlerLoader.load(config, getClass().getClassLoader()), database)) {
            HttpResponse<String> up = health(daemon.httpPort());
            assertThat(up.statusCode()).isEqualTo(200);
            assertThat(up.body()).contains("\"status\":\"UP\"").contains("\"database\":\"UP\"");

            assertThat(get(daemon.httpPort(), "/health/liveness").statusCode()).isEqualTo(200);
            assertThat(get(daemon.httpPort(), "/health/readiness").statusCode()).isEqualTo(200);

            database.close();
            long stoppedNanos = System.nanoTime();

            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
                HttpResponse<String> down = health(daemon.httpPort());
                assertThat(down.statusCode()).isEqualTo(503);
                assertThat(down.body()).contains("\"status\":\"DOWN\"").contains("\"database\":\"DOWN\"")
                        .contains("\"supervisor\":\"RUNNING\"").contains("\"liveness\":\"UP\"");
            });
            await().atMost(Duration.ofSeconds(8)).until(() -> get(daemon.httpPort(), "/health/readiness").statusCode() == 503);
            assertThat(Duration.ofNanos(System.nanoTime() - stoppedNanos))
                    .as("readiness turns off within its short window, not after the operation time-out and retries")
                    .isLessThan(Duration.ofSeconds(8));
            HttpResponse<String> live = get(daemon.httpPort(), "/health/liveness");
            assertThat(live.statusCode()).as("a database outage must not restart the pod").isEqualTo(200);
            assertThat(live.body()).isEqualTo("{\"status\":\"UP\"}\n");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }
}
