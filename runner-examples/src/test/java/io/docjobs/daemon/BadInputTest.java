package io.docjobs.daemon;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.docjobs.JobEntry;
import io.docjobs.JobQueue;
import io.docjobs.JobState;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.bson.Document;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Bad input at the command line and in the queue: each is refused with exit code 2 and a message
 * naming what was wrong, enqueues nothing, leaks no password, and a job nobody serves is left alone.
 * In process, against an embedded database, as a daemon on this host would run it.
 *
 * <p>Wrong credentials are covered by {@link DaemonAuthenticationFailureTest}: the embedded server
 * has no authentication, so that test uses a fake server that refuses every login.
 */
class BadInputTest {
    @TempDir
    Path dir;

    @RegisterExtension
    final EmbeddedDatabaseExtension database = new EmbeddedDatabaseExtension();
    private JobQueue queue;
    private Path config;

    @BeforeEach
    void configure() throws IOException {
        config = writeConfig("");
        queue = database.queue();
    }

    /** A configuration reaching the embedded database, serving only email.send, plus {@code extra} YAML. */
    private Path writeConfig(String extra) throws IOException {
        return writeConfig("database:\n  embedded: true\n", extra);
    }

    /** The same with the given {@code database} section. */
    private Path writeConfig(String database, String extra) throws IOException {
        return Files.writeString(dir.resolve("docjobs.yaml"), database + """
                embedded:
                  port: %d
                discoverHandlers: false
                http:
                  enabled: false
                supervisor:
                  idleBackoffMax: 200ms
                  drainTimeout: 2s
                handlers:
                  email.send:
                    class: io.docjobs.examples.handlers.SendEmailHandler$Provider
                """.formatted(this.database.port()) + extra);
    }

    private Cli.Result run(String... args) {
        return Cli.run(config, args);
    }

    // ---------------------------------------------------------------- enqueue

    @Test
    void refusesAPayloadFileOver16MiBWithExitCode2NamingSizeAndLimit() throws IOException {
        Path huge = dir.resolve("huge.json");
        Files.writeString(huge, "{\"blob\": \"" + "x".repeat(16 * 1024 * 1024 + 1) + "\"}");

        Cli.Result result = run("enqueue", "--type", "email.send", "--payload", "@" + huge);

        assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains("too large").contains("at most " + JobQueue.MAX_PAYLOAD_BYTES)
                .doesNotContain("\tat ");
        Matcher size = Pattern.compile("would be (\\d+) bytes").matcher(result.err());
        assertThat(size.find()).as("the entry's size is named: %s", result.err()).isTrue();
        assertThat(Long.parseLong(size.group(1))).isGreaterThan(16L * 1024 * 1024);
        assertThat(result.out()).as("no id printed").isBlank();
        assertThat(queue.stats().byType()).as("nothing enqueued").isEmpty();
    }

    @Test
    void refusesAnOversizedTextPayloadTheSameWay() throws IOException {
        Path huge = dir.resolve("huge.txt");
        Files.writeString(huge, "y".repeat(JobQueue.MAX_PAYLOAD_BYTES + 1));

        Cli.Result result = run("enqueue", "--type", "email.send", "--text", "--payload", "@" + huge);

        assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains("too large").contains("at most " + JobQueue.MAX_PAYLOAD_BYTES);
        assertThat(queue.stats().byType()).isEmpty();
    }

    @Test
    void aMissingPayloadFileIsExitCode2NamingThePath() {
        Path missing = dir.resolve("no-such-payload.json");

        Cli.Result result = run("enqueue", "--type", "email.send", "--payload", "@" + missing);

        assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains(missing.toAbsolutePath().toString()).contains("does not exist");
        assertThat(queue.stats().byType()).isEmpty();
    }

    @Test
    void aPayloadFileThatIsNotUtf8IsExitCode2NamingThePathWithoutAStackTrace() throws IOException {
        Path binary = Files.write(dir.resolve("payload.bin"), new byte[] {(byte) 0xff, (byte) 0xfe, 0, 1, (byte) 0xc3});

        Cli.Result result = run("enqueue", "--type", "email.send", "--text", "--payload", "@" + binary);

        assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains(binary.toAbsolutePath().toString()).contains("not UTF-8").doesNotContain("\tat ");
        assertThat(queue.stats().byType()).isEmpty();
    }

    @Test
    void aDirectoryAsPayloadFileIsExitCode2NamingThePath() {
        Cli.Result result = run("enqueue", "--type", "email.send", "--payload", "@" + dir);

        assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains(dir.toAbsolutePath().toString()).contains("is a directory").doesNotContain("\tat ");
        assertThat(queue.stats().byType()).isEmpty();
    }

    @ParameterizedTest(name = "--delay {0}")
    @CsvSource(delimiter = '|', value = {
            "36526d                | '36526d' is too large: at most 36525d (about 100 years)",
            "99999999999999999999d | \"99999999999999999999d\" is too large for a duration: at most 36525d"})
    void givenADelayBeyondTheBound_whenEnqueueing_thenExitCode2NamesTheBoundAndNothingIsEnqueued(String delay,
            String message) {
        Cli.Result result = run("enqueue", "--type", "email.send", "--payload", "{}", "--delay", delay);

        assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains("--delay").contains(message).doesNotContain("\tat ");
        assertThat(queue.stats().byType()).isEmpty();
    }

