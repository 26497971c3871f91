package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.docjobs.JobEntry;
import io.docjobs.JobQueue;
import io.docjobs.JobRequest;
import io.docjobs.QueueConfig;
import io.docjobs.JobState;
import java.io.IOException;
import java.net.InetAddress;
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
import java.util.Map;
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
    private static final Path SHIPPED_CONFIG = Path.of("..", "config", "docjobs.yaml").toAbsolutePath().normalize();
    private static final Path TRIAL_CONFIG = Path.of("..", "config", "docjobs-trial.yaml").toAbsolutePath().normalize();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    @TempDir
    Path dir;

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() {
        processes.forEach(Process::destroyForcibly);
    }

    private Process start(String... args) throws IOException {
        return start(Map.of(), args);
    }

    /** Starts the jar in {@link #dir} with {@code environment} added to this JVM's. */
    private Process start(Map<String, String> environment, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(ProcessHandle.current().info().command().orElse("java"), "-jar",
                JAR.toString()));
        command.addAll(List.of(args));
        Path log = dir.resolve("process-" + processes.size() + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
                .redirectOutput(log.toFile());
        builder.environment().putAll(environment);
        Process process = builder.start();
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
                database:
                  embedded: true
                embedded:
                  port: %d
                  dataFile: data/docjobs.h2
                supervisor:
                  idleBackoffMin: 20ms
                  idleBackoffMax: 200ms
                  drainTimeout: 20s
                discoverHandlers: false
                handlers:
                  example.email.send:
                    class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                  example.report.render:
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
                queue.enqueue("example.email.send", new Document("to", "user" + i + "@example.com"),
                        Duration.ofSeconds(30));
            }
            await().atMost(Duration.ofSeconds(30)).until(() -> queue.stats().byType().isEmpty());

            String metrics = get(httpPort, "/metrics").body();
            assertThat(metrics).contains("docjobs_jobs_finished_total{outcome=\"success\",queue=\"docjobs.jobs\",type=\"example.email.send\"} 50.0")
                    .contains("docjobs_handler_duration_seconds_bucket").contains("jvm_memory_used_bytes");
            assertThat(get(httpPort, "/health").body()).contains("\"status\":\"UP\"").contains("\"supervisor\":\"RUNNING\"");
            // The console, from the jar (precompiled templates, the WebJar), read-only without a token.
            assertThat(get(httpPort, "/").body()).contains("<h1>Overview</h1>").contains("Write actions are disabled");
            assertThat(get(httpPort, "/static/uPlot.iife.min.js").statusCode()).isEqualTo(200);
            assertThat(get(httpPort, "/api/overview").body()).contains("\"writesEnabled\": false");

            // A job without a handler stays; a long report is running when SIGTERM arrives.
            String kept = queue.enqueue("not.handled.here", "keep me", Duration.ofSeconds(30));
            String report = queue.enqueue(JobRequest.builder("example.report.render").payload(new Document("pages", 5)
                    .append("msPerPage", 300)).visibilityTimeout(Duration.ofSeconds(1)).build()).id();
            await().atMost(Duration.ofSeconds(10)).until(() -> queue.stats().forType("example.report.render").leased() == 1);

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
        assertThat(process.exitValue()).isEqualTo(ExitCodes.CONFIG);
        assertThat(output(0)).contains(config.toString())
                .contains("supervisor.workers was -3 but must be between 1 and 10000")
                .contains("unknown key \"supervisor.wrokers\"");
    }

    @Test
    void aMistypedEnvironmentVariableStopsWithExitCode2NamingTheClosestKnownOne() throws Exception {
        Process process = start(Map.of("DOCJOBS_SUPERVISOR_WROKERS", "4"), "run", "--config", config(freePort(), freePort())
                .toString());

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(ExitCodes.CONFIG);
        assertThat(output(0)).contains("environment variable DOCJOBS_SUPERVISOR_WROKERS is not a docjobs setting")
                .contains("did you mean DOCJOBS_SUPERVISOR_WORKERS?");
    }

    @Test
    void missingHandlerClassStopsWithExitCode2() throws Exception {
        Path config = Files.writeString(dir.resolve("missing.yaml"), """
                database:
                  embedded: true
                discoverHandlers: false
                handlers:
                  billing:
                    class: com.example.NoSuchHandler
                """);

        Process process = start("run", "--config", config.toString());

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(ExitCodes.CONFIG);
        assertThat(output(0)).contains("handlers.billing.class was \"com.example.NoSuchHandler\" but no such class was found");
    }

    @Test
    void withoutAConnectionStringOrTheEmbeddedChoiceRunStopsWithExitCode2NamingBothFixes() throws Exception {
        Path config = Files.writeString(dir.resolve("nodb.yaml"), """
                handlers:
                  example.email.send:
                    class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                """);

        Process process = start("run", "--config", config.toString());

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(ExitCodes.CONFIG);
        assertThat(output(0)).contains("no database chosen").contains("DOCJOBS_DATABASE_CONNECTION_STRING")
                .contains("database.embedded: true").doesNotContain("\tat ");
        assertThat(dir.resolve("data")).as("no embedded database was started").doesNotExist();
    }

    @Test
    void aTakenHttpPortStopsWithExitCode2NamingTheKeyBeforeAnyJobIsClaimed() throws Exception {
        EmbeddedDatabase database = EmbeddedDatabase.start(null, 0);
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                JobQueue queue = JobQueue.connect(QueueConfig.builder().connectionString(database.connectionString()).build())) {
            String waiting = queue.enqueue("example.email.send", new Document("to", "a@example.com"), Duration.ofSeconds(30));
            Path config = Files.writeString(dir.resolve("clash.yaml"), """
                    database:
                      connectionString: "%s"
                      changeStreams: false
                    handlers:
                      example.email.send:
                        class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                    http:
                      port: %d
                    """.formatted(database.connectionString(), taken.getLocalPort()));

            Process process = start("run", "--config", config.toString());

            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(ExitCodes.CONFIG);
            assertThat(output(0)).contains("http.port " + taken.getLocalPort()).doesNotContain("\tat ")
                    .doesNotContain("supervisor default running");
            JobEntry entry = queue.get(waiting).orElseThrow();
            assertThat(entry.state()).isEqualTo(JobState.READY);
            assertThat(entry.attempts()).as("never claimed").isZero();
        } finally {
            database.close();
        }
    }

    @Test
    void aTakenEmbeddedPortStopsWithExitCode2NamingTheKey() throws Exception {
        try (ServerSocket taken = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            Path config = config(taken.getLocalPort(), freePort());

            Process process = start("run", "--config", config.toString());

            assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
            assertThat(process.exitValue()).isEqualTo(ExitCodes.CONFIG);
            assertThat(output(0)).contains("embedded.port " + taken.getLocalPort()).doesNotContain("\tat ")
                    .doesNotContain("supervisor default running");
        }
    }

    @Test
    void unreachableDatabaseStopsWithExitCode3NamingTheHostAndHidingThePassword() throws Exception {
        int closedPort = freePort();
        Path config = Files.writeString(dir.resolve("unreachable.yaml"), """
                database:
                  connectionString: mongodb://admin:s3cret@127.0.0.1:%d
                  operationTimeout: 2s
                handlers:
                  example.email.send:
                    class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                """.formatted(closedPort));

        Process process = start("run", "--config", config.toString());

        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(ExitCodes.UNAVAILABLE);
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
        assertThat(output(0)).contains("summary:").contains("dead letter").contains("/metrics").contains("console: http://")
                .contains("example.email.send").contains("example.payment.charge").contains("example.report.render");
    }

    @Test
    void theTrialConfigurationRunsTheExampleHandlersOnTheEmbeddedDatabase() throws Exception {
        int dbPort = freePort();
        int httpPort = freePort();
        Map<String, String> ports = Map.of("DOCJOBS_EMBEDDED_PORT", String.valueOf(dbPort), "DOCJOBS_HTTP_PORT",
                String.valueOf(httpPort));
        Process daemon = start(ports, "run", "--config", TRIAL_CONFIG.toString());
        await().atMost(Duration.ofSeconds(60)).until(() -> status(httpPort, "/health") == 200 || !daemon.isAlive());
        assertThat(daemon.isAlive()).as("daemon running; output:%n%s", output(0)).isTrue();

        Process enqueue = start(ports, "enqueue", "--config", TRIAL_CONFIG.toString(), "--type", "example.email.send",
                "--payload", "{\"to\": \"a@example.com\"}");
        assertThat(enqueue.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(enqueue.exitValue()).as("enqueue output:%n%s", output(1)).isZero();

        await().atMost(Duration.ofSeconds(30)).until(() -> output(0).contains("sent mail " + output(1).trim()));
        assertThat(dir.resolve("data/docjobs-trial.h2")).as("the trial's data file, next to where it ran").exists();
        daemon.destroy();
        assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void theShippedConfigurationWithASecretFileRunsTheDeployedHandlerAndClaimsNoExampleType() throws Exception {
        Path classes = HandlerJars.compile(dir.resolve("build"), Map.of(HandlerJars.TOUCH_PROVIDER, HandlerJars.TOUCH_SOURCE));
        HandlerJars.jar(classes, HandlerJars.TOUCH_PROVIDER, dir.resolve("handlers").resolve("touch.jar"));
        int httpPort = freePort();
        EmbeddedDatabase database = EmbeddedDatabase.start(null, 0);
        try (JobQueue queue = JobQueue.connect(QueueConfig.builder().connectionString(database.connectionString()).build())) {
            List<String> examples = new ArrayList<>();
            for (String type : List.of("email.send", "report.render", "payment.charge", "example.email.send",
                    "example.report.render", "example.payment.charge")) {
                examples.add(queue.enqueue(type, new Document("to", "someone@example.com"), Duration.ofSeconds(30)));
            }

            Path secret = Files.writeString(dir.resolve("connection-string"), database.connectionString() + "\n");
            Process daemon = start(Map.of("DOCJOBS_DATABASE_CONNECTION_STRING_FILE", secret.toString(),
                    "DOCJOBS_DATABASE_CHANGE_STREAMS", "false", "DOCJOBS_HTTP_PORT", String.valueOf(httpPort),
                    "DOCJOBS_SUPERVISOR_IDLE_BACKOFF_MAX", "200ms"), "run", "--config", SHIPPED_CONFIG.toString());
            await().atMost(Duration.ofSeconds(60)).until(() -> status(httpPort, "/health") == 200 || !daemon.isAlive());
            assertThat(daemon.isAlive()).as("daemon running; output:%n%s", output(0)).isTrue();
            Path marker = dir.resolve("touched.txt");
            String touch = queue.enqueue(HandlerJars.TOUCH_TYPE, new Document("file", marker.toString()), Duration.ofSeconds(30));

            await().atMost(Duration.ofSeconds(30)).until(() -> queue.get(touch).isEmpty());
            assertThat(marker).as("the deployed handler ran").hasContent(touch);
            for (String id : examples) {
                JobEntry entry = queue.get(id).orElseThrow();
                assertThat(entry.state()).as("%s (%s)", id, entry.type()).isEqualTo(JobState.READY);
                assertThat(entry.attempts()).as("%s (%s) never claimed", id, entry.type()).isZero();
            }
            daemon.destroy();
            assertThat(daemon.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(output(0)).contains("handler for \"" + HandlerJars.TOUCH_TYPE + "\"").doesNotContain("io.docjobs.examples.handlers");
        } finally {
            database.close();
        }
    }

    /**
     * Two daemons on the embedded default: one hosts the database (on its data file), the other
     * connects to it. Jobs enqueued by a third process start within milliseconds on either, though
     * both poll only every 1-2 s when idle: the embedded database serves change streams. When the
     * host stops, the other daemon stays live and turns not ready.
     */
    @Test
    void twoDaemonsOnTheEmbeddedDatabaseStartJobsEnqueuedElsewhereWithinMilliseconds() throws Exception {
        int dbPort = freePort();
        int hostHttp = freePort();
        int otherHttp = freePort();
        String common = """
                supervisor:
                  idleBackoffMin: 2s
                  idleBackoffMax: 2s
                discoverHandlers: false
                """;
        Path host = Files.writeString(dir.resolve("host.yaml"), """
                database:
                  embedded: true
                embedded:
                  port: %d
                  dataFile: data/docjobs.h2
                handlers:
                  example.email.send:
                    class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                http:
                  port: %d
                """.formatted(dbPort, hostHttp) + common);
        Path other = Files.writeString(dir.resolve("other.yaml"), """
                database:
                  connectionString: "mongodb://127.0.0.1:%d"
                handlers:
                  example.report.render:
                    class: io.docjobs.examples.handlers.RenderReportHandler$Provider
                http:
                  port: %d
                """.formatted(dbPort, otherHttp) + common);
        start("run", "--config", host.toString());
        await().atMost(Duration.ofSeconds(60)).until(() -> status(hostHttp, "/health") == 200);
        start("run", "--config", other.toString());
        await().atMost(Duration.ofSeconds(60)).until(() -> status(otherHttp, "/health") == 200);
        String following = "following new entries of docjobs.jobs with a change stream";
        await().atMost(Duration.ofSeconds(30)).until(() -> output(0).contains(following) && output(1).contains(following));

        Map<Integer, String> types = Map.of(hostHttp, "example.email.send", otherHttp, "example.report.render");
        int jobs = 20; // half for warming up
        Map<Integer, int[]> warm = new java.util.HashMap<>();
        try (JobQueue queue = JobQueue.connect(QueueConfig.builder().connectionString("mongodb://127.0.0.1:" + dbPort).build())) {
            for (int i = 0; i < 2 * jobs; i++) {
                if (i == jobs) {
                    for (var daemon : types.entrySet()) {
                        warm.put(daemon.getKey(), queueWaits(get(daemon.getKey(), "/metrics").body(), daemon.getValue()));
                    }
                }
                if (i % 2 == 0) {
                    queue.enqueue("example.email.send", new Document("to", "user" + i + "@example.com"), Duration.ofSeconds(30));
                } else {
                    queue.enqueue("example.report.render", new Document("pages", 1).append("msPerPage", 0), Duration.ofSeconds(30));
                }
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(10))
                        .until(() -> queue.stats().byType().isEmpty());
            }
        }
        // Queue wait (visible to claimed) of the jobs after the warm-up, from each daemon's histogram.
        for (var daemon : types.entrySet()) {
            int[] all = queueWaits(get(daemon.getKey(), "/metrics").body(), daemon.getValue());
            int[] measured = new int[all.length];
            for (int i = 0; i < all.length; i++) {
                measured[i] = all[i] - warm.get(daemon.getKey())[i];
            }
            System.out.printf("%s: queue wait of %d jobs: %d within 10 ms, %d within 25 ms, %d within 50 ms, %d within 100 ms%n",
                    daemon.getValue(), measured[4], measured[0], measured[1], measured[2], measured[3]);
            assertThat(measured[4]).isEqualTo(jobs / 2);
            assertThat(measured[2]).as("jobs of %s claimed within 50 ms, of %d", daemon.getValue(), jobs / 2)
                    .isGreaterThan(jobs / 4);
        }
        assertThat(output(0) + output(1)).doesNotContain(" ERROR ");

        // The host stops, and the database with it: the other daemon is not ready but still live.
        Process hostProcess = processes.get(0);
        hostProcess.destroy();
        assertThat(hostProcess.waitFor(60, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        long stopped = System.nanoTime();
        await().atMost(Duration.ofSeconds(20)).until(() -> status(otherHttp, "/health/readiness") == 503);
        assertThat(Duration.ofNanos(System.nanoTime() - stopped)).as("readiness turns off within its short window")
                .isLessThan(Duration.ofSeconds(10));
        assertThat(get(otherHttp, "/health/readiness").body()).contains("\"database\":\"DOWN\"");
        assertThat(status(otherHttp, "/health/liveness")).as("a database outage must not restart the daemon").isEqualTo(200);
        assertThat(status(otherHttp, "/health")).isEqualTo(503);
    }

    /** The queue-wait histogram of {@code type}: jobs within 10, 25, 50, 100 ms, and all. */
    private static int[] queueWaits(String metrics, String type) {
        String[] bounds = {"0.01", "0.025", "0.05", "0.1", "+Inf"};
        int[] counts = new int[bounds.length];
        for (int i = 0; i < bounds.length; i++) {
            java.util.regex.Matcher bucket = java.util.regex.Pattern.compile("docjobs_queue_wait_seconds_bucket\\{[^}]*type=\""
                    + java.util.regex.Pattern.quote(type) + "\"[^}]*le=\"" + java.util.regex.Pattern.quote(bounds[i])
                    + "\"[^}]*} (\\S+)").matcher(metrics);
            assertThat(bucket.find()).as("bucket le=%s of %s in%n%s", bounds[i], type, metrics).isTrue();
            counts[i] = (int) Double.parseDouble(bucket.group(1));
        }
        return counts;
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
