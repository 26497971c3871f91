package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.QueueConfig;
import io.docjobs.QueueStats;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.bson.Document;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built jar, started as a separate process: it runs jobs, serves /metrics and /health, drains
 * on SIGTERM and exits 0, keeps its embedded data across restarts, and refuses bad configuration
 * with exit code 2 and a message naming file, key and value.
 */
class DaemonProcessIT {
    private static final Path JAR = Path.of("target", "docjobs.jar").toAbsolutePath();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process start(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar",
                JAR.toString()));
        command.addAll(List.of(args));
        Path log = dir.resolve("process-" + processes.size() + ".log");
        Process process = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile()).start();
        processes.add(process);
        return process;
    }

    private String output(int index) throws IOException {
        return Files.readString(dir.resolve("process-" + index + ".log"));
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        }
    }

    private static HttpResponse<String> get(int port, String path) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).timeout(Duration.ofSeconds(5))
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private static int status(int port, String path) {
        try {
            return get(port, path).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }

    private Path config(int dbPort, int httpPort) throws IOException {
        return Files.writeString(dir.resolve("docjobs.yaml"), """
                embedded:
                  port: %d
                  dataFile: data/docjobs.h2
                supervisor:
                  idleBackoffMin: 20ms
                  idleBackoffMax: 200ms
                  drainTimeout: 20s
                discoverHandlers: false
                handlers:
                  email.send:
                    class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                  report.render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                http:
                  port: %d
                """.formatted(dbPort, httpPort));
    }

    @Test
    void daemonRunsJobsServesMetricsDrainsOnSigtermAndKeepsItsData() throws Exception {
        int dbPort = freePort();
        int httpPort = freePort();
        Path config = config(dbPort, httpPort);
        Process daemon = start("run", "--config", config.toString());
        await().atMost(Duration.ofSeconds(60)).until(() -> status(httpPort, "/health") == 200);

        QueueConfig queueConfig = QueueConfig.builder().connectionString("mongodb://127.0.0.1:" + dbPort).build();
        try (JobQueue queue = JobQueue.connect(queueConfig)) {
            for (int i = 0; i < 50; i++) {
                queue.enqueue("email.send", new Document("to", "user" + i + "@example.com"), Duration.ofSeconds(30));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> queue.stats().byType().isEmpty());

            String metrics = get(httpPort, "/metrics").body();
            assertThat(metrics).contains("docjobs_jobs_finished_total{outcome=\"success\",queue=\"docjobs.jobs\",type=\"email.send\"} 50.0")
                    .contains("docjobs_handler_duration_seconds_bucket").contains("jvm_memory_used_bytes");
            assertThat(get(httpPort, "/health").body()).contains("\"status\":\"UP\"").contains("\"supervisor\":\"RUNNING\"");

            // A job without a handler stays; a long report is running when SIGTERM arrives.
            String kept = queue.enqueue("not.handled.here", "keep me", Duration.ofSeconds(30));
            String report = queue.enqueue(JobRequest.builder("report.render").payload(new Document("pages", 5)
                    .append("msPerPage", 300)).visibilityTimeout(Duration.ofSeconds(1)).build()).id();
            await().atMost(Duration.ofSeconds(10)).until(() -> queue.stats().forType("report.render").leased() == 1);

            daemon.destroy(); // SIGTERM
            assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(daemon.exitValue()).isZero();
            assertThat(output(0)).contains("SIGTERM received").contains("docjobs daemon stopped")
                    .as("drained: the running report finished rather than being handed back")
                    .contains("page 5 of 5").doesNotContain("handing their leases back")
                    .contains("data in file").contains("survives restarts");

            Process again = start("run", "--config", config.toString());
            await().atMost(Duration.ofSeconds(60)).until(() -> status(httpPort, "/health") == 200);
            assertThat(queue.get(kept)).as("the embedded data survived the restart").isPresent();
            assertThat(queue.get(report)).as("completed before the stop").isEmpty();
            again.destroy();
            assertThat(again.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
    }

    @Test
    void badConfigurationStopsWithExitCode2NamingFileKeyAndValue() throws Exception {
        Path config = Files.writeString(dir.resolve("bad.yaml"), """
                supervisor:
                  workers: -3
                  wrokers: 4
                handlers:
                  billing:
                    class: com.example.NoSuchHandler
                """);

        Process process = start("run", "--config", config.toString());

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(Main.EXIT_CONFIG);
        assertThat(output(0)).contains(config.toString())
                .contains("supervisor.workers was -3 but must be between 1 and 10000")
                .contains("unknown key \"supervisor.wrokers\"");
    }

    @Test
    void missingHandlerClassStopsWithExitCode2() throws Exception {
        Path config = Files.writeString(dir.resolve("missing.yaml"), """
                discoverHandlers: false
                handlers:
                  billing:
                    class: com.example.NoSuchHandler
                """);

        Process process = start("run", "--config", config.toString());

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(Main.EXIT_CONFIG);
        assertThat(output(0)).contains("handlers.billing.class was \"com.example.NoSuchHandler\" but no such class was found");
    }

    @Test
    void unreachableDatabaseStopsWithExitCode3NamingTheHostAndHidingThePassword() throws Exception {
        int closedPort = freePort();
        Path config = Files.writeString(dir.resolve("unreachable.yaml"), """
                database:
                  connectionString: mongodb://admin:s3cret@127.0.0.1:%d
                  operationTimeout: 2s
                """.formatted(closedPort));

        Process process = start("run", "--config", config.toString());

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(Main.EXIT_UNAVAILABLE);
        assertThat(output(0)).contains("127.0.0.1:" + closedPort).contains("admin:****@").doesNotContain("s3cret");
    }

    @Test
    void versionIsTheVersionOfThisBuild() throws Exception {
        String expected = System.getProperty("docjobs.expectedVersion");
        Assumptions.assumeTrue(expected != null, "run through Maven (failsafe passes docjobs.expectedVersion)");

        Process version = start("--version");

        assertThat(version.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(version.exitValue()).isZero();
        assertThat(output(0).lines().findFirst()).hasValue("docjobs " + expected);
    }

    @Test
    void demoRunsToItsSummary() throws Exception {
        Process demo = start("demo", "--jobs", "400", "--http-port", "0");

        assertThat(demo.waitFor(90, TimeUnit.SECONDS)).isTrue();
        assertThat(demo.exitValue()).isZero();
        assertThat(output(0)).contains("summary:").contains("dead letter").contains("/metrics");
    }

    @Test
    void adminCommandsReachARunningDaemonsEmbeddedDatabase() throws Exception {
        int dbPort = freePort();
        int httpPort = freePort();
        Path config = config(dbPort, httpPort);
        start("run", "--config", config.toString());
        await().atMost(Duration.ofSeconds(60)).until(() -> status(httpPort, "/health") == 200);

        Process enqueue = start("enqueue", "--config", config.toString(), "--type", "waiting.type", "--payload", "{\"n\": 1}");
        assertThat(enqueue.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(enqueue.exitValue()).isZero();
        Process stats = start("stats", "--config", config.toString());
        assertThat(stats.waitFor(60, TimeUnit.SECONDS)).isTrue();

        assertThat(output(2)).contains("waiting.type").contains("types with no handler in this configuration: waiting.type");
        assertThat(Set.of(output(1).trim().length())).containsExactly(24);
    }
}