    /** Malformed, negative and too large are three different mistakes, each named with its option. */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "--delay=-5s                | Invalid value for option '--delay': '-5s' is negative but must be ≥ 0",
            "--delay=-PT5S              | Invalid value for option '--delay': '-PT5S' is negative but must be ≥ 0",
            "--delay=5x                 | Invalid value for option '--delay': '5x' is not a duration: write a whole number with a unit",
            "--delay=-5x                | Invalid value for option '--delay': '-5x' is not a duration",
            "--visibility-timeout=0s    | Invalid value for option '--visibility-timeout': '0s' is zero but must be > 0",
            "--visibility-timeout=-1m   | Invalid value for option '--visibility-timeout': '-1m' is negative but must be > 0",
            "--visibility-timeout=13h   | Invalid value for option '--visibility-timeout': '13h' is too large: at most 12h"})
    void givenABadDuration_whenEnqueueing_thenExitCode2SaysWhatIsWrongWithWhichOptionAndNothingIsEnqueued(String option,
            String message) {
        Cli.Result result = run("enqueue", "--type", "email.send", "--payload", "{}", option);

        assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains(message).contains("Run 'docjobs enqueue --help' for usage.")
                .doesNotContain("\tat ");
        if (!message.contains("not a duration")) {
            assertThat(result.err()).as("a well-formed duration is not called malformed").doesNotContain("not a duration");
        }
        assertThat(queue.stats().byType()).isEmpty();
    }

    @Test
    void purgingWithANegativeAgeIsExitCode2AndPurgesNothing() {
        Cli.Result result = run("dead", "purge", "--older-than=-1d");

        assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains("Invalid value for option '--older-than': '-1d' is negative but must be ≥ 0");
    }

    // ---------------------------------------------------------------- a type nobody serves

    @Test
    void aJobOfATypeWithNoHandlerStaysReadyAndStatsNamesTheType() throws IOException {
        DaemonConfig daemonConfig = new ConfigLoader(Map.of()).load(config, true);
        Daemon daemon = Daemon.start(daemonConfig, HandlerLoader.load(daemonConfig, BadInputTest.class.getClassLoader()),
                database.handOver());
        try (daemon) {
            String orphan = queue.enqueue("orphan.type", "{\"x\": 1}", Duration.ofSeconds(30));
            String served = queue.enqueue("email.send", new Document("to", "a@example.com"), Duration.ofSeconds(30));

            await().atMost(Duration.ofSeconds(10)).untilAsserted(() ->
                    assertThat(queue.get(served)).as("the daemon is claiming: the served job is done").isEmpty());
            await().during(Duration.ofMillis(1500)).atMost(Duration.ofSeconds(5)).pollInterval(Duration.ofMillis(100))
                    .untilAsserted(() -> {
                        JobEntry entry = queue.get(orphan).orElseThrow();
                        assertThat(entry.state()).isEqualTo(JobState.READY);
                        assertThat(entry.attempts()).as("never claimed").isZero();
                    });

            Cli.Result stats = run("stats");

            assertThat(stats.code()).isZero();
            assertThat(stats.out()).contains("types with no handler in this configuration: orphan.type");
        }
    }

    // ---------------------------------------------------------------- run

    /**
     * Malformed strings, each with the masked form the message must show and the secret it must not.
     * An unencoded '@' in the password or user name is the usual cause of the driver's "invalid user
     * information" error: the very message that must not print what follows the first '@'.
     */
    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', value = {
            "mongodb://admin:s3cret@host:notaport   | admin:****@host:notaport | s3cret",
            "mongodb://admin:p@ss-w0rd@host:27017   | admin:****@host:27017    | ss-w0rd",
            "mongodb://ops@corp:s3cret@host:27017   | ops@corp:****@host:27017 | s3cret"})
    void givenAMalformedConnectionString_whenRunning_thenExitCode2WithThePasswordMasked(String connectionString,
            String masked, String secret) throws IOException {
        assertRunRefusesWithoutLeaking(connectionString, masked, secret);
    }

    @Test
    void aHandlerTimeoutOf200000DaysIsExitCode2NamingTheKeyAndRunsNothing() throws IOException {
        config = writeConfig("    timeout: 200000d\n");

        Cli.Result result = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> run("run"),
                "run must refuse the configuration at once, not start");

        assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
        assertThat(result.err()).contains("handlers.email.send.timeout was \"200000d\" but must be at most 7d")
                .doesNotContain("\tat ");
    }

    private void assertRunRefusesWithoutLeaking(String connectionString, String masked, String secret) throws IOException {
        config = writeConfig("database:\n  connectionString: \"" + connectionString + "\"\n  operationTimeout: 2s\n", "");
        LogCapture logs = new LogCapture();
        try {
            Cli.Result result = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> run("run"),
                    "run must stop at once on a malformed connection string");

            assertThat(result.code()).isEqualTo(ExitCodes.CONFIG);
            assertThat(result.err()).contains("is not a valid MongoDB connection string").contains(masked);
            assertThat(result.out() + result.err()).doesNotContain(secret);
            assertThat(logs.events()).as("log lines").isNotEmpty()
                    .allSatisfy(event -> assertThat(event.getFormattedMessage()).doesNotContain(secret));
        } finally {
            logs.close();
        }
    }
}
